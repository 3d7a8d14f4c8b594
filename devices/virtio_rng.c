// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <sys/random.h>
#include <linux/virtio_ids.h>

#include "devices/virtio_rng.h"

/* Bytes per getrandom() call; a request larger than this is filled in pieces. */
#define CHUNK 256

/* Fills the request's writable bytes; returns how many were written. */
static uint32_t fill(const struct virtq_req *req)
{
	uint8_t buf[CHUNK];
	uint32_t done = 0;

	while (done < req->writable_len) {
		uint32_t want = req->writable_len - done < CHUNK ? req->writable_len - done : CHUNK;
		ssize_t n = getrandom(buf, want, GRND_NONBLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		/* No entropy yet (early boot): hand back what we have; the driver asks again. */
		if (n <= 0)
			break;
		if (virtq_req_write(req, done, buf, n))
			break; /* a buffer outside memory: report what landed before it */
		done += n;
	}
	return done;
}

static void rng_queue_notify(struct virtio_mmio_dev *dev, unsigned int queue)
{
	struct virtio_rng *rng = virtio_mmio_backend(dev);
	struct virtq *vq = virtio_mmio_queue(dev, queue);

	while (virtq_pop(vq, &rng->req) > 0) {
		if (virtq_push(vq, rng->req.head, fill(&rng->req)))
			break;
	}
	virtio_mmio_used(dev, queue);
}

static const struct virtio_backend_ops rng_ops = {
	.device_id = VIRTIO_ID_RNG,
	.num_queues = 1,
	.queue_max = VIRTIO_RNG_QUEUE_SIZE,
	.queue_notify = rng_queue_notify,
};

const struct bus_ops *virtio_rng_init(struct virtio_rng *rng, const struct dma_space *dma,
				      struct irq_sink *irq, unsigned int gsi)
{
	return virtio_mmio_init(&rng->mmio, &rng_ops, rng, 0, dma, irq, gsi);
}

int virtio_rng_attach(struct bus *mmio, uint64_t base, struct virtio_rng *rng)
{
	return virtio_mmio_attach(mmio, base, &rng->mmio, "virtio-rng");
}

void virtio_rng_destroy(struct virtio_rng *rng)
{
	virtio_mmio_destroy(&rng->mmio);
}
