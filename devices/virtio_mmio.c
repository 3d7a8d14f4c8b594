// SPDX-License-Identifier: GPL-2.0
/* virtio-mmio version 2 registers (virtio 1.2 §4.2.2); the driver rules are in virtio_mmio.h. */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "devices/virtio_mmio.h"

#define MAGIC 0x74726976 /* "virt" */
#define VERSION 2

#define BIT64(n) (1ULL << (n))
#define STATUS_STEPS                                                                          \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | \
	 VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FAILED)

static void update_irq(struct virtio_mmio_dev *dev)
{
	bool level = dev->interrupt_status != 0;

	if (level == dev->irq_level || !dev->irq)
		return;
	dev->irq_level = level;
	dev->irq->set_level(dev->irq, dev->gsi, level);
}

static void raise(struct virtio_mmio_dev *dev, uint32_t bits)
{
	dev->interrupt_status |= bits;
	update_irq(dev);
}

static void device_reset(struct virtio_mmio_dev *dev)
{
	unsigned int i;

	dev->driver_features = 0;
	dev->device_features_sel = 0;
	dev->driver_features_sel = 0;
	dev->queue_sel = 0;
	dev->status = 0;
	dev->interrupt_status = 0;
	update_irq(dev);
	for (i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		virtq_reset(&dev->queues[i], dev->dma);
	/* Atomic: a thread with a request in flight compares it without the lock. */
	__atomic_fetch_add(&dev->reset_count, 1, __ATOMIC_RELEASE);
	if (dev->ops->reset)
		dev->ops->reset(dev);
	if (dev->ops->features_accepted)
		dev->ops->features_accepted(dev, 0);
}

static bool features_acceptable(const struct virtio_mmio_dev *dev)
{
	uint64_t f = dev->driver_features;

	if (f & ~dev->device_features)
		return false;
	if (!(f & BIT64(VIRTIO_F_VERSION_1)))
		return false; /* modern only */
	/* Behind an IOMMU, a driver that uses physical addresses would bypass it. */
	if (dev->dma->translate && !(f & BIT64(VIRTIO_F_ACCESS_PLATFORM)))
		return false;
	return true;
}

/* Each step of §3.1.1 needs the one before; out-of-order bits are dropped. */
static void write_status(struct virtio_mmio_dev *dev, uint32_t val)
{
	uint32_t old = dev->status, new;
	unsigned int i;

	if (!val) {
		device_reset(dev);
		return;
	}
	if (old & STATUS_STEPS & ~val)
		return; /* only a reset clears bits */
	new = (val & STATUS_STEPS) | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	if (!(new &VIRTIO_CONFIG_S_ACKNOWLEDGE))
		new &= ~VIRTIO_CONFIG_S_DRIVER;
	if (!(new &VIRTIO_CONFIG_S_DRIVER) ||
	    (!(old & VIRTIO_CONFIG_S_FEATURES_OK) && !features_acceptable(dev)))
		new &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	if (!(new &VIRTIO_CONFIG_S_FEATURES_OK))
		new &= ~VIRTIO_CONFIG_S_DRIVER_OK;
	dev->status = new;
	if ((new &VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		for (i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
			dev->queues[i].event_idx =
			    dev->driver_features & BIT64(VIRTIO_RING_F_EVENT_IDX);
		if (dev->ops->features_accepted)
			dev->ops->features_accepted(dev, dev->driver_features);
	}
}

static struct virtq *selected_queue(struct virtio_mmio_dev *dev)
{
	return dev->queue_sel < dev->ops->num_queues ? &dev->queues[dev->queue_sel] : NULL;
}

/* The selected queue, when its setup registers may be written now. */
static struct virtq *queue_to_configure(struct virtio_mmio_dev *dev)
{
	struct virtq *vq = selected_queue(dev);

	if (!vq || vq->ready)
		return NULL;
	if (!(dev->status & VIRTIO_CONFIG_S_FEATURES_OK) ||
	    (dev->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return NULL;
	return vq;
}

static void set_half(uint64_t *addr, bool high, uint32_t val)
{
	if (high)
		*addr = (*addr & 0xffffffffULL) | ((uint64_t)val << 32);
	else
		*addr = (*addr & ~0xffffffffULL) | val;
}

static void write_queue_ready(struct virtio_mmio_dev *dev, uint32_t val)
{
	struct virtq *vq = selected_queue(dev);

	if (!vq)
		return;
	if (!val) {
		vq->ready = false; /* the driver takes the queue down (Linux does on removal) */
		return;
	}
	vq = queue_to_configure(dev);
	if (!vq || vq->size > dev->ops->queue_max)
		return;
	virtq_enable(vq); /* on failure the queue stays not ready, which the driver reads back */
}

static void queue_notify(struct virtio_mmio_dev *dev, uint32_t queue)
{
	struct virtq *vq;

	if (queue >= dev->ops->num_queues || !(dev->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	vq = &dev->queues[queue];
	if (!vq->ready || vq->broken)
		return;
	dev->ops->queue_notify(dev, queue);
	if (vq->broken)
		virtio_mmio_needs_reset(dev);
}

static uint32_t feature_word(uint64_t features, uint32_t sel)
{
	return sel < 2 ? (uint32_t)(features >> (32 * sel)) : 0;
}

static uint32_t read_reg(struct virtio_mmio_dev *dev, unsigned int reg)
{
	struct virtq *vq = selected_queue(dev);

	switch (reg) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VERSION;
	case VIRTIO_MMIO_DEVICE_ID:
		return dev->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return feature_word(dev->device_features, dev->device_features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return vq ? dev->ops->queue_max : 0;
	case VIRTIO_MMIO_QUEUE_NUM:
		return vq ? vq->size : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return vq ? vq->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return dev->interrupt_status;
	case VIRTIO_MMIO_STATUS:
		return dev->status;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return vq ? feature_word(vq->desc, reg == VIRTIO_MMIO_QUEUE_DESC_HIGH) : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		return vq ? feature_word(vq->avail, reg == VIRTIO_MMIO_QUEUE_AVAIL_HIGH) : 0;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		return vq ? feature_word(vq->used, reg == VIRTIO_MMIO_QUEUE_USED_HIGH) : 0;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffff; /* no shared memory regions (§4.2.2) */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return dev->config_generation;
	}
	return 0;
}

static void write_reg(struct virtio_mmio_dev *dev, unsigned int reg, uint32_t val)
{
	struct virtq *vq;

	switch (reg) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		dev->device_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (!(dev->status & VIRTIO_CONFIG_S_DRIVER) ||
		    (dev->status & VIRTIO_CONFIG_S_FEATURES_OK) || dev->driver_features_sel > 1)
			break;
		set_half(&dev->driver_features, dev->driver_features_sel, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		dev->driver_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		dev->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		vq = queue_to_configure(dev);
		if (vq)
			vq->size =
			    val <= dev->ops->queue_max ? val : 0; /* 0: can't be made ready */
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		write_queue_ready(dev, val);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		queue_notify(dev, val);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		dev->interrupt_status &= ~val;
		update_irq(dev);
		break;
	case VIRTIO_MMIO_STATUS:
		write_status(dev, val);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		vq = queue_to_configure(dev);
		if (vq)
			set_half(&vq->desc, reg == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		vq = queue_to_configure(dev);
		if (vq)
			set_half(&vq->avail, reg == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		vq = queue_to_configure(dev);
		if (vq)
			set_half(&vq->used, reg == VIRTIO_MMIO_QUEUE_USED_HIGH, val);
		break;
	default:
		break; /* read-only or unknown: ignored */
	}
}

/* Where a config access lands in the backend's config space, or -1 when outside it. */
static int config_offset(const struct virtio_mmio_dev *dev, uint64_t offset, unsigned int len)
{
	uint64_t c;

	if (offset < VIRTIO_MMIO_CONFIG || offset >= VIRTIO_MMIO_SIZE)
		return -1;
	c = offset - VIRTIO_MMIO_CONFIG;
	if (len > dev->ops->config_size || c > dev->ops->config_size - len)
		return -1;
	return (int)c;
}

static bool is_register(uint64_t offset, unsigned int len)
{
	return offset < VIRTIO_MMIO_CONFIG && len == 4 && !(offset % 4);
}

static void virtio_mmio_read(void *opaque, uint64_t offset, void *data, unsigned int len)
{
	struct virtio_mmio_dev *dev = opaque;
	uint32_t val;
	int c;

	memset(data, 0, len);
	pthread_mutex_lock(&dev->lock);
	if (is_register(offset, len)) {
		val = htole32(read_reg(dev, offset));
		memcpy(data, &val, 4);
	} else if ((c = config_offset(dev, offset, len)) >= 0 && dev->ops->config_read) {
		dev->ops->config_read(dev, c, data, len);
	}
	pthread_mutex_unlock(&dev->lock);
}

static void virtio_mmio_write(void *opaque, uint64_t offset, const void *data, unsigned int len)
{
	struct virtio_mmio_dev *dev = opaque;
	uint32_t val;
	int c;

	pthread_mutex_lock(&dev->lock);
	if (is_register(offset, len)) {
		memcpy(&val, data, 4);
		write_reg(dev, offset, le32toh(val));
	} else if ((c = config_offset(dev, offset, len)) >= 0 && dev->ops->config_write) {
		dev->ops->config_write(dev, c, data, len);
	}
	pthread_mutex_unlock(&dev->lock);
}

static const struct bus_ops window_ops = {
	.read = virtio_mmio_read,
	.write = virtio_mmio_write,
};

const struct bus_ops *virtio_mmio_init(struct virtio_mmio_dev *dev,
				       const struct virtio_backend_ops *ops, void *backend,
				       uint64_t features, const struct dma_space *dma,
				       struct irq_sink *irq, unsigned int gsi)
{
	memset(dev, 0, sizeof(*dev));
	pthread_mutex_init(&dev->lock, NULL);
	dev->ops = ops;
	dev->backend = backend;
	dev->dma = dma;
	dev->irq = irq;
	dev->gsi = gsi;
	dev->device_features = features | BIT64(VIRTIO_F_VERSION_1) |
			       BIT64(VIRTIO_RING_F_EVENT_IDX) | BIT64(VIRTIO_RING_F_INDIRECT_DESC);
	if (dma->translate)
		dev->device_features |= BIT64(VIRTIO_F_ACCESS_PLATFORM);
	device_reset(dev);
	dev->reset_count = 0;
	return &window_ops;
}

int virtio_mmio_attach(struct bus *mmio, uint64_t base, struct virtio_mmio_dev *dev,
		       const char *name)
{
	return bus_register(mmio, base, VIRTIO_MMIO_SIZE, &window_ops, dev, name);
}

const struct bus_ops *virtio_mmio_bus_ops(void)
{
	return &window_ops;
}

void virtio_mmio_destroy(struct virtio_mmio_dev *dev)
{
	pthread_mutex_destroy(&dev->lock);
}

void virtio_mmio_lock(struct virtio_mmio_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
}

void virtio_mmio_unlock(struct virtio_mmio_dev *dev)
{
	pthread_mutex_unlock(&dev->lock);
}

void *virtio_mmio_backend(const struct virtio_mmio_dev *dev)
{
	return dev->backend;
}

struct virtq *virtio_mmio_queue(struct virtio_mmio_dev *dev, unsigned int queue)
{
	return queue < dev->ops->num_queues ? &dev->queues[queue] : NULL;
}

uint64_t virtio_mmio_reset_count(const struct virtio_mmio_dev *dev)
{
	return __atomic_load_n(&dev->reset_count, __ATOMIC_ACQUIRE);
}

uint64_t virtio_mmio_features(const struct virtio_mmio_dev *dev)
{
	return dev->status & VIRTIO_CONFIG_S_FEATURES_OK ? dev->driver_features : 0;
}

void virtio_mmio_kick(struct virtio_mmio_dev *dev, unsigned int queue)
{
	virtio_mmio_lock(dev);
	queue_notify(dev, queue);
	virtio_mmio_unlock(dev);
}

void virtio_mmio_used(struct virtio_mmio_dev *dev, unsigned int queue)
{
	struct virtq *vq = virtio_mmio_queue(dev, queue);

	if (!vq)
		return;
	if (virtq_should_notify(vq))
		raise(dev, VIRTIO_MMIO_INT_VRING);
	if (vq->broken)
		virtio_mmio_needs_reset(dev);
}

void virtio_mmio_needs_reset(struct virtio_mmio_dev *dev)
{
	if (dev->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	dev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	/* §4.2.3.4: the driver learns of it through a configuration change notification. */
	if (dev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		raise(dev, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_mmio_config_changed(struct virtio_mmio_dev *dev)
{
	dev->config_generation++;
	if (dev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		raise(dev, VIRTIO_MMIO_INT_CONFIG);
}
