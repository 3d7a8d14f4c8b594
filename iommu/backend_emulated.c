// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated virtio-iommu backend: each domain is a mapping tree (maptree.h), so lookup,
 * insert and delete are O(log n) and UNMAP of k mappings is O(k log n); or, with the nesting
 * extension, the guest's own VT-d first-stage table, walked at every lookup through a per-thread
 * paging-structure cache (pgtable_x86.h) that INVALIDATE empties. Locking is the model's
 * (backend.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "maptree.h"
#include "pgtable_x86.h"
#include "viommu_nested.h"

/* Guest-physical address bits the walker accepts in table entries: x86's architectural most. */
#define EMU_MAXPHYADDR 52

struct emu_domain {
	struct maptree maps;
	bool bypass;
	bool has_table;
	struct pgtable_x86 pt;
};

/*
 * Each thread's paging-structure cache, for the domain it last walked, good while the
 * generation is the one it was filled under. Every INVALIDATE, table attach and domain free
 * moves the generation (one for all backends, so a freed domain's address reused by another
 * backend cannot match), so no thread walks from a cached entry an INVALIDATE dropped once that
 * INVALIDATE returned; the model's DMA fence then waits for the copies that did.
 */
static uint64_t walk_generation = 1;

static __thread struct {
	const struct emu_domain *domain;
	uint64_t generation;
	struct pgtable_x86_cache pdes;
} walk_cache;

static void drop_walk_caches(void)
{
	__atomic_add_fetch(&walk_generation, 1, __ATOMIC_RELEASE);
}

static struct pgtable_x86_cache *walk_cache_for(const struct emu_domain *d)
{
	uint64_t gen = __atomic_load_n(&walk_generation, __ATOMIC_ACQUIRE);

	if (walk_cache.domain != d || walk_cache.generation != gen) {
		memset(&walk_cache.pdes, 0, sizeof(walk_cache.pdes));
		walk_cache.domain = d;
		walk_cache.generation = gen;
	}
	return &walk_cache.pdes;
}

struct emu_backend {
	struct viommu_backend be; /* first: handed out as the public object */
	unsigned long max_mappings, count;
	const struct gmem *mem; /* where guest tables are read; NULL: no tables */
};

static int emu_domain_alloc(void *ctx, bool bypass, void **domain)
{
	struct emu_domain *d = calloc(1, sizeof(*d));

	(void)ctx;
	if (!d)
		return -ENOMEM;
	d->bypass = bypass;
	*domain = d;
	return 0;
}

static void emu_domain_free(void *ctx, void *domain)
{
	struct emu_backend *eb = ctx;
	struct emu_domain *d = domain;

	if (!d)
		return;
	eb->count -= d->maps.count;
	maptree_clear(&d->maps);
	free(d);
	drop_walk_caches();
}

static int emu_map(void *ctx, void *domain, uint64_t iova, uint64_t iova_end, uint64_t gpa,
		   uint32_t flags)
{
	struct emu_backend *eb = ctx;
	struct emu_domain *d = domain;
	int ret;

	if (iova_end < iova)
		return -EINVAL;
	if (maptree_overlaps(&d->maps, iova, iova_end))
		return -EEXIST;
	if (eb->count >= eb->max_mappings)
		return -ENOSPC;
	ret = maptree_insert(&d->maps, iova, iova_end, gpa, flags);
	if (!ret)
		eb->count++;
	return ret;
}

static int emu_unmap(void *ctx, void *domain, uint64_t start, uint64_t end)
{
	struct emu_backend *eb = ctx;
	struct emu_domain *d = domain;
	int ret = maptree_check_unmap(&d->maps, start, end);

	if (ret)
		return ret;
	eb->count -= maptree_remove(&d->maps, start, end);
	return 0;
}

static int emu_translate(void *ctx, void *domain, uint64_t iova, uint64_t *gpa, uint64_t *contig,
			 uint32_t *flags)
{
	const struct emu_domain *d = domain;
	const struct maptree_map *m;
	uint64_t left;

	(void)ctx;
	if (d->has_table) {
		struct pgtable_xlate x;

		/* Walked for a read: the flags say whether a write would pass too. */
		if (pgtable_x86_translate_cached(&d->pt, walk_cache_for(d), iova, false, &x))
			return -ENOENT;
		*gpa = x.gpa;
		*contig = x.page_size - (iova & (x.page_size - 1));
		*flags = VIOMMU_MAP_READ | (x.writable ? VIOMMU_MAP_WRITE : 0);
		return 0;
	}
	m = maptree_find(&d->maps, iova);
	if (!m)
		return -ENOENT;
	left = m->end - iova; /* bytes after @iova */
	*gpa = m->gpa + (iova - m->start);
	*contig = left == UINT64_MAX ? UINT64_MAX : left + 1;
	*flags = m->flags;
	return 0;
}

static unsigned int emu_table_formats(void *ctx, void *ep, struct viommu_table_format *out,
				      unsigned int max)
{
	struct emu_backend *eb = ctx;

	(void)ep;
	if (!eb->mem || !max)
		return 0;
	/* What the walker does: 4- and 5-level, 4K/2M/1G leaves, no PASIDs. */
	out[0] = (struct viommu_table_format){
		.format = VIRTIO_IOMMU_FORMAT_VTD_S1,
		.pasid_bits = 0,
		.address_bits = 57,
		.caps = VIRTIO_IOMMU_VTD_CAP_5LEVEL | VIRTIO_IOMMU_VTD_CAP_1G |
			VIRTIO_IOMMU_VTD_CAP_SRE | VIRTIO_IOMMU_VTD_CAP_EAFE,
		.page_sizes = (1ULL << 12) | (1ULL << 21) | (1ULL << 30),
	};
	return 1;
}

static int emu_set_table(void *ctx, void *domain, const struct viommu_table *t)
{
	struct emu_backend *eb = ctx;
	struct emu_domain *d = domain;

	if (!eb->mem || t->format != VIRTIO_IOMMU_FORMAT_VTD_S1 || d->maps.count)
		return -EOPNOTSUPP;
	d->has_table = true;
	drop_walk_caches();
	/*
	 * Device DMA without a PASID is a user-privilege request: R/W is always enforced, and
	 * WPE (which only changes supervisor writes) has nothing to change.
	 */
	d->pt = (struct pgtable_x86){
		.mem = eb->mem,
		.root = t->root,
		.levels = t->flags & VIRTIO_IOMMU_VTD_S1_5LEVEL ? 5 : 4,
		.maxphyaddr = EMU_MAXPHYADDR,
		.wp = true,
		.allow_1g = true,
	};
	return 0;
}

static int emu_invalidate(void *ctx, void *domain, const struct viommu_inval *inv, unsigned int n,
			  unsigned int *done)
{
	(void)ctx;
	(void)domain;
	(void)inv;
	drop_walk_caches(); /* every domain's, whatever the range: invalidations are rare here */
	*done = n;
	return 0;
}

static const struct viommu_backend_ops emu_ops = {
	.name = "emulated",
	.domain_alloc = emu_domain_alloc,
	.domain_free = emu_domain_free,
	.map = emu_map,
	.unmap = emu_unmap,
	.translate = emu_translate,
	.table_formats = emu_table_formats,
	.set_table = emu_set_table,
	.invalidate = emu_invalidate,
};

struct viommu_backend *viommu_emulated_backend_create(unsigned long max_mappings,
						      const struct gmem *mem)
{
	struct emu_backend *eb = calloc(1, sizeof(*eb));

	if (!eb)
		return NULL;
	eb->be.ops = &emu_ops;
	eb->be.ctx = eb;
	eb->max_mappings = max_mappings;
	eb->mem = mem;
	return &eb->be;
}

void viommu_emulated_backend_destroy(struct viommu_backend *be)
{
	free(be);
}

unsigned long viommu_emulated_backend_count(const struct viommu_backend *be)
{
	return ((const struct emu_backend *)be)->count;
}
