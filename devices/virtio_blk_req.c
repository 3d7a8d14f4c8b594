// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk requests: the header, the range checks, the iovecs (zero copy into RAM, or a
 * bounce buffer for ring I/O behind the IOMMU), the I/O on the loop's ring or synchronously,
 * the status byte and the used ring. All of it under the transport lock.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "devices/virtio_blk_req.h"
#include "vmm/util.h"

#define HEADER_SIZE sizeof(struct virtio_blk_outhdr)
#define MAX_IOV 1024 /* UIO_MAXIOV: the rest of a longer request goes in the next piece */

struct virtio_blk_req {
	struct ioloop_op op;
	struct virtio_blk *blk;
	struct virtio_blk_req *next; /* in blk->spare */
	uint64_t reset_count; /* the device's when the request was popped */
	uint32_t type;
	bool write; /* OUT: guest to disk */
	bool zero_copy;
	uint64_t pos; /* byte offset in the image */
	uint64_t data_off; /* where the data starts in the readable (OUT) or writable (IN) bytes */
	uint64_t len, done; /* data bytes to move, and moved so far */
	uint64_t delivered; /* IN: bytes that reached the guest */
	uint32_t status_off; /* the status byte in the writable bytes */
	uint64_t chunk_start, chunk_end; /* the part of [0, len) in @bounce */
	uint8_t *bounce; /* VIRTIO_BLK_BOUNCE_SIZE bytes behind the IOMMU, else NULL */
	unsigned int niov;
	struct iovec iov[MAX_IOV];
	struct virtq_req req;
};

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * Slots come from one array allocated up front: the io thread's seccomp filter has no
 * mprotect, which glibc needs to grow a thread's malloc arena. Slots never used stay
 * untouched, so they cost address space, not memory.
 */
static struct virtio_blk_req *get_req(struct virtio_blk *blk)
{
	struct virtio_blk_req *r = blk->spare;

	if (r) {
		blk->spare = r->next;
		return r;
	}
	if (blk->fresh == VIRTIO_BLK_QUEUE_SIZE)
		return NULL;
	r = &blk->reqs[blk->fresh];
	r->blk = blk;
	r->bounce = blk->bounce ? blk->bounce + (size_t)blk->fresh * VIRTIO_BLK_BOUNCE_SIZE : NULL;
	blk->fresh++;
	return r;
}

static void put_req(struct virtio_blk *blk, struct virtio_blk_req *r)
{
	r->next = blk->spare;
	blk->spare = r;
}

static struct virtq *blk_queue(struct virtio_blk *blk)
{
	return virtio_mmio_queue(&blk->mmio, 0);
}

/* Writes the status byte, pushes the chain and recycles the slot. */
static void finish(struct virtio_blk *blk, struct virtio_blk_req *r, uint8_t status)
{
	uint32_t used = 0;

	if (!virtq_req_write(&r->req, r->status_off, &status, 1))
		used = r->delivered + 1;
	virtq_push(blk_queue(blk), r->req.head, used); /* a failure breaks the queue: see used() */
	put_req(blk, r);
}

/* Whether @len bytes at @sector lie inside the disk, in whole sectors. */
static bool in_range(const struct virtio_blk *blk, uint64_t sector, uint64_t len)
{
	uint64_t sectors = len / VIRTIO_BLK_SECTOR;

	if (len % VIRTIO_BLK_SECTOR)
		return false;
	return sector <= blk->capacity && sectors <= blk->capacity - sector;
}

/*
 * Zero copy: iovecs for the data from @done on, straight into RAM, split at region ends and,
 * behind the IOMMU, at mapping ends (translated for the device's access: it writes memory for
 * IN). The caller holds the dma_space's begin/end bracket until the I/O is over.
 */
static int map_data(struct virtio_blk *blk, struct virtio_blk_req *r)
{
	const struct dma_space *dma = blk->mmio.dma;
	const struct virtq_req *q = &r->req;
	unsigned int i = r->write ? 0 : q->nr_readable;
	unsigned int end = r->write ? q->nr_readable : q->nr_segs;
	uint64_t skip = r->data_off + r->done, left = r->len - r->done;

	r->niov = 0;
	for (; i < end && left && r->niov < MAX_IOV; i++) {
		uint64_t addr = q->segs[i].addr, n = q->segs[i].len;

		if (skip >= n) {
			skip -= n;
			continue;
		}
		addr += skip;
		n = min64(n - skip, left);
		skip = 0;
		while (n && r->niov < MAX_IOV) {
			uint64_t gpa = addr, span = n;
			void *p;

			if (dma->translate &&
			    dma->translate(dma->opaque, addr, n, !r->write, &gpa, &span))
				return -EFAULT;
			p = gmem_span(dma->mem, gpa, min64(span, n), &span);
			if (!p)
				return -EFAULT;
			r->iov[r->niov++] = (struct iovec){ .iov_base = p, .iov_len = span };
			addr += span;
			n -= span;
			left -= span;
		}
	}
	return r->niov ? 0 : -EFAULT;
}

/* Behind the IOMMU: the next piece through the bounce buffer, read from the guest for OUT. */
static int bounce_data(struct virtio_blk_req *r)
{
	if (r->done == r->chunk_end) {
		uint64_t n = min64(r->len - r->done, VIRTIO_BLK_BOUNCE_SIZE);

		r->chunk_start = r->done;
		r->chunk_end = r->done + n;
		if (r->write && virtq_req_read(&r->req, r->data_off + r->done, r->bounce, n))
			return -EFAULT;
	}
	r->iov[0].iov_base = r->bounce + (r->done - r->chunk_start);
	r->iov[0].iov_len = r->chunk_end - r->done;
	r->niov = 1;
	return 0;
}

/* Fills r->iov for the next piece of I/O. */
static int prepare(struct virtio_blk *blk, struct virtio_blk_req *r)
{
	return r->zero_copy ? map_data(blk, r) : bounce_data(r);
}

/* Accounts one finished piece: 1 when more is to do, 0 when done, or a negative errno. */
static int advance(struct virtio_blk_req *r, int res)
{
	if (r->type == VIRTIO_BLK_T_FLUSH)
		return res < 0 && res != -EINVAL ? res : 0; /* EINVAL: a file that cannot sync */
	if (res < 0)
		return res;
	if (res == 0)
		return -EIO; /* end of file: the image shrank under us */
	r->done += res;
	if (!r->write) {
		if (r->zero_copy) {
			r->delivered = r->done;
		} else if (r->done == r->chunk_end) {
			if (virtq_req_write(&r->req, r->data_off + r->chunk_start, r->bounce,
					    r->chunk_end - r->chunk_start))
				return -EFAULT;
			r->delivered = r->done;
		}
	}
	return r->done < r->len;
}

static ssize_t sync_io(struct virtio_blk *blk, struct virtio_blk_req *r)
{
	ssize_t n;

	do {
		if (r->type == VIRTIO_BLK_T_FLUSH)
			n = fdatasync(blk->fd);
		else if (r->write)
			n = pwritev(blk->fd, r->iov, r->niov, r->pos + r->done);
		else
			n = preadv(blk->fd, r->iov, r->niov, r->pos + r->done);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/*
 * A kick off the loop thread: the whole request now, on this thread. Zero copy behind the
 * IOMMU holds the dma_space's bracket from the first translation to the end of the last
 * syscall, so an UNMAP completes before the request's data moves or after: never during.
 */
static void run_sync(struct virtio_blk *blk, struct virtio_blk_req *r)
{
	const struct dma_space *dma = blk->mmio.dma;
	/* Synchronous requests are always zero copy: only their data needs the bracket. */
	bool bracket = dma->translate && dma->begin && r->type != VIRTIO_BLK_T_FLUSH;
	int ret;

	if (bracket)
		dma->begin(dma->opaque);
	do {
		ret = r->type == VIRTIO_BLK_T_FLUSH ? 0 : prepare(blk, r);
		if (!ret)
			ret = advance(r, sync_io(blk, r));
	} while (ret > 0);
	if (bracket)
		dma->end(dma->opaque);
	finish(blk, r, ret ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
}

static void req_done(struct ioloop_op *op, int res);

static int submit(struct virtio_blk *blk, struct virtio_blk_req *r)
{
	struct io_uring_sqe *sqe;
	int ret = r->type == VIRTIO_BLK_T_FLUSH ? 0 : prepare(blk, r);

	if (ret)
		return ret;
	sqe = ioloop_sqe(blk->loop);
	if (!sqe)
		return -EBUSY;
	if (r->type == VIRTIO_BLK_T_FLUSH)
		io_uring_prep_fsync(sqe, blk->fd, IORING_FSYNC_DATASYNC);
	else if (r->write)
		io_uring_prep_writev(sqe, blk->fd, r->iov, r->niov, r->pos + r->done);
	else
		io_uring_prep_readv(sqe, blk->fd, r->iov, r->niov, r->pos + r->done);
	r->op.done = req_done;
	ioloop_submit(blk->loop, sqe, &r->op);
	return 0;
}

static bool queue_usable(struct virtio_blk *blk)
{
	struct virtq *vq = blk_queue(blk);

	return (blk->mmio.status & VIRTIO_CONFIG_S_DRIVER_OK) && vq->ready && !vq->broken;
}

/* Loop thread: one piece of a request ended. */
static void req_done(struct ioloop_op *op, int res)
{
	struct virtio_blk_req *r = container_of(op, struct virtio_blk_req, op);
	struct virtio_blk *blk = r->blk;
	int ret;

	virtio_mmio_lock(&blk->mmio);
	if (r->reset_count != virtio_mmio_reset_count(&blk->mmio)) {
		/* From before a reset: the guest's buffers are no longer ours to touch. */
		blk->stale--;
		blk->in_flight--;
		put_req(blk, r);
		pthread_cond_broadcast(&blk->idle);
		virtio_mmio_unlock(&blk->mmio);
		return;
	}
	ret = advance(r, res);
	if (ret > 0) {
		ret = submit(blk, r);
		if (!ret) {
			virtio_mmio_unlock(&blk->mmio);
			return;
		}
	}
	blk->in_flight--;
	finish(blk, r, ret ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
	blk->used_pending = true;
	if (!blk->flush_pending) {
		blk->flush_pending = true;
		ioloop_defer(blk->loop, &blk->flush);
	}
	if (blk->stalled && queue_usable(blk))
		virtio_blk_process(blk);
	pthread_cond_broadcast(&blk->idle);
	virtio_mmio_unlock(&blk->mmio);
}

void virtio_blk_flush_used(struct ioloop_deferred *d)
{
	struct virtio_blk *blk = container_of(d, struct virtio_blk, flush);

	virtio_mmio_lock(&blk->mmio);
	if (blk->used_pending) {
		blk->used_pending = false;
		virtio_mmio_used(&blk->mmio, 0);
	}
	blk->flush_pending = false;
	pthread_cond_broadcast(&blk->idle);
	virtio_mmio_unlock(&blk->mmio);
}

/* Checks an IN or OUT and sets up its transfer; the status to report when it is refused. */
static uint8_t setup_rw(struct virtio_blk *blk, struct virtio_blk_req *r, uint64_t sector)
{
	const struct virtq_req *q = &r->req;

	r->write = r->type == VIRTIO_BLK_T_OUT;
	r->data_off = r->write ? HEADER_SIZE : 0;
	r->len = r->write ? q->readable_len - HEADER_SIZE : r->status_off;
	if ((r->write && blk->ro) || !in_range(blk, sector, r->len))
		return VIRTIO_BLK_S_IOERR;
	r->pos = sector * VIRTIO_BLK_SECTOR;
	return VIRTIO_BLK_S_OK;
}

/* A popped chain: answered at once, run synchronously, or submitted (@async). */
static void start(struct virtio_blk *blk, struct virtio_blk_req *r, bool async)
{
	const struct virtq_req *q = &r->req;
	struct virtio_blk_outhdr hdr;
	uint8_t status = VIRTIO_BLK_S_OK;
	uint64_t n;

	r->done = r->delivered = r->len = 0;
	r->chunk_start = r->chunk_end = 0;
	/* Ring I/O behind the IOMMU bounces: it ends after the guest may have unmapped. */
	r->zero_copy = !blk->mmio.dma->translate || !async;
	/* §5.2.6: a header and a status byte; without them there is nowhere to report to. */
	if (q->readable_len < HEADER_SIZE || q->writable_len < 1) {
		virtq_push(blk_queue(blk), q->head, 0);
		put_req(blk, r);
		return;
	}
	r->status_off = q->writable_len - 1;
	if (virtq_req_read(q, 0, &hdr, sizeof(hdr))) {
		finish(blk, r, VIRTIO_BLK_S_IOERR);
		return;
	}
	r->type = le32toh(hdr.type);
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		status = setup_rw(blk, r, le64toh(hdr.sector));
		break;
	case VIRTIO_BLK_T_FLUSH:
		break;
	case VIRTIO_BLK_T_GET_ID:
		n = min64(r->status_off, VIRTIO_BLK_ID_BYTES);
		if (virtq_req_write(q, 0, blk->id, n)) {
			status = VIRTIO_BLK_S_IOERR;
		} else {
			r->delivered = n;
		}
		finish(blk, r, status);
		return;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (status != VIRTIO_BLK_S_OK || (r->type != VIRTIO_BLK_T_FLUSH && !r->len)) {
		finish(blk, r, status);
	} else if (!async) {
		run_sync(blk, r);
	} else {
		r->reset_count = virtio_mmio_reset_count(&blk->mmio);
		if (submit(blk, r))
			finish(blk, r, VIRTIO_BLK_S_IOERR);
		else
			blk->in_flight++;
	}
}

void virtio_blk_process(struct virtio_blk *blk)
{
	struct virtq *vq = blk_queue(blk);
	bool async = blk->loop && ioloop_on_thread(blk->loop);

	blk->stalled = false;
	for (;;) {
		struct virtio_blk_req *r;

		/* A driver cannot have more chains out than the queue holds; a bad one could. */
		if (async && blk->in_flight >= vq->size) {
			blk->stalled = true;
			break;
		}
		r = get_req(blk);
		if (!r) {
			blk->stalled = blk->in_flight > 0; /* retried when one completes */
			break;
		}
		if (virtq_pop(vq, &r->req) <= 0) {
			put_req(blk, r);
			break;
		}
		start(blk, r, async);
	}
}

void virtio_blk_reset_requests(struct virtio_blk *blk)
{
	blk->stale = blk->in_flight;
	blk->stalled = false;
	blk->used_pending = false;
	/* A zero-copy read in flight may still write RAM the driver took back: wait for it. */
	if (blk->loop && !ioloop_on_thread(blk->loop)) {
		while (blk->stale)
			pthread_cond_wait(&blk->idle, &blk->mmio.lock);
	}
}

int virtio_blk_alloc_requests(struct virtio_blk *blk)
{
	blk->reqs = malloc(VIRTIO_BLK_QUEUE_SIZE * sizeof(*blk->reqs));
	if (blk->mmio.dma->translate)
		blk->bounce = malloc((size_t)VIRTIO_BLK_QUEUE_SIZE * VIRTIO_BLK_BOUNCE_SIZE);
	if (!blk->reqs || (blk->mmio.dma->translate && !blk->bounce)) {
		free(blk->reqs);
		free(blk->bounce);
		return -ENOMEM;
	}
	return 0;
}

void virtio_blk_free_requests(struct virtio_blk *blk)
{
	virtio_mmio_lock(&blk->mmio);
	while (blk->in_flight || blk->flush_pending)
		pthread_cond_wait(&blk->idle, &blk->mmio.lock);
	virtio_mmio_unlock(&blk->mmio);
	free(blk->reqs);
	free(blk->bounce);
	blk->reqs = NULL;
	blk->bounce = NULL;
	blk->spare = NULL;
}
