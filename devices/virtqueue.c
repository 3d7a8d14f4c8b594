// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueue device side. Ring fields are little-endian (virtio 1.x) and are read and
 * written one field at a time through dma_read/dma_write, so nothing here ever holds a pointer
 * into guest memory. The fences order our copies against the driver's, as §2.7.13 asks.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <linux/virtio_ring.h>

#include "devices/virtqueue.h"

#define DESC_SIZE 16 /* struct vring_desc */
#define USED_ELEM_SIZE 8 /* struct vring_used_elem */
#define RING_HEADER 4 /* flags and idx, before the ring entries */

static uint64_t avail_ring_addr(const struct virtq *vq, unsigned int i)
{
	return vq->avail + RING_HEADER + 2ULL * i;
}

static uint64_t used_ring_addr(const struct virtq *vq, unsigned int i)
{
	return vq->used + RING_HEADER + (uint64_t)USED_ELEM_SIZE * i;
}

static int read16(const struct virtq *vq, uint64_t addr, uint16_t *val)
{
	uint16_t le;
	int ret = dma_read(vq->dma, addr, &le, sizeof(le));

	*val = le16toh(le);
	return ret;
}

static int write16(const struct virtq *vq, uint64_t addr, uint16_t val)
{
	uint16_t le = htole16(val);

	return dma_write(vq->dma, addr, &le, sizeof(le));
}

void virtq_reset(struct virtq *vq, const struct dma_space *dma)
{
	memset(vq, 0, sizeof(*vq));
	vq->dma = dma;
}

/* Whether [addr, addr + len) fits below 2^64, so no ring offset can wrap to a low address. */
static bool area_fits(uint64_t addr, uint64_t len)
{
	return addr <= UINT64_MAX - len;
}

int virtq_enable(struct virtq *vq)
{
	uint64_t n = vq->size;

	if (!n || n > VIRTQ_MAX_SIZE || (n & (n - 1)))
		return -EINVAL;
	if ((vq->desc % VRING_DESC_ALIGN_SIZE) || (vq->avail % VRING_AVAIL_ALIGN_SIZE) ||
	    (vq->used % VRING_USED_ALIGN_SIZE))
		return -EINVAL;
	/* Each area with its trailing event field (§2.7). */
	if (!area_fits(vq->desc, DESC_SIZE * n) || !area_fits(vq->avail, RING_HEADER + 2 * n + 2) ||
	    !area_fits(vq->used, RING_HEADER + USED_ELEM_SIZE * n + 2))
		return -EINVAL;
	vq->last_avail_idx = 0;
	vq->used_idx = 0;
	vq->notified_used_idx = 0;
	vq->broken = false;
	vq->ready = true;
	return 0;
}

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static void decode_desc(const struct vring_desc *raw, struct desc *d)
{
	d->addr = le64toh(raw->addr);
	d->len = le32toh(raw->len);
	d->flags = le16toh(raw->flags);
	d->next = le16toh(raw->next);
}

static int read_desc(const struct virtq *vq, uint64_t addr, struct desc *d)
{
	struct vring_desc raw;
	int ret = dma_read(vq->dma, addr, &raw, sizeof(raw));

	if (ret)
		return ret;
	decode_desc(&raw, d);
	return 0;
}

/*
 * The part of an indirect table last read: the table is the driver's (it declared its length)
 * and drivers chain it in order, so one dma_read, one IOMMU translation and bracket, serves
 * many descriptors.
 */
#define INDIRECT_WINDOW 64

struct desc_window {
	uint32_t first, count;
	struct vring_desc raw[INDIRECT_WINDOW];
};

/* Descriptor @idx of the @n in the indirect table at @table, read through @w. */
static int read_indirect(const struct virtq *vq, uint64_t table, uint32_t n, struct desc_window *w,
			 uint16_t idx, struct desc *d)
{
	if (idx < w->first || idx >= w->first + w->count) {
		uint32_t count = n - idx < INDIRECT_WINDOW ? n - idx : INDIRECT_WINDOW;
		int ret = dma_read(vq->dma, table + (uint64_t)DESC_SIZE * idx, w->raw,
				   (uint64_t)DESC_SIZE * count);

		w->count = 0;
		if (ret)
			return ret;
		w->first = idx;
		w->count = count;
	}
	decode_desc(&w->raw[idx - w->first], d);
	return 0;
}

static int add_seg(struct virtq_req *req, const struct desc *d)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	uint64_t total = (uint64_t)req->readable_len + req->writable_len + d->len;

	/* §2.7.4.2: all device-readable descriptors come before the device-writable ones. */
	if (!writable && req->nr_segs > req->nr_readable)
		return -EINVAL;
	if (!area_fits(d->addr, d->len) || total > UINT32_MAX)
		return -EINVAL;
	if (!d->len)
		return 0; /* nothing to transfer; keeps empty segments out of the copies */
	if (req->nr_segs == VIRTQ_MAX_SEGS)
		return -E2BIG;
	req->segs[req->nr_segs++] = (struct virtq_seg){ d->addr, d->len, writable };
	if (writable) {
		req->writable_len += d->len;
	} else {
		req->nr_readable++;
		req->readable_len += d->len;
	}
	return 0;
}

/* An indirect table: at most len / 16 descriptors, no indirect inside (§2.7.5.3.1). */
static int walk_indirect(const struct virtq *vq, struct virtq_req *req, const struct desc *ind)
{
	uint32_t n = ind->len / DESC_SIZE, count = 0;
	struct desc_window w = { .count = 0 };
	uint16_t idx = 0;
	struct desc d;
	int ret;

	if (!n || ind->len % DESC_SIZE || !area_fits(ind->addr, ind->len))
		return -EINVAL;
	/* Bounds the walk even over a table of empty descriptors that fills guest RAM. */
	if (n > VIRTQ_MAX_SEGS)
		return -E2BIG;
	for (;;) {
		if (++count > n)
			return -ELOOP;
		ret = read_indirect(vq, ind->addr, n, &w, idx, &d);
		if (ret)
			return ret;
		if (d.flags & VRING_DESC_F_INDIRECT)
			return -EINVAL;
		ret = add_seg(req, &d);
		if (ret)
			return ret;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= n)
			return -EINVAL;
		idx = d.next;
	}
}

/* A chain: direct descriptors, possibly ending in one that points to an indirect table. */
static int walk_chain(const struct virtq *vq, uint16_t head, struct virtq_req *req)
{
	unsigned int count = 0;
	uint16_t idx = head;
	struct desc d;
	int ret;

	for (;;) {
		if (++count > vq->size)
			return -ELOOP;
		ret = read_desc(vq, vq->desc + (uint64_t)DESC_SIZE * idx, &d);
		if (ret)
			return ret;
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* The WRITE flag of this descriptor is meaningless and ignored
			 * (§2.7.5.3.2). */
			if (d.flags & VRING_DESC_F_NEXT)
				return -EINVAL;
			return walk_indirect(vq, req, &d);
		}
		ret = add_seg(req, &d);
		if (ret)
			return ret;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= vq->size)
			return -EINVAL;
		idx = d.next;
	}
}

static int broken(struct virtq *vq, int err)
{
	vq->broken = true;
	return err;
}

/* With EVENT_IDX the driver kicks only when it passes avail_event: ask for the next entry. */
static int request_kick(struct virtq *vq)
{
	return write16(vq, used_ring_addr(vq, vq->size), vq->last_avail_idx);
}

int virtq_pop(struct virtq *vq, struct virtq_req *req)
{
	uint16_t avail_idx, head;
	int ret;

	if (!vq->ready)
		return 0;
	if (vq->broken)
		return -EIO;
	if (read16(vq, vq->avail + 2, &avail_idx))
		return broken(vq, -EFAULT);
	if (avail_idx == vq->last_avail_idx) {
		if (!vq->event_idx)
			return 0;
		if (request_kick(vq))
			return broken(vq, -EFAULT);
		/* The driver may have added a buffer before it saw avail_event: look again. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (read16(vq, vq->avail + 2, &avail_idx))
			return broken(vq, -EFAULT);
		if (avail_idx == vq->last_avail_idx)
			return 0;
	}
	if ((uint16_t)(avail_idx - vq->last_avail_idx) > vq->size)
		return broken(vq, -EPROTO);
	/* Read the ring entry and descriptors only after seeing the index that covers them. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (read16(vq, avail_ring_addr(vq, vq->last_avail_idx & (vq->size - 1)), &head))
		return broken(vq, -EFAULT);
	if (head >= vq->size)
		return broken(vq, -EINVAL);
	memset(req, 0, offsetof(struct virtq_req, segs));
	req->dma = vq->dma;
	req->head = head;
	ret = walk_chain(vq, head, req);
	if (ret)
		return broken(vq, ret);
	vq->last_avail_idx++;
	return 1;
}

bool virtq_avail_pending(const struct virtq *vq)
{
	uint16_t avail_idx;

	if (!vq->ready || vq->broken || read16(vq, vq->avail + 2, &avail_idx))
		return false;
	return avail_idx != vq->last_avail_idx;
}

int virtq_push(struct virtq *vq, uint16_t head, uint32_t written)
{
	struct vring_used_elem elem = { .id = htole32(head), .len = htole32(written) };

	if (!vq->ready || vq->broken)
		return -EIO;
	if (head >= vq->size)
		return -EINVAL;
	if (dma_write(vq->dma, used_ring_addr(vq, vq->used_idx & (vq->size - 1)), &elem,
		      sizeof(elem)))
		return broken(vq, -EIO);
	/* The element must be visible before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (write16(vq, vq->used + 2, vq->used_idx + 1))
		return broken(vq, -EIO);
	vq->used_idx++;
	return 0;
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old = vq->notified_used_idx, now = vq->used_idx, val;

	if (!vq->ready || old == now)
		return false;
	vq->notified_used_idx = now;
	/* Our used->idx store before the driver's suppression field is read (§2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx) {
		if (read16(vq, avail_ring_addr(vq, vq->size), &val))
			return true; /* can't tell: an extra interrupt is harmless */
		return vring_need_event(val, now, old);
	}
	if (read16(vq, vq->avail, &val))
		return true;
	return !(val & VRING_AVAIL_F_NO_INTERRUPT);
}

/* Copies between @buf and the segments [first, end) of @req, from byte @off of those. */
static int req_copy(const struct virtq_req *req, unsigned int first, unsigned int end,
		    uint64_t total, uint64_t off, void *buf, uint64_t len, bool write)
{
	uint8_t *p = buf;
	unsigned int i;

	if (off > total || len > total - off)
		return -EINVAL;
	for (i = first; i < end && len; i++) {
		const struct virtq_seg *s = &req->segs[i];
		uint64_t n;
		int ret;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = s->len - off < len ? s->len - off : len;
		ret = write ? dma_write(req->dma, s->addr + off, p, n)
			    : dma_read(req->dma, s->addr + off, p, n);
		if (ret)
			return ret;
		p += n;
		len -= n;
		off = 0;
	}
	return 0;
}

int virtq_req_read(const struct virtq_req *req, uint64_t off, void *buf, uint64_t len)
{
	return req_copy(req, 0, req->nr_readable, req->readable_len, off, buf, len, false);
}

int virtq_req_write(const struct virtq_req *req, uint64_t off, const void *buf, uint64_t len)
{
	return req_copy(req, req->nr_readable, req->nr_segs, req->writable_len, off, (void *)buf,
			len, true);
}
