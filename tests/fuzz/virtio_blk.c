// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk's request parser (devices/virtio_blk_req.c) on chains the driver builds in guest
 * RAM, served synchronously at each kick, on an image of 16 sectors and a partial one in a
 * memfd (opened by its /proc/self/fd path, as --disk opens a file), read-write or read-only,
 * zero copy or behind a translating dma_space (the bounce-buffer path).
 *
 * Input: u8 setup (bit 0: read-only, bit 1: behind the "IOMMU"), u32 feature mask, then
 * records, each a u8 op (mod 6):
 *  0 RAM:      vdrv.h vd_ram_op
 *  1 register: vdrv.h vd_reg_op
 *  2 chain:    any chain on the queue (vdrv.h vd_chain_op)
 *  3 request:  u8 type (mod 7: IN OUT FLUSH GET_ID DISCARD WRITE_ZEROES 0xdeadbeef), u16 sector
 *              (mod 20), u8 data descriptors (mod 4), each u16 address (from 0x1000) and u16
 *              length; the header and the one-byte status go in the driver's scratch RAM
 *  4 kick:     the queue; then every completion is checked
 *  5 restart:  a reset and the whole initialisation again
 * A structured request that completes is checked against the rules of virtio_blk.h (status,
 * used length), and when it was the only one in the kick, its data against the image.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/virtio_blk.h"
#include "vdrv.h"

#define SECTORS 16
#define IMAGE_SIZE (SECTORS * VIRTIO_BLK_SECTOR + 100)
#define MAX_SEGS 3

struct blk_req {
	bool structured;
	uint32_t type;
	uint64_t sector;
	uint64_t hdr, status; /* GPAs */
	unsigned int nseg;
	struct vd_desc seg[MAX_SEGS];
};

static int image_fd = -1;
static char image_path[64];
static uint8_t image[IMAGE_SIZE], buf[IMAGE_SIZE + 0x10000];
/*
 * One device per (read-only, behind the "IOMMU") pair, made once and reset by the driver for
 * each input: setting one up allocates its request slots and bounce buffers (64 MiB), which
 * under ASan costs more than the run.
 */
static struct blk_dev {
	bool up;
	struct vd v;
	struct virtio_blk blk;
} devs[4];
static struct virtio_blk *blk;
static struct blk_req reqs[VD_QSIZE];
static bool ro, exclusive;

static void open_image(void)
{
	if (image_fd >= 0)
		return;
	image_fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
	FUZZ_ASSERT(image_fd >= 0);
	snprintf(image_path, sizeof(image_path), "/proc/self/fd/%d", image_fd);
	for (unsigned int i = 0; i < IMAGE_SIZE; i++)
		image[i] = (uint8_t)(i * 7 + i / VIRTIO_BLK_SECTOR);
}

/* Whether the device can move a segment's bytes: zero-copy iovecs may cross regions. */
static bool in_ram(const struct vd *v, const struct vd_desc *d, bool zero_copy)
{
	if (zero_copy && !v->dma.translate)
		return !d->len || (d->addr <= VD_RAM && d->len <= VD_RAM - d->addr);
	return vd_dma_ok(v, d->addr, d->len);
}

static bool overlap(const struct vd_desc *a, const struct vd_desc *b)
{
	return a->addr < b->addr + b->len && b->addr < a->addr + a->len;
}

static void completed(struct vd *v, unsigned int q, unsigned int head, uint32_t len)
{
	struct blk_req *r = &reqs[head];
	uint64_t data = 0, sectors;
	bool inside = true, rw, apart = true, copied = true;
	uint8_t status;

	(void)q;
	if (!r->structured)
		return;
	r->structured = false;
	for (unsigned int i = 0; i < r->nseg; i++) {
		data += r->seg[i].len;
		inside &= in_ram(v, &r->seg[i], true);
		copied &= in_ram(v, &r->seg[i], false);
		for (unsigned int j = 0; j < i; j++)
			apart &= !overlap(&r->seg[i], &r->seg[j]) || !r->seg[i].len;
	}
	/* A header and a status byte in RAM: the device always reports. */
	FUZZ_ASSERT(len >= 1);
	status = *vd_ram(v, r->status);
	FUZZ_ASSERT(status == VIRTIO_BLK_S_OK || status == VIRTIO_BLK_S_IOERR ||
		    status == VIRTIO_BLK_S_UNSUPP);
	rw = r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT;
	FUZZ_ASSERT((status == VIRTIO_BLK_S_UNSUPP) ==
		    (!rw && r->type != VIRTIO_BLK_T_FLUSH && r->type != VIRTIO_BLK_T_GET_ID));
	if (r->type == VIRTIO_BLK_T_FLUSH)
		FUZZ_ASSERT(status == VIRTIO_BLK_S_OK && len == 1);
	if (r->type == VIRTIO_BLK_T_GET_ID) {
		uint64_t n = data < VIRTIO_BLK_ID_BYTES ? data : VIRTIO_BLK_ID_BYTES;

		if (copied)
			FUZZ_ASSERT(status == VIRTIO_BLK_S_OK);
		if (status == VIRTIO_BLK_S_OK)
			FUZZ_ASSERT(len == n + 1);
	}
	if (!rw)
		return;
	sectors = data / VIRTIO_BLK_SECTOR;
	if (data % VIRTIO_BLK_SECTOR || r->sector > SECTORS || sectors > SECTORS - r->sector ||
	    (r->type == VIRTIO_BLK_T_OUT && ro))
		FUZZ_ASSERT(status == VIRTIO_BLK_S_IOERR);
	else if (inside)
		FUZZ_ASSERT(status == VIRTIO_BLK_S_OK);
	if (status != VIRTIO_BLK_S_OK) {
		FUZZ_ASSERT(r->type == VIRTIO_BLK_T_OUT || len <= data + 1);
		return;
	}
	FUZZ_ASSERT(len == (r->type == VIRTIO_BLK_T_IN ? data + 1 : 1));
	if (!exclusive || !apart || !data)
		return;
	/* The data moved between the image and the buffers, in order. */
	FUZZ_ASSERT(pread(image_fd, buf, data, r->sector * VIRTIO_BLK_SECTOR) == (ssize_t)data);
	for (unsigned int i = 0, at = 0; i < r->nseg; at += r->seg[i].len, i++) {
		uint8_t *p = buf + data;

		vd_get(v, r->seg[i].addr, p, r->seg[i].len);
		FUZZ_ASSERT(!memcmp(p, buf + at, r->seg[i].len));
	}
}

static void request(struct vd *v, struct fuzz_in *in)
{
	static const uint32_t types[] = {
		VIRTIO_BLK_T_IN,     VIRTIO_BLK_T_OUT,	   VIRTIO_BLK_T_FLUSH,
		VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES,
		0xdeadbeef
	};
	struct vd_desc d[MAX_SEGS + 2];
	struct virtio_blk_outhdr hdr;
	struct blk_req r = { .structured = true };
	unsigned int k = v->avail_idx[0] % VD_QSIZE;
	int head;

	r.type = types[fuzz_u8(in) % 7];
	r.sector = fuzz_u16(in) % 20;
	r.nseg = fuzz_u8(in) % (MAX_SEGS + 1);
	r.hdr = VD_SCRATCH + 0x100 + 16 * k;
	r.status = VD_SCRATCH + k;
	hdr = (struct virtio_blk_outhdr){ .type = htole32(r.type), .sector = htole64(r.sector) };
	vd_put(v, r.hdr, &hdr, sizeof(hdr));
	*vd_ram(v, r.status) = 0xee;
	d[0] = (struct vd_desc){ r.hdr, sizeof(hdr), 0 };
	for (unsigned int i = 0; i < r.nseg; i++) {
		r.seg[i].addr = VD_BUF + fuzz_u16(in);
		r.seg[i].len = fuzz_u16(in);
		r.seg[i].flags = r.type == VIRTIO_BLK_T_OUT ? 0 : VRING_DESC_F_WRITE;
		d[1 + i] = r.seg[i];
	}
	d[1 + r.nseg] = (struct vd_desc){ r.status, 1, VRING_DESC_F_WRITE };
	head = vd_offer(v, 0, d, r.nseg + 2);
	if (head >= 0)
		reqs[head] = r;
}

static void not_structured(struct vd *v, int head)
{
	(void)v;
	if (head >= 0)
		reqs[head].structured = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t setup = fuzz_u8(&in);
	uint64_t mask = fuzz_u32(&in);
	struct blk_dev *bd = &devs[setup & 3];
	struct vd *vp = &bd->v;
	char err[256];

	open_image();
	FUZZ_ASSERT(ftruncate(image_fd, 0) == 0);
	FUZZ_ASSERT(pwrite(image_fd, image, IMAGE_SIZE, 0) == IMAGE_SIZE);
	ro = setup & 1;
	if (!bd->up) {
		vd_init(vp, setup & 2);
		FUZZ_ASSERT(virtio_blk_init(&bd->blk, image_path, ro, &vp->dma, &vp->irq, 5, err,
					    sizeof(err)) == 0);
		FUZZ_ASSERT(le64toh(bd->blk.config.capacity) == SECTORS);
		vd_attach(vp, &bd->blk.mmio, 1);
		bd->up = true;
	}
	blk = &bd->blk;
	memset(vp->half[0], 0, VD_HALF);
	memset(vp->half[1], 0, VD_HALF);
	memset(reqs, 0, sizeof(reqs));
	vd_start(vp, mask);

	while (in.left) {
		switch (fuzz_u8(&in) % 6) {
		case 0:
			vd_ram_op(vp, &in);
			break;
		case 1:
			vd_reg_op(vp, &in);
			break;
		case 2:
			not_structured(vp, vd_chain_op(vp, 0, &in));
			break;
		case 3:
			request(vp, &in);
			break;
		case 4:
			exclusive = vp->in_flight[0] == 1;
			vd_kick(vp, 0);
			vd_reap(vp, 0, completed);
			break;
		case 5:
			vd_start(vp, fuzz_u32(&in));
			memset(reqs, 0, sizeof(reqs));
			break;
		}
		vd_check_status(vp);
	}
	return 0;
}
