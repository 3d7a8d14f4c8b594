// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "devices/virtio_console.h"
#include "vmm/log.h"

/* A write interrupted by signals this many times in a row drops the rest of the chain. */

/* Whether received bytes can go to the guest now. With the transport lock held. */
static bool rx_running(struct virtio_console *con)
{
	struct virtq *vq = virtio_mmio_queue(&con->mmio, VIRTIO_CONSOLE_RXQ);

	return (con->mmio.status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(con->mmio.status & VIRTIO_CONFIG_S_NEEDS_RESET) && vq && vq->ready && !vq->broken;
}

/*
 * Moves up to @len bytes of @src into receive chains, one chain after another. Returns the
 * bytes delivered; fewer than @len when no chain is left (or the queue broke).
 */
static size_t rx_fill(struct virtio_console *con, const uint8_t *src, size_t len)
{
	struct virtq *vq = virtio_mmio_queue(&con->mmio, VIRTIO_CONSOLE_RXQ);
	size_t done = 0;

	while (done < len && virtq_pop(vq, &con->req) > 0) {
		uint32_t n =
		    len - done < con->req.writable_len ? len - done : con->req.writable_len;

		/* No room, or a buffer outside memory: the bytes wait for the next chain. */
		if (n && virtq_req_write(&con->req, 0, src + done, n))
			n = 0;
		done += n;
		if (virtq_push(vq, con->req.head, n))
			break;
	}
	con->rx_bytes += done;
	return done;
}

/* Delivers what is pending. With the transport lock held; returns whether it emptied. */
static bool rx_flush(struct virtio_console *con)
{
	size_t n;

	if (!con->pending_len || !rx_running(con))
		return !con->pending_len;
	n = rx_fill(con, con->pending, con->pending_len);
	memmove(con->pending, con->pending + n, con->pending_len - n);
	con->pending_len -= n;
	return !con->pending_len;
}

/* Appends up to @len bytes of @buf to the pending buffer; returns how many fit. */
static size_t rx_pend(struct virtio_console *con, const uint8_t *buf, size_t len)
{
	size_t room = VIRTIO_CONSOLE_PENDING - con->pending_len;

	if (room > len)
		room = len;
	memcpy(con->pending + con->pending_len, buf, room);
	con->pending_len += room;
	return room;
}

size_t virtio_console_receive(struct virtio_console *con, const uint8_t *buf, size_t len)
{
	size_t done = 0;

	virtio_mmio_lock(&con->mmio);
	/* Behind bytes already waiting: join them, so that one chain can take both. */
	if (con->pending_len)
		done = rx_pend(con, buf, len);
	if (rx_flush(con) && rx_running(con))
		done += rx_fill(con, buf + done, len - done);
	done += rx_pend(con, buf + done, len - done);
	con->rx_dropped += len - done;
	virtio_mmio_used(&con->mmio, VIRTIO_CONSOLE_RXQ); /* also: a broken queue, NEEDS_RESET */
	virtio_mmio_unlock(&con->mmio);
	return done;
}

/* Sends the readable bytes of con->req to the output fd. */
static void tx_one(struct virtio_console *con)
{
	uint32_t len = con->req.readable_len, off = 0;

	while (off < len) {
		uint32_t n =
		    len - off < VIRTIO_CONSOLE_TX_CHUNK ? len - off : VIRTIO_CONSOLE_TX_CHUNK;
		size_t sent;

		if (virtq_req_read(&con->req, off, con->tx_buf, n))
			break; /* a buffer outside memory */
		sent = console_out_write(&con->out, con->tx_buf, n);
		con->tx_bytes += sent;
		con->tx_dropped += n - sent;
		off += n;
		if (sent < n)
			break; /* no room or no fd: drop the rest rather than wait */
	}
	if (off < len)
		con->tx_dropped += len - off;
}

static void tx_drain(struct virtio_console *con)
{
	struct virtq *vq = virtio_mmio_queue(&con->mmio, VIRTIO_CONSOLE_TXQ);

	while (virtq_pop(vq, &con->req) > 0) {
		tx_one(con);
		if (virtq_push(vq, con->req.head, 0))
			break;
	}
	virtio_mmio_used(&con->mmio, VIRTIO_CONSOLE_TXQ);
}

static void console_queue_notify(struct virtio_mmio_dev *dev, unsigned int queue)
{
	struct virtio_console *con = virtio_mmio_backend(dev);

	if (queue == VIRTIO_CONSOLE_TXQ) {
		tx_drain(con);
	} else if (queue == VIRTIO_CONSOLE_RXQ) {
		rx_flush(con); /* new buffers: deliver what is pending */
		virtio_mmio_used(dev, VIRTIO_CONSOLE_RXQ);
	}
}

static void console_config_read(struct virtio_mmio_dev *dev, unsigned int offset, void *data,
				unsigned int len)
{
	(void)dev;
	(void)offset;
	memset(data, 0, len); /* cols, rows, max_nr_ports, emerg_wr: no feature makes them valid */
}

static void console_config_write(struct virtio_mmio_dev *dev, unsigned int offset, const void *data,
				 unsigned int len)
{
	/* emerg_wr without VIRTIO_CONSOLE_F_EMERG_WRITE: ignored. */
	(void)dev;
	(void)offset;
	(void)data;
	(void)len;
}

static void console_reset(struct virtio_mmio_dev *dev)
{
	struct virtio_console *con = virtio_mmio_backend(dev);

	con->pending_len = 0;
}

static const struct virtio_backend_ops console_ops = {
	.device_id = VIRTIO_ID_CONSOLE,
	.num_queues = 2,
	.queue_max = VIRTIO_CONSOLE_QUEUE_SIZE,
	.config_size = VIRTIO_CONSOLE_CONFIG_SIZE,
	.config_read = console_config_read,
	.config_write = console_config_write,
	.queue_notify = console_queue_notify,
	.reset = console_reset,
};

/* Regular files never make a write wait for a reader; pipes, ttys and sockets can. */
int virtio_console_init(struct virtio_console *con, int out_fd, const struct dma_space *dma,
			struct irq_sink *irq, unsigned int gsi)
{
	memset(con, 0, sizeof(*con));
	console_out_init(&con->out, out_fd, VIRTIO_CONSOLE_OUT_WAIT_MS, "virtio-console");
	virtio_mmio_init(&con->mmio, &console_ops, con, 0, dma, irq, gsi);
	return 0;
}

int virtio_console_attach(struct bus *mmio, uint64_t base, struct virtio_console *con)
{
	return virtio_mmio_attach(mmio, base, &con->mmio, "virtio-console");
}

void virtio_console_destroy(struct virtio_console *con)
{
	virtio_mmio_destroy(&con->mmio);
	con->out.fd = -1;
}
