# needs: iommufd mock
# Nesting on the iommufd selftest mock: NEST_PARENT + nested SELFTEST HWPTs, the mock device
# moved onto them, IOMMU_HWPT_INVALIDATE (single, batch of 32, partial failure) read back
# through the mock IOTLB.
mock_nesting
