// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net driven like a driver drives it: through the register window, with both rings
 * and the buffers in a fake guest RAM and a fake interrupt sink. The "tap" is one end of an
 * AF_UNIX SOCK_SEQPACKET socketpair: the device reads and writes whole packets on it, the
 * test plays the host network on the other end.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "devices/virtio_net.h"
#include "unit.h"
#include "virtio_driver.h"

#define HDR 12
#define RXQ VIRTIO_NET_RXQ
#define TXQ VIRTIO_NET_TXQ

static struct virtio_net net;
static int host_fd; /* the host's end of the "tap" */
static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };

static void setup(void)
{
	int sv[2];

	vd_setup();
	vd_dev = &net.mmio;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	host_fd = sv[1];
	ck_assert_int_eq(virtio_net_init(&net, sv[0], mac, &dma, &irq.sink, 9), 0);
}

static void teardown(void)
{
	virtio_net_destroy(&net);
	if (host_fd >= 0)
		close(host_fd);
	vd_release();
}

/* The host sends a packet: a 12-byte header (zero) and @len bytes of @fill. */
static void host_send(size_t len, uint8_t fill)
{
	uint8_t pkt[HDR + 2048];

	ck_assert_uint_le(len, sizeof(pkt) - HDR);
	memset(pkt, 0, HDR);
	memset(pkt + HDR, fill, len);
	ck_assert_int_eq(write(host_fd, pkt, HDR + len), (ssize_t)(HDR + len));
}

static ssize_t host_recv(uint8_t *buf, size_t len)
{
	return read(host_fd, buf, len);
}

/* Posts a writable receive buffer of @len bytes at @addr as descriptor @i. */
static void post_rx(unsigned int i, uint64_t addr, uint32_t len)
{
	set_desc(RXQ, i, addr, len, VRING_DESC_F_WRITE, 0);
	offer(RXQ, i);
}

static bool filled(uint64_t gpa, size_t len, uint8_t fill)
{
	for (size_t i = 0; i < len; i++)
		if (ram[gpa + i] != fill)
			return false;
	return true;
}

START_TEST(identity_and_config)
{
	uint8_t cfg[8];
	uint64_t f;

	ck_assert_uint_eq(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
	f = device_features();
	ck_assert(f & F(VIRTIO_NET_F_MAC));
	ck_assert(f & F(VIRTIO_NET_F_STATUS));
	ck_assert(f & F(VIRTIO_F_VERSION_1));
	ck_assert(
	    !(f & (F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_MRG_RXBUF) |
		   F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_MQ))));
	for (unsigned int i = 0; i < 8; i++)
		virtio_mmio_bus_ops()->read(&net.mmio, 0x100 + i, &cfg[i], 1);
	ck_assert_mem_eq(cfg, mac, 6);
	ck_assert_uint_eq(cfg[6] | cfg[7] << 8, VIRTIO_NET_S_LINK_UP);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_NET_QUEUE_SIZE);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_NET_QUEUE_SIZE);
	wr(VIRTIO_MMIO_QUEUE_SEL, 2);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
}
END_TEST

START_TEST(default_mac)
{
	uint8_t m[6];

	virtio_net_default_mac(m, 0);
	ck_assert_mem_eq(m, ((uint8_t[]){ 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }), 6);
	virtio_net_default_mac(m, 0xaa);
	ck_assert_mem_eq(m, ((uint8_t[]){ 0x52, 0x54, 0x00, 0x12, 0x35, 0x00 }), 6);
	ck_assert(m[0] & 2 && !(m[0] & 1)); /* locally administered, unicast */
}
END_TEST

START_TEST(tx_sends_header_and_frame)
{
	uint8_t out[256];

	driver_init(true);
	/* Header with offload bits a driver must not set, in its own descriptor. */
	memset(ram + BUF, 0, HDR);
	ram[BUF] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	ram[BUF + 1] = VIRTIO_NET_HDR_GSO_TCPV4;
	memset(ram + BUF + 0x100, 0xab, 60);
	memset(ram + BUF + 0x200, 0xcd, 40);
	set_desc(TXQ, 0, BUF, HDR, VRING_DESC_F_NEXT, 1);
	set_desc(TXQ, 1, BUF + 0x100, 60, VRING_DESC_F_NEXT, 2);
	set_desc(TXQ, 2, BUF + 0x200, 40, 0, 0);
	offer(TXQ, 0);
	kick(TXQ);
	ck_assert_uint_eq(used_idx(TXQ), 1);
	ck_assert_uint_eq(used_id(TXQ, 0), 0);
	ck_assert_uint_eq(used_len(TXQ, 0), 0);
	ck_assert(irq.level && irq.gsi == 9);
	ck_assert_int_eq(host_recv(out, sizeof(out)), HDR + 100);
	for (unsigned int i = 0; i < HDR; i++)
		ck_assert_uint_eq(out[i], 0);
	ck_assert(out[HDR] == 0xab && out[HDR + 59] == 0xab);
	ck_assert(out[HDR + 60] == 0xcd && out[HDR + 99] == 0xcd);
	ck_assert_int_eq(host_recv(out, sizeof(out)), -1);
	ck_assert_uint_eq(net.tx_packets, 1);
}
END_TEST

START_TEST(rx_delivers_with_num_buffers_and_interrupt)
{
	struct virtio_net_hdr_v1 hdr;

	driver_init(true);
	post_rx(0, BUF, 1526);
	post_rx(1, BUF + 0x1000, 1526);
	kick(RXQ);
	ck_assert_uint_eq(used_idx(RXQ), 0);
	host_send(60, 0x11);
	host_send(1514, 0x22);
	ck_assert(virtio_net_tap_readable(&net, net.tap_fd));
	ck_assert_uint_eq(used_idx(RXQ), 2);
	ck_assert_uint_eq(used_id(RXQ, 0), 0);
	ck_assert_uint_eq(used_len(RXQ, 0), HDR + 60);
	ck_assert_uint_eq(used_id(RXQ, 1), 1);
	ck_assert_uint_eq(used_len(RXQ, 1), HDR + 1514);
	memcpy(&hdr, ram + BUF, HDR);
	ck_assert_uint_eq(le16toh(hdr.num_buffers), 1);
	ck_assert(filled(BUF + HDR, 60, 0x11));
	memcpy(&hdr, ram + BUF + 0x1000, HDR);
	ck_assert_uint_eq(le16toh(hdr.num_buffers), 1);
	ck_assert(filled(BUF + 0x1000 + HDR, 1514, 0x22));
	ck_assert(irq.level && irq.gsi == 9);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	ck_assert_uint_eq(net.rx_packets, 2);
	ck_assert(!needs_reset());
}
END_TEST

START_TEST(rx_chain_of_several_buffers)
{
	driver_init(true);
	set_desc(RXQ, 3, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 4);
	set_desc(RXQ, 4, BUF + 0x100, 100, VRING_DESC_F_WRITE, 0);
	offer(RXQ, 3);
	host_send(90, 0x33);
	ck_assert(virtio_net_tap_readable(&net, net.tap_fd));
	ck_assert_uint_eq(used_idx(RXQ), 1);
	ck_assert_uint_eq(used_len(RXQ, 0), HDR + 90);
	ck_assert_uint_eq(get16(BUF + 0x100 + 2), 1); /* num_buffers straddles the two */
	ck_assert(filled(BUF + 0x100 + 4, 90, 0x33));
}
END_TEST

START_TEST(rx_without_buffer_keeps_packet_pending)
{
	driver_init(true);
	host_send(50, 0x44);
	host_send(70, 0x55);
	ck_assert(virtio_net_tap_readable(&net, net.tap_fd));
	ck_assert_uint_eq(used_idx(RXQ), 0);
	ck_assert_uint_eq(net.rx_len, HDR + 50); /* one in the slot, one still in the tap */
	ck_assert(!irq.level);
	/* Another wakeup with still no buffer: nothing lost, nothing more read. */
	ck_assert(virtio_net_tap_readable(&net, net.tap_fd));
	ck_assert_uint_eq(net.rx_len, HDR + 50);
	post_rx(0, BUF, 1526);
	post_rx(1, BUF + 0x1000, 1526);
	kick(RXQ); /* delivers the pending packet and reads on */
	ck_assert_uint_eq(used_idx(RXQ), 2);
	ck_assert_uint_eq(used_len(RXQ, 0), HDR + 50);
	ck_assert(filled(BUF + HDR, 50, 0x44));
	ck_assert_uint_eq(used_len(RXQ, 1), HDR + 70);
	ck_assert(filled(BUF + 0x1000 + HDR, 70, 0x55));
	ck_assert(irq.level);
	ck_assert_uint_eq(net.rx_len, 0);
	ck_assert_uint_eq(net.rx_dropped, 0);
}
END_TEST

/* A packet bigger than the chain (no MRG_RXBUF): dropped, the chain completed with 0. */
START_TEST(rx_oversize_packet_dropped)
{
	driver_init(true);
	memset(ram + BUF, 0xee, 64);
	post_rx(0, BUF, 64);
	post_rx(1, BUF + 0x1000, 1526);
	host_send(200, 0x66);
	host_send(20, 0x77);
	ck_assert(virtio_net_tap_readable(&net, net.tap_fd));
	ck_assert_uint_eq(used_idx(RXQ), 2);
	ck_assert_uint_eq(used_len(RXQ, 0), 0);
	ck_assert(filled(BUF, 64, 0xee)); /* nothing written */
	ck_assert_uint_eq(used_len(RXQ, 1), HDR + 20);
	ck_assert(filled(BUF + 0x1000 + HDR, 20, 0x77));
	ck_assert_uint_eq(net.rx_dropped, 1);
	ck_assert(!needs_reset());
}
END_TEST

START_TEST(rx_before_driver_ok_drops)
{
	driver_init(false);
	host_send(30, 0x12);
	ck_assert(virtio_net_tap_readable(&net, net.tap_fd));
	ck_assert_uint_eq(net.rx_len, 0);
	ck_assert_uint_eq(net.rx_dropped, 1);
	ck_assert(!irq.level);
}
END_TEST

START_TEST(reset_empties_the_slot)
{
	driver_init(true);
	host_send(30, 0x12);
	ck_assert(virtio_net_tap_readable(&net, net.tap_fd));
	ck_assert_uint_eq(net.rx_len, HDR + 30);
	wr(VIRTIO_MMIO_STATUS, 0);
	ck_assert_uint_eq(net.rx_len, 0);
	avail_idx[0] = avail_idx[1] = 0;
	memset(ram, 0, BUF);
	driver_init(true);
	post_rx(0, BUF, 1526);
	kick(RXQ);
	ck_assert_uint_eq(used_idx(RXQ), 0);
}
END_TEST

START_TEST(rx_drains_several_per_wakeup)
{
	unsigned int i;

	driver_init(true);
	for (i = 0; i < QSIZE; i++)
		post_rx(i, BUF + 0x800 * i, 0x800);
	for (i = 0; i < 10; i++)
		host_send(16, i);
	ck_assert(virtio_net_tap_readable(&net, net.tap_fd));
	ck_assert_uint_eq(used_idx(RXQ), 10);
	for (i = 0; i < 10; i++)
		ck_assert(filled(BUF + 0x800 * i + HDR, 16, i));
}
END_TEST

START_TEST(eof_stops_watching)
{
	driver_init(true);
	close(host_fd);
	host_fd = -1;
	ck_assert(!virtio_net_tap_readable(&net, net.tap_fd));
}
END_TEST

START_TEST(hostile_tx_chains)
{
	uint8_t out[64];

	driver_init(true);
	/* Shorter than the header. */
	set_desc(TXQ, 0, BUF, HDR - 1, 0, 0);
	offer(TXQ, 0);
	/* A buffer outside RAM. */
	set_desc(TXQ, 1, OUTSIDE, 100, 0, 0);
	offer(TXQ, 1);
	/* Only writable descriptors. */
	set_desc(TXQ, 2, BUF, 100, VRING_DESC_F_WRITE, 0);
	offer(TXQ, 2);
	/* Longer than any packet: 2 x 64 KiB + 12 readable bytes, all pointing at RAM. */
	set_desc(TXQ, 3, BUF, 0x10000, VRING_DESC_F_NEXT, 4);
	set_desc(TXQ, 4, BUF, 0x10000, VRING_DESC_F_NEXT, 5);
	set_desc(TXQ, 5, BUF, HDR, 0, 0);
	offer(TXQ, 3);
	kick(TXQ);
	ck_assert_uint_eq(used_idx(TXQ), 4);
	ck_assert_uint_eq(net.tx_dropped, 4);
	ck_assert_int_eq(host_recv(out, sizeof(out)), -1);
	ck_assert(!needs_reset());
	/* A loop breaks the queue, not the process. */
	set_desc(TXQ, 6, BUF, HDR, VRING_DESC_F_NEXT, 7);
	set_desc(TXQ, 7, BUF, 20, VRING_DESC_F_NEXT, 6);
	offer(TXQ, 6);
	kick(TXQ);
	ck_assert(needs_reset());
	ck_assert_int_eq(host_recv(out, sizeof(out)), -1);
}
END_TEST

START_TEST(hostile_rx_chains)
{
	uint8_t runt[HDR - 2] = { 0 };

	driver_init(true);
	/* A buffer outside RAM: the packet is dropped, the chain completed with 0. */
	post_rx(0, OUTSIDE, 1526);
	/* Readable only: no room, dropped the same way. */
	set_desc(RXQ, 1, BUF, 1526, 0, 0);
	offer(RXQ, 1);
	post_rx(2, BUF + 0x1000, 1526);
	host_send(40, 0x01);
	host_send(40, 0x02);
	/* A runt from the tap (shorter than the header) never reaches the guest. */
	ck_assert_int_eq(write(host_fd, runt, sizeof(runt)), sizeof(runt));
	host_send(40, 0x03);
	ck_assert(virtio_net_tap_readable(&net, net.tap_fd));
	ck_assert_uint_eq(used_idx(RXQ), 3);
	ck_assert_uint_eq(used_len(RXQ, 0), 0);
	ck_assert_uint_eq(used_len(RXQ, 1), 0);
	ck_assert_uint_eq(used_len(RXQ, 2), HDR + 40);
	ck_assert(filled(BUF + 0x1000 + HDR, 40, 0x03));
	ck_assert_uint_eq(net.rx_dropped, 3);
	ck_assert(!needs_reset());
	/* An avail index far ahead breaks the queue; later packets are dropped, no crash. */
	put16(QBASE(RXQ) + 0x1000 + 2, avail_idx[RXQ] + 100);
	host_send(40, 0x04);
	ck_assert(virtio_net_tap_readable(&net, net.tap_fd));
	ck_assert(needs_reset());
	host_send(40, 0x05);
	ck_assert(virtio_net_tap_readable(&net, net.tap_fd));
	ck_assert_uint_eq(net.rx_len, 0);
	ck_assert_uint_eq(used_idx(RXQ), 3);
}
END_TEST

START_TEST(open_tap_rejects_bad_names)
{
	char err[256];
	int fd = -1;

	ck_assert_int_eq(virtio_net_open_tap("", &fd, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(virtio_net_open_tap("a-name-far-too-long", &fd, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "characters"));
}
END_TEST

Suite *virtio_net_suite(void)
{
	Suite *s = suite_create("virtio_net");
	TCase *tc = tcase_create("virtio_net");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, identity_and_config);
	tcase_add_test(tc, default_mac);
	tcase_add_test(tc, tx_sends_header_and_frame);
	tcase_add_test(tc, rx_delivers_with_num_buffers_and_interrupt);
	tcase_add_test(tc, rx_chain_of_several_buffers);
	tcase_add_test(tc, rx_without_buffer_keeps_packet_pending);
	tcase_add_test(tc, rx_oversize_packet_dropped);
	tcase_add_test(tc, rx_before_driver_ok_drops);
	tcase_add_test(tc, reset_empties_the_slot);
	tcase_add_test(tc, rx_drains_several_per_wakeup);
	tcase_add_test(tc, eof_stops_watching);
	tcase_add_test(tc, hostile_tx_chains);
	tcase_add_test(tc, hostile_rx_chains);
	tcase_add_test(tc, open_tap_rejects_bad_names);
	suite_add_tcase(s, tc);
	return s;
}
