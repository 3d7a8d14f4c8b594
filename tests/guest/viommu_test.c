// SPDX-License-Identifier: GPL-2.0
/*
 * Checks of nestvm's virtio-iommu from a real guest: bring-up, PROBE, ATTACH/DETACH,
 * MAP/UNMAP, the status of each kind of bad request (virtio 1.2 §5.13.6; where the spec
 * leaves the status open, iommu/viommu_requests.c's choice, noted "model"), and a full
 * request queue in one notify. Every check prints one line; the device must still work at the end.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "lib.h"
#include "tap.h"
#include "viommu.h"
#include "viommu_test.h"

#define PAGE 0x1000ULL
#define DOMAIN 1
#define IOVA 0x10000000ULL /* where single mappings go */
#define FLOOD_IOVA 0x20000000ULL /* where the flood's mappings go */
#define RW (VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)
#define UNKNOWN_TYPE 0x42
#define S_UNWRITTEN VIOMMU_UNWRITTEN

static struct viommu_dev dev;
static struct viommu_req req;
static struct viommu_req flood[VIRTQ_MAX];
static uint8_t page[2 * PAGE] __attribute__((aligned(4096))); /* what mappings point at */

/* One request, checked against the status the spec (or the model) names. */
static bool expect(int want, const char *what)
{
	int got = viommu_do(&dev, &req);

	return tap_check(got == want, "%s: %s (got %s)", what, viommu_status_name(want),
			 viommu_status_name(got));
}

static bool do_attach(uint32_t domain, uint32_t ep, int want, const char *what)
{
	viommu_req_attach(&req, domain, ep, 0);
	return expect(want, what);
}

static bool do_detach(uint32_t domain, uint32_t ep, int want, const char *what)
{
	viommu_req_detach(&req, domain, ep);
	return expect(want, what);
}

static bool do_map(uint32_t domain, uint64_t iova, uint64_t len, uint64_t phys, int want,
		   const char *what)
{
	viommu_req_map(&req, domain, iova, iova + len - 1, phys, RW);
	return expect(want, what);
}

static bool do_unmap(uint32_t domain, uint64_t iova, uint64_t len, int want, const char *what)
{
	viommu_req_unmap(&req, domain, iova, iova + len - 1);
	return expect(want, what);
}

/* Finds the device, then what features do and don't get past FEATURES_OK. */
static bool bring_up(void)
{
	uint64_t offered;
	bool ok;

	if (!tap_check(viommu_find(&dev) && dev.t.kind == VTRANS_MMIO,
		       "a virtio-iommu (device %u) is in a virtio-mmio window", VIRTIO_ID_IOMMU))
		return false;
	tap_check(dev.t.mmio.window == 0, "it is in the first window (%u), as --viommu puts it",
		  dev.t.mmio.window);
	offered = vmmio_device_features(&dev.t.mmio);
	tap_check(
	    (offered & VIOMMU_WANTED_FEATURES) == VIOMMU_WANTED_FEATURES,
	    "it offers VERSION_1, INDIRECT_DESC, INPUT_RANGE, DOMAIN_RANGE, MAP_UNMAP, PROBE, "
	    "MMIO, BYPASS_CONFIG (offered %#llx)",
	    (unsigned long long)offered);
	tap_check(
	    !vmmio_negotiate(&dev.t.mmio, VIOMMU_WANTED_FEATURES & ~(1ULL << VIRTIO_F_VERSION_1)),
	    "FEATURES_OK is refused without VIRTIO_F_VERSION_1");
	tap_check(!vmmio_negotiate(&dev.t.mmio, VIOMMU_WANTED_FEATURES | 1ULL << 50),
		  "FEATURES_OK is refused with a feature the device did not offer");
	/* Arguments are evaluated before the check prints: initialise first. */
	ok = viommu_init(&dev, VIOMMU_WANTED_FEATURES, VIRTQ_MAX) == VIOMMU_INIT_OK;
	if (!tap_check(ok, "features negotiate and the request queue (%u entries) is ready",
		       dev.rq.size))
		return false;
	tap_check(dev.cfg.page_size_mask & PAGE && dev.cfg.probe_size >= 24 &&
		      dev.cfg.input_end > dev.cfg.input_start &&
		      dev.cfg.domain_end >= dev.cfg.domain_start,
		  "config: page_size_mask %#llx, input range %#llx-%#llx, domains %u-%u, "
		  "probe_size %u",
		  (unsigned long long)dev.cfg.page_size_mask,
		  (unsigned long long)dev.cfg.input_start, (unsigned long long)dev.cfg.input_end,
		  dev.cfg.domain_start, dev.cfg.domain_end, dev.cfg.probe_size);
	return true;
}

/* Walks the PROBE properties for a RESV_MEM MSI range with exactly the x86 doorbell. */
static bool probe_has_msi(const struct viommu_req *r)
{
	uint32_t off = 0, end = r->out_len - VIOMMU_TAIL;

	while (off + sizeof(struct virtio_iommu_probe_property) <= end) {
		const struct virtio_iommu_probe_property *p = (const void *)(r->out + off);
		uint16_t type = p->type & VIRTIO_IOMMU_PROBE_T_MASK;
		const struct virtio_iommu_probe_resv_mem *m = (const void *)p;

		if (type == VIRTIO_IOMMU_PROBE_T_NONE)
			break;
		if (type == VIRTIO_IOMMU_PROBE_T_RESV_MEM && off + sizeof(*m) <= end &&
		    m->subtype == VIRTIO_IOMMU_RESV_MEM_T_MSI && m->start == 0xfee00000ULL &&
		    m->end == 0xfeefffffULL)
			return true;
		off += sizeof(*p) + p->length;
	}
	return false;
}

static void check_probe(uint32_t ep)
{
	viommu_req_probe(&req, ep, dev.cfg.probe_size);
	if (expect(VIRTIO_IOMMU_S_OK, "PROBE of the endpoint"))
		tap_check(probe_has_msi(&req),
			  "PROBE reports RESV_MEM MSI 0xfee00000-0xfeefffff for the endpoint");
	viommu_req_probe(&req, 0x1234, dev.cfg.probe_size);
	expect(VIRTIO_IOMMU_S_NOENT, "PROBE of an endpoint that does not exist");
}

static void check_map_unmap(uint64_t ram_end)
{
	uint64_t phys = (uintptr_t)page;

	do_map(DOMAIN, IOVA, PAGE, phys, VIRTIO_IOMMU_S_OK, "MAP of 4 KiB");
	do_unmap(DOMAIN, IOVA, PAGE, VIRTIO_IOMMU_S_OK, "UNMAP of that 4 KiB");

	do_map(DOMAIN, IOVA, 4 * PAGE, 0, VIRTIO_IOMMU_S_OK, "MAP of 16 KiB");
	do_map(DOMAIN, IOVA + 2 * PAGE, PAGE, phys, VIRTIO_IOMMU_S_INVAL,
	       "MAP inside an existing mapping (spec: SHOULD be INVAL)");
	do_map(DOMAIN, IOVA - PAGE, 2 * PAGE, 0, VIRTIO_IOMMU_S_INVAL,
	       "MAP overlapping the start of an existing mapping");
	do_unmap(DOMAIN, IOVA, PAGE, VIRTIO_IOMMU_S_RANGE,
		 "UNMAP that would split a mapping (spec: SHOULD be RANGE)");
	do_unmap(DOMAIN, IOVA, 4 * PAGE, VIRTIO_IOMMU_S_OK, "UNMAP of the whole 16 KiB");

	do_unmap(DOMAIN, IOVA, 16 * PAGE, VIRTIO_IOMMU_S_OK,
		 "UNMAP of a range with nothing mapped (spec: not an error)");
	do_map(DOMAIN, IOVA, 2 * PAGE, ram_end - PAGE, VIRTIO_IOMMU_S_RANGE,
	       "MAP whose physical range runs past the end of RAM (model: RANGE)");
	do_map(DOMAIN, IOVA, PAGE, ram_end, VIRTIO_IOMMU_S_RANGE,
	       "MAP whose physical range starts at the end of RAM (model: RANGE)");
	do_map(DOMAIN, 0xfee00000ULL, PAGE, phys, VIRTIO_IOMMU_S_INVAL,
	       "MAP over the RESV_MEM MSI range (model: INVAL)");
	do_map(DOMAIN, IOVA + 0x800, PAGE, phys, VIRTIO_IOMMU_S_RANGE,
	       "MAP of an unaligned IOVA (spec: SHOULD be RANGE)");
	viommu_req_map(&req, DOMAIN, IOVA, IOVA + PAGE - 1, phys, RW | 0x80);
	expect(VIRTIO_IOMMU_S_INVAL, "MAP with an unknown flag (spec: MUST be INVAL)");
	do_map(DOMAIN + 1, IOVA, PAGE, phys, VIRTIO_IOMMU_S_NOENT,
	       "MAP in a domain that does not exist (spec: SHOULD be NOENT)");
}

static void check_ranges(uint32_t ep)
{
	uint64_t past = dev.cfg.input_end + 1, phys = (uintptr_t)page;

	if (dev.cfg.domain_end != 0xffffffffU) {
		do_attach(dev.cfg.domain_end + 1, ep, VIRTIO_IOMMU_S_RANGE,
			  "ATTACH to a domain above domain_range (model: RANGE)");
		do_map(dev.cfg.domain_end + 1, IOVA, PAGE, phys, VIRTIO_IOMMU_S_RANGE,
		       "MAP in a domain above domain_range (model: RANGE)");
	}
	if (dev.cfg.input_end != ~0ULL) {
		do_map(DOMAIN, past, PAGE, phys, VIRTIO_IOMMU_S_RANGE,
		       "MAP of an IOVA above input_range (model: RANGE)");
		do_map(DOMAIN, past - PAGE, 2 * PAGE, phys, VIRTIO_IOMMU_S_RANGE,
		       "MAP that runs past the end of input_range (model: RANGE)");
		do_unmap(DOMAIN, past, PAGE, VIRTIO_IOMMU_S_RANGE,
			 "UNMAP of an IOVA above input_range (model: RANGE)");
	}
}

/* Requests a good driver never sends: unknown type, too short, no room for the tail. */
static void check_malformed(void)
{
	uint8_t bytes[16] = { 0 };

	bytes[0] = UNKNOWN_TYPE;
	viommu_req_raw(&req, bytes, 8, VIOMMU_TAIL);
	viommu_do(&dev, &req);
	tap_check(req.done && req.used_len == 0 && viommu_status(&req) == S_UNWRITTEN,
		  "an unknown request type is returned unwritten with used length 0 (spec: SHOULD; "
		  "got used length %u, status %s)",
		  req.used_len, viommu_status_name(viommu_status(&req)));

	bytes[0] = VIRTIO_IOMMU_T_MAP;
	viommu_req_raw(&req, bytes, 2, VIOMMU_TAIL);
	expect(VIRTIO_IOMMU_S_INVAL,
	       "a 2-byte request, shorter than its 4-byte head (model: INVAL)");
	viommu_req_raw(&req, bytes, sizeof(struct virtio_iommu_req_head), VIOMMU_TAIL);
	expect(VIRTIO_IOMMU_S_INVAL, "a MAP that is only a head, no body (model: INVAL)");
	viommu_req_map(&req, DOMAIN, IOVA, IOVA + PAGE - 1, (uintptr_t)page, RW);
	req.out_len = 2;
	viommu_do(&dev, &req);
	tap_check(req.done && req.used_len == 0,
		  "a MAP with 2 writable bytes, no room for the tail, gets used length 0 (got %u)",
		  req.used_len);
	do_unmap(DOMAIN, IOVA, PAGE, VIRTIO_IOMMU_S_OK,
		 "(and that MAP left nothing mapped: UNMAP is OK)");
}

/* What the flood's request @i is, and the status it must get. */
static int flood_fill(unsigned int i, struct viommu_req *r)
{
	uint64_t iova = FLOOD_IOVA + (i / 4) * PAGE;
	uint8_t bad[8] = { UNKNOWN_TYPE };

	switch (i % 4) {
	case 0:
		viommu_req_map(r, DOMAIN, iova, iova + PAGE - 1, (uintptr_t)page, RW);
		return VIRTIO_IOMMU_S_OK;
	case 1:
		viommu_req_map(r, DOMAIN, iova, iova + PAGE - 1, (uintptr_t)page, RW);
		return VIRTIO_IOMMU_S_INVAL; /* the same IOVA again */
	case 2:
		viommu_req_unmap(r, DOMAIN, iova, iova + PAGE - 1);
		return VIRTIO_IOMMU_S_OK;
	default:
		viommu_req_raw(r, bad, sizeof(bad), VIOMMU_TAIL);
		return S_UNWRITTEN;
	}
}

/*
 * The whole ring in one notify: MAP, MAP again, UNMAP and an unknown type, over and over;
 * direct (two descriptors a request) or indirect (one).
 */
static void check_flood(bool indirect)
{
	unsigned int n = indirect ? dev.rq.size : dev.rq.size / 2, bad = 0, first_bad = 0;
	int want[VIRTQ_MAX];
	bool sent, back;

	for (unsigned int i = 0; i < n; i++)
		want[i] = flood_fill(i, &flood[i]);
	sent = viommu_submit(&dev, flood, n, indirect);
	tap_check(sent && virtq_free(&dev.rq) == 0,
		  "flood (%s): %u requests fill all %u ring entries, one notify",
		  indirect ? "indirect" : "direct", n, dev.rq.size);
	if (!sent)
		return;
	back = viommu_wait(&dev, n);
	for (unsigned int i = 0; i < n; i++) {
		bool ok = flood[i].done && viommu_status(&flood[i]) == want[i] &&
			  flood[i].used_len == (want[i] == S_UNWRITTEN ? 0 : VIOMMU_TAIL);

		if (!ok && !bad++)
			first_bad = i;
	}
	tap_check(back && !bad,
		  "flood (%s): all %u complete with the right status (%u wrong, first at %u)",
		  indirect ? "indirect" : "direct", n, bad, first_bad);
}

unsigned int viommu_test(uint64_t ram_end)
{
	struct vmmio ep_dev = { 0 };
	uint32_t ep, status;
	bool found;

	if (!bring_up())
		return tap_summary();
	found = vmmio_find(0, dev.t.mmio.window + 1, &ep_dev);
	if (!tap_check(found, "an endpoint behind the vIOMMU: device %u in window %u",
		       ep_dev.device_id, ep_dev.window))
		return tap_summary();
	ep = ep_dev.window;
	check_probe(ep);
	do_attach(DOMAIN, 0x1234, VIRTIO_IOMMU_S_NOENT,
		  "ATTACH of an endpoint that does not exist (spec: MUST be NOENT)");
	do_attach(DOMAIN, ep, VIRTIO_IOMMU_S_OK, "ATTACH of the endpoint to a domain");
	viommu_req_attach(&req, DOMAIN, ep, 0);
	req.in.attach.reserved[0] = 1;
	expect(VIRTIO_IOMMU_S_INVAL, "ATTACH with reserved bytes set (spec: MUST be INVAL)");
	check_map_unmap(ram_end);
	check_ranges(ep);
	check_malformed();
	check_flood(false);
	check_flood(true);

	do_map(DOMAIN, IOVA, PAGE, (uintptr_t)page, VIRTIO_IOMMU_S_OK, "after the floods: MAP");
	do_unmap(DOMAIN, IOVA, PAGE, VIRTIO_IOMMU_S_OK, "after the floods: UNMAP");
	status = vmmio_status(&dev.t.mmio);
	tap_check(!(status & VIRTIO_CONFIG_S_NEEDS_RESET),
		  "the device never asked for a reset (status %#x)", status);
	do_detach(DOMAIN, ep, VIRTIO_IOMMU_S_OK, "DETACH of the endpoint");
	do_detach(DOMAIN, ep, VIRTIO_IOMMU_S_INVAL,
		  "DETACH of it again, no longer attached (spec: MAY be INVAL)");
	do_detach(DOMAIN, 0x1234, VIRTIO_IOMMU_S_NOENT,
		  "DETACH of an endpoint that does not exist (spec: MUST be NOENT)");
	do_map(DOMAIN, IOVA, PAGE, (uintptr_t)page, VIRTIO_IOMMU_S_NOENT,
	       "MAP in the domain its last endpoint left, which ceased to exist (NOENT)");
	vmmio_reset(&dev.t.mmio);
	tap_check(vmmio_status(&dev.t.mmio) == 0, "the device resets");
	return tap_summary();
}
