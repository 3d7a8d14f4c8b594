// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/fault_inject.h"
#include "vmm/log.h"
#include "vmm/util.h"
#include "viommu_invalq.h"
#include "viommu_virtio.h"

#define REQUESTQ 0
#define EVENTQ 1
#define QUEUE_MAX 256

static struct viommu_virtio *to_viommu(struct virtio_mmio_dev *dev)
{
	return container_of(dev, struct viommu_virtio, mmio);
}

static void config_read(struct virtio_mmio_dev *dev, unsigned int offset, void *data,
			unsigned int len)
{
	viommu_config_read(to_viommu(dev)->model, offset, data, len);
}

static void config_write(struct virtio_mmio_dev *dev, unsigned int offset, const void *data,
			 unsigned int len)
{
	viommu_config_write(to_viommu(dev)->model, offset, data, len);
}

/* Writes the tail status alone, for requests the bounce buffers cannot hold. */
static uint32_t reply_status(struct viommu_virtio *v, uint8_t status)
{
	struct virtio_iommu_req_tail tail = { .status = status };
	uint32_t off = v->req.writable_len - sizeof(tail);

	if (v->req.writable_len < sizeof(tail) ||
	    virtq_req_write(&v->req, off, &tail, sizeof(tail)))
		return 0;
	return v->req.writable_len;
}

static uint32_t serve(struct viommu_virtio *v)
{
	size_t reply_len = 0;
	int ret;

	if (v->req.readable_len > sizeof(v->in) || v->req.writable_len > sizeof(v->out))
		return reply_status(v, VIRTIO_IOMMU_S_INVAL);
	if (virtq_req_read(&v->req, 0, v->in, v->req.readable_len))
		return 0;
	ret = viommu_handle_request(v->model, v->in, v->req.readable_len, v->out,
				    v->req.writable_len, &reply_len);
	if (ret || virtq_req_write(&v->req, 0, v->out, reply_len))
		return 0; /* a used length of 0: the driver sees an I/O error */
	return reply_len;
}

/* Delivers queued faults into event buffers; called with mmio.lock held. */
static void deliver_faults(struct viommu_virtio *v)
{
	struct virtq *eq = virtio_mmio_queue(&v->mmio, EVENTQ);
	struct virtio_iommu_fault fault;
	bool used = false;

	while (eq && eq->ready && !eq->broken) {
		if (!v->have_evbuf) {
			if (virtq_pop(eq, &v->evbuf) != 1)
				break;
			v->have_evbuf = true;
		}
		if (!viommu_pop_fault(v->model, &fault))
			break;
		v->have_evbuf = false;
		virtq_push(eq, v->evbuf.head,
			   virtq_req_write(&v->evbuf, 0, &fault, sizeof(fault)) ? 0
										: sizeof(fault));
		used = true;
	}
	if (used)
		virtio_mmio_used(&v->mmio, EVENTQ);
}

/*
 * The transport calls this at FEATURES_OK with what the driver accepted and at every reset
 * with 0 (after reset() below, which leaves the model with every feature it offers): from
 * then on the model acts only on what was negotiated, before any queue is kicked.
 */
static void features_accepted(struct virtio_mmio_dev *dev, uint64_t features)
{
	viommu_set_features(to_viommu(dev)->model, features);
}

/*
 * Test-only (NESTVM_FAULT viommu_needs_reset): the device meets an error it cannot recover
 * from. It asks for a reset and answers nothing on its request queues until it gets one.
 */
void viommu_virtio_fail(struct viommu_virtio *v)
{
	static const unsigned int queues[] = { REQUESTQ, VIRTIO_IOMMU_INVALQ };

	pr_warn("virtio-iommu: injected failure: the device needs a reset and serves no queue");
	for (unsigned int i = 0; i < ARRAY_SIZE(queues); i++) {
		struct virtq *q = virtio_mmio_queue(&v->mmio, queues[i]);

		if (q)
			q->broken = true;
	}
	virtio_mmio_needs_reset(&v->mmio);
}

/* The invalq without a thread of its own: batches on the kicking thread, lock held. */
static void invalq_inline(struct viommu_virtio *v)
{
	struct viommu_invalq_batch *b = v->inline_batch;

	if (!b) {
		b = v->inline_batch = malloc(sizeof(*b));
		if (!b) {
			virtio_mmio_needs_reset(&v->mmio);
			return;
		}
	}
	while (viommu_invalq_pop(v, b, VIOMMU_INVALQ_BATCH_MAX)) {
		viommu_invalq_serve(v, b);
		viommu_invalq_complete(v, b);
	}
}

static void invalq_notify(struct viommu_virtio *v)
{
	uint64_t one = 1;

	if (v->invalq_fd < 0) {
		invalq_inline(v);
		return;
	}
	if (write(v->invalq_fd, &one, sizeof(one)) < 0)
		pr_err("virtio-iommu: cannot wake the invalq thread: %s", strerror(errno));
}

static void queue_notify(struct virtio_mmio_dev *dev, unsigned int queue)
{
	struct viommu_virtio *v = to_viommu(dev);
	struct virtq *q = virtio_mmio_queue(dev, queue);
	bool used = false;

	if (queue == VIRTIO_IOMMU_INVALQ) {
		invalq_notify(v);
		return;
	}
	if (queue == EVENTQ) {
		deliver_faults(v);
		return;
	}
	if (fault_inject(FAULT_VIOMMU_NEEDS_RESET)) {
		viommu_virtio_fail(v);
		return;
	}
	while (virtq_pop(q, &v->req) == 1) {
		virtq_push(q, v->req.head, serve(v));
		used = true;
	}
	if (used)
		virtio_mmio_used(dev, REQUESTQ);
}

static void reset(struct virtio_mmio_dev *dev)
{
	struct viommu_virtio *v = to_viommu(dev);

	v->have_evbuf = false;
	viommu_reset(v->model);
}

/* The model queued a fault (any thread, no model lock held). */
static void fault_notify(void *ctx)
{
	struct viommu_virtio *v = ctx;

	virtio_mmio_lock(&v->mmio);
	deliver_faults(v);
	virtio_mmio_unlock(&v->mmio);
}

static const struct virtio_backend_ops viommu_virtio_ops = {
	.device_id = VIRTIO_ID_IOMMU,
	.num_queues = 3, /* queue 2, the invalq, only with VIRTIO_IOMMU_F_ATTACH_TABLE */
	.queue_max = QUEUE_MAX,
	.config_size = sizeof(struct virtio_iommu_config),
	.config_read = config_read,
	.config_write = config_write,
	.queue_notify = queue_notify,
	.reset = reset,
	.features_accepted = features_accepted,
};

const struct bus_ops *viommu_virtio_init(struct viommu_virtio *dev, struct viommu *model,
					 const struct dma_space *dma, struct irq_sink *irq,
					 unsigned int gsi)
{
	dev->model = model;
	dev->have_evbuf = false;
	dev->invalq_fd = -1;
	dev->inline_batch = NULL;
	viommu_set_fault_notify(model, fault_notify, dev);
	return virtio_mmio_init(&dev->mmio, &viommu_virtio_ops, dev, viommu_features(model), dma,
				irq, gsi);
}

int viommu_virtio_attach(struct bus *mmio, uint64_t base, struct viommu_virtio *dev)
{
	return virtio_mmio_attach(mmio, base, &dev->mmio, "virtio-iommu");
}

void viommu_virtio_destroy(struct viommu_virtio *dev)
{
	viommu_set_fault_notify(dev->model, NULL, NULL);
	virtio_mmio_destroy(&dev->mmio);
	free(dev->inline_batch);
	dev->inline_batch = NULL;
}

void viommu_virtio_set_invalq_fd(struct viommu_virtio *dev, int fd)
{
	dev->invalq_fd = fd;
}
