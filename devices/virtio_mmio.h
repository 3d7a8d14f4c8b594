/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-mmio transport, version 2 only (virtio 1.2 §4.2): a 0x200-byte register window
 * with the device's config space at 0x100, one level-triggered interrupt line, split
 * virtqueues. A device model (a "backend") plugs in through struct virtio_backend_ops.
 *
 * Choices where the driver misbehaves:
 * - registers below 0x100 take 32-bit aligned accesses only; anything else reads as 0 and is
 *   dropped on write; unknown offsets read as 0;
 * - Status: 0 resets; a write that clears bits is ignored; a bit whose predecessor in
 *   ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK is not set is dropped; FEATURES_OK is not
 *   taken when the driver asked for a feature not offered or left out VIRTIO_F_VERSION_1
 *   (or VIRTIO_F_ACCESS_PLATFORM when the device sits behind an IOMMU);
 * - DriverFeatures is writable only between DRIVER and FEATURES_OK; the features count from
 *   FEATURES_OK (the backend's features_accepted hook) and until the next reset;
 * - the queue registers are writable only after FEATURES_OK, before DRIVER_OK, and while the
 *   selected queue is not ready; QueueReady = 1 with a QueueNum above QueueNumMax, not a
 *   power of 2, or misaligned or wrapping ring addresses leaves the queue not ready;
 * - a malformed ring breaks its queue (see virtqueue.h): the device sets DEVICE_NEEDS_RESET
 *   and raises a config-change interrupt.
 *
 * Threads: vCPU threads call the bus callbacks; all transport state is under @lock. The
 * backend's callbacks are called with @lock held, on the vCPU thread that made the access,
 * and must not take it again. Inside them a backend may use virtio_mmio_queue(),
 * virtq_pop/virtq_push on it, virtio_mmio_used() and virtio_mmio_needs_reset(). Any other
 * thread (an I/O completion thread) wraps the same calls in virtio_mmio_lock/unlock, and
 * compares virtio_mmio_reset_count() with the value when it took the request, so that a
 * completion from before a reset is dropped. The reset callback alone may wait on a condition
 * variable over @lock (pthread_cond_wait releases it) for such a thread to finish.
 */
#ifndef NESTVM_VIRTIO_MMIO_H
#define NESTVM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/dma.h"
#include "devices/virtqueue.h"
#include "vmm/bus.h"

#define VIRTIO_MMIO_SIZE 0x200
#define VIRTIO_MMIO_CONFIG_MAX (VIRTIO_MMIO_SIZE - 0x100)
#define VIRTIO_MMIO_MAX_QUEUES 8
#define VIRTIO_MMIO_VENDOR 0x5654534e /* "NSTV" in memory order */

struct virtio_mmio_dev;

struct virtio_backend_ops {
	uint32_t device_id; /* VIRTIO_ID_* */
	unsigned int num_queues; /* 1..VIRTIO_MMIO_MAX_QUEUES */
	uint16_t queue_max; /* QueueNumMax, a power of 2 */
	unsigned int config_size; /* bytes of config space, at most VIRTIO_MMIO_CONFIG_MAX */
	/* @offset + @len <= config_size is checked by the transport; @len is 1, 2, 4 or 8. */
	void (*config_read)(struct virtio_mmio_dev *dev, unsigned int offset, void *data,
			    unsigned int len);
	void (*config_write)(struct virtio_mmio_dev *dev, unsigned int offset, const void *data,
			     unsigned int len);
	/* The driver kicked @queue (< num_queues, ready, not broken). */
	void (*queue_notify)(struct virtio_mmio_dev *dev, unsigned int queue);
	/* The device was reset: drop in-flight state. The queues are reset already. */
	void (*reset)(struct virtio_mmio_dev *dev);
	/*
	 * The features in force (transport bits included), optional: called with what the
	 * driver accepted when it sets FEATURES_OK and the transport takes the features, and
	 * with 0 at every reset, after .reset (once in virtio_mmio_init() too). Until the first
	 * call with a set, no feature is negotiated: a backend must not act on what it offers.
	 */
	void (*features_accepted)(struct virtio_mmio_dev *dev, uint64_t features);
};

struct virtio_mmio_dev {
	pthread_mutex_t lock; /* before the vIOMMU's locks: the order is in viommu_internal.h */
	const struct virtio_backend_ops *ops;
	void *backend;
	const struct dma_space *dma;
	struct irq_sink *irq;
	unsigned int gsi;
	bool irq_level;

	uint64_t device_features; /* as offered, transport bits included */
	uint64_t driver_features;
	uint32_t device_features_sel, driver_features_sel;
	uint32_t queue_sel;
	uint32_t status;
	uint32_t interrupt_status;
	uint32_t config_generation;
	uint64_t reset_count;
	struct virtq queues[VIRTIO_MMIO_MAX_QUEUES];
	/*
	 * QueueNotify is served on the vCPU that writes it (no ioeventfd), not the io loop: for
	 * a device whose driver waits for each request, or whose work never blocks.
	 */
	bool notify_on_vcpu;
};

/*
 * Sets up @dev in its reset state and returns the window's callbacks. @features are the
 * device-specific bits; the transport adds VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX,
 * VIRTIO_RING_F_INDIRECT_DESC, and VIRTIO_F_ACCESS_PLATFORM when @dma translates. @backend is
 * the backend's own state (virtio_mmio_backend()). The interrupt goes to @gsi through @irq,
 * called with @lock held.
 */
const struct bus_ops *virtio_mmio_init(struct virtio_mmio_dev *dev,
				       const struct virtio_backend_ops *ops, void *backend,
				       uint64_t features, const struct dma_space *dma,
				       struct irq_sink *irq, unsigned int gsi);

/* Registers the 0x200-byte window at @base. Returns 0 or a negative errno. */
int virtio_mmio_attach(struct bus *mmio, uint64_t base, struct virtio_mmio_dev *dev,
		       const char *name);

/* The window's callbacks, for a caller that maps the window itself (tests). */
const struct bus_ops *virtio_mmio_bus_ops(void);

void virtio_mmio_destroy(struct virtio_mmio_dev *dev);

void virtio_mmio_lock(struct virtio_mmio_dev *dev);
void virtio_mmio_unlock(struct virtio_mmio_dev *dev);

/* The rest: with @lock held (see above). */
void *virtio_mmio_backend(const struct virtio_mmio_dev *dev);
struct virtq *virtio_mmio_queue(struct virtio_mmio_dev *dev, unsigned int queue);
uint64_t virtio_mmio_reset_count(const struct virtio_mmio_dev *dev);
/* The negotiated features: what the driver accepted once FEATURES_OK is set, else 0. */
uint64_t virtio_mmio_features(const struct virtio_mmio_dev *dev);
/*
 * The driver's QueueNotify for @queue, when it arrives another way than a register write:
 * through a KVM ioeventfd the io loop reads. Takes @lock; the backend's queue_notify then runs
 * on the caller's thread.
 */
void virtio_mmio_kick(struct virtio_mmio_dev *dev, unsigned int queue);
/* Raises the used-buffer interrupt if the driver wants one for what was pushed on @queue. */
void virtio_mmio_used(struct virtio_mmio_dev *dev, unsigned int queue);
/* The queue broke (or the backend failed): DEVICE_NEEDS_RESET and a config interrupt. */
void virtio_mmio_needs_reset(struct virtio_mmio_dev *dev);
/* The config space changed: bump ConfigGeneration and raise the config interrupt. */
void virtio_mmio_config_changed(struct virtio_mmio_dev *dev);

#endif
