// SPDX-License-Identifier: GPL-2.0
/*
 * Domains. A paging domain is one of two kinds, chosen when it is allocated from what the
 * endpoint's PROBE reported:
 *
 *  - table mode: the device walks the domain's own table (ATTACH_TABLE). map writes entries
 *    and sends nothing, unless the device mirrors the table (caps CM), where the new range is
 *    invalidated as VT-d caching mode asks; unmap clears entries and the IOTLB sync sends
 *    one INVALIDATE RANGE LEAF for the gathered range (on the queue inval_queue picks);
 *    flush_iotlb_all (the lazy mode's flush queue) sends INVALIDATE DOMAIN.
 *  - MAP mode: every map and unmap is a MAP or UNMAP request. The same table records the
 *    mappings, for iova_to_phys and to replay them when the device forgot the domain (its
 *    last endpoint left, or it never had one).
 *
 * A refused ATTACH_TABLE turns a domain that no endpoint holds yet into a MAP-mode one.
 */
#include <linux/debugfs.h>
#include <linux/slab.h>

#include "nvi.h"

/* The lower canonical half of a 4-level table: the upper one would need sign-extended IOVAs. */
#define NVI_TABLE_IOVA_END ((1UL << 47) - 1)

/*
 * Where INVALIDATEs go. The requestq is served in the notifying vCPU's own exit: the lowest
 * latency for a lone request. The invalq is served by the device's own thread, which batches
 * what many CPUs send at once, but a lone request pays that thread's wake-up. So by default a
 * request goes on the requestq when no other is in flight on either queue, else on the invalq.
 */
enum { NVI_INVALQ_NEVER, NVI_INVALQ_ALWAYS, NVI_INVALQ_BY_LOAD };
static unsigned int nvi_invalq = NVI_INVALQ_BY_LOAD;

static int invalq_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, NVI_INVALQ_NEVER, NVI_INVALQ_BY_LOAD);
}

static const struct kernel_param_ops invalq_ops = { .set = invalq_set, .get = param_get_uint };
module_param_cb(invalq, &invalq_ops, &nvi_invalq, 0444);
MODULE_PARM_DESC(invalq, "Queue for INVALIDATEs: 0 the requestq, 1 the invalq, 2 (default) the "
			 "requestq unless another request is in flight, then the invalq");

const char *nvi_inval_queues(void)
{
	static const char *const names[] = {
		[NVI_INVALQ_NEVER] = "requestq",
		[NVI_INVALQ_ALWAYS] = "invalq",
		[NVI_INVALQ_BY_LOAD] = "requestq or invalq, by load",
	};

	return names[nvi_invalq];
}

static int send_attach(struct nvi_dev *nvi, u32 domain, u32 endpoint, u32 flags)
{
	struct virtio_iommu_req_attach req = {
		.head.type = VIRTIO_IOMMU_T_ATTACH,
		.domain = cpu_to_le32(domain),
		.endpoint = cpu_to_le32(endpoint),
		.flags = cpu_to_le32(flags),
	};

	nvi_count(nvi, NVI_ATTACH);
	return nvi_send(nvi, &nvi->requestq, &req, sizeof(req) - sizeof(req.tail),
			sizeof(req.tail));
}

static int send_attach_table(struct nvi_domain *nd, u32 endpoint)
{
	struct virtio_iommu_req_attach_table req = {
		.head.type = VIRTIO_IOMMU_T_ATTACH_TABLE,
		.domain = cpu_to_le32(nd->id),
		.endpoint = cpu_to_le32(endpoint),
		.table = cpu_to_le64(virt_to_phys(nd->pt.root)),
		.format = cpu_to_le16(VIRTIO_IOMMU_FORMAT_VTD_S1),
	};

	nvi_count(nd->nvi, NVI_ATTACH_TABLE);
	return nvi_send(nd->nvi, &nd->nvi->requestq, &req, sizeof(req) - sizeof(req.tail),
			sizeof(req.tail));
}

static int send_map(struct nvi_domain *nd, unsigned long iova, phys_addr_t paddr, size_t size,
		    int prot)
{
	struct nvi_dev *nvi = nd->nvi;
	u32 flags = 0;
	struct virtio_iommu_req_map req = {
		.head.type = VIRTIO_IOMMU_T_MAP,
		.domain = cpu_to_le32(nd->id),
		.virt_start = cpu_to_le64(iova),
		.virt_end = cpu_to_le64(iova + size - 1),
		.phys_start = cpu_to_le64(paddr),
	};

	if (prot & IOMMU_READ)
		flags |= VIRTIO_IOMMU_MAP_F_READ;
	if (prot & IOMMU_WRITE)
		flags |= VIRTIO_IOMMU_MAP_F_WRITE;
	if ((prot & IOMMU_MMIO) && nvi->mmio_flag)
		flags |= VIRTIO_IOMMU_MAP_F_MMIO;
	req.flags = cpu_to_le32(flags);
	nvi_count(nvi, NVI_MAP);
	return nvi_send(nvi, &nvi->requestq, &req, sizeof(req) - sizeof(req.tail),
			sizeof(req.tail));
}

static int send_unmap(struct nvi_domain *nd, unsigned long iova, size_t size)
{
	struct virtio_iommu_req_unmap req = {
		.head.type = VIRTIO_IOMMU_T_UNMAP,
		.domain = cpu_to_le32(nd->id),
		.virt_start = cpu_to_le64(iova),
		.virt_end = cpu_to_le64(iova + size - 1),
	};

	nvi_count(nd->nvi, NVI_UNMAP);
	return nvi_send(nd->nvi, &nd->nvi->requestq, &req, sizeof(req) - sizeof(req.tail),
			sizeof(req.tail));
}

/* A queue that timed out is passed over while the other one still serves. */
static struct nvi_queue *inval_queue(struct nvi_dev *nvi)
{
	struct nvi_queue *rq = &nvi->requestq, *iq = &nvi->invalq;

	if (!iq->vq || nvi_invalq == NVI_INVALQ_NEVER)
		return rq;
	if (nvi_invalq == NVI_INVALQ_ALWAYS)
		return iq;
	if (READ_ONCE(rq->broken) != READ_ONCE(iq->broken))
		return READ_ONCE(rq->broken) ? iq : rq;
	return atomic_read(&rq->inflight) + atomic_read(&iq->inflight) ? iq : rq;
}

static int send_invalidate(struct nvi_domain *nd, u8 scope, u8 flags, unsigned long iova,
			   size_t size)
{
	struct nvi_dev *nvi = nd->nvi;
	struct nvi_queue *q = inval_queue(nvi);
	struct virtio_iommu_req_invalidate req = {
		.head.type = VIRTIO_IOMMU_T_INVALIDATE,
		.domain = cpu_to_le32(nd->id),
		.scope = scope,
		.flags = flags,
		.address = cpu_to_le64(iova),
		.size = cpu_to_le64(size),
	};

	nvi_count(nvi, scope == VIRTIO_IOMMU_INVAL_S_RANGE ? NVI_INVAL_RANGE : NVI_INVAL_DOMAIN);
	if (q == &nvi->invalq)
		nvi_count(nvi, NVI_INVAL_ON_INVALQ);
	return nvi_send(nvi, q, &req, sizeof(req) - sizeof(req.tail), sizeof(req.tail));
}

/*
 * Invalidates and waits. A device that fails gets a second try, then the whole domain; if that
 * fails too, the device may keep translations the guest removed, and the log says so loudly:
 * there is nothing left a driver can do from an IOTLB sync.
 */
static void invalidate(struct nvi_domain *nd, u8 scope, u8 flags, unsigned long iova, size_t size)
{
	int ret;

	if (!READ_ONCE(nd->nr_endpoints))
		return; /* the device holds no table for it: the next ATTACH_TABLE walks afresh */
	ret = send_invalidate(nd, scope, flags, iova, size);
	if (ret)
		ret = send_invalidate(nd, scope, flags, iova, size);
	if (ret && scope != VIRTIO_IOMMU_INVAL_S_DOMAIN)
		ret = send_invalidate(nd, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0, 0);
	if (ret == -ENOENT && !READ_ONCE(nd->nr_endpoints))
		return; /* its last endpoint left meanwhile */
	if (ret) {
		dev_err_ratelimited(nd->nvi->dev,
				    "INVALIDATE of domain %u [%#lx, +%#zx] failed twice and "
				    "DOMAIN-wide (%d): the device may still translate what the "
				    "guest unmapped\n",
				    nd->id, iova, size, ret);
		WARN_ON_ONCE(1);
	}
}

static int replay_one(void *opaque, unsigned long iova, phys_addr_t paddr, size_t size,
		      bool writable)
{
	return send_map(opaque, iova, paddr, size, IOMMU_READ | (writable ? IOMMU_WRITE : 0));
}

/* Called with nd->lock held: the device just created the domain, give it every mapping. */
static int replay_mappings(struct nvi_domain *nd)
{
	return nvi_pt_for_each_leaf(&nd->pt, replay_one, nd);
}

static void leave_domain(struct nvi_endpoint *ep)
{
	struct nvi_domain *old = ep->domain;
	unsigned long flags;

	if (!old)
		return;
	spin_lock_irqsave(&old->lock, flags);
	old->nr_endpoints--;
	spin_unlock_irqrestore(&old->lock, flags);
	ep->domain = NULL;
}

static int attach_map_mode(struct nvi_domain *nd, struct nvi_endpoint *ep)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&nd->lock, flags);
	ret = send_attach(nd->nvi, nd->id, ep->id, 0);
	if (!ret && !nd->nr_endpoints) {
		ret = replay_mappings(nd);
		if (ret) /* leave it alone on the device: a half-replayed domain is no domain */
			send_attach(nd->nvi, nd->nvi->blocked_id, ep->id, 0);
	}
	if (!ret)
		nd->nr_endpoints++;
	spin_unlock_irqrestore(&nd->lock, flags);
	return ret;
}

static int attach_table_mode(struct nvi_domain *nd, struct nvi_endpoint *ep)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&nd->lock, flags);
	ret = send_attach_table(nd, ep->id);
	if (ret && !nd->nr_endpoints) {
		dev_warn(ep->dev,
			 "ATTACH_TABLE of endpoint %#x to domain %u refused (%d): that domain "
			 "uses MAP/UNMAP\n",
			 ep->id, nd->id, ret);
		nd->table_mode = false;
		spin_unlock_irqrestore(&nd->lock, flags);
		return attach_map_mode(nd, ep);
	}
	if (!ret)
		nd->nr_endpoints++;
	spin_unlock_irqrestore(&nd->lock, flags);
	return ret;
}

static int nvi_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	struct nvi_endpoint *ep = dev_iommu_priv_get(dev);
	struct nvi_domain *nd = to_nvi_domain(domain);
	struct nvi_domain *old = ep->domain;
	int ret;

	if (nd->nvi != ep->nvi)
		return -EINVAL;
	if (old == nd)
		return 0;
	ret = READ_ONCE(nd->table_mode) ? attach_table_mode(nd, ep) : attach_map_mode(nd, ep);
	if (ret)
		return ret;
	/* The device moved the endpoint: it left @old, which it frees if nobody is left. */
	leave_domain(ep);
	ep->domain = nd;
	return 0;
}

/*
 * Test hook (module parameter test_hooks=1): writing N to debugfs nestvm_viommu/<dev>/unmap_next
 * makes the next N device-writable maps of 4 KiB or more take their pages out of the table
 * and invalidate them right after mapping, as a driver that frees a buffer the device still
 * targets would. The device's DMA into it must fault, the fault reach this driver's log,
 * and the guest run on.
 */
bool nvi_test_hooks;
module_param_named(test_hooks, nvi_test_hooks, bool, 0444);
MODULE_PARM_DESC(test_hooks, "Offer debugfs test hooks (unmap_next); never on a real system");

static void maybe_unmap_under_device(struct nvi_domain *nd, unsigned long iova, size_t size,
				     int prot)
{
	struct nvi_dev *nvi = nd->nvi;

	if (!nvi_test_hooks || !(prot & IOMMU_WRITE) || size < SZ_4K ||
	    atomic_dec_if_positive(&nvi->unmap_next) < 0)
		return;
	nvi_pt_unmap(&nd->pt, iova, size);
	WRITE_ONCE(nvi->unmapped_iova, iova);
	dev_info(nvi->dev,
		 "test hook: domain %u's new buffer at IOVA %#lx (%#zx) unmapped under "
		 "its device\n",
		 nd->id, iova, size);
	invalidate(nd, VIRTIO_IOMMU_INVAL_S_RANGE, VIRTIO_IOMMU_INVAL_F_LEAF, iova, size);
}

void nvi_debugfs_init(struct nvi_dev *nvi, struct dentry *root)
{
	if (!nvi_test_hooks)
		return;
	nvi->debugfs = debugfs_create_dir(dev_name(nvi->dev), root);
	debugfs_create_atomic_t("unmap_next", 0600, nvi->debugfs, &nvi->unmap_next);
}

static int nvi_map_pages(struct iommu_domain *domain, unsigned long iova, phys_addr_t paddr,
			 size_t pgsize, size_t pgcount, int prot, gfp_t gfp, size_t *mapped)
{
	struct nvi_domain *nd = to_nvi_domain(domain);
	unsigned long flags;
	size_t done = 0;
	int ret;

	if (READ_ONCE(nd->table_mode)) {
		ret = nvi_pt_map(&nd->pt, iova, paddr, pgsize, pgcount, prot, gfp, &done);
		*mapped += done;
		if (!ret)
			maybe_unmap_under_device(nd, iova, done, prot);
		return ret;
	}

	spin_lock_irqsave(&nd->lock, flags);
	ret = nvi_pt_map(&nd->pt, iova, paddr, pgsize, pgcount, prot, gfp, &done);
	if (!ret && nd->nr_endpoints)
		ret = send_map(nd, iova, paddr, done, prot);
	if (ret)
		nvi_pt_unmap(&nd->pt, iova, done);
	else
		*mapped += done;
	spin_unlock_irqrestore(&nd->lock, flags);
	return ret;
}

static size_t nvi_unmap_pages(struct iommu_domain *domain, unsigned long iova, size_t pgsize,
			      size_t pgcount, struct iommu_iotlb_gather *gather)
{
	struct nvi_domain *nd = to_nvi_domain(domain);
	unsigned long flags;
	size_t done;

	if (READ_ONCE(nd->table_mode)) {
		done = nvi_pt_unmap(&nd->pt, iova, pgsize * pgcount);
		if (!done && nvi_test_hooks && iova == READ_ONCE(nd->nvi->unmapped_iova))
			return pgsize * pgcount; /* the test hook took it already */
		if (done)
			iommu_iotlb_gather_add_range(gather, iova, done);
		return done;
	}
	spin_lock_irqsave(&nd->lock, flags);
	done = nvi_pt_unmap(&nd->pt, iova, pgsize * pgcount);
	if (done && nd->nr_endpoints && send_unmap(nd, iova, done))
		dev_err_ratelimited(nd->nvi->dev, "UNMAP of domain %u [%#lx, +%#zx] failed\n",
				    nd->id, iova, done);
	spin_unlock_irqrestore(&nd->lock, flags);
	return done;
}

static int nvi_iotlb_sync_map(struct iommu_domain *domain, unsigned long iova, size_t size)
{
	struct nvi_domain *nd = to_nvi_domain(domain);

	/* New entries of upper levels too: no LEAF. */
	if (READ_ONCE(nd->table_mode) && nd->caching_mode)
		invalidate(nd, VIRTIO_IOMMU_INVAL_S_RANGE, 0, iova & PAGE_MASK,
			   PAGE_ALIGN(size + (iova & ~PAGE_MASK)));
	return 0;
}

static void nvi_iotlb_sync(struct iommu_domain *domain, struct iommu_iotlb_gather *gather)
{
	struct nvi_domain *nd = to_nvi_domain(domain);
	unsigned long start = gather->start & PAGE_MASK;

	if (!READ_ONCE(nd->table_mode) || gather->queued || gather->end < gather->start)
		return;
	invalidate(nd, VIRTIO_IOMMU_INVAL_S_RANGE, VIRTIO_IOMMU_INVAL_F_LEAF, start,
		   PAGE_ALIGN(gather->end + 1) - start);
}

static void nvi_flush_iotlb_all(struct iommu_domain *domain)
{
	struct nvi_domain *nd = to_nvi_domain(domain);

	if (READ_ONCE(nd->table_mode))
		invalidate(nd, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0, 0);
}

static phys_addr_t nvi_iova_to_phys(struct iommu_domain *domain, dma_addr_t iova)
{
	return nvi_pt_iova_to_phys(&to_nvi_domain(domain)->pt, iova);
}

static void nvi_domain_free(struct iommu_domain *domain)
{
	struct nvi_domain *nd = to_nvi_domain(domain);

	/* No endpoint is attached (the core's promise): the device no longer walks the table. */
	WARN_ON(nd->nr_endpoints);
	nvi_pt_free(&nd->pt);
	ida_free(&nd->nvi->domain_ids, nd->id);
	kfree(nd);
}

const struct iommu_domain_ops nvi_paging_ops = {
	.attach_dev = nvi_attach_dev,
	.map_pages = nvi_map_pages,
	.unmap_pages = nvi_unmap_pages,
	.iotlb_sync_map = nvi_iotlb_sync_map,
	.iotlb_sync = nvi_iotlb_sync,
	.flush_iotlb_all = nvi_flush_iotlb_all,
	.iova_to_phys = nvi_iova_to_phys,
	.free = nvi_domain_free,
};

struct iommu_domain *nvi_domain_alloc_paging(struct device *dev)
{
	struct nvi_endpoint *ep = dev_iommu_priv_get(dev);
	struct nvi_dev *nvi = ep->nvi;
	struct nvi_domain *nd;
	u64 sizes = SZ_4K | SZ_2M | SZ_1G;
	int id;

	nd = kzalloc(sizeof(*nd), GFP_KERNEL);
	if (!nd)
		return ERR_PTR(-ENOMEM);
	id = ida_alloc_range(&nvi->domain_ids, nvi->first_domain, nvi->last_domain, GFP_KERNEL);
	if (id < 0) {
		kfree(nd);
		return ERR_PTR(id);
	}
	if (nvi_pt_init(&nd->pt, GFP_KERNEL)) {
		ida_free(&nvi->domain_ids, id);
		kfree(nd);
		return ERR_PTR(-ENOMEM);
	}
	nd->nvi = nvi;
	nd->id = id;
	spin_lock_init(&nd->lock);
	nd->table_mode = nvi->tables && ep->vtd;
	if (nd->table_mode) {
		sizes &= ep->page_sizes;
		if (!(ep->format_caps & VIRTIO_IOMMU_VTD_CAP_1G))
			sizes &= ~(u64)SZ_1G;
		nd->caching_mode = ep->format_caps & VIRTIO_IOMMU_VTD_CAP_CM;
	} else {
		sizes &= nvi->pgsize_bitmap;
	}
	nd->domain.pgsize_bitmap = sizes;
	nd->domain.ops = &nvi_paging_ops;
	nd->domain.geometry.aperture_start = nvi->input_start;
	nd->domain.geometry.aperture_end = min_t(u64, nvi->input_end, NVI_TABLE_IOVA_END);
	if (nd->table_mode && ep->address_bits < 64)
		nd->domain.geometry.aperture_end =
		    min_t(u64, nd->domain.geometry.aperture_end, (1ULL << ep->address_bits) - 1);
	nd->domain.geometry.force_aperture = true;
	return &nd->domain;
}

/* Identity: the device's own bypass (ATTACH_F_BYPASS), where it has one. */
static int nvi_attach_identity(struct iommu_domain *domain, struct device *dev)
{
	struct nvi_endpoint *ep = dev_iommu_priv_get(dev);
	int ret;

	if (!ep->nvi->bypass_flag)
		return -EOPNOTSUPP;
	ret = send_attach(ep->nvi, ep->nvi->identity_id, ep->id, VIRTIO_IOMMU_ATTACH_F_BYPASS);
	if (!ret)
		leave_domain(ep);
	return ret;
}

/* Blocking: a domain that never holds a mapping. */
static int nvi_attach_blocked(struct iommu_domain *domain, struct device *dev)
{
	struct nvi_endpoint *ep = dev_iommu_priv_get(dev);
	int ret;

	ret = send_attach(ep->nvi, ep->nvi->blocked_id, ep->id, 0);
	if (!ret)
		leave_domain(ep);
	return ret;
}

struct iommu_domain nvi_identity_domain = {
	.type = IOMMU_DOMAIN_IDENTITY,
	.ops = &(const struct iommu_domain_ops){ .attach_dev = nvi_attach_identity },
};

struct iommu_domain nvi_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &(const struct iommu_domain_ops){ .attach_dev = nvi_attach_blocked },
};
