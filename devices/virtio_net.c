// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "devices/virtio_net.h"
#include "vmm/util.h"

#define BIT64(n) (1ULL << (n))
/* The header's bytes before num_buffers: flags, gso_type, hdr_len, gso_size, csum_*. */
#define OFFLOAD_FIELDS offsetof(struct virtio_net_hdr_v1, num_buffers)
/* The config space the driver sees: mac and status (no MQ, no MTU). */
#define CONFIG_SIZE (offsetof(struct virtio_net_config, status) + 2)
/* A write interrupted by signals this many times in a row drops the packet. */
#define EINTR_RETRIES 8

/* Whether received packets can go to the guest. With the transport lock held. */
static bool rx_running(struct virtio_net *net)
{
	struct virtq *vq = virtio_mmio_queue(&net->mmio, VIRTIO_NET_RXQ);

	return (net->mmio.status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(net->mmio.status & VIRTIO_CONFIG_S_NEEDS_RESET) && vq && vq->ready && !vq->broken;
}

/*
 * Moves the pending packet into the next receive chain. Returns true when the slot is empty
 * afterwards, false when no chain was available (or the queue broke).
 */
static bool rx_deliver(struct virtio_net *net)
{
	struct virtq *vq = virtio_mmio_queue(&net->mmio, VIRTIO_NET_RXQ);
	uint32_t written = 0;

	if (!net->rx_len)
		return true;
	if (virtq_pop(vq, &net->req) <= 0)
		return false;
	/* Without VIRTIO_NET_F_MRG_RXBUF one chain holds the whole packet, or it is dropped. */
	if (net->req.writable_len >= net->rx_len &&
	    !virtq_req_write(&net->req, 0, net->rx_buf, net->rx_len)) {
		written = net->rx_len;
		net->rx_packets++;
	} else {
		net->rx_dropped++;
	}
	net->rx_len = 0;
	virtq_push(vq, net->req.head, written); /* a failure breaks the queue: seen by the caller */
	return true;
}

/*
 * Delivers the pending packet, then reads and delivers more until the tap is empty, no chain
 * is left, or VIRTIO_NET_RX_BURST reads. With the transport lock held. Returns false when the
 * fd reads end of file.
 */
static bool rx_drain(struct virtio_net *net)
{
	struct virtio_net_hdr_v1 *hdr = (struct virtio_net_hdr_v1 *)net->rx_buf;
	bool keep = true;
	unsigned int i;

	for (i = 0; i < VIRTIO_NET_RX_BURST; i++) {
		ssize_t n;

		if (!rx_running(net)) {
			if (net->rx_len)
				net->rx_dropped++;
			net->rx_len = 0; /* nobody to receive it */
		} else if (!rx_deliver(net)) {
			break; /* the slot stays full: the tap keeps the rest */
		}
		n = read(net->tap_fd, net->rx_buf, VIRTIO_NET_BUF_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			keep = false;
		if (n <= 0)
			break; /* EAGAIN: empty; other errors: wait for the next wakeup */
		if ((size_t)n < VIRTIO_NET_HDR_LEN) {
			net->rx_dropped++;
			continue;
		}
		hdr->num_buffers = htole16(1);
		net->rx_len = n;
	}
	if (rx_running(net))
		rx_deliver(net);
	virtio_mmio_used(&net->mmio, VIRTIO_NET_RXQ);
	return keep;
}

bool virtio_net_tap_readable(void *opaque, int fd)
{
	struct virtio_net *net = opaque;
	bool keep;

	(void)fd;
	virtio_mmio_lock(&net->mmio);
	keep = rx_drain(net);
	virtio_mmio_unlock(&net->mmio);
	return keep;
}

/* Sends net->req's readable bytes to the tap; returns whether the packet went out. */
static bool tx_one(struct virtio_net *net)
{
	const struct virtq_req *req = &net->req;
	uint32_t len = req->readable_len;
	unsigned int tries;

	if (len < VIRTIO_NET_HDR_LEN || len > VIRTIO_NET_BUF_SIZE)
		return false;
	if (virtq_req_read(req, 0, net->tx_buf, len))
		return false;
	/* No offload was negotiated: whatever the driver put there, the tap sees none. */
	memset(net->tx_buf, 0, OFFLOAD_FIELDS);
	for (tries = 0; tries < EINTR_RETRIES; tries++) {
		ssize_t n = write(net->tap_fd, net->tx_buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		return n == (ssize_t)len; /* EAGAIN: the tap is full, the packet is dropped */
	}
	return false;
}

static void tx_drain(struct virtio_net *net)
{
	struct virtq *vq = virtio_mmio_queue(&net->mmio, VIRTIO_NET_TXQ);

	while (virtq_pop(vq, &net->req) > 0) {
		if (tx_one(net))
			net->tx_packets++;
		else
			net->tx_dropped++;
		if (virtq_push(vq, net->req.head, 0))
			break;
	}
	virtio_mmio_used(&net->mmio, VIRTIO_NET_TXQ);
}

static void net_queue_notify(struct virtio_mmio_dev *dev, unsigned int queue)
{
	struct virtio_net *net = virtio_mmio_backend(dev);

	if (queue == VIRTIO_NET_TXQ)
		tx_drain(net);
	else if (queue == VIRTIO_NET_RXQ)
		rx_drain(net); /* new buffers: deliver the pending packet and read on */
}

static void net_config_read(struct virtio_mmio_dev *dev, unsigned int offset, void *data,
			    unsigned int len)
{
	struct virtio_net *net = virtio_mmio_backend(dev);

	memcpy(data, (const uint8_t *)&net->config + offset, len);
}

static void net_reset(struct virtio_mmio_dev *dev)
{
	struct virtio_net *net = virtio_mmio_backend(dev);

	net->rx_len = 0;
}

static const struct virtio_backend_ops net_ops = {
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2,
	.queue_max = VIRTIO_NET_QUEUE_SIZE,
	.config_size = CONFIG_SIZE,
	.config_read = net_config_read,
	.queue_notify = net_queue_notify,
	.reset = net_reset,
};

int virtio_net_open_tap(const char *name, int *fd, char *err, size_t errlen)
{
	int hdr_len = VIRTIO_NET_HDR_LEN;
	struct ifreq ifr;
	size_t len = strlen(name);

	if (!len || len >= IFNAMSIZ)
		return errmsg(err, errlen, -EINVAL, "tap name '%s': 1 to %d characters", name,
			      IFNAMSIZ - 1);
	*fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0) {
		int e = errno;

		if (e == ENOENT || e == ENODEV || e == ENXIO)
			return errmsg(err, errlen, -e,
				      "/dev/net/tun: %s: load the tun module (modprobe tun)",
				      strerror(e));
		return errmsg(err, errlen, -e, "/dev/net/tun: %s%s", strerror(e),
			      e == EACCES || e == EPERM ? ": run as root" : "");
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, len + 1);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(*fd, TUNSETIFF, &ifr)) {
		int e = errno;

		close(*fd);
		*fd = -1;
		if (e == EBUSY)
			return errmsg(err, errlen, -e, "tap %s is in use by another process", name);
		if (e == EPERM)
			return errmsg(err, errlen, -e,
				      "tap %s: needs CAP_NET_ADMIN: run as root, or create it for "
				      "your user first (ip tuntap add dev %s mode tap user $USER)",
				      name, name);
		if (e == EINVAL)
			return errmsg(err, errlen, -e,
				      "tap %s: %s (is %s an existing device that is not a tap?)",
				      name, strerror(e), name);
		return errmsg(err, errlen, -e, "tap %s: %s", name, strerror(e));
	}
	if (ioctl(*fd, TUNSETVNETHDRSZ, &hdr_len)) {
		int e = errno;

		close(*fd);
		*fd = -1;
		return errmsg(err, errlen, -e, "tap %s: setting a %d-byte vnet header: %s", name,
			      hdr_len, strerror(e));
	}
	return 0;
}

void virtio_net_default_mac(uint8_t mac[6], unsigned int index)
{
	uint32_t tail = (0x123456 + index) & 0xffffff;

	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = tail >> 16;
	mac[4] = tail >> 8;
	mac[5] = tail;
}

int virtio_net_init(struct virtio_net *net, int tap_fd, const uint8_t mac[6],
		    const struct dma_space *dma, struct irq_sink *irq, unsigned int gsi)
{
	uint64_t features = BIT64(VIRTIO_NET_F_MAC) | BIT64(VIRTIO_NET_F_STATUS);

	memset(net, 0, sizeof(*net));
	net->tap_fd = -1;
	net->tx_buf = malloc(VIRTIO_NET_BUF_SIZE);
	net->rx_buf = malloc(VIRTIO_NET_BUF_SIZE);
	if (!net->tx_buf || !net->rx_buf) {
		free(net->tx_buf);
		free(net->rx_buf);
		net->tx_buf = net->rx_buf = NULL;
		return -ENOMEM;
	}
	net->tap_fd = tap_fd;
	memcpy(net->config.mac, mac, sizeof(net->config.mac));
	net->config.status = htole16(VIRTIO_NET_S_LINK_UP);
	virtio_mmio_init(&net->mmio, &net_ops, net, features, dma, irq, gsi);
	return 0;
}

int virtio_net_attach(struct bus *mmio, uint64_t base, struct virtio_net *net)
{
	return virtio_mmio_attach(mmio, base, &net->mmio, "virtio-net");
}

void virtio_net_destroy(struct virtio_net *net)
{
	virtio_mmio_destroy(&net->mmio);
	free(net->tx_buf);
	free(net->rx_buf);
	net->tx_buf = net->rx_buf = NULL;
	if (net->tap_fd >= 0)
		close(net->tap_fd);
	net->tap_fd = -1;
}
