/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Driver side of virtio-mmio version 2 (virtio 1.2 §4.2) for the guest payloads: finding a
 * device among nestvm's windows, the status and feature handshake, queue setup and notify.
 * No interrupts: the payloads poll their used rings.
 */
#ifndef GUEST_VIRTIO_MMIO_H
#define GUEST_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "virtq.h"

/* nestvm's windows (vmm/layout.h): 16 of 0x200 bytes from 0xd0000000. */
#define VMMIO_BASE 0xd0000000ULL
#define VMMIO_STRIDE 0x200
#define VMMIO_WINDOWS 16

struct vmmio {
	uint64_t base;
	unsigned int window; /* the index of the window; nestvm's endpoint ID behind the vIOMMU */
	uint32_t device_id;
};

/*
 * The first device in a window at or after @from with a virtio-mmio v2 header and
 * @device_id (0: any device). Returns true and fills @dev, or false.
 */
bool vmmio_find(uint32_t device_id, unsigned int from, struct vmmio *dev);

uint32_t vmmio_read(const struct vmmio *dev, unsigned int reg);
void vmmio_write(const struct vmmio *dev, unsigned int reg, uint32_t val);
/* Config space (at 0x100), read 32 bits at a time, as the transport requires. */
uint32_t vmmio_config32(const struct vmmio *dev, unsigned int offset);
uint64_t vmmio_config64(const struct vmmio *dev, unsigned int offset);

void vmmio_reset(const struct vmmio *dev);
uint64_t vmmio_device_features(const struct vmmio *dev);
/*
 * Reset, ACKNOWLEDGE, DRIVER, then @features and FEATURES_OK (§3.1.1). Returns whether the
 * device kept FEATURES_OK.
 */
bool vmmio_negotiate(const struct vmmio *dev, uint64_t features);
/*
 * Hands queue @index to the device with the rings of @vq (after a successful negotiation,
 * before DRIVER_OK). Returns whether QueueReady reads back 1.
 */
bool vmmio_queue_setup(const struct vmmio *dev, unsigned int index, const struct virtq *vq);
/* QueueNumMax of queue @index (0: the queue does not exist). */
uint32_t vmmio_queue_max(const struct vmmio *dev, unsigned int index);
void vmmio_driver_ok(const struct vmmio *dev);
uint32_t vmmio_status(const struct vmmio *dev);

/* Publishes what was added to @vq and tells the device (QueueNotify). */
void vmmio_kick(const struct vmmio *dev, unsigned int index, struct virtq *vq);

#endif
