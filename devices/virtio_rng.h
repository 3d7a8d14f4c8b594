/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio entropy device (virtio 1.2 §5.4): one queue whose writable buffers are filled from
 * getrandom(2), synchronously, on the vCPU thread that kicks.
 */
#ifndef NESTVM_VIRTIO_RNG_H
#define NESTVM_VIRTIO_RNG_H

#include "devices/virtio_mmio.h"

#define VIRTIO_RNG_QUEUE_SIZE 256

struct virtio_rng {
	struct virtio_mmio_dev mmio;
	struct virtq_req req; /* the request being served; under mmio.lock */
};

const struct bus_ops *virtio_rng_init(struct virtio_rng *rng, const struct dma_space *dma,
				      struct irq_sink *irq, unsigned int gsi);
int virtio_rng_attach(struct bus *mmio, uint64_t base, struct virtio_rng *rng);
void virtio_rng_destroy(struct virtio_rng *rng);

#endif
