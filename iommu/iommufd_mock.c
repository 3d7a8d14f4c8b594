// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "uapi_compat.h"
#include "iommufd_mock.h"

static int test_cmd(int iommufd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(iommufd, IOMMU_TEST_CMD, cmd) < 0 ? -errno : 0;
}

int mock_dev_create(int iommufd, uint32_t pt_id, struct mock_dev *dev)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = pt_id };
	int ret = test_cmd(iommufd, &cmd);

	if (ret)
		return ret;
	dev->stdev_id = cmd.mock_domain.out_stdev_id;
	dev->hwpt_id = cmd.mock_domain.out_hwpt_id;
	dev->idev_id = cmd.mock_domain.out_idev_id;
	return 0;
}

int mock_dev_replace(int iommufd, struct mock_dev *dev, uint32_t pt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = dev->stdev_id,
		.mock_domain_replace.pt_id = pt_id,
	};
	int ret = test_cmd(iommufd, &cmd);

	/* The kernel answers with the HWPT the device is on (an IOAS's automatic one). */
	if (!ret)
		dev->hwpt_id = cmd.mock_domain_replace.pt_id;
	return ret;
}

int mock_check_iotlb(int iommufd, uint32_t hwpt_id, uint32_t iotlb_id, uint32_t expect)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_IOTLB,
		.id = hwpt_id,
		.check_iotlb = { .id = iotlb_id, .iotlb = expect },
	};

	return test_cmd(iommufd, &cmd);
}

int mock_check_map(int iommufd, uint32_t hwpt_id, uint64_t iova, uint64_t len, const void *va)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt_id,
		.check_map = { .iova = iova, .length = len, .uptr = (uintptr_t)va },
	};

	return test_cmd(iommufd, &cmd);
}
