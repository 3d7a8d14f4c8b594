// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow backend (backend_shadow.h): the viommu table-backend ops, the formats offered and
 * the host's address width. shadow_sync.c does the mirroring.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend_ioas.h"
#include "shadow_internal.h"
#include "shadow_iommufd.h"
#include "uapi_compat.h"
#include "viommu_nested.h"
#include "vmm/log.h"

/* Guest-physical address bits the walker accepts in table entries: x86's architectural most. */
#define SHADOW_MAXPHYADDR 52
#define PAGE_SHIFT 12

/* VT-d capability register fields (VT-d spec §11.4.2). */
#define VTD_CAP_SAGAW(cap) (((cap) >> 8) & 0x1f)
#define VTD_CAP_MGAW(cap) ((((cap) >> 16) & 0x3f) + 1)

static struct shadow_backend *to_sb(const struct viommu_backend *be)
{
	return (struct shadow_backend *)be;
}

bool shadow_log_first(struct shadow_backend *sb, enum shadow_log kind)
{
	return !__atomic_fetch_add(&sb->logged[kind], 1, __ATOMIC_RELAXED);
}

static int shadow_domain_alloc(void *ctx, bool bypass, void **domain)
{
	struct shadow_backend *sb = ctx;
	struct shadow_domain *d;
	int ret;

	if (bypass)
		return -EOPNOTSUPP; /* table domains only: the ioas backend has bypass */
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = sb->ops->ioas_alloc(sb->ops_ctx, &d->ioas_id);
	if (ret) {
		if (shadow_log_first(sb, SLOG_ALLOC))
			pr_err("viommu shadow: IOMMU_IOAS_ALLOC: %s", strerror(-ret));
		free(d);
		return ret == -ENOMEM ? -ENOMEM : -EIO;
	}
	*domain = d;
	return 0;
}

static void shadow_domain_free(void *ctx, void *domain)
{
	struct shadow_backend *sb = ctx;
	struct shadow_domain *d = domain;
	int ret;

	if (!d)
		return;
	/* Destroying the IOAS drops its areas and unpins the pages in one go. */
	ret = sb->ops->destroy(sb->ops_ctx, d->ioas_id);
	if (ret && shadow_log_first(sb, SLOG_DESTROY))
		pr_err("viommu shadow: destroying IOAS %u: %s", d->ioas_id, strerror(-ret));
	__atomic_fetch_sub(&sb->stats.areas, d->areas.count, __ATOMIC_RELAXED);
	maptree_clear(&d->areas);
	free(d);
}

/* The device moves onto the domain's IOAS (a replace); it stays where it was on failure. */
static int shadow_attach(void *ctx, void *domain, void *ep_opaque)
{
	struct shadow_backend *sb = ctx;
	const struct shadow_domain *d = domain;
	struct ioas_endpoint *ep = ep_opaque;
	int ret;

	if (ep->cur_ioas == d->ioas_id)
		return 0;
	ret = ep->attach_pt(ep->dev, d->ioas_id);
	if (ret) {
		if (shadow_log_first(sb, SLOG_ATTACH))
			pr_err("viommu shadow: %s: attach to IOAS %u: %s",
			       ep->name ? ep->name : "endpoint", d->ioas_id, strerror(-ret));
		return ret;
	}
	ep->cur_ioas = d->ioas_id;
	return 0;
}

static unsigned int shadow_table_formats(void *ctx, void *ep, struct viommu_table_format *out,
					 unsigned int max)
{
	const struct shadow_backend *sb = ctx;

	(void)ep;
	if (!max)
		return 0;
	/*
	 * What the walker does (4/5-level, 4K/2M/1G leaves, no PASIDs) within what the host can
	 * map: 5-level tables only help a host wider than 48 bits. SRE and EAFE are ignored
	 * (DMA without a PASID is a user request), so a guest may set them. CM: the mirror
	 * learns of new entries only from an INVALIDATE, as VT-d's caching mode.
	 */
	out[0] = (struct viommu_table_format){
		.format = VIRTIO_IOMMU_FORMAT_VTD_S1,
		.pasid_bits = 0,
		.address_bits = sb->address_bits,
		.caps = VIRTIO_IOMMU_VTD_CAP_1G | VIRTIO_IOMMU_VTD_CAP_SRE |
			VIRTIO_IOMMU_VTD_CAP_EAFE | VIRTIO_IOMMU_VTD_CAP_CM |
			(sb->address_bits > 48 ? VIRTIO_IOMMU_VTD_CAP_5LEVEL : 0),
		.page_sizes = (1ULL << 12) | (1ULL << 21) | (1ULL << 30),
	};
	return 1;
}

/* The errors the model turns into statuses (backend.h); the rest are device errors. */
static int set_table_errno(int err)
{
	switch (err) {
	case -EFAULT: /* a malformed table */
		return -EINVAL;
	case -E2BIG:
	case -ENOSPC:
	case -ENOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static int shadow_set_table(void *ctx, void *domain, const struct viommu_table *t)
{
	struct shadow_backend *sb = ctx;
	struct shadow_domain *d = domain;
	bool five = t->flags & VIRTIO_IOMMU_VTD_S1_5LEVEL;
	int ret;

	if (t->format != VIRTIO_IOMMU_FORMAT_VTD_S1 || d->has_table ||
	    (five && sb->address_bits <= 48))
		return -EOPNOTSUPP;
	/*
	 * Device DMA without a PASID is a user-privilege request: R/W is always enforced, and
	 * WPE (which only changes supervisor writes) has nothing to change.
	 */
	d->pt = (struct pgtable_x86){
		.mem = sb->mem,
		.root = t->root,
		.levels = five ? 5 : 4,
		.maxphyaddr = SHADOW_MAXPHYADDR,
		.wp = true,
		.allow_1g = true,
	};
	/* The lower canonical half, within the host's width; the upper half is never wide enough.
	 */
	d->limit = (1ULL << (five ? 56 : 47)) - 1;
	if (sb->address_bits < 64 && d->limit > (1ULL << sb->address_bits) - 1)
		d->limit = (1ULL << sb->address_bits) - 1;
	d->has_table = true;
	ret = shadow_sync(sb, d, 0, UINT64_MAX);
	return ret ? set_table_errno(ret) : 0;
}

static int shadow_invalidate(void *ctx, void *domain, const struct viommu_inval *inv,
			     unsigned int n, unsigned int *done)
{
	struct shadow_backend *sb = ctx;
	struct shadow_domain *d = domain;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = inv[i].all ? shadow_sync(sb, d, 0, UINT64_MAX)
				 : shadow_sync(sb, d, inv[i].start, inv[i].end);
		if (ret) {
			*done = i;
			return ret;
		}
	}
	*done = n;
	return 0;
}

static const struct viommu_backend_ops shadow_ops = {
	.name = "shadow",
	.domain_alloc = shadow_domain_alloc,
	.domain_free = shadow_domain_free,
	.attach = shadow_attach,
	/* no unattached, map, unmap or translate: the ioas backend and the host IOMMU have them */
	.table_formats = shadow_table_formats,
	.set_table = shadow_set_table,
	.invalidate = shadow_invalidate,
};

/* Guest RAM in 4 KiB pages: enough leaves or areas to map all of it once. */
static unsigned long ram_pages(const struct gmem *mem)
{
	unsigned long pages = 0;

	for (unsigned int i = 0; i < mem->count && i < GMEM_MAX_REGIONS; i++)
		if (mem->regions[i].hva)
			pages += mem->regions[i].size >> PAGE_SHIFT;
	return pages ? pages : 1;
}

struct viommu_backend *shadow_backend_create_ops(const struct shadow_iommufd_ops *ops, void *ctx,
						 const struct gmem *mem,
						 const struct shadow_params *p)
{
	struct shadow_backend *sb = calloc(1, sizeof(*sb));

	if (!sb)
		return NULL;
	sb->be.ops = &shadow_ops;
	sb->be.ctx = sb;
	sb->ops = ops;
	sb->ops_ctx = ctx;
	sb->fd = -1;
	sb->mem = mem;
	sb->max_leaves = p && p->max_leaves ? p->max_leaves : ram_pages(mem);
	sb->max_areas = p && p->max_areas ? p->max_areas : ram_pages(mem);
	sb->address_bits = 57;
	return &sb->be;
}

struct viommu_backend *shadow_backend_create(int iommufd, const struct gmem *mem,
					     const struct shadow_params *p)
{
	struct viommu_backend *be = shadow_backend_create_ops(&shadow_iommufd_real, NULL, mem, p);

	if (be) {
		to_sb(be)->fd = iommufd;
		to_sb(be)->ops_ctx = &to_sb(be)->fd;
	}
	return be;
}

void shadow_backend_destroy(struct viommu_backend *be)
{
	free(to_sb(be));
}

/* The IOVA width a VT-d with capability register @cap maps: MGAW, within SAGAW's widest. */
static unsigned int vtd_width(uint64_t cap)
{
	unsigned int width = VTD_CAP_MGAW(cap), sagaw = VTD_CAP_SAGAW(cap), widest = 0;

	/* SAGAW bit 1: 39 bits (3-level), 2: 48 (4-level), 3: 57 (5-level). */
	for (unsigned int bit = 1; bit <= 3; bit++)
		if (sagaw & (1u << bit))
			widest = 30 + 9 * bit;
	return widest && widest < width ? widest : width;
}

int shadow_backend_add_device(struct viommu_backend *be, uint32_t dev_id)
{
	struct shadow_backend *sb = to_sb(be);
	struct iommufd_hw_info info;
	struct iommu_hw_info_vtd vtd;
	unsigned int width;
	int ret = sb->ops->hw_info(sb->ops_ctx, dev_id, &info);

	if (ret) {
		pr_err("viommu shadow: IOMMU_GET_HW_INFO of device %u: %s", dev_id, strerror(-ret));
		return ret;
	}
	if (info.type != IOMMU_HW_INFO_TYPE_INTEL_VTD || info.data_len < sizeof(vtd))
		return 0;
	memcpy(&vtd, info.data, sizeof(vtd));
	width = vtd_width(vtd.cap_reg);
	if (width < 32) {
		pr_err("viommu shadow: device %u: VT-d cap %#llx gives a %u-bit address width",
		       dev_id, (unsigned long long)vtd.cap_reg, width);
		return -EINVAL;
	}
	if (width < sb->address_bits)
		sb->address_bits = width;
	return width;
}

unsigned int shadow_backend_address_bits(const struct viommu_backend *be)
{
	return to_sb(be)->address_bits;
}

void shadow_backend_stats(const struct viommu_backend *be, struct shadow_stats *out)
{
	const struct shadow_stats *s = &to_sb(be)->stats;

	out->maps = __atomic_load_n(&s->maps, __ATOMIC_RELAXED);
	out->unmaps = __atomic_load_n(&s->unmaps, __ATOMIC_RELAXED);
	out->leaves = __atomic_load_n(&s->leaves, __ATOMIC_RELAXED);
	out->outside_ram = __atomic_load_n(&s->outside_ram, __ATOMIC_RELAXED);
	out->doorbell = __atomic_load_n(&s->doorbell, __ATOMIC_RELAXED);
	out->walk_errors = __atomic_load_n(&s->walk_errors, __ATOMIC_RELAXED);
	out->host_errors = __atomic_load_n(&s->host_errors, __ATOMIC_RELAXED);
	out->syncs = __atomic_load_n(&s->syncs, __ATOMIC_RELAXED);
	out->areas = __atomic_load_n(&s->areas, __ATOMIC_RELAXED);
}
