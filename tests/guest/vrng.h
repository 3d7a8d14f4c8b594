/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A polled virtio-rng driver (virtio 1.2 §5.4) on virtio-mmio: one queue, one device-writable
 * buffer per request. Buffer addresses are DMA addresses, so a test behind the vIOMMU can hand
 * it an IOVA of its own table and see whether the device's write got through.
 */
#ifndef GUEST_VRNG_H
#define GUEST_VRNG_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_mmio.h"
#include "virtq.h"

#define VIRTIO_ID_RNG 4

struct vrng {
	struct vmmio m;
	struct virtq q;
};

/* The first virtio-rng in a virtio-mmio window; its window is its endpoint ID. */
bool vrng_find(struct vrng *r);
/*
 * Negotiates VERSION_1 and ACCESS_PLATFORM (which a device behind the vIOMMU insists on),
 * sets up the queue with its rings at their guest-physical addresses, sets DRIVER_OK.
 */
bool vrng_init(struct vrng *r);
/* Where the rings are: what a table must map at the same address for the device to run. */
void vrng_ring_span(const struct vrng *r, uint64_t *start, uint64_t *size);

enum vrng_result {
	VRNG_OK, /* the device returned the buffer; *used says how many bytes it wrote */
	VRNG_LOST, /* it never returned it (a broken queue) */
};

/* One request of @len bytes at DMA address @addr, notified and polled for. */
enum vrng_result vrng_read(struct vrng *r, uint64_t addr, uint32_t len, uint32_t *used);

#endif
