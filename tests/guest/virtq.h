/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueue, driver side (virtio 1.2 §2.7), polled. A request is a chain of
 * device-readable then device-writable buffers, either as descriptors in the ring ("direct")
 * or as one descriptor pointing at a per-slot indirect table (VIRTIO_F_INDIRECT_DESC). The
 * payload is identity-mapped, so buffer pointers are guest-physical addresses; behind an
 * IOMMU a caller would hand DMA addresses instead.
 */
#ifndef GUEST_VIRTQ_H
#define GUEST_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

#define VIRTQ_MAX 256 /* ring entries */
#define VIRTQ_MAX_INDIRECT 4 /* entries of one indirect table */

/* Ring memory for one queue of up to VIRTQ_MAX entries, aligned as §2.7 asks (and more). */
struct virtq_mem {
	struct vring_desc desc[VIRTQ_MAX] __attribute__((aligned(4096)));
	struct {
		uint16_t flags, idx, ring[VIRTQ_MAX], used_event;
	} avail __attribute__((aligned(4096)));
	struct {
		uint16_t flags, idx;
		struct vring_used_elem ring[VIRTQ_MAX];
		uint16_t avail_event;
	} used __attribute__((aligned(4096)));
	struct vring_desc indirect[VIRTQ_MAX][VIRTQ_MAX_INDIRECT] __attribute__((aligned(16)));
};

struct virtq_buf {
	const void *addr;
	uint32_t len;
};

struct virtq {
	uint16_t size;
	struct vring_desc *desc;
	volatile struct vring_avail *avail;
	volatile struct vring_used *used;
	struct virtq_mem *mem;
	uint16_t free_head, num_free;
	uint16_t avail_shadow; /* avail->idx once published */
	uint16_t last_used;
	uint16_t in_flight;
};

/* Lays out the rings of a @size-entry queue (a power of 2 <= VIRTQ_MAX) in @mem. */
void virtq_init(struct virtq *vq, struct virtq_mem *mem, uint16_t size);

/*
 * Queues one request: @out readable buffers then @in writable ones, direct or through the
 * head's indirect table. Not visible to the device until virtq_publish(). Returns the head
 * descriptor (the request's ID in the used ring), or -1 when the ring is full.
 */
int virtq_add(struct virtq *vq, const struct virtq_buf *out, unsigned int nr_out,
	      const struct virtq_buf *in, unsigned int nr_in, bool indirect);
/* Makes every queued request visible: one avail->idx store. */
void virtq_publish(struct virtq *vq);
/*
 * Takes the next used element, if the device has returned one: true with its head and used
 * length, and the descriptors are free again.
 */
bool virtq_get_used(struct virtq *vq, uint16_t *head, uint32_t *len);
/* Ring entries free for direct requests. */
static inline unsigned int virtq_free(const struct virtq *vq)
{
	return vq->num_free;
}

#endif
