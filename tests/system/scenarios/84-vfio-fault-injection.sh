# needs: kvm iommufd vtd
# Error paths of passthrough proved with NESTVM_FAULT (test-only fault injection,
# vmm/fault_inject.h): the VFIO config-space read at start failing, and KVM_IRQFD for the
# function's first MSI-X vector failing. Each ends nestvm before the guest starts with one
# error line and status 1, and leaves the device usable: a full open/bind/map/unmap cycle
# (vfio_iommufd) works afterwards.
set -u
. "$(dirname "$0")/../lib.sh"
bdf=${NESTVM_VFIO_BDF:-0000:00:03.0}
vfio_iommufd "$bdf" >/dev/null 2>&1 # hands it to vfio-pci

# expect SPEC PATTERN WHAT: nestvm with NESTVM_FAULT=SPEC exits 1 with one error, /PATTERN/
expect() {
	spec=$1 pattern=$2 what=$3
	out=$(NESTVM_FAULT=$spec timeout 60 nestvm run -k "$NESTVM_GUEST/bzImage" -m 64M \
		--vfio "$bdf" </dev/null 2>&1)
	rc=$?
	out=$(echo "$out" | tr -d '\r')
	nerr=$(echo "$out" | grep -c '^nestvm: error')
	echo "$out" | grep -E '^nestvm: (error|warning)' | sed 's/^/  /'
	check '[ $rc -eq 1 ]' "$what: nestvm exits 1 (got $rc)"
	check 'echo "$out" | grep -qE -- "^nestvm: error: $pattern"' "$what: the error says /$pattern/"
	check '[ "$nerr" -eq 1 ]' "$what: exactly one error line (got $nerr)"
	check 'echo "$out" | grep -q "fault injection: .* call 1 fails"' "$what: the injection fired"
	check '! echo "$out" | grep -qE "nestvm-guest|AddressSanitizer|runtime error|Segmentation"' \
		"$what: the guest never started, no crash"
	if vfio_iommufd "$bdf" >/dev/null 2>&1; then
		echo "ok - $what: the device still binds, maps and unmaps afterwards (vfio_iommufd)"
	else
		echo "not ok - $what: the device is left unusable"
		fail=1
	fi
}

expect vfio_region_read:EIO \
	"--vfio $bdf: cannot read its config space: Input/output error" "config-space read"
expect kvm_irqfd:EBADF \
	"--vfio $bdf: KVM_IRQFD for MSI-X vector 0 \(GSI [0-9]+\): Bad file descriptor" \
	"KVM_IRQFD at setup"
exit $fail
