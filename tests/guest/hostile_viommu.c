// SPDX-License-Identifier: GPL-2.0
/* Hostile requests for the virtio-iommu: every field of every request type wrong. */
#include "arch.h"
#include "hostile.h"
#include "lib.h"
#include "tap.h"
#include "viommu.h"

#define PAGE 0x1000ULL
#define DOM 1
#define TDOM 2 /* a guest-table domain (nesting extension) */
#define IOVA 0x10000000ULL
#define RW (VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)
#define S_UNWRITTEN VIOMMU_UNWRITTEN
#define POLLS (1ULL << 26)

static struct viommu_dev v;
static struct viommu_req req;
static uint8_t page[2 * PAGE] __attribute__((aligned(4096)));
static uint8_t root[PAGE] __attribute__((aligned(4096))); /* an empty VT-d table */

static bool expect(int want, const char *what)
{
	int got = viommu_do(&v, &req);

	return tap_check(got == want, "viommu: %s: %s (got %s)", what, viommu_status_name(want),
			 viommu_status_name(got));
}

/* A request with its readable and writable parts anywhere: the used length, or -1. */
static int64_t raw_used(uint64_t in, uint32_t in_len, uint64_t out, uint32_t out_len)
{
	struct virtq_buf r = { (const void *)(uintptr_t)in, in_len };
	struct virtq_buf w = { (const void *)(uintptr_t)out, out_len };
	uint16_t head;
	uint32_t len;

	if (virtq_add(&v.rq, &r, 1, &w, 1, false) < 0)
		return -1;
	vtrans_kick(&v.t, VIOMMU_REQUESTQ, &v.rq);
	for (uint64_t i = 0; !virtq_get_used(&v.rq, &head, &len); i++) {
		if (i == POLLS)
			return -1;
		cpu_relax();
	}
	return len;
}

static void map_cases(uint64_t ram_end)
{
	viommu_req_map(&req, DOM, IOVA, IOVA + PAGE - 1, (uintptr_t)page, RW | 0x100);
	expect(VIRTIO_IOMMU_S_INVAL, "MAP with an unknown flag (0x100)");
	viommu_req_map(&req, DOM, IOVA + PAGE, IOVA + PAGE - 1 - PAGE, (uintptr_t)page, RW);
	expect(VIRTIO_IOMMU_S_INVAL, "MAP with virt_end below virt_start");
	viommu_req_map(&req, DOM, IOVA + 0x10, IOVA + PAGE - 1, (uintptr_t)page, RW);
	expect(VIRTIO_IOMMU_S_RANGE, "MAP with virt_start not page-aligned");
	viommu_req_map(&req, DOM, IOVA, IOVA + PAGE - 1, (uintptr_t)page + 0x10, RW);
	expect(VIRTIO_IOMMU_S_RANGE, "MAP with phys_start not page-aligned");
	viommu_req_map(&req, DOM, IOVA, IOVA + PAGE - 2, (uintptr_t)page, RW);
	expect(VIRTIO_IOMMU_S_RANGE, "MAP with virt_end + 1 not page-aligned");
	if (v.cfg.input_end != ~0ULL) {
		viommu_req_map(&req, DOM, v.cfg.input_end + 1, v.cfg.input_end + PAGE,
			       (uintptr_t)page, RW);
		expect(VIRTIO_IOMMU_S_RANGE, "MAP above input_range");
	}
	if (v.cfg.domain_end != ~0U) {
		viommu_req_map(&req, v.cfg.domain_end + 1, IOVA, IOVA + PAGE - 1, (uintptr_t)page,
			       RW);
		expect(VIRTIO_IOMMU_S_RANGE, "MAP to a domain above domain_range");
	}
	viommu_req_map(&req, 77, IOVA, IOVA + PAGE - 1, (uintptr_t)page, RW);
	expect(VIRTIO_IOMMU_S_NOENT, "MAP to a domain that does not exist");
	viommu_req_map(&req, DOM, 0xfee00000ULL, 0xfee00fffULL, (uintptr_t)page, RW);
	expect(VIRTIO_IOMMU_S_INVAL, "MAP over the MSI window");
	viommu_req_map(&req, DOM, IOVA, IOVA + PAGE - 1, ram_end + 0x100000, RW);
	expect(VIRTIO_IOMMU_S_RANGE, "MAP of a page past the end of RAM");
	viommu_req_map(&req, DOM, IOVA, IOVA + PAGE - 1, HOSTILE_HOLE, RW);
	expect(VIRTIO_IOMMU_S_RANGE, "MAP of a page in the MMIO hole (0xc0000000)");
	viommu_req_map(&req, DOM, IOVA, IOVA + 2 * PAGE - 1, ram_end - PAGE, RW);
	expect(VIRTIO_IOMMU_S_RANGE, "MAP of two pages across the end of RAM");
	viommu_req_map(&req, DOM, IOVA, IOVA + 2 * PAGE - 1, 0xfffffffffffff000ULL, RW);
	expect(VIRTIO_IOMMU_S_RANGE, "MAP whose physical range wraps 2^64");
	viommu_req_map(&req, DOM, IOVA, IOVA + 2 * PAGE - 1, (uintptr_t)page, RW);
	expect(VIRTIO_IOMMU_S_OK, "MAP of two pages (setup)");
	viommu_req_map(&req, DOM, IOVA + PAGE, IOVA + 2 * PAGE - 1, (uintptr_t)page, RW);
	expect(VIRTIO_IOMMU_S_INVAL, "MAP inside an existing mapping");
	viommu_req_unmap(&req, DOM, IOVA, IOVA + PAGE - 1);
	expect(VIRTIO_IOMMU_S_RANGE, "UNMAP of half a mapping (would split it)");
	viommu_req_unmap(&req, DOM, IOVA, IOVA + 2 * PAGE - 1);
	req.in.unmap.reserved[0] = 1;
	expect(VIRTIO_IOMMU_S_INVAL, "UNMAP with reserved bytes set");
	viommu_req_unmap(&req, DOM, IOVA + PAGE, IOVA);
	expect(VIRTIO_IOMMU_S_INVAL, "UNMAP with virt_end below virt_start");
	viommu_req_unmap(&req, 77, IOVA, IOVA + PAGE - 1);
	expect(VIRTIO_IOMMU_S_NOENT, "UNMAP in a domain that does not exist");
	viommu_req_unmap(&req, DOM, IOVA, IOVA + 2 * PAGE - 1);
	expect(VIRTIO_IOMMU_S_OK, "UNMAP of the two pages (the bad ones changed nothing)");
}

static void malformed_cases(uint32_t ep)
{
	uint8_t bytes[64] = { VIRTIO_IOMMU_T_ATTACH };
	int64_t used;

	viommu_req_raw(&req, bytes, 1, VIOMMU_TAIL);
	expect(VIRTIO_IOMMU_S_INVAL, "a 1-byte ATTACH");
	viommu_req_attach(&req, DOM, ep, 0);
	req.in_len += 4;
	expect(VIRTIO_IOMMU_S_INVAL, "an ATTACH 4 bytes too long");
	viommu_req_attach(&req, DOM, ep, 0);
	req.out_len = 8;
	memset(req.out, S_UNWRITTEN, 8);
	expect(VIRTIO_IOMMU_S_INVAL, "an ATTACH with 8 writable bytes (tail in the last 4)");
	viommu_req_probe(&req, ep, v.cfg.probe_size / 2);
	expect(VIRTIO_IOMMU_S_INVAL, "a PROBE with half the property bytes");
	viommu_req_probe(&req, 0xabcdef, v.cfg.probe_size);
	expect(VIRTIO_IOMMU_S_NOENT, "a PROBE of an endpoint that does not exist");
	bytes[0] = 0xee;
	viommu_req_raw(&req, bytes, 8, VIOMMU_TAIL);
	viommu_do(&v, &req);
	tap_check(req.done && req.used_len == 0 && viommu_status(&req) == S_UNWRITTEN,
		  "viommu: request type 0xee: used length 0, unwritten (%u)", req.used_len);
	bytes[0] = VIRTIO_IOMMU_T_ATTACH;
	viommu_req_raw(&req, bytes, 0, VIOMMU_TAIL);
	viommu_do(&v, &req);
	tap_check(req.done && req.used_len == 0,
		  "viommu: a request with no readable bytes: used length 0 (%u)", req.used_len);
	viommu_req_attach(&req, DOM, ep, 0);
	req.out_len = 2;
	viommu_do(&v, &req);
	tap_check(req.done && req.used_len == 0,
		  "viommu: an ATTACH with 2 writable bytes (no room for the tail): used length 0 "
		  "(%u)",
		  req.used_len);
	used = raw_used(HOSTILE_HOLE, 20, (uintptr_t)req.out, VIOMMU_TAIL);
	tap_check(used == 0, "viommu: a request read from the MMIO hole: used length 0 (%lld)",
		  (long long)used);
	viommu_req_detach(&req, DOM, 0xabcdef);
	used = raw_used((uintptr_t)&req.in, req.in_len, 0xfee00000ULL, VIOMMU_TAIL);
	tap_check(used == 0, "viommu: a reply into 0xfee00000 (MMIO hole): used length 0 (%lld)",
		  (long long)used);
	viommu_req_detach(&req, DOM, 0xabcdef);
	used = raw_used((uintptr_t)&req.in, req.in_len, 0x100000000000ULL, VIOMMU_TAIL);
	tap_check(used == 0, "viommu: a reply past the end of RAM: used length 0 (%lld)",
		  (long long)used);
	used = raw_used((uintptr_t)page, 4096, (uintptr_t)req.out, VIOMMU_TAIL);
	tap_check(used == VIOMMU_TAIL && req.out[0] == VIRTIO_IOMMU_S_INVAL,
		  "viommu: a 4096-byte request (larger than any): INVAL (used %lld)",
		  (long long)used);
}

static void nested_cases(uint32_t ep, uint64_t ram_end)
{
	const uint16_t VTD = VIRTIO_IOMMU_FORMAT_VTD_S1;

	viommu_req_attach_table(&req, TDOM, ep, (uintptr_t)root, VTD, 0);
	req.in.attach_table.reserved[3] = 1;
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH_TABLE with reserved bytes set");
	viommu_req_attach_table(&req, TDOM, ep, (uintptr_t)root, VTD, 0);
	req.in.attach_table.flags = 0x8;
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH_TABLE with an unknown flag (0x8)");
	viommu_req_attach_table(&req, TDOM, 0xabcdef, (uintptr_t)root, VTD, 0);
	expect(VIRTIO_IOMMU_S_NOENT, "ATTACH_TABLE of an endpoint that does not exist");
	if (v.cfg.domain_end != ~0U) {
		viommu_req_attach_table(&req, v.cfg.domain_end + 1, ep, (uintptr_t)root, VTD, 0);
		expect(VIRTIO_IOMMU_S_RANGE, "ATTACH_TABLE to a domain above domain_range");
	}
	viommu_req_attach_table(&req, TDOM, ep, (uintptr_t)root + 0x800, VTD, 0);
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH_TABLE with a root not 4 KiB aligned");
	viommu_req_attach_table(&req, TDOM, ep, ram_end + 0x100000, VTD, 0);
	expect(VIRTIO_IOMMU_S_RANGE, "ATTACH_TABLE with a root past the end of RAM");
	viommu_req_attach_table(&req, TDOM, ep, HOSTILE_HOLE, VTD, 0);
	expect(VIRTIO_IOMMU_S_RANGE, "ATTACH_TABLE with a root in the MMIO hole");
	viommu_req_attach_table(&req, TDOM, ep, (uintptr_t)root, 0x77, 0);
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH_TABLE in an unknown format (0x77)");
	viommu_req_attach_table(&req, TDOM, ep, (uintptr_t)root, VTD, 1ULL << 40);
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH_TABLE with unknown VT-d flags (bit 40)");
	viommu_req_map(&req, DOM, IOVA, IOVA + PAGE - 1, (uintptr_t)page, RW);
	expect(VIRTIO_IOMMU_S_OK, "MAP in the MAP/UNMAP domain (setup)");
	viommu_req_attach_table(&req, DOM, ep, (uintptr_t)root, VTD, 0);
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH_TABLE to a domain that has MAP mappings");

	viommu_req_invalidate(&req, TDOM, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0, 0);
	req.in.invalidate.reserved[0] = 1;
	expect(VIRTIO_IOMMU_S_INVAL, "INVALIDATE with reserved bytes set");
	viommu_req_invalidate(&req, TDOM, 3, 0, 0, 0);
	expect(VIRTIO_IOMMU_S_INVAL, "INVALIDATE with scope 3 (unknown)");
	viommu_req_invalidate(&req, TDOM, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0x80, 0, 0);
	expect(VIRTIO_IOMMU_S_INVAL, "INVALIDATE with an unknown flag (0x80)");
	if (v.cfg.domain_end != ~0U) {
		viommu_req_invalidate(&req, v.cfg.domain_end + 1, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0,
				      0);
		expect(VIRTIO_IOMMU_S_RANGE, "INVALIDATE of a domain above domain_range");
	}
	viommu_req_invalidate(&req, DOM, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0, 0);
	expect(VIRTIO_IOMMU_S_NOENT, "INVALIDATE of a MAP/UNMAP domain (no table)");
	viommu_req_invalidate(&req, 99, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0, 0);
	expect(VIRTIO_IOMMU_S_NOENT, "INVALIDATE of a domain that does not exist");

	viommu_req_attach_table(&req, TDOM, ep, (uintptr_t)root, VTD, 0);
	if (!expect(VIRTIO_IOMMU_S_OK, "ATTACH_TABLE of the endpoint (setup)"))
		return;
	viommu_req_invalidate(&req, TDOM, VIRTIO_IOMMU_INVAL_S_RANGE, 0, IOVA, 0);
	expect(VIRTIO_IOMMU_S_INVAL, "INVALIDATE RANGE of size 0");
	viommu_req_invalidate(&req, TDOM, VIRTIO_IOMMU_INVAL_S_RANGE, 0, IOVA + 0x10, PAGE);
	expect(VIRTIO_IOMMU_S_INVAL, "INVALIDATE RANGE not page-aligned");
	viommu_req_invalidate(&req, TDOM, VIRTIO_IOMMU_INVAL_S_RANGE, 0, 0xfffffffffffff000ULL,
			      2 * PAGE);
	expect(VIRTIO_IOMMU_S_INVAL, "INVALIDATE RANGE that wraps 2^64");
	viommu_req_attach_table(&req, TDOM, ep, (uintptr_t)page, VTD, 0);
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH_TABLE of another table to the table domain");
	viommu_req_map(&req, TDOM, IOVA, IOVA + PAGE - 1, (uintptr_t)page, RW);
	expect(VIRTIO_IOMMU_S_INVAL, "MAP in a table domain");
	viommu_req_detach_pasid(&req, TDOM, ep, 0x4, 0);
	expect(VIRTIO_IOMMU_S_INVAL, "DETACH with an unknown flag (0x4)");
	viommu_req_detach(&req, TDOM, ep);
	expect(VIRTIO_IOMMU_S_OK, "DETACH of the endpoint (cleanup)");
}

void hostile_viommu(uint64_t ram_end, unsigned int rng_ep)
{
	bool nested;

	if (!tap_check(viommu_find(&v), "viommu: found"))
		return;
	nested = viommu_init(&v, VIOMMU_NESTED_FEATURES, 16) == VIOMMU_INIT_OK;
	if (!nested && !tap_check(viommu_init(&v, VIOMMU_WANTED_FEATURES, 16) == VIOMMU_INIT_OK,
				  "viommu: comes up"))
		return;

	viommu_req_attach(&req, DOM, rng_ep, 0);
	req.in.attach.reserved[0] = 1;
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH with reserved bytes set");
	viommu_req_attach(&req, DOM, rng_ep, 0x40);
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH with an unknown flag (0x40)");
	viommu_req_attach(&req, DOM, 0xabcdef, 0);
	expect(VIRTIO_IOMMU_S_NOENT, "ATTACH of an endpoint that does not exist");
	if (v.cfg.domain_end != ~0U) {
		viommu_req_attach(&req, v.cfg.domain_end + 1, rng_ep, 0);
		expect(VIRTIO_IOMMU_S_RANGE, "ATTACH to a domain above domain_range");
	}
	viommu_req_detach(&req, DOM, 0xabcdef);
	expect(VIRTIO_IOMMU_S_NOENT, "DETACH of an endpoint that does not exist");
	viommu_req_detach(&req, DOM, rng_ep);
	expect(VIRTIO_IOMMU_S_INVAL, "DETACH of an endpoint from a domain it is not in");
	viommu_req_attach(&req, DOM, rng_ep, 0);
	if (!expect(VIRTIO_IOMMU_S_OK, "ATTACH of the rng's endpoint (setup)"))
		return;
	viommu_req_attach(&req, DOM, rng_ep, VIRTIO_IOMMU_ATTACH_F_BYPASS);
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH with BYPASS to an existing non-bypass domain");
	map_cases(ram_end);
	malformed_cases(rng_ep);
	if (nested)
		nested_cases(rng_ep, ram_end);
	viommu_req_detach(&req, DOM, rng_ep);
	viommu_do(&v, &req);
	tap_check(viommu_do(&v, &req) == VIRTIO_IOMMU_S_INVAL,
		  "viommu: DETACH twice: the second is INVAL");
}
