/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio network device (virtio 1.2 §5.1) on a Linux tap device: queue 0 receives, queue 1
 * transmits, features VIRTIO_NET_F_MAC and VIRTIO_NET_F_STATUS (link always up) and no
 * offloads. The tap is opened with IFF_VNET_HDR and a 12-byte header, so a packet on the tap
 * fd is exactly what the driver puts in a buffer: struct virtio_net_hdr_v1 and the frame.
 *
 * Transmit runs in queue_notify, on the vCPU thread that kicks, under the transport lock: the
 * chain's readable bytes are copied to a bounce buffer, the header's offload fields are
 * zeroed (none were negotiated) and the packet is written to the tap. A chain shorter than the
 * header or longer than VIRTIO_NET_BUF_SIZE, a buffer outside memory or a failed write (tap
 * full: EAGAIN) drops the packet; the chain is completed with used length 0 either way.
 *
 * Receive runs on the io loop thread: virtio_net_tap_readable() is the ioloop_fn for the tap
 * fd. It takes the transport lock and reads up to VIRTIO_NET_RX_BURST packets into a
 * one-packet slot, each moved into the next receive chain (num_buffers = 1). When the driver
 * has posted no buffer, the packet stays in the slot and reading stops (the tap queues the
 * rest, and drops when full); the driver's next kick of queue 0 delivers it and reads on, on
 * the vCPU thread. A packet larger than the chain's writable bytes is dropped and the chain
 * completed with used length 0 (Linux counts a length error and reposts the buffer). While
 * the device is not running (no DRIVER_OK, queue 0 not ready or broken) received packets are
 * dropped. A reset empties the slot.
 */
#ifndef NESTVM_VIRTIO_NET_H
#define NESTVM_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_net.h>

#include "devices/virtio_mmio.h"

#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1
#define VIRTIO_NET_HDR_LEN sizeof(struct virtio_net_hdr_v1) /* 12 */
/* The largest packet moved either way: the header and a 64 KiB frame. */
#define VIRTIO_NET_BUF_SIZE (VIRTIO_NET_HDR_LEN + 65536)
/* Packets one call of the receive path reads at most. */
#define VIRTIO_NET_RX_BURST 256

struct virtio_net {
	struct virtio_mmio_dev mmio;
	int tap_fd;
	struct virtio_net_config config; /* little-endian; mac and status are exposed */
	/* Under mmio.lock from here on. */
	struct virtq_req req; /* the chain being served */
	uint8_t *tx_buf;
	uint8_t *rx_buf; /* the pending slot */
	size_t rx_len; /* bytes in rx_buf; 0: the slot is empty */
	uint64_t rx_packets, tx_packets, rx_dropped, tx_dropped;
};

/*
 * Opens /dev/net/tun and attaches to (or creates) tap @name, non-blocking, with a 12-byte
 * virtio-net header. Returns 0 with the fd in *fd, or a negative errno with the reason, and
 * the fix, in @err.
 */
int virtio_net_open_tap(const char *name, int *fd, char *err, size_t errlen);

/* 52:54:00:12:34:56 plus @index: a locally administered address per device. */
void virtio_net_default_mac(uint8_t mac[6], unsigned int index);

/*
 * Sets up the device on @tap_fd (non-blocking, 12-byte vnet header; any fd that reads and
 * writes whole packets). Returns 0, the device then owning @tap_fd, or -ENOMEM, the caller
 * still owning it. virtio_mmio_bus_ops() are the window's callbacks.
 */
int virtio_net_init(struct virtio_net *net, int tap_fd, const uint8_t mac[6],
		    const struct dma_space *dma, struct irq_sink *irq, unsigned int gsi);
int virtio_net_attach(struct bus *mmio, uint64_t base, struct virtio_net *net);
/* Closes the tap fd. The io loop must be stopped (or never have watched it). */
void virtio_net_destroy(struct virtio_net *net);

/*
 * The ioloop_fn for the tap fd (@opaque: the struct virtio_net), on the loop thread: takes
 * the transport lock. Returns false, to stop watching, only when the fd reads end of file.
 */
bool virtio_net_tap_readable(void *opaque, int fd);

#endif
