# needs: kvm iommufd mock
# The virtio-iommu ioas backend (VFIO endpoints) on two iommufd selftest mock devices:
# ATTACH/MAP/UNMAP/DETACH/bypass through the model, checked in the kernel's mock domains, and
# IOMMU_IOAS_MAP/UNMAP/ALLOC failures injected (NESTVM_FAULT's hooks) answered with a status;
# then MAP+UNMAP rates through the model and raw. The kernel's refusal is logged once.
err=/tmp/ioas_backend.err
ioas_backend 2>"$err"
rc=$?
sed 's/^/stderr: /' "$err"
n=$(grep -c 'IOMMU_IOAS_MAP of IOVA' "$err")
if [ "$n" = 1 ]; then
	echo "ok - the kernel's MAP refusal was logged once"
else
	echo "not ok - the kernel's MAP refusal was logged $n times, want 1"
	rc=1
fi
exit $rc
