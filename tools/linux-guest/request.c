// SPDX-License-Identifier: GPL-2.0
/*
 * Requests on a virtqueue, completed by polling. map, unmap and the IOTLB syncs can be called
 * in atomic context (a NIC's dma_unmap in softirq), so a sender never sleeps: it adds its
 * buffer and kicks under the queue's lock, then spins until its own buffer comes back. The
 * lock is dropped while spinning, so several CPUs' requests share one notification and the
 * device serves them as one batch; whichever CPU takes the lock harvests every used buffer.
 *
 * A device that stops answering (reset, gone) must not hang the guest: after
 * NVI_TIMEOUT_MS the sender gives up with -ETIMEDOUT, leaves its buffer to whoever harvests
 * it later, and the queue is marked broken so that later requests fail at once.
 */
#include <linux/ktime.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>

#include "nvi.h"

#define NVI_TIMEOUT_MS 10000

enum { REQ_PENDING, REQ_DONE, REQ_ABANDONED };

struct nvi_pending {
	atomic_t state;
	unsigned int used_len;
	u8 buf[];
};

void nvi_queue_init(struct nvi_queue *q, struct virtqueue *vq, const char *name)
{
	q->vq = vq;
	q->name = name;
	q->broken = false;
	atomic_set(&q->inflight, 0);
	spin_lock_init(&q->lock);
}

int nvi_status_to_errno(u8 status)
{
	switch (status) {
	case VIRTIO_IOMMU_S_OK:
		return 0;
	case VIRTIO_IOMMU_S_UNSUPP:
		return -EOPNOTSUPP;
	case VIRTIO_IOMMU_S_INVAL:
		return -EINVAL;
	case VIRTIO_IOMMU_S_RANGE:
		return -ERANGE;
	case VIRTIO_IOMMU_S_NOENT:
		return -ENOENT;
	case VIRTIO_IOMMU_S_FAULT:
		return -EFAULT;
	case VIRTIO_IOMMU_S_NOMEM:
		return -ENOMEM;
	case VIRTIO_IOMMU_S_IOERR:
	case VIRTIO_IOMMU_S_DEVERR:
	default:
		return -EIO;
	}
}

/*
 * The device set DEVICE_NEEDS_RESET: it serves no request until reset. Said once, from the
 * configuration interrupt or from a waiter that read the status (its CPU may be the one the
 * interrupt needs); every request fails at once from then on.
 */
void nvi_device_needs_reset(struct nvi_dev *nvi)
{
	WRITE_ONCE(nvi->requestq.broken, true);
	WRITE_ONCE(nvi->invalq.broken, true);
	if (atomic_xchg(&nvi->needs_reset, 1))
		return;
	dev_err(nvi->dev, "the device needs a reset: its requests fail from now on (unbind and "
			  "bind the driver to reset it)\n");
}

static bool device_needs_reset(struct nvi_dev *nvi)
{
	return nvi->vdev->config->get_status(nvi->vdev) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/* Marks every used buffer done; called with q->lock held. */
static void harvest(struct nvi_queue *q)
{
	struct nvi_pending *p;
	unsigned int len;

	while ((p = virtqueue_get_buf(q->vq, &len))) {
		p->used_len = len;
		if (atomic_cmpxchg_release(&p->state, REQ_PENDING, REQ_DONE) == REQ_ABANDONED)
			kfree(p);
	}
}

static int add_and_kick(struct nvi_queue *q, struct nvi_pending *p, size_t out_len, size_t in_len,
			ktime_t deadline)
{
	struct scatterlist out, in, *sgs[2] = { &out, &in };
	unsigned long flags;
	int ret;

	sg_init_one(&out, p->buf, out_len);
	sg_init_one(&in, p->buf + out_len, in_len);
	for (;;) {
		spin_lock_irqsave(&q->lock, flags);
		ret = virtqueue_add_sgs(q->vq, sgs, 1, 1, p, GFP_ATOMIC);
		if (ret == -ENOSPC)
			harvest(q);
		else if (!ret)
			virtqueue_kick(q->vq);
		spin_unlock_irqrestore(&q->lock, flags);
		if (ret != -ENOSPC)
			return ret;
		/* The ring is full of other CPUs' requests: wait for the device to drain it. */
		if (ktime_after(ktime_get(), deadline))
			return -ETIMEDOUT;
		cpu_relax();
	}
}

/*
 * Sends @buf ([out_len bytes the device reads][in_len bytes it writes, ending with the
 * virtio_iommu_req_tail]) on @q and waits for it; the written part is copied back into @buf.
 * Returns the request's status as an errno.
 */
int nvi_send(struct nvi_dev *nvi, struct nvi_queue *q, void *buf, size_t out_len, size_t in_len)
{
	ktime_t deadline = ktime_add_ms(ktime_get(), NVI_TIMEOUT_MS);
	ktime_t status_check = ktime_add_ms(ktime_get(), 1);
	struct virtio_iommu_req_tail *tail;
	struct nvi_pending *p;
	unsigned long flags;
	int ret;

	if (READ_ONCE(q->broken) || virtqueue_is_broken(q->vq))
		return -EIO;
	p = kmalloc(sizeof(*p) + out_len + in_len, GFP_ATOMIC);
	if (!p)
		return -ENOMEM;
	atomic_set(&p->state, REQ_PENDING);
	memcpy(p->buf, buf, out_len + in_len);

	atomic_inc(&q->inflight);
	ret = add_and_kick(q, p, out_len, in_len, deadline);
	if (ret) {
		kfree(p);
		goto out;
	}
	while (atomic_read_acquire(&p->state) != REQ_DONE) {
		if (spin_trylock_irqsave(&q->lock, flags)) {
			harvest(q);
			spin_unlock_irqrestore(&q->lock, flags);
			if (atomic_read_acquire(&p->state) == REQ_DONE)
				break;
		}
		/* A slow answer: does the device still serve? (an MMIO read: once a ms) */
		if (ktime_after(ktime_get(), status_check)) {
			if (device_needs_reset(nvi))
				nvi_device_needs_reset(nvi);
			status_check = ktime_add_ms(ktime_get(), 1);
		}
		if (READ_ONCE(q->broken) &&
		    atomic_cmpxchg(&p->state, REQ_PENDING, REQ_ABANDONED) == REQ_PENDING) {
			ret = -EIO; /* the device asked for a reset: no answer will come */
			goto out;
		}
		if (ktime_after(ktime_get(), deadline) &&
		    atomic_cmpxchg(&p->state, REQ_PENDING, REQ_ABANDONED) == REQ_PENDING) {
			WRITE_ONCE(q->broken, true);
			dev_err(
			    nvi->dev,
			    "%s: no answer in %d ms: the device is not serving its queue (reset?); "
			    "its requests fail from now on\n",
			    q->name, NVI_TIMEOUT_MS);
			ret = -ETIMEDOUT;
			goto out;
		}
		cpu_relax();
	}
	memcpy(buf + out_len, p->buf + out_len, in_len);
	tail = buf + out_len + in_len - sizeof(*tail);
	if (p->used_len < sizeof(*tail))
		ret = -EIO; /* the device wrote no status */
	else
		ret = nvi_status_to_errno(tail->status);
	kfree(p);
out:
	atomic_dec(&q->inflight);
	if (ret)
		nvi_count(nvi, NVI_REQ_ERRORS);
	return ret;
}
