// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/virtio_ids.h>

#include "devices/virtio_blk.h"
#include "devices/virtio_blk_req.h"
#include "vmm/util.h"

#define BIT64(n) (1ULL << (n))

static void blk_queue_notify(struct virtio_mmio_dev *dev, unsigned int queue)
{
	virtio_blk_process(virtio_mmio_backend(dev));
	virtio_mmio_used(dev, queue); /* for what was answered at once or synchronously */
}

static void blk_reset(struct virtio_mmio_dev *dev)
{
	virtio_blk_reset_requests(virtio_mmio_backend(dev));
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
	.reset = blk_reset,
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

bool virtio_blk_in_memory(int fd)
{
	struct statfs fs;

	return !fstatfs(fd, &fs) && (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC);
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
	pthread_cond_init(&blk->idle, NULL);
	blk->flush.fn = virtio_blk_flush_used;
	blk->ro = ro;
	blk->capacity = size / VIRTIO_BLK_SECTOR; /* a partial last sector is not exposed */
	blk->config.capacity = htole64(blk->capacity);
	/* Header and status take a segment each. */
	blk->config.seg_max = htole32(VIRTQ_MAX_SEGS - 2);
	snprintf(blk->id, sizeof(blk->id), "nestvm-disk");
	if (ro)
		features |= BIT64(VIRTIO_BLK_F_RO);
	virtio_mmio_init(&blk->mmio, &blk_ops, blk, features, dma, irq, gsi);
	blk->mmio.notify_on_vcpu = virtio_blk_in_memory(blk->fd);
	if (virtio_blk_alloc_requests(blk)) {
		virtio_mmio_destroy(&blk->mmio);
		pthread_cond_destroy(&blk->idle);
		close(blk->fd);
		return errmsg(err, errlen, -ENOMEM, "--disk %s: out of memory", path);
	}
	return 0;
}

void virtio_blk_use_loop(struct virtio_blk *blk, struct ioloop *loop)
{
	blk->loop = loop;
}

int virtio_blk_attach(struct bus *mmio, uint64_t base, struct virtio_blk *blk)
{
	return virtio_mmio_attach(mmio, base, &blk->mmio, "virtio-blk");
}

void virtio_blk_destroy(struct virtio_blk *blk)
{
	virtio_blk_free_requests(blk);
	pthread_cond_destroy(&blk->idle);
	virtio_mmio_destroy(&blk->mmio);
	if (blk->fd >= 0)
		close(blk->fd);
	blk->fd = -1;
}
