/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-iommu eventq (virtio 1.2 §5.13.5): the driver keeps device-writable buffers
 * posted, and the device returns one per fault it reports. Polled, like everything here.
 */
#ifndef GUEST_VIOMMU_EVENT_H
#define GUEST_VIOMMU_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_iommu.h>

struct viommu_dev;

/* Posts every event buffer and notifies (after DRIVER_OK, from viommu_init_nested()). */
void viommu_event_post_all(struct viommu_dev *v);
/*
 * Takes the next fault the device returned, polling up to @polls times: true with *@f filled
 * (its buffer goes back on the queue), false when none came.
 */
bool viommu_event_get(struct viommu_dev *v, struct virtio_iommu_fault *f, uint64_t polls);
/* Throws away every fault already returned; how many there were. */
unsigned int viommu_event_drain(struct viommu_dev *v);

#endif
