// SPDX-License-Identifier: GPL-2.0
/* The invalq's batches: pop, serve, complete (viommu_invalq.h). */
#include <linux/virtio_config.h>
#include <string.h>

#include "viommu_invalq.h"
#include "viommu_virtio.h"
#include "vmm/fault_inject.h"

#define TAIL_LEN sizeof(struct virtio_iommu_req_tail)

/* Finds the last TAIL_LEN writable bytes of @req; false when it has fewer. */
static bool locate_tail(const struct virtq_req *req, struct viommu_invalq_tail *t)
{
	uint32_t need = TAIL_LEN;
	unsigned int i = req->nr_segs, n = 0;

	if (req->writable_len < TAIL_LEN)
		return false;
	/* Backwards from the last segment; zero-length segments hold nothing. */
	while (need && i-- > req->nr_readable) {
		const struct virtq_seg *s = &req->segs[i];
		uint32_t take = s->len < need ? s->len : need;

		if (!take)
			continue;
		need -= take;
		t->piece[n].addr = s->addr + s->len - take;
		t->piece[n].len = take;
		n++;
	}
	/* Put the pieces in address order of the tail's bytes. */
	for (unsigned int a = 0; a < n / 2; a++) {
		typeof(t->piece[0]) tmp = t->piece[a];

		t->piece[a] = t->piece[n - 1 - a];
		t->piece[n - 1 - a] = tmp;
	}
	t->n = n;
	return true;
}

static bool negotiated(const struct viommu_virtio *dev)
{
	return virtio_mmio_features(&dev->mmio) & (1ULL << VIRTIO_IOMMU_F_ATTACH_TABLE);
}

/* Reads one popped chain into entry @i of @b and judges what it is. */
static void take(struct viommu_virtio *dev, struct viommu_invalq_batch *b, unsigned int i)
{
	const struct virtq_req *req = &b->scratch;
	struct viommu_invalq_entry *e = &b->e[i];
	uint32_t len =
	    req->readable_len < VIOMMU_INVALQ_REQ_LEN ? req->readable_len : VIOMMU_INVALQ_REQ_LEN;

	e->head = req->head;
	e->used_len = 0;
	e->has_tail = locate_tail(req, &e->tail);
	b->status[i] = VIRTIO_IOMMU_S_UNSUPP;
	if (!e->has_tail || !negotiated(dev)) {
		/* No tail, or no extension: an unknown request, returned unwritten (spec). */
		e->has_tail = false;
		return;
	}
	e->used_len = req->writable_len;
	/*
	 * One copy, read once: the type and the body are judged from the same bytes, however
	 * the guest changes its memory meanwhile.
	 */
	if (len && virtq_req_read(req, 0, e->body, len)) {
		e->has_tail = false; /* unreadable: used length 0, the driver sees an error */
		e->used_len = 0;
		return;
	}
	if (!len || e->body[0] != VIRTIO_IOMMU_T_INVALIDATE) {
		b->refused_other++;
		return; /* UNSUPP: the invalq carries INVALIDATE only */
	}
	/* INVAL as on the requestq: exactly the request's struct, exactly the tail. */
	b->status[i] = VIRTIO_IOMMU_S_INVAL;
	if (req->readable_len != VIOMMU_INVALQ_REQ_LEN || req->writable_len != TAIL_LEN) {
		b->refused_inval++;
		return;
	}
	b->reqs[b->nr_model] = e->body;
	b->lens[b->nr_model] = VIOMMU_INVALQ_REQ_LEN;
	b->idx[b->nr_model++] = i;
}

unsigned int viommu_invalq_pop(struct viommu_virtio *dev, struct viommu_invalq_batch *b,
			       unsigned int max)
{
	struct virtq *q = virtio_mmio_queue(&dev->mmio, VIRTIO_IOMMU_INVALQ);

	b->n = 0;
	b->nr_model = 0;
	b->refused_inval = b->refused_other = 0;
	b->reset_count = virtio_mmio_reset_count(&dev->mmio);
	if (!q || !(dev->mmio.status & VIRTIO_CONFIG_S_DRIVER_OK))
		return 0;
	if (fault_inject(FAULT_VIOMMU_NEEDS_RESET)) {
		viommu_virtio_fail(dev);
		return 0;
	}
	if (max > VIOMMU_INVALQ_BATCH_MAX)
		max = VIOMMU_INVALQ_BATCH_MAX;
	while (b->n < max && virtq_pop(q, &b->scratch) == 1)
		take(dev, b, b->n++);
	if (q->broken) {
		/* The ring is malformed: the queue is lost until reset, whatever it held. */
		virtio_mmio_needs_reset(&dev->mmio);
		b->n = b->nr_model = b->refused_inval = b->refused_other = 0;
	}
	return b->n;
}

void viommu_invalq_serve(struct viommu_virtio *dev, struct viommu_invalq_batch *b)
{
	viommu_count_invalq_refused(dev->model, b->refused_inval, b->refused_other);
	if (!b->nr_model)
		return;
	viommu_invalidate_batch(dev->model, b->reqs, b->lens, b->nr_model, b->model_status);
	for (unsigned int i = 0; i < b->nr_model; i++)
		b->status[b->idx[i]] = b->model_status[i];
}

static bool write_tail(struct viommu_virtio *dev, const struct viommu_invalq_tail *t,
		       uint8_t status)
{
	struct virtio_iommu_req_tail tail = { .status = status };
	const uint8_t *p = (const uint8_t *)&tail;

	for (unsigned int i = 0; i < t->n; i++) {
		if (dma_write(dev->mmio.dma, t->piece[i].addr, p, t->piece[i].len))
			return false;
		p += t->piece[i].len;
	}
	return true;
}

bool viommu_invalq_complete(struct viommu_virtio *dev, struct viommu_invalq_batch *b)
{
	struct virtq *q = virtio_mmio_queue(&dev->mmio, VIRTIO_IOMMU_INVALQ);

	/* The driver reset the device meanwhile: these chains belong to a ring that is gone. */
	if (virtio_mmio_reset_count(&dev->mmio) != b->reset_count)
		return false;
	for (unsigned int i = 0; i < b->n; i++) {
		struct viommu_invalq_entry *e = &b->e[i];
		uint32_t len = e->used_len;

		if (e->has_tail && !write_tail(dev, &e->tail, b->status[i]))
			len = 0;
		virtq_push(q, e->head, len);
	}
	if (b->n)
		virtio_mmio_used(&dev->mmio, VIRTIO_IOMMU_INVALQ);
	return true;
}

unsigned int viommu_invalq_drain(struct viommu_virtio *dev, struct viommu_invalq_batch *b,
				 unsigned int max)
{
	unsigned int n;

	virtio_mmio_lock(&dev->mmio);
	n = viommu_invalq_pop(dev, b, max);
	virtio_mmio_unlock(&dev->mmio);
	if (!n)
		return 0;
	viommu_invalq_serve(dev, b);
	virtio_mmio_lock(&dev->mmio);
	viommu_invalq_complete(dev, b);
	virtio_mmio_unlock(&dev->mmio);
	return n;
}

bool viommu_invalq_pending(struct viommu_virtio *dev)
{
	struct virtq *q = virtio_mmio_queue(&dev->mmio, VIRTIO_IOMMU_INVALQ);
	bool pending;

	virtio_mmio_lock(&dev->mmio);
	pending = q && (dev->mmio.status & VIRTIO_CONFIG_S_DRIVER_OK) && virtq_avail_pending(q);
	virtio_mmio_unlock(&dev->mmio);
	return pending;
}
