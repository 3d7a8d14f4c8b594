// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console driven like a driver drives it: through the register window, with both rings
 * and the buffers in a fake guest RAM and a fake interrupt sink. The output fd is the write
 * end of a non-blocking pipe; the test reads what the guest sent from the other end and feeds
 * input through virtio_console_receive() as the io loop would.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "devices/virtio_console.h"
#include "unit.h"
#include "virtio_driver.h"

#define RXQ VIRTIO_CONSOLE_RXQ
#define TXQ VIRTIO_CONSOLE_TXQ

static struct virtio_console con;
static int out_pipe[2]; /* the device writes [1], the test reads [0] */

static void setup(void)
{
	vd_setup();
	vd_dev = &con.mmio;
	ck_assert_int_eq(pipe2(out_pipe, O_NONBLOCK | O_CLOEXEC), 0);
	ck_assert_int_eq(virtio_console_init(&con, out_pipe[1], &dma, &irq.sink, 7), 0);
}

static void teardown(void)
{
	virtio_console_destroy(&con);
	if (out_pipe[0] >= 0)
		close(out_pipe[0]);
	close(out_pipe[1]);
	vd_release();
}

/* Posts a writable receive buffer of @len bytes at @addr as descriptor @i. */
static void post_rx(unsigned int i, uint64_t addr, uint32_t len)
{
	set_desc(RXQ, i, addr, len, VRING_DESC_F_WRITE, 0);
	offer(RXQ, i);
}

/* Offers one readable buffer of @len bytes at @addr as transmit descriptor @i. */
static void post_tx(unsigned int i, uint64_t addr, uint32_t len)
{
	set_desc(TXQ, i, addr, len, 0, 0);
	offer(TXQ, i);
}

static size_t receive_str(const char *s)
{
	return virtio_console_receive(&con, (const uint8_t *)s, strlen(s));
}

START_TEST(identity_and_config)
{
	uint64_t f;
	uint32_t v;

	ck_assert_uint_eq(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_CONSOLE);
	f = device_features();
	ck_assert(f & F(VIRTIO_F_VERSION_1));
	ck_assert(!(f & (F(VIRTIO_CONSOLE_F_SIZE) | F(VIRTIO_CONSOLE_F_MULTIPORT) |
			 F(VIRTIO_CONSOLE_F_EMERG_WRITE))));
	for (unsigned int off = 0; off < VIRTIO_CONSOLE_CONFIG_SIZE; off += 4)
		ck_assert_uint_eq(rd(0x100 + off), 0);
	/* emerg_wr without the feature: ignored, nothing written out. */
	v = htole32('X');
	virtio_mmio_bus_ops()->write(&con.mmio, 0x100 + 8, &v, 4);
	ck_assert_uint_eq(rd(0x100 + 8), 0);
	ck_assert_int_eq(read(out_pipe[0], &v, 1), -1);
	wr(VIRTIO_MMIO_QUEUE_SEL, RXQ);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_CONSOLE_QUEUE_SIZE);
	wr(VIRTIO_MMIO_QUEUE_SEL, TXQ);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_CONSOLE_QUEUE_SIZE);
	wr(VIRTIO_MMIO_QUEUE_SEL, 2);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
}
END_TEST

START_TEST(tx_writes_to_the_fd)
{
	char out[64];

	driver_init(true);
	memcpy(ram + BUF, "hello, ", 7);
	memcpy(ram + BUF + 0x100, "world\n", 6);
	set_desc(TXQ, 0, BUF, 7, VRING_DESC_F_NEXT, 1);
	set_desc(TXQ, 1, BUF + 0x100, 6, 0, 0);
	offer(TXQ, 0);
	memcpy(ram + BUF + 0x200, "bye\n", 4);
	post_tx(2, BUF + 0x200, 4);
	kick(TXQ);
	ck_assert_uint_eq(used_idx(TXQ), 2);
	ck_assert_uint_eq(used_id(TXQ, 0), 0);
	ck_assert_uint_eq(used_len(TXQ, 0), 0);
	ck_assert_uint_eq(used_id(TXQ, 1), 2);
	ck_assert(irq.level && irq.gsi == 7);
	ck_assert_int_eq(read(out_pipe[0], out, sizeof(out)), 17);
	ck_assert_mem_eq(out, "hello, world\nbye\n", 17);
	ck_assert_uint_eq(con.tx_bytes, 17);
	ck_assert_uint_eq(con.tx_dropped, 0);
}
END_TEST

/* A chain larger than one write chunk goes out whole, in order. */
START_TEST(tx_large_chain)
{
	static uint8_t out[3 * VIRTIO_CONSOLE_TX_CHUNK];
	size_t len = sizeof(out) - 5;

	driver_init(true);
	for (size_t i = 0; i < len; i++)
		ram[BUF + i] = i * 7;
	post_tx(0, BUF, len);
	kick(TXQ);
	ck_assert_uint_eq(used_idx(TXQ), 1);
	ck_assert_int_eq(read(out_pipe[0], out, sizeof(out)), (ssize_t)len);
	ck_assert_mem_eq(out, ram + BUF, len);
}
END_TEST

/* A full non-blocking fd: the bytes are dropped and counted, the chain completed. */
START_TEST(tx_full_fd_drops)
{
	uint8_t junk[4096] = { 0 };

	driver_init(true);
	while (write(out_pipe[1], junk, sizeof(junk)) > 0)
		;
	ck_assert_int_eq(errno, EAGAIN);
	post_tx(0, BUF, 100);
	post_tx(1, BUF, 50);
	kick(TXQ);
	ck_assert_uint_eq(used_idx(TXQ), 2);
	ck_assert_uint_eq(con.tx_dropped, 150);
	ck_assert_uint_eq(con.tx_bytes, 0);
	/* Room again: output resumes. */
	while (read(out_pipe[0], junk, sizeof(junk)) > 0)
		;
	memcpy(ram + BUF, "ok", 2);
	post_tx(2, BUF, 2);
	kick(TXQ);
	ck_assert_uint_eq(used_idx(TXQ), 3);
	ck_assert_int_eq(read(out_pipe[0], junk, sizeof(junk)), 2);
	ck_assert_uint_eq(con.tx_bytes, 2);
}
END_TEST

/* The reader is gone: output is dropped from then on, the guest runs on. */
START_TEST(tx_hard_error_drops_output)
{
	signal(SIGPIPE, SIG_IGN);
	driver_init(true);
	close(out_pipe[0]);
	out_pipe[0] = -1;
	post_tx(0, BUF, 10);
	kick(TXQ);
	ck_assert_uint_eq(used_idx(TXQ), 1);
	ck_assert_int_eq(con.out.fd, -1);
	post_tx(1, BUF, 10);
	kick(TXQ);
	ck_assert_uint_eq(used_idx(TXQ), 2);
	ck_assert_uint_eq(con.tx_dropped, 20);
}
END_TEST

START_TEST(rx_delivered_with_interrupt)
{
	driver_init(true);
	post_rx(0, BUF, 8);
	post_rx(1, BUF + 0x100, 64);
	kick(RXQ);
	ck_assert_uint_eq(used_idx(RXQ), 0);
	ck_assert(!irq.level);
	ck_assert_uint_eq(receive_str("hello, world"), 12);
	ck_assert_uint_eq(used_idx(RXQ), 2);
	ck_assert_uint_eq(used_id(RXQ, 0), 0);
	ck_assert_uint_eq(used_len(RXQ, 0), 8);
	ck_assert_mem_eq(ram + BUF, "hello, w", 8);
	ck_assert_uint_eq(used_id(RXQ, 1), 1);
	ck_assert_uint_eq(used_len(RXQ, 1), 4);
	ck_assert_mem_eq(ram + BUF + 0x100, "orld", 4);
	ck_assert(irq.level && irq.gsi == 7);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	ck_assert_uint_eq(con.rx_bytes, 12);
	ck_assert_uint_eq(con.pending_len, 0);
	ck_assert(!needs_reset());
}
END_TEST

START_TEST(rx_without_buffer_kept_pending)
{
	driver_init(true);
	ck_assert_uint_eq(receive_str("abc"), 3);
	ck_assert_uint_eq(receive_str("def"), 3);
	ck_assert_uint_eq(used_idx(RXQ), 0);
	ck_assert_uint_eq(con.pending_len, 6);
	ck_assert(!irq.level);
	post_rx(0, BUF, 4);
	post_rx(1, BUF + 0x100, 4);
	kick(RXQ);
	ck_assert_uint_eq(used_idx(RXQ), 2);
	ck_assert_uint_eq(used_len(RXQ, 0), 4);
	ck_assert_mem_eq(ram + BUF, "abcd", 4);
	ck_assert_uint_eq(used_len(RXQ, 1), 2);
	ck_assert_mem_eq(ram + BUF + 0x100, "ef", 2);
	ck_assert(irq.level);
	ck_assert_uint_eq(con.pending_len, 0);
	/* Pending bytes go before new ones. */
	ck_assert_uint_eq(receive_str("123456"), 6);
	ck_assert_uint_eq(con.pending_len, 6);
	post_rx(2, BUF + 0x200, 3);
	kick(RXQ);
	ck_assert_uint_eq(con.pending_len, 3);
	post_rx(3, BUF + 0x300, 16);
	ck_assert_uint_eq(receive_str("78"), 2);
	ck_assert_uint_eq(used_idx(RXQ), 4);
	ck_assert_mem_eq(ram + BUF + 0x200, "123", 3);
	ck_assert_uint_eq(used_len(RXQ, 3), 5);
	ck_assert_mem_eq(ram + BUF + 0x300, "45678", 5);
	ck_assert_uint_eq(con.rx_dropped, 0);
}
END_TEST

/* Before DRIVER_OK bytes wait; the driver's first kick of queue 0 gets them. */
START_TEST(rx_before_driver_ok_pending)
{
	driver_init(false);
	post_rx(0, BUF, 16);
	ck_assert_uint_eq(receive_str("early"), 5);
	ck_assert_uint_eq(used_idx(RXQ), 0);
	wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
	kick(RXQ);
	ck_assert_uint_eq(used_idx(RXQ), 1);
	ck_assert_uint_eq(used_len(RXQ, 0), 5);
	ck_assert_mem_eq(ram + BUF, "early", 5);
}
END_TEST

START_TEST(rx_overflow_dropped)
{
	static uint8_t in[VIRTIO_CONSOLE_PENDING + 1000];

	driver_init(true);
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = i;
	ck_assert_uint_eq(virtio_console_receive(&con, in, sizeof(in)), VIRTIO_CONSOLE_PENDING);
	ck_assert_uint_eq(con.pending_len, VIRTIO_CONSOLE_PENDING);
	ck_assert_uint_eq(con.rx_dropped, 1000);
	ck_assert_uint_eq(virtio_console_receive(&con, in, 10), 0);
	ck_assert_uint_eq(con.rx_dropped, 1010);
	post_rx(0, BUF, 3000);
	post_rx(1, BUF + 0x1000, 3000);
	kick(RXQ);
	ck_assert_uint_eq(used_idx(RXQ), 2);
	ck_assert_uint_eq(used_len(RXQ, 0), 3000);
	ck_assert_uint_eq(used_len(RXQ, 1), VIRTIO_CONSOLE_PENDING - 3000);
	ck_assert_mem_eq(ram + BUF, in, 3000);
	ck_assert_mem_eq(ram + BUF + 0x1000, in + 3000, VIRTIO_CONSOLE_PENDING - 3000);
	ck_assert_uint_eq(con.pending_len, 0);
}
END_TEST

START_TEST(reset_empties_pending)
{
	driver_init(true);
	ck_assert_uint_eq(receive_str("stale"), 5);
	wr(VIRTIO_MMIO_STATUS, 0);
	ck_assert_uint_eq(con.pending_len, 0);
	avail_idx[0] = avail_idx[1] = 0;
	memset(ram, 0, BUF);
	driver_init(true);
	post_rx(0, BUF, 16);
	kick(RXQ);
	ck_assert_uint_eq(used_idx(RXQ), 0);
}
END_TEST

START_TEST(hostile_tx_chains)
{
	char out[64];

	driver_init(true);
	/* A buffer outside RAM: dropped, completed. */
	post_tx(0, OUTSIDE, 100);
	/* Only writable descriptors: nothing to send. */
	set_desc(TXQ, 1, BUF, 100, VRING_DESC_F_WRITE, 0);
	offer(TXQ, 1);
	/* A chain running off the end of RAM: nothing of it goes out past the fault. */
	post_tx(2, RAM_SIZE - 10, 100);
	kick(TXQ);
	ck_assert_uint_eq(used_idx(TXQ), 3);
	ck_assert_uint_eq(con.tx_dropped, 200);
	ck_assert_int_eq(read(out_pipe[0], out, sizeof(out)), -1);
	ck_assert(!needs_reset());
	/* A loop breaks the queue, not the process. */
	set_desc(TXQ, 6, BUF, 4, VRING_DESC_F_NEXT, 7);
	set_desc(TXQ, 7, BUF, 4, VRING_DESC_F_NEXT, 6);
	offer(TXQ, 6);
	kick(TXQ);
	ck_assert(needs_reset());
	ck_assert_int_eq(read(out_pipe[0], out, sizeof(out)), -1);
}
END_TEST

START_TEST(hostile_rx_chains)
{
	driver_init(true);
	/* Outside RAM, then readable only: both completed with 0, the bytes kept for the next. */
	post_rx(0, OUTSIDE, 64);
	set_desc(RXQ, 1, BUF, 64, 0, 0);
	offer(RXQ, 1);
	post_rx(2, BUF + 0x100, 64);
	ck_assert_uint_eq(receive_str("data"), 4);
	ck_assert_uint_eq(used_idx(RXQ), 3);
	ck_assert_uint_eq(used_len(RXQ, 0), 0);
	ck_assert_uint_eq(used_len(RXQ, 1), 0);
	ck_assert_uint_eq(used_len(RXQ, 2), 4);
	ck_assert_mem_eq(ram + BUF + 0x100, "data", 4);
	ck_assert(!needs_reset());
	/* A loop in a receive chain breaks the queue on the io loop's call. */
	set_desc(RXQ, 3, BUF, 4, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 4);
	set_desc(RXQ, 4, BUF, 4, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
	offer(RXQ, 3);
	ck_assert_uint_eq(receive_str("more"), 4);
	ck_assert(needs_reset());
	ck_assert_uint_eq(used_idx(RXQ), 3);
	/* Later input just waits (bounded); no crash, no delivery. */
	ck_assert_uint_eq(receive_str("again"), 5);
	ck_assert_uint_eq(used_idx(RXQ), 3);
}
END_TEST

Suite *virtio_console_suite(void)
{
	Suite *s = suite_create("virtio_console");
	TCase *tc = tcase_create("virtio_console");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, identity_and_config);
	tcase_add_test(tc, tx_writes_to_the_fd);
	tcase_add_test(tc, tx_large_chain);
	tcase_add_test(tc, tx_full_fd_drops);
	tcase_add_test(tc, tx_hard_error_drops_output);
	tcase_add_test(tc, rx_delivered_with_interrupt);
	tcase_add_test(tc, rx_without_buffer_kept_pending);
	tcase_add_test(tc, rx_before_driver_ok_pending);
	tcase_add_test(tc, rx_overflow_dropped);
	tcase_add_test(tc, reset_empties_pending);
	tcase_add_test(tc, hostile_tx_chains);
	tcase_add_test(tc, hostile_rx_chains);
	suite_add_tcase(s, tc);
	return s;
}
