// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-mmio register file (devices/virtio_mmio.c) as the vCPUs reach it through the
 * bus: any sequence of reads and writes of 1, 2, 4 or 8 bytes at any offset of the window
 * and a little past it, driving the status, feature and queue registers, with a backend of
 * three queues and 24 bytes of config space, and 64 KiB of guest RAM behind the queues (see
 * vdrv.h). The backend's queue_notify pops every chain, writes into it and pushes it.
 *
 * Input: u8 setup (bit 1: behind a translating dma_space), then records, each a u8 op:
 * bits 0-1 size 1, 2, 4, 8; bit 2 write; bit 3: a raw RAM write instead (vdrv.h vd_ram_op);
 * then u16 offset (mod 0x240), and for writes a u64 value.
 * Checked after each access: the status register's order, the interrupt line's level, the
 * backend called only as virtio_mmio.h promises, what a ready queue holds.
 */
#include <errno.h>
#include <stdint.h>

#include "vdrv.h"

#define CONFIG_SIZE 24
#define NQ 3
#define QMAX 32

static struct virtio_mmio_dev dev;
static uint8_t config[CONFIG_SIZE];
static struct virtq_req req;

static void cfg_read(struct virtio_mmio_dev *d, unsigned int offset, void *data, unsigned int len)
{
	FUZZ_ASSERT(d == &dev);
	FUZZ_ASSERT(len == 1 || len == 2 || len == 4 || len == 8);
	FUZZ_ASSERT(offset + len <= CONFIG_SIZE);
	memcpy(data, config + offset, len);
}

static void cfg_write(struct virtio_mmio_dev *d, unsigned int offset, const void *data,
		      unsigned int len)
{
	FUZZ_ASSERT(d == &dev);
	FUZZ_ASSERT(len == 1 || len == 2 || len == 4 || len == 8);
	FUZZ_ASSERT(offset + len <= CONFIG_SIZE);
	memcpy(config + offset, data, len);
	if (offset == 0)
		virtio_mmio_config_changed(d);
}

static void notify(struct virtio_mmio_dev *d, unsigned int queue)
{
	struct virtq *vq = virtio_mmio_queue(d, queue);
	static const uint8_t fill[64] = { 0x5a };

	/* Only a queue that exists, is ready and not broken, on a running device. */
	FUZZ_ASSERT(queue < NQ && vq);
	FUZZ_ASSERT(vq->ready && !vq->broken);
	FUZZ_ASSERT(d->status & VIRTIO_CONFIG_S_DRIVER_OK);
	for (unsigned int n = 0; virtq_pop(vq, &req) > 0; n++) {
		uint32_t w = req.writable_len < sizeof(fill) ? req.writable_len : sizeof(fill);

		FUZZ_ASSERT(n < vq->size);
		if (virtq_req_write(&req, 0, fill, w))
			w = 0;
		if (virtq_push(vq, req.head, w))
			break;
	}
	virtio_mmio_used(d, queue);
}

static unsigned int resets;

static void reset(struct virtio_mmio_dev *d)
{
	FUZZ_ASSERT(d == &dev);
	for (unsigned int q = 0; q < NQ; q++)
		FUZZ_ASSERT(!d->queues[q].ready);
	resets++;
}

static const struct virtio_backend_ops ops = {
	.device_id = 42,
	.num_queues = NQ,
	.queue_max = QMAX,
	.config_size = CONFIG_SIZE,
	.config_read = cfg_read,
	.config_write = cfg_write,
	.queue_notify = notify,
	.reset = reset,
};

static void check(struct vd *v)
{
	uint64_t f = dev.driver_features;

	vd_check_status(v);
	FUZZ_ASSERT(vd_rd(v, VIRTIO_MMIO_MAGIC_VALUE) == 0x74726976);
	FUZZ_ASSERT(vd_rd(v, VIRTIO_MMIO_VERSION) == 2);
	FUZZ_ASSERT(vd_rd(v, VIRTIO_MMIO_DEVICE_ID) == 42);
	/* FEATURES_OK only for what was offered, with VERSION_1 (and ACCESS_PLATFORM). */
	if (dev.status & VIRTIO_CONFIG_S_FEATURES_OK) {
		FUZZ_ASSERT(!(f & ~dev.device_features));
		FUZZ_ASSERT(f & 1ULL << VIRTIO_F_VERSION_1);
		if (v->dma.translate)
			FUZZ_ASSERT(f & 1ULL << VIRTIO_F_ACCESS_PLATFORM);
	}
	for (unsigned int q = 0; q < NQ; q++) {
		const struct virtq *vq = &dev.queues[q];

		if (!vq->ready)
			continue;
		FUZZ_ASSERT(vq->size && vq->size <= QMAX && !(vq->size & (vq->size - 1)));
		FUZZ_ASSERT(dev.status & VIRTIO_CONFIG_S_FEATURES_OK);
	}
	for (unsigned int q = NQ; q < VIRTIO_MMIO_MAX_QUEUES; q++)
		FUZZ_ASSERT(!dev.queues[q].ready);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int sizes[] = { 1, 2, 4, 8 };
	struct fuzz_in in = { data, size };
	uint8_t setup = fuzz_u8(&in);
	static struct vd v;

	vd_init(&v, setup & 2);
	memset(config, 0, sizeof(config));
	resets = 0;
	virtio_mmio_init(&dev, &ops, NULL, 1ULL << 3 | 1ULL << 40, &v.dma, &v.irq, 5);
	FUZZ_ASSERT(resets == 1);
	vd_attach(&v, &dev, NQ);

	while (in.left) {
		uint8_t op = fuzz_u8(&in);
		unsigned int len = sizes[op & 3];
		uint64_t off, val = 0, before[4];
		const struct virtq *vq = dev.queue_sel < NQ ? &dev.queues[dev.queue_sel] : NULL;
		bool was_ready = vq && vq->ready;

		if (op & 8) {
			vd_ram_op(&v, &in);
			continue;
		}
		off = fuzz_u16(&in) % 0x240;
		if (vq) {
			before[0] = vq->desc;
			before[1] = vq->avail;
			before[2] = vq->used;
			before[3] = vq->size;
		}
		if (op & 4) {
			val = fuzz_u64(&in);
			bus_write(&v.mmio, VD_BASE + off, &val, len);
		} else {
			bus_read(&v.mmio, VD_BASE + off, &val, len);
			/* Registers take aligned 32-bit accesses only; the rest reads as 0. */
			if (off < VIRTIO_MMIO_CONFIG && (len != 4 || off % 4))
				FUZZ_ASSERT(val == 0);
			if (off >= VIRTIO_MMIO_CONFIG + CONFIG_SIZE &&
			    off + len <= VIRTIO_MMIO_SIZE)
				FUZZ_ASSERT(val == 0);
		}
		/* A ready queue's setup does not move under it. */
		if (was_ready && vq->ready)
			FUZZ_ASSERT(before[0] == vq->desc && before[1] == vq->avail &&
				    before[2] == vq->used && before[3] == vq->size);
		check(&v);
	}
	virtio_mmio_destroy(&dev);
	vd_free(&v);
	return 0;
}
