/* SPDX-License-Identifier: GPL-2.0 */
/* The cost of INVALIDATE from a guest that shares its page tables (nesting extension). */
#ifndef GUEST_INVAL_BENCH_H
#define GUEST_INVAL_BENCH_H

#include <stdint.h>

#define INVAL_BENCH_ANY_EP UINT64_MAX

/*
 * Attaches a table for @endpoint (INVAL_BENCH_ANY_EP: the first virtio-mmio device behind the
 * vIOMMU) in the first format its PROBE reports (VT-d, else the selftest mock's), then prints
 * the table: a null MMIO exit, one INVALIDATE RANGE per notify, batches of 1, 8 and 32.
 * @iters scales every measurement. Returns 0, or 1 when nothing could be attached.
 */
int inval_bench(uint64_t iters, uint64_t endpoint);

#endif
