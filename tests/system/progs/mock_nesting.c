// SPDX-License-Identifier: GPL-2.0
/*
 * Nesting on the iommufd selftest mock, the path nestvm's nested backend takes: an IOAS
 * (stage 2), a mock device on it, a NEST_PARENT HWPT, nested SELFTEST HWPTs (stage 1) that
 * the device is moved onto, and IOMMU_HWPT_INVALIDATE whose effect is read back from the
 * mock IOTLB: single entries, a batch of 32 in one call, a batch that fails part way, and
 * entries the kernel must refuse.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommu/iommufd.h"
#include "iommu/iommufd_mock.h"
#include "iommu/uapi_compat.h"
#include "expect.h"

#define MOCK_IOVA (1ULL << 24) /* the mock aperture starts here */
#define MAP_LEN (2ULL << 20)
#define IOTLB_TAG 0x5eed

static int fd;

/* True when every mock IOTLB slot of @hwpt holds what @want[slot] says. */
static bool iotlb_is(uint32_t hwpt, const uint32_t want[MOCK_NESTED_DOMAIN_IOTLB_NUM])
{
	for (int i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++) {
		if (mock_check_iotlb(fd, hwpt, i, want[i]))
			return false;
	}
	return true;
}

static int invalidate(uint32_t hwpt, const struct iommu_hwpt_invalidate_selftest *e, uint32_t *n)
{
	return iommufd_hwpt_invalidate(fd, hwpt, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, e, sizeof(*e),
				       n);
}

static uint32_t new_nested(uint32_t dev_id, uint32_t parent)
{
	struct iommu_hwpt_selftest s1 = { .iotlb = IOTLB_TAG };
	uint32_t id = 0;
	int ret;

	ret = iommufd_hwpt_alloc_nested(fd, dev_id, parent, IOMMU_HWPT_DATA_SELFTEST, &s1,
					sizeof(s1), &id);
	REQUIRE(!ret, "nested SELFTEST HWPT on parent %u (%s)", parent, strerror(-ret));
	return id;
}

int main(void)
{
	const uint32_t all_tagged[] = { IOTLB_TAG, IOTLB_TAG, IOTLB_TAG, IOTLB_TAG };
	struct iommu_hwpt_invalidate_selftest batch[32];
	uint32_t ioas, parent, nested, nested2, nested3, n;
	int fds_before = count_open_fds(), ret;
	uint64_t unmapped = 0;
	struct mock_dev dev;
	void *buf;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = iommufd_open(NULL);
	REQUIRE(fd >= 0, "open %s (%s)", IOMMUFD_PATH, fd < 0 ? strerror(-fd) : "ok");
	ret = iommufd_ioas_alloc(fd, &ioas);
	REQUIRE(!ret, "IOMMU_IOAS_ALLOC (%s)", strerror(-ret));
	ret = mock_dev_create(fd, ioas, &dev);
	REQUIRE(!ret, "selftest mock device on IOAS %u (%s)", ioas, strerror(-ret));

	/* Stage 2: guest RAM stand-in mapped into the IOAS the parent will be built on. */
	buf = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(buf != MAP_FAILED, "2 MiB buffer");
	ret = iommufd_ioas_map(fd, ioas, buf, MAP_LEN, MOCK_IOVA, true);
	EXPECT(!ret, "IOMMU_IOAS_MAP 2 MiB at %#llx (%s)", MOCK_IOVA, strerror(-ret));

	ret = iommufd_hwpt_alloc(fd, dev.idev_id, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	REQUIRE(!ret, "NEST_PARENT HWPT (%s)", strerror(-ret));
	nested = new_nested(dev.idev_id, parent);
	EXPECT(iotlb_is(nested, all_tagged), "a new nested HWPT's IOTLB holds its stage-1 data");

	ret = iommufd_hwpt_alloc_nested(fd, dev.idev_id, ioas, IOMMU_HWPT_DATA_SELFTEST,
					&(struct iommu_hwpt_selftest){ 0 }, 4, &n);
	EXPECT(ret == -EOPNOTSUPP, "a nested HWPT on a plain IOAS is refused (%s)", strerror(-ret));

	ret = mock_dev_replace(fd, &dev, nested);
	REQUIRE(!ret, "device moved onto the nested HWPT (%s)", strerror(-ret));
	ret = iommufd_destroy(fd, nested);
	EXPECT(ret == -EBUSY, "an attached nested HWPT cannot be destroyed (%s)", strerror(-ret));

	/* One entry: only its slot is flushed. */
	n = 1;
	ret = invalidate(nested, &(struct iommu_hwpt_invalidate_selftest){ .iotlb_id = 1 }, &n);
	EXPECT(!ret && n == 1, "invalidate slot 1 (%s, %u done)", strerror(-ret), n);
	EXPECT(iotlb_is(nested, (uint32_t[]){ IOTLB_TAG, 0, IOTLB_TAG, IOTLB_TAG }),
	       "IOTLB: slot 1 flushed, others kept");

	/* 32 entries in one call; the mock has 4 slots, so ids repeat (0, 1, 2, 0, ...). */
	nested2 = new_nested(dev.idev_id, parent);
	ret = mock_dev_replace(fd, &dev, nested2);
	EXPECT(!ret, "device moved onto a second nested HWPT (%s)", strerror(-ret));
	for (int i = 0; i < 32; i++)
		batch[i] = (struct iommu_hwpt_invalidate_selftest){ .iotlb_id = i % 3 };
	n = 32;
	ret = invalidate(nested2, batch, &n);
	EXPECT(!ret && n == 32, "32 invalidations in one HWPT_INVALIDATE (%s, %u done)",
	       strerror(-ret), n);
	EXPECT(iotlb_is(nested2, (uint32_t[]){ 0, 0, 0, IOTLB_TAG }),
	       "IOTLB: slots 0-2 flushed by the batch, slot 3 kept");
	EXPECT(iotlb_is(nested, (uint32_t[]){ IOTLB_TAG, 0, IOTLB_TAG, IOTLB_TAG }),
	       "the first nested HWPT was not touched");

	/* A batch whose second entry is bad: the first is done, the rest are not. */
	nested3 = new_nested(dev.idev_id, parent);
	batch[0] = (struct iommu_hwpt_invalidate_selftest){ .iotlb_id = 3 };
	batch[1] = (struct iommu_hwpt_invalidate_selftest){ .iotlb_id = 7 };
	batch[2] = (struct iommu_hwpt_invalidate_selftest){ .iotlb_id = 0 };
	n = 3;
	ret = invalidate(nested3, batch, &n);
	EXPECT(ret == -EINVAL && n == 1, "a batch failing at entry 1 reports 1 done (%s, %u done)",
	       strerror(-ret), n);
	EXPECT(iotlb_is(nested3, (uint32_t[]){ IOTLB_TAG, IOTLB_TAG, IOTLB_TAG, 0 }),
	       "IOTLB: only the entry before the bad one took effect");

	n = 1;
	ret = invalidate(nested3, &(struct iommu_hwpt_invalidate_selftest){ .flags = 1 << 1 }, &n);
	EXPECT(ret == -EOPNOTSUPP && n == 0, "an unknown flag is refused (%s)", strerror(-ret));
	n = 1;
	ret = iommufd_hwpt_invalidate(fd, nested3, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, batch,
				      sizeof(batch[0]), &n);
	EXPECT(ret == -EINVAL, "a VT-d entry on a selftest HWPT is refused (%s)", strerror(-ret));
	n = 1;
	ret = invalidate(
	    nested3,
	    &(struct iommu_hwpt_invalidate_selftest){ .flags = IOMMU_TEST_INVALIDATE_FLAG_ALL },
	    &n);
	EXPECT(!ret && n == 1, "invalidate all (%s)", strerror(-ret));
	EXPECT(iotlb_is(nested3, (uint32_t[]){ 0, 0, 0, 0 }), "IOTLB: every slot flushed");

	/* Tear down in order: back to the IOAS, then the nested HWPTs, then the parent. */
	ret = mock_dev_replace(fd, &dev, ioas);
	EXPECT(!ret, "device moved back to the IOAS (%s)", strerror(-ret));
	for (int i = 0; i < 3; i++) {
		uint32_t id = (uint32_t[]){ nested, nested2, nested3 }[i];

		ret = iommufd_destroy(fd, id);
		EXPECT(!ret, "nested HWPT %u destroyed (%s)", id, strerror(-ret));
	}
	ret = iommufd_destroy(fd, parent);
	EXPECT(!ret, "NEST_PARENT HWPT destroyed (%s)", strerror(-ret));
	ret = iommufd_ioas_unmap(fd, ioas, MOCK_IOVA, MAP_LEN, &unmapped);
	EXPECT(!ret && unmapped == MAP_LEN, "IOMMU_IOAS_UNMAP (%s, %llu bytes)", strerror(-ret),
	       (unsigned long long)unmapped);
	munmap(buf, MAP_LEN);
	close(fd);
	EXPECT(count_open_fds() == fds_before, "no fd leaked");
	return expect_exit();
}
