// SPDX-License-Identifier: GPL-2.0
/*
 * The e1000e under a flood while its table changes elsewhere (nic_flood.h).
 *
 * The NIC reaches its rings and buffers only through our VT-d first-stage table, at an IOVA
 * far from their GPA. Three scratch pages of the same table are mapped and unmapped in turn,
 * each change followed by an INVALIDATE of just that page:
 *   - "next": the page right after the NIC's block, in IOVA and in GPA, so a host that merges
 *     neighbouring leaves into one mapping merges it with the RX buffers;
 *   - "mid": 1 MiB further, in the same 2 MiB block as the rings;
 *   - "far": in the next 2 MiB block.
 * After every DOMAIN_EVERY changes a DOMAIN-wide INVALIDATE follows. None of this touches the
 * NIC's own pages, so the NIC must keep receiving as if nothing happened: what it loses must
 * be what it loses anyway (the idle phases), and the host's IOMMU must see no fault (the
 * scenario reads its dmesg).
 *
 * A frame counts as received when its descriptor came back with DD and its buffer holds a
 * flood frame whose sequence number was not seen before; the frames the flood sent in a phase
 * are the span of sequence numbers that arrived in it, and those received are the numbers of
 * that span that arrived at all (frames can come out of order: QEMU queues frames while the NIC
 * has no free descriptor, and a newer frame can overtake them). A descriptor the NIC went past
 * without writing it back (its write-back DMA faulted) is given back and counted as "skipped";
 * a buffer with a number seen before (its data DMA faulted, the buffer holds an earlier frame)
 * as "dup".
 */
#include "arch.h"
#include "e1000e.h"
#include "lib.h"
#include "nic_flood.h"
#include "s1pt.h"
#include "selfcheck.h"
#include "serial.h"
#include "tap.h"
#include "timing.h"
#include "viommu.h"
#include "viommu_props.h"

#define DOMAIN 1
#define FLOOD_ETHERTYPE 0x88b5 /* IEEE 802 "local experimental" */
#define FLOOD_MAGIC 0x4e56464cu /* "NVFL", then a 32-bit sequence number, both big-endian */
#define FLOOD_HDR 22 /* Ethernet header, magic, sequence number */
#define LINK_MS 5000
#define FLOOD_WAIT_MS 60000 /* for the first flood frame, after "ready" */
#define SETTLE_MS 500 /* of flood before the first phase counts */
#define INVAL_MS 10000 /* an INVALIDATE not back by then is lost */
#define LOST_CHECK_US 200 /* how often an idle poll reads RDH for skipped descriptors */
#define SELFCHECK_MS 10 /* how often the payload checks its own page tables */
/*
 * Page changes between DOMAIN-wide INVALIDATEs: "next" changes 3 times in each 6, so every
 * other DOMAIN-wide one finds it mapped (and a host that merges leaves merges it then).
 */
#define DOMAIN_EVERY 6
#define MIN_FRAMES 100 /* a phase with fewer flood frames measures nothing */
#define DUP_SHOWN 4 /* dup frames described one by one, per phase */
#define SEQ_MAX (1u << 18) /* sequence numbers tracked: over two minutes of flood at 2000/s */
#define MID_OFF 0x100000ULL
#define FAR_OFF 0x200000ULL

/* The NIC's block and the page after it, one contiguous piece of guest memory. */
static struct {
	struct e1000e_mem nic;
	uint8_t next[S1PT_4K] __attribute__((aligned(4096)));
} blk;
static uint8_t elsewhere[2][S1PT_4K] __attribute__((aligned(4096)));

static struct viommu_dev dev;
static struct viommu_req req, inval;
static struct s1pt table;
static struct e1000e nic;
static uint64_t tsc_hz;
/* The NIC's IOVA: as in nic_test.c, the last GiB below the middle of the NIC's input range. */
static uint64_t nic_iova = 0x3fc0000000ULL;

struct scratch {
	const char *name;
	uint64_t off; /* IOVA - nic_iova */
	const void *page;
	bool mapped;
};

static struct scratch scratch[] = {
	{ "next", sizeof(struct e1000e_mem), blk.next, false },
	{ "mid", MID_OFF, elsewhere[0], false },
	{ "far", FAR_OFF, elsewhere[1], false },
};

/* Every sequence number that arrived, whenever it did. */
static uint64_t seen[SEQ_MAX / 64];

struct phase {
	const char *name;
	bool any; /* a flood frame came: lo and hi are set */
	uint32_t lo, hi; /* the lowest and highest sequence numbers that came */
	uint32_t fresh, dup, late, beyond, stale, other, skipped;
	uint32_t dup_at[E1000E_RX_RING]; /* dup frames by RX descriptor: which pages miss */
	uint32_t gprc, mpc, rnbc; /* the NIC's own counters over the phase */
	uint32_t changes, domains, bad; /* INVALIDATEs of a page, of the domain; not OK */
	bool lost_request;
};

/* Changes of "mid" and "far" only, RANGE INVALIDATEs only (nic_flood.h). */
static bool control;

/* The INVALIDATE in flight, if any. */
static struct {
	bool busy;
	uint64_t since;
	unsigned int step;
} iq;

static uint64_t deadline(uint64_t ms)
{
	return rdtsc_ordered() + tsc_hz / 1000 * ms;
}

static bool before(uint64_t t)
{
	return rdtsc_ordered() < t;
}

static uint32_t be32(const volatile uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void print_mac(const char *what, const uint8_t *m)
{
	serial_printf("%s%02x:%02x:%02x:%02x:%02x:%02x", what, m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* One received frame, counted. */
static void take(struct phase *p, const volatile uint8_t *f, uint16_t len)
{
	uint32_t seq;

	if (len < FLOOD_HDR || f[12] != FLOOD_ETHERTYPE >> 8 || f[13] != (FLOOD_ETHERTYPE & 0xff)) {
		p->other++;
		return;
	}
	if (be32(f + 14) != FLOOD_MAGIC) {
		p->stale++; /* a buffer the NIC never wrote */
		return;
	}
	seq = be32(f + 18);
	if (seq >= SEQ_MAX) {
		p->beyond++;
		return;
	}
	if (seen[seq / 64] & 1ULL << seq % 64) {
		/* An earlier frame's data: this one's did not land. */
		size_t at = (size_t)(f - nic.mem->rx_buf[0]) / E1000E_BUF % E1000E_RX_RING;

		if (p->dup++ < DUP_SHOWN)
			serial_printf(
			    "# %s: descriptor %u has DD but frame %u, seen before, in its "
			    "buffer (highest so far %u)\n",
			    p->name, (unsigned int)at, seq, p->hi);
		p->dup_at[at]++;
		return;
	}
	seen[seq / 64] |= 1ULL << seq % 64;
	p->fresh++;
	if (!p->any) {
		p->lo = p->hi = seq;
		p->any = true;
	} else if (seq < p->hi) {
		p->late++;
		if (seq < p->lo)
			p->lo = seq;
	} else {
		p->hi = seq;
	}
}

/* Everything the NIC has written back; descriptors it went past unwritten are skipped. */
static void drain(struct phase *p, uint64_t *lost_check)
{
	static uint64_t next_selfcheck;
	const uint8_t *f;
	uint16_t len;
	bool idle = true;

	if (!before(next_selfcheck)) {
		selfcheck_tables();
		next_selfcheck = deadline(SELFCHECK_MS);
	}

	while ((f = e1000e_recv(&nic, &len))) {
		take(p, f, len);
		idle = false;
	}
	if (!idle || rdtsc_ordered() - *lost_check < tsc_hz / 1000000 * LOST_CHECK_US)
		return;
	*lost_check = rdtsc_ordered();
	while (e1000e_rx_lost(&nic)) {
		e1000e_rx_skip(&nic);
		p->skipped++;
		while ((f = e1000e_recv(&nic, &len)))
			take(p, f, len);
	}
}

/* The next change and its INVALIDATE, sent without waiting. */
static bool start_change(struct phase *p)
{
	unsigned int step = iq.step++;
	unsigned int q = viommu_inval_queue(&dev);

	if (!control && step % (DOMAIN_EVERY + 1) == DOMAIN_EVERY) {
		viommu_req_invalidate(&inval, DOMAIN, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0, 0);
		p->domains++;
	} else {
		/* mid, next, far, next, mid, next: "next" every other change; control: mid, far. */
		unsigned int c = step % (DOMAIN_EVERY + 1);
		struct scratch *s =
		    control ? &scratch[step % 2 + 1] : &scratch[c % 2 ? 0 : (c / 2) % 2 + 1];
		uint64_t iova = nic_iova + s->off;
		int ret = s->mapped ? s1pt_unmap(&table, iova, S1PT_4K)
				    : s1pt_map(&table, iova, (uintptr_t)s->page, S1PT_4K, S1PT_4K,
					       S1PT_W | S1PT_U);

		if (ret) {
			tap_check(false, "%s the %s page at IOVA %#llx in the table",
				  s->mapped ? "unmap" : "map", s->name, (unsigned long long)iova);
			return false;
		}
		s->mapped = !s->mapped;
		viommu_req_invalidate(&inval, DOMAIN, VIRTIO_IOMMU_INVAL_S_RANGE,
				      VIRTIO_IOMMU_INVAL_F_LEAF, iova, S1PT_4K);
		p->changes++;
	}
	inval.done = false;
	if (!viommu_submit_on(&dev, q, &inval, 1, false)) {
		tap_check(false, "an INVALIDATE fits in the %s",
			  q == VIOMMU_INVALQ ? "invalq" : "requestq");
		return false;
	}
	iq.busy = true;
	iq.since = rdtsc_ordered();
	return true;
}

/* Whether the INVALIDATE in flight came back (false while it is out; lost_request on time-out). */
static bool change_done(struct phase *p)
{
	viommu_poll_on(&dev, viommu_inval_queue(&dev));
	if (inval.done) {
		iq.busy = false;
		if (viommu_status(&inval) != VIRTIO_IOMMU_S_OK && !p->bad++)
			serial_printf("# an INVALIDATE answered %s\n",
				      viommu_status_name(viommu_status(&inval)));
		return true;
	}
	if (rdtsc_ordered() - iq.since > tsc_hz / 1000 * INVAL_MS) {
		p->lost_request = true;
		iq.busy = false;
		return true;
	}
	return false;
}

static void run_phase(struct phase *p, uint64_t ms, bool invalidate)
{
	uint64_t end, lost_check = 0;

	e1000e_rx_count(&nic);
	e1000e_rx_missed(&nic);
	e1000e_rx_no_buf(&nic);
	end = deadline(ms);
	while (before(end) || iq.busy) {
		drain(p, &lost_check);
		if (iq.busy) {
			if (change_done(p) && p->lost_request)
				break;
		} else if (invalidate && before(end) && !start_change(p)) {
			break;
		}
		cpu_relax();
	}
	p->gprc = e1000e_rx_count(&nic);
	p->mpc = e1000e_rx_missed(&nic);
	p->rnbc = e1000e_rx_no_buf(&nic);
}

static uint32_t expected(const struct phase *p)
{
	return p->any ? p->hi - p->lo + 1 : 0;
}

/* The numbers of the phase's span that arrived, in this phase or any other. */
static uint32_t received(const struct phase *p)
{
	uint32_t n = 0;

	for (uint32_t seq = p->lo; p->any && seq <= p->hi; seq++)
		n += !!(seen[seq / 64] & 1ULL << seq % 64);
	return n;
}

static void report(const struct phase *p)
{
	uint32_t exp = expected(p), got = received(p);

	serial_printf("flood-result %s expected=%u received=%u lost=%u fresh=%u dup=%u late=%u "
		      "beyond=%u stale=%u skipped=%u other=%u gprc=%u mpc=%u rnbc=%u changes=%u "
		      "domains=%u bad=%u\n",
		      p->name, exp, got, exp - got, p->fresh, p->dup, p->late, p->beyond, p->stale,
		      p->skipped, p->other, p->gprc, p->mpc, p->rnbc, p->changes, p->domains,
		      p->bad);
	if (!p->dup)
		return;
	serial_printf("# %s: dup frames by RX descriptor (index:count):", p->name);
	for (unsigned int i = 0; i < E1000E_RX_RING; i++)
		if (p->dup_at[i])
			serial_printf(" %u:%u", i, p->dup_at[i]);
	serial_putc('\n');
}

/* The vIOMMU with the extension, the NIC's TABLE_FORMAT, the table, ATTACH_TABLE. */
static bool attach(uint32_t ep)
{
	struct viommu_formats f;
	const struct virtio_iommu_probe_table_format *vtd;
	/* Brought up before the message: arguments are evaluated in no set order. */
	bool up = viommu_find(&dev) &&
		  viommu_init_nested(&dev, VIOMMU_NESTED_FEATURES, VIRTQ_MAX) == VIOMMU_INIT_OK;
	int st;

	if (!tap_check(up, "the virtio-iommu comes up with ATTACH_TABLE (INVALIDATEs on the %s)",
		       viommu_inval_queue(&dev) == VIOMMU_INVALQ ? "invalq" : "requestq"))
		return false;
	viommu_req_probe(&req, ep, dev.cfg.probe_size);
	st = viommu_do(&dev, &req);
	if (!tap_check(st == VIRTIO_IOMMU_S_OK, "PROBE of endpoint %#x: OK (got %s)", ep,
		       viommu_status_name(st)))
		return false;
	viommu_table_formats(&req, &f);
	vtd = viommu_find_format(&f, VIRTIO_IOMMU_FORMAT_VTD_S1);
	if (!tap_check(vtd, "the NIC's PROBE reports TABLE_FORMAT VT-d"))
		return false;
	if (vtd->address_bits >= 32 && vtd->address_bits <= 57)
		nic_iova = (1ULL << (vtd->address_bits - 1)) - (1ULL << 30);
	if (!tap_check(!s1pt_init(&table) && !s1pt_map(&table, nic_iova, (uintptr_t)&blk.nic,
						       sizeof(blk.nic), S1PT_4K, S1PT_W | S1PT_U),
		       "the table maps IOVA %#llx -> GPA %#llx (%llu KiB: the NIC's rings and "
		       "buffers); scratch pages at +%#llx (GPA %#llx, right after), +%#llx, +%#llx "
		       "come and go",
		       (unsigned long long)nic_iova, (unsigned long long)(uintptr_t)&blk.nic,
		       (unsigned long long)sizeof(blk.nic) / 1024,
		       (unsigned long long)scratch[0].off, (unsigned long long)(uintptr_t)blk.next,
		       (unsigned long long)MID_OFF, (unsigned long long)FAR_OFF))
		return false;
	viommu_req_attach_table(&req, DOMAIN, ep, s1pt_root(&table), VIRTIO_IOMMU_FORMAT_VTD_S1, 0);
	st = viommu_do(&dev, &req);
	return tap_check(st == VIRTIO_IOMMU_S_OK,
			 "ATTACH_TABLE of the NIC (endpoint %#x): OK (got %s)", ep,
			 viommu_status_name(st));
}

/* Until the first flood frame, or false after FLOOD_WAIT_MS; then SETTLE_MS more of it. */
static bool wait_flood(void)
{
	struct phase w = { .name = "wait" };
	uint64_t end = deadline(FLOOD_WAIT_MS), lost_check = 0;

	while (!w.any && before(end))
		drain(&w, &lost_check);
	if (!tap_check(w.any, "the flood arrives (first sequence number %u, %u other frames)", w.lo,
		       w.other))
		return false;
	end = deadline(SETTLE_MS);
	while (before(end))
		drain(&w, &lost_check);
	return true;
}

static void check_phase(const struct phase *p)
{
	tap_check(expected(p) >= MIN_FRAMES, "%s: the flood sent %u frames (at least %u)", p->name,
		  expected(p), MIN_FRAMES);
}

unsigned int nic_flood(uint64_t endpoint, uint64_t secs, bool control_run, bool viommu)
{
	static struct phase first = { .name = "idle-before" }, during = { .name = "invalidating" },
			    after = { .name = "idle-after" }, tail = { .name = "tail" };
	uint32_t ep = (uint32_t)endpoint;
	uint64_t ms = (secs ? secs : NIC_FLOOD_SECS) * 1000, end;
	bool link;

	control = control_run;
	tsc_hz = tsc_calibrate();
	if (!tap_check(tsc_hz, "the TSC is calibrated (%llu Hz)", (unsigned long long)tsc_hz))
		return tap_summary();
	if (!tap_check(e1000e_find(&nic), "an 82574 (%04x:%04x) on bus 0", E1000E_VENDOR,
		       E1000E_DEVICE))
		return tap_summary();
	e1000e_reset(&nic);
	if (!viommu)
		nic_iova = (uintptr_t)&blk.nic; /* no vIOMMU: nestvm maps guest RAM 1:1 */
	else if (!attach(ep)) {
		e1000e_reset(&nic);
		return tap_summary();
	}
	e1000e_init(&nic, &blk.nic, nic_iova);
	end = deadline(LINK_MS);
	while (!(link = e1000e_link_up(&nic)) && before(end))
		cpu_relax();
	tap_check(link, "the link is up (STATUS.LU)");
	print_mac("# flood: ready, MAC ", nic.mac);
	serial_printf(", %llu s per phase; send ethertype %#x frames now\n",
		      (unsigned long long)ms / 1000, FLOOD_ETHERTYPE);
	if (link && wait_flood()) {
		run_phase(&first, ms, false);
		run_phase(&during, ms, viommu);
		run_phase(&after, ms, false);
		/* Late frames of the last phase still count. */
		run_phase(&tail, SETTLE_MS, false);
		report(&first);
		report(&during);
		report(&after);
		check_phase(&first);
		check_phase(&during);
		check_phase(&after);
		tap_check(selfcheck_tables(),
			  "the payload's own page tables held (checked every %u ms)", SELFCHECK_MS);
		if (viommu) {
			tap_check(!during.lost_request, "every INVALIDATE came back within %u ms",
				  INVAL_MS);
			tap_check(during.changes >= 2 * DOMAIN_EVERY &&
				      (control || during.domains >= 2) && !during.bad,
				  "invalidating: %u page INVALIDATEs and %u DOMAIN-wide ones, %u "
				  "not OK",
				  during.changes, during.domains, during.bad);
		}
	}
	serial_puts("# flood: done\n");
	/* No DMA in flight before the NIC leaves its table. */
	e1000e_reset(&nic);
	if (!viommu)
		return tap_summary();
	viommu_req_detach(&req, DOMAIN, ep);
	tap_check(viommu_do(&dev, &req) == VIRTIO_IOMMU_S_OK, "DETACH of the NIC: OK");
	return tap_summary();
}
