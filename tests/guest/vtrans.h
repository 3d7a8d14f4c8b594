/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One virtio device on whichever transport it sits: nestvm's virtio-mmio windows or a modern
 * virtio-pci function (QEMU's virtio-iommu-pci), so the drivers above run on both.
 */
#ifndef GUEST_VTRANS_H
#define GUEST_VTRANS_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_mmio.h"
#include "virtio_pci.h"
#include "virtq.h"

enum vtrans_kind { VTRANS_MMIO, VTRANS_PCI };

struct vtrans {
	enum vtrans_kind kind;
	struct vmmio mmio;
	struct vpci pci;
};

/* The first device of @virtio_id: in a virtio-mmio window, else on PCI bus 0. */
bool vtrans_find(uint32_t virtio_id, struct vtrans *t);

uint32_t vtrans_config32(const struct vtrans *t, unsigned int offset);
uint64_t vtrans_config64(const struct vtrans *t, unsigned int offset);
uint32_t vtrans_status(const struct vtrans *t);
void vtrans_reset(const struct vtrans *t);
uint64_t vtrans_device_features(const struct vtrans *t);
/* Reset, ACKNOWLEDGE, DRIVER, @features, FEATURES_OK: whether the device kept FEATURES_OK. */
bool vtrans_negotiate(const struct vtrans *t, uint64_t features);
uint32_t vtrans_queue_max(const struct vtrans *t, unsigned int index);
bool vtrans_queue_setup(struct vtrans *t, unsigned int index, const struct virtq *vq);
void vtrans_driver_ok(const struct vtrans *t);
/* One register read the device model answers: the floor of any access. */
uint32_t vtrans_probe_read(const struct vtrans *t);
/* What vtrans_probe_read() reads, for a benchmark's row. */
const char *vtrans_probe_name(const struct vtrans *t);
/* The notify write alone. */
void vtrans_notify(const struct vtrans *t, unsigned int index);
/* Publishes what was added to @vq and notifies. */
void vtrans_kick(const struct vtrans *t, unsigned int index, struct virtq *vq);

#endif
