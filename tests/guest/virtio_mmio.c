// SPDX-License-Identifier: GPL-2.0
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "arch.h"
#include "virtio_mmio.h"

#define MAGIC 0x74726976 /* "virt" */
#define VERSION 2

uint32_t vmmio_read(const struct vmmio *dev, unsigned int reg)
{
	return mmio_read32(dev->base + reg);
}

void vmmio_write(const struct vmmio *dev, unsigned int reg, uint32_t val)
{
	mmio_write32(dev->base + reg, val);
}

bool vmmio_find(uint32_t device_id, unsigned int from, struct vmmio *dev)
{
	for (unsigned int i = from; i < VMMIO_WINDOWS; i++) {
		struct vmmio d = { .base = VMMIO_BASE + i * VMMIO_STRIDE, .window = i };
		uint32_t id;

		if (vmmio_read(&d, VIRTIO_MMIO_MAGIC_VALUE) != MAGIC ||
		    vmmio_read(&d, VIRTIO_MMIO_VERSION) != VERSION)
			continue;
		id = vmmio_read(&d, VIRTIO_MMIO_DEVICE_ID);
		/* Device ID 0 is an empty slot (§4.2.2). */
		if (!id || (device_id && id != device_id))
			continue;
		d.device_id = id;
		*dev = d;
		return true;
	}
	return false;
}

uint32_t vmmio_config32(const struct vmmio *dev, unsigned int offset)
{
	return vmmio_read(dev, VIRTIO_MMIO_CONFIG + offset);
}

/* Two halves, retried until ConfigGeneration is stable (§4.2.2.2). */
uint64_t vmmio_config64(const struct vmmio *dev, unsigned int offset)
{
	uint32_t gen, lo, hi;

	do {
		gen = vmmio_read(dev, VIRTIO_MMIO_CONFIG_GENERATION);
		lo = vmmio_config32(dev, offset);
		hi = vmmio_config32(dev, offset + 4);
	} while (gen != vmmio_read(dev, VIRTIO_MMIO_CONFIG_GENERATION));
	return (uint64_t)hi << 32 | lo;
}

uint32_t vmmio_status(const struct vmmio *dev)
{
	return vmmio_read(dev, VIRTIO_MMIO_STATUS);
}

void vmmio_reset(const struct vmmio *dev)
{
	vmmio_write(dev, VIRTIO_MMIO_STATUS, 0);
	/* §4.2.3.1: the reset is done when Status reads 0. */
	while (vmmio_status(dev))
		cpu_relax();
}

uint64_t vmmio_device_features(const struct vmmio *dev)
{
	uint64_t f;

	vmmio_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = vmmio_read(dev, VIRTIO_MMIO_DEVICE_FEATURES);
	vmmio_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return f | (uint64_t)vmmio_read(dev, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

bool vmmio_negotiate(const struct vmmio *dev, uint64_t features)
{
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE;

	vmmio_reset(dev);
	vmmio_write(dev, VIRTIO_MMIO_STATUS, s);
	s |= VIRTIO_CONFIG_S_DRIVER;
	vmmio_write(dev, VIRTIO_MMIO_STATUS, s);
	vmmio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vmmio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	vmmio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vmmio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	s |= VIRTIO_CONFIG_S_FEATURES_OK;
	vmmio_write(dev, VIRTIO_MMIO_STATUS, s);
	return vmmio_status(dev) & VIRTIO_CONFIG_S_FEATURES_OK;
}

uint32_t vmmio_queue_max(const struct vmmio *dev, unsigned int index)
{
	vmmio_write(dev, VIRTIO_MMIO_QUEUE_SEL, index);
	return vmmio_read(dev, VIRTIO_MMIO_QUEUE_NUM_MAX);
}

static void write64(const struct vmmio *dev, unsigned int lo_reg, unsigned int hi_reg, uint64_t val)
{
	vmmio_write(dev, lo_reg, (uint32_t)val);
	vmmio_write(dev, hi_reg, (uint32_t)(val >> 32));
}

bool vmmio_queue_setup(const struct vmmio *dev, unsigned int index, const struct virtq *vq)
{
	vmmio_write(dev, VIRTIO_MMIO_QUEUE_SEL, index);
	vmmio_write(dev, VIRTIO_MMIO_QUEUE_NUM, vq->size);
	/* Identity-mapped payload: a pointer is its guest-physical address. */
	write64(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uintptr_t)vq->desc);
	write64(dev, VIRTIO_MMIO_QUEUE_AVAIL_LOW, VIRTIO_MMIO_QUEUE_AVAIL_HIGH,
		(uintptr_t)vq->avail);
	write64(dev, VIRTIO_MMIO_QUEUE_USED_LOW, VIRTIO_MMIO_QUEUE_USED_HIGH, (uintptr_t)vq->used);
	vmmio_write(dev, VIRTIO_MMIO_QUEUE_READY, 1);
	return vmmio_read(dev, VIRTIO_MMIO_QUEUE_READY) == 1;
}

void vmmio_driver_ok(const struct vmmio *dev)
{
	vmmio_write(dev, VIRTIO_MMIO_STATUS, vmmio_status(dev) | VIRTIO_CONFIG_S_DRIVER_OK);
}

void vmmio_kick(const struct vmmio *dev, unsigned int index, struct virtq *vq)
{
	virtq_publish(vq);
	/* The avail index must be visible before the device looks (x86: stores stay in order). */
	barrier();
	vmmio_write(dev, VIRTIO_MMIO_QUEUE_NOTIFY, index);
}
