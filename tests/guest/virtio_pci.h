/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Driver side of the modern virtio-pci transport (virtio 1.2 §4.1) for the guest payloads:
 * the function found on bus 0 by its device ID, its COMMON_CFG, NOTIFY_CFG and DEVICE_CFG
 * structures located through the vendor capabilities, then the same handshake, queue setup
 * and notify as virtio-mmio. No MSI-X vectors: the payloads poll.
 */
#ifndef GUEST_VIRTIO_PCI_H
#define GUEST_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "pci_cfg.h"
#include "virtq.h"

#define VPCI_VENDOR 0x1af4
#define VPCI_MODERN_BASE 0x1040 /* device ID 0x1040 + virtio device type */
#define VPCI_QUEUES 4 /* queues whose notify address we keep */

struct vpci {
	struct pci_fn fn;
	uint64_t common, notify, device; /* the structures' addresses */
	uint32_t notify_mult; /* notify_off_multiplier */
	uint64_t queue_notify[VPCI_QUEUES];
};

/* The virtio-pci function of @virtio_id on bus 0, with its structures mapped and enabled. */
bool vpci_find(uint32_t virtio_id, struct vpci *dev);

uint32_t vpci_config32(const struct vpci *dev, unsigned int offset);
uint64_t vpci_config64(const struct vpci *dev, unsigned int offset);
uint32_t vpci_status(const struct vpci *dev);
void vpci_reset(const struct vpci *dev);
uint64_t vpci_device_features(const struct vpci *dev);
bool vpci_negotiate(const struct vpci *dev, uint64_t features);
uint32_t vpci_queue_max(const struct vpci *dev, unsigned int index);
bool vpci_queue_setup(struct vpci *dev, unsigned int index, const struct virtq *vq);
void vpci_driver_ok(const struct vpci *dev);
/* A register read the device answers (num_queues): the cheapest exit to it. */
uint32_t vpci_probe_read(const struct vpci *dev);
/* The notify write alone, for queue @index (set up before). */
void vpci_notify(const struct vpci *dev, unsigned int index);
void vpci_kick(const struct vpci *dev, unsigned int index, struct virtq *vq);

#endif
