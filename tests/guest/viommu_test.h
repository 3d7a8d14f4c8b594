/* SPDX-License-Identifier: GPL-2.0 */
/* The payload's two programs: checks of the virtio-iommu from a guest, and its benchmark. */
#ifndef GUEST_VIOMMU_TEST_H
#define GUEST_VIOMMU_TEST_H

#include <stdint.h>

/* Runs every check; returns the number that failed. @ram_end: the end of guest RAM. */
unsigned int viommu_test(uint64_t ram_end);
#define VIOMMU_BENCH_ANY_EP UINT64_MAX
/*
 * Prints the benchmark table; @iters scales every measurement, @endpoint is the endpoint ID
 * to map for (VIOMMU_BENCH_ANY_EP: the first virtio-mmio device behind the vIOMMU).
 * Returns 0 or 1 (no device).
 */
int viommu_bench(uint64_t iters, uint64_t endpoint);

#endif
