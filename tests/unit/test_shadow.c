// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow backend against a fake iommufd (fake_ioas.h) and VT-d first-stage tables built in
 * a malloc'd guest RAM: what set_table mirrors, what each invalidate re-syncs, hostile tables.
 * After every step the fake IOAS must hold exactly what the backend says it holds, and nothing
 * outside guest RAM.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fake_ioas.h"
#include "iommu/backend_ioas.h"
#include "iommu/backend_shadow.h"
#include "iommu/uapi_compat.h"
#include "iommu/viommu_nested.h"
#include "unit.h"

#define RAM0_SIZE (8ULL << 20) /* GPA [0, 8 MiB) */
#define RAM1_GPA RAM0_SIZE /* GPA [8 MiB, 10 MiB), elsewhere in our memory */
#define RAM1_SIZE (2ULL << 20)
#define P (1ULL << 0)
#define RW (1ULL << 1)
#define US (1ULL << 2)
#define PS (1ULL << 7)
#define ADDR 0x000ffffffffff000ULL
#define KB4 0x1000ULL
#define MB2 0x200000ULL
#define GB1 0x40000000ULL
#define DATA (4ULL << 20) /* data pages from here; tables below */
#define R IOMMU_IOAS_MAP_READABLE
#define W IOMMU_IOAS_MAP_WRITEABLE

static uint8_t *ram0, *ram1;
static struct gmem mem;
static uint64_t next_table, root;
static struct fake_iommufd *fake;
static struct viommu_backend *be;
static void *dom;
static uint32_t dev_pt; /* what attach_pt last put the device on */
static unsigned int attach_calls;

static int fake_attach_pt(void *dev, uint32_t pt_id)
{
	(void)dev;
	attach_calls++;
	dev_pt = pt_id;
	return 0;
}

static struct ioas_endpoint ep = { .attach_pt = fake_attach_pt, .name = "fake" };

static void make_backend(const struct shadow_params *p)
{
	be = shadow_backend_create_ops(&fake_iommufd_ops, fake, &mem, p);
	ck_assert_ptr_nonnull(be);
}

static void setup(void)
{
	ram0 = calloc(1, RAM0_SIZE);
	ram1 = calloc(1, RAM1_SIZE);
	fake = malloc(sizeof(*fake));
	ck_assert(ram0 && ram1 && fake);
	fake_iommufd_init(fake);
	mem = (struct gmem){ .regions = { { 0, RAM0_SIZE, ram0 }, { RAM1_GPA, RAM1_SIZE, ram1 } },
			     .count = 2 };
	next_table = KB4;
	root = next_table;
	next_table += KB4;
	dom = NULL;
	dev_pt = 0;
	attach_calls = 0;
	ep.cur_ioas = 0;
	make_backend(NULL);
}

static void teardown(void)
{
	if (dom)
		be->ops->domain_free(be->ctx, dom);
	shadow_backend_destroy(be);
	free(fake);
	free(ram1);
	free(ram0);
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

/* The table holding @iova's level-@level entry, making missing tables (4-level). */
static uint64_t table_for(uint64_t iova, unsigned int level)
{
	uint64_t table = root, e;

	for (unsigned int l = 4; l > level; l--) {
		e = get_entry(table, idx(iova, l));
		if (!(e & P)) {
			ck_assert_uint_lt(next_table, DATA);
			e = next_table | P | RW | US;
			next_table += KB4;
			set_entry(table, idx(iova, l), e);
		}
		table = e & ADDR;
	}
	return table;
}

/* Sets @iova's leaf at @level (1: 4K, 2: 2M, 3: 1G) to @gpa with @flags (0: not present). */
static void leaf(uint64_t iova, uint64_t gpa, unsigned int level, uint64_t flags)
{
	uint64_t e = flags ? gpa | flags | US | (level > 1 ? PS : 0) : 0;

	set_entry(table_for(iova, level), idx(iova, level), e);
}

static uint8_t *hva(uint64_t gpa)
{
	return gpa >= RAM1_GPA ? ram1 + (gpa - RAM1_GPA) : ram0 + gpa;
}

/* The backend's record and the fake IOAS agree, and nothing lies outside guest RAM. */
static void consistent(void)
{
	struct shadow_stats st;

	shadow_backend_stats(be, &st);
	ck_assert_uint_eq(st.areas, fake->nr_areas);
	for (unsigned int i = 0; i < fake->nr_areas; i++) {
		const struct fake_area *a = &fake->areas[i];
		bool in0 = a->va >= ram0 && a->va + a->len <= ram0 + RAM0_SIZE;
		bool in1 = a->va >= ram1 && a->va + a->len <= ram1 + RAM1_SIZE;

		ck_assert_msg(in0 || in1, "area at IOVA %#llx outside guest RAM",
			      (unsigned long long)a->iova);
	}
}

static int set_table_flags(uint64_t flags)
{
	struct viommu_table t = { .format = VIRTIO_IOMMU_FORMAT_VTD_S1,
				  .root = root,
				  .flags = flags };
	int ret;

	ck_assert_int_eq(be->ops->domain_alloc(be->ctx, false, &dom), 0);
	ret = be->ops->set_table(be->ctx, dom, &t);
	if (!ret) {
		ck_assert_int_eq(be->ops->attach(be->ctx, dom, &ep), 0);
		ck_assert_uint_ne(dev_pt, 0);
	}
	consistent();
	return ret;
}

static int set_table(void)
{
	return set_table_flags(0);
}

static int inval(uint64_t start, uint64_t size)
{
	struct viommu_inval inv = { .start = start, .end = start + size - 1 };
	unsigned int done = 99;
	int ret = be->ops->invalidate(be->ctx, dom, &inv, 1, &done);

	ck_assert_uint_eq(done, ret ? 0 : 1);
	consistent();
	return ret;
}

static int inval_all(void)
{
	struct viommu_inval inv = { .all = true };
	unsigned int done = 99;
	int ret = be->ops->invalidate(be->ctx, dom, &inv, 1, &done);

	ck_assert_uint_eq(done, ret ? 0 : 1);
	consistent();
	return ret;
}

/* @iova is mapped to @gpa with @prot, in an area of @len bytes starting at @start. */
static void mapped(uint64_t iova, uint64_t gpa, uint32_t prot, uint64_t start, uint64_t len)
{
	const struct fake_area *a = fake_area_at(fake, dev_pt, iova);

	ck_assert_msg(a, "IOVA %#llx not mapped", (unsigned long long)iova);
	ck_assert_ptr_eq(a->va + (iova - a->iova), hva(gpa));
	ck_assert_uint_eq(a->prot, prot);
	ck_assert_uint_eq(a->iova, start);
	ck_assert_uint_eq(a->len, len);
}

static struct fake_area saved[64];
static unsigned int nr_saved;

/* Keeps what the fake IOAS holds now, for as_snapshot(). */
static void snapshot(void)
{
	ck_assert_uint_le(fake->nr_areas, 64);
	fake_sort_areas(fake);
	memcpy(saved, fake->areas, fake->nr_areas * sizeof(saved[0]));
	nr_saved = fake->nr_areas;
}

/* The fake IOAS holds exactly what snapshot() saw. */
static void as_snapshot(void)
{
	fake_sort_areas(fake);
	ck_assert_uint_eq(fake->nr_areas, nr_saved);
	for (unsigned int i = 0; i < nr_saved; i++) {
		const struct fake_area *a = &fake->areas[i], *b = &saved[i];

		ck_assert_msg(a->ioas == b->ioas && a->iova == b->iova && a->len == b->len &&
				  a->va == b->va && a->prot == b->prot,
			      "area %u: IOVA %#llx+%#llx, was %#llx+%#llx", i,
			      (unsigned long long)a->iova, (unsigned long long)a->len,
			      (unsigned long long)b->iova, (unsigned long long)b->len);
	}
}

static void unmapped(uint64_t iova)
{
	ck_assert_msg(!fake_area_at(fake, dev_pt, iova), "IOVA %#llx mapped",
		      (unsigned long long)iova);
}

START_TEST(mixed_page_sizes)
{
	struct shadow_stats st;

	leaf(0x10000, DATA, 1, P | RW); /* two pages contiguous in IOVA and RAM: an area each */
	leaf(0x11000, DATA + KB4, 1, P | RW);
	leaf(0x12000, DATA + 2 * KB4, 1, P); /* contiguous, read-only: an area of its own */
	leaf(0x20000, DATA + 8 * KB4, 1, P); /* read-only by its PTE */
	leaf(0x200000, DATA, 2, P | RW); /* 2 MiB leaf aliasing the same RAM */
	leaf(0x600000, RAM1_GPA, 2, P | RW); /* in the second RAM region */
	leaf(3 * GB1, 0, 3, P | RW); /* 1 GiB at GPA 0: 10 MiB of it is RAM, in two regions */
	ck_assert_int_eq(set_table(), 0);
	mapped(0x10000, DATA, R | W, 0x10000, KB4);
	mapped(0x11000, DATA + KB4, R | W, 0x11000, KB4);
	mapped(0x12000, DATA + 2 * KB4, R, 0x12000, KB4);
	mapped(0x20000, DATA + 8 * KB4, R, 0x20000, KB4);
	unmapped(0x13000);
	unmapped(0x21000);
	mapped(0x200000 + 0x1234, DATA + 0x1234, R | W, 0x200000, MB2);
	mapped(0x600000, RAM1_GPA, R | W, 0x600000, MB2);
	mapped(3 * GB1, 0, R | W, 3 * GB1, RAM0_SIZE);
	mapped(3 * GB1 + RAM1_GPA + 5, RAM1_GPA + 5, R | W, 3 * GB1 + RAM1_GPA, RAM1_SIZE);
	unmapped(3 * GB1 + RAM1_GPA + RAM1_SIZE);
	ck_assert_uint_eq(fake->nr_areas, 8);
	shadow_backend_stats(be, &st);
	ck_assert_uint_eq(st.leaves, 7);
	ck_assert_uint_eq(st.outside_ram, 1); /* the 1 GiB leaf, in part */
	ck_assert_uint_eq(st.maps, 8);
	ck_assert_uint_eq(st.walk_errors, 0);
	/* attach put the device on the domain's IOAS, once */
	ck_assert_int_eq(be->ops->attach(be->ctx, dom, &ep), 0);
	ck_assert_uint_eq(attach_calls, 1);
	ck_assert_uint_eq(ep.cur_ioas, dev_pt);
}
END_TEST

START_TEST(write_protect_at_an_upper_level)
{
	leaf(0x40000000, DATA, 1, P | RW);
	/* the PDPTE above it read-only: the leaf is read-only however its PTE says */
	set_entry(table_for(0x40000000, 3), idx(0x40000000, 3),
		  get_entry(table_for(0x40000000, 3), idx(0x40000000, 3)) & ~RW);
	ck_assert_int_eq(set_table(), 0);
	mapped(0x40000000, DATA, R, 0x40000000, KB4);
}
END_TEST

START_TEST(range_inside_a_2m_leaf_widens)
{
	struct shadow_stats st;

	leaf(0x200000, DATA, 2, P | RW);
	leaf(0x400000, DATA, 1, P | RW); /* a neighbour the invalidate must not touch */
	ck_assert_int_eq(set_table(), 0);
	/* the guest moves the 2 MiB leaf and invalidates one 4 KiB page inside it */
	leaf(0x200000, 2 * MB2, 2, P);
	leaf(0x400000, DATA + KB4, 1, P | RW); /* changed, not invalidated: stays stale */
	ck_assert_int_eq(inval(0x300000, KB4), 0);
	mapped(0x200000, 2 * MB2, R, 0x200000, MB2);
	mapped(0x3ff000, 2 * MB2 + MB2 - KB4, R, 0x200000, MB2);
	mapped(0x400000, DATA, R | W, 0x400000, KB4);
	shadow_backend_stats(be, &st);
	ck_assert_uint_eq(st.unmaps, 1);
	/* now the neighbour */
	ck_assert_int_eq(inval(0x400000, KB4), 0);
	mapped(0x400000, DATA + KB4, R | W, 0x400000, KB4);
}
END_TEST

START_TEST(unmapped_then_invalidated_disappears)
{
	for (uint64_t i = 0; i < 8; i++)
		leaf(0x100000 + i * KB4, DATA + i * KB4, 1, P | RW);
	ck_assert_int_eq(set_table(), 0);
	ck_assert_uint_eq(fake->nr_areas, 8);
	/* page 3 goes, and only it: its neighbours are not touched */
	leaf(0x103000, 0, 1, 0);
	ck_assert_int_eq(inval(0x103000, KB4), 0);
	unmapped(0x103000);
	mapped(0x100000, DATA, R | W, 0x100000, KB4);
	mapped(0x107000, DATA + 7 * KB4, R | W, 0x107000, KB4);
	ck_assert_uint_eq(fake->maps, 8);
	ck_assert_uint_eq(fake->unmaps, 1);
	/* all of them go; an invalidate of nothing mapped is fine too */
	for (uint64_t i = 0; i < 8; i++)
		leaf(0x100000 + i * KB4, 0, 1, 0);
	ck_assert_int_eq(inval(0x100000, 8 * KB4), 0);
	ck_assert_uint_eq(fake->nr_areas, 0);
	ck_assert_int_eq(inval(0x100000, 8 * KB4), 0);
	ck_assert_int_eq(inval_all(), 0);
}
END_TEST

START_TEST(remapped_pages_move)
{
	leaf(0x7000, DATA, 1, P | RW);
	leaf(0x8000, DATA + KB4, 1, P);
	ck_assert_int_eq(set_table(), 0);
	leaf(0x7000, RAM1_GPA + 3 * KB4, 1, P);
	leaf(0x8000, DATA + 5 * KB4, 1, P | RW);
	leaf(0x9000, DATA + 6 * KB4, 1, P | RW); /* new, next to it */
	ck_assert_int_eq(inval(0x7000, 3 * KB4), 0);
	mapped(0x7000, RAM1_GPA + 3 * KB4, R, 0x7000, KB4);
	mapped(0x8000, DATA + 5 * KB4, R | W, 0x8000, KB4);
	mapped(0x9000, DATA + 6 * KB4, R | W, 0x9000, KB4);
	/* everything again: the same result, and nothing moves */
	ck_assert_int_eq(inval_all(), 0);
	mapped(0x7000, RAM1_GPA + 3 * KB4, R, 0x7000, KB4);
	mapped(0x9000, DATA + 6 * KB4, R | W, 0x9000, KB4);
	ck_assert_uint_eq(fake->nr_areas, 3);
	ck_assert_uint_eq(fake->maps, 5);
}
END_TEST

START_TEST(one_area_per_leaf)
{
	/* 4 KiB pages contiguous in IOVA and RAM: two areas, so each can change alone */
	leaf(MB2 - KB4, DATA, 1, P | RW);
	leaf(MB2, DATA + KB4, 1, P | RW);
	ck_assert_int_eq(set_table(), 0);
	mapped(MB2 - KB4, DATA, R | W, MB2 - KB4, KB4);
	mapped(MB2, DATA + KB4, R | W, MB2, KB4);
}
END_TEST

START_TEST(neighbours_stay_mapped_throughout)
{
	/* a 2 MiB block of 4 KiB pages, a 2 MiB leaf after it, all mapped */
	for (uint64_t i = 0; i < 512; i++)
		leaf(MB2 + i * KB4, DATA + (i % 64) * KB4, 1, P | RW);
	leaf(2 * MB2, DATA, 2, P | RW);
	ck_assert_int_eq(set_table(), 0);
	/* a device's DMA targets these: the first, the last, one in the middle, the 2 MiB leaf */
	fake->watch_ioas = dev_pt;
	fake->watch[0] = MB2;
	fake->watch[1] = 2 * MB2 - KB4;
	fake->watch[2] = MB2 + 100 * KB4;
	fake->watch[3] = 2 * MB2 + 0x1234;
	fake->nr_watch = 4;
	/* their neighbours change again and again, by RANGE, and by DOMAIN now and then */
	for (uint64_t round = 0; round < 40; round++) {
		uint64_t page = MB2 + (1 + round * 7 % 98) * KB4;

		leaf(page, round & 1 ? 0 : DATA + KB4 * (round % 5), 1, round & 1 ? 0 : P);
		ck_assert_int_eq(round % 8 == 7 ? inval_all() : inval(page, KB4), 0);
		if (round & 1)
			unmapped(page);
		else
			mapped(page, DATA + KB4 * (round % 5), R, page, KB4);
	}
	/* a RANGE that covers a watched page, unchanged, and its changed neighbour */
	leaf(MB2 + 99 * KB4, DATA, 1, P);
	ck_assert_int_eq(inval(MB2 + 99 * KB4, 3 * KB4), 0);
	ck_assert_uint_eq(fake->watch_gaps, 0);
	mapped(MB2 + 100 * KB4, DATA + 36 * KB4, R | W, MB2 + 100 * KB4, KB4);
	mapped(2 * MB2 + 0x1234, DATA + 0x1234, R | W, 2 * MB2, MB2);
}
END_TEST

START_TEST(unchanged_table_moves_nothing)
{
	for (uint64_t i = 0; i < 64; i++)
		leaf(i * KB4, DATA + i * KB4, 1, P | RW);
	leaf(GB1, DATA, 2, P | RW);
	ck_assert_int_eq(set_table(), 0);
	ck_assert_uint_eq(fake->maps, 65);
	/* DOMAIN and RANGE invalidations of a table nobody changed: no IOAS call */
	ck_assert_int_eq(inval_all(), 0);
	ck_assert_int_eq(inval(0, 64 * KB4), 0);
	ck_assert_int_eq(inval(GB1 + KB4, KB4), 0);
	ck_assert_uint_eq(fake->maps, 65);
	ck_assert_uint_eq(fake->unmaps, 0);
}
END_TEST

START_TEST(ioerr_leaves_the_ioas_as_it_was)
{
	leaf(0x1000, DATA, 1, P | RW);
	leaf(0x3000, DATA + KB4, 1, P | RW);
	leaf(MB2 * 3, DATA, 2, P);
	ck_assert_int_eq(set_table(), 0);
	snapshot();
	/* the guest changes two leaves and breaks a table between them, then invalidates all */
	leaf(0x1000, 0, 1, 0);
	leaf(0x2000, DATA + 2 * KB4, 1, P | RW);
	leaf(MB2 * 3, DATA + MB2, 2, P | RW);
	set_entry(table_for(MB2, 2), idx(MB2, 2), (DATA + 2 * KB4) | P | RW | PS); /* misaligned */
	ck_assert_int_eq(inval_all(), -EFAULT);
	as_snapshot();
	ck_assert_int_eq(inval(0, 4 * MB2), -EFAULT);
	as_snapshot();
	ck_assert_uint_eq(fake->maps, 3);
	ck_assert_uint_eq(fake->unmaps, 0);
	/* a range short of the broken entry changes what it covers */
	ck_assert_int_eq(inval(0, MB2), 0);
	unmapped(0x1000);
	mapped(0x2000, DATA + 2 * KB4, R | W, 0x2000, KB4);
	mapped(0x3000, DATA + KB4, R | W, 0x3000, KB4);
}
END_TEST

START_TEST(leaf_outside_ram_is_skipped)
{
	struct shadow_stats st;

	leaf(0x5000, 1ULL << 40, 1, P | RW);
	leaf(0x6000, RAM1_GPA + RAM1_SIZE, 1, P | RW); /* right after the last region */
	leaf(0x7000, DATA, 1, P | RW);
	ck_assert_int_eq(set_table(), 0);
	unmapped(0x5000);
	unmapped(0x6000);
	mapped(0x7000, DATA, R | W, 0x7000, KB4);
	shadow_backend_stats(be, &st);
	ck_assert_uint_eq(st.outside_ram, 2);
	ck_assert_uint_eq(st.leaves, 3);
}
END_TEST

START_TEST(msi_doorbell_is_left_out)
{
	struct shadow_stats st;

	leaf(0xfec00000ULL, DATA, 2, P | RW); /* right below the doorbell: untouched */
	leaf(0xfee00000ULL, DATA, 2, P | RW); /* its first 1 MiB is the doorbell */
	ck_assert_int_eq(set_table(), 0);
	mapped(0xfec00000ULL, DATA, R | W, 0xfec00000ULL, MB2);
	unmapped(0xfee00000ULL);
	unmapped(0xfeeff000ULL);
	mapped(0xfef00000ULL, DATA + 0x100000, R | W, 0xfef00000ULL, 0x100000);
	shadow_backend_stats(be, &st);
	ck_assert_uint_eq(st.doorbell, 1);
	ck_assert_uint_eq(st.outside_ram, 0);
	/* an invalidate inside the doorbell maps nothing there, the rest stays */
	ck_assert_int_eq(inval(0xfee00000ULL, KB4), 0);
	unmapped(0xfee00000ULL);
	mapped(0xfeffffffULL, DATA + MB2 - 1, R | W, 0xfef00000ULL, 0x100000);
}
END_TEST

START_TEST(self_loop_is_bounded)
{
	struct shadow_params p = { .max_leaves = 1000 };
	struct shadow_stats st;

	shadow_backend_destroy(be);
	make_backend(&p);
	/* every entry of the root points at the root: 512^4 leaves if nothing stopped it */
	for (unsigned int i = 0; i < 512; i++)
		set_entry(root, i, root | P | RW | US);
	ck_assert_int_eq(set_table(), -ENOMEM); /* too big: NOMEM */
	/* no area was left behind: the model frees the domain, the fake checks the rest */
	be->ops->domain_free(be->ctx, dom);
	dom = NULL;
	ck_assert_uint_eq(fake_ioas_count(fake), 0);
	ck_assert_uint_eq(fake->nr_areas, 0);
	shadow_backend_stats(be, &st);
	ck_assert_uint_eq(st.walk_errors, 1);
	ck_assert_uint_eq(st.areas, 0);
	ck_assert_uint_le(st.leaves, 1000);
}
END_TEST

START_TEST(loop_appearing_later_fails_the_invalidate)
{
	struct shadow_params p = { .max_leaves = 100 };
	uint64_t t;

	shadow_backend_destroy(be);
	make_backend(&p);
	leaf(0x1000, DATA, 1, P | RW);
	ck_assert_int_eq(set_table(), 0);
	/* a table whose 512 entries all point at itself, hung below IOVA 2 MiB */
	t = next_table;
	next_table += KB4;
	for (unsigned int i = 0; i < 512; i++)
		set_entry(t, i, t | P | RW | US);
	set_entry(table_for(0, 2), 1, t | P | RW | US);
	ck_assert_int_eq(inval_all(), -E2BIG);
	/* IOERR: the IOAS is left as it was */
	mapped(0x1000, DATA, R | W, 0x1000, KB4);
	ck_assert_uint_eq(fake->nr_areas, 1);
}
END_TEST

START_TEST(table_outside_ram)
{
	struct shadow_stats st;

	leaf(0x1000, DATA, 1, P | RW);
	/* a PD entry past IOVA 2 MiB pointing at a table beyond guest RAM */
	set_entry(table_for(0, 2), 1, (1ULL << 30) | P | RW | US);
	leaf(GB1, DATA, 1, P | RW); /* after the bad table: never reached */
	ck_assert_int_eq(set_table(), -EINVAL);
	be->ops->domain_free(be->ctx, dom);
	dom = NULL;
	/* set up fine, then broken: the invalidate fails, the IOAS keeps what was valid */
	set_entry(table_for(0, 2), 1, 0);
	ck_assert_int_eq(set_table(), 0);
	mapped(GB1, DATA, R | W, GB1, KB4);
	set_entry(table_for(0, 2), 1, (1ULL << 30) | P | RW | US);
	leaf(GB1, DATA + KB4, 1, P | RW); /* changed too, in the same range */
	ck_assert_int_eq(inval(0, 2 * GB1), -EFAULT);
	/* IOERR: nothing in the range moved */
	mapped(0x1000, DATA, R | W, 0x1000, KB4);
	mapped(GB1, DATA, R | W, GB1, KB4);
	/* a range that avoids the bad table still works */
	ck_assert_int_eq(inval(GB1, KB4), 0);
	mapped(GB1, DATA + KB4, R | W, GB1, KB4);
	shadow_backend_stats(be, &st);
	ck_assert_uint_eq(st.walk_errors, 2);
}
END_TEST

START_TEST(reserved_bits_fail)
{
	leaf(0x1000, DATA, 1, P | RW);
	ck_assert_int_eq(set_table(), 0);
	leaf(0x2000, DATA | (1ULL << 51), 1, P | RW); /* a GPA the host may have, not RAM */
	ck_assert_int_eq(inval(0x2000, KB4), 0);
	unmapped(0x2000); /* GPA 2^51 is not RAM */
	set_entry(table_for(0x2000, 1), idx(0x2000, 1), DATA | P | RW | (1ULL << 52));
	ck_assert_int_eq(inval(0x2000, KB4), 0); /* bit 52 is ignored (available) in a PTE */
	mapped(0x2000, DATA, R | W, 0x2000, KB4);
	set_entry(table_for(MB2, 2), idx(MB2, 2), (DATA + 2 * KB4) | P | RW | PS); /* misaligned */
	ck_assert_int_eq(inval(MB2, KB4), -EFAULT);
	unmapped(MB2);
}
END_TEST

START_TEST(host_width_from_vtd_caps)
{
	struct viommu_table_format f[2];
	struct shadow_stats st;

	/* the test host's emulated VT-d: MGAW 39, SAGAW 39-bit only */
	fake->vtd_cap = 0xd2008c22260206ULL;
	ck_assert_int_eq(shadow_backend_add_device(be, 7), 39);
	ck_assert_uint_eq(shadow_backend_address_bits(be), 39);
	ck_assert_uint_eq(be->ops->table_formats(be->ctx, &ep, f, 2), 1);
	ck_assert_uint_eq(f[0].format, VIRTIO_IOMMU_FORMAT_VTD_S1);
	ck_assert_uint_eq(f[0].address_bits, 39);
	ck_assert_uint_eq(f[0].pasid_bits, 0);
	ck_assert(!(f[0].caps & VIRTIO_IOMMU_VTD_CAP_5LEVEL));
	ck_assert(f[0].caps & VIRTIO_IOMMU_VTD_CAP_1G);
	/* It mirrors the table: the guest must invalidate what it maps (caching mode). */
	ck_assert(f[0].caps & VIRTIO_IOMMU_VTD_CAP_CM);
	/* a wider device later does not widen it; a non-VT-d one changes nothing */
	fake->vtd_cap = (47ULL << 16) | (1ULL << 10);
	ck_assert_int_eq(shadow_backend_add_device(be, 8), 48);
	fake->vtd_cap = 0;
	ck_assert_int_eq(shadow_backend_add_device(be, 9), 0);
	ck_assert_uint_eq(shadow_backend_address_bits(be), 39);
	/* leaves at and above 2^39 are not mirrored */
	leaf((1ULL << 39) - KB4, DATA, 1, P | RW);
	leaf(1ULL << 39, DATA, 1, P | RW);
	leaf(1ULL << 40, DATA, 1, P | RW);
	ck_assert_int_eq(set_table(), 0);
	mapped((1ULL << 39) - KB4, DATA, R | W, (1ULL << 39) - KB4, KB4);
	unmapped(1ULL << 39);
	ck_assert_uint_eq(fake->nr_areas, 1);
	ck_assert_int_eq(inval(1ULL << 39, GB1), 0);
	shadow_backend_stats(be, &st);
	ck_assert_uint_eq(st.leaves, 1);
	/* 5-level tables are refused: the host is narrower than 4-level already */
	be->ops->domain_free(be->ctx, dom);
	dom = NULL;
	ck_assert_int_eq(set_table_flags(VIRTIO_IOMMU_VTD_S1_5LEVEL), -EOPNOTSUPP);
}
END_TEST

START_TEST(five_level_on_a_wide_host)
{
	struct viommu_table_format f;
	uint64_t pml5 = root, iova = 1ULL << 50;

	ck_assert_uint_eq(be->ops->table_formats(be->ctx, &ep, &f, 1), 1);
	ck_assert_uint_eq(f.address_bits, 57);
	ck_assert(f.caps & VIRTIO_IOMMU_VTD_CAP_5LEVEL);
	/* the PML5 entry for 2^50 points at a PML4 built by leaf() */
	root = next_table;
	next_table += KB4;
	leaf(iova, DATA, 1, P | RW);
	set_entry(pml5, idx(iova, 5), root | P | RW | US);
	root = pml5;
	ck_assert_int_eq(set_table_flags(VIRTIO_IOMMU_VTD_S1_5LEVEL), 0);
	mapped(iova, DATA, R | W, iova, KB4);
	ck_assert_uint_eq(fake->nr_areas, 1);
}
END_TEST

START_TEST(host_refuses_a_map)
{
	for (uint64_t i = 0; i < 4; i++)
		leaf(i * MB2, DATA, 2, P | RW);
	ck_assert_int_eq(set_table(), 0);
	ck_assert_uint_eq(fake->nr_areas, 4);
	snapshot();
	/* all four move; the second map of the re-sync fails: IOERR, rolled back */
	for (uint64_t i = 0; i < 4; i++)
		leaf(i * MB2, DATA + MB2, 2, P | RW);
	fake->fail_one_map = 2;
	ck_assert_int_eq(inval_all(), -EIO);
	as_snapshot();
	/* a host that fails the roll-back too: the record still follows the IOAS */
	fake->fail_map_after = 2;
	ck_assert_int_eq(inval_all(), -EIO);
	fake->fail_map_after = 0;
	ck_assert_uint_lt(fake->nr_areas, 4);
	/* the host recovers, the guest retries */
	ck_assert_int_eq(inval_all(), 0);
	ck_assert_uint_eq(fake->nr_areas, 4);
	mapped(3 * MB2, DATA + MB2, R | W, 3 * MB2, MB2);
}
END_TEST

START_TEST(area_limit)
{
	struct shadow_params p = { .max_areas = 3 };

	shadow_backend_destroy(be);
	make_backend(&p);
	for (uint64_t i = 0; i < 4; i++)
		leaf(i * MB2, DATA, 2, P | RW);
	ck_assert_int_eq(set_table(), -ENOMEM);
	be->ops->domain_free(be->ctx, dom);
	dom = NULL;
	leaf(3 * MB2, 0, 2, 0);
	ck_assert_int_eq(set_table(), 0);
	leaf(3 * MB2, DATA, 2, P | RW);
	ck_assert_int_eq(inval(3 * MB2, KB4), -ENOSPC);
	ck_assert_uint_eq(fake->nr_areas, 3);
}
END_TEST

START_TEST(batch_stops_at_the_failing_entry)
{
	struct viommu_inval inv[3] = {
		{ .start = 0, .end = KB4 - 1 },
		{ .start = MB2, .end = MB2 + KB4 - 1 },
		{ .all = true },
	};
	unsigned int done = 99;

	leaf(0, DATA, 1, P | RW);
	ck_assert_int_eq(set_table(), 0);
	set_entry(table_for(MB2, 2), idx(MB2, 2), (DATA + 2 * KB4) | P | RW | PS); /* misaligned */
	ck_assert_int_eq(be->ops->invalidate(be->ctx, dom, inv, 3, &done), -EFAULT);
	ck_assert_uint_eq(done, 1);
	consistent();
}
END_TEST

START_TEST(domain_free_releases_the_ioas)
{
	struct shadow_stats st;
	void *other;

	leaf(0, DATA, 2, P | RW);
	ck_assert_int_eq(set_table(), 0);
	ck_assert_int_eq(be->ops->domain_alloc(be->ctx, false, &other), 0);
	ck_assert_uint_eq(fake_ioas_count(fake), 2);
	be->ops->domain_free(be->ctx, other);
	be->ops->domain_free(be->ctx, dom);
	dom = NULL;
	ck_assert_uint_eq(fake_ioas_count(fake), 0);
	shadow_backend_stats(be, &st);
	ck_assert_uint_eq(st.areas, 0);
	/* bypass domains and other formats are not this backend's */
	ck_assert_int_eq(be->ops->domain_alloc(be->ctx, true, &other), -EOPNOTSUPP);
	ck_assert_int_eq(be->ops->domain_alloc(be->ctx, false, &dom), 0);
	ck_assert_int_eq(
	    be->ops->set_table(be->ctx, dom,
			       &(struct viommu_table){ .format = VIRTIO_IOMMU_FORMAT_SELFTEST }),
	    -EOPNOTSUPP);
}
END_TEST

Suite *shadow_suite(void)
{
	Suite *s = suite_create("shadow");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mixed_page_sizes);
	tcase_add_test(tc, write_protect_at_an_upper_level);
	tcase_add_test(tc, range_inside_a_2m_leaf_widens);
	tcase_add_test(tc, unmapped_then_invalidated_disappears);
	tcase_add_test(tc, remapped_pages_move);
	tcase_add_test(tc, one_area_per_leaf);
	tcase_add_test(tc, neighbours_stay_mapped_throughout);
	tcase_add_test(tc, unchanged_table_moves_nothing);
	tcase_add_test(tc, ioerr_leaves_the_ioas_as_it_was);
	tcase_add_test(tc, leaf_outside_ram_is_skipped);
	tcase_add_test(tc, msi_doorbell_is_left_out);
	tcase_add_test(tc, self_loop_is_bounded);
	tcase_add_test(tc, loop_appearing_later_fails_the_invalidate);
	tcase_add_test(tc, table_outside_ram);
	tcase_add_test(tc, reserved_bits_fail);
	tcase_add_test(tc, host_width_from_vtd_caps);
	tcase_add_test(tc, five_level_on_a_wide_host);
	tcase_add_test(tc, host_refuses_a_map);
	tcase_add_test(tc, area_limit);
	tcase_add_test(tc, batch_stops_at_the_failing_entry);
	tcase_add_test(tc, domain_free_releases_the_ioas);
	suite_add_tcase(s, tc);
	return s;
}
