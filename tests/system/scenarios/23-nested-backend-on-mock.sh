# needs: iommufd mock
# The nested table backend on two iommufd selftest mock devices: PROBE, ATTACH_TABLE (a
# NEST_PARENT and shared nested HWPTs), INVALIDATE one by one and in batches (one
# HWPT_INVALIDATE per batch, a part-way failure), bad requests, DETACH; every effect read back
# from the kernel and the mock IOTLB.
nested_backend
