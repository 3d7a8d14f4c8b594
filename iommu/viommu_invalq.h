/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-iommu's invalidation queue (queue 2, docs/virtio-iommu-nested.md "Queues"),
 * served a batch at a time: every chain the driver made available is popped, the INVALIDATEs
 * among them go to the model in one viommu_invalidate_batch() call, then every chain is
 * completed and the interrupt raised once. Anything but INVALIDATE is UNSUPP.
 *
 * Three steps so that the transport lock is held only around the ring work: pop and complete
 * run with mmio.lock held, serve (the host flush) without it. A reset between pop and
 * complete is seen through the transport's reset_count and the batch is dropped.
 */
#ifndef NESTVM_VIOMMU_INVALQ_H
#define NESTVM_VIOMMU_INVALQ_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/viommu_nested.h"
#include "iommu/viommu_virtio.h"

/* Chains per batch: the largest queue the device offers, so one batch drains a full ring. */
#define VIOMMU_INVALQ_BATCH_MAX 256

#define VIOMMU_INVALQ_REQ_LEN \
	(sizeof(struct virtio_iommu_req_invalidate) - sizeof(struct virtio_iommu_req_tail))

/* Where a chain's tail lies: its last 4 writable bytes, in at most 4 pieces. */
struct viommu_invalq_tail {
	unsigned int n;
	struct {
		uint64_t addr;
		uint32_t len;
	} piece[sizeof(struct virtio_iommu_req_tail)];
};

struct viommu_invalq_entry {
	uint16_t head;
	bool has_tail; /* else used length 0 and nothing written */
	uint32_t used_len;
	struct viommu_invalq_tail tail;
	uint8_t body[VIOMMU_INVALQ_REQ_LEN]; /* the device-readable bytes of an INVALIDATE */
};

struct viommu_invalq_batch {
	uint64_t reset_count; /* the transport's when the chains were popped */
	unsigned int n; /* chains popped */
	unsigned int nr_model; /* of which INVALIDATEs for the model */
	/* Answered here, for the model's counters: malformed INVALIDATEs, other types. */
	unsigned int refused_inval, refused_other;
	struct viommu_invalq_entry e[VIOMMU_INVALQ_BATCH_MAX];
	uint8_t status[VIOMMU_INVALQ_BATCH_MAX]; /* per chain */
	/* The model's view: request i of the model is chain idx[i]. */
	const void *reqs[VIOMMU_INVALQ_BATCH_MAX];
	size_t lens[VIOMMU_INVALQ_BATCH_MAX];
	uint8_t model_status[VIOMMU_INVALQ_BATCH_MAX];
	unsigned int idx[VIOMMU_INVALQ_BATCH_MAX];
	struct virtq_req scratch; /* one popped chain */
};

/*
 * mmio.lock held: pops up to @max (<= VIOMMU_INVALQ_BATCH_MAX) chains into @b and reads them.
 * Returns how many; 0 also when the queue is not live. A malformed ring breaks the queue
 * (DEVICE_NEEDS_RESET) and drops the batch.
 */
unsigned int viommu_invalq_pop(struct viommu_virtio *dev, struct viommu_invalq_batch *b,
			       unsigned int max);
/* No transport lock: the INVALIDATEs of @b go to the model (and the host), in one call. */
void viommu_invalq_serve(struct viommu_virtio *dev, struct viommu_invalq_batch *b);
/*
 * mmio.lock held: writes each tail, pushes each chain, raises the interrupt if the driver
 * wants one. False when the device was reset since the pop: nothing is written.
 */
bool viommu_invalq_complete(struct viommu_virtio *dev, struct viommu_invalq_batch *b);

/*
 * The three steps from a thread other than the vCPU's (takes mmio.lock). Returns the chains
 * served, at most @max: a caller that gets @max back calls again.
 */
unsigned int viommu_invalq_drain(struct viommu_virtio *dev, struct viommu_invalq_batch *b,
				 unsigned int max);
/* Takes mmio.lock: whether chains wait on the invalq (for a thread that polls a while). */
bool viommu_invalq_pending(struct viommu_virtio *dev);

#endif
