// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-iommu model through its request entry point with hand-built request bytes, its
 * translate callback and fault queue, and the emulated backend's mapping tree against a
 * brute-force model.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iommu/viommu.h"
#include "iommu/viommu_nested.h"
#include "unit.h"

#define PAGE 0x1000ULL
#define RAM_SIZE (1ULL << 20) /* region 0: [0, 1 MiB), backed */
#define HIGH_GPA 0x100000000ULL /* region 1: [4 GiB, 5 GiB), never touched */
#define HIGH_SIZE 0x40000000ULL
#define DOM 7
#define EP 0x10

static uint8_t *ram;
static struct gmem mem;
static struct viommu *v;

static struct viommu *make(const struct viommu_params *p)
{
	struct viommu *nv = viommu_create(p, &mem);

	ck_assert_ptr_nonnull(nv);
	ck_assert_ptr_nonnull(viommu_add_endpoint(nv, EP, VIOMMU_EP_EMULATED, NULL));
	return nv;
}

static void setup(void)
{
	struct viommu_params p;

	ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	memset(&mem, 0, sizeof(mem));
	mem.regions[0] = (struct gmem_region){ .gpa = 0, .size = RAM_SIZE, .hva = ram };
	mem.regions[1] = (struct gmem_region){ .gpa = HIGH_GPA, .size = HIGH_SIZE, .hva = NULL };
	mem.count = 2;
	viommu_default_params(&p);
	v = make(&p);
	/* The released protocol; the nesting extension has its own suite (test_viommu_nested). */
	viommu_set_features(v, viommu_features(v) & ~(1ULL << VIRTIO_IOMMU_F_ATTACH_TABLE));
}

static void teardown(void)
{
	viommu_destroy(v);
	v = NULL;
	free(ram);
}

/* Sends @len readable bytes with a 4-byte writable tail; returns the status. */
static uint8_t send(struct viommu *dev, const void *req, size_t len)
{
	uint8_t tail[4];
	size_t rl = 99;

	memset(tail, 0xa5, sizeof(tail));
	ck_assert_int_eq(viommu_handle_request(dev, req, len, tail, sizeof(tail), &rl), 0);
	ck_assert_uint_eq(rl, 4);
	ck_assert_uint_eq(tail[1] | tail[2] | tail[3], 0);
	return tail[0];
}

static uint8_t attach_on(struct viommu *dev, uint32_t domain, uint32_t ep, uint32_t flags)
{
	struct virtio_iommu_req_attach r = { .head.type = VIRTIO_IOMMU_T_ATTACH };

	r.domain = htole32(domain);
	r.endpoint = htole32(ep);
	r.flags = htole32(flags);
	return send(dev, &r, sizeof(r) - sizeof(r.tail));
}

static uint8_t attach(uint32_t domain, uint32_t ep, uint32_t flags)
{
	return attach_on(v, domain, ep, flags);
}

static uint8_t detach(uint32_t domain, uint32_t ep)
{
	struct virtio_iommu_req_detach r = { .head.type = VIRTIO_IOMMU_T_DETACH };

	r.domain = htole32(domain);
	r.endpoint = htole32(ep);
	return send(v, &r, sizeof(r) - sizeof(r.tail));
}

static uint8_t map_on(struct viommu *dev, uint32_t domain, uint64_t start, uint64_t end,
		      uint64_t phys, uint32_t flags)
{
	struct virtio_iommu_req_map r = { .head.type = VIRTIO_IOMMU_T_MAP };

	r.domain = htole32(domain);
	r.virt_start = htole64(start);
	r.virt_end = htole64(end);
	r.phys_start = htole64(phys);
	r.flags = htole32(flags);
	return send(dev, &r, sizeof(r) - sizeof(r.tail));
}

static uint8_t map(uint32_t domain, uint64_t start, uint64_t end, uint64_t phys, uint32_t flags)
{
	return map_on(v, domain, start, end, phys, flags);
}

static uint8_t unmap(uint32_t domain, uint64_t start, uint64_t end)
{
	struct virtio_iommu_req_unmap r = { .head.type = VIRTIO_IOMMU_T_UNMAP };

	r.domain = htole32(domain);
	r.virt_start = htole64(start);
	r.virt_end = htole64(end);
	return send(v, &r, sizeof(r) - sizeof(r.tail));
}

#define RW (VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)

/* ---- the counters (nestvm's --viommu-stats line) ---- */

START_TEST(stats_count_requests_by_type_and_errors)
{
	struct viommu_stats s;
	uint8_t junk[4] = { 0xee }; /* an unknown type: not answered, not counted */
	uint8_t tail[4];
	size_t rl;

	ck_assert_uint_eq(attach(1, EP, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(1, 0x1000, 0x1fff, 0x2000, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(1, 0x1000, 0x1fff, 0x2000, RW), VIRTIO_IOMMU_S_INVAL); /* overlap */
	ck_assert_uint_eq(unmap(1, 0x1000, 0x1fff), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(detach(1, EP), VIRTIO_IOMMU_S_OK);
	ck_assert_int_eq(viommu_handle_request(v, junk, sizeof(junk), tail, sizeof(tail), &rl),
			 -EOPNOTSUPP);
	viommu_get_stats(v, &s);
	ck_assert_uint_eq(s.attach, 1);
	ck_assert_uint_eq(s.map, 2);
	ck_assert_uint_eq(s.unmap, 1);
	ck_assert_uint_eq(s.detach, 1);
	ck_assert_uint_eq(s.errors, 1);
	ck_assert_uint_eq(s.attach_table + s.probe + s.inval_requestq + s.inval_invalq, 0);
}
END_TEST

/* ---- ATTACH / DETACH ---- */

START_TEST(attach_detach_happy_and_errors)
{
	ck_assert_uint_eq(attach(DOM, EP, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(attach(DOM, EP, 0), VIRTIO_IOMMU_S_OK); /* again: nothing changes */
	ck_assert_uint_eq(detach(DOM, EP), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(detach(DOM, EP), VIRTIO_IOMMU_S_INVAL); /* detach twice */
	ck_assert_uint_eq(attach(DOM, EP + 1, 0), VIRTIO_IOMMU_S_NOENT);
	ck_assert_uint_eq(detach(DOM, EP + 1), VIRTIO_IOMMU_S_NOENT);
	ck_assert_uint_eq(attach(0x10000, EP, 0), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(attach(0xffff, EP, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(detach(DOM, EP), VIRTIO_IOMMU_S_INVAL); /* attached elsewhere */
	ck_assert_uint_eq(detach(0x10000, EP), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(attach(DOM, EP, 1u << 1), VIRTIO_IOMMU_S_INVAL); /* unknown flag */
	ck_assert_uint_eq(detach(0xffff, EP), VIRTIO_IOMMU_S_OK);
}
END_TEST

START_TEST(attach_reserved_is_inval_detach_reserved_ignored)
{
	struct virtio_iommu_req_attach a = { .head.type = VIRTIO_IOMMU_T_ATTACH };
	struct virtio_iommu_req_detach d = { .head.type = VIRTIO_IOMMU_T_DETACH };

	a.domain = htole32(DOM);
	a.endpoint = htole32(EP);
	a.reserved[3] = 1;
	ck_assert_uint_eq(send(v, &a, sizeof(a) - 4), VIRTIO_IOMMU_S_INVAL);
	a.reserved[3] = 0;
	a.head.reserved[0] = 0xff; /* spec: the head's reserved is ignored */
	ck_assert_uint_eq(send(v, &a, sizeof(a) - 4), VIRTIO_IOMMU_S_OK);
	d.domain = htole32(DOM);
	d.endpoint = htole32(EP);
	memset(d.reserved, 0xff, sizeof(d.reserved));
	ck_assert_uint_eq(send(v, &d, sizeof(d) - 4), VIRTIO_IOMMU_S_OK);
}
END_TEST

START_TEST(attach_moves_endpoint_and_domains_die_with_last_endpoint)
{
	ck_assert_ptr_nonnull(viommu_add_endpoint(v, EP + 1, VIOMMU_EP_EMULATED, NULL));
	ck_assert_uint_eq(attach(1, EP, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(attach(1, EP + 1, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(1, 0x10000, 0x1ffff, 0, RW), VIRTIO_IOMMU_S_OK);
	/* EP moves to domain 2; domain 1 lives on with EP + 1 */
	ck_assert_uint_eq(attach(2, EP, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(detach(1, EP), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(map(1, 0x20000, 0x20fff, 0, RW), VIRTIO_IOMMU_S_OK);
	/* EP + 1 leaves too: domain 1 ceases to exist with its mappings */
	ck_assert_uint_eq(attach(2, EP + 1, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(1, 0x30000, 0x30fff, 0, RW), VIRTIO_IOMMU_S_NOENT);
	ck_assert_uint_eq(unmap(1, 0, 0xffffffff), VIRTIO_IOMMU_S_NOENT);
	/* domain 1 reborn is empty */
	ck_assert_uint_eq(attach(1, EP, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(1, 0x10000, 0x1ffff, 0, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_ptr_null(viommu_add_endpoint(v, EP + 1, VIOMMU_EP_EMULATED, NULL));
	ck_assert_int_eq(errno, EEXIST);
}
END_TEST

START_TEST(vfio_endpoint_without_backend_is_unsupp)
{
	ck_assert_ptr_nonnull(viommu_add_endpoint(v, 0x99, VIOMMU_EP_VFIO, NULL));
	ck_assert_uint_eq(attach(DOM, 0x99, 0), VIRTIO_IOMMU_S_UNSUPP);
	ck_assert_uint_eq(attach(DOM, EP, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(attach(DOM, 0x99, 0), VIRTIO_IOMMU_S_UNSUPP);
}
END_TEST

START_TEST(domain_range_limits)
{
	struct viommu_params p;
	struct viommu *nv;

	viommu_default_params(&p);
	p.domain_start = 5;
	p.domain_end = 6;
	nv = make(&p);
	ck_assert_uint_eq(attach_on(nv, 4, EP, 0), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(attach_on(nv, 7, EP, 0), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(attach_on(nv, 0xffffffff, EP, 0), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(attach_on(nv, 5, EP, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(attach_on(nv, 6, EP, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map_on(nv, 4, 0, 0xfff, 0, RW), VIRTIO_IOMMU_S_RANGE);
	viommu_destroy(nv);
}
END_TEST

/* ---- MAP ---- */

START_TEST(map_checks_every_field)
{
	ck_assert_uint_eq(map(DOM, 0x10000, 0x10fff, 0, RW), VIRTIO_IOMMU_S_NOENT);
	ck_assert_uint_eq(attach(DOM, EP, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(0x10000, 0x10000, 0x10fff, 0, RW), VIRTIO_IOMMU_S_RANGE);
	/* spec: unaligned virt_start, phys_start or virt_end + 1: RANGE */
	ck_assert_uint_eq(map(DOM, 0x10800, 0x10fff, 0, RW), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(map(DOM, 0x10000, 0x10ffe, 0, RW), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(map(DOM, 0x10000, 0x10fff, 0x800, RW), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(map(DOM, 0x10000, 0x10000, 0, RW), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(map(DOM, 0x10fff, 0x10000, 0, RW), VIRTIO_IOMMU_S_INVAL);
	/* flags: unknown bits */
	ck_assert_uint_eq(map(DOM, 0x10000, 0x10fff, 0, 1u << 3), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(map(DOM, 0x10000, 0x10fff, 0, 0x80000000u), VIRTIO_IOMMU_S_INVAL);
	/* input range: 48 bits */
	ck_assert_uint_eq(map(DOM, 1ULL << 48, (1ULL << 48) + 0xfff, 0, RW), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(map(DOM, (1ULL << 48) - PAGE, (1ULL << 48) + 0xfff, 0, RW),
			  VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(map(DOM, (1ULL << 48) - PAGE, (1ULL << 48) - 1, 0, RW),
			  VIRTIO_IOMMU_S_OK);
	/* physical range: guest RAM only, holes and ends included */
	ck_assert_uint_eq(map(DOM, 0x20000, 0x20fff, RAM_SIZE, RW), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(map(DOM, 0x20000, 0x21fff, RAM_SIZE - PAGE, RW), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(map(DOM, 0x20000, 0x20fff, RAM_SIZE - PAGE, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 0x40000000, 0x7fffffff, HIGH_GPA, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 0x80000000, 0xbfffffff, HIGH_GPA + PAGE, RW),
			  VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(map(DOM, 0x30000, 0x30fff, 0xfffffffffffff000ULL, RW),
			  VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(map(DOM, 0x30000, 0x31fff, 0xfffffffffffff000ULL, RW),
			  VIRTIO_IOMMU_S_RANGE); /* phys_end wraps */
	/* MMIO mappings may point outside RAM (a device's registers) */
	ck_assert_uint_eq(map(DOM, 0x30000, 0x30fff, 0xfec00000, VIRTIO_IOMMU_MAP_F_MMIO | RW),
			  VIRTIO_IOMMU_S_OK);
	/* the MSI doorbell is reserved */
	ck_assert_uint_eq(map(DOM, 0xfee00000, 0xfee00fff, 0, RW), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(map(DOM, 0xfed00000, 0xfee00fff, 0, RW), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(map(DOM, 0xfeeff000, 0xfeefffff, 0, RW), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(map(DOM, 0xfef00000, 0xfef00fff, 0, RW), VIRTIO_IOMMU_S_OK);
	/* no access flags at all is a legal, useless mapping */
	ck_assert_uint_eq(map(DOM, 0x50000, 0x50fff, 0, 0), VIRTIO_IOMMU_S_OK);
}
END_TEST

START_TEST(map_refuses_overlaps)
{
	ck_assert_uint_eq(attach(DOM, EP, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 0x10000, 0x1ffff, 0, RW), VIRTIO_IOMMU_S_OK);
	/* spec: a mapping already in the range: INVAL */
	ck_assert_uint_eq(map(DOM, 0x10000, 0x1ffff, 0, RW), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(map(DOM, 0x0f000, 0x10fff, 0, RW), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(map(DOM, 0x1f000, 0x20fff, 0, RW), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(map(DOM, 0x14000, 0x14fff, 0, RW), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(map(DOM, 0x00000, 0x3ffff, 0, RW), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(map(DOM, 0x0f000, 0x0ffff, 0, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 0x20000, 0x20fff, 0, RW), VIRTIO_IOMMU_S_OK);
}
END_TEST

START_TEST(map_without_negotiated_features)
{
	ck_assert_uint_eq(attach(DOM, EP, 0), VIRTIO_IOMMU_S_OK);
	viommu_set_features(v, viommu_features(v) & ~(1ULL << VIRTIO_IOMMU_F_MMIO));
	ck_assert_uint_eq(map(DOM, 0x30000, 0x30fff, 0xfec00000, VIRTIO_IOMMU_MAP_F_MMIO),
			  VIRTIO_IOMMU_S_INVAL);
	viommu_set_features(v, viommu_features(v) & ~(1ULL << VIRTIO_IOMMU_F_MAP_UNMAP));
	ck_assert_uint_eq(map(DOM, 0x30000, 0x30fff, 0, RW), VIRTIO_IOMMU_S_UNSUPP);
	ck_assert_uint_eq(unmap(DOM, 0x30000, 0x30fff), VIRTIO_IOMMU_S_UNSUPP);
}
END_TEST

START_TEST(mapping_limit_is_nomem)
{
	struct viommu_params p;
	struct viommu *nv;
	unsigned int i;

	viommu_default_params(&p);
	p.max_mappings = 4;
	nv = make(&p);
	ck_assert_uint_eq(attach_on(nv, DOM, EP, 0), VIRTIO_IOMMU_S_OK);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(map_on(nv, DOM, i * PAGE, i * PAGE + PAGE - 1, 0, RW),
				  VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map_on(nv, DOM, i * PAGE, i * PAGE + PAGE - 1, 0, RW),
			  VIRTIO_IOMMU_S_NOMEM);
	viommu_destroy(nv);
}
END_TEST

/* ---- UNMAP ---- */

START_TEST(unmap_follows_the_spec_examples)
{
	const uint64_t P = PAGE;

	ck_assert_uint_eq(attach(DOM, EP, 0), VIRTIO_IOMMU_S_OK);
	/* (1) nothing mapped: OK */
	ck_assert_uint_eq(unmap(DOM, 0, 5 * P - 1), VIRTIO_IOMMU_S_OK);
	/* (2) */
	ck_assert_uint_eq(map(DOM, 0, 10 * P - 1, 0, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(unmap(DOM, 0, 10 * P - 1), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 0, 10 * P - 1, 0, RW), VIRTIO_IOMMU_S_OK); /* it is gone */
	ck_assert_uint_eq(unmap(DOM, 0, 10 * P - 1), VIRTIO_IOMMU_S_OK);
	/* (3) */
	ck_assert_uint_eq(map(DOM, 0, 5 * P - 1, 0, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 5 * P, 10 * P - 1, 0, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(unmap(DOM, 0, 10 * P - 1), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 0, 10 * P - 1, 0, RW), VIRTIO_IOMMU_S_OK);
	/* (4) a split: RANGE, nothing removed */
	ck_assert_uint_eq(unmap(DOM, 0, 5 * P - 1), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(unmap(DOM, 5 * P, 10 * P - 1), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(unmap(DOM, P, 2 * P - 1), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(map(DOM, 0, P - 1, 0, RW), VIRTIO_IOMMU_S_INVAL); /* still there */
	ck_assert_uint_eq(unmap(DOM, 0, 10 * P - 1), VIRTIO_IOMMU_S_OK);
	/* (5) */
	ck_assert_uint_eq(map(DOM, 0, 5 * P - 1, 0, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 5 * P, 10 * P - 1, 0, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(unmap(DOM, 0, 5 * P - 1), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 0, 5 * P - 1, 0, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 5 * P, 6 * P - 1, 0, RW), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(unmap(DOM, 0, 10 * P - 1), VIRTIO_IOMMU_S_OK);
	/* (6) */
	ck_assert_uint_eq(map(DOM, 0, 5 * P - 1, 0, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(unmap(DOM, 0, 10 * P - 1), VIRTIO_IOMMU_S_OK);
	/* (7) */
	ck_assert_uint_eq(map(DOM, 0, 5 * P - 1, 0, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 10 * P, 15 * P - 1, 0, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(unmap(DOM, 0, 15 * P - 1), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 0, 15 * P - 1, 0, RW), VIRTIO_IOMMU_S_OK);
}
END_TEST

START_TEST(unmap_checks_its_fields)
{
	struct virtio_iommu_req_unmap r = { .head.type = VIRTIO_IOMMU_T_UNMAP };

	ck_assert_uint_eq(unmap(DOM, 0, PAGE - 1), VIRTIO_IOMMU_S_NOENT);
	ck_assert_uint_eq(attach(DOM, EP, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(unmap(DOM, PAGE, 0), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(unmap(0x10000, 0, PAGE - 1), VIRTIO_IOMMU_S_RANGE);
	ck_assert_uint_eq(unmap(DOM, 0, UINT64_MAX), VIRTIO_IOMMU_S_RANGE); /* past input_range */
	ck_assert_uint_eq(unmap(DOM, 0, (1ULL << 48) - 1), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(unmap(DOM, 0x123, 0x456), VIRTIO_IOMMU_S_OK); /* unaligned, empty */
	ck_assert_uint_eq(map(DOM, 0, PAGE - 1, 0, RW), VIRTIO_IOMMU_S_OK);
	r.domain = htole32(DOM);
	r.virt_end = htole64(PAGE - 1);
	r.reserved[2] = 1;
	ck_assert_uint_eq(send(v, &r, sizeof(r) - 4), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(map(DOM, 0, PAGE - 1, 0, RW), VIRTIO_IOMMU_S_INVAL); /* kept */
}
END_TEST

START_TEST(full_range_unmap_removes_many)
{
	unsigned int i;

	ck_assert_uint_eq(attach(DOM, EP, 0), VIRTIO_IOMMU_S_OK);
	for (i = 0; i < 3000; i++)
		ck_assert_uint_eq(map(DOM, (uint64_t)i * 2 * PAGE,
				      (uint64_t)i * 2 * PAGE + PAGE - 1, (i % 256) * PAGE, RW),
				  VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(unmap(DOM, 0, (1ULL << 48) - 1), VIRTIO_IOMMU_S_OK);
	for (i = 0; i < 3000; i++)
		ck_assert_uint_eq(
		    map(DOM, (uint64_t)i * PAGE, (uint64_t)i * PAGE + PAGE - 1, 0, RW),
		    VIRTIO_IOMMU_S_OK);
}
END_TEST

/* ---- translate and faults ---- */

static struct viommu_endpoint *ep2;

static void setup_ep2(void)
{
	setup();
	ep2 = viommu_add_endpoint(v, 0x20, VIOMMU_EP_EMULATED, NULL);
	ck_assert_ptr_nonnull(ep2);
}

static void expect_fault(uint8_t reason, uint32_t flags, uint32_t endpoint, uint64_t addr)
{
	struct virtio_iommu_fault f;

	ck_assert(viommu_pop_fault(v, &f));
	ck_assert_uint_eq(f.reason, reason);
	ck_assert_uint_eq(le32toh(f.flags), flags);
	ck_assert_uint_eq(le32toh(f.endpoint), endpoint);
	ck_assert_uint_eq(le64toh(f.address), addr);
	ck_assert_uint_eq(f.reserved[0] | f.reserved[1] | f.reserved[2], 0);
}

START_TEST(translate_hit_length_permissions_and_unmap_fault)
{
	uint64_t gpa, contig;
	struct virtio_iommu_fault f;
	const uint32_t R = VIRTIO_IOMMU_FAULT_F_READ | VIRTIO_IOMMU_FAULT_F_ADDRESS;
	const uint32_t W = VIRTIO_IOMMU_FAULT_F_WRITE | VIRTIO_IOMMU_FAULT_F_ADDRESS;

	ck_assert_uint_eq(attach(DOM, 0x20, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 0x10000, 0x13fff, 0x40000, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 0x20000, 0x20fff, 0x50000, VIRTIO_IOMMU_MAP_F_READ),
			  VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 0x30000, 0x30fff, 0x60000, VIRTIO_IOMMU_MAP_F_WRITE),
			  VIRTIO_IOMMU_S_OK);
	ck_assert_int_eq(viommu_translate(ep2, 0x11234, 16, false, &gpa, &contig), 0);
	ck_assert_uint_eq(gpa, 0x41234);
	ck_assert_uint_eq(contig, 0x14000 - 0x11234);
	ck_assert_int_eq(viommu_translate(ep2, 0x13fff, 1, true, &gpa, &contig), 0);
	ck_assert_uint_eq(gpa, 0x43fff);
	ck_assert_uint_eq(contig, 1);
	/* read-only: reads pass, writes fault */
	ck_assert_int_eq(viommu_translate(ep2, 0x20010, 4, false, &gpa, &contig), 0);
	ck_assert_uint_eq(gpa, 0x50010);
	ck_assert_int_eq(viommu_translate(ep2, 0x20010, 4, true, &gpa, &contig), -EFAULT);
	expect_fault(VIRTIO_IOMMU_FAULT_R_MAPPING, W, 0x20, 0x20010);
	/* write-only: writes pass, reads fault */
	ck_assert_int_eq(viommu_translate(ep2, 0x30000, 4, true, &gpa, &contig), 0);
	ck_assert_int_eq(viommu_translate(ep2, 0x30000, 4, false, &gpa, &contig), -EFAULT);
	expect_fault(VIRTIO_IOMMU_FAULT_R_MAPPING, R, 0x20, 0x30000);
	/* a miss */
	ck_assert_int_eq(viommu_translate(ep2, 0x14000, 4, false, &gpa, &contig), -EFAULT);
	expect_fault(VIRTIO_IOMMU_FAULT_R_MAPPING, R, 0x20, 0x14000);
	/* unmapped */
	ck_assert_uint_eq(unmap(DOM, 0x10000, 0x13fff), VIRTIO_IOMMU_S_OK);
	ck_assert_int_eq(viommu_translate(ep2, 0x12000, 8, true, &gpa, &contig), -EFAULT);
	expect_fault(VIRTIO_IOMMU_FAULT_R_MAPPING, W, 0x20, 0x12000);
	ck_assert(!viommu_pop_fault(v, &f));
	/* detached with bypass off: DOMAIN fault */
	ck_assert_uint_eq(detach(DOM, 0x20), VIRTIO_IOMMU_S_OK);
	viommu_config_write(v, offsetof(struct virtio_iommu_config, bypass), &(uint8_t){ 0 }, 1);
	ck_assert_int_eq(viommu_translate(ep2, 0x20010, 4, false, &gpa, &contig), -EFAULT);
	expect_fault(VIRTIO_IOMMU_FAULT_R_DOMAIN, R, 0x20, 0x20010);
}
END_TEST

START_TEST(dma_through_the_viommu_crosses_mappings)
{
	struct dma_space dma = viommu_endpoint_dma(ep2, &mem);
	uint8_t buf[2 * PAGE], back[2 * PAGE];
	unsigned int i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	ck_assert_uint_eq(attach(DOM, 0x20, 0), VIRTIO_IOMMU_S_OK);
	/* IOVA-contiguous, GPA-discontiguous, in reverse order */
	ck_assert_uint_eq(map(DOM, 0x10000, 0x10fff, 0x9000, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 0x11000, 0x11fff, 0x3000, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_int_eq(dma_write(&dma, 0x10800, buf, sizeof(buf) - PAGE), 0);
	ck_assert_int_eq(memcmp(ram + 0x9800, buf, 0x800), 0);
	ck_assert_int_eq(memcmp(ram + 0x3000, buf + 0x800, 0x800), 0);
	ck_assert_int_eq(dma_read(&dma, 0x10800, back, sizeof(buf) - PAGE), 0);
	ck_assert_int_eq(memcmp(back, buf, sizeof(buf) - PAGE), 0);
	/* running off the end faults */
	ck_assert_int_eq(dma_read(&dma, 0x11800, back, PAGE), -EFAULT);
	expect_fault(VIRTIO_IOMMU_FAULT_R_MAPPING,
		     VIRTIO_IOMMU_FAULT_F_READ | VIRTIO_IOMMU_FAULT_F_ADDRESS, 0x20, 0x12000);
	ck_assert_uint_eq(viommu_faults_dropped(v), 0);
}
END_TEST

static volatile int unmap_done;

static void *unmapper(void *arg)
{
	(void)arg;
	ck_assert_uint_eq(unmap(DOM, 0x10000, 0x10fff), VIRTIO_IOMMU_S_OK);
	unmap_done = 1;
	return NULL;
}

/*
 * A copy in flight (between the dma_space's begin and end) holds the mappings still: an UNMAP
 * completes only after it, so the guest never sees an UNMAP done and then a DMA through it.
 */
START_TEST(unmap_waits_for_a_copy_in_flight)
{
	struct dma_space dma = viommu_endpoint_dma(ep2, &mem);
	uint64_t gpa, contig;
	pthread_t th;

	ck_assert_uint_eq(attach(DOM, 0x20, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 0x10000, 0x10fff, 0x9000, RW), VIRTIO_IOMMU_S_OK);
	unmap_done = 0;
	dma.begin(dma.opaque);
	ck_assert_int_eq(pthread_create(&th, NULL, unmapper, NULL), 0);
	usleep(50000);
	ck_assert_int_eq(dma.translate(dma.opaque, 0x10010, 4, true, &gpa, &contig), 0);
	ck_assert_uint_eq(gpa, 0x9010);
	ck_assert_int_eq(unmap_done, 0);
	dma.end(dma.opaque);
	pthread_join(th, NULL);
	ck_assert_int_eq(unmap_done, 1);
	ck_assert_int_eq(viommu_translate(ep2, 0x10010, 4, true, &gpa, &contig), -EFAULT);
}
END_TEST

START_TEST(bypass_config_and_bypass_domains)
{
	uint64_t gpa = 0, contig = 0;
	uint8_t b;
	const size_t off = offsetof(struct virtio_iommu_config, bypass);

	/* default bypass = 1: unattached endpoints see identity */
	ck_assert_int_eq(viommu_translate(ep2, 0x1234, 100, true, &gpa, &contig), 0);
	ck_assert_uint_eq(gpa, 0x1234);
	ck_assert_uint_eq(contig, 100);
	viommu_config_write(v, off, &(uint8_t){ 2 }, 1); /* not 0 or 1: ignored */
	viommu_config_read(v, off, &b, 1);
	ck_assert_uint_eq(b, 1);
	viommu_config_write(v, off, &(uint8_t){ 0 }, 1);
	viommu_config_read(v, off, &b, 1);
	ck_assert_uint_eq(b, 0);
	ck_assert_int_eq(viommu_translate(ep2, 0x1234, 100, true, &gpa, &contig), -EFAULT);
	/* a bypass domain */
	ck_assert_uint_eq(attach(3, 0x20, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_OK);
	ck_assert_int_eq(viommu_translate(ep2, 0x5678, 8, false, &gpa, &contig), 0);
	ck_assert_uint_eq(gpa, 0x5678);
	ck_assert_uint_eq(map(3, 0, PAGE - 1, 0, RW), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(unmap(3, 0, PAGE - 1), VIRTIO_IOMMU_S_INVAL);
	/* flag inconsistent with the existing domain */
	ck_assert_uint_eq(attach(3, EP, 0), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(attach(3, EP, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(attach(4, EP, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(attach(4, 0x20, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_INVAL);
	/* without BYPASS_CONFIG negotiated the flag is unknown, and bypass can't be written */
	viommu_set_features(v, viommu_features(v) & ~(1ULL << VIRTIO_IOMMU_F_BYPASS_CONFIG));
	ck_assert_uint_eq(attach(5, 0x20, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_INVAL);
	viommu_config_write(v, off, &(uint8_t){ 1 }, 1);
	viommu_config_read(v, off, &b, 1);
	ck_assert_uint_eq(b, 0);
	/* reset: detached, bypass kept */
	viommu_reset(v);
	ck_assert_int_eq(viommu_translate(ep2, 0x5678, 8, false, &gpa, &contig), -EFAULT);
	ck_assert_uint_eq(detach(3, 0x20), VIRTIO_IOMMU_S_INVAL);
}
END_TEST

static unsigned int notified;

static void count_notify(void *ctx)
{
	ck_assert_ptr_eq(ctx, &notified);
	notified++;
}

START_TEST(fault_queue_is_bounded_and_ordered)
{
	struct viommu_params p;
	struct virtio_iommu_fault f;
	struct viommu *nv;
	unsigned int i;

	viommu_default_params(&p);
	p.fault_queue_len = 4;
	nv = viommu_create(&p, &mem);
	ck_assert_ptr_nonnull(nv);
	notified = 0;
	viommu_set_fault_notify(nv, count_notify, &notified);
	for (i = 0; i < 6; i++)
		viommu_report_fault(nv, VIRTIO_IOMMU_FAULT_R_MAPPING, 0, i, i * PAGE);
	ck_assert_uint_eq(notified, 4);
	ck_assert_uint_eq(viommu_faults_dropped(nv), 2);
	for (i = 0; i < 4; i++) {
		ck_assert(viommu_pop_fault(nv, &f));
		ck_assert_uint_eq(le32toh(f.endpoint), i);
	}
	ck_assert(!viommu_pop_fault(nv, &f));
	viommu_report_fault(nv, VIRTIO_IOMMU_FAULT_R_MAPPING, 0, 9, 0);
	viommu_reset(nv);
	ck_assert(!viommu_pop_fault(nv, &f));
	viommu_destroy(nv);
}
END_TEST

/* ---- PROBE ---- */

static int probe(uint32_t endpoint, uint8_t *out, size_t cap, size_t *rl)
{
	struct virtio_iommu_req_probe r = { .head.type = VIRTIO_IOMMU_T_PROBE };

	r.endpoint = htole32(endpoint);
	memset(r.reserved, 0xee, sizeof(r.reserved)); /* spec: ignored */
	return viommu_handle_request(v, &r, sizeof(r), out, cap, rl);
}

START_TEST(probe_reports_the_msi_doorbell)
{
	uint8_t out[256 + 4 + 16];
	struct virtio_iommu_probe_resv_mem m;
	size_t rl, i;
	uint32_t probe_size;

	viommu_config_read(v, offsetof(struct virtio_iommu_config, probe_size), &probe_size, 4);
	ck_assert_uint_eq(le32toh(probe_size), 256);
	memset(out, 0xa5, sizeof(out));
	ck_assert_int_eq(probe(EP, out, 260, &rl), 0);
	ck_assert_uint_eq(rl, 260);
	memcpy(&m, out, sizeof(m));
	ck_assert_uint_eq(le16toh(m.head.type), VIRTIO_IOMMU_PROBE_T_RESV_MEM);
	ck_assert_uint_eq(le16toh(m.head.length), sizeof(m) - 4);
	ck_assert_uint_eq(m.subtype, VIRTIO_IOMMU_RESV_MEM_T_MSI);
	ck_assert_uint_eq(le64toh(m.start), 0xfee00000);
	ck_assert_uint_eq(le64toh(m.end), 0xfeefffff);
	for (i = sizeof(m); i < 256; i++) /* then NONE: zeroes to the end */
		ck_assert_uint_eq(out[i], 0);
	ck_assert_uint_eq(out[256], VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(out[260], 0xa5); /* nothing past the buffer */
	/* unknown endpoint: NOENT, no property */
	memset(out, 0xa5, sizeof(out));
	ck_assert_int_eq(probe(0x77, out, 260, &rl), 0);
	ck_assert_uint_eq(out[256], VIRTIO_IOMMU_S_NOENT);
	for (i = 0; i < 256; i++)
		ck_assert_uint_eq(out[i], 0);
	/* spec: a properties buffer smaller than probe_size: INVAL, no property */
	memset(out, 0xa5, sizeof(out));
	ck_assert_int_eq(probe(EP, out, 100, &rl), 0);
	ck_assert_uint_eq(rl, 100);
	ck_assert_uint_eq(out[96], VIRTIO_IOMMU_S_INVAL);
	for (i = 0; i < 96; i++)
		ck_assert_uint_eq(out[i], 0);
	ck_assert_int_eq(probe(EP, out, 276, &rl), 0);
	ck_assert_uint_eq(out[272], VIRTIO_IOMMU_S_INVAL);
	/* tail only */
	ck_assert_int_eq(probe(EP, out, 4, &rl), 0);
	ck_assert_uint_eq(out[0], VIRTIO_IOMMU_S_INVAL);
}
END_TEST

/* ---- hardware endpoints: the no-domain state and reserved regions ---- */

/* A hardware-like backend: the emulated one plus a record of where each device is. */
enum { NOWHERE, BLOCKED, IDENTITY, IN_DOMAIN };

struct fake_dev {
	int where;
	void *domain;
	int fail; /* errno for the next moves */
};

static struct viommu_backend *fake_inner;

static int fake_alloc(void *ctx, bool bypass, void **domain)
{
	(void)ctx;
	return fake_inner->ops->domain_alloc(fake_inner->ctx, bypass, domain);
}

static void fake_free(void *ctx, void *domain)
{
	(void)ctx;
	fake_inner->ops->domain_free(fake_inner->ctx, domain);
}

static int fake_map(void *ctx, void *domain, uint64_t iova, uint64_t end, uint64_t gpa,
		    uint32_t flags)
{
	(void)ctx;
	return fake_inner->ops->map(fake_inner->ctx, domain, iova, end, gpa, flags);
}

static int fake_unmap(void *ctx, void *domain, uint64_t start, uint64_t end)
{
	(void)ctx;
	return fake_inner->ops->unmap(fake_inner->ctx, domain, start, end);
}

static int fake_attach(void *ctx, void *domain, void *opaque)
{
	struct fake_dev *dev = opaque;

	(void)ctx;
	if (dev->fail)
		return -dev->fail;
	dev->where = IN_DOMAIN;
	dev->domain = domain;
	return 0;
}

static int fake_unattached(void *ctx, void *opaque, bool bypass)
{
	struct fake_dev *dev = opaque;

	(void)ctx;
	if (dev->fail)
		return -dev->fail;
	dev->where = bypass ? IDENTITY : BLOCKED;
	dev->domain = NULL;
	return 0;
}

static const struct viommu_backend_ops fake_ops = {
	.name = "fake-hw",
	.domain_alloc = fake_alloc,
	.domain_free = fake_free,
	.attach = fake_attach,
	.unattached = fake_unattached,
	.map = fake_map,
	.unmap = fake_unmap,
};

START_TEST(unattached_hardware_follows_config_bypass)
{
	const size_t off = offsetof(struct virtio_iommu_config, bypass);
	struct viommu_backend fake = { .ops = &fake_ops };
	struct fake_dev dev = { 0 }, bad = { .fail = EIO };
	void *was;

	fake_inner = viommu_emulated_backend_create(100, NULL);
	viommu_set_backend(v, VIOMMU_EP_VFIO, &fake);
	/* registered: not in a domain, and config.bypass is 1 */
	ck_assert_ptr_nonnull(viommu_add_endpoint(v, 0x30, VIOMMU_EP_VFIO, &dev));
	ck_assert_int_eq(dev.where, IDENTITY);
	errno = 0;
	ck_assert_ptr_null(viommu_add_endpoint(v, 0x31, VIOMMU_EP_VFIO, &bad));
	ck_assert_int_eq(errno, EIO);
	ck_assert_uint_eq(attach(DOM, 0x31, 0), VIRTIO_IOMMU_S_NOENT);
	ck_assert_uint_eq(attach(DOM, 0x30, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_int_eq(dev.where, IN_DOMAIN);
	ck_assert_uint_eq(detach(DOM, 0x30), VIRTIO_IOMMU_S_OK);
	ck_assert_int_eq(dev.where, IDENTITY);
	/* the driver turns bypass off: an unattached device is blocked at once */
	viommu_config_write(v, off, &(uint8_t){ 0 }, 1);
	ck_assert_int_eq(dev.where, BLOCKED);
	ck_assert_uint_eq(attach(DOM, 0x30, 0), VIRTIO_IOMMU_S_OK);
	viommu_config_write(v, off, &(uint8_t){ 1 }, 1);
	ck_assert_int_eq(dev.where, IN_DOMAIN); /* attached devices do not follow */
	viommu_config_write(v, off, &(uint8_t){ 0 }, 1);
	/* a device that cannot be moved out stays attached: DEVERR, and the domain lives on */
	was = dev.domain;
	dev.fail = EIO;
	ck_assert_uint_eq(detach(DOM, 0x30), VIRTIO_IOMMU_S_DEVERR);
	ck_assert_int_eq(dev.where, IN_DOMAIN);
	ck_assert_uint_eq(map(DOM, 0, PAGE - 1, 0, RW), VIRTIO_IOMMU_S_OK);
	/* attach failures: ENOMEM is NOMEM, the rest UNSUPP; the device stays where it was */
	dev.fail = ENOMEM;
	ck_assert_uint_eq(attach(DOM + 1, 0x30, 0), VIRTIO_IOMMU_S_NOMEM);
	dev.fail = EINVAL;
	ck_assert_uint_eq(attach(DOM + 1, 0x30, 0), VIRTIO_IOMMU_S_UNSUPP);
	ck_assert_ptr_eq(dev.domain, was);
	dev.fail = 0;
	ck_assert_uint_eq(detach(DOM, 0x30), VIRTIO_IOMMU_S_OK);
	ck_assert_int_eq(dev.where, BLOCKED);
	/* reset: blocked again (bypass 0 is kept) */
	ck_assert_uint_eq(attach(DOM, 0x30, 0), VIRTIO_IOMMU_S_OK);
	viommu_reset(v);
	ck_assert_int_eq(dev.where, BLOCKED);
	/* a bypass domain is a domain: the backend attaches to it */
	ck_assert_uint_eq(attach(DOM, 0x30, VIRTIO_IOMMU_ATTACH_F_BYPASS), VIRTIO_IOMMU_S_OK);
	ck_assert_int_eq(dev.where, IN_DOMAIN);
	viommu_destroy(v); /* frees the domains before their backend goes */
	v = NULL;
	ck_assert_int_eq(dev.where, BLOCKED);
	ck_assert_uint_eq(viommu_emulated_backend_count(fake_inner), 0);
	viommu_emulated_backend_destroy(fake_inner);
}
END_TEST

START_TEST(probe_reports_endpoint_reserved_regions)
{
	struct viommu_endpoint *ep = viommu_add_endpoint(v, 0x40, VIOMMU_EP_EMULATED, NULL);
	struct virtio_iommu_probe_resv_mem m[10];
	uint8_t out[260];
	size_t rl;
	int i;

	ck_assert_ptr_nonnull(ep);
	ck_assert_int_eq(
	    viommu_endpoint_add_resv(ep, 0, 0xffffff, VIRTIO_IOMMU_RESV_MEM_T_RESERVED), 0);
	/* clipped to the input range (48 bits); wholly outside: nothing */
	ck_assert_int_eq(
	    viommu_endpoint_add_resv(ep, 1ULL << 31, UINT64_MAX, VIRTIO_IOMMU_RESV_MEM_T_RESERVED),
	    0);
	ck_assert_int_eq(
	    viommu_endpoint_add_resv(ep, 1ULL << 49, 1ULL << 50, VIRTIO_IOMMU_RESV_MEM_T_RESERVED),
	    0);
	ck_assert_int_eq(viommu_endpoint_add_resv(ep, 5, 4, VIRTIO_IOMMU_RESV_MEM_T_RESERVED),
			 -EINVAL);
	ck_assert_int_eq(viommu_endpoint_add_resv(ep, 0, 4, 7), -EINVAL);
	memset(out, 0xa5, sizeof(out));
	ck_assert_int_eq(probe(0x40, out, 260, &rl), 0);
	ck_assert_uint_eq(out[256], VIRTIO_IOMMU_S_OK);
	memcpy(m, out, sizeof(m));
	ck_assert_uint_eq(m[0].subtype, VIRTIO_IOMMU_RESV_MEM_T_MSI);
	ck_assert_uint_eq(le64toh(m[0].start), VIOMMU_MSI_START);
	for (i = 1; i < 3; i++) {
		ck_assert_uint_eq(le16toh(m[i].head.type), VIRTIO_IOMMU_PROBE_T_RESV_MEM);
		ck_assert_uint_eq(le16toh(m[i].head.length), sizeof(m[i]) - 4);
		ck_assert_uint_eq(m[i].subtype, VIRTIO_IOMMU_RESV_MEM_T_RESERVED);
	}
	ck_assert_uint_eq(le64toh(m[1].start), 0);
	ck_assert_uint_eq(le64toh(m[1].end), 0xffffff);
	ck_assert_uint_eq(le64toh(m[2].start), 1ULL << 31);
	ck_assert_uint_eq(le64toh(m[2].end), (1ULL << 48) - 1);
	for (i = 3 * sizeof(m[0]); i < 256; i++)
		ck_assert_uint_eq(out[i], 0);
	/* the other endpoint still has only the doorbell */
	ck_assert_int_eq(probe(EP, out, 260, &rl), 0);
	memcpy(m, out, 2 * sizeof(m[0]));
	ck_assert_uint_eq(m[1].head.type, 0);
	/* MAP into a domain the endpoint is in must avoid its regions; elsewhere it may not */
	ck_assert_uint_eq(attach(DOM, EP, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM, 0x1000, 0x1fff, 0, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(attach(DOM + 1, 0x40, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM + 1, 0x1000, 0x1fff, 0, RW), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(map(DOM + 1, 0xfff000, 0x1000fff, 0, RW), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(map(DOM + 1, 0x1000000, 0x1000fff, 0, RW), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM + 1, (1ULL << 31) - PAGE, (1ULL << 31) - 1, 0, RW),
			  VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(map(DOM + 1, 1ULL << 31, (1ULL << 31) + PAGE - 1, 0, RW),
			  VIRTIO_IOMMU_S_INVAL);
	/* probe_size 256 holds ten properties: the doorbell and nine more */
	for (i = 0; i < 7; i++)
		ck_assert_int_eq(viommu_endpoint_add_resv(ep, 0x2000000 + i * PAGE,
							  0x2000000 + i * PAGE + PAGE - 1,
							  VIRTIO_IOMMU_RESV_MEM_T_RESERVED),
				 0);
	ck_assert_int_eq(
	    viommu_endpoint_add_resv(ep, 0x3000000, 0x3000fff, VIRTIO_IOMMU_RESV_MEM_T_RESERVED),
	    -ENOSPC);
	ck_assert_int_eq(probe(0x40, out, 260, &rl), 0);
	ck_assert_uint_eq(out[256], VIRTIO_IOMMU_S_OK);
	memcpy(m, out, sizeof(m));
	ck_assert_uint_eq(le64toh(m[9].start), 0x2000000 + 6 * PAGE);
}
END_TEST

/* ---- hostile framing ---- */

START_TEST(hostile_lengths_and_types)
{
	static const size_t sizes[] = { 20, 20, 36, 28, 72 };
	uint8_t req[128] = { 0 }, out[16];
	size_t rl, i;
	unsigned int t;

	/* zero-length: no type to read; unknown types: used length 0, nothing written */
	memset(out, 0xa5, sizeof(out));
	ck_assert_int_eq(viommu_handle_request(v, req, 0, out, 4, &rl), -EOPNOTSUPP);
	ck_assert_uint_eq(rl, 0);
	for (t = 0; t < 256; t++) {
		if (t >= VIRTIO_IOMMU_T_ATTACH && t <= VIRTIO_IOMMU_T_PROBE)
			continue;
		req[0] = (uint8_t)t;
		ck_assert_int_eq(viommu_handle_request(v, req, 20, out, 4, &rl), -EOPNOTSUPP);
		ck_assert_uint_eq(rl, 0);
	}
	for (i = 0; i < sizeof(out); i++)
		ck_assert_uint_eq(out[i], 0xa5);
	for (t = VIRTIO_IOMMU_T_ATTACH; t <= VIRTIO_IOMMU_T_PROBE; t++) {
		size_t want = sizes[t - 1], len;

		memset(req, 0, sizeof(req));
		req[0] = (uint8_t)t;
		/* no room for the tail: error, nothing written */
		for (len = 0; len < 4; len++) {
			memset(out, 0xa5, sizeof(out));
			ck_assert_int_eq(viommu_handle_request(v, req, want, out, len, &rl),
					 -EINVAL);
			ck_assert_uint_eq(rl, 0);
			ck_assert_uint_eq(out[0], 0xa5);
		}
		/* every readable length but the right one: INVAL */
		for (len = 1; len < sizeof(req); len++) {
			if (len == want)
				continue;
			ck_assert_int_eq(viommu_handle_request(v, req, len, out, 4, &rl), 0);
			ck_assert_uint_eq(rl, 4);
			ck_assert_uint_eq(out[0], VIRTIO_IOMMU_S_INVAL);
		}
		/* a writable part bigger than the tail: INVAL, in the last 4 bytes, the rest 0 */
		memset(out, 0xa5, sizeof(out));
		ck_assert_int_eq(viommu_handle_request(v, req, want, out, 12, &rl), 0);
		ck_assert_uint_eq(rl, 12);
		ck_assert_uint_eq(out[8], VIRTIO_IOMMU_S_INVAL);
		for (i = 0; i < 8; i++)
			ck_assert_uint_eq(out[i], 0);
		ck_assert_uint_eq(out[12], 0xa5);
	}
}
END_TEST

START_TEST(random_bytes_never_crash)
{
	uint8_t req[80], out[300];
	size_t rl;
	unsigned int i, j;

	srandom(1234);
	for (i = 0; i < 20000; i++) {
		size_t len = random() % sizeof(req), cap = random() % sizeof(out);

		for (j = 0; j < sizeof(req); j++)
			req[j] = (uint8_t)random();
		req[0] = (uint8_t)(random() % 7);
		if (random() % 2) { /* well-formed lengths half the time */
			static const size_t sizes[] = { 0, 20, 20, 36, 28, 72, 0 };

			len = sizes[req[0]];
			cap = req[0] == VIRTIO_IOMMU_T_PROBE ? 260 : 4;
			/* small domain IDs and our endpoint now and then, so some requests hit */
			if (req[0] != VIRTIO_IOMMU_T_PROBE) {
				req[4] = req[4] & 3;
				memset(req + 5, 0, 3);
				if (random() % 2)
					memcpy(req + 8, &(uint32_t){ htole32(EP) }, 4);
			}
		}
		viommu_handle_request(v, req, len, out, cap, &rl);
		ck_assert_uint_le(rl, cap);
	}
}
END_TEST

/* ---- the mapping tree against a brute-force model ---- */

#define NPAGES 512

struct bf_map {
	uint64_t start, end, phys;
	uint32_t flags;
	bool live;
};

START_TEST(random_mappings_match_a_brute_force_model)
{
	static struct bf_map maps[NPAGES * 4];
	static int owner[NPAGES]; /* index into maps, or -1 */
	unsigned int n = 0, i, round;
	uint64_t gpa, contig;

	srandom(42);
	for (i = 0; i < NPAGES; i++)
		owner[i] = -1;
	ck_assert_uint_eq(attach(DOM, 0x20, 0), VIRTIO_IOMMU_S_OK);
	for (round = 0; round < 6000; round++) {
		uint64_t a = random() % NPAGES, len = 1 + random() % 8, b = a + len - 1, p;
		bool overlap = false, split = false;
		uint8_t want;

		if (b >= NPAGES)
			b = NPAGES - 1;
		if (random() % 3) { /* MAP */
			uint64_t phys = (random() % (RAM_SIZE / PAGE - 8)) * PAGE;
			uint32_t flags = 1 + random() % 3;

			for (p = a; p <= b; p++)
				overlap |= owner[p] >= 0;
			want = overlap ? VIRTIO_IOMMU_S_INVAL : VIRTIO_IOMMU_S_OK;
			ck_assert_uint_eq(map(DOM, a * PAGE, b * PAGE + PAGE - 1, phys, flags),
					  want);
			if (overlap)
				continue;
			ck_assert_uint_lt(n, sizeof(maps) / sizeof(maps[0]));
			maps[n] = (struct bf_map){ a, b, phys, flags, true };
			for (p = a; p <= b; p++)
				owner[p] = (int)n;
			n++;
		} else { /* UNMAP */
			if (owner[a] >= 0 && maps[owner[a]].start != a)
				split = true;
			if (owner[b] >= 0 && maps[owner[b]].end != b)
				split = true;
			want = split ? VIRTIO_IOMMU_S_RANGE : VIRTIO_IOMMU_S_OK;
			ck_assert_uint_eq(unmap(DOM, a * PAGE, b * PAGE + PAGE - 1), want);
			if (split)
				continue;
			for (p = a; p <= b; p++) {
				if (owner[p] >= 0)
					maps[owner[p]].live = false;
				owner[p] = -1;
			}
		}
		if (round % 500)
			continue;
		for (p = 0; p < NPAGES; p++) {
			uint64_t addr = p * PAGE + (p % 7) * 8;
			int r = viommu_translate(ep2, addr, 1, false, &gpa, &contig);
			struct virtio_iommu_fault f;

			if (owner[p] < 0 || !(maps[owner[p]].flags & VIRTIO_IOMMU_MAP_F_READ)) {
				ck_assert_int_eq(r, -EFAULT);
				ck_assert(viommu_pop_fault(v, &f));
				continue;
			}
			ck_assert_int_eq(r, 0);
			ck_assert_uint_eq(gpa,
					  maps[owner[p]].phys + addr - maps[owner[p]].start * PAGE);
			ck_assert_uint_eq(contig, (maps[owner[p]].end + 1) * PAGE - addr);
		}
	}
	/* clear everything at once */
	ck_assert_uint_eq(unmap(DOM, 0, NPAGES * PAGE - 1), VIRTIO_IOMMU_S_OK);
	for (i = 0; i < NPAGES; i++)
		ck_assert_uint_eq(map(DOM, i * PAGE, i * PAGE + PAGE - 1, 0, RW),
				  VIRTIO_IOMMU_S_OK);
}
END_TEST

START_TEST(tree_backend_direct)
{
	struct viommu_backend *be = viommu_emulated_backend_create(100000, NULL);
	const struct viommu_backend_ops *ops = be->ops;
	uint64_t gpa, contig;
	uint32_t flags;
	void *d;
	unsigned int i;

	ck_assert_int_eq(ops->domain_alloc(be->ctx, false, &d), 0);
	/* ascending then descending inserts stay balanced and findable */
	for (i = 0; i < 20000; i++)
		ck_assert_int_eq(ops->map(be->ctx, d, i * 2 * PAGE, i * 2 * PAGE + PAGE - 1,
					  i * PAGE, VIOMMU_MAP_READ),
				 0);
	for (i = 0; i < 20000; i++)
		ck_assert_int_eq(ops->map(be->ctx, d, (40000 + 20000 - i) * 2 * PAGE,
					  (40000 + 20000 - i) * 2 * PAGE, 0, VIOMMU_MAP_WRITE),
				 0);
	ck_assert_uint_eq(viommu_emulated_backend_count(be), 40000);
	ck_assert_int_eq(ops->translate(be->ctx, d, 2 * PAGE * 777 + 5, &gpa, &contig, &flags), 0);
	ck_assert_uint_eq(gpa, 777 * PAGE + 5);
	ck_assert_uint_eq(contig, PAGE - 5);
	ck_assert_int_eq(ops->translate(be->ctx, d, 2 * PAGE * 777 + PAGE, &gpa, &contig, &flags),
			 -ENOENT);
	/* a whole-space mapping in a fresh domain: contig saturates */
	{
		void *d2;

		ck_assert_int_eq(ops->domain_alloc(be->ctx, false, &d2), 0);
		ck_assert_int_eq(ops->map(be->ctx, d2, 0, UINT64_MAX, 0, VIOMMU_MAP_READ), 0);
		ck_assert_int_eq(ops->translate(be->ctx, d2, 0, &gpa, &contig, &flags), 0);
		ck_assert_uint_eq(contig, UINT64_MAX);
		ck_assert_int_eq(ops->unmap(be->ctx, d2, 1, UINT64_MAX), -ERANGE);
		ck_assert_int_eq(ops->unmap(be->ctx, d2, 0, UINT64_MAX - 1), -ERANGE);
		ck_assert_int_eq(ops->unmap(be->ctx, d2, 0, UINT64_MAX), 0);
		ops->domain_free(be->ctx, d2);
	}
	ck_assert_int_eq(ops->unmap(be->ctx, d, 0, UINT64_MAX), 0);
	ck_assert_uint_eq(viommu_emulated_backend_count(be), 0);
	ck_assert_int_eq(ops->map(be->ctx, d, 0, PAGE - 1, 0, 0), 0);
	ops->domain_free(be->ctx, d); /* frees what it still holds */
	ck_assert_uint_eq(viommu_emulated_backend_count(be), 0);
	viommu_emulated_backend_destroy(be);
}
END_TEST

START_TEST(emulated_table_format_has_no_caching_mode)
{
	struct viommu_backend *be = viommu_emulated_backend_create(16, &mem);
	struct viommu_table_format f[2];

	/* It walks the guest's table at each access, so nothing it holds can go stale: no CM. */
	ck_assert_uint_eq(be->ops->table_formats(be->ctx, NULL, f, 2), 1);
	ck_assert_uint_eq(f[0].format, VIRTIO_IOMMU_FORMAT_VTD_S1);
	ck_assert_uint_eq(f[0].caps, VIRTIO_IOMMU_VTD_CAP_5LEVEL | VIRTIO_IOMMU_VTD_CAP_1G |
					 VIRTIO_IOMMU_VTD_CAP_SRE | VIRTIO_IOMMU_VTD_CAP_EAFE);
	ck_assert(!(f[0].caps & VIRTIO_IOMMU_VTD_CAP_CM));
	viommu_emulated_backend_destroy(be);
}
END_TEST

/* ---- threads: translate (read lock) against requests (write lock) ---- */

static volatile int stop;

static void *translator(void *arg)
{
	uint64_t gpa, contig, n = 0;
	struct virtio_iommu_fault f;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		if (!viommu_translate(ep2, (n % 64) * PAGE, 8, n & 1, &gpa, &contig))
			ck_assert_uint_eq(gpa, (n % 64) * PAGE + 0x10000);
		while (viommu_pop_fault(v, &f))
			;
		n++;
	}
	return NULL;
}

START_TEST(translate_races_requests)
{
	pthread_t th[3];
	unsigned int i;

	ck_assert_uint_eq(attach(DOM, 0x20, 0), VIRTIO_IOMMU_S_OK);
	stop = 0;
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, translator, NULL), 0);
	for (i = 0; i < 3000; i++) {
		uint64_t p = i % 64;

		ck_assert_uint_eq(map(DOM, p * PAGE, p * PAGE + PAGE - 1, p * PAGE + 0x10000, RW),
				  VIRTIO_IOMMU_S_OK);
		ck_assert_uint_eq(unmap(DOM, p * PAGE, p * PAGE + PAGE - 1), VIRTIO_IOMMU_S_OK);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
}
END_TEST

START_TEST(config_layout_and_bad_params)
{
	struct virtio_iommu_config c;
	struct viommu_params p;
	uint8_t tail[8];

	viommu_config_read(v, 0, &c, sizeof(c));
	ck_assert_uint_eq(le64toh(c.page_size_mask), ~0xfffULL);
	ck_assert_uint_eq(le64toh(c.input_range.start), 0);
	ck_assert_uint_eq(le64toh(c.input_range.end), (1ULL << 48) - 1);
	ck_assert_uint_eq(le32toh(c.domain_range.start), 0);
	ck_assert_uint_eq(le32toh(c.domain_range.end), 0xffff);
	ck_assert_uint_eq(c.bypass, 1);
	memset(tail, 0xa5, sizeof(tail));
	viommu_config_read(v, sizeof(c) - 2, tail, 8); /* straddles the end */
	ck_assert_uint_eq(tail[2] | tail[7], 0);
	viommu_config_read(v, UINT64_MAX, tail, 8);
	ck_assert_uint_eq(tail[0], 0);
	viommu_config_write(v, 0, tail, 8); /* read-only: ignored */
	viommu_config_write(v, UINT64_MAX, tail, 1);
	viommu_config_read(v, 0, &c, sizeof(c));
	ck_assert_uint_eq(le64toh(c.page_size_mask), ~0xfffULL);
	ck_assert_uint_eq(
	    viommu_features(v),
	    (1ULL << VIRTIO_IOMMU_F_INPUT_RANGE) | (1ULL << VIRTIO_IOMMU_F_DOMAIN_RANGE) |
		(1ULL << VIRTIO_IOMMU_F_MAP_UNMAP) | (1ULL << VIRTIO_IOMMU_F_PROBE) |
		(1ULL << VIRTIO_IOMMU_F_MMIO) | (1ULL << VIRTIO_IOMMU_F_BYPASS_CONFIG) |
		(1ULL << VIRTIO_IOMMU_F_ATTACH_TABLE)); /* its emulated backend walks tables */
	viommu_default_params(&p);
	p.page_size_mask = 0;
	ck_assert_ptr_null(viommu_create(&p, &mem));
	ck_assert_int_eq(errno, EINVAL);
	viommu_default_params(&p);
	p.probe_size = 8;
	ck_assert_ptr_null(viommu_create(&p, &mem));
	viommu_default_params(&p);
	p.input_start = 10;
	p.input_end = 9;
	ck_assert_ptr_null(viommu_create(&p, &mem));
	ck_assert_ptr_null(viommu_add_endpoint(v, 1, VIOMMU_EP_KINDS, NULL));
}
END_TEST

Suite *viommu_suite(void)
{
	Suite *s = suite_create("viommu");
	TCase *tc = tcase_create("requests");
	TCase *tt = tcase_create("translate");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, stats_count_requests_by_type_and_errors);
	tcase_add_test(tc, attach_detach_happy_and_errors);
	tcase_add_test(tc, attach_reserved_is_inval_detach_reserved_ignored);
	tcase_add_test(tc, attach_moves_endpoint_and_domains_die_with_last_endpoint);
	tcase_add_test(tc, vfio_endpoint_without_backend_is_unsupp);
	tcase_add_test(tc, domain_range_limits);
	tcase_add_test(tc, map_checks_every_field);
	tcase_add_test(tc, map_refuses_overlaps);
	tcase_add_test(tc, map_without_negotiated_features);
	tcase_add_test(tc, mapping_limit_is_nomem);
	tcase_add_test(tc, unmap_follows_the_spec_examples);
	tcase_add_test(tc, unmap_checks_its_fields);
	tcase_add_test(tc, full_range_unmap_removes_many);
	tcase_add_test(tc, fault_queue_is_bounded_and_ordered);
	tcase_add_test(tc, probe_reports_the_msi_doorbell);
	tcase_add_test(tc, unattached_hardware_follows_config_bypass);
	tcase_add_test(tc, probe_reports_endpoint_reserved_regions);
	tcase_add_test(tc, hostile_lengths_and_types);
	tcase_add_test(tc, random_bytes_never_crash);
	tcase_add_test(tc, tree_backend_direct);
	tcase_add_test(tc, emulated_table_format_has_no_caching_mode);
	tcase_add_test(tc, config_layout_and_bad_params);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tt, setup_ep2, teardown);
	tcase_set_timeout(tt, 30);
	tcase_add_test(tt, translate_hit_length_permissions_and_unmap_fault);
	tcase_add_test(tt, dma_through_the_viommu_crosses_mappings);
	tcase_add_test(tt, unmap_waits_for_a_copy_in_flight);
	tcase_add_test(tt, bypass_config_and_bypass_domains);
	tcase_add_test(tt, random_mappings_match_a_brute_force_model);
	tcase_add_test(tt, translate_races_requests);
	suite_add_tcase(s, tt);
	return s;
}
