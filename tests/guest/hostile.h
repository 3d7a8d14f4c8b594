/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hostile-guest mode (-p hostile): malformed inputs for every device nestvm gives the
 * payload (transport registers, rings, virtio-rng and virtio-blk requests, virtio-iommu
 * requests, a passed-through PCI function), each checked for the answer the device code
 * defines, one ok/not ok line each.
 * The helpers below drive a queue descriptor by descriptor, so a case can write any ring.
 */
#ifndef GUEST_HOSTILE_H
#define GUEST_HOSTILE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

#include "virtio_mmio.h"
#include "virtq.h"

/* The PCI/MMIO hole below 4 GiB: never RAM. */
#define HOSTILE_HOLE 0xc0000000ULL

/* One queue (queue 0) of a virtio-mmio device, rings in @mem. */
struct hq {
	struct vmmio m;
	struct virtq_mem *mem;
	uint16_t size;
	uint16_t avail_idx, used_idx;
};

/* Finds the first device with @device_id; @mem holds its rings. */
bool hq_find(struct hq *q, uint32_t device_id, struct virtq_mem *mem);
/* Reset, the usual features, queue 0 with @size entries, DRIVER_OK. */
bool hq_up(struct hq *q, uint16_t size);
void hq_desc(struct hq *q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next);
/* Puts @head in the avail ring, publishes it and writes QueueNotify. */
void hq_kick(struct hq *q, uint16_t head);
/* Waits for the next used element: true with its length, false on a timeout. */
bool hq_used(struct hq *q, uint32_t *len);
/* Whether Status gets DEVICE_NEEDS_RESET within a while. */
bool hq_needs_reset(const struct hq *q);

/* The cases, per device; each prints its ok/not ok lines. */
void hostile_transport(struct hq *rng);
void hostile_rings(struct hq *rng);
void hostile_rng(struct hq *rng, uint64_t ram_end);
void hostile_blk(struct hq *blk, uint64_t ram_end);
void hostile_viommu(uint64_t ram_end, unsigned int rng_ep);
/* A passed-through e1000e's config space and MSI-X table; nothing when there is none. */
void hostile_pci(void);

/* The whole mode: a summary line at the end. */
void hostile_test(uint64_t ram_end);

#endif
