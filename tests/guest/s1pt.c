// SPDX-License-Identifier: GPL-2.0
#include "lib.h"
#include "s1pt.h"

#define POOL_PAGES 64
#define ENTRIES 512
#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_US (1ULL << 2)
#define PTE_A (1ULL << 5)
#define PTE_D (1ULL << 6)
#define PTE_PS (1ULL << 7)
#define PTE_ADDR 0x000ffffffffff000ULL
#define CANONICAL_BITS 48

static uint64_t pool[POOL_PAGES][ENTRIES] __attribute__((aligned(4096)));
static unsigned int pool_used;

static uint64_t *alloc_table(void)
{
	uint64_t *t;

	if (pool_used == POOL_PAGES)
		return NULL;
	t = pool[pool_used++];
	memset(t, 0, S1PT_4K);
	return t;
}

unsigned int s1pt_pool_left(void)
{
	return POOL_PAGES - pool_used;
}

int s1pt_init(struct s1pt *pt)
{
	pt->root = alloc_table();
	return pt->root ? 0 : -1;
}

static unsigned int index_of(uint64_t iova, unsigned int level)
{
	return (iova >> (12 + 9 * (level - 1))) & (ENTRIES - 1);
}

/*
 * The table at @level (1: the PT) that holds @iova's entry, walking down from the PML4 (level
 * 4); with @create, missing tables are added. NULL when missing or a huge leaf is in the way.
 */
static uint64_t *table_at(struct s1pt *pt, uint64_t iova, unsigned int level, int create)
{
	uint64_t *t = pt->root;

	for (unsigned int l = 4; l > level; l--) {
		uint64_t *e = &t[index_of(iova, l)];

		if (!(*e & PTE_P)) {
			uint64_t *next = create ? alloc_table() : NULL;

			if (!next)
				return NULL;
			/*
			 * VT-d first stage ANDs the rights of every level: upper entries allow
			 * everything, the leaf decides. A set now, so the walker need not write it.
			 */
			*e = (uintptr_t)next | PTE_P | PTE_RW | PTE_US | PTE_A;
		} else if (*e & PTE_PS) {
			return NULL;
		}
		t = (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
	}
	return t;
}

static int in_range(uint64_t iova, uint64_t size)
{
	return size && iova + size > iova && iova + size <= 1ULL << (CANONICAL_BITS - 1);
}

int s1pt_map(struct s1pt *pt, uint64_t iova, uint64_t gpa, uint64_t size, uint64_t page,
	     uint64_t perm)
{
	unsigned int level = page == S1PT_2M ? 2 : 1;

	if ((page != S1PT_4K && page != S1PT_2M) || (iova | gpa | size) & (page - 1) ||
	    !in_range(iova, size) || perm & ~(S1PT_W | S1PT_U))
		return -1;
	for (uint64_t off = 0; off < size; off += page) {
		uint64_t *t = table_at(pt, iova + off, level, 1), *e;

		if (!t)
			return -1;
		e = &t[index_of(iova + off, level)];
		if (*e & PTE_P)
			return -1;
		/* A and D set up front: a walker that would set them has nothing to write. */
		*e = (gpa + off) | perm | PTE_P | PTE_A | (perm & S1PT_W ? PTE_D : 0) |
		     (level == 2 ? PTE_PS : 0);
	}
	return 0;
}

int s1pt_unmap(struct s1pt *pt, uint64_t iova, uint64_t size)
{
	if ((iova | size) & (S1PT_4K - 1) || !in_range(iova, size))
		return -1;
	for (uint64_t off = 0; off < size;) {
		uint64_t at = iova + off, *pd = table_at(pt, at, 2, 0), *e;

		if (!pd)
			return -1;
		e = &pd[index_of(at, 2)];
		if ((*e & PTE_P) && (*e & PTE_PS)) {
			if (at & (S1PT_2M - 1) || size - off < S1PT_2M)
				return -1;
			*e = 0;
			off += S1PT_2M;
			continue;
		}
		if (!(*e & PTE_P))
			return -1;
		e = &((uint64_t *)(uintptr_t)(*e & PTE_ADDR))[index_of(at, 1)];
		if (!(*e & PTE_P))
			return -1;
		*e = 0;
		off += S1PT_4K;
	}
	return 0;
}
