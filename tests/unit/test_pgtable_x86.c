// SPDX-License-Identifier: GPL-2.0
/* The x86-64 (VT-d first-stage) page-table walker against tables built in a fake guest RAM. */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/pgtable_x86.h"
#include "unit.h"

#define RAM_SIZE (8ULL << 20)
#define P (1ULL << 0)
#define RW (1ULL << 1)
#define US (1ULL << 2)
#define PS (1ULL << 7)
#define XD (1ULL << 63)
#define ADDR 0x000ffffffffff000ULL
#define KB4 0x1000ULL
#define MB2 0x200000ULL
#define GB1 0x40000000ULL
#define OUTSIDE_RAM 0x40000000ULL

static uint8_t *ram;
static struct gmem mem;
static uint64_t next_table;

static void setup(void)
{
	ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	mem = (struct gmem){ .regions = { { 0, RAM_SIZE, ram } }, .count = 1 };
	next_table = KB4;
}

static void teardown(void)
{
	free(ram);
}

/* Empty RAM, no tables. */
static void reset(void)
{
	memset(ram, 0, RAM_SIZE);
	next_table = KB4;
}

static uint64_t new_table(void)
{
	uint64_t t = next_table;

	ck_assert_uint_le(t + KB4, RAM_SIZE);
	next_table += KB4;
	return t;
}

static struct pgtable_x86 new_pt(unsigned int levels)
{
	return (struct pgtable_x86){ .mem = &mem,
				     .root = new_table(),
				     .levels = levels,
				     .maxphyaddr = 46,
				     .wp = true,
				     .allow_1g = true };
}

static unsigned int idx(uint64_t iova, unsigned int level)
{
	return (iova >> (12 + 9 * (level - 1))) & 511;
}

static uint64_t get_entry(uint64_t table, unsigned int i)
{
	uint64_t e;

	ck_assert_int_eq(gmem_read(&mem, table + i * 8, &e, 8), 0);
	return le64toh(e);
}

static void set_entry(uint64_t table, unsigned int i, uint64_t e)
{
	e = htole64(e);
	ck_assert_int_eq(gmem_write(&mem, table + i * 8, &e, 8), 0);
}

/* The GPA of the level-@level entry on @iova's path (its tables must exist). */
static uint64_t entry_at(const struct pgtable_x86 *pt, uint64_t iova, unsigned int level)
{
	uint64_t table = pt->root;

	for (unsigned int l = pt->levels; l > level; l--)
		table = get_entry(table, idx(iova, l)) & ADDR;
	return table + idx(iova, level) * 8;
}

static void poke(uint64_t gpa, uint64_t set, uint64_t clear)
{
	set_entry(gpa, 0, (get_entry(gpa, 0) & ~clear) | set);
}

/*
 * Maps @iova to @gpa with a leaf at @leaf_level (1: 4K, 2: 2M, 3: 1G), making the missing
 * tables (P|RW|US). False when something is in the way.
 */
static bool try_map(const struct pgtable_x86 *pt, uint64_t iova, uint64_t gpa,
		    unsigned int leaf_level, uint64_t flags)
{
	uint64_t table = pt->root, e;

	for (unsigned int l = pt->levels; l > leaf_level; l--) {
		e = get_entry(table, idx(iova, l));
		if (!(e & P)) {
			e = new_table() | P | RW | US;
			set_entry(table, idx(iova, l), e);
		} else if (l <= 3 && (e & PS)) {
			return false;
		}
		table = e & ADDR;
	}
	if (get_entry(table, idx(iova, leaf_level)) & P)
		return false;
	set_entry(table, idx(iova, leaf_level), gpa | flags | (leaf_level > 1 ? PS : 0));
	return true;
}

static void map(const struct pgtable_x86 *pt, uint64_t iova, uint64_t gpa, unsigned int leaf_level,
		uint64_t flags)
{
	ck_assert(try_map(pt, iova, gpa, leaf_level, flags));
}

static void expect_ok(const struct pgtable_x86 *pt, uint64_t iova, bool write, uint64_t gpa,
		      uint64_t size)
{
	struct pgtable_xlate x;

	ck_assert_int_eq(pgtable_x86_translate(pt, iova, write, &x), 0);
	ck_assert_int_eq(x.fault, PGT_OK);
	ck_assert_uint_eq(x.gpa, gpa);
	ck_assert_uint_eq(x.page_size, size);
}

static void expect_fault(const struct pgtable_x86 *pt, uint64_t iova, bool write,
			 enum pgtable_fault fault, unsigned int level)
{
	struct pgtable_xlate x;

	ck_assert_int_eq(pgtable_x86_translate(pt, iova, write, &x), -EFAULT);
	ck_assert_int_eq(x.fault, fault);
	ck_assert_uint_eq(x.fault_level, level);
}

/* 4K, 2M and 1G leaves, lower and upper canonical half, offsets inside the page. */
static void all_sizes(unsigned int levels)
{
	struct pgtable_x86 pt = new_pt(levels);
	uint64_t upper = levels == 4 ? 0xffff800000000000ULL : 0xff00000000000000ULL;
	uint64_t hi = levels == 5 ? 0x0080000000000000ULL : 0; /* needs the PML5 */
	struct pgtable_xlate x;

	map(&pt, hi | 0x1000, 0x123456000ULL, 1, P | RW | US);
	map(&pt, hi | 0x7fc0000000ULL, 0x3ffffe00000ULL, 2, P | RW | US);
	map(&pt, hi | 0x4000000000ULL, 0x3ffc0000000ULL, 3, P | RW | US);
	map(&pt, upper | 0x5000, 0xabc000, 1, P | US | XD);
	expect_ok(&pt, hi | 0x1abc, true, 0x123456abcULL, KB4);
	expect_ok(&pt, hi | 0x7fc01fffffULL, true, 0x3ffffffffffULL, MB2);
	expect_ok(&pt, hi | 0x4012345678ULL, true, 0x3ffd2345678ULL, GB1);
	ck_assert_int_eq(pgtable_x86_translate(&pt, upper | 0x5fff, false, &x), 0);
	ck_assert_uint_eq(x.gpa, 0xabcfff);
	ck_assert(!x.writable && x.user && !x.exec);
	ck_assert_int_eq(pgtable_x86_translate(&pt, hi | 0x1000, false, &x), 0);
	ck_assert(x.writable && x.user && x.exec);
	expect_fault(&pt, hi | 0x2000, false, PGT_NOT_PRESENT, 1);
}

START_TEST(translate_4level)
{
	all_sizes(4);
}
END_TEST

START_TEST(translate_5level)
{
	struct pgtable_x86 pt;

	all_sizes(5);
	/* Bit 47 set without sign extension: canonical with 5 levels only. */
	pt = new_pt(5);
	map(&pt, 0x0000800000000000ULL, 0x5000, 1, P | RW);
	expect_ok(&pt, 0x0000800000000123ULL, false, 0x5123, KB4);
}
END_TEST

START_TEST(permissions)
{
	struct pgtable_x86 pt = new_pt(4);
	struct pgtable_xlate x;

	map(&pt, 0x1000, 0x9000, 1, P | US);
	map(&pt, 0x40000000ULL, 0x80000000ULL, 3, P | RW);
	expect_fault(&pt, 0x1000, true, PGT_WRITE_PROTECTED, 1);
	expect_ok(&pt, 0x1000, false, 0x9000, KB4);
	/* Read-only higher up wins over a writable leaf; the outermost level is reported. */
	poke(entry_at(&pt, 0x40000000ULL, 4), 0, RW);
	expect_fault(&pt, 0x40000000ULL, true, PGT_WRITE_PROTECTED, 4);
	ck_assert_int_eq(pgtable_x86_translate(&pt, 0x40000000ULL, false, &x), 0);
	ck_assert(!x.writable && !x.user);
	/* Without WP writes go everywhere present. */
	pt.wp = false;
	ck_assert_int_eq(pgtable_x86_translate(&pt, 0x1000, true, &x), 0);
	ck_assert(x.writable && x.user);
	expect_ok(&pt, 0x40000000ULL, true, 0x80000000ULL, GB1);
	/* A fault in the walk comes before a write-protect fault. */
	pt.wp = true;
	poke(entry_at(&pt, 0x1000, 1), 0, P);
	expect_fault(&pt, 0x1000, true, PGT_NOT_PRESENT, 1);
}
END_TEST

START_TEST(not_present_each_level)
{
	for (unsigned int levels = 4; levels <= 5; levels++) {
		for (unsigned int level = 1; level <= levels; level++) {
			struct pgtable_x86 pt = new_pt(levels);

			map(&pt, 0x1000, 0x9000, 1, P | RW);
			poke(entry_at(&pt, 0x1000, level), 0, P);
			expect_fault(&pt, 0x1000, false, PGT_NOT_PRESENT, level);
			reset();
		}
	}
}
END_TEST

START_TEST(non_canonical)
{
	struct pgtable_x86 pt4 = new_pt(4), pt5 = new_pt(5);

	expect_fault(&pt4, 0x0000800000000000ULL, false, PGT_NON_CANONICAL, 0);
	expect_fault(&pt4, 0xffff7fffffffffffULL, false, PGT_NON_CANONICAL, 0);
	expect_fault(&pt4, 0x8000000000000000ULL, false, PGT_NON_CANONICAL, 0);
	expect_fault(&pt4, 0x7fffffffffffffffULL, false, PGT_NON_CANONICAL, 0);
	expect_fault(&pt4, 0xffff800000000000ULL, false, PGT_NOT_PRESENT, 4);
	expect_fault(&pt4, 0x00007fffffffffffULL, false, PGT_NOT_PRESENT, 4);
	expect_fault(&pt5, 0x0100000000000000ULL, false, PGT_NON_CANONICAL, 0);
	expect_fault(&pt5, 0xfeffffffffffffffULL, false, PGT_NON_CANONICAL, 0);
	expect_fault(&pt5, 0xff00000000000000ULL, false, PGT_NOT_PRESENT, 5);
	expect_fault(&pt5, 0x0000800000000000ULL, false, PGT_NOT_PRESENT, 5);
}
END_TEST

START_TEST(reserved_bits)
{
	struct pgtable_x86 pt = new_pt(5);

	map(&pt, 0x1000, 0x9000, 1, P | RW);
	map(&pt, 0x200000, 0x400000, 2, P | RW);
	map(&pt, 0x40000000ULL, 0x80000000ULL, 3, P | RW);
	/* An address bit at maxphyaddr (46), at every level. */
	for (unsigned int level = 1; level <= 5; level++) {
		uint64_t e = entry_at(&pt, 0x1000, level);

		poke(e, 1ULL << 46, 0);
		expect_fault(&pt, 0x1000, false, PGT_RESERVED_BIT, level);
		pt.maxphyaddr = 52; /* then it is just an address */
		if (level == 1)
			expect_ok(&pt, 0x1000, false, 0x400000009000ULL, KB4);
		else
			expect_fault(&pt, 0x1000, false, PGT_TABLE_OUTSIDE_RAM, level - 1);
		pt.maxphyaddr = 46;
		poke(e, 0, 1ULL << 46);
	}
	expect_ok(&pt, 0x1000, false, 0x9000, KB4);
	/* PS in a PML5E or a PML4E. */
	poke(entry_at(&pt, 0x1000, 5), PS, 0);
	expect_fault(&pt, 0x1000, false, PGT_RESERVED_BIT, 5);
	poke(entry_at(&pt, 0x1000, 5), 0, PS);
	poke(entry_at(&pt, 0x1000, 4), PS, 0);
	expect_fault(&pt, 0x1000, false, PGT_RESERVED_BIT, 4);
	poke(entry_at(&pt, 0x1000, 4), 0, PS);
	/* Even with an address a 512G page could have. */
	set_entry(entry_at(&pt, 0x1000, 4), 1, P | RW | PS); /* PML4[1] */
	expect_fault(&pt, 0x8000000000ULL, false, PGT_RESERVED_BIT, 4);
	/* Bit 7 of a PTE is PAT, bit 12 of a huge leaf too; XD is fine. */
	poke(entry_at(&pt, 0x1000, 1), PS | XD, 0);
	expect_ok(&pt, 0x1000, false, 0x9000, KB4);
	poke(entry_at(&pt, 0x200000, 2), 1ULL << 12, 0);
	expect_ok(&pt, 0x212345, false, 0x412345, MB2);
	poke(entry_at(&pt, 0x40000000ULL, 3), 1ULL << 12, 0);
	expect_ok(&pt, 0x40012345ULL, false, 0x80012345ULL, GB1);
	/* A huge page's address bits below its size. */
	poke(entry_at(&pt, 0x200000, 2), 1ULL << 13, 0);
	expect_fault(&pt, 0x200000, false, PGT_RESERVED_BIT, 2);
	poke(entry_at(&pt, 0x200000, 2), 1ULL << 20, 1ULL << 13);
	expect_fault(&pt, 0x200000, false, PGT_RESERVED_BIT, 2);
	poke(entry_at(&pt, 0x40000000ULL, 3), 1ULL << 29, 0);
	expect_fault(&pt, 0x40000000ULL, false, PGT_RESERVED_BIT, 3);
	poke(entry_at(&pt, 0x40000000ULL, 3), 1ULL << 13, 1ULL << 29);
	expect_fault(&pt, 0x40000000ULL, false, PGT_RESERVED_BIT, 3);
	poke(entry_at(&pt, 0x40000000ULL, 3), 0, 1ULL << 13);
	/* 1G pages the host does not have. */
	pt.allow_1g = false;
	expect_fault(&pt, 0x40000000ULL, false, PGT_RESERVED_BIT, 3);
	expect_ok(&pt, 0x1000, false, 0x9000, KB4);
}
END_TEST

START_TEST(bad_tables_and_roots)
{
	struct pgtable_x86 pt = new_pt(4);
	struct pgtable_xlate x;

	map(&pt, 0x1000, 0x9000, 1, P | RW);
	poke(entry_at(&pt, 0x1000, 2), OUTSIDE_RAM, ADDR);
	expect_fault(&pt, 0x1000, false, PGT_TABLE_OUTSIDE_RAM, 1);
	pt.root = RAM_SIZE;
	expect_fault(&pt, 0x1000, false, PGT_BAD_ROOT, 4);
	pt.root = RAM_SIZE - 8; /* in RAM but misaligned */
	expect_fault(&pt, 0x1000, false, PGT_BAD_ROOT, 4);
	pt.root = 1ULL << 46;
	expect_fault(&pt, 0x1000, false, PGT_BAD_ROOT, 4);
	pt.root = KB4;
	pt.levels = 3;
	ck_assert_int_eq(pgtable_x86_translate(&pt, 0x1000, false, &x), -EINVAL);
	pt.levels = 4;
	pt.maxphyaddr = 53;
	ck_assert_int_eq(pgtable_x86_translate(&pt, 0x1000, false, &x), -EINVAL);
}
END_TEST

struct leaf {
	uint64_t iova, gpa, size;
	bool writable;
};

struct leaves {
	struct leaf *v;
	size_t n, cap;
	size_t stop_after; /* return 42 once this many were seen; 0: never */
};

static int collect(void *opaque, uint64_t iova, uint64_t gpa, uint64_t size, bool writable)
{
	struct leaves *l = opaque;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		ck_assert_ptr_nonnull(l->v);
	}
	l->v[l->n++] = (struct leaf){ iova, gpa, size, writable };
	return l->stop_after && l->n == l->stop_after ? 42 : 0;
}

static int count(void *opaque, uint64_t iova, uint64_t gpa, uint64_t size, bool writable)
{
	(void)iova, (void)gpa, (void)size, (void)writable;
	++*(unsigned long *)opaque;
	return 0;
}

static void expect_leaf(const struct leaves *l, size_t i, uint64_t iova, uint64_t gpa,
			uint64_t size, bool writable)
{
	ck_assert_uint_lt(i, l->n);
	ck_assert_uint_eq(l->v[i].iova, iova);
	ck_assert_uint_eq(l->v[i].gpa, gpa);
	ck_assert_uint_eq(l->v[i].size, size);
	ck_assert_int_eq(l->v[i].writable, writable);
}

START_TEST(walk_clips_and_stops)
{
	struct pgtable_x86 pt = new_pt(4);
	struct leaves l = { 0 };
	uint64_t bad = 0;

	map(&pt, 0x1000, 0x9000, 1, P | RW);
	map(&pt, 0x2000, 0xa000, 1, P);
	map(&pt, 0x200000, 0x400000, 2, P | RW);
	map(&pt, 0x40000000ULL, 0x80000000ULL, 3, P);
	map(&pt, 0xffff800000000000ULL, 0xb000, 1, P | RW);
	/* Clipped at both ends; holes are skipped. */
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0x1800, 0x5fffffffULL, 100, collect, &l, &bad), 0);
	ck_assert_uint_eq(l.n, 4);
	expect_leaf(&l, 0, 0x1800, 0x9800, 0x800, true);
	expect_leaf(&l, 1, 0x2000, 0xa000, KB4, false);
	expect_leaf(&l, 2, 0x200000, 0x400000, MB2, true);
	expect_leaf(&l, 3, 0x40000000ULL, 0x80000000ULL, 0x20000000ULL, false);
	/* Inside one huge page. */
	l.n = 0;
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0x280123, 0x2fffff, 100, collect, &l, &bad), 0);
	ck_assert_uint_eq(l.n, 1);
	expect_leaf(&l, 0, 0x280123, 0x480123, 0x7fedd, true);
	/* The whole space: both canonical halves, nothing from between them. */
	l.n = 0;
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0, UINT64_MAX, 100, collect, &l, &bad), 0);
	ck_assert_uint_eq(l.n, 5);
	expect_leaf(&l, 4, 0xffff800000000000ULL, 0xb000, KB4, true);
	l.n = 0;
	ck_assert_int_eq(
	    pgtable_x86_walk(&pt, 0x800000000000ULL, 0xffff7fffffffffffULL, 100, collect, &l, &bad),
	    0);
	ck_assert_uint_eq(l.n, 0);
	/* @fn stops it. */
	l.stop_after = 3;
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0, UINT64_MAX, 100, collect, &l, &bad), 42);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_uint_eq(bad, 0x200000);
	l.stop_after = 0;
	/* max_leaves: exactly enough, then one short. */
	l.n = 0;
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0, UINT64_MAX, 5, collect, &l, &bad), 0);
	l.n = 0;
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0, UINT64_MAX, 4, collect, &l, &bad), -E2BIG);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_uint_eq(bad, 0xffff800000000000ULL);
	/* Without WP everything present is writable. */
	pt.wp = false;
	l.n = 0;
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0x2000, 0x2fff, 100, collect, &l, &bad), 0);
	expect_leaf(&l, 0, 0x2000, 0xa000, KB4, true);
	ck_assert_int_eq(pgtable_x86_walk(&pt, 2, 1, 100, collect, &l, &bad), -EINVAL);
	free(l.v);
}
END_TEST

START_TEST(walk_faults)
{
	struct pgtable_x86 pt = new_pt(4);
	struct leaves l = { 0 };
	uint64_t bad = 0;

	map(&pt, 0x1000, 0x9000, 1, P | RW);
	map(&pt, 0x400000, 0x9000, 1, P | RW);
	map(&pt, 0x600000, 0x9000, 1, P | RW);
	poke(entry_at(&pt, 0x400000, 2), 1ULL << 50, 0);
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0, UINT64_MAX, 100, collect, &l, &bad), -EFAULT);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(bad, 0x400000);
	/* Reported where the range starts when it starts inside the bad entry. */
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0x512345, UINT64_MAX, 100, collect, &l, &bad),
			 -EFAULT);
	ck_assert_uint_eq(bad, 0x512345);
	/* Holes around it are fine. */
	l.n = 0;
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0x600000, UINT64_MAX, 100, collect, &l, &bad), 0);
	ck_assert_uint_eq(l.n, 1);
	poke(entry_at(&pt, 0x400000, 2), OUTSIDE_RAM, ADDR | (1ULL << 50));
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0, UINT64_MAX, 100, collect, &l, &bad), -EFAULT);
	ck_assert_uint_eq(bad, 0x400000);
	pt.root = 0x123;
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0x5000, 0x6000, 100, collect, &l, &bad), -EFAULT);
	ck_assert_uint_eq(bad, 0x5000);
	free(l.v);
}
END_TEST

START_TEST(loops_terminate)
{
	struct pgtable_x86 pt = new_pt(4);
	uint64_t pd, pdpt, ptab, bad;
	unsigned long n = 0;

	/* Every PML4E points at the PML4: at the bottom it is a PT mapping itself. */
	for (unsigned int i = 0; i < 512; i++)
		set_entry(pt.root, i, pt.root | P | RW);
	expect_ok(&pt, 0x123456789abcULL, false, pt.root | 0xabc, KB4);
	expect_ok(&pt, 0xffff800000000042ULL, true, pt.root | 0x42, KB4);
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0, UINT64_MAX, 100000, count, &n, &bad), -E2BIG);
	ck_assert_uint_eq(n, 100000);

	/* Every PDE of one PD points at that PD: 512 * 512 4K leaves, then nothing. */
	pt = new_pt(4);
	map(&pt, 0, 0, 1, P | RW);
	pd = entry_at(&pt, 0, 2) & ~0xfffULL;
	for (unsigned int i = 0; i < 512; i++)
		set_entry(pd, i, pd | P | RW);
	expect_ok(&pt, 0x3fffffffULL, false, pd | 0xfff, KB4);
	n = 0;
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0, UINT64_MAX, 1000, count, &n, &bad), -E2BIG);
	n = 0;
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0, UINT64_MAX, 1 << 20, count, &n, &bad), 0);
	ck_assert_uint_eq(n, 512 * 512);

	/* Tables that only lead to empty tables: no leaf, still bounded. */
	pt = new_pt(4);
	pdpt = new_table();
	pd = new_table();
	ptab = new_table();
	for (unsigned int i = 0; i < 512; i++) {
		set_entry(pt.root, i, pdpt | P);
		set_entry(pdpt, i, pd | P);
		set_entry(pd, i, ptab | P);
	}
	n = 0;
	ck_assert_int_eq(pgtable_x86_walk(&pt, 0, UINT64_MAX, 1000, count, &n, &bad), -E2BIG);
	ck_assert_uint_eq(n, 0);
}
END_TEST

static uint64_t sign_extend(uint64_t iova, unsigned int levels)
{
	unsigned int shift = 64 - (12 + 9 * levels);

	return (uint64_t)((int64_t)(iova << shift) >> shift);
}

/* A few index values per level, so random pages share tables. */
static uint64_t random_iova(unsigned int levels)
{
	static const unsigned int picks[] = { 0, 1, 2, 255, 256, 510, 511 };
	uint64_t iova = 0;

	for (unsigned int l = 1; l <= levels; l++)
		iova |= (uint64_t)picks[rand() % 7] << (12 + 9 * (l - 1));
	return sign_extend(iova | (rand() & 0xfff), levels);
}

static const struct leaf *find_leaf(const struct leaves *l, uint64_t iova)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (iova < l->v[mid].iova)
			hi = mid;
		else if (iova - l->v[mid].iova >= l->v[mid].size)
			lo = mid + 1;
		else
			return &l->v[mid];
	}
	return NULL;
}

START_TEST(walk_against_translate)
{
	srand(1234);
	for (unsigned int levels = 4; levels <= 5; levels++) {
		struct pgtable_x86 pt = new_pt(levels);
		struct pgtable_x86_cache cache = { 0 };
		struct leaves l = { 0 };
		struct pgtable_xlate x, cx;
		uint64_t bad;

		for (unsigned int i = 0; i < 400; i++) {
			unsigned int level = 1 + rand() % 3;
			uint64_t size = 1ULL << (12 + 9 * (level - 1));
			uint64_t iova = random_iova(levels) & ~(size - 1);
			uint64_t gpa = ((uint64_t)rand() << 30 | (uint64_t)rand() << 12) &
				       ((1ULL << 46) - 1) & ~(size - 1);

			try_map(&pt, iova, gpa, level,
				P | (rand() % 4 ? RW : 0) | (rand() % 2 ? US : 0));
		}
		ck_assert_int_eq(pgtable_x86_walk(&pt, 0, UINT64_MAX, 1 << 20, collect, &l, &bad),
				 0);
		ck_assert_uint_gt(l.n, 100);
		for (size_t i = 0; i < l.n; i++) {
			ck_assert_uint_eq(l.v[i].iova & (l.v[i].size - 1), 0);
			ck_assert_uint_eq(l.v[i].gpa & (l.v[i].size - 1), 0);
			if (i)
				ck_assert_uint_ge(l.v[i].iova, l.v[i - 1].iova + l.v[i - 1].size);
		}
		for (unsigned int i = 0; i < 4000; i++) {
			uint64_t iova = random_iova(levels);
			const struct leaf *leaf;
			int ret;

			if (i % 8 == 0)
				iova = (uint64_t)rand() << 40 ^ (uint64_t)rand() << 20 ^ rand();
			leaf = find_leaf(&l, iova);
			ret = pgtable_x86_translate(&pt, iova, false, &x);
			if (!leaf) {
				ck_assert_int_eq(ret, -EFAULT);
				ck_assert_int_eq(
				    pgtable_x86_translate_cached(&pt, &cache, iova, false, &cx),
				    -EFAULT);
				ck_assert_int_eq(cx.fault, x.fault);
				ck_assert(x.fault == PGT_NOT_PRESENT ||
					  x.fault == PGT_NON_CANONICAL);
				continue;
			}
			ck_assert_int_eq(ret, 0);
			ck_assert_int_eq(
			    pgtable_x86_translate_cached(&pt, &cache, iova, false, &cx), 0);
			ck_assert_uint_eq(cx.gpa, x.gpa);
			ck_assert_uint_eq(cx.page_size, x.page_size);
			ck_assert_int_eq(cx.writable, x.writable);
			ck_assert_int_eq(cx.user, x.user);
			ck_assert_uint_eq(x.gpa, leaf->gpa + (iova - leaf->iova));
			ck_assert_uint_eq(x.page_size, leaf->size);
			ck_assert_int_eq(x.writable, leaf->writable);
			ck_assert_int_eq(pgtable_x86_translate(&pt, iova, true, &x),
					 leaf->writable ? 0 : -EFAULT);
		}
		free(l.v);
		reset();
	}
}
END_TEST

/*
 * The cache keeps page-directory entries and what the levels above them said, never leaves
 * or holes: a new or changed PTE is seen at once, a changed PDE only once the cache is emptied.
 */
START_TEST(cache_holds_directories_only)
{
	struct pgtable_x86 pt = new_pt(4);
	struct pgtable_x86_cache cache = { 0 };
	uint64_t pte, pde, other = new_table();
	struct pgtable_xlate x;

	map(&pt, 0x200000, 0x9000, 1, P | RW | US);
	pte = entry_at(&pt, 0x200000, 1);
	pde = entry_at(&pt, 0x200000, 2);
	ck_assert_int_eq(pgtable_x86_translate_cached(&pt, &cache, 0x200123, true, &x), 0);
	ck_assert_uint_eq(x.gpa, 0x9123);
	/* A hole next to it, then made present: no negative caching. */
	ck_assert_int_eq(pgtable_x86_translate_cached(&pt, &cache, 0x201000, false, &x), -EFAULT);
	ck_assert_int_eq(x.fault, PGT_NOT_PRESENT);
	map(&pt, 0x201000, 0xa000, 1, P | US);
	ck_assert_int_eq(pgtable_x86_translate_cached(&pt, &cache, 0x201000, false, &x), 0);
	ck_assert_uint_eq(x.gpa, 0xa000);
	ck_assert(!x.writable);
	/* A leaf changed in place: seen at once. */
	set_entry(pte, 0, 0xb000 | P | RW | US);
	ck_assert_int_eq(pgtable_x86_translate_cached(&pt, &cache, 0x200000, false, &x), 0);
	ck_assert_uint_eq(x.gpa, 0xb000);
	/* The PDE pointed elsewhere: the cached one still answers, until the cache is emptied. */
	set_entry(other, 0, 0xc000 | P | RW | US);
	set_entry(pde, 0, other | P | RW | US);
	ck_assert_int_eq(pgtable_x86_translate_cached(&pt, &cache, 0x200000, false, &x), 0);
	ck_assert_uint_eq(x.gpa, 0xb000);
	memset(&cache, 0, sizeof(cache));
	ck_assert_int_eq(pgtable_x86_translate_cached(&pt, &cache, 0x200000, false, &x), 0);
	ck_assert_uint_eq(x.gpa, 0xc000);
	/* Read-only above the PDE travels with the cached entry: the write fault names level 4. */
	poke(entry_at(&pt, 0x200000, 4), 0, RW);
	memset(&cache, 0, sizeof(cache));
	ck_assert_int_eq(pgtable_x86_translate_cached(&pt, &cache, 0x200000, false, &x), 0);
	ck_assert(!x.writable);
	ck_assert_int_eq(pgtable_x86_translate_cached(&pt, &cache, 0x200000, true, &x), -EFAULT);
	ck_assert_int_eq(x.fault, PGT_WRITE_PROTECTED);
	ck_assert_uint_eq(x.fault_level, 4);
	/* A 2 MiB leaf is not a directory: nothing cached, a change is seen. */
	map(&pt, 0x40000000, 0x600000, 2, P | RW | US);
	ck_assert_int_eq(pgtable_x86_translate_cached(&pt, &cache, 0x40000000, false, &x), 0);
	poke(entry_at(&pt, 0x40000000, 2), 0, P);
	ck_assert_int_eq(pgtable_x86_translate_cached(&pt, &cache, 0x40000000, false, &x), -EFAULT);
}
END_TEST

Suite *pgtable_x86_suite(void)
{
	Suite *s = suite_create("pgtable_x86");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, translate_4level);
	tcase_add_test(tc, translate_5level);
	tcase_add_test(tc, permissions);
	tcase_add_test(tc, not_present_each_level);
	tcase_add_test(tc, non_canonical);
	tcase_add_test(tc, reserved_bits);
	tcase_add_test(tc, bad_tables_and_roots);
	tcase_add_test(tc, walk_clips_and_stops);
	tcase_add_test(tc, walk_faults);
	tcase_add_test(tc, loops_terminate);
	tcase_add_test(tc, walk_against_translate);
	tcase_add_test(tc, cache_holds_directories_only);
	suite_add_tcase(s, tc);
	return s;
}
