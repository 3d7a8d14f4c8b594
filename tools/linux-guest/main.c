// SPDX-License-Identifier: GPL-2.0
/*
 * nestvm_viommu: the virtio driver (device 23) and the iommu_ops. See nvi.h for the map of
 * the files and docs/virtio-iommu-nested.md for the extension it speaks.
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "nvi.h"

static struct dentry *nvi_debugfs_root;

static bool tables = true;
module_param(tables, bool, 0444);
MODULE_PARM_DESC(tables, "Use the device's ATTACH_TABLE when it offers it (default: yes); "
			 "no: a MAP/UNMAP driver, as Linux's own");

static bool nvi_capable(struct device *dev, enum iommu_cap cap)
{
	return cap == IOMMU_CAP_CACHE_COHERENCY || cap == IOMMU_CAP_DEFERRED_FLUSH;
}

static struct iommu_group *nvi_device_group(struct device *dev)
{
	return dev_is_pci(dev) ? pci_device_group(dev) : generic_device_group(dev);
}

static int nvi_of_xlate(struct device *dev, const struct of_phandle_args *args)
{
	return iommu_fwspec_add_ids(dev, args->args, 1);
}

/* Without a bypass in the device, identity is not on offer: translate. */
static int nvi_def_domain_type(struct device *dev)
{
	struct nvi_endpoint *ep = dev_iommu_priv_get(dev);

	return ep->nvi->bypass_flag ? 0 : IOMMU_DOMAIN_DMA;
}

const struct iommu_ops nvi_ops = {
	.capable = nvi_capable,
	.domain_alloc_paging = nvi_domain_alloc_paging,
	.probe_device = nvi_probe_device,
	.release_device = nvi_release_device,
	.device_group = nvi_device_group,
	.get_resv_regions = nvi_get_resv_regions,
	.of_xlate = nvi_of_xlate,
	.def_domain_type = nvi_def_domain_type,
	.identity_domain = &nvi_identity_domain,
	.blocked_domain = &nvi_blocked_domain,
	.release_domain = &nvi_blocked_domain,
	.default_domain_ops = &nvi_paging_ops,
	.pgsize_bitmap = SZ_4K,
	.owner = THIS_MODULE,
};

static const char *const stat_names[NVI_NR_STATS] = {
	[NVI_ATTACH] = "ATTACH",
	[NVI_ATTACH_TABLE] = "ATTACH_TABLE",
	[NVI_MAP] = "MAP",
	[NVI_UNMAP] = "UNMAP",
	[NVI_PROBE] = "PROBE",
	[NVI_INVAL_RANGE] = "INVALIDATE_RANGE",
	[NVI_INVAL_DOMAIN] = "INVALIDATE_DOMAIN",
	[NVI_INVAL_ON_INVALQ] = "INVALIDATE_INVALQ",
	[NVI_REQ_ERRORS] = "errors",
	[NVI_FAULTS] = "faults",
};

/* /sys/class/iommu/<dev>/nestvm/stats: what the driver sent, one "NAME N" per line. */
static ssize_t stats_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct nvi_dev *nvi = container_of(dev_get_drvdata(dev), struct nvi_dev, iommu);
	int len = 0;

	for (int i = 0; i < NVI_NR_STATS; i++)
		len += sysfs_emit_at(buf, len, "%s %lld\n", stat_names[i],
				     atomic64_read(&nvi->stats[i]));
	return len;
}
static DEVICE_ATTR_RO(stats);

static ssize_t mode_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct nvi_dev *nvi = container_of(dev_get_drvdata(dev), struct nvi_dev, iommu);

	return sysfs_emit(buf, "%s\n", nvi->tables ? "tables" : "map");
}
static DEVICE_ATTR_RO(mode);

static struct attribute *nvi_attrs[] = { &dev_attr_stats.attr, &dev_attr_mode.attr, NULL };
static const struct attribute_group nvi_group = { .name = "nestvm", .attrs = nvi_attrs };
static const struct attribute_group *nvi_groups[] = { &nvi_group, NULL };

static int nvi_find_vqs(struct nvi_dev *nvi)
{
	struct virtqueue_info info[] = {
		{ "request" },
		{ "event", nvi_event_handler },
		{ "invalidate" },
	};
	struct virtqueue *vqs[3];
	unsigned int n = nvi->tables ? 3 : 2;
	int ret;

	ret = virtio_find_vqs(nvi->vdev, n, vqs, info, NULL);
	if (ret)
		return ret;
	nvi_queue_init(&nvi->requestq, vqs[0], "requestq");
	nvi->eventq = vqs[1];
	if (n == 3)
		nvi_queue_init(&nvi->invalq, vqs[2], "invalq");
	return 0;
}

static int nvi_read_config(struct nvi_dev *nvi)
{
	struct virtio_device *vdev = nvi->vdev;
	u32 first = 0, last = ~0U;

	virtio_cread_le(vdev, struct virtio_iommu_config, page_size_mask, &nvi->pgsize_bitmap);
	if (!(nvi->pgsize_bitmap & SZ_4K)) {
		dev_err(nvi->dev,
			"page_size_mask %#llx lacks 4 KiB: this driver's tables are x86's\n",
			nvi->pgsize_bitmap);
		return -EINVAL;
	}
	nvi->input_start = 0;
	nvi->input_end = -1ULL;
	virtio_cread_le_feature(vdev, VIRTIO_IOMMU_F_INPUT_RANGE, struct virtio_iommu_config,
				input_range.start, &nvi->input_start);
	virtio_cread_le_feature(vdev, VIRTIO_IOMMU_F_INPUT_RANGE, struct virtio_iommu_config,
				input_range.end, &nvi->input_end);
	virtio_cread_le_feature(vdev, VIRTIO_IOMMU_F_DOMAIN_RANGE, struct virtio_iommu_config,
				domain_range.start, &first);
	virtio_cread_le_feature(vdev, VIRTIO_IOMMU_F_DOMAIN_RANGE, struct virtio_iommu_config,
				domain_range.end, &last);
	virtio_cread_le_feature(vdev, VIRTIO_IOMMU_F_PROBE, struct virtio_iommu_config, probe_size,
				&nvi->probe_size);
	if (last < first || last - first < 2) {
		dev_err(nvi->dev, "domain range %u-%u: at least 3 domains are needed\n", first,
			last);
		return -EINVAL;
	}
	/* The top two are the blocking and identity domains; ida ranges are int. */
	nvi->blocked_id = last;
	nvi->identity_id = last - 1;
	nvi->first_domain = first;
	nvi->last_domain = min_t(u32, last - 2, INT_MAX);
	return 0;
}

static int nvi_probe(struct virtio_device *vdev)
{
	struct device *parent = vdev->dev.parent;
	struct nvi_dev *nvi;
	int ret;

	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1))
		return -ENODEV;
	nvi = devm_kzalloc(&vdev->dev, sizeof(*nvi), GFP_KERNEL);
	if (!nvi)
		return -ENOMEM;
	nvi->vdev = vdev;
	nvi->dev = &vdev->dev;
	nvi->fwnode = dev_fwnode(parent);
	ida_init(&nvi->domain_ids);
	vdev->priv = nvi;
	nvi->tables = virtio_has_feature(vdev, VIRTIO_IOMMU_F_ATTACH_TABLE);
	nvi->bypass_flag = virtio_has_feature(vdev, VIRTIO_IOMMU_F_BYPASS_CONFIG);
	nvi->mmio_flag = virtio_has_feature(vdev, VIRTIO_IOMMU_F_MMIO);
	if (!nvi->tables && !virtio_has_feature(vdev, VIRTIO_IOMMU_F_MAP_UNMAP)) {
		dev_err(nvi->dev, "the device offers neither MAP/UNMAP nor ATTACH_TABLE\n");
		return -ENODEV;
	}

	ret = nvi_read_config(nvi);
	if (ret)
		return ret;
	ret = nvi_find_vqs(nvi);
	if (ret)
		return ret;
	virtio_device_ready(vdev);
	ret = nvi_events_init(nvi);
	if (ret)
		goto err_vqs;

	ret = iommu_device_sysfs_add(&nvi->iommu, nvi->dev, nvi_groups, "%s", dev_name(nvi->dev));
	if (ret)
		goto err_vqs;
	nvi_register(nvi);
	ret = iommu_device_register(&nvi->iommu, &nvi_ops, parent);
	if (ret)
		goto err_sysfs;

	nvi_debugfs_init(nvi, nvi_debugfs_root);
	dev_info(nvi->dev,
		 "nestvm_viommu: %s%s%s, input range %#llx-%#llx, domains %u-%u, page sizes "
		 "%#llx%s\n",
		 nvi->tables ? "table mode (ATTACH_TABLE, INVALIDATE on the " : "MAP/UNMAP mode",
		 nvi->tables ? nvi_inval_queues() : "", nvi->tables ? ")" : "", nvi->input_start,
		 nvi->input_end, nvi->first_domain, nvi->last_domain, nvi->pgsize_bitmap,
		 nvi->bypass_flag ? ", bypass" : "");
	return 0;

err_sysfs:
	nvi_unregister(nvi);
	iommu_device_sysfs_remove(&nvi->iommu);
err_vqs:
	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
	return ret;
}

static void nvi_remove(struct virtio_device *vdev)
{
	struct nvi_dev *nvi = vdev->priv;

	debugfs_remove(nvi->debugfs);
	iommu_device_unregister(&nvi->iommu);
	nvi_unregister(nvi);
	iommu_device_sysfs_remove(&nvi->iommu);
	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
	ida_destroy(&nvi->domain_ids);
	dev_info(&vdev->dev, "nestvm_viommu: removed\n");
}

/*
 * A configuration interrupt. Nothing in the configuration may change under a running driver,
 * but a device that met an error it cannot recover from sets DEVICE_NEEDS_RESET and signals
 * it the same way: it serves no request until reset (request.c).
 */
static void nvi_config_changed(struct virtio_device *vdev)
{
	struct nvi_dev *nvi = vdev->priv;

	if (!(vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_NEEDS_RESET)) {
		dev_warn(&vdev->dev, "configuration changed by the device; ignored\n");
		return;
	}
	nvi_device_needs_reset(nvi);
}

static int nvi_validate(struct virtio_device *vdev)
{
	if (!tables)
		__virtio_clear_bit(vdev, VIRTIO_IOMMU_F_ATTACH_TABLE);
	return 0;
}

static const unsigned int nvi_features[] = {
	VIRTIO_IOMMU_F_MAP_UNMAP,    VIRTIO_IOMMU_F_INPUT_RANGE, VIRTIO_IOMMU_F_DOMAIN_RANGE,
	VIRTIO_IOMMU_F_PROBE,	     VIRTIO_IOMMU_F_MMIO,	 VIRTIO_IOMMU_F_BYPASS_CONFIG,
	VIRTIO_IOMMU_F_ATTACH_TABLE,
};

static const struct virtio_device_id nvi_id_table[] = {
	{ VIRTIO_ID_IOMMU, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, nvi_id_table);

static struct virtio_driver nvi_driver = {
	.driver.name = KBUILD_MODNAME,
	.id_table = nvi_id_table,
	.feature_table = nvi_features,
	.feature_table_size = ARRAY_SIZE(nvi_features),
	.validate = nvi_validate,
	.probe = nvi_probe,
	.remove = nvi_remove,
	.config_changed = nvi_config_changed,
};
static int __init nvi_init(void)
{
	int ret;

	if (nvi_test_hooks)
		nvi_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	ret = register_virtio_driver(&nvi_driver);
	if (ret)
		debugfs_remove(nvi_debugfs_root);
	return ret;
}
module_init(nvi_init);

static void __exit nvi_exit(void)
{
	unregister_virtio_driver(&nvi_driver);
	debugfs_remove(nvi_debugfs_root);
}
module_exit(nvi_exit);

MODULE_DESCRIPTION("virtio-iommu driver with nestvm's nesting extension (guest page tables)");
MODULE_AUTHOR("The nestvm authors");
MODULE_LICENSE("GPL");
