// SPDX-License-Identifier: GPL-2.0
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "arch.h"
#include "virtio_pci.h"

#define CAP_WALK_LIMIT 48 /* capabilities before we call the list a loop */

/* Reads one vendor capability at @pos and records the structure it points at. */
static void take_cap(struct vpci *dev, uint8_t pos)
{
	uint8_t type = pci_read8(dev->fn, pos + VIRTIO_PCI_CAP_CFG_TYPE);
	uint8_t bar = pci_read8(dev->fn, pos + VIRTIO_PCI_CAP_BAR);
	uint32_t off = pci_read32(dev->fn, pos + VIRTIO_PCI_CAP_OFFSET);
	uint64_t *where, base;

	switch (type) {
	case VIRTIO_PCI_CAP_COMMON_CFG:
		where = &dev->common;
		break;
	case VIRTIO_PCI_CAP_NOTIFY_CFG:
		where = &dev->notify;
		break;
	case VIRTIO_PCI_CAP_DEVICE_CFG:
		where = &dev->device;
		break;
	default:
		return;
	}
	/* §4.1.4: the first capability of each type is the one the device prefers. */
	if (*where || bar > 5)
		return;
	base = pci_bar_addr(dev->fn, bar);
	if (!base)
		return;
	*where = base + off;
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
		dev->notify_mult = pci_read32(dev->fn, pos + sizeof(struct virtio_pci_cap));
}

bool vpci_find(uint32_t virtio_id, struct vpci *dev)
{
	struct vpci d = { 0 };
	uint8_t pos;
	int n = 0;

	if (!pci_find(VPCI_VENDOR, (uint16_t)(VPCI_MODERN_BASE + virtio_id), &d.fn) ||
	    !(pci_read16(d.fn, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return false;
	for (pos = pci_read8(d.fn, PCI_CAPABILITY_LIST) & 0xfc; pos && n < CAP_WALK_LIMIT; n++) {
		if (pci_read8(d.fn, pos) == PCI_CAP_ID_VNDR)
			take_cap(&d, pos);
		pos = pci_read8(d.fn, pos + 1) & 0xfc;
	}
	if (!d.common || !d.notify || !d.device)
		return false;
	/* The device DMAs the rings (bus master) and we reach its BARs (memory space). */
	pci_write16(d.fn, PCI_COMMAND,
		    pci_read16(d.fn, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	*dev = d;
	return true;
}

uint32_t vpci_config32(const struct vpci *dev, unsigned int offset)
{
	return mmio_read32(dev->device + offset);
}

/* Two halves, retried until config_generation is stable (§4.1.4.3.1). */
uint64_t vpci_config64(const struct vpci *dev, unsigned int offset)
{
	uint8_t gen;
	uint32_t lo, hi;

	do {
		gen = mmio_read8(dev->common + VIRTIO_PCI_COMMON_CFGGENERATION);
		lo = vpci_config32(dev, offset);
		hi = vpci_config32(dev, offset + 4);
	} while (gen != mmio_read8(dev->common + VIRTIO_PCI_COMMON_CFGGENERATION));
	return (uint64_t)hi << 32 | lo;
}

uint32_t vpci_status(const struct vpci *dev)
{
	return mmio_read8(dev->common + VIRTIO_PCI_COMMON_STATUS);
}

static void set_status(const struct vpci *dev, uint8_t s)
{
	mmio_write8(dev->common + VIRTIO_PCI_COMMON_STATUS, s);
}

void vpci_reset(const struct vpci *dev)
{
	set_status(dev, 0);
	/* §4.1.4.3.2: the reset is done when device_status reads 0. */
	while (vpci_status(dev))
		cpu_relax();
}

uint64_t vpci_device_features(const struct vpci *dev)
{
	uint64_t f;

	mmio_write32(dev->common + VIRTIO_PCI_COMMON_DFSELECT, 0);
	f = mmio_read32(dev->common + VIRTIO_PCI_COMMON_DF);
	mmio_write32(dev->common + VIRTIO_PCI_COMMON_DFSELECT, 1);
	return f | (uint64_t)mmio_read32(dev->common + VIRTIO_PCI_COMMON_DF) << 32;
}

bool vpci_negotiate(const struct vpci *dev, uint64_t features)
{
	uint8_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE;

	vpci_reset(dev);
	set_status(dev, s);
	s |= VIRTIO_CONFIG_S_DRIVER;
	set_status(dev, s);
	mmio_write32(dev->common + VIRTIO_PCI_COMMON_GFSELECT, 0);
	mmio_write32(dev->common + VIRTIO_PCI_COMMON_GF, (uint32_t)features);
	mmio_write32(dev->common + VIRTIO_PCI_COMMON_GFSELECT, 1);
	mmio_write32(dev->common + VIRTIO_PCI_COMMON_GF, (uint32_t)(features >> 32));
	s |= VIRTIO_CONFIG_S_FEATURES_OK;
	set_status(dev, s);
	return vpci_status(dev) & VIRTIO_CONFIG_S_FEATURES_OK;
}

uint32_t vpci_queue_max(const struct vpci *dev, unsigned int index)
{
	mmio_write16(dev->common + VIRTIO_PCI_COMMON_Q_SELECT, (uint16_t)index);
	return mmio_read16(dev->common + VIRTIO_PCI_COMMON_Q_SIZE);
}

static void write64(uint64_t lo_addr, uint64_t val)
{
	mmio_write32(lo_addr, (uint32_t)val);
	mmio_write32(lo_addr + 4, (uint32_t)(val >> 32));
}

bool vpci_queue_setup(struct vpci *dev, unsigned int index, const struct virtq *vq)
{
	uint64_t c = dev->common;

	if (index >= VPCI_QUEUES)
		return false;
	mmio_write16(c + VIRTIO_PCI_COMMON_Q_SELECT, (uint16_t)index);
	mmio_write16(c + VIRTIO_PCI_COMMON_Q_SIZE, vq->size);
	/* Identity-mapped payload: a pointer is its guest-physical address. */
	write64(c + VIRTIO_PCI_COMMON_Q_DESCLO, (uintptr_t)vq->desc);
	write64(c + VIRTIO_PCI_COMMON_Q_AVAILLO, (uintptr_t)vq->avail);
	write64(c + VIRTIO_PCI_COMMON_Q_USEDLO, (uintptr_t)vq->used);
	dev->queue_notify[index] =
	    dev->notify + (uint64_t)mmio_read16(c + VIRTIO_PCI_COMMON_Q_NOFF) * dev->notify_mult;
	mmio_write16(c + VIRTIO_PCI_COMMON_Q_ENABLE, 1);
	return mmio_read16(c + VIRTIO_PCI_COMMON_Q_ENABLE) == 1;
}

void vpci_driver_ok(const struct vpci *dev)
{
	set_status(dev, (uint8_t)(vpci_status(dev) | VIRTIO_CONFIG_S_DRIVER_OK));
}

uint32_t vpci_probe_read(const struct vpci *dev)
{
	return mmio_read16(dev->common + VIRTIO_PCI_COMMON_NUMQ);
}

void vpci_notify(const struct vpci *dev, unsigned int index)
{
	if (index < VPCI_QUEUES)
		mmio_write16(dev->queue_notify[index], (uint16_t)index);
}

void vpci_kick(const struct vpci *dev, unsigned int index, struct virtq *vq)
{
	virtq_publish(vq);
	/* The avail index must be visible before the device looks (x86: stores stay in order). */
	barrier();
	vpci_notify(dev, index);
}
