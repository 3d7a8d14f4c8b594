// SPDX-License-Identifier: GPL-2.0
/* x86-64 paging (VT-d first stage) walked in software, reading the tables through gmem. */
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "iommu/pgtable_x86.h"

#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_US (1ULL << 2)
#define PTE_PS (1ULL << 7)
#define PTE_XD (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL /* bits 51:12 */
#define TABLE_SIZE 4096

/* The first IOVA bit a level-@level entry translates: 12 for a PTE ... 48 for a PML5E. */
static unsigned int level_shift(unsigned int level)
{
	return 12 + 9 * (level - 1);
}

static uint64_t low_mask(unsigned int bits)
{
	return bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
}

static bool config_ok(const struct pgtable_x86 *pt)
{
	return pt->mem && (pt->levels == 4 || pt->levels == 5) && pt->maxphyaddr >= 32 &&
	       pt->maxphyaddr <= 52;
}

static bool root_ok(const struct pgtable_x86 *pt)
{
	return !(pt->root & ~low_mask(pt->maxphyaddr)) && !(pt->root & (TABLE_SIZE - 1)) &&
	       gmem_ptr(pt->mem, pt->root, TABLE_SIZE);
}

/* Bits 63:47 (4-level) or 63:56 (5-level) all equal: VT-d checks first-stage input this way. */
static bool canonical(const struct pgtable_x86 *pt, uint64_t iova)
{
	unsigned int sign_bit = level_shift(pt->levels) + 8;
	uint64_t top = iova >> sign_bit;

	return top == 0 || top == ~0ULL >> sign_bit;
}

/* The level-@level entry that translates @iova in @table: one bounds-checked 8-byte read. */
static int read_entry(const struct pgtable_x86 *pt, uint64_t table, unsigned int level,
		      uint64_t iova, uint64_t *entry)
{
	uint64_t raw;

	if (gmem_read(pt->mem, table + ((iova >> level_shift(level)) & 511) * 8, &raw, 8))
		return -EFAULT;
	*entry = le64toh(raw);
	return 0;
}

/* PGT_OK (with *leaf set), PGT_NOT_PRESENT or PGT_RESERVED_BIT for one entry. */
static enum pgtable_fault check_entry(const struct pgtable_x86 *pt, uint64_t e, unsigned int level,
				      bool *leaf)
{
	if (!(e & PTE_P))
		return PGT_NOT_PRESENT;
	/* An address the host cannot have. */
	if (e & PTE_ADDR & ~low_mask(pt->maxphyaddr))
		return PGT_RESERVED_BIT;
	/* PS is reserved in PML4E/PML5E; in a PTE bit 7 is PAT. */
	if (level > 3 && (e & PTE_PS))
		return PGT_RESERVED_BIT;
	if (level == 3 && (e & PTE_PS) && !pt->allow_1g)
		return PGT_RESERVED_BIT;
	*leaf = level == 1 || (e & PTE_PS);
	/* A huge page is aligned to its size; between its PAT bit (12) and that, all zero. */
	if (*leaf && level > 1 && (e & low_mask(level_shift(level)) & ~low_mask(13)))
		return PGT_RESERVED_BIT;
	return PGT_OK;
}

static int xlate_fault(struct pgtable_xlate *out, enum pgtable_fault fault, unsigned int level)
{
	out->fault = fault;
	out->fault_level = level;
	return -EFAULT;
}

/* Where a walk starts: the root, or a cached PDE's page table with what the levels above said. */
struct walk_start {
	uint64_t table;
	unsigned int level, ro_level;
	bool user, exec;
};

static int walk_one(const struct pgtable_x86 *pt, struct walk_start s, uint64_t iova, bool write,
		    struct pgtable_xlate *out, struct pgtable_x86_pde *fill)
{
	uint64_t table = s.table, e, mask;
	unsigned int level;
	bool leaf = false;
	enum pgtable_fault f;

	/* Bounded by the depth whatever the entries say, so a loop cannot hang it. */
	for (level = s.level;; level--) {
		if (read_entry(pt, table, level, iova, &e))
			return xlate_fault(out, PGT_TABLE_OUTSIDE_RAM, level);
		f = check_entry(pt, e, level, &leaf);
		if (f != PGT_OK)
			return xlate_fault(out, f, level);
		if (!(e & PTE_RW) && !s.ro_level)
			s.ro_level = level;
		s.user = s.user && (e & PTE_US);
		s.exec = s.exec && !(e & PTE_XD);
		table = e & PTE_ADDR;
		if (leaf)
			break;
		if (level == 2 && fill)
			*fill = (struct pgtable_x86_pde){ (iova >> 21) + 1, table, s.ro_level,
							  s.user, s.exec };
	}
	/* Not-present and reserved-bit faults come first: the whole walk is done by now. */
	if (write && pt->wp && s.ro_level)
		return xlate_fault(out, PGT_WRITE_PROTECTED, s.ro_level);
	mask = low_mask(level_shift(level));
	out->page_size = mask + 1;
	out->gpa = (table & ~mask) | (iova & mask);
	out->writable = !pt->wp || !s.ro_level;
	out->user = s.user;
	out->exec = s.exec;
	return 0;
}

int pgtable_x86_translate_cached(const struct pgtable_x86 *pt, struct pgtable_x86_cache *cache,
				 uint64_t iova, bool write, struct pgtable_xlate *out)
{
	struct pgtable_x86_pde *slot = NULL;

	memset(out, 0, sizeof(*out));
	if (!config_ok(pt)) {
		out->fault = PGT_BAD_ROOT;
		return -EINVAL;
	}
	if (!canonical(pt, iova))
		return xlate_fault(out, PGT_NON_CANONICAL, 0);
	if (cache) {
		slot = &cache->slot[(iova >> 21) % PGTABLE_X86_CACHE_SLOTS];
		if (slot->tag == (iova >> 21) + 1)
			return walk_one(pt,
					(struct walk_start){ slot->table, 1, slot->ro_level,
							     slot->user, slot->exec },
					iova, write, out, NULL);
	}
	if (!root_ok(pt))
		return xlate_fault(out, PGT_BAD_ROOT, pt->levels);
	return walk_one(pt, (struct walk_start){ pt->root, pt->levels, 0, true, true }, iova, write,
			out, slot);
}

int pgtable_x86_translate(const struct pgtable_x86 *pt, uint64_t iova, bool write,
			  struct pgtable_xlate *out)
{
	return pgtable_x86_translate_cached(pt, NULL, iova, write, out);
}

struct walk {
	const struct pgtable_x86 *pt;
	unsigned long leaves, max_leaves, tables, max_tables;
	pgtable_x86_leaf_fn fn;
	void *opaque;
	uint64_t where; /* the IOVA being looked at, for *bad_iova */
};

static int walk_leaf(struct walk *w, uint64_t e, unsigned int level, uint64_t iova, uint64_t last,
		     bool rw)
{
	uint64_t mask = low_mask(level_shift(level));

	if (++w->leaves > w->max_leaves)
		return -E2BIG;
	return w->fn(w->opaque, iova, (e & PTE_ADDR & ~mask) | (iova & mask), last - iova + 1,
		     !w->pt->wp || rw);
}

/* [lo, hi] lies within what the level-@level table at @table translates. */
static int walk_table(struct walk *w, uint64_t table, unsigned int level, uint64_t lo, uint64_t hi,
		      bool rw)
{
	uint64_t iova, last, e;
	enum pgtable_fault f;
	bool leaf;
	int ret;

	w->where = lo;
	if (++w->tables > w->max_tables)
		return -E2BIG;
	for (iova = lo;; iova = last + 1) {
		last = iova | low_mask(level_shift(level));
		if (last > hi)
			last = hi;
		w->where = iova;
		if (read_entry(w->pt, table, level, iova, &e))
			return -EFAULT;
		f = check_entry(w->pt, e, level, &leaf);
		if (f == PGT_RESERVED_BIT)
			return -EFAULT;
		if (f == PGT_OK) {
			if (leaf)
				ret = walk_leaf(w, e, level, iova, last, rw && (e & PTE_RW));
			else
				ret = walk_table(w, e & PTE_ADDR, level - 1, iova, last,
						 rw && (e & PTE_RW));
			if (ret)
				return ret;
		}
		if (last == hi)
			return 0;
	}
}

int pgtable_x86_walk(const struct pgtable_x86 *pt, uint64_t start, uint64_t end,
		     unsigned long max_leaves, pgtable_x86_leaf_fn fn, void *opaque,
		     uint64_t *bad_iova)
{
	struct walk w = { .pt = pt, .max_leaves = max_leaves, .fn = fn, .opaque = opaque };
	uint64_t half;
	int ret = 0;

	if (!config_ok(pt) || !fn || start > end)
		return -EINVAL;
	/*
	 * A tree whose every table holds a leaf has at most levels - 1 tables above each leaf,
	 * plus the root entered once per canonical half; more means empty subtrees, each
	 * costing up to 512 reads, so they are bounded too.
	 */
	w.max_tables = ULONG_MAX;
	if (max_leaves < (ULONG_MAX - 2) / (pt->levels - 1))
		w.max_tables = (pt->levels - 1) * max_leaves + 2;
	w.where = start;
	if (!root_ok(pt)) {
		ret = -EFAULT;
		goto out;
	}
	/* The two canonical halves; between them no address exists, so nothing is mapped. */
	half = 1ULL << (level_shift(pt->levels) + 8);
	if (start < half)
		ret =
		    walk_table(&w, pt->root, pt->levels, start, end < half ? end : half - 1, true);
	if (!ret && end >= -half)
		ret =
		    walk_table(&w, pt->root, pt->levels, start > -half ? start : -half, end, true);
out:
	if (ret && bad_iova)
		*bad_iova = w.where;
	return ret;
}
