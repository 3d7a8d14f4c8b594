/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake iommufd for backend tests (struct shadow_iommufd_ops): IOASes that record their areas
 * and answer as the kernel does (EEXIST on overlap, ENOENT on an unmap that would split an
 * area or finds nothing, iova 0 + UINT64_MAX unmaps all), with failures on demand.
 */
#ifndef NESTVM_FAKE_IOAS_H
#define NESTVM_FAKE_IOAS_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/backend_shadow.h"

#define FAKE_MAX_AREAS 8192
#define FAKE_MAX_IOAS 16

struct fake_area {
	uint32_t ioas;
	uint64_t iova, len;
	const uint8_t *va;
	uint32_t prot;
};

struct fake_iommufd {
	struct fake_area areas[FAKE_MAX_AREAS];
	unsigned int nr_areas;
	bool alive[FAKE_MAX_IOAS]; /* ids 1.. */
	unsigned long maps, unmaps;
	int fail_map_after; /* > 0: that many more maps succeed, then every one fails -EIO */
	int fail_one_map; /* > 0: that many more maps succeed, then one fails -EIO */
	uint64_t vtd_cap; /* for hw_info: 0 answers a non-VT-d IOMMU */
	/*
	 * Watched addresses: after every map and unmap each must still be mapped in IOAS
	 * @watch_ioas; @watch_gaps counts the times one was not (a DMA there would fault).
	 */
	uint32_t watch_ioas;
	uint64_t watch[4];
	unsigned int nr_watch;
	unsigned long watch_gaps;
};

extern const struct shadow_iommufd_ops fake_iommufd_ops;

void fake_iommufd_init(struct fake_iommufd *f);
/* The area of @ioas holding @iova, or NULL. */
const struct fake_area *fake_area_at(const struct fake_iommufd *f, uint32_t ioas, uint64_t iova);
/* Areas @ioas holds. */
unsigned int fake_ioas_areas(const struct fake_iommufd *f, uint32_t ioas);
/* Sorts the areas by IOAS and IOVA, so that two states compare with memcmp(). */
void fake_sort_areas(struct fake_iommufd *f);
/* How many IOASes exist. */
unsigned int fake_ioas_count(const struct fake_iommufd *f);

#endif
