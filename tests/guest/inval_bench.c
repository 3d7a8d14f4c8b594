// SPDX-License-Identifier: GPL-2.0
/*
 * INVALIDATE from a guest: the round trip of one request from its notify to its used-ring
 * entry (on the invalq when the device has one, else the requestq), next to the floor of any
 * device access (a null MMIO exit, timed the same way), and batches per notify. TSC-timed,
 * calibrated against the RTC; prints a Markdown table and asserts nothing.
 */
#include "arch.h"
#include "bench_table.h"
#include "inval_bench.h"
#include "lib.h"
#include "s1pt.h"
#include "serial.h"
#include "timing.h"
#include "viommu.h"
#include "viommu_props.h"

#define DOMAIN 1
#define IOVA 0x10000000ULL
#define MAX_SAMPLES 65536
#define SELFTEST_IOTLB 0x1234

static struct viommu_dev dev;
static struct viommu_req reqs[VIRTQ_MAX];
static uint64_t samples[MAX_SAMPLES];
static struct s1pt table;
static uint8_t page[S1PT_4K] __attribute__((aligned(4096)));

static struct bench_result bench_mmio_read(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t0 = rdtsc_ordered();

		vtrans_probe_read(&dev.t);
		samples[i] = rdtsc_ordered() - t0;
	}
	return bench_summarize(samples, n, 1);
}

/* Request @i of a batch: a one-page RANGE, LEAF, as a guest's unmap sends. */
static void fill(struct viommu_req *r, unsigned int i)
{
	viommu_req_invalidate(r, DOMAIN, VIRTIO_IOMMU_INVAL_S_RANGE, VIRTIO_IOMMU_INVAL_F_LEAF,
			      IOVA + (uint64_t)(i % 512) * S1PT_4K, S1PT_4K);
}

/* @batch INVALIDATEs per notify (@indirect: one ring entry each), @rounds times. */
static struct bench_result bench_batch(unsigned int batch, uint64_t rounds, bool indirect)
{
	unsigned int q = viommu_inval_queue(&dev), errors = 0;
	struct bench_result r;

	for (uint64_t i = 0; i < rounds; i++) {
		uint64_t t0;

		for (unsigned int k = 0; k < batch; k++)
			fill(&reqs[k], (unsigned int)(i * batch + k));
		t0 = rdtsc_ordered();
		if (!viommu_submit_on(&dev, q, reqs, batch, indirect) ||
		    !viommu_wait_on(&dev, q, batch)) {
			errors++;
			rounds = i;
			break;
		}
		samples[i] = rdtsc_ordered() - t0;
		for (unsigned int k = 0; k < batch; k++)
			errors += viommu_status(&reqs[k]) != VIRTIO_IOMMU_S_OK;
	}
	r = bench_summarize(samples, rounds, batch);
	r.errors = errors;
	return r;
}

/* The endpoint, attached to a table in the first format it reports; its name in @fmt. */
static bool setup(uint64_t want, uint32_t *ep, const char **fmt)
{
	const struct virtio_iommu_probe_table_format *vtd, *st;
	struct viommu_formats f;
	struct vmmio ep_dev;
	uint64_t features;

	if (!viommu_find(&dev) || s1pt_init(&table))
		return false;
	features = VIOMMU_NESTED_FEATURES & vtrans_device_features(&dev.t);
	if (!(features & 1ULL << VIRTIO_IOMMU_F_ATTACH_TABLE) ||
	    viommu_init_nested(&dev, features, VIRTQ_MAX) != VIOMMU_INIT_OK)
		return false;
	if (want != INVAL_BENCH_ANY_EP)
		*ep = (uint32_t)want;
	else if (dev.t.kind == VTRANS_MMIO && vmmio_find(0, dev.t.mmio.window + 1, &ep_dev))
		*ep = ep_dev.window;
	else
		return false;
	viommu_req_probe(&reqs[0], *ep, dev.cfg.probe_size);
	if (viommu_do(&dev, &reqs[0]) != VIRTIO_IOMMU_S_OK)
		return false;
	viommu_table_formats(&reqs[0], &f);
	vtd = viommu_find_format(&f, VIRTIO_IOMMU_FORMAT_VTD_S1);
	st = viommu_find_format(&f, VIRTIO_IOMMU_FORMAT_SELFTEST);
	if (vtd) {
		*fmt = "VT-d first stage";
		if (s1pt_map(&table, IOVA, (uintptr_t)page, S1PT_4K, S1PT_4K, S1PT_W | S1PT_U))
			return false;
		viommu_req_attach_table(&reqs[0], DOMAIN, *ep, s1pt_root(&table),
					VIRTIO_IOMMU_FORMAT_VTD_S1, 0);
	} else if (st) {
		*fmt = "selftest";
		viommu_req_attach_table(&reqs[0], DOMAIN, *ep, s1pt_root(&table),
					VIRTIO_IOMMU_FORMAT_SELFTEST, SELFTEST_IOTLB);
	} else {
		return false;
	}
	return viommu_do(&dev, &reqs[0]) == VIRTIO_IOMMU_S_OK;
}

int inval_bench(uint64_t iters, uint64_t endpoint)
{
	static const unsigned int batches[] = { 1, 8, 32 };
	uint64_t hz, n = iters < MAX_SAMPLES ? iters : MAX_SAMPLES;
	struct bench_result mmio, one;
	const char *fmt = "";
	const char *qname;
	char label[64];
	uint32_t ep;

	if (!n)
		n = 1;
	if (!setup(endpoint, &ep, &fmt)) {
		serial_puts("bench-inval: no virtio-iommu endpoint took a table\n");
		return 1;
	}
	qname = dev.has_iq ? "invalq" : "requestq";
	hz = tsc_calibrate();
	serial_printf("bench-inval: TSC %llu Hz (RTC-calibrated), %llu iterations, endpoint %#x, "
		      "%s table, INVALIDATEs on the %s (%u entries)\n",
		      (unsigned long long)hz, (unsigned long long)n, ep, fmt, qname,
		      viommu_queue(&dev, viommu_inval_queue(&dev))->size);
	if (!hz) {
		serial_puts("bench-inval: the RTC does not tick\n");
		return 1;
	}
	mmio = bench_mmio_read(n);
	one = bench_batch(1, n, false);
	bench_header("INVALIDATE from a guest");
	memset(label, 0, sizeof(label));
	memcpy(label, "null MMIO exit ", 15);
	memcpy(label + 15, vtrans_probe_name(&dev.t), strlen(vtrans_probe_name(&dev.t)));
	bench_row(label, &mmio, "reads/s");
	bench_row(dev.has_iq ? "INVALIDATE RANGE round trip (invalq)"
			     : "INVALIDATE RANGE round trip (requestq)",
		  &one, "requests/s");
	for (unsigned int i = 0; i < ARRAY_SIZE(batches); i++) {
		unsigned int b = batches[i];
		uint64_t rounds = (n + b - 1) / b;
		static const char *const names[] = { "N INVALIDATEs per notify (indirect), N=1",
						     "N INVALIDATEs per notify (indirect), N=8",
						     "N INVALIDATEs per notify (indirect), N=32" };
		struct bench_result r;

		if (b > viommu_queue(&dev, viommu_inval_queue(&dev))->size)
			break;
		if (rounds < 4)
			rounds = 4;
		r = bench_batch(b, rounds, true);
		bench_row(names[i], &r, "requests/s");
	}
	if (mmio.median_ns)
		serial_printf("bench-inval: INVALIDATE round trip / null MMIO exit (medians): "
			      "%llu.%02llu\n",
			      (unsigned long long)(one.median_ns / mmio.median_ns),
			      (unsigned long long)(one.median_ns * 100 / mmio.median_ns % 100));
	serial_puts("bench-inval: done\n");
	return 0;
}
