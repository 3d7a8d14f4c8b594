// SPDX-License-Identifier: GPL-2.0
/*
 * Our guest driver's page table (tools/linux-guest/pgtable.c, built here in user space over
 * tests/unit/kshim) against nestvm's own walker (iommu/pgtable_x86.c): whatever the driver
 * writes, the device must read the same way. Its pages come from a fake guest RAM, so a
 * table entry's address is a GPA the walker reads through gmem.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/linux-guest/pgtable.c"
#include "iommu/pgtable_x86.h"
#include "unit.h"

#define RAM_SIZE (64UL << 20)
#define PAGES (RAM_SIZE / SZ_4K)

static uint8_t *ram;
static struct gmem mem;
static unsigned long next_page, pages_live;
static pthread_mutex_t alloc_lock = PTHREAD_MUTEX_INITIALIZER;

/* The shims' side (kshim/linux/gfp.h, io.h): table pages from the low half of the RAM. */
unsigned long get_zeroed_page(gfp_t gfp)
{
	unsigned long va = 0;

	(void)gfp;
	pthread_mutex_lock(&alloc_lock);
	if (next_page < PAGES / 2) {
		va = (unsigned long)(ram + next_page++ * SZ_4K);
		pages_live++;
	}
	pthread_mutex_unlock(&alloc_lock);
	if (va)
		memset((void *)va, 0, SZ_4K);
	return va;
}

void free_page(unsigned long addr)
{
	ck_assert(addr >= (unsigned long)ram && addr < (unsigned long)ram + RAM_SIZE);
	pthread_mutex_lock(&alloc_lock);
	pages_live--;
	pthread_mutex_unlock(&alloc_lock);
}

phys_addr_t virt_to_phys(const void *va)
{
	return (const uint8_t *)va - ram;
}

void *phys_to_virt(phys_addr_t pa)
{
	return ram + pa;
}

static struct nvi_pgtable pt;

static void setup(void)
{
	ram = aligned_alloc(SZ_4K, RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	mem = (struct gmem){ .regions = { { 0, RAM_SIZE, ram } }, .count = 1 };
	next_page = 1; /* GPA 0 stays unused: a zero entry must never look like a table */
	pages_live = 0;
	ck_assert_int_eq(nvi_pt_init(&pt, GFP_KERNEL), 0);
}

static void teardown(void)
{
	nvi_pt_free(&pt);
	ck_assert_uint_eq(pages_live, 0); /* every table page came back */
	free(ram);
}

/* What nestvm's walker makes of @iova, as the device would (writes checked, WPE on). */
static struct pgtable_xlate walk(unsigned long iova, bool write)
{
	struct pgtable_x86 w = { .mem = &mem,
				 .root = virt_to_phys(pt.root),
				 .levels = 4,
				 .maxphyaddr = 46,
				 .wp = true,
				 .allow_1g = true };
	struct pgtable_xlate x;

	pgtable_x86_translate(&w, iova, write, &x);
	return x;
}

/* GPAs for mapped data: the high half of the RAM, never a table page. */
#define DATA(off) (RAM_SIZE / 2 + (off))

static void map(unsigned long iova, phys_addr_t pa, size_t pgsize, size_t count, int prot)
{
	size_t mapped = 0;

	ck_assert_int_eq(nvi_pt_map(&pt, iova, pa, pgsize, count, prot, GFP_KERNEL, &mapped), 0);
	ck_assert_uint_eq(mapped, pgsize * count);
}

START_TEST(every_leaf_size_reads_the_same_in_nestvm)
{
	struct pgtable_xlate x;

	map(0x1000, DATA(0x5000), SZ_4K, 2, IOMMU_READ | IOMMU_WRITE);
	map(0x40000000, DATA(0x200000), SZ_2M, 1, IOMMU_READ);
	/* 1 GiB at IOVA 1 TiB onto GPA 0 (only its first bytes are RAM; the walk does not care) */
	map(1UL << 40, 0, SZ_1G, 1, IOMMU_READ | IOMMU_WRITE);

	x = walk(0x2abc, true);
	ck_assert_int_eq(x.fault, PGT_OK);
	ck_assert_uint_eq(x.gpa, DATA(0x6abc));
	ck_assert_uint_eq(x.page_size, SZ_4K);
	ck_assert(x.writable && x.user);
	ck_assert_uint_eq(nvi_pt_iova_to_phys(&pt, 0x2abc), DATA(0x6abc));

	x = walk(0x40123456, false);
	ck_assert_int_eq(x.fault, PGT_OK);
	ck_assert_uint_eq(x.page_size, SZ_2M);
	ck_assert_uint_eq(x.gpa, DATA(0x200000 + 0x123456));
	ck_assert_uint_eq(nvi_pt_iova_to_phys(&pt, 0x40123456), DATA(0x323456));
	/* read-only: the device may not write it */
	ck_assert_int_eq(walk(0x40123456, true).fault, PGT_WRITE_PROTECTED);

	x = walk((1UL << 40) + 0x12345678, true);
	ck_assert_int_eq(x.fault, PGT_OK);
	ck_assert_uint_eq(x.page_size, SZ_1G);
	ck_assert_uint_eq(x.gpa, 0x12345678);

	ck_assert_int_eq(walk(0x3000, false).fault, PGT_NOT_PRESENT);
	ck_assert_uint_eq(nvi_pt_iova_to_phys(&pt, 0x3000), 0);
}
END_TEST

START_TEST(unmap_takes_only_what_it_names)
{
	map(0x100000, DATA(0), SZ_4K, 16, IOMMU_READ | IOMMU_WRITE);
	ck_assert_uint_eq(nvi_pt_unmap(&pt, 0x104000, 2 * SZ_4K), 2 * SZ_4K);
	for (unsigned long i = 0; i < 16; i++) {
		bool gone = i == 4 || i == 5;

		ck_assert_int_eq(walk(0x100000 + i * SZ_4K, false).fault,
				 gone ? PGT_NOT_PRESENT : PGT_OK);
	}
	/* a hole: nothing to unmap there, and the core is told so */
	ck_assert_uint_eq(nvi_pt_unmap(&pt, 0x104000, SZ_4K), 0);
	/* a 4 KiB unmap inside a 2 MiB leaf takes the whole leaf (the core asks in leaves) */
	map(0x600000, DATA(0x400000), SZ_2M, 1, IOMMU_READ);
	ck_assert_uint_eq(nvi_pt_unmap(&pt, 0x600000, SZ_4K), SZ_2M);
	ck_assert_int_eq(walk(0x7ff000, false).fault, PGT_NOT_PRESENT);
}
END_TEST

START_TEST(a_huge_page_over_an_emptied_table_becomes_small_pages)
{
	struct pgtable_xlate x;

	map(0x800000, DATA(0), SZ_4K, 1, IOMMU_READ);
	ck_assert_uint_eq(nvi_pt_unmap(&pt, 0x800000, SZ_4K), SZ_4K);
	/* the emptied PTE table stays; a 2 MiB map there goes into it as 512 small pages */
	map(0x800000, DATA(0x200000), SZ_2M, 1, IOMMU_READ | IOMMU_WRITE);
	for (unsigned long off = 0; off < SZ_2M; off += 0x3f000) {
		x = walk(0x800000 + off + 0x10, true);
		ck_assert_int_eq(x.fault, PGT_OK);
		ck_assert_uint_eq(x.page_size, SZ_4K);
		ck_assert_uint_eq(x.gpa, DATA(0x200000 + off + 0x10));
	}
	/* and mapping over a live leaf is refused */
	{
		size_t mapped = 0;

		ck_assert_int_eq(
		    nvi_pt_map(&pt, 0x801000, DATA(0), SZ_4K, 1, IOMMU_READ, GFP_KERNEL, &mapped),
		    -EEXIST);
	}
}
END_TEST

struct leaf_list {
	unsigned long iova[8];
	phys_addr_t pa[8];
	size_t size[8];
	unsigned int n;
};

static int note_leaf(void *opaque, unsigned long iova, phys_addr_t pa, size_t size, bool w)
{
	struct leaf_list *l = opaque;

	(void)w;
	ck_assert_uint_lt(l->n, 8);
	l->iova[l->n] = iova;
	l->pa[l->n] = pa;
	l->size[l->n++] = size;
	return 0;
}

static int note_walked(void *opaque, uint64_t iova, uint64_t gpa, uint64_t size, bool w)
{
	return note_leaf(opaque, iova, gpa, size, w);
}

/* MAP mode replays the table with nvi_pt_for_each_leaf: the leaves nestvm's walk sees. */
START_TEST(replay_lists_the_leaves_nestvm_walks)
{
	struct pgtable_x86 w = {
		.mem = &mem, .levels = 4, .maxphyaddr = 46, .wp = true, .allow_1g = true
	};
	struct leaf_list ours = { 0 }, device = { 0 };

	map(0x7000, DATA(0x1000), SZ_4K, 1, IOMMU_READ);
	map(0x200000, DATA(0x200000), SZ_2M, 1, IOMMU_READ | IOMMU_WRITE);
	map(0x7fff00000000UL, DATA(0x9000), SZ_4K, 1, IOMMU_READ);
	ck_assert_int_eq(nvi_pt_for_each_leaf(&pt, note_leaf, &ours), 0);
	w.root = virt_to_phys(pt.root);
	ck_assert_int_eq(pgtable_x86_walk(&w, 0, (1UL << 47) - 1, 100, note_walked, &device, NULL),
			 0);
	ck_assert_uint_eq(ours.n, 3);
	ck_assert_mem_eq(&ours, &device, sizeof(ours));
}
END_TEST

/* Many CPUs map disjoint pages of one fresh region at once: tables go in with cmpxchg. */
#define THREADS 4
#define PER_THREAD 256

static void *map_some(void *arg)
{
	unsigned long t = (unsigned long)arg;

	for (unsigned long i = 0; i < PER_THREAD; i++) {
		unsigned long page = i * THREADS + t; /* interleaved: every table is contended */
		size_t mapped = 0;

		ck_assert_int_eq(nvi_pt_map(&pt, (5UL << 39) + page * SZ_4K, DATA(page * SZ_4K),
					    SZ_4K, 1, IOMMU_READ, GFP_KERNEL, &mapped),
				 0);
	}
	return NULL;
}

START_TEST(concurrent_maps_share_their_tables)
{
	pthread_t th[THREADS];

	for (unsigned long t = 0; t < THREADS; t++)
		ck_assert_int_eq(pthread_create(&th[t], NULL, map_some, (void *)t), 0);
	for (unsigned long t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	for (unsigned long page = 0; page < THREADS * PER_THREAD; page++) {
		struct pgtable_xlate x = walk((5UL << 39) + page * SZ_4K, false);

		ck_assert_int_eq(x.fault, PGT_OK);
		ck_assert_uint_eq(x.gpa, DATA(page * SZ_4K));
	}
	/* 1024 pages: root + 1 PDPT + 1 PD + 2 PTE tables, whatever the losers allocated */
	ck_assert_uint_eq(pages_live, 5);
}
END_TEST

Suite *guest_pgtable_suite(void)
{
	Suite *s = suite_create("guest_pgtable");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_leaf_size_reads_the_same_in_nestvm);
	tcase_add_test(tc, unmap_takes_only_what_it_names);
	tcase_add_test(tc, a_huge_page_over_an_emptied_table_becomes_small_pages);
	tcase_add_test(tc, replay_lists_the_leaves_nestvm_walks);
	tcase_add_test(tc, concurrent_maps_share_their_tables);
	suite_add_tcase(s, tc);
	return s;
}
