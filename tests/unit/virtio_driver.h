/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake virtio driver for the unit tests of virtio-mmio devices: guest RAM in a malloc'd
 * buffer, queues 0, 1 and 2 at fixed places in it (driver_init sets up 0 and 1; a device with
 * a third queue has the test call setup_queue(2) before DRIVER_OK), an interrupt line that records
 * its level, and the register accesses a driver makes. One device at a time: @vd_dev.
 */
#ifndef NESTVM_TEST_VIRTIO_DRIVER_H
#define NESTVM_TEST_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio_mmio.h"

#define RAM_SIZE (1 << 20)
#define QSIZE 16
#define QBASE(q) (0x1000 + 0x4000 * (q)) /* desc; avail at +0x1000, used at +0x2000 */
#define VD_QUEUES 3 /* rings the driver has room for, below BUF */
#define BUF 0x10000
#define OUTSIDE 0x40000000ULL /* not RAM */
#define F(bit) (1ULL << (bit))

struct fake_irq {
	struct irq_sink sink;
	unsigned int gsi, changes;
	bool level;
};

extern uint8_t *ram;
extern struct gmem mem;
extern struct dma_space dma;
extern struct fake_irq irq;
extern struct virtio_mmio_dev *vd_dev;
extern uint16_t avail_idx[VD_QUEUES]; /* next avail index of each queue */

/* Fresh RAM, interrupt and ring indexes for a test; vd_release() frees the RAM. */
void vd_setup(void);
void vd_release(void);

uint32_t rd(uint64_t off);
void wr(uint64_t off, uint32_t val);
void put16(uint64_t gpa, uint16_t v);
uint16_t get16(uint64_t gpa);
uint32_t get32(uint64_t gpa);
void set_desc(unsigned int q, unsigned int i, uint64_t addr, uint32_t len, uint16_t flags,
	      uint16_t next);
void offer(unsigned int q, uint16_t head);
void kick(unsigned int q);
uint16_t used_idx(unsigned int q);
uint32_t used_id(unsigned int q, unsigned int i);
uint32_t used_len(unsigned int q, unsigned int i);
bool needs_reset(void);
void write_features(uint64_t f);
uint64_t device_features(void);
void setup_queue(unsigned int q);
/* §3.1.1 initialisation up to FEATURES_OK and queues 0 and 1; DRIVER_OK when @ok. */
void driver_init(bool ok);

#endif
