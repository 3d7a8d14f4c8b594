/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueues (virtio 1.2 §2.7), device side. The descriptor table, the avail ring and
 * the used ring live in guest memory and are reached only through a struct dma_space: behind
 * the virtio-iommu their addresses, and the buffers' addresses, are DMA addresses.
 *
 * Everything read from the rings is guest-controlled. A malformed chain (a loop, a chain longer
 * than the queue, a next index out of range, nested indirect tables, a length that wraps,
 * readable after writable descriptors, a ring outside memory, an avail index that runs ahead
 * by more than the queue size) is never skipped: virtq_pop() marks the queue broken and every
 * later pop fails, so a driver that corrupts its ring loses the queue and nothing else. The
 * transport then sets DEVICE_NEEDS_RESET. Buffers themselves are not checked at pop time (an
 * IOMMU mapping may change); copies to and from them fail with -EFAULT and the device reports
 * that in its own way.
 *
 * Not thread-safe: the owner (the transport) serialises all calls on one queue.
 */
#ifndef NESTVM_VIRTQUEUE_H
#define NESTVM_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/dma.h"

/* The largest queue the spec allows for split rings. */
#define VIRTQ_MAX_SIZE 32768
/*
 * Segments one request may have, and entries one indirect table may have; longer chains and
 * tables break the queue.
 */
#define VIRTQ_MAX_SEGS 1024

struct virtq {
	const struct dma_space *dma;
	uint16_t size; /* a power of 2, valid while @ready */
	bool ready;
	bool broken; /* a malformed ring was seen: nothing more is popped until reset */
	bool event_idx; /* VIRTIO_RING_F_EVENT_IDX negotiated */
	uint64_t desc, avail, used; /* DMA addresses of the three areas */
	uint16_t last_avail_idx; /* next avail entry to pop */
	uint16_t used_idx; /* our copy of used->idx */
	uint16_t notified_used_idx; /* used_idx when virtq_should_notify() last ran */
};

struct virtq_seg {
	uint64_t addr;
	uint32_t len;
	bool writable;
};

/* One popped chain: the readable segments first, then the writable ones. */
struct virtq_req {
	const struct dma_space *dma;
	uint16_t head;
	unsigned int nr_segs, nr_readable;
	uint32_t readable_len, writable_len; /* totals; a chain never exceeds 4 GiB (§2.7.5.2) */
	struct virtq_seg segs[VIRTQ_MAX_SEGS];
};

/* Forgets all queue state (device reset): not ready, not broken, addresses 0. */
void virtq_reset(struct virtq *vq, const struct dma_space *dma);

/*
 * Starts using the queue with the size and addresses already stored in @vq. Returns 0, or
 * -EINVAL when the size is not a power of 2 in [1, VIRTQ_MAX_SIZE] or an area is misaligned
 * (desc 16, avail 2, used 4 bytes); the queue then stays not ready.
 */
int virtq_enable(struct virtq *vq);

/*
 * Takes the next available chain into @req. Returns 1 with @req filled, 0 when the ring is
 * empty (or the queue not ready), or a negative errno when the ring is malformed: the queue
 * is then broken and every later call returns -EIO.
 */
int virtq_pop(struct virtq *vq, struct virtq_req *req);

/*
 * Whether the driver has made chains available that virtq_pop() has not taken, without
 * taking any or asking for a kick: for a device thread that polls the ring a while before it
 * sleeps. False when the queue is not ready or broken, or the ring cannot be read.
 */
bool virtq_avail_pending(const struct virtq *vq);

/* Puts @head in the used ring with @written bytes written. 0, or -EIO (the queue broke). */
int virtq_push(struct virtq *vq, uint16_t head, uint32_t written);

/*
 * Whether the driver wants an interrupt for what was pushed since the last call: honours
 * used_event with VIRTIO_RING_F_EVENT_IDX, VRING_AVAIL_F_NO_INTERRUPT without it. False when
 * nothing was pushed since.
 */
bool virtq_should_notify(struct virtq *vq);

/*
 * Copy @len bytes at byte @off of the request's readable data out to @buf, or from @buf into
 * its writable data at @off. Returns 0, -EINVAL when [off, off + len) is past that data, or
 * -EFAULT when a buffer is outside memory (or unmapped).
 */
int virtq_req_read(const struct virtq_req *req, uint64_t off, void *buf, uint64_t len);
int virtq_req_write(const struct virtq_req *req, uint64_t off, const void *buf, uint64_t len);

#endif
