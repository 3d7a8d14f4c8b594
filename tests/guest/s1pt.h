/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny builder of VT-d first-stage tables (x86-64 4-level paging, VT-d §3.6 / SDM vol. 3
 * §4.5) in the payload's own RAM: table pages come from a static pool, leaves are 4 KiB or
 * 2 MiB. The payload is identity-mapped, so a table's pointer is its guest-physical address,
 * which is what the device walks. After changing a mapping the caller sends INVALIDATE.
 */
#ifndef GUEST_S1PT_H
#define GUEST_S1PT_H

#include <stdint.h>

#define S1PT_4K 0x1000ULL
#define S1PT_2M 0x200000ULL

/* Leaf permissions (the P bit is implied). */
#define S1PT_W (1ULL << 1) /* R/W: writes allowed */
#define S1PT_U (1ULL << 2) /* U/S: user requests allowed (device DMA without PASID is one) */

struct s1pt {
	uint64_t *root; /* the PML4 */
};

/* A new, empty table; -1 when the pool is used up. */
int s1pt_init(struct s1pt *pt);
static inline uint64_t s1pt_root(const struct s1pt *pt)
{
	return (uintptr_t)pt->root;
}

/*
 * Maps [@iova, @iova + @size) to @gpa with leaves of @page (S1PT_4K or S1PT_2M) and
 * @perm. 0, or -1 for misalignment, a range already mapped, or no table pages left.
 */
int s1pt_map(struct s1pt *pt, uint64_t iova, uint64_t gpa, uint64_t size, uint64_t page,
	     uint64_t perm);
/*
 * Clears the leaves of [@iova, @iova + @size): whole 4 KiB or 2 MiB leaves only (a 2 MiB leaf
 * is not split). 0, or -1 when a leaf is not mapped or only partly covered.
 */
int s1pt_unmap(struct s1pt *pt, uint64_t iova, uint64_t size);
/* Table pages still free in the pool. */
unsigned int s1pt_pool_left(void);

#endif
