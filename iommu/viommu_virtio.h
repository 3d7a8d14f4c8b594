/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-iommu as a virtio-mmio device: the glue between the transport's queues and the
 * device model (iommu/viommu.h). Requests are served on the kicking vCPU's thread; faults
 * are written into buffers the driver left on the event queue, as soon as both exist. The
 * invalq (queue 2, with the nesting extension) is served in batches (viommu_invalq.h): by
 * the invalq thread (invalq.h) when one owns it, else on the kicking thread.
 */
#ifndef NESTVM_VIOMMU_VIRTIO_H
#define NESTVM_VIOMMU_VIRTIO_H

#include "devices/virtio_mmio.h"
#include "iommu/viommu.h"

struct viommu_virtio {
	struct virtio_mmio_dev mmio;
	struct viommu *model;
	struct virtq_req req; /* the request being served; under mmio.lock */
	struct virtq_req evbuf; /* an event buffer taken from the eventq, not yet used */
	bool have_evbuf;
	uint8_t in[512], out[512]; /* request and reply bounce buffers; under mmio.lock */
	/* The invalq thread's notify eventfd, where kicks of queue 2 go; -1: served inline. */
	int invalq_fd;
	struct viommu_invalq_batch *inline_batch; /* for inline service; under mmio.lock */
};

const struct bus_ops *viommu_virtio_init(struct viommu_virtio *dev, struct viommu *model,
					 const struct dma_space *dma, struct irq_sink *irq,
					 unsigned int gsi);
int viommu_virtio_attach(struct bus *mmio, uint64_t base, struct viommu_virtio *dev);
void viommu_virtio_destroy(struct viommu_virtio *dev);

/*
 * Setup time: a QueueNotify of the invalq that reaches the device (not caught by a KVM
 * ioeventfd) is forwarded to @fd, the invalq thread's notify eventfd; -1 serves it inline.
 */
void viommu_virtio_set_invalq_fd(struct viommu_virtio *dev, int fd);
/* Test-only: the device asks for a reset and stops serving its request queues; lock held. */
void viommu_virtio_fail(struct viommu_virtio *dev);

#endif
