/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio block device (virtio 1.2 §5.2) on a raw image file or block device: one queue,
 * requests IN, OUT, FLUSH and GET_ID. Other request types get VIRTIO_BLK_S_UNSUPP; a transfer
 * past the capacity, not a multiple of 512 bytes, a write to a read-only disk, a buffer
 * outside memory (or unmapped behind the IOMMU) or an image that ends early gets
 * VIRTIO_BLK_S_IOERR. A chain with less than a 16-byte header or no writable status byte is
 * completed with nothing written (used length 0) and the queue goes on.
 *
 * I/O: a kick that arrives on the io loop's thread (the KVM ioeventfd path, i.e. every kick
 * of a running guest) submits IN/OUT as IORING_OP_READV/WRITEV and FLUSH as IORING_OP_FSYNC
 * on the loop's ring, up to the queue size in flight; completions are pushed to the used
 * ring under the transport lock on the loop thread, one interrupt per batch. A kick on any
 * other thread (a QueueNotify register write that missed the ioeventfd, the unit tests, no
 * loop at all) is served synchronously with preadv/pwritev/fdatasync on that thread: the ring
 * may only be touched by the loop thread, and this keeps that path free of hand-offs.
 *
 * Guest memory: the iovecs point straight into guest RAM (zero copy, bounds-checked with gmem),
 * translated first behind the virtio-iommu, except for ring I/O behind it. Nothing may touch a
 * mapping after the guest's UNMAP completed: a synchronous request holds the dma_space's
 * begin/end bracket from its first translation to the end of its last syscall, so an UNMAP
 * waits for it; ring I/O outlives any bracket, so it goes through a per-request bounce buffer of
 * VIRTIO_BLK_BOUNCE_SIZE bytes (longer transfers go in pieces): guest to bounce when a write
 * piece is submitted, bounce to guest when a read piece completes. Short transfers are
 * resubmitted for the rest.
 *
 * Reset: requests in flight are dropped when they complete (reset_count), their buffers
 * freed; a reset from a vCPU waits for them (zero-copy reads may still land in RAM), a
 * reset on the loop thread cannot. virtio_blk_destroy() waits for requests in flight; after
 * ioloop_stop() there are none.
 */
#ifndef NESTVM_VIRTIO_BLK_H
#define NESTVM_VIRTIO_BLK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/virtio_blk.h>

#include "devices/virtio_mmio.h"
#include "vmm/ioloop.h"

#define VIRTIO_BLK_QUEUE_SIZE 256
#define VIRTIO_BLK_SECTOR 512
#define VIRTIO_BLK_BOUNCE_SIZE (256 * 1024) /* bytes per piece behind the IOMMU */

struct virtio_blk_req;

struct virtio_blk {
	struct virtio_mmio_dev mmio;
	int fd;
	bool ro;
	uint64_t capacity; /* in 512-byte sectors */
	struct virtio_blk_config config; /* little-endian, as the guest reads it */
	char id[VIRTIO_BLK_ID_BYTES];
	struct ioloop *loop; /* NULL: all I/O synchronous */
	struct ioloop_deferred flush; /* raises the interrupt after a batch of completions */

	struct virtio_blk_req *reqs; /* VIRTIO_BLK_QUEUE_SIZE request slots */
	uint8_t *bounce; /* a bounce buffer per slot, behind an IOMMU only */

	/* Under mmio.lock: */
	unsigned int fresh; /* slots never used yet: reqs[fresh..] */
	struct virtio_blk_req *spare; /* used slots free again */
	unsigned int in_flight; /* requests on the ring */
	unsigned int stale; /* of those, taken before the last reset */
	bool stalled; /* in_flight reached the queue size: pop more on a completion */
	bool used_pending; /* pushed since the last interrupt decision */
	bool flush_pending; /* @flush is queued on the loop */
	pthread_cond_t idle; /* broadcast when in_flight, stale or flush_pending drop */
};

/*
 * Splits a --disk argument "PATH[,ro]": a trailing ",ro" makes the disk read-only, the rest is
 * the path. Returns 0, or -EINVAL with the reason in @err.
 */
int virtio_blk_parse_arg(const char *arg, char *path, size_t pathlen, bool *ro, char *err,
			 size_t errlen);

/*
 * Opens @path (read-only when @ro) and sets up the device. Returns 0, or a negative errno
 * with the reason in @err. virtio_mmio_bus_ops() are the window's callbacks.
 */
int virtio_blk_init(struct virtio_blk *blk, const char *path, bool ro, const struct dma_space *dma,
		    struct irq_sink *irq, unsigned int gsi, char *err, size_t errlen);
/*
 * Whether the image behind @fd lives in memory (tmpfs, ramfs). Its requests are then served on
 * the vCPU that notifies: a copy that never waits for a disk, where io_uring would hand each
 * one to a worker thread (those file systems cannot promise a non-blocking read).
 */
bool virtio_blk_in_memory(int fd);
/* Kicks on @loop's thread go through its ring from now on; before the loop starts. */
void virtio_blk_use_loop(struct virtio_blk *blk, struct ioloop *loop);
int virtio_blk_attach(struct bus *mmio, uint64_t base, struct virtio_blk *blk);
void virtio_blk_destroy(struct virtio_blk *blk);

#endif
