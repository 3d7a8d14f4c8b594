/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small virtio-mmio driver for the device targets (virtio_blk, virtio_net, virtio_console):
 * 64 KiB of guest RAM (two regions, a buffer may cross from one into the other), the device's
 * window on a real bus, queues of VD_QSIZE entries at fixed places, and chains built from the
 * input into free descriptor slots. It keeps what it offered, so that every used element the
 * device returns is checked: a head that is in flight, a length no larger than the chain's
 * writable bytes, and no more elements than chains offered.
 *
 * RAM layout: queue q's descriptor table at VD_RING(q), its avail ring at +0x100, its used
 * ring at +0x200; 0xc00-0xfff is the driver's own (request headers and status bytes of the
 * structured requests); buffers live from VD_BUF up. A raw RAM write (vd_ram_op) may go
 * anywhere and turns the used-ring checks off until the next vd_start().
 */
#ifndef NESTVM_FUZZ_VDRV_H
#define NESTVM_FUZZ_VDRV_H

#include <endian.h>
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "devices/virtio_mmio.h"
#include "fuzz.h"
#include "vmm/util.h"

#define VD_RAM 0x10000
#define VD_HALF (VD_RAM / 2)
#define VD_QSIZE 16
#define VD_QUEUES 3
#define VD_RING(q) (0x400 * (q))
#define VD_SCRATCH 0xc00
#define VD_BUF 0x1000
#define VD_BASE 0xd0000000ULL /* the window on the bus */
#define VD_MAX_CHAIN 8

struct vd_chain {
	bool busy;
	unsigned int n;
	uint16_t slots[VD_MAX_CHAIN];
	uint64_t writable; /* bytes of the chain's write-only descriptors */
};

struct vd {
	uint8_t *half[2];
	struct gmem mem;
	struct dma_space dma;
	struct bus mmio;
	struct virtio_mmio_dev *dev;
	struct irq_sink irq;
	bool level;
	unsigned int nq;
	bool slot_busy[VD_QUEUES][VD_QSIZE];
	struct vd_chain chains[VD_QUEUES][VD_QSIZE]; /* by head */
	uint16_t avail_idx[VD_QUEUES], used_seen[VD_QUEUES];
	unsigned int in_flight[VD_QUEUES];
	bool tampered; /* raw RAM writes: the rings are not what the driver wrote */
};

static inline void vd_set_level(struct irq_sink *sink, unsigned int gsi, bool level)
{
	struct vd *v = container_of(sink, struct vd, irq);

	/* The transport calls the line only when its level changes. */
	FUZZ_ASSERT(level != v->level);
	FUZZ_ASSERT(gsi == 5);
	v->level = level;
}

/* The device sits behind a "translating" dma_space: identity with a hole, in short pieces. */
static inline int vd_translate(void *opaque, uint64_t addr, uint64_t len, bool write, uint64_t *gpa,
			       uint64_t *contig)
{
	(void)opaque;
	(void)write;
	if (addr >= VD_RAM - 0x800 && addr < VD_RAM - 0x400)
		return -EFAULT; /* a page the "IOMMU" has no mapping for */
	*gpa = addr;
	*contig = 0x100 - (addr & 0xff);
	if (*contig > len)
		*contig = len;
	return 0;
}

static inline void vd_init(struct vd *v, bool translate)
{
	memset(v, 0, sizeof(*v));
	for (unsigned int i = 0; i < 2; i++) {
		v->half[i] = calloc(1, VD_HALF);
		if (!v->half[i])
			abort();
		v->mem.regions[i] =
		    (struct gmem_region){ (uint64_t)i * VD_HALF, VD_HALF, v->half[i] };
	}
	v->mem.count = 2;
	v->dma = (struct dma_space){ .mem = &v->mem, .translate = translate ? vd_translate : NULL };
	v->mmio.name = "mmio";
	v->irq.set_level = vd_set_level;
}

/*
 * Whether the device's dma_read/dma_write of [@addr, @addr + @len) succeeds: in RAM, clear of
 * the "IOMMU" hole, and, without one, inside one region (a copy does not cross regions; only
 * virtio-blk's zero-copy iovecs do).
 */
static inline bool vd_dma_ok(const struct vd *v, uint64_t addr, uint64_t len)
{
	if (!len)
		return true; /* nothing is copied */
	if (addr > VD_RAM || len > VD_RAM - addr)
		return false;
	if (v->dma.translate)
		return addr + len <= VD_RAM - 0x800 || addr >= VD_RAM - 0x400;
	return addr / VD_HALF == (addr + len - 1) / VD_HALF;
}

static inline void vd_free(struct vd *v)
{
	bus_free(&v->mmio);
	free(v->half[0]);
	free(v->half[1]);
}

static inline uint8_t *vd_ram(struct vd *v, uint64_t gpa)
{
	return v->half[gpa / VD_HALF] + gpa % VD_HALF;
}

/* Copies to and from RAM, across the two regions; the range must lie in RAM. */
static inline void vd_put(struct vd *v, uint64_t gpa, const void *src, size_t len)
{
	if (!len)
		return;
	FUZZ_ASSERT(gpa <= VD_RAM && len <= VD_RAM - gpa);
	for (size_t i = 0; i < len; i++)
		*vd_ram(v, gpa + i) = ((const uint8_t *)src)[i];
}

static inline void vd_get(struct vd *v, uint64_t gpa, void *dst, size_t len)
{
	if (!len)
		return;
	FUZZ_ASSERT(gpa <= VD_RAM && len <= VD_RAM - gpa);
	for (size_t i = 0; i < len; i++)
		((uint8_t *)dst)[i] = *vd_ram(v, gpa + i);
}

static inline void vd_put16(struct vd *v, uint64_t gpa, uint16_t x)
{
	x = htole16(x);
	vd_put(v, gpa, &x, 2);
}

static inline uint32_t vd_get32(struct vd *v, uint64_t gpa)
{
	uint32_t x;

	vd_get(v, gpa, &x, 4);
	return le32toh(x);
}

static inline uint16_t vd_get16(struct vd *v, uint64_t gpa)
{
	uint16_t x;

	vd_get(v, gpa, &x, 2);
	return le16toh(x);
}

static inline uint32_t vd_rd(struct vd *v, uint64_t off)
{
	uint32_t x = 0;

	bus_read(&v->mmio, VD_BASE + off, &x, 4);
	return le32toh(x);
}

static inline void vd_wr(struct vd *v, uint64_t off, uint32_t x)
{
	x = htole32(x);
	bus_write(&v->mmio, VD_BASE + off, &x, 4);
}

/* Registers @dev's window (set up by the device's init) on the bus. */
static inline void vd_attach(struct vd *v, struct virtio_mmio_dev *dev, unsigned int nq)
{
	v->dev = dev;
	v->nq = nq;
	FUZZ_ASSERT(virtio_mmio_attach(&v->mmio, VD_BASE, dev, "fuzz") == 0);
}

static inline uint64_t vd_device_features(struct vd *v)
{
	uint64_t f;

	vd_wr(v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = vd_rd(v, VIRTIO_MMIO_DEVICE_FEATURES);
	vd_wr(v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return f | (uint64_t)vd_rd(v, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

/*
 * §3.1.1 from a reset: the device's features masked by @mask (VERSION_1 and, behind the
 * "IOMMU", ACCESS_PLATFORM always kept), every queue at VD_RING(q), DRIVER_OK.
 */
static inline void vd_start(struct vd *v, uint64_t mask)
{
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	uint64_t f;

	vd_wr(v, VIRTIO_MMIO_STATUS, 0);
	memset(v->slot_busy, 0, sizeof(v->slot_busy));
	memset(v->chains, 0, sizeof(v->chains));
	memset(v->avail_idx, 0, sizeof(v->avail_idx));
	memset(v->used_seen, 0, sizeof(v->used_seen));
	memset(v->in_flight, 0, sizeof(v->in_flight));
	for (unsigned int q = 0; q < v->nq; q++)
		for (uint64_t a = VD_RING(q); a < VD_RING(q + 1); a += 8)
			vd_put(v, a, "\0\0\0\0\0\0\0\0", 8);
	v->tampered = false;
	vd_wr(v, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vd_wr(v, VIRTIO_MMIO_STATUS, s);
	f = vd_device_features(v) &
	    (mask | 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM);
	vd_wr(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vd_wr(v, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	vd_wr(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vd_wr(v, VIRTIO_MMIO_DRIVER_FEATURES, f >> 32);
	vd_wr(v, VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	FUZZ_ASSERT(vd_rd(v, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned int q = 0; q < v->nq; q++) {
		vd_wr(v, VIRTIO_MMIO_QUEUE_SEL, q);
		vd_wr(v, VIRTIO_MMIO_QUEUE_NUM, VD_QSIZE);
		vd_wr(v, VIRTIO_MMIO_QUEUE_DESC_LOW, VD_RING(q));
		vd_wr(v, VIRTIO_MMIO_QUEUE_AVAIL_LOW, VD_RING(q) + 0x100);
		vd_wr(v, VIRTIO_MMIO_QUEUE_USED_LOW, VD_RING(q) + 0x200);
		vd_wr(v, VIRTIO_MMIO_QUEUE_READY, 1);
		FUZZ_ASSERT(vd_rd(v, VIRTIO_MMIO_QUEUE_READY) == 1);
	}
	vd_wr(v, VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

struct vd_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags; /* VRING_DESC_F_WRITE (NEXT is the builder's) */
};

/* Puts a chain of @n descriptors on queue @q and offers it; its head, or -1 when full. */
static inline int vd_offer(struct vd *v, unsigned int q, const struct vd_desc *d, unsigned int n)
{
	uint16_t slots[VD_MAX_CHAIN];
	struct vd_chain *c;
	unsigned int got = 0;

	if (!n || n > VD_MAX_CHAIN)
		return -1;
	for (unsigned int s = 0; s < VD_QSIZE && got < n; s++)
		if (!v->slot_busy[q][s])
			slots[got++] = s;
	if (got < n)
		return -1;
	c = &v->chains[q][slots[0]];
	memset(c, 0, sizeof(*c));
	for (unsigned int i = 0; i < n; i++) {
		struct vring_desc vd = {
			.addr = htole64(d[i].addr),
			.len = htole32(d[i].len),
			.flags = htole16((d[i].flags & VRING_DESC_F_WRITE) |
					 (i + 1 < n ? VRING_DESC_F_NEXT : 0)),
			.next = htole16(i + 1 < n ? slots[i + 1] : 0),
		};

		vd_put(v, VD_RING(q) + 16 * slots[i], &vd, sizeof(vd));
		v->slot_busy[q][slots[i]] = true;
		c->slots[i] = slots[i];
		if (d[i].flags & VRING_DESC_F_WRITE)
			c->writable += d[i].len;
	}
	c->n = n;
	c->busy = true;
	vd_put16(v, VD_RING(q) + 0x100 + 4 + 2 * (v->avail_idx[q] % VD_QSIZE), slots[0]);
	v->avail_idx[q]++;
	vd_put16(v, VD_RING(q) + 0x100 + 2, v->avail_idx[q]);
	v->in_flight[q]++;
	return slots[0];
}

/* The used elements the device returned on @q since the last call, each checked. */
static inline void vd_reap(struct vd *v, unsigned int q,
			   void (*seen)(struct vd *v, unsigned int q, unsigned int head,
					uint32_t len))
{
	uint16_t idx = vd_get16(v, VD_RING(q) + 0x200 + 2);

	if (v->tampered)
		return;
	FUZZ_ASSERT((uint16_t)(idx - v->used_seen[q]) <= v->in_flight[q]);
	while (v->used_seen[q] != idx) {
		uint64_t e = VD_RING(q) + 0x200 + 4 + 8 * (v->used_seen[q] % VD_QSIZE);
		uint32_t head = vd_get32(v, e), len = vd_get32(v, e + 4);
		struct vd_chain *c;

		FUZZ_ASSERT(head < VD_QSIZE);
		c = &v->chains[q][head];
		FUZZ_ASSERT(c->busy);
		FUZZ_ASSERT(len <= c->writable);
		if (seen)
			seen(v, q, head, len);
		for (unsigned int i = 0; i < c->n; i++)
			v->slot_busy[q][c->slots[i]] = false;
		c->busy = false;
		v->in_flight[q]--;
		v->used_seen[q]++;
	}
}

static inline void vd_kick(struct vd *v, unsigned int q)
{
	vd_wr(v, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

/* Raw RAM: u16 offset, u8 length, the bytes. */
static inline void vd_ram_op(struct vd *v, struct fuzz_in *in)
{
	uint64_t off = fuzz_u16(in), len = fuzz_u8(in);

	if (len > in->left)
		len = in->left;
	if (len > VD_RAM - off)
		len = VD_RAM - off;
	if (off < VD_BUF)
		v->tampered = true;
	vd_put(v, off, in->p, len);
	in->p += len;
	in->left -= len;
}

/* A register access: u8 register (x4), u32 value; bit 7 of the register: a read. */
static inline void vd_reg_op(struct vd *v, struct fuzz_in *in)
{
	uint8_t reg = fuzz_u8(in);
	uint32_t val = fuzz_u32(in);

	if (reg & 0x80) {
		vd_rd(v, 4 * (reg & 0x7f));
		return;
	}
	/* The driver's own rings and bookkeeping no longer describe the device's. */
	v->tampered = true;
	vd_wr(v, 4 * (reg & 0x7f), val);
}

/*
 * A chain from the input: u8 count (1..VD_MAX_CHAIN), then per descriptor u8 flags (bit 0:
 * device-writable), u16 address (from VD_BUF up; past the end of RAM is allowed), u16 length.
 */
static inline int vd_chain_op(struct vd *v, unsigned int q, struct fuzz_in *in)
{
	struct vd_desc d[VD_MAX_CHAIN];
	unsigned int n = 1 + fuzz_u8(in) % VD_MAX_CHAIN;

	for (unsigned int i = 0; i < n; i++) {
		d[i].flags = fuzz_u8(in) & 1 ? VRING_DESC_F_WRITE : 0;
		d[i].addr = VD_BUF + fuzz_u16(in);
		d[i].len = fuzz_u16(in);
	}
	return vd_offer(v, q, d, n);
}

/* What every device promises about its status register whatever the driver did. */
static inline void vd_check_status(struct vd *v)
{
	uint32_t s = vd_rd(v, VIRTIO_MMIO_STATUS);

	if (s & VIRTIO_CONFIG_S_DRIVER_OK)
		FUZZ_ASSERT(s & VIRTIO_CONFIG_S_FEATURES_OK);
	if (s & VIRTIO_CONFIG_S_FEATURES_OK)
		FUZZ_ASSERT(s & VIRTIO_CONFIG_S_DRIVER);
	if (s & VIRTIO_CONFIG_S_DRIVER)
		FUZZ_ASSERT(s & VIRTIO_CONFIG_S_ACKNOWLEDGE);
	FUZZ_ASSERT(v->level == (vd_rd(v, VIRTIO_MMIO_INTERRUPT_STATUS) != 0));
}

#endif
