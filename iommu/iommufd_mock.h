/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The iommufd selftest mock IOMMU (CONFIG_IOMMUFD_TEST): a software device whose nested
 * domains accept IOMMU_HWPT_DATA_SELFTEST tables and keep a 4-slot IOTLB we can read back.
 * It lets the nested-HWPT path run on hosts with no nesting hardware. Test hosts only.
 */
#ifndef NESTVM_IOMMUFD_MOCK_H
#define NESTVM_IOMMUFD_MOCK_H

#include <stdint.h>

struct mock_dev {
	uint32_t stdev_id; /* the selftest device object, target of DOMAIN_REPLACE */
	uint32_t hwpt_id; /* the HWPT it is attached to now (an IOAS's gets one made for it) */
	uint32_t idev_id; /* the iommufd device id, as VFIO_DEVICE_BIND_IOMMUFD would give */
};

/* Creates a mock device attached to @pt_id (an IOAS or a HWPT). Returns 0 or -errno. */
int mock_dev_create(int iommufd, uint32_t pt_id, struct mock_dev *dev);

/* Moves the mock device to @pt_id (e.g. a nested HWPT), like a VFIO re-attach; sets hwpt_id. */
int mock_dev_replace(int iommufd, struct mock_dev *dev, uint32_t pt_id);

/*
 * Returns 0 when paging HWPT @hwpt_id maps [@iova, @iova + @len) to the pages of our @va, and
 * -EINVAL when any page is unmapped or elsewhere (IOMMU_TEST_OP_MD_CHECK_MAP).
 */
int mock_check_map(int iommufd, uint32_t hwpt_id, uint64_t iova, uint64_t len, const void *va);
/* Returns 0 when slot @iotlb_id of nested HWPT @hwpt_id holds @expect, -EINVAL when not. */
int mock_check_iotlb(int iommufd, uint32_t hwpt_id, uint32_t iotlb_id, uint32_t expect);

#endif
