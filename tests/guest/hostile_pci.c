// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile accesses to a passed-through PCI function (the vtd test host's e1000e): the config
 * space nestvm virtualises (BARs, ROM, interrupt pin, capability list, MSI-X control, the
 * extended space), the MSI-X table it emulates, and memory decoding turned off under a mapped
 * BAR. Each case checks the answer vfio/vfio_pci.c and vfio/msix.c define; at the end the
 * function must still answer as before.
 */
#include "arch.h"
#include "hostile.h"
#include "pci_cfg.h"
#include "serial.h"
#include "tap.h"

#define ECAM_BASE 0xe0000000ULL /* nestvm's PCI_ECAM_GPA (vmm/layout.h) */
#define PCI_ROM 0x30
#define PCI_INT_LINE 0x3c
#define PCI_INT_PIN 0x3d
#define CAP_ID_PM 0x01
#define CAP_ID_MSI 0x05
#define CAP_ID_EXP 0x10
#define CAP_ID_MSIX 0x11
#define MSIX_ENABLE 0x8000
#define MSIX_MASKALL 0x4000
#define MSIX_SIZE 0x07ff
#define ENTRY 16 /* bytes per MSI-X table entry */
#define E1000E_STATUS 0x8 /* a register that never reads all ones on a live NIC */
#define ALL_ONES 0xffffffffU

static uint64_t ecam(struct pci_fn f, unsigned int off)
{
	return ECAM_BASE | (uint64_t)f.dev << 15 | (uint64_t)f.fn << 12 | off;
}

/* A memory BAR's address as config space reads it; 0 for an I/O or empty BAR. */
static uint64_t bar_addr(struct pci_fn f, unsigned int bar)
{
	uint32_t lo = pci_read32(f, PCI_BAR0 + 4 * bar);

	if (lo & 1)
		return 0;
	if ((lo & 6) == 4)
		return (uint64_t)pci_read32(f, PCI_BAR0 + 4 * bar + 4) << 32 | (lo & ~0xfU);
	return lo & ~0xfU;
}

static void hostile_bars(struct pci_fn f)
{
	uint32_t bar[6], v, size;
	bool restored = true;

	for (unsigned int i = 0; i < 6; i++)
		bar[i] = pci_read32(f, PCI_BAR0 + 4 * i);
	pci_write32(f, PCI_BAR0, ALL_ONES);
	v = pci_read32(f, PCI_BAR0);
	pci_write32(f, PCI_BAR0, bar[0]);
	size = ~(v & ~0xfU) + 1;
	tap_check(v != ALL_ONES && (v & 0xf) == (bar[0] & 0xf) && size && !(size & (size - 1)) &&
		      pci_read32(f, PCI_BAR0) == bar[0],
		  "pci: BAR0 sizing reads a size mask (%#x), then its address again", v);

	pci_write32(f, PCI_BAR0, bar[0] ^ 0x10000000U);
	tap_check(pci_read32(f, PCI_BAR0) == bar[0], "pci: a BAR0 move is ignored (%#x stays)",
		  bar[0]);
	pci_write8(f, PCI_BAR0 + 3, 0x12);
	pci_write16(f, PCI_BAR0 + 2, 0x3456);
	tap_check(pci_read32(f, PCI_BAR0) == bar[0],
		  "pci: byte and word writes into BAR0 are dropped (%#x)", pci_read32(f, PCI_BAR0));

	for (unsigned int i = 0; i < 6; i++)
		pci_write32(f, PCI_BAR0 + 4 * i, ALL_ONES);
	for (unsigned int i = 0; i < 6; i++)
		pci_write32(f, PCI_BAR0 + 4 * i, bar[i]);
	for (unsigned int i = 0; i < 6; i++)
		restored &= pci_read32(f, PCI_BAR0 + 4 * i) == bar[i];
	tap_check(restored, "pci: all six BARs sized at once, then restored");

	pci_write32(f, PCI_ROM, 0xfffff801U);
	tap_check(pci_read32(f, PCI_ROM) == 0, "pci: the ROM BAR reads 0 after a sizing write");
}

static void hostile_header(struct pci_fn f)
{
	uint32_t id = pci_read32(f, PCI_VENDOR_ID);
	uint8_t hdr = pci_read8(f, PCI_HEADER_TYPE), cap = pci_read8(f, PCI_CAPABILITY_LIST);
	uint16_t cmd;

	tap_check(mmio_read32(ecam(f, PCI_VENDOR_ID)) == id,
		  "pci: ECAM and 0xCF8 read the same ids (%#x)", id);
	pci_write32(f, PCI_VENDOR_ID, 0x12345678U);
	pci_write8(f, PCI_HEADER_TYPE, 0x81);
	tap_check(pci_read32(f, PCI_VENDOR_ID) == id && pci_read8(f, PCI_HEADER_TYPE) == hdr,
		  "pci: writes to the ids and header type are dropped");
	pci_write8(f, PCI_INT_PIN, 1);
	tap_check(pci_read8(f, PCI_INT_PIN) == 0,
		  "pci: interrupt pin reads 0 (no INTx) after a write of 1");
	pci_write8(f, PCI_INT_LINE, 0x5a);
	tap_check(pci_read8(f, PCI_INT_LINE) == 0x5a, "pci: interrupt line keeps what is written");
	pci_write8(f, PCI_CAPABILITY_LIST, 0x40);
	pci_write8(f, PCI_CAPABILITY_LIST, 0);
	tap_check(pci_read8(f, PCI_CAPABILITY_LIST) == cap,
		  "pci: the capability pointer ignores writes (%#x)", cap);

	mmio_write32(ecam(f, 0x100), ALL_ONES);
	tap_check(mmio_read32(ecam(f, 0x100)) == 0 && mmio_read32(ecam(f, 0xffc)) == 0,
		  "pci: extended config space (0x100, 0xffc) reads 0, writes dropped");
	tap_check(mmio_read32(ecam((struct pci_fn){ 31, 7 }, 0)) == ALL_ONES,
		  "pci: ECAM of an absent function (31.7) reads all ones");
	cmd = pci_read16(f, PCI_COMMAND);
	mmio_write32(ecam(f, 2), 0); /* device id and command, across a dword */
	tap_check(pci_read32(f, PCI_VENDOR_ID) == id && pci_read16(f, PCI_COMMAND) == cmd &&
		      mmio_read32(ecam(f, 2)) == ALL_ONES,
		  "pci: ECAM accesses across a dword: writes dropped, reads all ones");
}

/* Walks the capability list, checking it; the MSI-X capability's offset, or 0. */
static unsigned int hostile_caps(struct pci_fn f)
{
	unsigned int off = pci_read8(f, PCI_CAPABILITY_LIST), hops = 0, msix = 0, next;
	bool only_kept = true, next_kept = true;

	while (off && hops < 64) {
		uint8_t id = pci_read8(f, off);

		only_kept &= id == CAP_ID_PM || id == CAP_ID_EXP || id == CAP_ID_MSIX;
		if (id == CAP_ID_MSIX)
			msix = off;
		next = pci_read8(f, off + 1);
		pci_write8(f, off + 1, 0xfc);
		pci_write8(f, off + 1, (uint8_t)off);
		next_kept &= pci_read8(f, off + 1) == next;
		off = next;
		hops++;
	}
	tap_check((pci_read16(f, PCI_STATUS) & PCI_STATUS_CAP_LIST) && !off && hops <= 3 &&
		      only_kept && msix,
		  "pci: the capability list ends after %u (PM, PCIe, MSI-X only; MSI unlinked)",
		  hops);
	tap_check(next_kept, "pci: writes to each next pointer are dropped");
	return msix;
}

static bool table_masked(uint64_t tbl, unsigned int nvec)
{
	for (unsigned int v = 0; v < nvec; v++)
		if (mmio_read32(tbl + v * ENTRY + 12) != 1)
			return false;
	return true;
}

static void hostile_msix(struct pci_fn f, unsigned int cap)
{
	uint16_t ctrl = pci_read16(f, cap + 2);
	unsigned int nvec = (ctrl & MSIX_SIZE) + 1;
	uint32_t loc = pci_read32(f, cap + 4), pba_loc = pci_read32(f, cap + 8);
	uint64_t tbl = bar_addr(f, loc & 7) + (loc & ~7U);
	uint64_t pba = bar_addr(f, pba_loc & 7) + (pba_loc & ~7U);
	bool same = true;

	if (!tap_check(tbl >= 0xc0000000ULL && tbl < 1ULL << 32 && nvec <= 64,
		       "pci: MSI-X: %u vectors, the table at %#llx", nvec, (unsigned long long)tbl))
		return;
	pci_write16(f, cap + 2, 0xffff);
	tap_check(pci_read16(f, cap + 2) == (MSIX_ENABLE | MSIX_MASKALL | (nvec - 1)),
		  "pci: MSI-X control: only enable and mask-all take, the table size stays (%#x)",
		  pci_read16(f, cap + 2));
	pci_write16(f, cap + 2, 0);
	pci_write8(f, cap + 3, 0x80);
	tap_check(pci_read16(f, cap + 2) == (MSIX_ENABLE | (nvec - 1)),
		  "pci: MSI-X control: a byte write of enable (%#x)", pci_read16(f, cap + 2));
	pci_write16(f, cap + 2, 0);

	tap_check(table_masked(tbl, nvec), "pci: MSI-X: every vector starts masked");
	mmio_write32(tbl, 0xfee00000U);
	mmio_write32(tbl + 4, 0);
	mmio_write32(tbl + 8, 0x4041);
	mmio_write64(tbl + ENTRY, 0xfee01000ULL);
	tap_check(mmio_read32(tbl) == 0xfee00000U && mmio_read32(tbl + 8) == 0x4041 &&
		      mmio_read64(tbl + ENTRY) == 0xfee01000ULL,
		  "pci: MSI-X: dword and qword writes read back");
	mmio_write32(tbl + 2, ALL_ONES);
	mmio_write16(tbl + 8, 0x1111);
	mmio_write8(tbl + 12, 0);
	tap_check(mmio_read32(tbl) == 0xfee00000U && mmio_read32(tbl + 8) == 0x4041 &&
		      mmio_read32(tbl + 12) == 1,
		  "pci: MSI-X: misaligned, word and byte writes are dropped");
	tap_check(mmio_read32(tbl + 2) == ALL_ONES && mmio_read16(tbl + 8) == 0xffff &&
		      mmio_read8(tbl + 12) == 0xff,
		  "pci: MSI-X: misaligned, word and byte reads give all ones");
	mmio_write32(tbl + 12, 0xfffffffeU);
	tap_check(mmio_read32(tbl + 12) == 0, "pci: MSI-X: reserved vector-control bits drop");
	mmio_write32(tbl + 12, ALL_ONES);
	tap_check(mmio_read32(tbl + 12) == 1, "pci: MSI-X: the mask bit sets again");

	/* Live vectors with nonsense routes: KVM and VFIO get them, nothing fires. */
	for (unsigned int v = 0; v < nvec; v++) {
		mmio_write64(tbl + v * ENTRY, 0xdeadbeef000ULL + v);
		mmio_write32(tbl + v * ENTRY + 8, ALL_ONES);
		mmio_write32(tbl + v * ENTRY + 12, 0);
	}
	for (int i = 0; i < 20; i++) {
		pci_write16(f, cap + 2, MSIX_ENABLE);
		pci_write16(f, cap + 2, i & 1 ? MSIX_ENABLE | MSIX_MASKALL : 0);
	}
	pci_write16(f, cap + 2, MSIX_ENABLE);
	for (unsigned int v = 0; v < nvec; v++)
		same &= mmio_read64(tbl + v * ENTRY) == 0xdeadbeef000ULL + v &&
			mmio_read32(tbl + v * ENTRY + 8) == ALL_ONES &&
			mmio_read32(tbl + v * ENTRY + 12) == 0;
	tap_check(same && pci_read16(f, cap + 2) == (MSIX_ENABLE | (nvec - 1)),
		  "pci: MSI-X: %u live vectors with nonsense routes, enable toggled 40 times",
		  nvec);
	mmio_write32(tbl + nvec * ENTRY + 12, 0);
	mmio_write64(tbl + nvec * ENTRY, 0);
	tap_check(mmio_read64(tbl + (nvec - 1) * ENTRY) == 0xdeadbeef000ULL + nvec - 1,
		  "pci: MSI-X: writes past the last entry leave the table alone");
	tap_check((mmio_read32(pba) & ((1ULL << nvec) - 1)) == 0,
		  "pci: MSI-X: the device's PBA reads nothing pending (%#x)", mmio_read32(pba));
	for (unsigned int v = 0; v < nvec; v++)
		mmio_write32(tbl + v * ENTRY + 12, 1);
	pci_write16(f, cap + 2, 0);
	tap_check(table_masked(tbl, nvec) && pci_read16(f, cap + 2) == nvec - 1,
		  "pci: MSI-X: masked and off again");
}

/* Memory decoding off under a BAR nestvm maps straight into the guest. */
static void hostile_decode(struct pci_fn f)
{
	uint16_t cmd = pci_read16(f, PCI_COMMAND);
	uint64_t bar0 = bar_addr(f, 0);
	uint32_t off, on;

	pci_write16(f, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	on = mmio_read32(bar0 + E1000E_STATUS);
	pci_write16(f, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	off = mmio_read32(bar0 + E1000E_STATUS);
	mmio_write32(bar0 + E1000E_STATUS, 0);
	pci_write16(f, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	tap_check(off == ALL_ONES, "pci: memory decoding off: BAR0 reads all ones (%#x)", off);
	tap_check(on != ALL_ONES && mmio_read32(bar0 + E1000E_STATUS) == on,
		  "pci: memory decoding on again: BAR0 answers as before (%#x)", on);
	pci_write16(f, PCI_COMMAND, cmd);
}

void hostile_pci(void)
{
	struct pci_fn f;
	unsigned int cap;

	if (!pci_find(0x8086, 0x10d3, &f)) {
		serial_puts("# no passed-through e1000e on bus 0: the PCI cases are skipped\n");
		return;
	}
	serial_printf("# hostile guest: PCI cases on 00:%02x.%u\n", f.dev, f.fn);
	hostile_header(f);
	hostile_bars(f);
	cap = hostile_caps(f);
	if (cap)
		hostile_msix(f, cap);
	hostile_decode(f);
	tap_check(pci_read32(f, PCI_VENDOR_ID) == 0x10d38086U &&
		      mmio_read32(bar_addr(f, 0) + E1000E_STATUS) != ALL_ONES,
		  "pci: after all that the function still answers");
}
