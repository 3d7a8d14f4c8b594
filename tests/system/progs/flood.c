// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded, paced flood of raw Ethernet frames on one interface, for the payload's
 * "nic-flood" test (tests/guest/nic_flood.c) on the other end of the test host's hub.
 *
 * flood IFACE [--rate N] [--secs S] [--len BYTES]
 *
 * Sends broadcast frames of ethertype 0x88b5 (IEEE 802 local experimental) from IFACE's own
 * address, N per second (default 2000) for S seconds (default 60) or until SIGTERM/SIGINT,
 * each BYTES long (default 60, the minimum without the CRC; at most 1514): the magic "NVFL"
 * and a 32-bit sequence number, both big-endian, then zeros. The sequence number counts frames
 * the kernel accepted, so a receiver can tell what it missed. Pacing is by the clock: the
 * frames due so far go out in a burst, then a millisecond's sleep. Prints what it sent when it
 * stops; exits 0 when it sent anything, 1 when it could not, 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FLOOD_ETHERTYPE 0x88b5
#define FLOOD_MAGIC 0x4e56464cu /* "NVFL" */
#define MIN_LEN 22 /* header, magic, sequence number */
#define MAX_LEN 1514

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int usage(void)
{
	fprintf(stderr, "usage: flood IFACE [--rate N] [--secs S] [--len BYTES]\n");
	return 2;
}

/* A positive whole number, or 0. */
static unsigned long number(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	return errno || !*s || *end ? 0 : v;
}

int main(int argc, char **argv)
{
	unsigned long rate = 2000, secs = 60, len = 60;
	const char *ifname = NULL;
	struct sockaddr_ll to = { .sll_family = AF_PACKET };
	struct ifreq ifr = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	uint8_t frame[MAX_LEN] = { 0 };
	uint64_t sent = 0, refused = 0;
	int other_errno = 0, fd;
	double t0, took;

	for (int i = 1; i < argc; i++) {
		unsigned long *opt = !strcmp(argv[i], "--rate")	  ? &rate
				     : !strcmp(argv[i], "--secs") ? &secs
				     : !strcmp(argv[i], "--len")  ? &len
								  : NULL;

		if (opt) {
			if (++i == argc || !(*opt = number(argv[i])))
				return usage();
		} else if (!ifname && argv[i][0] != '-') {
			ifname = argv[i];
		} else {
			return usage();
		}
	}
	if (!ifname || strlen(ifname) >= IFNAMSIZ || len < MIN_LEN || len > MAX_LEN)
		return usage();

	fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: it receives nothing */
	if (fd < 0) {
		fprintf(stderr, "flood: AF_PACKET socket: %s (CONFIG_PACKET?)\n", strerror(errno));
		return 1;
	}
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		fprintf(stderr, "flood: %s: no such interface: %s\n", ifname, strerror(errno));
		return 1;
	}
	to.sll_ifindex = ifr.ifr_ifindex;
	to.sll_halen = ETH_ALEN;
	memset(to.sll_addr, 0xff, ETH_ALEN);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "flood: %s: its address: %s\n", ifname, strerror(errno));
		return 1;
	}
	memset(frame, 0xff, ETH_ALEN);
	memcpy(frame + ETH_ALEN, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	frame[12] = FLOOD_ETHERTYPE >> 8;
	frame[13] = FLOOD_ETHERTYPE & 0xff;
	put_be32(frame + 14, FLOOD_MAGIC);

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("flood: %s: %lu frames of %lu bytes per second for up to %lu s\n", ifname, rate, len,
	       secs);
	fflush(stdout);
	t0 = now();
	while (!stop) {
		double t = now() - t0;
		uint64_t due = (uint64_t)(t * (double)rate);
		struct timespec ms = { 0, 1000000 };

		if (t >= (double)secs)
			break;
		while (sent < due && !stop) {
			put_be32(frame + 18, (uint32_t)sent);
			if (sendto(fd, frame, len, 0, (struct sockaddr *)&to, sizeof(to)) ==
			    (ssize_t)len) {
				sent++;
				continue;
			}
			/* A full queue: the rest of this burst waits for the next one. */
			if (errno == ENOBUFS || errno == EAGAIN) {
				refused++;
				break;
			}
			if (errno != EINTR) {
				other_errno = errno;
				stop = 1;
			}
		}
		nanosleep(&ms, NULL);
	}
	took = now() - t0;
	printf("flood: %s: sent %llu frames in %.1f s (%.0f per second), %llu refused (queue "
	       "full)%s%s\n",
	       ifname, (unsigned long long)sent, took, took > 0 ? (double)sent / took : 0.0,
	       (unsigned long long)refused, other_errno ? "; stopped: " : "",
	       other_errno ? strerror(other_errno) : "");
	close(fd);
	return sent ? 0 : 1;
}
