# needs: iommufd vtd
# `nestvm probe` finds the VFIO cdev, says its IOMMU is VT-d and that nesting is refused
# (QEMU's emulated VT-d cannot nest), so nestvm would shadow.
set -e
out=$(nestvm probe)
echo "$out"
echo "$out" | grep -q 'IOMMU VT-d, cap 0x'
echo "$out" | grep -q 'nesting refused (Operation not supported): nestvm will shadow'
