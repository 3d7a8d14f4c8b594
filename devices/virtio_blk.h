/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio block device (virtio 1.2 §5.2) on a raw image file or block device: one queue,
 * requests IN, OUT, FLUSH and GET_ID done synchronously with pread/pwrite/fdatasync on the
 * vCPU thread that kicks (under the transport lock). Other request types get
 * VIRTIO_BLK_S_UNSUPP; a transfer past the capacity, not a multiple of 512 bytes, a write to
 * a read-only disk or a buffer outside memory gets VIRTIO_BLK_S_IOERR. A chain with less than
 * a 16-byte header or no writable status byte is completed with nothing written (used length
 * 0) and the queue goes on.
 */
#ifndef NESTVM_VIRTIO_BLK_H
#define NESTVM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/virtio_blk.h>

#include "devices/virtio_mmio.h"

#define VIRTIO_BLK_QUEUE_SIZE 256
#define VIRTIO_BLK_SECTOR 512
#define VIRTIO_BLK_BOUNCE_SIZE (128 * 1024) /* bytes moved per pread/pwrite */

struct virtio_blk {
	struct virtio_mmio_dev mmio;
	int fd;
	bool ro;
	uint64_t capacity; /* in 512-byte sectors */
	struct virtio_blk_config config; /* little-endian, as the guest reads it */
	char id[VIRTIO_BLK_ID_BYTES];
	struct virtq_req req; /* the request being served; under mmio.lock */
	uint8_t *bounce;
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
int virtio_blk_attach(struct bus *mmio, uint64_t base, struct virtio_blk *blk);
void virtio_blk_destroy(struct virtio_blk *blk);

#endif
