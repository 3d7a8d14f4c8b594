// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net's transmit and receive paths (devices/virtio_net.c) on chains the driver builds
 * in guest RAM, the "tap" being one end of a datagram socketpair (whole packets, as a tap
 * with a vnet header gives them): the target reads what the device sends on the other end
 * and injects received packets there, then calls the device's tap-readable handler as the io
 * loop would.
 *
 * Input: u8 setup (bit 1: behind a translating dma_space), u32 feature mask, then records,
 * each a u8 op (mod 7):
 *  0 RAM:      vdrv.h vd_ram_op
 *  1 register: vdrv.h vd_reg_op
 *  2 chain:    u8 queue (mod 2), any chain (vdrv.h vd_chain_op)
 *  3 transmit: u8 descriptors (1 + mod 3), each u16 address (from 0x1000) and u16 length,
 *              readable; kicked at once, the packet checked on the other end
 *  4 kick:     u8 queue (mod 2)
 *  5 receive:  u16 length (mod 2 KiB), the packet's bytes, sent to the device's end
 *  6 restart:  u32 feature mask: a reset and the whole initialisation again
 * Every completion is checked: transmit chains come back with length 0, receive chains with 0
 * or the length of a packet injected (in order, none twice) and at most their writable bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/virtio_net.h"
#include "vdrv.h"

#define MAX_PKT 2048
#define MAX_PENDING 1024

static struct virtio_net net;
static int peer = -1;
static uint8_t pkt[VIRTIO_NET_BUF_SIZE], sent[VIRTIO_NET_BUF_SIZE];
static uint32_t pending[MAX_PENDING]; /* lengths of injected packets not yet seen */
static unsigned int npending;

static void drain_peer(void)
{
	while (recv(peer, pkt, sizeof(pkt), MSG_DONTWAIT) > 0)
		;
}

static void completed(struct vd *v, unsigned int q, unsigned int head, uint32_t len)
{
	unsigned int i;

	(void)v;
	(void)head;
	if (q == VIRTIO_NET_TXQ) {
		FUZZ_ASSERT(len == 0);
		return;
	}
	if (!len)
		return;
	/* A delivered packet is one injected, later than the one delivered before it. */
	for (i = 0; i < npending && pending[i] != len; i++)
		;
	FUZZ_ASSERT(i < npending);
	memmove(pending, pending + i + 1, (npending - i - 1) * sizeof(pending[0]));
	npending -= i + 1;
}

static void transmit(struct vd *v, struct fuzz_in *in)
{
	struct vd_desc d[3];
	unsigned int n = 1 + fuzz_u8(in) % 3;
	bool exclusive = v->in_flight[VIRTIO_NET_TXQ] == 0 && !v->tampered, inside = true;
	uint32_t total = 0;
	ssize_t got;

	for (unsigned int i = 0; i < n; i++) {
		d[i] = (struct vd_desc){ VD_BUF + fuzz_u16(in), fuzz_u16(in), 0 };
		if (!vd_dma_ok(v, d[i].addr, d[i].len))
			inside = false;
		if (inside && total + d[i].len <= sizeof(sent))
			vd_get(v, d[i].addr, sent + total, d[i].len);
		total += d[i].len;
	}
	if (vd_offer(v, VIRTIO_NET_TXQ, d, n) < 0)
		return;
	drain_peer();
	vd_kick(v, VIRTIO_NET_TXQ);
	vd_reap(v, VIRTIO_NET_TXQ, completed);
	got = recv(peer, pkt, sizeof(pkt), MSG_DONTWAIT);
	if (!exclusive || !(v->dev->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	if (total < VIRTIO_NET_HDR_LEN || total > VIRTIO_NET_BUF_SIZE || !inside) {
		FUZZ_ASSERT(got < 0);
		return;
	}
	/* The packet as the driver wrote it, with no offload the tap could act on. */
	FUZZ_ASSERT(got == (ssize_t)total);
	for (unsigned int i = 0; i < offsetof(struct virtio_net_hdr_v1, num_buffers); i++)
		FUZZ_ASSERT(pkt[i] == 0);
	FUZZ_ASSERT(!memcmp(pkt + 10, sent + 10, total - 10));
}

static void receive(struct vd *v, struct fuzz_in *in)
{
	size_t len = 1 + fuzz_u16(in) % MAX_PKT; /* a tap never reads 0 bytes: that is EOF */

	if (len > in->left)
		len = in->left;
	if (len && npending < MAX_PENDING && send(peer, in->p, len, MSG_DONTWAIT) == (ssize_t)len &&
	    len >= VIRTIO_NET_HDR_LEN)
		pending[npending++] = len;
	in->p += len;
	in->left -= len;
	FUZZ_ASSERT(virtio_net_tap_readable(&net, net.tap_fd));
	vd_reap(v, VIRTIO_NET_RXQ, completed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct fuzz_in in = { data, size };
	uint8_t setup = fuzz_u8(&in);
	uint64_t mask = fuzz_u32(&in);
	static struct vd v;
	int sv[2];
	unsigned int q;

	FUZZ_ASSERT(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	peer = sv[1];
	npending = 0;
	vd_init(&v, setup & 2);
	FUZZ_ASSERT(virtio_net_init(&net, sv[0], mac, &v.dma, &v.irq, 5) == 0);
	vd_attach(&v, &net.mmio, 2);
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
			vd_chain_op(&v, q, &in);
			break;
		case 3:
			transmit(&v, &in);
			break;
		case 4:
			q = fuzz_u8(&in) % 2;
			vd_kick(&v, q);
			vd_reap(&v, q, completed);
			break;
		case 5:
			receive(&v, &in);
			break;
		case 6:
			vd_start(&v, fuzz_u32(&in));
			/* Packets the device has not read yet are the old device's. */
			while (recv(net.tap_fd, pkt, sizeof(pkt), MSG_DONTWAIT) > 0)
				;
			npending = 0;
			drain_peer();
			break;
		}
		vd_check_status(&v);
	}
	virtio_net_destroy(&net);
	close(peer);
	vd_free(&v);
	return 0;
}
