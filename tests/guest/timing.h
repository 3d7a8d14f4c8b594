/* SPDX-License-Identifier: GPL-2.0 */
/* TSC timing calibrated against the RTC, and the statistics the benchmarks print. */
#ifndef GUEST_TIMING_H
#define GUEST_TIMING_H

#include <stddef.h>
#include <stdint.h>

/*
 * Measures TSC ticks per second between two RTC seconds edges (takes 1 to 2 s). Returns the
 * rate, also kept for tsc_to_ns(); 0 when the RTC never ticks.
 */
uint64_t tsc_calibrate(void);
uint64_t tsc_to_ns(uint64_t ticks);

/* The @pct-th percentile (0..100, nearest rank) of @n sorted values. */
uint64_t percentile(const uint64_t *sorted, size_t n, unsigned int pct);

#endif
