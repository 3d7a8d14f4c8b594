// SPDX-License-Identifier: GPL-2.0
/* Config space of emulated type-0 functions, and what every function's bus needs. */
#include <errno.h>
#include <string.h>

#include "vmm/bytes.h"
#include "devices/pci.h"

#define PCI_CAP_FIRST 0x40 /* capabilities live after the 64-byte header */
#define PCI_CAP_MAX_WALK 48 /* (256 - 64) / 4: more steps than that is a loop */
#define PCI_HEADER_TYPE_NORMAL 0

static bool in_range(unsigned int offset, unsigned int size)
{
	return (size == 1 || size == 2 || size == 4) && offset < PCI_CFG_EXT_SIZE &&
	       size <= PCI_CFG_EXT_SIZE - offset;
}

uint32_t pci_cfg_read(const struct pci_cfg *cfg, unsigned int offset, unsigned int size)
{
	uint32_t v = 0;

	if (!in_range(offset, size))
		return 0xffffffff;
	for (unsigned int i = 0; i < size; i++)
		v |= (uint32_t)cfg->data[offset + i] << (8 * i);
	return v;
}

void pci_cfg_write(struct pci_cfg *cfg, unsigned int offset, unsigned int size, uint32_t value)
{
	if (!in_range(offset, size))
		return;
	for (unsigned int i = 0; i < size; i++) {
		uint8_t m = cfg->wmask[offset + i], b = value >> (8 * i);

		cfg->data[offset + i] = (cfg->data[offset + i] & ~m) | (b & m);
	}
}

/* Sets bytes without the write mask: for the device model, not the guest. */
void pci_cfg_init(struct pci_cfg *cfg, uint16_t vendor, uint16_t device, uint32_t class_code)
{
	memset(cfg, 0, sizeof(*cfg));
	put_le(cfg->data + PCI_CFG_VENDOR_ID, vendor, 2);
	put_le(cfg->data + PCI_CFG_DEVICE_ID, device, 2);
	put_le(cfg->data + PCI_CFG_CLASS_PROG, class_code, 3);
	cfg->data[PCI_CFG_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	put_le(cfg->wmask + PCI_CFG_COMMAND,
	       PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE,
	       2);
	cfg->wmask[PCI_CFG_INTERRUPT_LINE] = 0xff;
	cfg->next_cap = PCI_CAP_FIRST;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int pci_cfg_set_bar(struct pci_cfg *cfg, unsigned int index, uint64_t size, uint32_t flags)
{
	bool io = flags & PCI_BAR_IO, is64 = flags & PCI_BAR_MEM64;
	unsigned int off = PCI_CFG_BAR0 + 4 * index;
	uint64_t mask = ~(size - 1);

	if (index >= PCI_BAR_COUNT || !is_pow2(size) || (is64 && index + 1 >= PCI_BAR_COUNT))
		return -EINVAL;
	if (io ? (flags & ~PCI_BAR_IO) || size < 4 || size > 0x10000
	       : (flags & ~(PCI_BAR_MEM64 | PCI_BAR_PREFETCH)) || size < 16 ||
		     (!is64 && size > 0x80000000ULL))
		return -EINVAL;
	/* Flag bits and address bits below the size are read-only; the address starts at 0. */
	put_le(cfg->data + off, flags, 4);
	put_le(cfg->wmask + off, mask & ~(uint64_t)(io ? 0x3 : 0xf), 4);
	if (is64) {
		put_le(cfg->data + off + 4, 0, 4);
		put_le(cfg->wmask + off + 4, mask >> 32, 4);
	}
	return 0;
}

uint64_t pci_cfg_bar_address(const struct pci_cfg *cfg, unsigned int index)
{
	uint32_t lo, flags;
	uint64_t addr;

	if (index >= PCI_BAR_COUNT)
		return 0;
	lo = pci_cfg_read(cfg, PCI_CFG_BAR0 + 4 * index, 4);
	flags = lo & (lo & PCI_BAR_IO ? 0x3 : 0xf);
	addr = lo & ~flags;
	if (!(flags & PCI_BAR_IO) && (flags & PCI_BAR_MEM64) && index + 1 < PCI_BAR_COUNT)
		addr |= (uint64_t)pci_cfg_read(cfg, PCI_CFG_BAR0 + 4 * (index + 1), 4) << 32;
	return addr;
}

unsigned int pci_cfg_add_cap(struct pci_cfg *cfg, uint8_t id, unsigned int len)
{
	unsigned int at = cfg->next_cap, next = (at + len + 3) & ~3U;
	unsigned int link = PCI_CFG_CAP_PTR;

	if (!at || len < 2 || next > PCI_CFG_SIZE)
		return 0;
	/* Find the last link: the header's pointer, or the last capability's next field. */
	while (cfg->data[link])
		link = cfg->data[link] + 1;
	cfg->data[link] = at;
	cfg->data[at] = id;
	cfg->data[at + 1] = 0;
	cfg->data[PCI_CFG_STATUS] |= PCI_STATUS_CAP_LIST;
	cfg->next_cap = next < PCI_CFG_SIZE ? next : 0;
	return at;
}

unsigned int pci_find_cap(struct pci_function *fn, uint8_t id, unsigned int from)
{
	unsigned int pos;

	if (from)
		pos = fn->ops->cfg_read(fn, from + 1, 1);
	else if (fn->ops->cfg_read(fn, PCI_CFG_STATUS, 2) & PCI_STATUS_CAP_LIST)
		pos = fn->ops->cfg_read(fn, PCI_CFG_CAP_PTR, 1);
	else
		return 0;
	for (int steps = 0; steps < PCI_CAP_MAX_WALK; steps++) {
		/* The low two bits of a pointer are reserved; below 0x40 is the header. */
		pos &= 0xfc;
		if (pos < PCI_CAP_FIRST)
			return 0;
		if (fn->ops->cfg_read(fn, pos, 1) == id)
			return pos;
		pos = fn->ops->cfg_read(fn, pos + 1, 1);
	}
	return 0;
}
