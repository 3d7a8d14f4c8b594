// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated virtio-iommu backend: each domain is a mapping tree (maptree.h), so lookup,
 * insert and delete are O(log n) and UNMAP of k mappings is O(k log n). Locking is the
 * model's (see backend.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "backend.h"
#include "maptree.h"

struct emu_domain {
	struct maptree maps;
	bool bypass;
};

struct emu_backend {
	struct viommu_backend be; /* first: handed out as the public object */
	unsigned long max_mappings, count;
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
	m = maptree_find(&d->maps, iova);
	if (!m)
		return -ENOENT;
	left = m->end - iova; /* bytes after @iova */
	*gpa = m->gpa + (iova - m->start);
	*contig = left == UINT64_MAX ? UINT64_MAX : left + 1;
	*flags = m->flags;
	return 0;
}

static const struct viommu_backend_ops emu_ops = {
	.name = "emulated",
	.domain_alloc = emu_domain_alloc,
	.domain_free = emu_domain_free,
	.map = emu_map,
	.unmap = emu_unmap,
	.translate = emu_translate,
};

struct viommu_backend *viommu_emulated_backend_create(unsigned long max_mappings)
{
	struct emu_backend *eb = calloc(1, sizeof(*eb));

	if (!eb)
		return NULL;
	eb->be.ops = &emu_ops;
	eb->be.ctx = eb;
	eb->max_mappings = max_mappings;
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
