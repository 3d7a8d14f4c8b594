// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console's transmit and receive paths (devices/virtio_console.c) on chains the driver
 * builds in guest RAM. Output goes to a memfd (a regular file: no write ever waits), which
 * the target reads back; input goes in through virtio_console_receive() as the io loop
 * hands it over.
 *
 * Input: u8 setup (bit 1: behind a translating dma_space), u32 feature mask, then records,
 * each a u8 op (mod 7):
 *  0 RAM:      vdrv.h vd_ram_op
 *  1 register: vdrv.h vd_reg_op
 *  2 chain:    u8 queue (mod 2), any chain (vdrv.h vd_chain_op)
 *  3 transmit: u8 descriptors (1 + mod 3), each u16 address (from 0x1000) and u16 length,
 *              readable; kicked at once, the output checked
 *  4 kick:     u8 queue (mod 2)
 *  5 receive:  u16 length (mod 8 KiB), the bytes
 *  6 receive buffers: u8 count (1 + mod 4), each u16 length (mod 4 KiB): one writable
 *              descriptor each, in RAM of its own, then a kick of the receive queue
 * Checked: transmit chains come back with length 0 and their bytes, in order, in the output;
 * receive chains with at most their writable bytes, and what they hold is the next part of
 * the bytes received (the device's count of what it took), in order, none lost or doubled.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/virtio_console.h"
#include "vdrv.h"

#define STREAM (1 << 16)
#define RX_AREA 0x8000 /* receive buffers of op 6: 2 KiB each, by head */

static struct virtio_console con;
static int out_fd = -1;
static uint8_t sent[3 * 0x10000], got[3 * 0x10000];
static uint8_t stream[STREAM]; /* bytes the device took and has not delivered yet */
static size_t nstream;
static bool own_rx[VD_QSIZE]; /* receive chains of op 6, in their own RAM */
static unsigned int foreign_rx; /* other receive chains in flight */

static void completed(struct vd *v, unsigned int q, unsigned int head, uint32_t len)
{
	uint8_t buf[0x800];

	if (q == VIRTIO_CONSOLE_TXQ) {
		FUZZ_ASSERT(len == 0);
		return;
	}
	FUZZ_ASSERT(len <= nstream);
	if (own_rx[head] && !foreign_rx) {
		vd_get(v, RX_AREA + 0x800 * head, buf, len);
		FUZZ_ASSERT(!memcmp(buf, stream, len));
	}
	if (!own_rx[head])
		foreign_rx--;
	own_rx[head] = false;
	memmove(stream, stream + len, nstream - len);
	nstream -= len;
}

static void reap_rx(struct vd *v)
{
	vd_reap(v, VIRTIO_CONSOLE_RXQ, completed);
}

static void transmit(struct vd *v, struct fuzz_in *in)
{
	struct vd_desc d[3];
	unsigned int n = 1 + fuzz_u8(in) % 3;
	bool exclusive = v->in_flight[VIRTIO_CONSOLE_TXQ] == 0 && !v->tampered, inside = true;
	uint32_t total = 0;
	off_t end;

	for (unsigned int i = 0; i < n; i++) {
		d[i] = (struct vd_desc){ VD_BUF + fuzz_u16(in), fuzz_u16(in), 0 };
		if (!vd_dma_ok(v, d[i].addr, d[i].len))
			inside = false;
		if (inside)
			vd_get(v, d[i].addr, sent + total, d[i].len);
		total += d[i].len;
	}
	if (vd_offer(v, VIRTIO_CONSOLE_TXQ, d, n) < 0)
		return;
	FUZZ_ASSERT(ftruncate(out_fd, 0) == 0 && lseek(out_fd, 0, SEEK_SET) == 0);
	vd_kick(v, VIRTIO_CONSOLE_TXQ);
	vd_reap(v, VIRTIO_CONSOLE_TXQ, completed);
	end = lseek(out_fd, 0, SEEK_CUR);
	if (!exclusive || !(v->dev->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	/* All of it when it lies in memory; else what comes before the bad buffer, at most. */
	if (inside)
		FUZZ_ASSERT(end == (off_t)total);
	FUZZ_ASSERT(end <= (off_t)total);
	FUZZ_ASSERT(pread(out_fd, got, end, 0) == end);
	FUZZ_ASSERT(!memcmp(got, sent, end) || !inside);
}

static void receive(struct vd *v, struct fuzz_in *in)
{
	size_t len = fuzz_u16(in) % 0x2000, taken;

	if (len > in->left)
		len = in->left;
	if (len > STREAM - nstream)
		len = STREAM - nstream;
	taken = virtio_console_receive(&con, in->p, len);
	FUZZ_ASSERT(taken <= len);
	/* What the device took is the input's start: the rest is dropped. */
	memcpy(stream + nstream, in->p, taken);
	nstream += taken;
	in->p += len;
	in->left -= len;
	reap_rx(v);
}

static void rx_buffers(struct vd *v, struct fuzz_in *in)
{
	unsigned int n = 1 + fuzz_u8(in) % 4;

	for (unsigned int i = 0; i < n; i++) {
		struct vd_desc d = { 0, 1 + fuzz_u16(in) % 0x800, VRING_DESC_F_WRITE };
		int head;

		/* The buffer's place follows from the head it gets: a first guess, then moved. */
		head = vd_offer(v, VIRTIO_CONSOLE_RXQ, &d, 1);
		if (head < 0)
			break;
		d.addr = RX_AREA + 0x800 * head;
		vd_put(v, VD_RING(VIRTIO_CONSOLE_RXQ) + 16 * head, &(uint64_t){ htole64(d.addr) },
		       8);
		own_rx[head] = true;
	}
	vd_kick(v, VIRTIO_CONSOLE_RXQ);
	reap_rx(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t setup = fuzz_u8(&in);
	uint64_t mask = fuzz_u32(&in);
	static struct vd v;
	unsigned int q;

	if (out_fd < 0)
		out_fd = memfd_create("fuzz-console", MFD_CLOEXEC);
	FUZZ_ASSERT(out_fd >= 0);
	nstream = 0;
	foreign_rx = 0;
	memset(own_rx, 0, sizeof(own_rx));
	vd_init(&v, setup & 2);
	FUZZ_ASSERT(virtio_console_init(&con, out_fd, &v.dma, &v.irq, 5) == 0);
	vd_attach(&v, &con.mmio, 2);
	vd_start(&v, mask);

	while (in.left) {
		switch (fuzz_u8(&in) % 7) {
		case 0:
			vd_ram_op(&v, &in);
			break;
		case 1:
			vd_reg_op(&v, &in);
			break;
		case 2:
			q = fuzz_u8(&in) % 2;
			if (vd_chain_op(&v, q, &in) >= 0 && q == VIRTIO_CONSOLE_RXQ)
				foreign_rx++;
			break;
		case 3:
			transmit(&v, &in);
			break;
		case 4:
			q = fuzz_u8(&in) % 2;
			vd_kick(&v, q);
			if (q == VIRTIO_CONSOLE_RXQ)
				reap_rx(&v);
			else
				vd_reap(&v, q, completed);
			break;
		case 5:
			receive(&v, &in);
			break;
		case 6:
			rx_buffers(&v, &in);
			break;
		}
		vd_check_status(&v);
	}
	virtio_console_destroy(&con);
	vd_free(&v);
	return 0;
}
