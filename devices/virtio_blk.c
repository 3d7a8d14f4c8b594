// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/virtio_ids.h>

#include "devices/virtio_blk.h"
#include "vmm/util.h"

#define BIT64(n) (1ULL << (n))
#define HEADER_SIZE sizeof(struct virtio_blk_outhdr)

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Whole transfers or an error: short counts are retried, EOF is an error. */
static int pread_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		buf += n;
		len -= n;
		off += n;
	}
	return 0;
}

static int pwrite_full(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		buf += n;
		len -= n;
		off += n;
	}
	return 0;
}

/* Whether @len bytes at @sector lie inside the disk, in whole sectors. */
static bool in_range(const struct virtio_blk *blk, uint64_t sector, uint64_t len)
{
	uint64_t sectors = len / VIRTIO_BLK_SECTOR;

	if (len % VIRTIO_BLK_SECTOR)
		return false;
	return sector <= blk->capacity && sectors <= blk->capacity - sector;
}

/* Disk to guest: the writable data before the status byte. *done counts bytes delivered. */
static uint8_t do_read(struct virtio_blk *blk, uint64_t sector, uint64_t len, uint64_t *done)
{
	uint64_t off = sector * VIRTIO_BLK_SECTOR;

	if (!in_range(blk, sector, len))
		return VIRTIO_BLK_S_IOERR;
	while (*done < len) {
		uint64_t n = min64(len - *done, VIRTIO_BLK_BOUNCE_SIZE);

		if (pread_full(blk->fd, blk->bounce, n, off + *done) ||
		    virtq_req_write(&blk->req, *done, blk->bounce, n))
			return VIRTIO_BLK_S_IOERR;
		*done += n;
	}
	return VIRTIO_BLK_S_OK;
}

/* Guest to disk: the readable data after the header. */
static uint8_t do_write(struct virtio_blk *blk, uint64_t sector, uint64_t len)
{
	uint64_t off = sector * VIRTIO_BLK_SECTOR, done = 0;

	if (blk->ro || !in_range(blk, sector, len))
		return VIRTIO_BLK_S_IOERR;
	while (done < len) {
		uint64_t n = min64(len - done, VIRTIO_BLK_BOUNCE_SIZE);

		if (virtq_req_read(&blk->req, HEADER_SIZE + done, blk->bounce, n) ||
		    pwrite_full(blk->fd, blk->bounce, n, off + done))
			return VIRTIO_BLK_S_IOERR;
		done += n;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_get_id(struct virtio_blk *blk, uint64_t len, uint64_t *done)
{
	uint64_t n = min64(len, VIRTIO_BLK_ID_BYTES);

	if (virtq_req_write(&blk->req, 0, blk->id, n))
		return VIRTIO_BLK_S_IOERR;
	*done = n;
	return VIRTIO_BLK_S_OK;
}

/* Serves blk->req and returns the used length to report. */
static uint32_t serve(struct virtio_blk *blk)
{
	const struct virtq_req *req = &blk->req;
	struct virtio_blk_outhdr hdr;
	uint64_t data_in, data_out, done = 0;
	uint8_t status;

	/* §5.2.6: a header and a status byte; without them there is nowhere to report to. */
	if (req->readable_len < HEADER_SIZE || req->writable_len < 1)
		return 0;
	data_in = req->writable_len - 1;
	data_out = req->readable_len - HEADER_SIZE;
	if (virtq_req_read(req, 0, &hdr, sizeof(hdr))) {
		status = VIRTIO_BLK_S_IOERR;
	} else {
		switch (le32toh(hdr.type)) {
		case VIRTIO_BLK_T_IN:
			status = do_read(blk, le64toh(hdr.sector), data_in, &done);
			break;
		case VIRTIO_BLK_T_OUT:
			status = do_write(blk, le64toh(hdr.sector), data_out);
			break;
		case VIRTIO_BLK_T_FLUSH:
			status = fdatasync(blk->fd) && errno != EINVAL ? VIRTIO_BLK_S_IOERR
								       : VIRTIO_BLK_S_OK;
			break;
		case VIRTIO_BLK_T_GET_ID:
			status = do_get_id(blk, data_in, &done);
			break;
		default:
			status = VIRTIO_BLK_S_UNSUPP;
			break;
		}
	}
	if (virtq_req_write(req, data_in, &status, 1))
		return 0;
	return done + 1;
}

static void blk_queue_notify(struct virtio_mmio_dev *dev, unsigned int queue)
{
	struct virtio_blk *blk = virtio_mmio_backend(dev);
	struct virtq *vq = virtio_mmio_queue(dev, queue);

	while (virtq_pop(vq, &blk->req) > 0) {
		if (virtq_push(vq, blk->req.head, serve(blk)))
			break;
	}
	virtio_mmio_used(dev, queue);
}

static void blk_config_read(struct virtio_mmio_dev *dev, unsigned int offset, void *data,
			    unsigned int len)
{
	struct virtio_blk *blk = virtio_mmio_backend(dev);

	memcpy(data, (const uint8_t *)&blk->config + offset, len);
}

static const struct virtio_backend_ops blk_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.queue_max = VIRTIO_BLK_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_blk_config),
	.config_read = blk_config_read,
	.queue_notify = blk_queue_notify,
};

int virtio_blk_parse_arg(const char *arg, char *path, size_t pathlen, bool *ro, char *err,
			 size_t errlen)
{
	size_t len = strlen(arg);

	*ro = len >= 3 && !strcmp(arg + len - 3, ",ro");
	if (*ro)
		len -= 3;
	if (!len)
		return errmsg(err, errlen, -EINVAL, "--disk needs a path: --disk PATH[,ro]");
	if (len >= pathlen)
		return errmsg(err, errlen, -EINVAL, "--disk: the path is too long");
	memcpy(path, arg, len);
	path[len] = '\0';
	return 0;
}

static int disk_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) ? -errno : 0;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*size = st.st_size;
	return 0;
}

int virtio_blk_init(struct virtio_blk *blk, const char *path, bool ro, const struct dma_space *dma,
		    struct irq_sink *irq, unsigned int gsi, char *err, size_t errlen)
{
	uint64_t size, features = BIT64(VIRTIO_BLK_F_FLUSH) | BIT64(VIRTIO_BLK_F_SEG_MAX);
	int ret;

	memset(blk, 0, sizeof(*blk));
	blk->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (blk->fd < 0)
		return errmsg(err, errlen, -errno, "--disk %s: %s", path, strerror(errno));
	ret = disk_size(blk->fd, &size);
	if (ret) {
		close(blk->fd);
		return errmsg(err, errlen, ret, "--disk %s: not a regular file or block device",
			      path);
	}
	blk->bounce = malloc(VIRTIO_BLK_BOUNCE_SIZE);
	if (!blk->bounce) {
		close(blk->fd);
		return errmsg(err, errlen, -ENOMEM, "--disk %s: out of memory", path);
	}
	blk->ro = ro;
	blk->capacity = size / VIRTIO_BLK_SECTOR; /* a partial last sector is not exposed */
	blk->config.capacity = htole64(blk->capacity);
	/* Header and status take a segment each. */
	blk->config.seg_max = htole32(VIRTQ_MAX_SEGS - 2);
	snprintf(blk->id, sizeof(blk->id), "nestvm-disk");
	if (ro)
		features |= BIT64(VIRTIO_BLK_F_RO);
	virtio_mmio_init(&blk->mmio, &blk_ops, blk, features, dma, irq, gsi);
	return 0;
}

int virtio_blk_attach(struct bus *mmio, uint64_t base, struct virtio_blk *blk)
{
	return virtio_mmio_attach(mmio, base, &blk->mmio, "virtio-blk");
}

void virtio_blk_destroy(struct virtio_blk *blk)
{
	virtio_mmio_destroy(&blk->mmio);
	free(blk->bounce);
	if (blk->fd >= 0)
		close(blk->fd);
	blk->fd = -1;
}
