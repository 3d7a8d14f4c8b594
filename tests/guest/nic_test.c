// SPDX-License-Identifier: GPL-2.0
/*
 * The e1000e test: an ARP request for the test host's address goes out, its reply comes back.
 * With a table, the NIC reaches its rings and buffers only at IOVAs the payload's VT-d
 * first-stage table maps (nothing at their GPAs); after the RX buffers are unmapped and
 * invalidated, the next frame must not land (the host's IOMMU logs a DMAR fault, which the
 * scenario reads from the host's dmesg, not from here).
 */
#include "arch.h"
#include "e1000e.h"
#include "lib.h"
#include "nic_test.h"
#include "s1pt.h"
#include "serial.h"
#include "tap.h"
#include "timing.h"
#include "viommu.h"
#include "viommu_props.h"

#define DOMAIN 1
/*
 * Where the NIC sees its block: the last GiB below the middle of the input range the NIC's
 * PROBE reports (39 bits behind QEMU's emulated VT-d), far from any GPA.
 */
static uint64_t nic_iova = 0x3fc0000000ULL;
#define ARP_LEN 42
#define FILL 0xa5
#define LINK_MS 5000
#define TX_MS 2000
#define ARP_TRIES 8 /* ARP requests before giving up on a reply */
#define RX_MS 3000
#define FAULT_RX_MS 3000

static struct viommu_dev dev;
static struct viommu_req req;
static struct s1pt table;
static struct e1000e nic;
static struct e1000e_mem nic_mem;
static uint64_t tsc_hz;

static uint64_t deadline(uint64_t ms)
{
	return rdtsc_ordered() + tsc_hz / 1000 * ms;
}

static bool before(uint64_t t)
{
	return rdtsc_ordered() < t;
}

static void put_ip(uint8_t *p, uint32_t ip)
{
	p[0] = (uint8_t)(ip >> 24);
	p[1] = (uint8_t)(ip >> 16);
	p[2] = (uint8_t)(ip >> 8);
	p[3] = (uint8_t)ip;
}

static uint32_t get_ip(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A broadcast ARP request (RFC 826): who has @peer? tell @ip. */
static void arp_request(uint8_t *f, const uint8_t *mac, uint32_t ip, uint32_t peer)
{
	static const uint8_t hdr[] = { 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01 };

	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	memcpy(f + 12, hdr, sizeof(hdr));
	memcpy(f + 22, mac, 6);
	put_ip(f + 28, ip);
	memset(f + 32, 0, 6);
	put_ip(f + 38, peer);
}

static bool is_arp_reply_from(const uint8_t *f, uint16_t len, uint32_t peer)
{
	return len >= ARP_LEN && f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 && f[21] == 2 &&
	       get_ip(f + 28) == peer;
}

static void print_mac(const char *what, const uint8_t *m)
{
	serial_printf("%s%02x:%02x:%02x:%02x:%02x:%02x", what, m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Sends one ARP request; whether its TX descriptor came back with DD. */
static bool send_arp(uint32_t ip, uint32_t peer, const char *what)
{
	uint8_t frame[ARP_LEN];
	unsigned int i;
	uint64_t end = deadline(TX_MS);

	arp_request(frame, nic.mac, ip, peer);
	i = e1000e_send(&nic, frame, sizeof(frame));
	while (!e1000e_tx_done(&nic, i) && before(end))
		cpu_relax();
	return tap_check(e1000e_tx_done(&nic, i),
			 "%s: ARP request sent, TX descriptor %u has DD (GPTC %u)", what, i,
			 e1000e_tx_count(&nic));
}

/* Frames until an ARP reply from @peer or the time runs out; how many came. */
static unsigned int receive(uint32_t peer, bool *got_reply)
{
	uint64_t end = deadline(RX_MS);
	unsigned int n = 0;

	*got_reply = false;
	while (!*got_reply && before(end)) {
		uint16_t len;
		const uint8_t *f = e1000e_recv(&nic, &len);

		if (!f) {
			cpu_relax();
			continue;
		}
		n++;
		serial_printf("# RX %u bytes, ethertype %02x%02x", len, f[12], f[13]);
		print_mac(", from ", f + 6);
		serial_putc('\n');
		*got_reply = is_arp_reply_from(f, len, peer);
	}
	return n;
}

/* The vIOMMU with the extension, the NIC's TABLE_FORMAT, the table, ATTACH_TABLE. */
static bool attach(uint32_t ep)
{
	const struct e1000e_mem *m = &nic_mem;
	uint64_t gpa = (uintptr_t)m, size = sizeof(*m);
	struct viommu_formats f;
	const struct virtio_iommu_probe_table_format *vtd;
	int st;

	if (!tap_check(viommu_find(&dev) && viommu_init_nested(&dev, VIOMMU_NESTED_FEATURES,
							       VIRTQ_MAX) == VIOMMU_INIT_OK,
		       "the virtio-iommu comes up with ATTACH_TABLE"))
		return false;
	viommu_req_probe(&req, ep, dev.cfg.probe_size);
	st = viommu_do(&dev, &req);
	if (!tap_check(st == VIRTIO_IOMMU_S_OK, "PROBE of endpoint %#x: OK (got %s)", ep,
		       viommu_status_name(st)))
		return false;
	viommu_table_formats(&req, &f);
	vtd = viommu_find_format(&f, VIRTIO_IOMMU_FORMAT_VTD_S1);
	if (!tap_check(vtd, "the NIC's PROBE reports TABLE_FORMAT VT-d (address_bits %u, caps %#x)",
		       vtd ? vtd->address_bits : 0, vtd ? vtd->format_caps : 0))
		return false;
	if (vtd->address_bits >= 32 && vtd->address_bits <= 57)
		nic_iova = (1ULL << (vtd->address_bits - 1)) - (1ULL << 30);
	/* Only the NIC's block, at an IOVA that has nothing to do with its GPA. */
	if (!tap_check(!s1pt_init(&table) &&
			   !s1pt_map(&table, nic_iova, gpa, size, S1PT_4K, S1PT_W | S1PT_U),
		       "a VT-d first-stage table maps IOVA %#llx -> GPA %#llx (%llu KiB: rings and "
		       "buffers) and nothing else",
		       (unsigned long long)nic_iova, (unsigned long long)gpa,
		       (unsigned long long)size / 1024))
		return false;
	viommu_req_attach_table(&req, DOMAIN, ep, s1pt_root(&table), VIRTIO_IOMMU_FORMAT_VTD_S1, 0);
	st = viommu_do(&dev, &req);
	return tap_check(st == VIRTIO_IOMMU_S_OK,
			 "ATTACH_TABLE of the NIC (endpoint %#x): OK (got %s)", ep,
			 viommu_status_name(st));
}

/* RX buffers out of the table, INVALIDATE, another ARP request: nothing may land. */
static void provoke_fault(uint32_t ip, uint32_t peer)
{
	uint64_t off = (uint64_t)((uint8_t *)nic.mem->rx_buf - (uint8_t *)nic.mem);
	uint64_t iova = nic_iova + off, size = sizeof(nic.mem->rx_buf), end;
	unsigned int q = viommu_inval_queue(&dev);
	bool landed = false, dd;
	int st;

	tap_check(!s1pt_unmap(&table, iova, size),
		  "the RX buffers (IOVA %#llx, %llu KiB) unmapped in the table",
		  (unsigned long long)iova, (unsigned long long)size / 1024);
	viommu_req_invalidate(&req, DOMAIN, VIRTIO_IOMMU_INVAL_S_RANGE, VIRTIO_IOMMU_INVAL_F_LEAF,
			      iova, size);
	st = viommu_do_on(&dev, q, &req);
	tap_check(st == VIRTIO_IOMMU_S_OK, "INVALIDATE RANGE LEAF of them (%s): OK (got %s)",
		  q == VIOMMU_INVALQ ? "invalq" : "requestq", viommu_status_name(st));
	memset(nic.mem->rx_buf, FILL, size);
	e1000e_rx_count(&nic);
	send_arp(ip, peer, "after the unmap");
	end = deadline(FAULT_RX_MS);
	while (before(end))
		cpu_relax();
	for (uint64_t i = 0; i < size && !landed; i++)
		landed = ((volatile uint8_t *)nic.mem->rx_buf)[i] != FILL;
	dd = e1000e_rx_pending(&nic);
	tap_check(!landed,
		  "after the unmap: no byte landed in the RX buffers (the NIC counted %u "
		  "frames; next RX descriptor DD=%u)",
		  e1000e_rx_count(&nic), dd);
	serial_printf("# the host's IOMMU should now have logged a DMAR fault for the NIC "
		      "(write to IOVA %#llx-%#llx)\n",
		      (unsigned long long)iova, (unsigned long long)(iova + size - 1));
}

unsigned int nic_test(bool with_table, uint64_t endpoint, uint32_t ip, uint32_t peer)
{
	uint32_t ep = (uint32_t)endpoint;
	bool reply = false, link;
	uint64_t end;
	unsigned int n;
	bool found;

	tsc_hz = tsc_calibrate();
	if (!tap_check(tsc_hz, "the TSC is calibrated (%llu Hz)", (unsigned long long)tsc_hz))
		return tap_summary();
	/* Arguments are evaluated in no set order: find the NIC before printing what it is. */
	found = e1000e_find(&nic);
	if (!tap_check(found, "an 82574 (%04x:%04x) on bus 0: %02x.%u, BAR0 %#llx", E1000E_VENDOR,
		       E1000E_DEVICE, nic.fn.dev, nic.fn.fn, (unsigned long long)nic.bar0))
		return tap_summary();
	/* Reset first: the NIC must not DMA with whatever a previous owner left in it. */
	e1000e_reset(&nic);
	if (with_table && !attach(ep)) {
		e1000e_reset(&nic);
		return tap_summary();
	}
	e1000e_init(&nic, &nic_mem, with_table ? nic_iova : (uintptr_t)&nic_mem);
	serial_printf("# DMA base %#llx (%s)", (unsigned long long)nic.dma_base,
		      with_table ? "IOVA in our table" : "guest-physical");
	print_mac(", MAC ", nic.mac);
	serial_putc('\n');
	end = deadline(LINK_MS);
	while (!(link = e1000e_link_up(&nic)) && before(end))
		cpu_relax();
	tap_check(link, "the link is up (STATUS.LU)");
	/*
	 * The test host's own NIC may still be bringing its link up: ask again (a new TX
	 * descriptor each time) until it answers.
	 */
	n = 0;
	reply = false;
	for (unsigned int tries = 0; tries < ARP_TRIES && !reply; tries++) {
		if (!send_arp(ip, peer, tries ? "again" : "first"))
			break;
		n += receive(peer, &reply);
	}
	tap_check(n, "the RX ring received %u frame(s)", n);
	tap_check(reply, "one is the ARP reply from %u.%u.%u.%u", peer >> 24, (peer >> 16) & 0xff,
		  (peer >> 8) & 0xff, peer & 0xff);
	if (with_table)
		provoke_fault(ip, peer);
	/* No DMA in flight before the NIC leaves its table. */
	e1000e_reset(&nic);
	if (with_table) {
		viommu_req_detach(&req, DOMAIN, ep);
		tap_check(viommu_do(&dev, &req) == VIRTIO_IOMMU_S_OK, "DETACH of the NIC: OK");
	}
	return tap_summary();
}
