// SPDX-License-Identifier: GPL-2.0
/*
 * The invalq's notify -> used round trip, per knob setting (iommu/invalq.h), with a fake
 * table backend that does nothing: what the thread, its ring and its wake-up cost. This
 * program is the driver: it posts one INVALIDATE on queue 2, writes the notify eventfd (what
 * KVM does for an ioeventfd, without the guest's exit) and spins on the used ring, as Linux's
 * virtio-iommu driver does for a synchronous request. The floor: the same request served
 * inline on this thread, no thread hop at all.
 *
 * Usage: invalq_bench [ROUNDS [GAP_US [PASSES]]]: GAP_US is the driver's pause between
 * requests (0: back to back); the settings run interleaved, PASSES times ROUNDS each. Prints
 * one table row per setting: median and p99 in ns over all passes, and the invalq thread's
 * CPU time per request (what a busy-poll window costs).
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "iommu/invalq.h"
#include "iommu/viommu_invalq.h"
#include "iommu/viommu_virtio.h"

#define RAM_SIZE (1 << 20)
#define QSIZE 64
#define QBASE(q) (0x1000 + 0x4000 * (q))
#define REQ 0x20000
#define TAIL (REQ + 0x100)
#define ROOT 0x30000
#define DOMAIN 1

static uint8_t *ram;
static struct gmem mem;
static struct dma_space dma = { .mem = &mem };
static struct virtio_mmio_dev *dev;
static uint16_t avail_idx[3];

static void irq_level(struct irq_sink *s, unsigned int gsi, bool level)
{
	(void)s, (void)gsi, (void)level;
}
static struct irq_sink irq = { .set_level = irq_level };

static int fk_alloc(void *ctx, bool bypass, void **domain)
{
	static char obj;

	(void)ctx, (void)bypass;
	*domain = &obj;
	return 0;
}
static void fk_free(void *ctx, void *domain)
{
	(void)ctx, (void)domain;
}
static int fk_map(void *ctx, void *d, uint64_t iova, uint64_t end, uint64_t gpa, uint32_t fl)
{
	(void)ctx, (void)d, (void)iova, (void)end, (void)gpa, (void)fl;
	return -EOPNOTSUPP;
}
static int fk_unmap(void *ctx, void *d, uint64_t start, uint64_t end)
{
	(void)ctx, (void)d, (void)start, (void)end;
	return 0;
}
static unsigned int fk_formats(void *ctx, void *ep, struct viommu_table_format *out,
			       unsigned int max)
{
	(void)ctx, (void)ep, (void)max;
	out[0] = (struct viommu_table_format){ .format = VIRTIO_IOMMU_FORMAT_VTD_S1,
					       .address_bits = 48,
					       .page_sizes = 0x1000 };
	return 1;
}
static int fk_set_table(void *ctx, void *d, const struct viommu_table *t)
{
	(void)ctx, (void)d, (void)t;
	return 0;
}
static int fk_invalidate(void *ctx, void *d, const struct viommu_inval *inv, unsigned int n,
			 unsigned int *done)
{
	(void)ctx, (void)d, (void)inv;
	*done = n;
	return 0;
}
static const struct viommu_backend_ops fk_ops = {
	.name = "null",
	.domain_alloc = fk_alloc,
	.domain_free = fk_free,
	.map = fk_map,
	.unmap = fk_unmap,
	.table_formats = fk_formats,
	.set_table = fk_set_table,
	.invalidate = fk_invalidate,
};
static struct viommu_backend fk_be = { .ops = &fk_ops };

static void wr(uint64_t off, uint32_t val)
{
	val = htole32(val);
	virtio_mmio_bus_ops()->write(dev, off, &val, 4);
}

static uint32_t rd(uint64_t off)
{
	uint32_t val;

	virtio_mmio_bus_ops()->read(dev, off, &val, 4);
	return le32toh(val);
}

static void put16(uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	__atomic_store_n((uint16_t *)(ram + gpa), v, __ATOMIC_RELEASE);
}

static uint16_t used_idx(unsigned int q)
{
	return le16toh(
	    __atomic_load_n((uint16_t *)(ram + QBASE(q) + 0x2000 + 2), __ATOMIC_ACQUIRE));
}

static void set_desc(unsigned int q, unsigned int i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct vring_desc d = { htole64(addr), htole32(len), htole16(flags), htole16(next) };

	memcpy(ram + QBASE(q) + 16 * i, &d, sizeof(d));
}

static void offer(unsigned int q, uint16_t head)
{
	uint64_t avail = QBASE(q) + 0x1000;

	put16(avail + 4 + 2 * (avail_idx[q] % QSIZE), head);
	avail_idx[q]++;
	put16(avail + 2, avail_idx[q]);
}

static void driver_init(void)
{
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	uint64_t f;

	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, s);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f |= (uint64_t)rd(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, f >> 32);
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned int q = 0; q < 3; q++) {
		wr(VIRTIO_MMIO_QUEUE_SEL, q);
		wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
		wr(VIRTIO_MMIO_QUEUE_DESC_LOW, QBASE(q));
		wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, QBASE(q) + 0x1000);
		wr(VIRTIO_MMIO_QUEUE_USED_LOW, QBASE(q) + 0x2000);
		wr(VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* One request's chain: @rlen bytes at REQ, the 4-byte tail at TAIL. */
static void post_chain(unsigned int q, uint32_t rlen)
{
	set_desc(q, 0, REQ, rlen, VRING_DESC_F_NEXT, 1);
	set_desc(q, 1, TAIL, 4, VRING_DESC_F_WRITE, 0);
	offer(q, 0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void spin_us(unsigned int us)
{
	uint64_t end = now_ns() + us * 1000ULL;

	while (now_ns() < end)
		;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Round trips of one INVALIDATE each, into @t: kicked through @notify_fd, or inline when it
 * is -1. Returns the invalq thread's CPU time over them (0 inline).
 */
static uint64_t measure(const char *name, int notify_fd, struct invalq *q, unsigned int rounds,
			unsigned int gap_us, uint64_t *t)
{
	uint64_t one = 1, cpu0 = 0, cpu1 = 0;
	clockid_t cid;
	struct timespec ts;
	bool have_cpu = q && !pthread_getcpuclockid(q->thread, &cid);

	if (have_cpu && !clock_gettime(cid, &ts))
		cpu0 = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	for (unsigned int i = 0; i < rounds; i++) {
		uint16_t want = used_idx(2) + 1;
		uint64_t t0;

		if (gap_us)
			spin_us(gap_us);
		t0 = now_ns();
		post_chain(2, VIOMMU_INVALQ_REQ_LEN);
		if (notify_fd >= 0) {
			if (write(notify_fd, &one, sizeof(one)) != sizeof(one))
				exit(1);
		} else {
			virtio_mmio_kick(dev, 2);
		}
		while (used_idx(2) != want)
			__builtin_ia32_pause();
		t[i] = now_ns() - t0;
		if (ram[TAIL] != VIRTIO_IOMMU_S_OK) {
			fprintf(stderr, "invalq_bench: %s: status %u\n", name, ram[TAIL]);
			exit(1);
		}
	}
	if (have_cpu && !clock_gettime(cid, &ts))
		cpu1 = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	return cpu1 - cpu0;
}

static void print_row(const char *name, uint64_t *t, unsigned int n, uint64_t cpu)
{
	qsort(t, n, sizeof(*t), cmp_u64);
	printf("| %-40s | %9llu | %9llu | ", name, (unsigned long long)t[n / 2],
	       (unsigned long long)t[(n * 99ULL) / 100]);
	if (cpu)
		printf("%9llu |\n", (unsigned long long)cpu / n);
	else
		printf("%9s |\n", "-");
}

int main(int argc, char **argv)
{
	unsigned int rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 5000;
	unsigned int gap = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
	unsigned int passes = argc > 3 ? strtoul(argv[3], NULL, 0) : 5;
	static const struct {
		const char *name;
		bool files, si, defer;
		unsigned int poll_us;
	} settings[] = {
		{ "thread, plain ring", false, false, false, 0 },
		{ "thread, registered files", true, false, false, 0 },
		{ "thread, SINGLE_ISSUER", false, true, false, 0 },
		{ "thread, SINGLE_ISSUER + DEFER_TASKRUN", false, true, true, 0 },
		{ "thread, files + SINGLE_ISSUER", true, true, false, 0 },
		{ "thread, files + SI + DEFER_TASKRUN", true, true, true, 0 },
		{ "thread, files + SI, poll 5 us", true, true, false, 5 },
		{ "thread, files + SI, poll 20 us", true, true, false, 20 },
		{ "thread, files + SI, poll 50 us", true, true, false, 50 },
		{ "thread, files + SI, poll 200 us", true, true, false, 200 },
	};
	struct virtio_iommu_req_attach_table at = {
		.head.type = VIRTIO_IOMMU_T_ATTACH_TABLE,
		.domain = htole32(DOMAIN),
		.endpoint = htole32(1),
		.table = htole64(ROOT),
		.format = htole16(VIRTIO_IOMMU_FORMAT_VTD_S1),
	};
	struct virtio_iommu_req_invalidate inv = {
		.head.type = VIRTIO_IOMMU_T_INVALIDATE,
		.domain = htole32(DOMAIN),
		.scope = VIRTIO_IOMMU_INVAL_S_RANGE,
		.size = htole64(0x1000),
	};
	struct viommu_params p;
	struct viommu_virtio vio;
#define NSET (sizeof(settings) / sizeof(settings[0]))
	uint64_t *samples[NSET + 1], cpu[NSET] = { 0 };
	unsigned int si_flags = 0;
	struct viommu *model;
	int fd;

	if (!rounds)
		rounds = 1;
	ram = calloc(1, RAM_SIZE);
	mem = (struct gmem){ .regions = { { 0, RAM_SIZE, ram } }, .count = 1 };
	viommu_default_params(&p);
	model = viommu_create(&p, &mem);
	if (!ram || !model || !viommu_add_endpoint(model, 1, VIOMMU_EP_EMULATED, NULL))
		return 1;
	viommu_set_table_backend(model, VIOMMU_EP_EMULATED, &fk_be);
	viommu_virtio_init(&vio, model, &dma, &irq, 9);
	dev = &vio.mmio;
	driver_init();
	memcpy(ram + REQ, &at, sizeof(at) - 4);
	post_chain(0, sizeof(at) - 4);
	virtio_mmio_kick(dev, 0);
	if (used_idx(0) != 1 || ram[TAIL] != VIRTIO_IOMMU_S_OK) {
		fprintf(stderr, "invalq_bench: ATTACH_TABLE failed (status %u)\n", ram[TAIL]);
		return 1;
	}
	memcpy(ram + REQ, &inv, VIOMMU_INVALQ_REQ_LEN);

	if (!passes)
		passes = 1;
	for (unsigned int i = 0; i <= NSET; i++) {
		samples[i] = calloc((size_t)rounds * passes, sizeof(uint64_t));
		if (!samples[i])
			return 1;
	}
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	/* Settings interleaved, pass after pass, so that drift in the machine's load is shared. */
	for (unsigned int pass = 0; pass < passes; pass++) {
		viommu_virtio_set_invalq_fd(&vio, -1);
		measure("floor", -1, NULL, rounds, gap, samples[NSET] + pass * rounds);
		viommu_virtio_set_invalq_fd(&vio, fd);
		for (unsigned int i = 0; i < NSET; i++) {
			struct invalq_opts o = { .poll_us = settings[i].poll_us,
						 .files = settings[i].files,
						 .single_issuer = settings[i].si,
						 .defer_taskrun = settings[i].defer };
			struct invalq q;

			if (invalq_start(&q, &vio, fd, &o, NULL))
				return 1;
			cpu[i] += measure(settings[i].name, fd, &q, rounds, gap,
					  samples[i] + pass * rounds);
			if (settings[i].defer)
				si_flags = q.ring_flags;
			invalq_stop(&q);
		}
	}
	printf("invalq round trip, one INVALIDATE per notify, %u passes of %u rounds, driver gap "
	       "%u us, %ld CPUs online\n\n",
	       passes, rounds, gap, sysconf(_SC_NPROCESSORS_ONLN));
	printf("| %-40s | %9s | %9s | %9s |\n", "setting", "median ns", "p99 ns", "thr CPU/r");
	printf(
	    "|------------------------------------------|----------:|----------:|----------:|\n");
	print_row("inline on the kicking thread (floor)", samples[NSET], rounds * passes, 0);
	for (unsigned int i = 0; i < NSET; i++)
		print_row(settings[i].name, samples[i], rounds * passes, cpu[i]);
	for (unsigned int i = 0; i <= NSET; i++)
		free(samples[i]);
	printf("\nDEFER_TASKRUN rows ran with ring flags %#x (SINGLE_ISSUER %#x, DEFER_TASKRUN "
	       "%#x)\n",
	       si_flags, IORING_SETUP_SINGLE_ISSUER, IORING_SETUP_DEFER_TASKRUN);
	close(fd);
	viommu_virtio_destroy(&vio);
	viommu_destroy(model);
	free(ram);
	return 0;
}
