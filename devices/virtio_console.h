/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio console (virtio 1.2 §5.3) with a single port and no features: no
 * VIRTIO_CONSOLE_F_SIZE, F_MULTIPORT or F_EMERG_WRITE. Queue 0 (receiveq) carries bytes to
 * the guest, queue 1 (transmitq) bytes from it. The config space is the spec's 12 bytes
 * (cols, rows, max_nr_ports, emerg_wr), all reading 0: none of its fields is valid without
 * its feature, but the layout is fixed, so a driver that reads it anyway gets zeros from a
 * defined field rather than past the end; writes (emerg_wr) are ignored.
 *
 * Transmit runs in queue_notify, on the thread that kicks (a vCPU, or the io loop through
 * virtio_mmio_kick()), under the transport lock: each chain's readable bytes are copied out
 * in VIRTIO_CONSOLE_TX_CHUNK pieces and written to the output fd, and the chain is completed
 * with used length 0. A thread is never blocked for long: EINTR is retried; when the fd has no
 * room (EAGAIN, or poll() on an fd that could block finds none within
 * VIRTIO_CONSOLE_OUT_WAIT_MS) the rest of the chain is dropped, and later chains are dropped
 * without waiting until the fd takes bytes again; after a hard error (EPIPE, EIO) all output
 * is dropped from then on. A buffer outside memory drops what is left of its chain. Dropped
 * bytes are counted in tx_dropped.
 *
 * Receive: virtio_console_receive(), from any thread other than one inside a transport
 * callback (the io loop), takes the transport lock. Bytes fill the posted receive chains in
 * order, several bytes per chain; what does not fit waits in a VIRTIO_CONSOLE_PENDING-byte
 * buffer, delivered first when the driver posts buffers and kicks queue 0. Bytes beyond that
 * are dropped and counted in rx_dropped. Until the device runs (DRIVER_OK, queue 0 ready and
 * not broken) bytes only go to the pending buffer. A chain that cannot take bytes (a buffer
 * outside memory, no writable descriptor) is completed with used length 0 and the bytes stay
 * pending for the next one. A reset empties the pending buffer.
 */
#ifndef NESTVM_VIRTIO_CONSOLE_H
#define NESTVM_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/console_out.h"
#include "devices/virtio_mmio.h"

#define VIRTIO_CONSOLE_QUEUE_SIZE 64
#define VIRTIO_CONSOLE_RXQ 0
#define VIRTIO_CONSOLE_TXQ 1
#define VIRTIO_CONSOLE_CONFIG_SIZE 12 /* struct virtio_console_config */
/* Received bytes held while the driver has no buffer posted. */
#define VIRTIO_CONSOLE_PENDING 4096
/* Bytes copied out of a transmit chain per write(). */
#define VIRTIO_CONSOLE_TX_CHUNK 4096
/* How long a transmit waits for room on an output fd that could block. */
#define VIRTIO_CONSOLE_OUT_WAIT_MS 50

struct virtio_console {
	struct virtio_mmio_dev mmio;
	/* Under mmio.lock from here on. */
	struct console_out out;
	struct virtq_req req; /* the chain being served */
	uint8_t tx_buf[VIRTIO_CONSOLE_TX_CHUNK];
	uint8_t pending[VIRTIO_CONSOLE_PENDING];
	size_t pending_len;
	uint64_t rx_bytes, tx_bytes, rx_dropped, tx_dropped;
};

/*
 * Sets up the device writing guest output to @out_fd (not closed by the device; -1 discards
 * it). Returns 0. virtio_mmio_bus_ops() are the window's callbacks.
 */
int virtio_console_init(struct virtio_console *con, int out_fd, const struct dma_space *dma,
			struct irq_sink *irq, unsigned int gsi);
int virtio_console_attach(struct bus *mmio, uint64_t base, struct virtio_console *con);
/*
 * Host input for the guest, on a thread that holds no transport lock (the io loop). Returns
 * the bytes taken (delivered or pending); the rest of @len was dropped.
 */
size_t virtio_console_receive(struct virtio_console *con, const uint8_t *buf, size_t len);
void virtio_console_destroy(struct virtio_console *con);

#endif
