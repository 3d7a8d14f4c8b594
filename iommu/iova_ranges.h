/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IOVA ranges as the kernel reports them (IOMMU_IOAS_IOVA_RANGES) and the holes between them:
 * what a VFIO device cannot reach through its IOMMU, to be reported to the guest as reserved.
 */
#ifndef NESTVM_IOMMU_IOVA_RANGES_H
#define NESTVM_IOMMU_IOVA_RANGES_H

#include <stddef.h>
#include <stdint.h>

/* [start, last], inclusive; the layout of struct iommu_iova_range. */
struct iova_span {
	uint64_t start, last;
};

/*
 * The holes of the 64-bit IOVA space around @n @allowed ranges (ascending, disjoint), less
 * [@skip_start, @skip_last] (the MSI doorbell, reported on its own). Writes up to @cap holes to
 * @out in ascending order and returns how many there are (more than @cap: not all written).
 */
size_t iova_holes(const struct iova_span *allowed, size_t n, uint64_t skip_start,
		  uint64_t skip_last, struct iova_span *out, size_t cap);

#endif
