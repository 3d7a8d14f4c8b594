# needs: iommufd vtd
# A passthrough NIC through the VFIO cdev and iommufd, twice, to prove everything is released
# (the second run must be able to bind the same device again).
set -e
bdf=${NESTVM_VFIO_BDF:-0000:00:03.0}
vfio_iommufd "$bdf"
echo "--- again, after the first run released the device"
vfio_iommufd "$bdf"
