/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The nested backend's translations between the virtio-iommu model and iommufd's driver data:
 * a guest table as nested HWPT data, an INVALIDATE as an IOMMU_HWPT_INVALIDATE entry, and the
 * host IOMMU's IOMMU_GET_HW_INFO as the table formats PROBE reports. No system calls, so unit
 * tests cover all of it.
 */
#ifndef NESTVM_IOMMU_NESTED_ENTRIES_H
#define NESTVM_IOMMU_NESTED_ENTRIES_H

#include <stdint.h>

#include "iommu/backend.h"
#include "iommu/iommufd.h"
#include "iommu/uapi_compat.h"

/* VT-d capability and extended capability bits (VT-d spec 3.x, §11.4.2, §11.4.3). */
#define VTD_CAP_FL1GP (1ULL << 56) /* first stage 1 GiB pages */
#define VTD_CAP_FL5LP (1ULL << 60) /* first stage 5-level paging */
#define VTD_ECAP_SRS (1ULL << 31) /* supervisor requests */
#define VTD_ECAP_EAFS (1ULL << 34) /* extended accessed flag */

#define NESTED_PAGE_SHIFT 12

/* The mock's IOTLB slot a RANGE names (docs/virtio-iommu-nested.md). */
static inline uint32_t nested_mock_slot(uint64_t start)
{
	return (start >> NESTED_PAGE_SHIFT) & MOCK_NESTED_DOMAIN_IOTLB_ID_MAX;
}

/* The HWPT data for VT-d first stage table @t (format_flags as the iommufd flags). */
void nested_vtd_s1_data(const struct viommu_table *t, struct iommu_hwpt_vtd_s1 *out);
/* The HWPT data for a selftest table: its IOTLB value is format_flags' low 32 bits. */
void nested_selftest_data(const struct viommu_table *t, struct iommu_hwpt_selftest *out);

/* One INVALIDATE as a VT-d first stage entry: a range in pages, or all (npages ~0). */
void nested_vtd_inval_entry(const struct viommu_inval *in,
			    struct iommu_hwpt_vtd_s1_invalidate *out);
/* One INVALIDATE as a selftest entry: a RANGE flushes slot nested_mock_slot(), else all. */
void nested_selftest_inval_entry(const struct viommu_inval *in,
				 struct iommu_hwpt_invalidate_selftest *out);

/*
 * What the mock does with @n entries @e to its four IOTLB slots @iotlb (a flush zeroes a slot),
 * for tracking what they must hold. Entries the mock would refuse change nothing.
 */
void nested_mock_iotlb_apply(uint32_t iotlb[MOCK_NESTED_DOMAIN_IOTLB_NUM],
			     const struct iommu_hwpt_invalidate_selftest *e, unsigned int n);

/*
 * The table formats the IOMMU described by @info can walk nested, up to @max into @out; returns
 * how many (0 for an IOMMU type nestvm has no format for). VT-d: format VTD_S1, 48 or 57
 * address bits (FL5LP), 4K|2M pages (|1G with FL1GP), SRE/EAFE from the ecap. The selftest
 * mock: format SELFTEST.
 */
unsigned int nested_formats_from_hw_info(const struct iommufd_hw_info *info,
					 struct viommu_table_format *out, unsigned int max);

#endif
