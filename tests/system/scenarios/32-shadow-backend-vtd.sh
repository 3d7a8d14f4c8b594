# needs: iommufd vtd
# The shadow table backend on the passthrough NIC behind the emulated VT-d (which cannot nest):
# a guest VT-d first-stage table in fake guest RAM mirrored into the device's IOAS through
# ATTACH_TABLE / INVALIDATE / DETACH sent to the virtio-iommu model, every effect read back from
# the kernel (IOAS_MAP collisions, an iommufd access reading and writing through the IOAS).
# Twice, to prove the device and every IOAS are released.
set -e
bdf=${NESTVM_VFIO_BDF:-0000:00:03.0}
shadow_backend "$bdf"
echo "--- again"
shadow_backend "$bdf"
