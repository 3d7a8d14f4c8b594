// SPDX-License-Identifier: GPL-2.0
/*
 * Endpoints: finding the vIOMMU that translates a device (by the fwnode its fwspec names),
 * PROBE, and the reserved regions PROBE reports.
 */
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "nvi.h"

/* x86 has no MSI doorbell in IOVA space to speak of; this is what iommu-dma expects. */
#define NVI_SW_MSI_BASE 0x8000000
#define NVI_SW_MSI_SIZE 0x100000

static LIST_HEAD(nvi_devices);
static DEFINE_MUTEX(nvi_devices_lock);

void nvi_register(struct nvi_dev *nvi)
{
	mutex_lock(&nvi_devices_lock);
	list_add(&nvi->node, &nvi_devices);
	mutex_unlock(&nvi_devices_lock);
}

void nvi_unregister(struct nvi_dev *nvi)
{
	mutex_lock(&nvi_devices_lock);
	list_del(&nvi->node);
	mutex_unlock(&nvi_devices_lock);
}

struct nvi_dev *nvi_find_by_fwnode(struct fwnode_handle *fwnode)
{
	struct nvi_dev *nvi, *found = NULL;

	mutex_lock(&nvi_devices_lock);
	list_for_each_entry (nvi, &nvi_devices, node) {
		if (nvi->fwnode == fwnode) {
			found = nvi;
			break;
		}
	}
	mutex_unlock(&nvi_devices_lock);
	return found;
}

static int add_resv(struct nvi_endpoint *ep, const struct virtio_iommu_probe_resv_mem *mem,
		    size_t len)
{
	u64 start, end;
	struct iommu_resv_region *region;

	if (len < sizeof(*mem) - sizeof(mem->head))
		return -EINVAL;
	start = le64_to_cpu(mem->start);
	end = le64_to_cpu(mem->end);
	if (end < start)
		return -EINVAL;
	switch (mem->subtype) {
	case VIRTIO_IOMMU_RESV_MEM_T_MSI:
		region = iommu_alloc_resv_region(start, end - start + 1,
						 IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_MMIO,
						 IOMMU_RESV_MSI, GFP_KERNEL);
		ep->msi_reported = true;
		break;
	case VIRTIO_IOMMU_RESV_MEM_T_RESERVED:
	default: /* an unknown subtype is kept away from DMA too */
		region = iommu_alloc_resv_region(start, end - start + 1, 0, IOMMU_RESV_RESERVED,
						 GFP_KERNEL);
		break;
	}
	if (!region)
		return -ENOMEM;
	list_add_tail(&region->list, &ep->resv);
	return 0;
}

static void add_format(struct nvi_endpoint *ep, const struct virtio_iommu_probe_table_format *f,
		       size_t len)
{
	u64 sizes;

	if (len < sizeof(*f) - sizeof(f->head)) {
		dev_warn(ep->dev, "PROBE: TABLE_FORMAT property too short (%zu bytes)\n", len);
		return;
	}
	if (le16_to_cpu(f->format) != VIRTIO_IOMMU_FORMAT_VTD_S1)
		return; /* the selftest format and formats we do not know: not ours to use */
	sizes = le64_to_cpu(f->page_sizes);
	/* A narrower device is fine: the domain's aperture stops at its width. */
	if (!(sizes & SZ_4K) || f->address_bits < 32) {
		dev_warn(ep->dev,
			 "PROBE: VT-d table format without 4 KiB pages or under 32 bits "
			 "(sizes %#llx, %u bits): using MAP/UNMAP\n",
			 sizes, f->address_bits);
		return;
	}
	ep->vtd = true;
	ep->address_bits = f->address_bits;
	ep->format_caps = le32_to_cpu(f->format_caps);
	ep->page_sizes = sizes;
}

static int probe_endpoint(struct nvi_endpoint *ep)
{
	struct nvi_dev *nvi = ep->nvi;
	struct virtio_iommu_req_probe *req;
	size_t out_len = sizeof(*req),
	       in_len = nvi->probe_size + sizeof(struct virtio_iommu_req_tail);
	size_t off = 0;
	int ret;

	req = kzalloc(out_len + in_len, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->head.type = VIRTIO_IOMMU_T_PROBE;
	req->endpoint = cpu_to_le32(ep->id);
	nvi_count(nvi, NVI_PROBE);
	ret = nvi_send(nvi, &nvi->requestq, req, out_len, in_len);
	if (ret) {
		dev_err(ep->dev, "PROBE of endpoint %#x failed: %d\n", ep->id, ret);
		goto out;
	}
	while (off + sizeof(struct virtio_iommu_probe_property) <= nvi->probe_size) {
		struct virtio_iommu_probe_property *prop = (void *)req->properties + off;
		u16 type = le16_to_cpu(prop->type) & VIRTIO_IOMMU_PROBE_T_MASK;
		size_t len = le16_to_cpu(prop->length);

		if (type == VIRTIO_IOMMU_PROBE_T_NONE)
			break;
		if (off + sizeof(*prop) + len > nvi->probe_size) {
			dev_warn(ep->dev, "PROBE: property %u overruns the buffer; ignoring it\n",
				 type);
			break;
		}
		if (type == VIRTIO_IOMMU_PROBE_T_RESV_MEM)
			ret = add_resv(ep, (void *)prop, len);
		else if (type == VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT && nvi->tables)
			add_format(ep, (void *)prop, len);
		if (ret)
			break;
		off += sizeof(*prop) + len;
	}
	if (nvi->tables && !ep->vtd)
		dev_info(ep->dev,
			 "endpoint %#x: no VT-d TABLE_FORMAT in its PROBE: its domains use "
			 "MAP/UNMAP\n",
			 ep->id);
out:
	kfree(req);
	return ret;
}

struct iommu_device *nvi_probe_device(struct device *dev)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	struct nvi_endpoint *ep;
	struct nvi_dev *nvi;
	int ret;

	if (!fwspec)
		return ERR_PTR(-ENODEV);
	nvi = nvi_find_by_fwnode(fwspec->iommu_fwnode);
	if (!nvi)
		return ERR_PTR(-ENODEV);
	if (fwspec->num_ids != 1) {
		dev_err(dev, "%u endpoint ids: only one per device is supported\n",
			fwspec->num_ids);
		return ERR_PTR(-EINVAL);
	}
	ep = kzalloc(sizeof(*ep), GFP_KERNEL);
	if (!ep)
		return ERR_PTR(-ENOMEM);
	ep->nvi = nvi;
	ep->dev = dev;
	ep->id = fwspec->ids[0];
	INIT_LIST_HEAD(&ep->resv);
	if (nvi->probe_size) {
		ret = probe_endpoint(ep);
		if (ret) {
			iommu_put_resv_regions(dev, &ep->resv);
			kfree(ep);
			return ERR_PTR(ret);
		}
	}
	dev_iommu_priv_set(dev, ep);
	return &nvi->iommu;
}

void nvi_release_device(struct device *dev)
{
	struct nvi_endpoint *ep = dev_iommu_priv_get(dev);

	iommu_put_resv_regions(dev, &ep->resv);
	kfree(ep);
}

void nvi_get_resv_regions(struct device *dev, struct list_head *head)
{
	struct nvi_endpoint *ep = dev_iommu_priv_get(dev);
	struct iommu_resv_region *r, *copy;

	list_for_each_entry (r, &ep->resv, list) {
		copy = iommu_alloc_resv_region(r->start, r->length, r->prot, r->type, GFP_KERNEL);
		if (!copy)
			return;
		list_add_tail(&copy->list, head);
	}
	if (!ep->msi_reported) {
		copy = iommu_alloc_resv_region(NVI_SW_MSI_BASE, NVI_SW_MSI_SIZE,
					       IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_MMIO,
					       IOMMU_RESV_SW_MSI, GFP_KERNEL);
		if (copy)
			list_add_tail(&copy->list, head);
	}
}
