// SPDX-License-Identifier: GPL-2.0
/*
 * The floor for the nested invalidation benchmark: raw IOMMU_HWPT_INVALIDATE calls on a
 * nested SELFTEST HWPT of an iommufd selftest mock device, as nestvm's nested backend makes
 * them, timed here with no guest and no VMM: one entry per call, and 8 and 32 entries per
 * call. Prints one line per batch size: calls/s, entries/s, median and p99 ns per call.
 *
 * Usage: hwpt_inval_rate [CALLS]   (default 20000)
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iommu/iommufd.h"
#include "iommu/iommufd_mock.h"
#include "iommu/uapi_compat.h"
#include "expect.h"

static int fd;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void measure(uint32_t hwpt, unsigned int batch, unsigned int calls, uint64_t *ns)
{
	struct iommu_hwpt_invalidate_selftest e[32];
	uint64_t total = 0, t0;
	unsigned int failed = 0;

	for (unsigned int i = 0; i < batch; i++)
		e[i] = (struct iommu_hwpt_invalidate_selftest){ .iotlb_id = i & 3 };
	for (unsigned int c = 0; c < calls; c++) {
		uint32_t n = batch;

		t0 = now_ns();
		if (iommufd_hwpt_invalidate(fd, hwpt, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, e,
					    sizeof(e[0]), &n) ||
		    n != batch)
			failed++;
		ns[c] = now_ns() - t0;
		total += ns[c];
	}
	qsort(ns, calls, sizeof(ns[0]), cmp_u64);
	printf("| raw HWPT_INVALIDATE, %2u entries per call | %9.0f calls/s | %10.0f entries/s | "
	       "%8llu ns | %8llu ns |%s\n",
	       batch, calls * 1e9 / total, (double)calls * batch * 1e9 / total,
	       (unsigned long long)ns[calls / 2], (unsigned long long)ns[calls * 99 / 100],
	       failed ? " (some calls failed)" : "");
	EXPECT(!failed, "%u calls of %u entries, none failed", calls, batch);
}

int main(int argc, char **argv)
{
	unsigned int calls = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	struct iommu_hwpt_selftest s1 = { .iotlb = 0x1234 };
	uint32_t ioas, parent, nested;
	struct mock_dev dev;
	uint64_t *ns;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	REQUIRE(calls >= 100, "at least 100 calls (got %u)", calls);
	ns = calloc(calls, sizeof(*ns));
	REQUIRE(ns, "memory for %u samples", calls);
	fd = iommufd_open(NULL);
	REQUIRE(fd >= 0, "open %s", IOMMUFD_PATH);
	ret = iommufd_ioas_alloc(fd, &ioas);
	REQUIRE(!ret, "IOMMU_IOAS_ALLOC (%s)", strerror(-ret));
	ret = mock_dev_create(fd, ioas, &dev);
	REQUIRE(!ret, "selftest mock device (%s)", strerror(-ret));
	ret = iommufd_hwpt_alloc(fd, dev.idev_id, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	REQUIRE(!ret, "NEST_PARENT HWPT (%s)", strerror(-ret));
	ret = iommufd_hwpt_alloc_nested(fd, dev.idev_id, parent, IOMMU_HWPT_DATA_SELFTEST, &s1,
					sizeof(s1), &nested);
	REQUIRE(!ret, "nested SELFTEST HWPT (%s)", strerror(-ret));
	ret = mock_dev_replace(fd, &dev, nested);
	REQUIRE(!ret, "the device on the nested HWPT (%s)", strerror(-ret));
	printf("| floor | calls/s | entries/s | median | p99 |\n|---|---:|---:|---:|---:|\n");
	measure(nested, 1, calls, ns);
	measure(nested, 8, calls, ns);
	measure(nested, 32, calls, ns);
	free(ns);
	close(fd);
	return expect_exit();
}
