// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-iommu's request rates from a guest, next to the floor of any device access: a
 * null MMIO exit and a QueueNotify with nothing queued. Timed with the TSC, calibrated
 * against the RTC. Prints a Markdown table; asserts nothing.
 */
#include "arch.h"
#include "lib.h"
#include "serial.h"
#include "timing.h"
#include "viommu.h"
#include "viommu_test.h"

#define PAGE 0x1000ULL
#define DOMAIN 1
#define IOVA 0x10000000ULL
#define RW (VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)
#define MAX_SAMPLES 65536

static struct viommu_dev dev;
static struct viommu_req reqs[VIRTQ_MAX];
static uint64_t samples[MAX_SAMPLES];
static uint8_t page[PAGE] __attribute__((aligned(4096)));

struct result {
	uint64_t ops; /* operations timed */
	uint64_t total_ns;
	uint64_t median_ns, p99_ns; /* of one sample */
	unsigned int errors;
};

/* Turns @n TSC samples, each covering @ops_each operations, into a result. */
static struct result summarize(uint64_t n, uint64_t ops_each)
{
	struct result r = { .ops = n * ops_each };
	uint64_t total = 0;

	for (uint64_t i = 0; i < n; i++)
		total += samples[i];
	sort_u64(samples, n);
	r.total_ns = tsc_to_ns(total);
	r.median_ns = tsc_to_ns(percentile(samples, n, 50));
	r.p99_ns = tsc_to_ns(percentile(samples, n, 99));
	return r;
}

static uint64_t per_second(const struct result *r)
{
	return r->total_ns ? r->ops * 1000000000ULL / r->total_ns : 0;
}

/* A row labelled @what then @more (may be ""), together 44 columns wide. */
static void row(const char *what, const char *more, const struct result *r, const char *unit)
{
	int len = (int)(strlen(what) + strlen(more));

	serial_printf("| %s%s", what, more);
	while (len++ < 44)
		serial_putc(' ');
	serial_printf(" | %9llu %-10s | %10llu | %10llu |", (unsigned long long)per_second(r), unit,
		      (unsigned long long)r->median_ns, (unsigned long long)r->p99_ns);
	if (r->errors)
		serial_printf(" %u errors", r->errors);
	serial_putc('\n');
}

static struct result bench_mmio_read(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0 = rdtsc_ordered();

		vtrans_probe_read(&dev.t);
		samples[i] = rdtsc_ordered() - t0;
	}
	return summarize(n, 1);
}

/* QueueNotify of the request queue with nothing new in it: an exit, or an ioeventfd signal. */
static struct result bench_empty_notify(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0 = rdtsc_ordered();

		vtrans_notify(&dev.t, VIOMMU_REQUESTQ);
		samples[i] = rdtsc_ordered() - t0;
	}
	return summarize(n, 1);
}

/* MAP then UNMAP of one 4 KiB page, each its own notify and used-ring poll. */
static struct result bench_map_unmap(uint64_t n)
{
	struct viommu_req *map = &reqs[0], *unmap = &reqs[1];
	unsigned int errors = 0;
	struct result r;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0;
		int a, b;

		viommu_req_map(map, DOMAIN, IOVA, IOVA + PAGE - 1, (uintptr_t)page, RW);
		viommu_req_unmap(unmap, DOMAIN, IOVA, IOVA + PAGE - 1);
		t0 = rdtsc_ordered();
		a = viommu_do(&dev, map);
		b = viommu_do(&dev, unmap);
		samples[i] = rdtsc_ordered() - t0;
		errors += a != VIRTIO_IOMMU_S_OK || b != VIRTIO_IOMMU_S_OK;
	}
	r = summarize(n, 1);
	r.errors = errors;
	return r;
}

/* @batch MAPs then @batch UNMAPs (indirect, one ring entry each) per notify. */
static struct result bench_batch(unsigned int batch, uint64_t rounds)
{
	unsigned int errors = 0;
	struct result r;

	for (uint64_t i = 0; i < rounds; i++) {
		uint64_t t0;

		for (unsigned int k = 0; k < batch; k++) {
			uint64_t iova = IOVA + k * PAGE;

			viommu_req_map(&reqs[k], DOMAIN, iova, iova + PAGE - 1, (uintptr_t)page,
				       RW);
			viommu_req_unmap(&reqs[batch + k], DOMAIN, iova, iova + PAGE - 1);
		}
		t0 = rdtsc_ordered();
		if (!viommu_submit(&dev, reqs, 2 * batch, true) || !viommu_wait(&dev, 2 * batch)) {
			errors++;
			break;
		}
		samples[i] = rdtsc_ordered() - t0;
		for (unsigned int k = 0; k < 2 * batch; k++)
			errors += viommu_status(&reqs[k]) != VIRTIO_IOMMU_S_OK;
	}
	r = summarize(rounds, 2 * batch);
	r.errors = errors;
	return r;
}

/*
 * Brings the device up with what it offers of the features we know, and attaches endpoint
 * @want (VIOMMU_BENCH_ANY_EP: the first virtio-mmio device after the vIOMMU's window).
 */
static bool setup(uint64_t want, uint32_t *ep)
{
	struct vmmio ep_dev;
	uint64_t features;

	if (!viommu_find(&dev))
		return false;
	features = VIOMMU_WANTED_FEATURES & vtrans_device_features(&dev.t);
	if (viommu_init(&dev, features, VIRTQ_MAX) != VIOMMU_INIT_OK)
		return false;
	if (want != VIOMMU_BENCH_ANY_EP)
		*ep = (uint32_t)want;
	else if (dev.t.kind == VTRANS_MMIO && vmmio_find(0, dev.t.mmio.window + 1, &ep_dev))
		*ep = ep_dev.window;
	else
		return false;
	viommu_req_attach(&reqs[0], DOMAIN, *ep, 0);
	return viommu_do(&dev, &reqs[0]) == VIRTIO_IOMMU_S_OK;
}

/* "bench: pairs/s WHAT[N] RATE [failed E]" */
static void pairs_line(const char *what, unsigned int n, uint64_t rate, unsigned int errors)
{
	serial_printf("bench: pairs/s %s", what);
	if (n)
		serial_printf("%u", n);
	serial_printf(" %llu", (unsigned long long)rate);
	if (errors)
		serial_printf(" failed %u", errors);
	serial_putc('\n');
}

int viommu_bench(uint64_t iters, uint64_t endpoint)
{
	static const unsigned int batches[] = { 1, 8, 32, 128 };
	uint64_t batch_rate[ARRAY_SIZE(batches)] = { 0 };
	unsigned int batch_errors[ARRAY_SIZE(batches)] = { 0 };
	struct result mmio, notify, pair;
	uint64_t hz, n = iters < MAX_SAMPLES ? iters : MAX_SAMPLES;
	uint32_t ep;

	if (!n)
		n = 1;
	if (!setup(endpoint, &ep)) {
		serial_puts("bench: no working virtio-iommu with an endpoint behind it\n");
		return 1;
	}
	hz = tsc_calibrate();
	serial_printf("bench: TSC %llu Hz (RTC-calibrated), %llu iterations, queue %u, "
		      "endpoint %#x, virtio-%s\n",
		      (unsigned long long)hz, (unsigned long long)n, dev.rq.size, ep,
		      dev.t.kind == VTRANS_PCI ? "pci" : "mmio");
	if (!hz) {
		serial_puts("bench: the RTC does not tick\n");
		return 1;
	}
	mmio = bench_mmio_read(n);
	notify = bench_empty_notify(n);
	pair = bench_map_unmap(n);

	serial_printf("| %-44s | %20s | %10s | %10s |\n", "virtio-iommu from a guest", "rate",
		      "median ns", "p99 ns");
	serial_printf("|%s|%s|%s|%s|\n", "----------------------------------------------",
		      "---------------------:", "-----------:", "-----------:");
	row("null MMIO exit ", vtrans_probe_name(&dev.t), &mmio, "reads/s");
	row("", "QueueNotify, nothing queued", &notify, "writes/s");
	row("", "MAP+UNMAP 4 KiB, one request per notify", &pair, "pairs/s");
	for (unsigned int i = 0; i < ARRAY_SIZE(batches) && 2 * batches[i] <= dev.rq.size; i++) {
		unsigned int b = batches[i];
		uint64_t rounds = (n + b - 1) / b;
		struct result r;

		if (rounds < 4)
			rounds = 4;
		r = bench_batch(b, rounds);
		serial_printf("| N MAPs + N UNMAPs per notify, N=%-12u | %9llu %-10s | %10llu | "
			      "%10llu |",
			      b, (unsigned long long)per_second(&r), "requests/s",
			      (unsigned long long)r.median_ns, (unsigned long long)r.p99_ns);
		if (r.errors)
			serial_printf(" %u errors", r.errors);
		serial_putc('\n');
		batch_rate[i] = per_second(&r) / 2;
		batch_errors[i] = r.errors;
	}
	/* For scripts: pairs per second, one per notify and batched ("failed N" if any did). */
	pairs_line("one", 0, per_second(&pair), pair.errors);
	for (unsigned int i = 0; i < ARRAY_SIZE(batches) && 2 * batches[i] <= dev.rq.size; i++)
		pairs_line("batch=", batches[i], batch_rate[i], batch_errors[i]);
	if (mmio.median_ns)
		serial_printf(
		    "bench: MAP+UNMAP round trip / null MMIO exit (medians): %llu.%02llu\n",
		    (unsigned long long)(pair.median_ns / mmio.median_ns),
		    (unsigned long long)(pair.median_ns * 100 / mmio.median_ns % 100));
	serial_puts("bench: done\n");
	return 0;
}
