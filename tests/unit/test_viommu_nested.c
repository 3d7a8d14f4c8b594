// SPDX-License-Identifier: GPL-2.0
/*
 * The nesting extension in the virtio-iommu model, with a fake table backend that records what
 * it is asked: every field of ATTACH_TABLE and INVALIDATE checked, batches grouped per domain,
 * a partial failure reported on exactly the request that failed, PROBE's TABLE_FORMAT, DETACH
 * with a PASID, and hostile requests.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iommu/viommu.h"
#include "iommu/viommu_nested.h"
#include "unit.h"

#define RAM_SIZE (1ULL << 20)
#define EP_A 0x108
#define EP_B 0x110
#define ROOT 0x4000ULL
#define F_NESTED (1ULL << VIRTIO_IOMMU_F_ATTACH_TABLE)

static uint8_t *ram;
static struct gmem mem;
static struct viommu *v;

/* ---- the fake table backend ---- */

static struct {
	unsigned int allocs, frees, set_tables, attaches, inval_calls, inval_entries;
	int fail_entry; /* invalidate fails this entry index of every call, -1: never */
	struct viommu_table last_table;
	struct viommu_inval last[64];
	unsigned int last_n;
	uint8_t pasid_bits;
} fake;

static int fake_domain_alloc(void *ctx, bool bypass, void **domain)
{
	(void)ctx;
	(void)bypass;
	fake.allocs++;
	*domain = malloc(1);
	return *domain ? 0 : -ENOMEM;
}

static void fake_domain_free(void *ctx, void *domain)
{
	(void)ctx;
	fake.frees++;
	free(domain);
}

static int fake_attach(void *ctx, void *domain, void *ep)
{
	(void)ctx;
	(void)domain;
	(void)ep;
	fake.attaches++;
	return 0;
}

static unsigned int fake_formats(void *ctx, void *ep, struct viommu_table_format *out,
				 unsigned int max)
{
	(void)ctx;
	(void)ep;
	if (max < 1)
		return 0;
	out[0] = (struct viommu_table_format){ .format = VIRTIO_IOMMU_FORMAT_VTD_S1,
					       .pasid_bits = fake.pasid_bits,
					       .address_bits = 48,
					       .caps = VIRTIO_IOMMU_VTD_CAP_1G,
					       .page_sizes = 0x40201000ULL };
	return 1;
}

static int fake_set_table(void *ctx, void *domain, const struct viommu_table *t)
{
	(void)ctx;
	(void)domain;
	fake.set_tables++;
	fake.last_table = *t;
	return 0;
}

static int fake_invalidate(void *ctx, void *domain, const struct viommu_inval *inv, unsigned int n,
			   unsigned int *done)
{
	(void)ctx;
	(void)domain;
	fake.inval_calls++;
	fake.last_n = n;
	memcpy(fake.last, inv, n * sizeof(*inv));
	if (fake.fail_entry >= 0 && (unsigned int)fake.fail_entry < n) {
		*done = fake.fail_entry;
		fake.inval_entries += *done;
		return -EIO;
	}
	*done = n;
	fake.inval_entries += n;
	return 0;
}

static int fake_map(void *ctx, void *domain, uint64_t iova, uint64_t end, uint64_t gpa,
		    uint32_t flags)
{
	(void)ctx;
	(void)domain;
	(void)iova;
	(void)end;
	(void)gpa;
	(void)flags;
	return 0;
}

static int fake_unmap(void *ctx, void *domain, uint64_t start, uint64_t end)
{
	(void)ctx;
	(void)domain;
	(void)start;
	(void)end;
	return 0;
}

static const struct viommu_backend_ops fake_ops = {
	.name = "fake",
	.domain_alloc = fake_domain_alloc,
	.domain_free = fake_domain_free,
	.attach = fake_attach,
	.map = fake_map,
	.unmap = fake_unmap,
	.table_formats = fake_formats,
	.set_table = fake_set_table,
	.invalidate = fake_invalidate,
};
static const struct viommu_backend fake_be = { .ops = &fake_ops };

static void setup(void)
{
	struct viommu_params p;

	memset(&fake, 0, sizeof(fake));
	fake.fail_entry = -1;
	ram = calloc(1, RAM_SIZE);
	mem = (struct gmem){ .regions = { { 0, RAM_SIZE, ram } }, .count = 1 };
	viommu_default_params(&p);
	v = viommu_create(&p, &mem);
	ck_assert_ptr_nonnull(v);
	viommu_set_backend(v, VIOMMU_EP_VFIO, &fake_be);
	viommu_set_table_backend(v, VIOMMU_EP_VFIO, &fake_be);
	ck_assert_ptr_nonnull(viommu_add_endpoint(v, EP_A, VIOMMU_EP_VFIO, NULL));
	ck_assert_ptr_nonnull(viommu_add_endpoint(v, EP_B, VIOMMU_EP_VFIO, NULL));
	ck_assert(viommu_features(v) & F_NESTED);
	viommu_set_features(v, viommu_features(v));
}

static void teardown(void)
{
	viommu_destroy(v);
	free(ram);
}

/* Sends a request with a 4-byte tail; the status, or 0xff when the type was not recognized. */
static uint8_t send(const void *req, size_t len)
{
	uint8_t tail[4] = { 0xa5, 0xa5, 0xa5, 0xa5 };
	size_t rl;

	if (viommu_handle_request(v, req, len, tail, sizeof(tail), &rl))
		return 0xff;
	return tail[0];
}

static struct virtio_iommu_req_attach_table table_req(uint32_t domain, uint32_t ep)
{
	struct virtio_iommu_req_attach_table r = { .head.type = VIRTIO_IOMMU_T_ATTACH_TABLE };

	r.domain = htole32(domain);
	r.endpoint = htole32(ep);
	r.format = htole16(VIRTIO_IOMMU_FORMAT_VTD_S1);
	r.table = htole64(ROOT);
	r.format_flags = htole64(VIRTIO_IOMMU_VTD_S1_WPE);
	return r;
}

static uint8_t attach_table(struct virtio_iommu_req_attach_table r)
{
	return send(&r, sizeof(r) - sizeof(r.tail));
}

static struct virtio_iommu_req_invalidate inval_req(uint32_t domain, uint8_t scope,
						    uint64_t address, uint64_t size)
{
	struct virtio_iommu_req_invalidate r = { .head.type = VIRTIO_IOMMU_T_INVALIDATE };

	r.domain = htole32(domain);
	r.scope = scope;
	r.address = htole64(address);
	r.size = htole64(size);
	return r;
}

static uint8_t invalidate(struct virtio_iommu_req_invalidate r)
{
	return send(&r, sizeof(r) - sizeof(r.tail));
}

START_TEST(attach_table_happy_path_and_sharing)
{
	ck_assert_uint_eq(attach_table(table_req(1, EP_A)), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(fake.set_tables, 1);
	ck_assert_uint_eq(fake.last_table.root, ROOT);
	ck_assert_uint_eq(fake.last_table.format, VIRTIO_IOMMU_FORMAT_VTD_S1);
	ck_assert_uint_eq(fake.last_table.flags, VIRTIO_IOMMU_VTD_S1_WPE);
	/* a second endpoint on the same table shares the domain: no second table */
	ck_assert_uint_eq(attach_table(table_req(1, EP_B)), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(fake.set_tables, 1);
	ck_assert_uint_eq(fake.attaches, 2);
	/* again: nothing changes */
	ck_assert_uint_eq(attach_table(table_req(1, EP_A)), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(fake.attaches, 2);
	/* a different table for the same domain is refused */
	{
		struct virtio_iommu_req_attach_table r = table_req(1, EP_A);

		r.table = htole64(ROOT + 0x1000);
		ck_assert_uint_eq(attach_table(r), VIRTIO_IOMMU_S_INVAL);
	}
	/* MAP into a table domain is refused */
	{
		struct virtio_iommu_req_map m = { .head.type = VIRTIO_IOMMU_T_MAP };

		m.domain = htole32(1);
		m.virt_end = htole64(0xfff);
		m.flags = htole32(VIRTIO_IOMMU_MAP_F_READ);
		ck_assert_uint_eq(send(&m, sizeof(m) - sizeof(m.tail)), VIRTIO_IOMMU_S_INVAL);
	}
	/* both leave: the domain goes */
	{
		struct virtio_iommu_req_detach d = { .head.type = VIRTIO_IOMMU_T_DETACH };

		d.domain = htole32(1);
		d.endpoint = htole32(EP_A);
		ck_assert_uint_eq(send(&d, sizeof(d) - sizeof(d.tail)), VIRTIO_IOMMU_S_OK);
		ck_assert_uint_eq(fake.frees, 0);
		d.endpoint = htole32(EP_B);
		ck_assert_uint_eq(send(&d, sizeof(d) - sizeof(d.tail)), VIRTIO_IOMMU_S_OK);
		ck_assert_uint_eq(fake.frees, 1);
	}
	ck_assert_uint_eq(invalidate(inval_req(1, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0)),
			  VIRTIO_IOMMU_S_NOENT);
}
END_TEST

START_TEST(attach_table_checks_every_field)
{
	struct virtio_iommu_req_attach_table r;
	struct virtio_iommu_req_map m = { .head.type = VIRTIO_IOMMU_T_MAP };
	struct virtio_iommu_req_attach a = { .head.type = VIRTIO_IOMMU_T_ATTACH };

	r = table_req(1, 0x999);
	ck_assert_uint_eq(attach_table(r), VIRTIO_IOMMU_S_NOENT);
	r = table_req(0x10000, EP_A); /* past domain_range */
	ck_assert_uint_eq(attach_table(r), VIRTIO_IOMMU_S_RANGE);
	r = table_req(1, EP_A);
	r.table = htole64(ROOT + 8); /* misaligned */
	ck_assert_uint_eq(attach_table(r), VIRTIO_IOMMU_S_INVAL);
	r.table = htole64(RAM_SIZE); /* outside RAM */
	ck_assert_uint_eq(attach_table(r), VIRTIO_IOMMU_S_RANGE);
	r.table = htole64(~0xfffULL);
	ck_assert_uint_eq(attach_table(r), VIRTIO_IOMMU_S_RANGE);
	r = table_req(1, EP_A);
	r.format = htole16(77); /* unknown */
	ck_assert_uint_eq(attach_table(r), VIRTIO_IOMMU_S_INVAL);
	r.format = htole16(VIRTIO_IOMMU_FORMAT_SELFTEST); /* known, not this endpoint's */
	ck_assert_uint_eq(attach_table(r), VIRTIO_IOMMU_S_UNSUPP);
	r = table_req(1, EP_A);
	r.format_flags = htole64(1ULL << 40); /* unknown flag */
	ck_assert_uint_eq(attach_table(r), VIRTIO_IOMMU_S_INVAL);
	r.format_flags = htole64(VIRTIO_IOMMU_VTD_S1_5LEVEL); /* the host has no 5-level */
	ck_assert_uint_eq(attach_table(r), VIRTIO_IOMMU_S_UNSUPP);
	r = table_req(1, EP_A);
	r.reserved[7] = 1;
	ck_assert_uint_eq(attach_table(r), VIRTIO_IOMMU_S_INVAL);
	r = table_req(1, EP_A);
	r.flags = htole16(0x8);
	ck_assert_uint_eq(attach_table(r), VIRTIO_IOMMU_S_INVAL);
	/* a PASID: the endpoint has no PASID bits */
	r = table_req(1, EP_A);
	r.flags = htole16(VIRTIO_IOMMU_TABLE_F_PASID);
	r.pasid = htole32(1);
	ck_assert_uint_eq(attach_table(r), VIRTIO_IOMMU_S_RANGE);
	/* a domain that holds mappings cannot take a table */
	a.domain = htole32(2);
	a.endpoint = htole32(EP_B);
	ck_assert_uint_eq(send(&a, sizeof(a) - sizeof(a.tail)), VIRTIO_IOMMU_S_OK);
	m.domain = htole32(2);
	m.virt_end = htole64(0xfff);
	m.flags = htole32(VIRTIO_IOMMU_MAP_F_READ);
	ck_assert_uint_eq(send(&m, sizeof(m) - sizeof(m.tail)), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(attach_table(table_req(2, EP_A)), VIRTIO_IOMMU_S_INVAL);
	/* short and long requests */
	r = table_req(1, EP_A);
	ck_assert_uint_eq(send(&r, sizeof(r) - sizeof(r.tail) - 1), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(send(&r, sizeof(r)), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(fake.set_tables, 0);
}
END_TEST

START_TEST(invalidate_checks_and_translates)
{
	struct virtio_iommu_req_invalidate r;

	ck_assert_uint_eq(attach_table(table_req(1, EP_A)), VIRTIO_IOMMU_S_OK);
	r = inval_req(1, VIRTIO_IOMMU_INVAL_S_RANGE, 0x200000, 0x3000);
	r.flags = VIRTIO_IOMMU_INVAL_F_LEAF;
	ck_assert_uint_eq(invalidate(r), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(fake.last_n, 1);
	ck_assert(!fake.last[0].all);
	ck_assert(fake.last[0].leaf);
	ck_assert_uint_eq(fake.last[0].start, 0x200000);
	ck_assert_uint_eq(fake.last[0].end, 0x202fff);
	ck_assert_uint_eq(invalidate(inval_req(1, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0)),
			  VIRTIO_IOMMU_S_OK);
	ck_assert(fake.last[0].all);
	ck_assert_uint_eq(invalidate(inval_req(1, VIRTIO_IOMMU_INVAL_S_PASID, 0, 0)),
			  VIRTIO_IOMMU_S_OK);
	ck_assert(fake.last[0].all);
	/* bad ones never reach the backend */
	fake.inval_calls = 0;
	ck_assert_uint_eq(invalidate(inval_req(9, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0)),
			  VIRTIO_IOMMU_S_NOENT);
	ck_assert_uint_eq(invalidate(inval_req(0x10000, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0)),
			  VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(invalidate(inval_req(1, 3, 0, 0)), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(invalidate(inval_req(1, VIRTIO_IOMMU_INVAL_S_RANGE, 0x1000, 0)),
			  VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(invalidate(inval_req(1, VIRTIO_IOMMU_INVAL_S_RANGE, 0x1001, 0x1000)),
			  VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(invalidate(inval_req(1, VIRTIO_IOMMU_INVAL_S_RANGE, 0x1000, 0x1001)),
			  VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(invalidate(inval_req(1, VIRTIO_IOMMU_INVAL_S_RANGE, ~0xfffULL, 0x2000)),
			  VIRTIO_IOMMU_S_INVAL); /* wraps */
	r = inval_req(1, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0);
	r.flags = 0x80;
	ck_assert_uint_eq(invalidate(r), VIRTIO_IOMMU_S_INVAL);
	r = inval_req(1, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0);
	r.reserved2[3] = 1;
	ck_assert_uint_eq(invalidate(r), VIRTIO_IOMMU_S_INVAL);
	r = inval_req(1, VIRTIO_IOMMU_INVAL_S_PASID, 0, 0);
	r.flags = VIRTIO_IOMMU_INVAL_F_PASID;
	r.pasid = htole32(5);
	ck_assert_uint_eq(invalidate(r), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(fake.inval_calls, 0);
}
END_TEST

/* The invalq path: runs per domain become one backend call each, statuses per request. */
START_TEST(batches_group_by_domain_and_report_partial_failure)
{
	struct virtio_iommu_req_invalidate r[40];
	const void *reqs[40];
	size_t lens[40];
	uint8_t status[40];
	unsigned int i;

	ck_assert_uint_eq(attach_table(table_req(1, EP_A)), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(attach_table(table_req(2, EP_B)), VIRTIO_IOMMU_S_OK);
	for (i = 0; i < 32; i++) {
		r[i] = inval_req(1, VIRTIO_IOMMU_INVAL_S_RANGE, i * 0x1000ULL, 0x1000);
		reqs[i] = &r[i];
		lens[i] = sizeof(r[i]) - sizeof(r[i].tail);
	}
	viommu_invalidate_batch(v, reqs, lens, 32, status);
	ck_assert_uint_eq(fake.inval_calls, 1);
	ck_assert_uint_eq(fake.last_n, 32);
	for (i = 0; i < 32; i++) {
		ck_assert_uint_eq(status[i], VIRTIO_IOMMU_S_OK);
		ck_assert_uint_eq(fake.last[i].start, i * 0x1000ULL);
	}
	/* 1 1 1 2 2 bad 1: three runs (the bad one in between does not split the 2s from the 1) */
	fake.inval_calls = 0;
	for (i = 0; i < 7; i++) {
		uint32_t dom = i < 3 ? 1 : i < 5 ? 2 : 1;

		r[i] = inval_req(dom, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0);
	}
	r[5].scope = 9;
	lens[6] = lens[0];
	viommu_invalidate_batch(v, reqs, lens, 7, status);
	ck_assert_uint_eq(fake.inval_calls, 3);
	ck_assert_uint_eq(status[5], VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(status[6], VIRTIO_IOMMU_S_OK);
	/* the host fails entry 3 of each call: request 3 is IOERR, the rest go on */
	fake.inval_calls = 0;
	fake.fail_entry = 3;
	for (i = 0; i < 10; i++)
		r[i] = inval_req(1, VIRTIO_IOMMU_INVAL_S_RANGE, i * 0x1000ULL, 0x1000);
	viommu_invalidate_batch(v, reqs, lens, 10, status);
	for (i = 0; i < 10; i++)
		ck_assert_uint_eq(status[i],
				  i == 3 || i == 7 ? VIRTIO_IOMMU_S_IOERR : VIRTIO_IOMMU_S_OK);
	/* calls: [0..9] fails at 3, [4..9] fails at 3 (= request 7), [8..9] succeeds */
	ck_assert_uint_eq(fake.inval_calls, 3);
	/* a wrong length never reaches the parser's struct */
	lens[0] = 5;
	viommu_invalidate_batch(v, reqs, lens, 1, status);
	ck_assert_uint_eq(status[0], VIRTIO_IOMMU_S_INVAL);
}
END_TEST

START_TEST(probe_reports_formats_only_when_negotiated)
{
	struct virtio_iommu_req_probe p = { .head.type = VIRTIO_IOMMU_T_PROBE };
	uint8_t reply[256 + 4];
	const uint8_t *prop;
	size_t rl;

	p.endpoint = htole32(EP_A);
	ck_assert_int_eq(viommu_handle_request(v, &p, sizeof(p), reply, sizeof(reply), &rl), 0);
	ck_assert_uint_eq(reply[256], VIRTIO_IOMMU_S_OK);
	prop = reply + sizeof(struct virtio_iommu_probe_resv_mem); /* after the MSI doorbell */
	ck_assert_uint_eq(le16toh(*(uint16_t *)prop), VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT);
	ck_assert_uint_eq(le16toh(*(uint16_t *)(prop + 2)), 20);
	ck_assert_uint_eq(le16toh(*(uint16_t *)(prop + 4)), VIRTIO_IOMMU_FORMAT_VTD_S1);
	ck_assert_uint_eq(prop[7], 48);
	/* a driver without the extension sees no such property, and no new request types */
	viommu_set_features(v, viommu_features(v) & ~F_NESTED);
	ck_assert_int_eq(viommu_handle_request(v, &p, sizeof(p), reply, sizeof(reply), &rl), 0);
	ck_assert_uint_eq(le16toh(*(uint16_t *)prop), 0);
	ck_assert_uint_eq(attach_table(table_req(1, EP_A)), 0xff);
	ck_assert_uint_eq(invalidate(inval_req(1, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0)), 0xff);
}
END_TEST

START_TEST(detach_with_a_pasid)
{
	struct virtio_iommu_req_detach_pasid d = { .head.type = VIRTIO_IOMMU_T_DETACH };

	ck_assert_uint_eq(attach_table(table_req(1, EP_A)), VIRTIO_IOMMU_S_OK);
	d.domain = htole32(1);
	d.endpoint = htole32(EP_A);
	d.flags = htole32(VIRTIO_IOMMU_TABLE_F_PASID);
	d.pasid = htole32(3);
	ck_assert_uint_eq(send(&d, sizeof(d) - sizeof(d.tail)), VIRTIO_IOMMU_S_RANGE);
	d.flags = htole32(0x2);
	ck_assert_uint_eq(send(&d, sizeof(d) - sizeof(d.tail)), VIRTIO_IOMMU_S_INVAL);
	d.flags = 0;
	d.pasid = 0;
	ck_assert_uint_eq(send(&d, sizeof(d) - sizeof(d.tail)), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(fake.frees, 1);
}
END_TEST

START_TEST(random_nested_requests_never_crash)
{
	uint8_t buf[64], tail[4];
	size_t rl;

	srand(8);
	ck_assert_uint_eq(attach_table(table_req(1, EP_A)), VIRTIO_IOMMU_S_OK);
	for (int i = 0; i < 20000; i++) {
		size_t len = rand() % sizeof(buf);

		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = rand();
		buf[0] = 6 + (rand() & 1);
		viommu_handle_request(v, buf, len, tail, sizeof(tail), &rl);
	}
}
END_TEST

/* ---- an emulated endpoint on a guest table: its DMA walks the table ---- */

#define EMU_EP 3
#define PML4 0x10000ULL
#define PDPT 0x11000ULL
#define PD 0x12000ULL
#define PT 0x13000ULL
#define PD2 0x14000ULL
#define P 1ULL
#define RW_BIT 2ULL
#define US 4ULL

static struct viommu_endpoint *emu_ep;

static void put64(uint64_t gpa, uint64_t val)
{
	val = htole64(val);
	memcpy(ram + gpa, &val, 8);
}

static void emu_setup(void)
{
	struct viommu_params p;

	memset(&fake, 0, sizeof(fake));
	ram = calloc(1, RAM_SIZE);
	mem = (struct gmem){ .regions = { { 0, RAM_SIZE, ram } }, .count = 1 };
	viommu_default_params(&p);
	v = viommu_create(&p, &mem);
	ck_assert_ptr_nonnull(v);
	emu_ep = viommu_add_endpoint(v, EMU_EP, VIOMMU_EP_EMULATED, NULL);
	ck_assert_ptr_nonnull(emu_ep);
	viommu_set_features(v, viommu_features(v));
	/* IOVA 0x40000000 (PML4[0] PDPT[1] PD[0]) -> PT: page 0 RW at 0x20000, page 1 RO at
	 * 0x21000; IOVA 0x80000000 (PDPT[2]) -> PD[0] a 2 MiB page at 0x0 (read-write) */
	put64(PML4, PDPT | P | RW_BIT | US);
	put64(PDPT + 8, PD | P | RW_BIT | US);
	put64(PD, PT | P | RW_BIT | US);
	put64(PT, 0x20000 | P | RW_BIT | US);
	put64(PT + 8, 0x21000 | P | US);
	put64(PDPT + 16, PD2 | P | RW_BIT | US);
	put64(PD2, 0x0 | P | RW_BIT | US | (1 << 7));
}

static uint8_t emu_attach_table(uint64_t root)
{
	struct virtio_iommu_req_attach_table r = table_req(5, EMU_EP);

	r.table = htole64(root);
	r.format_flags = 0;
	return attach_table(r);
}

START_TEST(emulated_dma_walks_the_guest_table)
{
	struct dma_space dma = viommu_endpoint_dma(emu_ep, &mem);
	struct virtio_iommu_fault f;
	uint8_t buf[16];

	ck_assert_uint_eq(emu_attach_table(PML4), VIRTIO_IOMMU_S_OK);
	memcpy(ram + 0x20010, "through-table", 14);
	ck_assert_int_eq(dma_read(&dma, 0x40000010, buf, 14), 0);
	ck_assert_str_eq((char *)buf, "through-table");
	/* writes land where the table says, across the 4 KiB page into the read-only one: not */
	ck_assert_int_eq(dma_write(&dma, 0x40000ff8, "0123456789abcdef", 16), -EFAULT);
	ck_assert(viommu_pop_fault(v, &f));
	ck_assert_uint_eq(f.reason, VIRTIO_IOMMU_FAULT_R_MAPPING);
	ck_assert_uint_eq(le64toh(f.address), 0x40001000);
	ck_assert_int_eq(dma_read(&dma, 0x40001000, buf, 4), 0); /* read-only: reads pass */
	/* a 2 MiB page */
	ck_assert_int_eq(dma_read(&dma, 0x80000000 + 0x20010, buf, 14), 0);
	ck_assert_str_eq((char *)buf, "through-table");
	/* not mapped */
	ck_assert_int_eq(dma_read(&dma, 0x40002000, buf, 4), -EFAULT);
	ck_assert(viommu_pop_fault(v, &f));
	/* the guest unmaps page 0 and invalidates: the next access faults */
	put64(PT, 0);
	ck_assert_uint_eq(invalidate(inval_req(5, VIRTIO_IOMMU_INVAL_S_RANGE, 0x40000000, 0x1000)),
			  VIRTIO_IOMMU_S_OK);
	ck_assert_int_eq(dma_read(&dma, 0x40000010, buf, 4), -EFAULT);
	ck_assert(viommu_pop_fault(v, &f));
}
END_TEST

/*
 * The walker caches page-directory entries as VT-d hardware does: a PDE the guest changes is
 * seen after its INVALIDATE, a page it makes present at once.
 */
START_TEST(emulated_walks_see_directories_after_invalidate)
{
	struct dma_space dma = viommu_endpoint_dma(emu_ep, &mem);
	uint8_t buf[4];

	ck_assert_uint_eq(emu_attach_table(PML4), VIRTIO_IOMMU_S_OK);
	memcpy(ram + 0x20000, "old", 4);
	memcpy(ram + 0x22000, "new", 4);
	memcpy(ram + 0x23000, "pg2", 4);
	ck_assert_int_eq(dma_read(&dma, 0x40000000, buf, 4), 0);
	ck_assert_str_eq((char *)buf, "old");
	/* a hole made present needs no INVALIDATE */
	put64(PT + 16, 0x23000 | P | RW_BIT | US);
	ck_assert_int_eq(dma_read(&dma, 0x40002000, buf, 4), 0);
	ck_assert_str_eq((char *)buf, "pg2");
	/* the PD entry repointed at another page table, then invalidated: the new one answers */
	put64(0x15000, 0x22000 | P | RW_BIT | US);
	put64(PD, 0x15000 | P | RW_BIT | US);
	ck_assert_int_eq(dma_read(&dma, 0x40000000, buf, 4), 0);
	ck_assert_str_eq((char *)buf, "old"); /* cached: why the guest must invalidate */
	ck_assert_uint_eq(
	    invalidate(inval_req(5, VIRTIO_IOMMU_INVAL_S_RANGE, 0x40000000, 0x200000)),
	    VIRTIO_IOMMU_S_OK);
	ck_assert_int_eq(dma_read(&dma, 0x40000000, buf, 4), 0);
	ck_assert_str_eq((char *)buf, "new");
}
END_TEST

struct inval_thread {
	atomic_bool done;
	uint8_t status;
};

static void *invalidate_page0(void *arg)
{
	struct inval_thread *t = arg;

	t->status = invalidate(inval_req(5, VIRTIO_IOMMU_INVAL_S_RANGE, 0x40000000, 0x1000));
	atomic_store(&t->done, true);
	return NULL;
}

/*
 * A copy (or a device's zero-copy I/O) that walked the table before the guest cleared an entry
 * may still be moving data: the INVALIDATE completes only after it has.
 */
START_TEST(emulated_invalidate_waits_for_dma_in_flight)
{
	struct dma_space dma = viommu_endpoint_dma(emu_ep, &mem);
	struct timespec ms = { 0, 1000000 };
	struct inval_thread t = { .done = false };
	uint64_t gpa, contig;
	pthread_t th;

	ck_assert_uint_eq(emu_attach_table(PML4), VIRTIO_IOMMU_S_OK);
	dma.begin(dma.opaque);
	ck_assert_int_eq(dma.translate(dma.opaque, 0x40000000, 4096, true, &gpa, &contig), 0);
	ck_assert_uint_eq(gpa, 0x20000);
	put64(PT, 0);
	ck_assert_int_eq(pthread_create(&th, NULL, invalidate_page0, &t), 0);
	for (int i = 0; i < 50 && !atomic_load(&t.done); i++)
		nanosleep(&ms, NULL);
	ck_assert_msg(!atomic_load(&t.done), "INVALIDATE completed while a copy was in flight");
	dma.end(dma.opaque);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_uint_eq(t.status, VIRTIO_IOMMU_S_OK);
	ck_assert_int_eq(viommu_translate(emu_ep, 0x40000000, 4096, true, &gpa, &contig), -EFAULT);
}
END_TEST

START_TEST(emulated_hostile_tables)
{
	struct dma_space dma = viommu_endpoint_dma(emu_ep, &mem);
	struct virtio_iommu_fault f;
	uint8_t buf[8];

	ck_assert_uint_eq(emu_attach_table(PML4), VIRTIO_IOMMU_S_OK);
	/* a table pointer outside RAM, a loop, reserved bits: faults, never a wild read */
	put64(PDPT + 8, 0x7000000000ULL | P | RW_BIT | US);
	ck_assert_int_eq(dma_read(&dma, 0x40000000, buf, 8), -EFAULT);
	put64(PDPT + 8, PDPT | P | RW_BIT | US); /* PDPT entry points at the PDPT */
	ck_assert_int_eq(dma_read(&dma, 0x40000000, buf, 8), -EFAULT);
	put64(PDPT + 8, PD | P | RW_BIT | US | (1ULL << 51));
	ck_assert_int_eq(dma_read(&dma, 0x40000000, buf, 8), -EFAULT);
	/* non-canonical input */
	ck_assert_int_eq(dma_read(&dma, 0x0000800000000000ULL, buf, 8), -EFAULT);
	while (viommu_pop_fault(v, &f))
		;
	/* the root outside RAM is refused at ATTACH_TABLE */
	ck_assert_uint_eq(emu_attach_table(RAM_SIZE + 0x1000), VIRTIO_IOMMU_S_RANGE);
}
END_TEST

Suite *viommu_nested_suite(void)
{
	Suite *s = suite_create("viommu_nested");
	TCase *tc = tcase_create("requests");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, attach_table_happy_path_and_sharing);
	tcase_add_test(tc, attach_table_checks_every_field);
	tcase_add_test(tc, invalidate_checks_and_translates);
	tcase_add_test(tc, batches_group_by_domain_and_report_partial_failure);
	tcase_add_test(tc, probe_reports_formats_only_when_negotiated);
	tcase_add_test(tc, detach_with_a_pasid);
	tcase_add_test(tc, random_nested_requests_never_crash);
	suite_add_tcase(s, tc);
	tc = tcase_create("emulated");
	tcase_add_checked_fixture(tc, emu_setup, teardown);
	tcase_add_test(tc, emulated_dma_walks_the_guest_table);
	tcase_add_test(tc, emulated_invalidate_waits_for_dma_in_flight);
	tcase_add_test(tc, emulated_walks_see_directories_after_invalidate);
	tcase_add_test(tc, emulated_hostile_tables);
	suite_add_tcase(s, tc);
	return s;
}
