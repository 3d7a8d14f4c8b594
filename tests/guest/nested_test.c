// SPDX-License-Identifier: GPL-2.0
/*
 * The nesting extension from a guest: the feature, PROBE's TABLE_FORMAT, ATTACH_TABLE,
 * INVALIDATE (on the invalq when the device has one), DETACH, the status of each bad input the
 * extension's document names, a full queue of INVALIDATEs in one notify, and, against an
 * emulated virtio-rng, translation end to end: the rng writes through the payload's own VT-d
 * first-stage table, and after an unmap + INVALIDATE its write faults (eventq: MAPPING).
 */
#include <linux/virtio_config.h>

#include "lib.h"
#include "s1pt.h"
#include "serial.h"
#include "tap.h"
#include "viommu.h"
#include "viommu_event.h"
#include "viommu_props.h"
#include "nested_test.h"
#include "vrng.h"

#define PAGE 0x1000ULL
#define DOMAIN 1 /* the table domain */
#define DOMAIN_BAD 5 /* only ever named by requests that must fail */
#define DOMAIN_NONE 9 /* never created */
#define NO_EP 0x1234
/* IOVAs unrelated to the buffers' GPAs, spread over all four levels. */
#define IOVA_X 0x123456780000ULL
#define IOVA_RO (IOVA_X + 0x10000)
#define IOVA_2M 0x7fffc0000000ULL
#define OFF_2M 0x12340ULL /* inside the 2 MiB page */
#define RNG_LEN 64
#define FILL 0x5a
#define FAULT_POLLS (1ULL << 24)
#define SELFTEST_IOTLB 0x1234 /* the mock's data: any value */
#define ALL_CAPS                                                                            \
	(VIRTIO_IOMMU_VTD_CAP_5LEVEL | VIRTIO_IOMMU_VTD_CAP_1G | VIRTIO_IOMMU_VTD_CAP_SRE | \
	 VIRTIO_IOMMU_VTD_CAP_EAFE)

static struct viommu_dev dev;
static struct viommu_req req;
static struct viommu_req flood[VIRTQ_MAX];
static struct s1pt table;
static struct vrng rng;
static uint8_t buf[PAGE] __attribute__((aligned(4096)));
static uint8_t ro_buf[PAGE] __attribute__((aligned(4096)));
static uint8_t big[S1PT_2M] __attribute__((aligned(S1PT_2M)));

/* The attached table: its format, root and flags, for requests that must name it again. */
static uint16_t att_format;
static uint64_t att_root, att_flags;

static bool expect_on(unsigned int q, int want, const char *what)
{
	int got = viommu_do_on(&dev, q, &req);

	return tap_check(got == want, "%s: %s (got %s)", what, viommu_status_name(want),
			 viommu_status_name(got));
}

static bool expect(int want, const char *what)
{
	return expect_on(VIOMMU_REQUESTQ, want, what);
}

static bool expect_inval(int want, const char *what)
{
	return expect_on(viommu_inval_queue(&dev), want, what);
}

static void probe(uint32_t ep, struct viommu_formats *f)
{
	viommu_req_probe(&req, ep, dev.cfg.probe_size);
	if (viommu_do(&dev, &req) == VIRTIO_IOMMU_S_OK)
		viommu_table_formats(&req, f);
	else
		memset(f, 0, sizeof(*f));
}

/* Without the feature: no TABLE_FORMAT, and the new request types are unknown. */
static void check_without_feature(uint32_t ep)
{
	struct viommu_formats f;

	if (!tap_check(viommu_init(&dev, VIOMMU_WANTED_FEATURES, VIRTQ_MAX) == VIOMMU_INIT_OK,
		       "without ATTACH_TABLE: the device comes up"))
		return;
	probe(ep, &f);
	tap_check(!f.n && !f.bad_length, "without ATTACH_TABLE: PROBE reports no TABLE_FORMAT");
	viommu_req_invalidate(&req, DOMAIN, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0, 0);
	viommu_do(&dev, &req);
	tap_check(req.done && !req.used_len,
		  "without ATTACH_TABLE: INVALIDATE is an unknown type (used length %u)",
		  req.used_len);
}

static bool bring_up(void)
{
	uint64_t offered;
	bool ok;

	if (!tap_check(viommu_find(&dev), "a virtio-iommu (device %u) is there", VIRTIO_ID_IOMMU))
		return false;
	offered = vtrans_device_features(&dev.t);
	if (!tap_check(offered & 1ULL << VIRTIO_IOMMU_F_ATTACH_TABLE,
		       "it offers VIRTIO_IOMMU_F_ATTACH_TABLE (bit %u; offered %#llx)",
		       VIRTIO_IOMMU_F_ATTACH_TABLE, (unsigned long long)offered))
		return false;
	ok =
	    viommu_init_nested(&dev, VIOMMU_NESTED_FEATURES & offered, VIRTQ_MAX) == VIOMMU_INIT_OK;
	if (!tap_check(ok && dev.has_eq,
		       "ATTACH_TABLE negotiates; requestq (%u entries) and eventq (%u) are ready",
		       dev.rq.size, dev.eq.size))
		return false;
	if (dev.has_iq)
		tap_check(true, "the invalq (queue 2) is ready, %u entries: INVALIDATEs go there",
			  dev.iq.size);
	else
		serial_puts("# no invalq (queue 2 has QueueNumMax 0): INVALIDATEs go on the "
			    "requestq\n");
	return true;
}

static void check_vtd_property(const struct virtio_iommu_probe_table_format *p)
{
	uint64_t known = PAGE | S1PT_2M | 1ULL << 30;
	bool five = p->format_caps & VIRTIO_IOMMU_VTD_CAP_5LEVEL;
	bool gig = p->format_caps & VIRTIO_IOMMU_VTD_CAP_1G;

	tap_check(p->address_bits == (five ? 57 : 48),
		  "TABLE_FORMAT VT-d: address_bits %u fits 5-level %s", p->address_bits,
		  five ? "yes" : "no");
	tap_check(!(p->format_caps & ~ALL_CAPS), "TABLE_FORMAT VT-d: format_caps %#x, all known",
		  p->format_caps);
	tap_check((p->page_sizes & (PAGE | S1PT_2M)) == (PAGE | S1PT_2M) &&
		      !(p->page_sizes & ~known) && !!(p->page_sizes & 1ULL << 30) == gig,
		  "TABLE_FORMAT VT-d: page_sizes %#llx: 4K, 2M, 1G iff the 1G cap",
		  (unsigned long long)p->page_sizes);
	tap_check(p->pasid_bits <= 20 && !memcmp(p->reserved, "\0\0\0\0", 4),
		  "TABLE_FORMAT VT-d: pasid_bits %u, reserved bytes zero", p->pasid_bits);
}

static void attach_table(uint32_t domain, uint32_t ep, uint64_t root, uint16_t format,
			 uint64_t flags)
{
	viommu_req_attach_table(&req, domain, ep, root, format, flags);
}

/* Every ATTACH_TABLE the document says must fail, each with its status. */
static void check_bad_attach(uint32_t ep, uint64_t ram_end,
			     const struct virtio_iommu_probe_table_format *vtd,
			     const struct virtio_iommu_probe_table_format *st)
{
	uint16_t fmt = vtd ? VIRTIO_IOMMU_FORMAT_VTD_S1 : VIRTIO_IOMMU_FORMAT_SELFTEST;
	uint64_t root = s1pt_root(&table), flags = vtd ? 0 : SELFTEST_IOTLB;
	uint8_t bits = vtd ? vtd->pasid_bits : st->pasid_bits;

	attach_table(DOMAIN_BAD, NO_EP, root, fmt, flags);
	expect(VIRTIO_IOMMU_S_NOENT, "ATTACH_TABLE of an endpoint that does not exist");
	if (vtd) {
		attach_table(DOMAIN_BAD, ep, (ram_end + PAGE - 1) & ~(PAGE - 1), fmt, 0);
		expect(VIRTIO_IOMMU_S_RANGE, "ATTACH_TABLE with the root outside guest RAM");
		attach_table(DOMAIN_BAD, ep, root, fmt, 1ULL << 20);
		expect(VIRTIO_IOMMU_S_INVAL, "ATTACH_TABLE with an unknown VT-d format_flags bit");
		if (!(vtd->format_caps & VIRTIO_IOMMU_VTD_CAP_5LEVEL)) {
			attach_table(DOMAIN_BAD, ep, root, fmt, VIRTIO_IOMMU_VTD_S1_5LEVEL);
			expect(VIRTIO_IOMMU_S_UNSUPP,
			       "ATTACH_TABLE of a 5-level table without the 5-level cap");
		}
	}
	attach_table(DOMAIN_BAD, ep, root + 0x800, fmt, flags);
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH_TABLE with a misaligned root");
	attach_table(DOMAIN_BAD, ep, root, 0x42, 0);
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH_TABLE with an unknown format (0x42)");
	if (!st) {
		attach_table(DOMAIN_BAD, ep, root, VIRTIO_IOMMU_FORMAT_SELFTEST, SELFTEST_IOTLB);
		expect(VIRTIO_IOMMU_S_UNSUPP,
		       "ATTACH_TABLE in the SELFTEST format, which the endpoint lacks");
	}
	if (!vtd) {
		attach_table(DOMAIN_BAD, ep, root, VIRTIO_IOMMU_FORMAT_VTD_S1, 0);
		expect(VIRTIO_IOMMU_S_UNSUPP,
		       "ATTACH_TABLE in the VT-d format, which the endpoint lacks");
	}
	if (bits < 32) {
		attach_table(DOMAIN_BAD, ep, root, fmt, flags);
		req.in.attach_table.flags = VIRTIO_IOMMU_TABLE_F_PASID;
		req.in.attach_table.pasid = 1U << bits;
		expect(VIRTIO_IOMMU_S_RANGE, "ATTACH_TABLE with a PASID above pasid_bits");
	}
	attach_table(DOMAIN_BAD, ep, root, fmt, flags);
	req.in.attach_table.flags = 2;
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH_TABLE with an unknown flag");
	attach_table(DOMAIN_BAD, ep, root, fmt, flags);
	req.in.attach_table.reserved[3] = 1;
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH_TABLE with reserved bytes set");
	if (dev.cfg.domain_end != 0xffffffffU) {
		attach_table(dev.cfg.domain_end + 1, ep, root, fmt, flags);
		expect(VIRTIO_IOMMU_S_RANGE, "ATTACH_TABLE to a domain above domain_range");
	}
	viommu_req_invalidate(&req, DOMAIN_BAD, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0, 0);
	expect_inval(VIRTIO_IOMMU_S_NOENT, "(none of them made a domain: INVALIDATE of it)");
}

/* The attach itself, then what a second one may and may not change. */
static bool check_attach(uint32_t ep)
{
	attach_table(DOMAIN, ep, att_root, att_format, att_flags);
	if (!expect(VIRTIO_IOMMU_S_OK, "ATTACH_TABLE of the endpoint"))
		return false;
	attach_table(DOMAIN, ep, att_root, att_format, att_flags);
	expect(VIRTIO_IOMMU_S_OK, "ATTACH_TABLE again, the same table");
	attach_table(DOMAIN, ep, att_root + PAGE, att_format, att_flags);
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH_TABLE of the domain with another root");
	viommu_req_map(&req, DOMAIN, IOVA_X, IOVA_X + PAGE - 1, (uintptr_t)buf,
		       VIRTIO_IOMMU_MAP_F_READ);
	expect(VIRTIO_IOMMU_S_INVAL, "MAP in a domain that has a table");
	return true;
}

static void inval(uint32_t domain, uint8_t scope, uint8_t flags, uint64_t addr, uint64_t size)
{
	viommu_req_invalidate(&req, domain, scope, flags, addr, size);
}

static void check_invalidate(void)
{
	const uint8_t leaf = VIRTIO_IOMMU_INVAL_F_LEAF, range = VIRTIO_IOMMU_INVAL_S_RANGE;

	inval(DOMAIN, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0, 0);
	expect_inval(VIRTIO_IOMMU_S_OK, "INVALIDATE scope DOMAIN");
	inval(DOMAIN, VIRTIO_IOMMU_INVAL_S_PASID, 0, 0, 0);
	expect_inval(VIRTIO_IOMMU_S_OK, "INVALIDATE scope PASID, PASID-less");
	inval(DOMAIN, range, leaf, IOVA_X, PAGE);
	expect_inval(VIRTIO_IOMMU_S_OK, "INVALIDATE RANGE LEAF of 4 KiB");
	inval(DOMAIN, range, 0, IOVA_2M, S1PT_2M);
	expect_inval(VIRTIO_IOMMU_S_OK, "INVALIDATE RANGE of 2 MiB, not LEAF");
	inval(DOMAIN_NONE, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0, 0);
	expect_inval(VIRTIO_IOMMU_S_NOENT, "INVALIDATE of a domain that does not exist");
	inval(DOMAIN, range, leaf, IOVA_X, 0);
	expect_inval(VIRTIO_IOMMU_S_INVAL, "INVALIDATE RANGE of size 0");
	inval(DOMAIN, range, leaf, IOVA_X + 0x800, PAGE);
	expect_inval(VIRTIO_IOMMU_S_INVAL, "INVALIDATE RANGE at a misaligned address");
	inval(DOMAIN, range, leaf, IOVA_X, 0x800);
	expect_inval(VIRTIO_IOMMU_S_INVAL, "INVALIDATE RANGE of a size not in 4 KiB pages");
	inval(DOMAIN, range, leaf, ~0ULL - PAGE + 1, 2 * PAGE);
	expect_inval(VIRTIO_IOMMU_S_INVAL, "INVALIDATE RANGE that wraps");
	inval(DOMAIN, 3, 0, 0, 0);
	expect_inval(VIRTIO_IOMMU_S_INVAL, "INVALIDATE with an unknown scope");
	inval(DOMAIN, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0x4, 0, 0);
	expect_inval(VIRTIO_IOMMU_S_INVAL, "INVALIDATE with an unknown flag");
	inval(DOMAIN, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0, 0);
	req.in.invalidate.reserved2[1] = 1;
	expect_inval(VIRTIO_IOMMU_S_INVAL, "INVALIDATE with reserved bytes set");
	inval(DOMAIN, range, VIRTIO_IOMMU_INVAL_F_PASID | leaf, IOVA_X, PAGE);
	req.in.invalidate.pasid = 1;
	expect_inval(VIRTIO_IOMMU_S_RANGE, "INVALIDATE RANGE of a PASID the endpoint cannot have");
	if (!dev.has_iq)
		return;
	inval(DOMAIN, range, leaf, IOVA_X, PAGE);
	expect(VIRTIO_IOMMU_S_OK, "INVALIDATE on the requestq too");
	viommu_req_probe(&req, NO_EP, dev.cfg.probe_size);
	expect_on(VIOMMU_INVALQ, VIRTIO_IOMMU_S_UNSUPP, "a PROBE on the invalq");
}

/* The whole queue of INVALIDATEs in one notify, indirect: RANGE, PASID and DOMAIN scopes. */
static void check_flood(void)
{
	unsigned int q = viommu_inval_queue(&dev), n = viommu_queue(&dev, q)->size, bad = 0;
	bool sent, back;

	for (unsigned int i = 0; i < n; i++) {
		if (i % 8 == 7)
			viommu_req_invalidate(&flood[i], DOMAIN, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0,
					      0);
		else if (i % 8 == 3)
			viommu_req_invalidate(&flood[i], DOMAIN, VIRTIO_IOMMU_INVAL_S_PASID, 0, 0,
					      0);
		else
			viommu_req_invalidate(&flood[i], DOMAIN, VIRTIO_IOMMU_INVAL_S_RANGE,
					      VIRTIO_IOMMU_INVAL_F_LEAF, IOVA_X + i * PAGE, PAGE);
	}
	sent = viommu_submit_on(&dev, q, flood, n, true);
	back = sent && viommu_wait_on(&dev, q, n);
	for (unsigned int i = 0; i < n; i++)
		bad += !flood[i].done || viommu_status(&flood[i]) != VIRTIO_IOMMU_S_OK;
	tap_check(back && !bad, "a flood of %u INVALIDATEs in one notify (%s): all OK (%u not)", n,
		  q == VIOMMU_INVALQ ? "invalq" : "requestq", bad);
}

/*
 * The mock endpoint's table is four IOTLB slots; a RANGE flushes slot (address >> 12) & 3.
 * nestvm (-d) logs each slot after every HWPT_INVALIDATE, verified in the kernel; scenario 76
 * reads that log: slot 1, then slot 3, then a batch of 32 in one notify (one of them bad)
 * that flushes slot 2 as one HWPT_INVALIDATE of 31 entries.
 */
static void check_mock_iotlb(void)
{
	const uint8_t range = VIRTIO_IOMMU_INVAL_S_RANGE;
	unsigned int q = viommu_inval_queue(&dev), bad = 0, n = 32;
	bool back;

	inval(DOMAIN, range, 0, 1 * PAGE, PAGE);
	expect_inval(VIRTIO_IOMMU_S_OK, "mock: INVALIDATE RANGE of slot 1");
	inval(DOMAIN, range, 0, 3 * PAGE, PAGE);
	expect_inval(VIRTIO_IOMMU_S_OK, "mock: INVALIDATE RANGE of slot 3");
	for (unsigned int i = 0; i < n; i++)
		viommu_req_invalidate(&flood[i], DOMAIN, range, 0, (2 + 4 * i) * PAGE,
				      i == 13 ? 0 : PAGE);
	back = viommu_submit_on(&dev, q, flood, n, true) && viommu_wait_on(&dev, q, n);
	for (unsigned int i = 0; i < n; i++)
		bad += !flood[i].done || viommu_status(&flood[i]) !=
					     (i == 13 ? VIRTIO_IOMMU_S_INVAL : VIRTIO_IOMMU_S_OK);
	tap_check(back && !bad,
		  "mock: 32 INVALIDATEs of slot 2 in one notify: 31 OK, the one of size 0 INVAL "
		  "(%u wrong)",
		  bad);
}

/* The rng's next fault on the eventq: a write to @addr that found no mapping. */
static void check_fault(uint32_t ep, uint64_t addr, const char *what)
{
	struct virtio_iommu_fault f;
	bool got = viommu_event_get(&dev, &f, FAULT_POLLS);

	tap_check(got && f.reason == VIRTIO_IOMMU_FAULT_R_MAPPING && f.endpoint == ep &&
		      f.address == addr && f.flags & VIRTIO_IOMMU_FAULT_F_WRITE &&
		      f.flags & VIRTIO_IOMMU_FAULT_F_ADDRESS,
		  "%s: eventq fault MAPPING, write, endpoint %u, address %#llx (got %s: reason %u, "
		  "flags %#x, endpoint %u, address %#llx)",
		  what, ep, (unsigned long long)addr, got ? "one" : "none", got ? f.reason : 0,
		  got ? f.flags : 0, got ? f.endpoint : 0,
		  got ? (unsigned long long)f.address : 0ULL);
}

static bool all(const uint8_t *p, uint64_t n, uint8_t val)
{
	for (uint64_t i = 0; i < n; i++)
		if (p[i] != val)
			return false;
	return true;
}

/* An rng request at @iova that must land in @p: RNG_LEN random bytes there and no more. */
static void rng_good(uint64_t iova, uint8_t *p, const char *what)
{
	uint32_t used;
	enum vrng_result r;

	memset(p, FILL, RNG_LEN * 2);
	r = vrng_read(&rng, iova, RNG_LEN, &used);
	tap_check(r == VRNG_OK && used == RNG_LEN && !all(p, RNG_LEN, FILL) &&
		      all(p + RNG_LEN, RNG_LEN, FILL),
		  "%s: the rng wrote %u bytes at IOVA %#llx, into the buffer the table maps", what,
		  used, (unsigned long long)iova);
}

/* An rng request at @iova that must not reach @p: nothing written, a fault reported. */
static void rng_refused(uint32_t ep, uint64_t iova, uint8_t *p, const char *what)
{
	uint32_t used;
	enum vrng_result r;

	memset(p, FILL, RNG_LEN);
	r = vrng_read(&rng, iova, RNG_LEN, &used);
	tap_check((r == VRNG_LOST || !used) && all(p, RNG_LEN, FILL),
		  "%s: the rng's write at IOVA %#llx is refused (%s, used %u), buffer untouched",
		  what, (unsigned long long)iova, r == VRNG_LOST ? "never returned" : "returned",
		  used);
	check_fault(ep, iova, what);
}

/* The table: the rng's rings at their GPAs, its buffers at IOVAs that have nothing to do. */
static bool build_table(void)
{
	uint64_t ring, ring_len;
	int err;

	vrng_ring_span(&rng, &ring, &ring_len);
	err = s1pt_map(&table, ring, ring, ring_len, PAGE, S1PT_W | S1PT_U);
	err |= s1pt_map(&table, IOVA_X, (uintptr_t)buf, PAGE, PAGE, S1PT_W | S1PT_U);
	err |= s1pt_map(&table, IOVA_RO, (uintptr_t)ro_buf, PAGE, PAGE, S1PT_U);
	err |= s1pt_map(&table, IOVA_2M, (uintptr_t)big, S1PT_2M, S1PT_2M, S1PT_W | S1PT_U);
	return tap_check(
	    !err,
	    "a VT-d first-stage table at %#llx: rng rings identity, IOVA %#llx -> %#llx, "
	    "%#llx -> %#llx read-only, 2 MiB %#llx -> %#llx",
	    (unsigned long long)s1pt_root(&table), (unsigned long long)IOVA_X,
	    (unsigned long long)(uintptr_t)buf, (unsigned long long)IOVA_RO,
	    (unsigned long long)(uintptr_t)ro_buf, (unsigned long long)IOVA_2M,
	    (unsigned long long)(uintptr_t)big);
}

static void check_rng(uint32_t ep)
{
	uint32_t status;

	if (!tap_check(vrng_init(&rng), "the virtio-rng (endpoint %u) comes up behind the table",
		       ep))
		return;
	viommu_event_drain(&dev);
	rng_good(IOVA_X, buf, "4 KiB page");
	rng_good(IOVA_2M + OFF_2M, big + OFF_2M, "2 MiB page");
	rng_refused(ep, IOVA_RO, ro_buf, "read-only page");

	tap_check(!s1pt_unmap(&table, IOVA_X, PAGE), "IOVA %#llx unmapped in the table",
		  (unsigned long long)IOVA_X);
	inval(DOMAIN, VIRTIO_IOMMU_INVAL_S_RANGE, VIRTIO_IOMMU_INVAL_F_LEAF, IOVA_X, PAGE);
	expect_inval(VIRTIO_IOMMU_S_OK, "INVALIDATE RANGE LEAF of it");
	rng_refused(ep, IOVA_X, buf, "after unmap + INVALIDATE");

	s1pt_map(&table, IOVA_X, (uintptr_t)buf, PAGE, PAGE, S1PT_W | S1PT_U);
	inval(DOMAIN, VIRTIO_IOMMU_INVAL_S_RANGE, VIRTIO_IOMMU_INVAL_F_LEAF, IOVA_X, PAGE);
	expect_inval(VIRTIO_IOMMU_S_OK, "mapped again + INVALIDATE RANGE LEAF");
	rng_good(IOVA_X, buf, "after the remap");
	status = vmmio_status(&rng.m);
	tap_check(!(status & VIRTIO_CONFIG_S_NEEDS_RESET),
		  "the rng never needed a reset (status %#x)", status);
}

static void check_detach(uint32_t ep)
{
	viommu_req_detach_pasid(&req, DOMAIN, ep, VIRTIO_IOMMU_TABLE_F_PASID, 1);
	expect(VIRTIO_IOMMU_S_RANGE, "DETACH of a PASID the endpoint cannot have");
	viommu_req_detach_pasid(&req, DOMAIN, ep, 2, 0);
	expect(VIRTIO_IOMMU_S_INVAL, "DETACH with an unknown flag");
	viommu_req_detach(&req, DOMAIN, ep);
	expect(VIRTIO_IOMMU_S_OK, "DETACH of the endpoint");
	inval(DOMAIN, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0, 0);
	expect_inval(VIRTIO_IOMMU_S_NOENT, "INVALIDATE of the domain its last endpoint left");
}

unsigned int nested_test(uint64_t ram_end, uint64_t endpoint)
{
	const struct virtio_iommu_probe_table_format *vtd, *st;
	struct viommu_formats f;
	bool have_rng, e2e;
	uint32_t ep, status;

	if (!viommu_find(&dev) || s1pt_init(&table)) {
		tap_check(false, "a virtio-iommu is there");
		return tap_summary();
	}
	have_rng = vrng_find(&rng);
	if (endpoint != NESTED_ANY_EP)
		ep = (uint32_t)endpoint;
	else if (!tap_check(have_rng,
			    "a virtio-rng behind the vIOMMU (its window is its endpoint)"))
		return tap_summary();
	else
		ep = rng.m.window;
	e2e = have_rng && ep == rng.m.window;
	serial_printf("# endpoint %#x%s\n", ep, e2e ? ", the virtio-rng" : "");
	check_without_feature(ep);
	if (!bring_up())
		return tap_summary();

	viommu_req_probe(&req, ep, dev.cfg.probe_size);
	if (!expect(VIRTIO_IOMMU_S_OK, "PROBE of the endpoint"))
		return tap_summary();
	viommu_table_formats(&req, &f);
	vtd = viommu_find_format(&f, VIRTIO_IOMMU_FORMAT_VTD_S1);
	st = viommu_find_format(&f, VIRTIO_IOMMU_FORMAT_SELFTEST);
	tap_check(!f.bad_length, "PROBE: every TABLE_FORMAT property has length 20");
	if (!tap_check(vtd || st, "PROBE reports a TABLE_FORMAT: VT-d %s, SELFTEST %s",
		       vtd ? "yes" : "no", st ? "yes" : "no"))
		return tap_summary();
	if (vtd)
		check_vtd_property(vtd);
	check_bad_attach(ep, ram_end, vtd, st);

	att_root = s1pt_root(&table);
	att_format = vtd ? VIRTIO_IOMMU_FORMAT_VTD_S1 : VIRTIO_IOMMU_FORMAT_SELFTEST;
	att_flags = vtd ? 0 : SELFTEST_IOTLB;
	if (vtd && e2e && !build_table())
		return tap_summary();
	if (!check_attach(ep))
		return tap_summary();
	if (st && !vtd)
		check_mock_iotlb();
	check_invalidate();
	if (vtd && e2e)
		check_rng(ep);
	check_flood();
	check_detach(ep);
	status = vtrans_status(&dev.t);
	tap_check(!(status & VIRTIO_CONFIG_S_NEEDS_RESET),
		  "the virtio-iommu never asked for a reset (status %#x)", status);
	return tap_summary();
}
