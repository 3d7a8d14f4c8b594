/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-blk's requests, from pop to used ring (virtio_blk.h tells the rules); internal. */
#ifndef NESTVM_VIRTIO_BLK_REQ_H
#define NESTVM_VIRTIO_BLK_REQ_H

#include "devices/virtio_blk.h"

/* Pops and serves or submits what the driver offered on queue 0. Under mmio.lock. */
void virtio_blk_process(struct virtio_blk *blk);
/* The device was reset: requests in flight become stale (see virtio_blk.h). Under the lock. */
void virtio_blk_reset_requests(struct virtio_blk *blk);
/* The deferred interrupt after a batch of completions; loop thread, takes the lock. */
void virtio_blk_flush_used(struct ioloop_deferred *d);
/* The request slots (and bounce buffers behind an IOMMU), once; 0 or -ENOMEM. */
int virtio_blk_alloc_requests(struct virtio_blk *blk);
/* Waits until nothing is in flight, then frees the slots. Takes the lock. */
void virtio_blk_free_requests(struct virtio_blk *blk);

#endif
