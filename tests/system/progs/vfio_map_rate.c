// SPDX-License-Identifier: GPL-2.0
/*
 * The raw floor under a passthrough device's virtio-iommu MAP/UNMAP: hands a PCI device to
 * vfio-pci, binds its VFIO cdev to an iommufd, attaches it to an IOAS and times
 * IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP of one 4 KiB page, pair after pair, then N MAPs at N
 * IOVAs followed by their N UNMAPs (what a batch of requests costs the host at best).
 * Prints "raw: pairs/s ..." lines for tools/bench/passthrough.
 *
 * Usage: vfio_map_rate BDF [PAIRS]   (default 5000)
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "iommu/iommufd.h"
#include "vfio/vfio_cdev.h"
#include "vfio/vfio_sysfs.h"
#include "expect.h"

#define PAGE 0x1000ULL
#define IOVA 0x10000000ULL /* where the guest payload's bench maps too */
#define BATCH 128

static int iommufd;
static uint32_t ioas;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool map(void *va, uint64_t iova)
{
	return !iommufd_ioas_map(iommufd, ioas, va, PAGE, iova, true);
}

static bool unmap(uint64_t iova)
{
	uint64_t done = 0;

	return !iommufd_ioas_unmap(iommufd, ioas, iova, PAGE, &done) && done == PAGE;
}

/* @pairs MAP+UNMAP pairs of @page at one IOVA; seconds taken, or -1 on a failure. */
static double one_by_one(void *page, unsigned long pairs)
{
	double t0 = now();

	for (unsigned long i = 0; i < pairs; i++)
		if (!map(page, IOVA) || !unmap(IOVA))
			return -1;
	return now() - t0;
}

/* Rounds of BATCH MAPs then BATCH UNMAPs, @pairs in all; seconds taken, or -1. */
static double batched(void *page, unsigned long pairs)
{
	double t0 = now();

	for (unsigned long done = 0; done < pairs; done += BATCH) {
		for (unsigned int k = 0; k < BATCH; k++)
			if (!map(page, IOVA + k * PAGE))
				return -1;
		for (unsigned int k = 0; k < BATCH; k++)
			if (!unmap(IOVA + k * PAGE))
				return -1;
	}
	return now() - t0;
}

int main(int argc, char **argv)
{
	const char *bdf = argc > 1 ? argv[1] : "";
	unsigned long pairs = argc > 2 ? strtoul(argv[2], NULL, 0) : 5000;
	unsigned long rounded = (pairs + BATCH - 1) / BATCH * BATCH;
	char cdev[PATH_MAX];
	uint32_t dev_id;
	double t1, tb;
	int devfd, ret;
	void *page;

	setvbuf(stdout, NULL, _IOLBF, 0);
	REQUIRE(pci_bdf_valid(bdf) && pairs,
		"'%s' is a PCI address (usage: vfio_map_rate BDF [PAIRS])", bdf);
	ret = vfio_pci_take("/sys", bdf);
	REQUIRE(!ret, "%s handed to vfio-pci (%s)", bdf, strerror(-ret));
	ret = vfio_cdev_path_of("/sys", bdf, cdev, sizeof(cdev));
	REQUIRE(!ret, "%s has a VFIO cdev (%s)", bdf, strerror(-ret));
	devfd = vfio_cdev_open(cdev);
	REQUIRE(devfd >= 0, "open %s", cdev);
	iommufd = iommufd_open(NULL);
	REQUIRE(iommufd >= 0, "open %s", IOMMUFD_PATH);
	ret = vfio_cdev_bind_iommufd(devfd, iommufd, &dev_id);
	REQUIRE(!ret, "VFIO_DEVICE_BIND_IOMMUFD (%s)", strerror(-ret));
	ret = iommufd_ioas_alloc(iommufd, &ioas);
	REQUIRE(!ret, "IOMMU_IOAS_ALLOC (%s)", strerror(-ret));
	ret = vfio_cdev_attach(devfd, ioas);
	REQUIRE(!ret, "VFIO_DEVICE_ATTACH_IOMMUFD_PT to IOAS %u (%s)", ioas, strerror(-ret));

	page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(page != MAP_FAILED, "a 4 KiB page");
	*(volatile char *)page = 1; /* faulted in, as guest RAM would be */

	t1 = one_by_one(page, pairs);
	EXPECT(t1 > 0, "%lu MAP+UNMAP pairs one by one", pairs);
	tb = batched(page, rounded);
	EXPECT(tb > 0, "%lu pairs as %d MAPs then %d UNMAPs", rounded, BATCH, BATCH);
	if (t1 > 0)
		printf("raw: pairs/s one %.0f (%.2f us/pair)\n", pairs / t1, t1 / pairs * 1e6);
	if (tb > 0)
		printf("raw: pairs/s batch=%d %.0f (%.2f us/pair)\n", BATCH, rounded / tb,
		       tb / rounded * 1e6);

	EXPECT(!vfio_cdev_detach(devfd), "VFIO_DEVICE_DETACH_IOMMUFD_PT");
	munmap(page, PAGE);
	close(devfd);
	close(iommufd);
	return expect_exit();
}
