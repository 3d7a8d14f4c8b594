# needs: kvm iommufd vtd
# Bad --vfio arguments end nestvm before the guest starts, with one line that names the fix
# and status 1: a cdev that does not exist, a device still bound to its host driver, a PCI
# address with no device, a file that is not a VFIO cdev. No fd or device is left behind:
# the passthrough device still works afterwards.
set -u
fail=0
bdf=${NESTVM_VFIO_BDF:-0000:00:03.0}
vfio_iommufd "$bdf" >/dev/null 2>&1 # hands it to vfio-pci

expect() { # expect PATTERN DESCRIPTION ARGS...
	pattern=$1 what=$2
	shift 2
	out=$(timeout 60 nestvm run -k "$NESTVM_GUEST/bzImage" -m 64M "$@" </dev/null 2>&1)
	rc=$?
	if [ $rc -eq 1 ] && echo "$out" | grep -qE -- "$pattern" &&
		! echo "$out" | grep -q 'nestvm-guest'; then
		echo "ok - $what: status 1, \"$(echo "$out" | grep -E -- "$pattern" | head -n 1)\""
	else
		echo "not ok - $what: status $rc, want 1 and /$pattern/:"
		echo "$out" | tail -n 5 | sed 's/^/    /'
		fail=1
	fi
}

expect 'vfio9: no such device \(bind the device to vfio-pci' "a cdev that does not exist" \
	--vfio /dev/vfio/devices/vfio9
expect 'bound to e1000e, not vfio-pci; hand it over first: echo vfio-pci > .*driver_override' \
	"a device bound to its host driver" --vfio 0000:00:02.0
expect '0000:00:1e.0: no such PCI device' "a PCI address with no device" --vfio 0000:00:1e.0
expect 'VFIO_DEVICE_BIND_IOMMUFD' "a file that is not a VFIO cdev" --vfio /dev/null
# the device was not disturbed: a full open/bind/map/unmap cycle still works
if vfio_iommufd "$bdf" >/dev/null 2>&1; then
	echo "ok - the passthrough device still binds after the refused runs"
else
	echo "not ok - the passthrough device is left unusable"
	fail=1
fi
exit $fail
