// SPDX-License-Identifier: GPL-2.0
/*
 * The domain's I/O page table: x86-64 4-level paging, the format of VT-d first-stage
 * translation (docs/virtio-iommu-nested.md, format 1). Leaves are 4 KiB PTEs, 2 MiB PDEs or
 * 1 GiB PDPTEs. Requests without PASID are user requests for first-stage translation, so
 * every level has U/S set; A is preset, and D on writable leaves, so the device never has to
 * write an entry back.
 *
 * Map and unmap run on many CPUs at once for disjoint ranges and take no lock: a new table is
 * installed with cmpxchg (the loser frees its page), a leaf is a single 64-bit store. Table
 * pages are never freed while the domain lives (an emptied table stays for the next map
 * there), so no walk the device or another CPU is doing can meet a freed table; they go with
 * the domain, after its last endpoint left it (the device forgot the table by then).
 */
#include <linux/bits.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/sizes.h>

#include "pgtable.h"

#define PTE_P BIT_ULL(0)
#define PTE_RW BIT_ULL(1)
#define PTE_US BIT_ULL(2)
#define PTE_A BIT_ULL(5)
#define PTE_D BIT_ULL(6)
#define PTE_PS BIT_ULL(7)
#define PTE_ADDR GENMASK_ULL(51, 12)

#define PT_LEVELS 4
#define PT_ENTRIES 512

static unsigned int level_shift(int level)
{
	return 12 + 9 * (level - 1);
}

static u64 *entry_at(u64 *table, unsigned long iova, int level)
{
	return &table[(iova >> level_shift(level)) & (PT_ENTRIES - 1)];
}

static u64 *table_of(u64 entry)
{
	return phys_to_virt(entry & PTE_ADDR);
}

static bool is_leaf(u64 entry, int level)
{
	return level == 1 || (entry & PTE_PS);
}

static int leaf_level(size_t pgsize)
{
	switch (pgsize) {
	case SZ_4K:
		return 1;
	case SZ_2M:
		return 2;
	case SZ_1G:
		return 3;
	default:
		return -EINVAL;
	}
}

int nvi_pt_init(struct nvi_pgtable *pt, gfp_t gfp)
{
	pt->root = (u64 *)get_zeroed_page(gfp);
	return pt->root ? 0 : -ENOMEM;
}

static void free_table(u64 *table, int level)
{
	for (int i = 0; level > 1 && i < PT_ENTRIES; i++) {
		u64 e = table[i];

		if ((e & PTE_P) && !is_leaf(e, level))
			free_table(table_of(e), level - 1);
	}
	free_page((unsigned long)table);
}

void nvi_pt_free(struct nvi_pgtable *pt)
{
	if (pt->root)
		free_table(pt->root, PT_LEVELS);
	pt->root = NULL;
}

/*
 * The entry for @iova at @level, making the tables above it as needed. ERR_PTR(-EEXIST) when
 * a leaf above @level already covers @iova.
 */
static u64 *walk_alloc(struct nvi_pgtable *pt, unsigned long iova, int level, gfp_t gfp)
{
	u64 *table = pt->root;

	for (int l = PT_LEVELS; l > level; l--) {
		u64 *e = entry_at(table, iova, l);
		u64 old = READ_ONCE(*e);

		if (!(old & PTE_P)) {
			u64 *fresh = (u64 *)get_zeroed_page(gfp);
			u64 want;

			if (!fresh)
				return ERR_PTR(-ENOMEM);
			want = virt_to_phys(fresh) | PTE_P | PTE_RW | PTE_US | PTE_A;
			old = cmpxchg64(e, 0, want);
			if (old)
				free_page((unsigned long)fresh);
			else
				old = want;
		}
		if (is_leaf(old, l))
			return ERR_PTR(-EEXIST);
		table = table_of(old);
	}
	return entry_at(table, iova, level);
}

static u64 leaf_entry(phys_addr_t paddr, int level, int prot)
{
	u64 e = (paddr & PTE_ADDR) | PTE_P | PTE_US | PTE_A;

	if (prot & IOMMU_WRITE)
		e |= PTE_RW | PTE_D;
	if (level > 1)
		e |= PTE_PS;
	return e;
}

static int map_one(struct nvi_pgtable *pt, unsigned long iova, phys_addr_t paddr, size_t pgsize,
		   int prot, gfp_t gfp)
{
	int level = leaf_level(pgsize);
	u64 *e, old;

	if (level < 0)
		return level;
	e = walk_alloc(pt, iova, level, gfp);
	if (IS_ERR(e))
		return PTR_ERR(e);
	old = cmpxchg64(e, 0, leaf_entry(paddr, level, prot));
	if (!old)
		return 0;
	if ((old & PTE_P) && !is_leaf(old, level)) {
		/*
		 * An emptied table of smaller pages is still here (tables live as long as the
		 * domain): map the huge page as small pages in it.
		 */
		for (size_t off = 0; off < pgsize; off += SZ_4K) {
			int ret = map_one(pt, iova + off, paddr + off, SZ_4K, prot, gfp);

			if (ret) {
				nvi_pt_unmap(pt, iova, off);
				return ret;
			}
		}
		return 0;
	}
	return -EEXIST;
}

int nvi_pt_map(struct nvi_pgtable *pt, unsigned long iova, phys_addr_t paddr, size_t pgsize,
	       size_t pgcount, int prot, gfp_t gfp, size_t *mapped)
{
	for (size_t i = 0; i < pgcount; i++) {
		int ret = map_one(pt, iova, paddr, pgsize, prot, gfp);

		if (ret)
			return ret;
		iova += pgsize;
		paddr += pgsize;
		*mapped += pgsize;
	}
	return 0;
}

/* The leaf that maps @iova and its level, or NULL. */
static u64 *find_leaf(struct nvi_pgtable *pt, unsigned long iova, int *level)
{
	u64 *table = pt->root;

	for (int l = PT_LEVELS; l >= 1; l--) {
		u64 *e = entry_at(table, iova, l);
		u64 v = READ_ONCE(*e);

		if (!(v & PTE_P))
			return NULL;
		if (is_leaf(v, l)) {
			*level = l;
			return e;
		}
		table = table_of(v);
	}
	return NULL;
}

/*
 * Clears the leaves in [iova, iova + size); a huge leaf goes whole. Returns the bytes it
 * unmapped, stopping at the first hole (the core asks only for what it mapped).
 */
size_t nvi_pt_unmap(struct nvi_pgtable *pt, unsigned long iova, size_t size)
{
	size_t done = 0;

	while (done < size) {
		int level;
		u64 *e = find_leaf(pt, iova + done, &level);
		size_t leaf;

		if (!e)
			break;
		leaf = 1UL << level_shift(level);
		WRITE_ONCE(*e, 0);
		done += leaf - ((iova + done) & (leaf - 1));
	}
	return done;
}

phys_addr_t nvi_pt_iova_to_phys(struct nvi_pgtable *pt, unsigned long iova)
{
	int level;
	u64 *e = find_leaf(pt, iova, &level);
	u64 mask;

	if (!e)
		return 0;
	mask = (1ULL << level_shift(level)) - 1;
	return ((READ_ONCE(*e) & PTE_ADDR) & ~mask) | (iova & mask);
}

static int for_each_in(u64 *table, int level, unsigned long base, nvi_leaf_fn fn, void *opaque)
{
	for (int i = 0; i < PT_ENTRIES; i++) {
		u64 e = READ_ONCE(table[i]);
		unsigned long iova = base + ((unsigned long)i << level_shift(level));
		int ret;

		if (!(e & PTE_P))
			continue;
		if (is_leaf(e, level))
			ret = fn(opaque, iova, e & PTE_ADDR, 1UL << level_shift(level), e & PTE_RW);
		else
			ret = for_each_in(table_of(e), level - 1, iova, fn, opaque);
		if (ret)
			return ret;
	}
	return 0;
}

int nvi_pt_for_each_leaf(struct nvi_pgtable *pt, nvi_leaf_fn fn, void *opaque)
{
	return for_each_in(pt->root, PT_LEVELS, 0, fn, opaque);
}
