// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "nested_entries.h"
#include "viommu_nested.h"

#define SZ_4K (1ULL << 12)
#define SZ_2M (1ULL << 21)
#define SZ_1G (1ULL << 30)

void nested_vtd_s1_data(const struct viommu_table *t, struct iommu_hwpt_vtd_s1 *out)
{
	/* Our format_flags bits 0-2 are the iommufd IOMMU_VTD_S1_* bits, by design. */
	*out = (struct iommu_hwpt_vtd_s1){
		.flags = t->flags & (VIRTIO_IOMMU_VTD_S1_SRE | VIRTIO_IOMMU_VTD_S1_EAFE |
				     VIRTIO_IOMMU_VTD_S1_WPE),
		.pgtbl_addr = t->root,
		.addr_width = t->flags & VIRTIO_IOMMU_VTD_S1_5LEVEL ? 57 : 48,
	};
}

void nested_selftest_data(const struct viommu_table *t, struct iommu_hwpt_selftest *out)
{
	out->iotlb = (uint32_t)t->flags;
}

void nested_vtd_inval_entry(const struct viommu_inval *in, struct iommu_hwpt_vtd_s1_invalidate *out)
{
	*out = (struct iommu_hwpt_vtd_s1_invalidate){
		.flags = in->leaf ? IOMMU_VTD_INV_FLAGS_LEAF : 0,
	};
	if (in->all) {
		out->npages = UINT64_MAX; /* VT-d's "all" (addr 0) */
	} else {
		out->addr = in->start;
		/* end - start + 1 could wrap for a range up to the top: count pages first. */
		out->npages = ((in->end - in->start) >> NESTED_PAGE_SHIFT) + 1;
	}
}

void nested_selftest_inval_entry(const struct viommu_inval *in,
				 struct iommu_hwpt_invalidate_selftest *out)
{
	*out = (struct iommu_hwpt_invalidate_selftest){ 0 };
	if (in->all)
		out->flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	else
		out->iotlb_id = nested_mock_slot(in->start);
}

void nested_mock_iotlb_apply(uint32_t iotlb[MOCK_NESTED_DOMAIN_IOTLB_NUM],
			     const struct iommu_hwpt_invalidate_selftest *e, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (e[i].flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL ||
		    e[i].iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX)
			continue;
		if (e[i].flags & IOMMU_TEST_INVALIDATE_FLAG_ALL)
			memset(iotlb, 0, MOCK_NESTED_DOMAIN_IOTLB_NUM * sizeof(*iotlb));
		else
			iotlb[e[i].iotlb_id] = 0;
	}
}

static unsigned int vtd_format(const struct iommufd_hw_info *info, struct viommu_table_format *f)
{
	struct iommu_hw_info_vtd vtd;

	if (info->data_len < sizeof(vtd))
		return 0;
	memcpy(&vtd, info->data, sizeof(vtd));
	*f = (struct viommu_table_format){
		.format = VIRTIO_IOMMU_FORMAT_VTD_S1,
		.address_bits = vtd.cap_reg & VTD_CAP_FL5LP ? 57 : 48,
		.page_sizes = SZ_4K | SZ_2M,
	};
	if (vtd.cap_reg & VTD_CAP_FL5LP)
		f->caps |= VIRTIO_IOMMU_VTD_CAP_5LEVEL;
	if (vtd.cap_reg & VTD_CAP_FL1GP) {
		f->caps |= VIRTIO_IOMMU_VTD_CAP_1G;
		f->page_sizes |= SZ_1G;
	}
	if (vtd.ecap_reg & VTD_ECAP_SRS)
		f->caps |= VIRTIO_IOMMU_VTD_CAP_SRE;
	if (vtd.ecap_reg & VTD_ECAP_EAFS)
		f->caps |= VIRTIO_IOMMU_VTD_CAP_EAFE;
	/* pasid_bits stays 0: 6.12 attaches PASID-less HWPTs only. */
	return 1;
}

unsigned int nested_formats_from_hw_info(const struct iommufd_hw_info *info,
					 struct viommu_table_format *out, unsigned int max)
{
	if (!max)
		return 0;
	switch (info->type) {
	case IOMMU_HW_INFO_TYPE_INTEL_VTD:
		return vtd_format(info, out);
	case IOMMU_HW_INFO_TYPE_SELFTEST:
		/* The mock walks nothing: its "table" is one IOTLB value. */
		out[0] = (struct viommu_table_format){
			.format = VIRTIO_IOMMU_FORMAT_SELFTEST,
			.address_bits = 48,
			.page_sizes = SZ_4K,
		};
		return 1;
	default:
		return 0;
	}
}
