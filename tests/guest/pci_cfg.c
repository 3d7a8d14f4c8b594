// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>

#include "arch.h"
#include "pci_cfg.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc
#define CONFIG_ENABLE 0x80000000U

#define BAR_IO 0x1
#define BAR_TYPE_MASK 0x6
#define BAR_TYPE_64 0x4
#define BAR_ADDR_MASK 0xfffffff0U

/* Where a moved BAR may go: the 32-bit hole up to the I/O APIC, as on a PC. */
#define HOLE_START 0xc0000000ULL
#define HOLE_END 0xfec00000ULL

static void select(struct pci_fn f, unsigned int off)
{
	outl(CONFIG_ADDRESS,
	     CONFIG_ENABLE | (uint32_t)f.dev << 11 | (uint32_t)f.fn << 8 | (off & 0xfc));
}

uint32_t pci_read32(struct pci_fn f, unsigned int off)
{
	select(f, off);
	return inl(CONFIG_DATA);
}

uint16_t pci_read16(struct pci_fn f, unsigned int off)
{
	select(f, off);
	return inw(CONFIG_DATA + (off & 2));
}

uint8_t pci_read8(struct pci_fn f, unsigned int off)
{
	select(f, off);
	return inb(CONFIG_DATA + (off & 3));
}

void pci_write32(struct pci_fn f, unsigned int off, uint32_t val)
{
	select(f, off);
	outl(CONFIG_DATA, val);
}

void pci_write16(struct pci_fn f, unsigned int off, uint16_t val)
{
	select(f, off);
	outw(CONFIG_DATA + (off & 2), val);
}

void pci_write8(struct pci_fn f, unsigned int off, uint8_t val)
{
	select(f, off);
	outb(CONFIG_DATA + (off & 3), val);
}

static bool present(struct pci_fn f)
{
	return pci_read16(f, PCI_VENDOR_ID) != 0xffff;
}

/* Calls @fn on every function of bus 0 until it returns true; whether one did. */
static bool for_each_fn(bool (*fn)(struct pci_fn f, void *arg), void *arg)
{
	for (uint8_t d = 0; d < 32; d++) {
		struct pci_fn f = { d, 0 };
		uint8_t nfn;

		if (!present(f))
			continue;
		nfn = pci_read8(f, PCI_HEADER_TYPE) & PCI_HEADER_MULTI ? 8 : 1;
		for (f.fn = 0; f.fn < nfn; f.fn++)
			if (present(f) && fn(f, arg))
				return true;
	}
	return false;
}

struct match {
	uint32_t id;
	struct pci_fn found;
};

static bool is_match(struct pci_fn f, void *arg)
{
	struct match *m = arg;

	if (pci_read32(f, PCI_VENDOR_ID) != m->id)
		return false;
	m->found = f;
	return true;
}

bool pci_find(uint16_t vendor, uint16_t device, struct pci_fn *f)
{
	struct match m = { .id = (uint32_t)device << 16 | vendor };

	if (!for_each_fn(is_match, &m))
		return false;
	*f = m.found;
	return true;
}

/* Address and size of BAR @bar, sized with decoding off; false for an I/O BAR. */
static bool bar_probe(struct pci_fn f, unsigned int bar, uint64_t *addr, uint64_t *size)
{
	unsigned int off = PCI_BAR0 + 4 * bar;
	uint16_t cmd = pci_read16(f, PCI_COMMAND);
	uint32_t lo = pci_read32(f, off), hi = 0, slo, shi = 0xffffffffU;
	bool is64 = (lo & BAR_TYPE_MASK) == BAR_TYPE_64;

	if (lo & BAR_IO)
		return false;
	if (is64)
		hi = pci_read32(f, off + 4);
	pci_write16(f, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	pci_write32(f, off, 0xffffffffU);
	slo = pci_read32(f, off);
	pci_write32(f, off, lo);
	if (is64) {
		pci_write32(f, off + 4, 0xffffffffU);
		shi = pci_read32(f, off + 4);
		pci_write32(f, off + 4, hi);
	}
	pci_write16(f, PCI_COMMAND, cmd);
	*addr = (uint64_t)hi << 32 | (lo & BAR_ADDR_MASK);
	*size = ~((uint64_t)shi << 32 | (slo & BAR_ADDR_MASK)) + 1;
	if (!is64)
		*size &= 0xffffffffULL;
	return true;
}

/* Moves the end of the hole past every memory BAR already placed in it. */
static bool past_bars(struct pci_fn f, void *arg)
{
	uint64_t *top = arg;

	for (unsigned int bar = 0; bar < 6; bar++) {
		uint64_t addr, size;
		uint32_t lo = pci_read32(f, PCI_BAR0 + 4 * bar);

		if (bar_probe(f, bar, &addr, &size) && addr >= HOLE_START && addr < HOLE_END &&
		    size && addr + size > *top)
			*top = addr + size;
		if (!(lo & BAR_IO) && (lo & BAR_TYPE_MASK) == BAR_TYPE_64)
			bar++;
	}
	return false;
}

uint64_t pci_bar_addr(struct pci_fn f, unsigned int bar)
{
	unsigned int off = PCI_BAR0 + 4 * bar;
	uint64_t addr, size, top = HOLE_START;
	uint16_t cmd;

	if (bar > 5 || !bar_probe(f, bar, &addr, &size) || !size)
		return 0;
	if (addr && addr + size <= 1ULL << 32)
		return addr;
	for_each_fn(past_bars, &top);
	addr = (top + size - 1) & ~(size - 1);
	if (addr + size > HOLE_END)
		return 0;
	cmd = pci_read16(f, PCI_COMMAND);
	pci_write16(f, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	pci_write32(f, off, (uint32_t)addr);
	if ((pci_read32(f, off) & BAR_TYPE_MASK) == BAR_TYPE_64)
		pci_write32(f, off + 4, 0);
	pci_write16(f, PCI_COMMAND, cmd);
	return addr;
}
