// SPDX-License-Identifier: GPL-2.0
#include <check.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "virtio_driver.h"

static void fake_set_level(struct irq_sink *sink, unsigned int gsi, bool level)
{
	struct fake_irq *irq = (struct fake_irq *)sink;

	irq->gsi = gsi;
	irq->level = level;
	irq->changes++;
}

uint8_t *ram;
struct gmem mem;
struct dma_space dma = { .mem = &mem };
struct fake_irq irq = { .sink.set_level = fake_set_level };
struct virtio_mmio_dev *vd_dev;
uint16_t avail_idx[VD_QUEUES];

void vd_setup(void)
{
	ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	mem = (struct gmem){ .regions = { { 0, RAM_SIZE, ram } }, .count = 1 };
	irq.changes = 0;
	irq.level = false;
	memset(avail_idx, 0, sizeof(avail_idx));
}

void vd_release(void)
{
	free(ram);
	ram = NULL;
}

uint32_t rd(uint64_t off)
{
	uint32_t val;

	virtio_mmio_bus_ops()->read(vd_dev, off, &val, 4);
	return le32toh(val);
}

void wr(uint64_t off, uint32_t val)
{
	val = htole32(val);
	virtio_mmio_bus_ops()->write(vd_dev, off, &val, 4);
}

void put16(uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	memcpy(ram + gpa, &v, 2);
}

uint16_t get16(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, ram + gpa, 2);
	return le16toh(v);
}

uint32_t get32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, ram + gpa, 4);
	return le32toh(v);
}

void set_desc(unsigned int q, unsigned int i, uint64_t addr, uint32_t len, uint16_t flags,
	      uint16_t next)
{
	struct vring_desc d = { htole64(addr), htole32(len), htole16(flags), htole16(next) };

	memcpy(ram + QBASE(q) + 16 * i, &d, sizeof(d));
}

void offer(unsigned int q, uint16_t head)
{
	uint64_t avail = QBASE(q) + 0x1000;

	put16(avail + 4 + 2 * (avail_idx[q] % QSIZE), head);
	avail_idx[q]++;
	put16(avail + 2, avail_idx[q]);
}

void kick(unsigned int q)
{
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

uint16_t used_idx(unsigned int q)
{
	return get16(QBASE(q) + 0x2000 + 2);
}

uint32_t used_id(unsigned int q, unsigned int i)
{
	return get32(QBASE(q) + 0x2000 + 4 + 8 * (i % QSIZE));
}

uint32_t used_len(unsigned int q, unsigned int i)
{
	return get32(QBASE(q) + 0x2000 + 4 + 8 * (i % QSIZE) + 4);
}

bool needs_reset(void)
{
	return rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

void write_features(uint64_t f)
{
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, f >> 32);
}

uint64_t device_features(void)
{
	uint64_t f;

	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return f | (uint64_t)rd(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

void setup_queue(unsigned int q)
{
	uint64_t desc = QBASE(q), avail = desc + 0x1000, used = desc + 0x2000;

	wr(VIRTIO_MMIO_QUEUE_SEL, q);
	wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 1);
}

void driver_init(bool ok)
{
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, s);
	write_features(device_features());
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), s | VIRTIO_CONFIG_S_FEATURES_OK);
	setup_queue(0);
	setup_queue(1);
	if (ok)
		wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}
