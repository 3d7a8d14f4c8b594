// SPDX-License-Identifier: GPL-2.0
/*
 * One shadow table domain invalidated from the two places a guest can invalidate from at
 * once: the requestq (viommu_handle_request(), served on the notifying vCPU) and the invalq
 * (viommu_invalidate_batch(), its thread). Each thread changes pages of its own and
 * invalidates them; afterwards the fake IOAS must hold exactly what the table says. Without
 * the domain's invalidation lock the two threads share the domain's area tree and the IOAS:
 * the ThreadSanitizer build (make tsan) reports it, and the ASan build corrupts or misses.
 */
#include <endian.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fake_ioas.h"
#include "iommu/backend_ioas.h"
#include "iommu/backend_shadow.h"
#include "iommu/viommu.h"
#include "iommu/viommu_nested.h"
#include "unit.h"

#define RAM_SIZE (4ULL << 20)
#define KB4 0x1000ULL
#define ROOT 0x1000ULL /* PML4, then PDPT, PD and the one PT, for IOVA [0, 2 MiB) */
#define PT (ROOT + 3 * KB4)
#define DATA (1ULL << 20)
#define PAGES 64 /* PTEs 0..63: even ones the requestq thread's, odd ones the invalq's */
#define ROUNDS 400
#define EP_ID 0x10
#define DOMAIN 7
#define ENTRY_FLAGS 0x7ULL /* present, writable, user */

static uint8_t *ram;
static struct gmem mem;
static struct fake_iommufd *fake;
static struct viommu *v;

static int fake_attach_pt(void *dev, uint32_t pt_id)
{
	(void)dev;
	(void)pt_id;
	return 0;
}

static void set_entry(uint64_t table, unsigned int i, uint64_t e)
{
	__atomic_store_n((uint64_t *)(ram + table + i * 8), htole64(e), __ATOMIC_RELEASE);
}

static void set_page(unsigned int page, bool present)
{
	set_entry(PT, page, present ? (DATA + page * KB4) | ENTRY_FLAGS : 0);
}

static struct virtio_iommu_req_invalidate inval_req(unsigned int page)
{
	return (struct virtio_iommu_req_invalidate){
		.head.type = VIRTIO_IOMMU_T_INVALIDATE,
		.domain = htole32(DOMAIN),
		.scope = VIRTIO_IOMMU_INVAL_S_RANGE,
		.address = htole64(page * KB4),
		.size = htole64(KB4),
	};
}

static uint8_t send(const void *req, size_t len)
{
	uint8_t tail[4] = { 0xff };
	size_t rl = 0;

	if (viommu_handle_request(v, req, len, tail, sizeof(tail), &rl))
		return 0xff;
	return tail[0];
}

/* The requestq: each INVALIDATE on its own, as a vCPU serves them. */
static void *requestq_thread(void *arg)
{
	unsigned long *bad = arg;

	for (unsigned int r = 0; r < ROUNDS; r++) {
		unsigned int page = 2 * (r % (PAGES / 2));
		struct virtio_iommu_req_invalidate req = inval_req(page);

		set_page(page, r / (PAGES / 2) % 2);
		*bad += send(&req, sizeof(req) - 4) != VIRTIO_IOMMU_S_OK;
	}
	return NULL;
}

/* The invalq: batches of 4, as its thread serves them. */
static void *invalq_thread(void *arg)
{
	unsigned long *bad = arg;

	for (unsigned int r = 0; r < ROUNDS; r += 4) {
		struct virtio_iommu_req_invalidate req[4];
		const void *reqs[4];
		size_t lens[4];
		uint8_t status[4];

		for (unsigned int i = 0; i < 4; i++) {
			unsigned int page = 2 * ((r + i) % (PAGES / 2)) + 1;

			set_page(page, (r + i) / (PAGES / 2) % 2);
			req[i] = inval_req(page);
			reqs[i] = &req[i];
			lens[i] = sizeof(req[i]) - 4;
		}
		viommu_invalidate_batch(v, reqs, lens, 4, status);
		for (unsigned int i = 0; i < 4; i++)
			*bad += status[i] != VIRTIO_IOMMU_S_OK;
	}
	return NULL;
}

START_TEST(requestq_and_invalq_on_one_shadow_domain)
{
	struct ioas_endpoint ep = { .attach_pt = fake_attach_pt, .name = "fake" };
	struct virtio_iommu_req_attach_table at = {
		.head.type = VIRTIO_IOMMU_T_ATTACH_TABLE,
		.domain = htole32(DOMAIN),
		.endpoint = htole32(EP_ID),
		.table = htole64(ROOT),
		.format = htole16(VIRTIO_IOMMU_FORMAT_VTD_S1),
	};
	unsigned long bad_rq = 0, bad_iq = 0;
	struct viommu_backend *be;
	struct viommu_params p;
	struct shadow_stats st;
	pthread_t a, b;
	unsigned int present = 0;

	ram = calloc(1, RAM_SIZE);
	fake = calloc(1, sizeof(*fake));
	ck_assert(ram && fake);
	fake_iommufd_init(fake);
	mem = (struct gmem){ .regions = { { 0, RAM_SIZE, ram } }, .count = 1 };
	set_entry(ROOT, 0, (ROOT + KB4) | ENTRY_FLAGS);
	set_entry(ROOT + KB4, 0, (ROOT + 2 * KB4) | ENTRY_FLAGS);
	set_entry(ROOT + 2 * KB4, 0, PT | ENTRY_FLAGS);
	for (unsigned int i = 0; i < PAGES; i++)
		set_page(i, true);

	viommu_default_params(&p);
	v = viommu_create(&p, &mem);
	be = shadow_backend_create_ops(&fake_iommufd_ops, fake, &mem, NULL);
	ck_assert(v && be);
	viommu_set_table_backend(v, VIOMMU_EP_VFIO, be);
	ck_assert_ptr_nonnull(viommu_add_endpoint(v, EP_ID, VIOMMU_EP_VFIO, &ep));
	viommu_set_features(v, viommu_features(v));
	ck_assert_uint_eq(send(&at, sizeof(at) - 4), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(fake->nr_areas, PAGES);

	ck_assert_int_eq(pthread_create(&a, NULL, requestq_thread, &bad_rq), 0);
	ck_assert_int_eq(pthread_create(&b, NULL, invalq_thread, &bad_iq), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	ck_assert_uint_eq(bad_rq, 0);
	ck_assert_uint_eq(bad_iq, 0);

	/* The IOAS and the backend's record both say what the table says. */
	for (unsigned int i = 0; i < PAGES; i++) {
		const struct fake_area *f = fake_area_at(fake, 1, i * KB4);
		bool want = le64toh(*(uint64_t *)(ram + PT + i * 8)) & 1;

		ck_assert_msg(!f == !want, "page %u: %s in the IOAS, %s in the table", i,
			      f ? "mapped" : "unmapped", want ? "present" : "not present");
		if (f)
			ck_assert_ptr_eq(f->va, ram + DATA + i * KB4);
		present += want;
	}
	ck_assert_uint_eq(fake->nr_areas, present);
	shadow_backend_stats(be, &st);
	ck_assert_uint_eq(st.areas, present);

	viommu_destroy(v);
	shadow_backend_destroy(be);
	free(fake);
	free(ram);
}
END_TEST

Suite *inval_race_suite(void)
{
	Suite *s = suite_create("inval_race");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, requestq_and_invalq_on_one_shadow_domain);
	suite_add_tcase(s, tc);
	return s;
}
