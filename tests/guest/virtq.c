// SPDX-License-Identifier: GPL-2.0
#include "arch.h"
#include "lib.h"
#include "virtq.h"

void virtq_init(struct virtq *vq, struct virtq_mem *mem, uint16_t size)
{
	memset(mem, 0, sizeof(*mem));
	vq->size = size;
	vq->mem = mem;
	vq->desc = mem->desc;
	vq->avail = (volatile struct vring_avail *)&mem->avail;
	vq->used = (volatile struct vring_used *)&mem->used;
	/* We poll: ask the device not to interrupt us (it may still, §2.7.7). */
	vq->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	for (uint16_t i = 0; i < size; i++)
		vq->desc[i].next = i + 1 < size ? i + 1 : 0;
	vq->free_head = 0;
	vq->num_free = size;
	vq->avail_shadow = 0;
	vq->last_used = 0;
	vq->in_flight = 0;
}

static void fill(struct vring_desc *d, const struct virtq_buf *b, uint16_t flags)
{
	d->addr = (uintptr_t)b->addr;
	d->len = b->len;
	d->flags = flags;
}

/* The request in @vq's indirect table for @head, and one ring entry pointing at it. */
static void add_indirect(struct virtq *vq, uint16_t head, const struct virtq_buf *out,
			 unsigned int nr_out, const struct virtq_buf *in, unsigned int nr_in)
{
	struct vring_desc *t = vq->mem->indirect[head];
	unsigned int n = nr_out + nr_in;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t flags = i + 1 < n ? VRING_DESC_F_NEXT : 0;

		if (i >= nr_out)
			flags |= VRING_DESC_F_WRITE;
		fill(&t[i], i < nr_out ? &out[i] : &in[i - nr_out], flags);
		t[i].next = i + 1;
	}
	vq->desc[head].addr = (uintptr_t)t;
	vq->desc[head].len = n * sizeof(*t);
	vq->desc[head].flags = VRING_DESC_F_INDIRECT;
}

int virtq_add(struct virtq *vq, const struct virtq_buf *out, unsigned int nr_out,
	      const struct virtq_buf *in, unsigned int nr_in, bool indirect)
{
	unsigned int n = nr_out + nr_in, need = indirect ? 1 : n;
	uint16_t head = vq->free_head, i = head;

	if (!n || need > vq->num_free || (indirect && n > VIRTQ_MAX_INDIRECT))
		return -1;
	if (indirect) {
		add_indirect(vq, head, out, nr_out, in, nr_in);
		i = vq->desc[head].next;
	} else {
		for (unsigned int k = 0; k < n; k++) {
			uint16_t flags = k + 1 < n ? VRING_DESC_F_NEXT : 0;

			if (k >= nr_out)
				flags |= VRING_DESC_F_WRITE;
			fill(&vq->desc[i], k < nr_out ? &out[k] : &in[k - nr_out], flags);
			/* .next already links the free list; the last one keeps it for later. */
			i = vq->desc[i].next;
		}
	}
	vq->free_head = i;
	vq->num_free -= need;
	vq->avail->ring[vq->avail_shadow++ & (vq->size - 1)] = head;
	vq->in_flight++;
	return head;
}

void virtq_publish(struct virtq *vq)
{
	/* The ring entries before the index that makes them visible (§2.7.13). */
	barrier();
	vq->avail->idx = vq->avail_shadow;
}

bool virtq_get_used(struct virtq *vq, uint16_t *head, uint32_t *len)
{
	volatile struct vring_used_elem *e;
	uint16_t id, last, n = 1;

	if (vq->used->idx == vq->last_used)
		return false;
	/* The element after the index that announced it (x86: loads stay in order). */
	barrier();
	e = &vq->used->ring[vq->last_used++ & (vq->size - 1)];
	id = (uint16_t)e->id;
	*head = id;
	*len = e->len;
	vq->in_flight--;
	if (id >= vq->size)
		return true; /* a device bug: the caller sees the ID; the ring leaks an entry */
	/* Back on the free list: the whole chain, found through its NEXT flags. */
	for (last = id; vq->desc[last].flags & VRING_DESC_F_NEXT; n++)
		last = vq->desc[last].next;
	vq->desc[last].next = vq->free_head;
	vq->free_head = id;
	vq->num_free += n;
	return true;
}
