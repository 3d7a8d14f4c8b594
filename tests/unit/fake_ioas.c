// SPDX-License-Identifier: GPL-2.0
/* The fake iommufd of fake_ioas.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fake_ioas.h"
#include "iommu/uapi_compat.h"

static bool alive(const struct fake_iommufd *f, uint32_t id)
{
	return id && id < FAKE_MAX_IOAS && f->alive[id];
}

static int fake_alloc(void *ctx, uint32_t *id)
{
	struct fake_iommufd *f = ctx;

	for (uint32_t i = 1; i < FAKE_MAX_IOAS; i++) {
		if (!f->alive[i]) {
			f->alive[i] = true;
			*id = i;
			return 0;
		}
	}
	return -ENOMEM;
}

static void remove_at(struct fake_iommufd *f, unsigned int i)
{
	f->areas[i] = f->areas[--f->nr_areas];
}

static void check_watched(struct fake_iommufd *f)
{
	for (unsigned int i = 0; i < f->nr_watch; i++)
		if (!fake_area_at(f, f->watch_ioas, f->watch[i]))
			f->watch_gaps++;
}

static int fake_destroy(void *ctx, uint32_t id)
{
	struct fake_iommufd *f = ctx;

	if (!alive(f, id))
		return -ENOENT;
	for (unsigned int i = f->nr_areas; i-- > 0;)
		if (f->areas[i].ioas == id)
			remove_at(f, i);
	f->alive[id] = false;
	return 0;
}

static int fake_map(void *ctx, uint32_t id, const void *va, uint64_t len, uint64_t iova,
		    uint32_t prot)
{
	struct fake_iommufd *f = ctx;

	if (!alive(f, id))
		return -ENOENT;
	if (!len || iova + len - 1 < iova || !(prot & IOMMU_IOAS_MAP_READABLE))
		return -EINVAL;
	if (f->fail_map_after > 0 && !--f->fail_map_after)
		f->fail_map_after = -1;
	if (f->fail_map_after < 0)
		return -EIO;
	if (f->fail_one_map > 0 && !--f->fail_one_map)
		return -EIO;
	for (unsigned int i = 0; i < f->nr_areas; i++) {
		const struct fake_area *a = &f->areas[i];

		if (a->ioas == id && iova <= a->iova + a->len - 1 && a->iova <= iova + len - 1)
			return -EEXIST;
	}
	if (f->nr_areas == FAKE_MAX_AREAS)
		return -ENOMEM;
	f->areas[f->nr_areas++] = (struct fake_area){ id, iova, len, va, prot };
	f->maps++;
	check_watched(f);
	return 0;
}

static int fake_unmap(void *ctx, uint32_t id, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	struct fake_iommufd *f = ctx;
	uint64_t last = iova + len - 1, got = 0;
	bool all = !iova && len == UINT64_MAX;

	if (!alive(f, id))
		return -ENOENT;
	if (!len || (!all && last < iova))
		return -EINVAL;
	if (all)
		last = UINT64_MAX;
	for (unsigned int i = 0; i < f->nr_areas; i++) {
		const struct fake_area *a = &f->areas[i];

		if (a->ioas != id || a->iova > last || a->iova + a->len - 1 < iova)
			continue;
		if (a->iova < iova || a->iova + a->len - 1 > last)
			return -ENOENT; /* would split it */
	}
	for (unsigned int i = f->nr_areas; i-- > 0;) {
		const struct fake_area *a = &f->areas[i];

		if (a->ioas == id && a->iova >= iova && a->iova + a->len - 1 <= last) {
			got += a->len;
			remove_at(f, i);
		}
	}
	if (!got)
		return -ENOENT;
	f->unmaps++;
	if (unmapped)
		*unmapped = got;
	check_watched(f);
	return 0;
}

static int fake_hw_info(void *ctx, uint32_t dev_id, struct iommufd_hw_info *info)
{
	struct fake_iommufd *f = ctx;
	struct iommu_hw_info_vtd vtd = { .cap_reg = f->vtd_cap, .ecap_reg = 1 };

	(void)dev_id;
	memset(info, 0, sizeof(*info));
	if (!f->vtd_cap)
		return 0;
	info->type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	info->data_len = sizeof(vtd);
	memcpy(info->data, &vtd, sizeof(vtd));
	return 0;
}

const struct shadow_iommufd_ops fake_iommufd_ops = {
	.ioas_alloc = fake_alloc,
	.destroy = fake_destroy,
	.map = fake_map,
	.unmap = fake_unmap,
	.hw_info = fake_hw_info,
};

void fake_iommufd_init(struct fake_iommufd *f)
{
	memset(f, 0, sizeof(*f));
}

const struct fake_area *fake_area_at(const struct fake_iommufd *f, uint32_t ioas, uint64_t iova)
{
	for (unsigned int i = 0; i < f->nr_areas; i++) {
		const struct fake_area *a = &f->areas[i];

		if (a->ioas == ioas && iova >= a->iova && iova - a->iova < a->len)
			return a;
	}
	return NULL;
}

unsigned int fake_ioas_areas(const struct fake_iommufd *f, uint32_t ioas)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < f->nr_areas; i++)
		n += f->areas[i].ioas == ioas;
	return n;
}

unsigned int fake_ioas_count(const struct fake_iommufd *f)
{
	unsigned int n = 0;

	for (unsigned int i = 1; i < FAKE_MAX_IOAS; i++)
		n += f->alive[i];
	return n;
}

static int area_cmp(const void *a, const void *b)
{
	const struct fake_area *x = a, *y = b;

	if (x->ioas != y->ioas)
		return x->ioas < y->ioas ? -1 : 1;
	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

void fake_sort_areas(struct fake_iommufd *f)
{
	qsort(f->areas, f->nr_areas, sizeof(f->areas[0]), area_cmp);
}
