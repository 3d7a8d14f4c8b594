# needs: kvm iommufd vtd
# The hostile freestanding guest (-p hostile, as in scenario 78) with the e1000e passed
# through: besides the virtio cases it abuses the function's config space (BAR sizing and
# moves, odd-sized writes, ids, interrupt pin, capability pointers, extended space), the
# emulated MSI-X table (misaligned and odd-sized accesses, reserved bits, live vectors with
# nonsense routes, enable toggling) and memory decoding under the mapped BAR0, and checks
# each answer. ASan/UBSan nestvm must exit 0, stay silent and leave no fd open.
# A second run injects failures (NESTVM_FAULT) into what those MSI-X writes reach at run
# time, KVM_SET_GSI_ROUTING and VFIO_DEVICE_SET_IRQS, and into config-space writes and BAR
# reads: nestvm names each failure in one line and the guest runs on to its poweroff. Then
# IOMMU_GET_HW_INFO fails for the nesting probe, and for shadowing as well.
set -u
. "$(dirname "$0")/../lib.sh"
bdf=${NESTVM_VFIO_BDF:-0000:00:03.0}

need_payload
need_asan
vfio_iommufd "$bdf" >/dev/null 2>&1 # hands it to vfio-pci

img=$(mktemp /tmp/hostile-img.XXXXXX)
trap 'rm -f "$img"' EXIT
truncate -s 1M "$img"

# hostile [ENV...]: one run; sets $out and $rc. ASan options as in scenario 78.
hostile() {
	out=$(env "$@" NESTVM_CHECK_FDS=1 ASAN_OPTIONS=halt_on_error=1:use_sigaltstack=0:detect_leaks=0 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		timeout 300 "$vmm" run -k "$payload" --viommu --rng --disk "$img" -c 1 -m 64M \
		--vfio "$bdf" -p hostile </dev/null 2>&1)
	rc=$?
	out=$(echo "$out" | tr -d '\r')
	if [ $rc -ne 0 ]; then
		echo "# nestvm status $rc ($*); its last lines:"
		echo "$out" | tail -n 15 | sed 's/^/#   /'
	fi
}

hostile
echo "$out" | grep -E '^(not ok|summary)|^ok - pci|runtime error|AddressSanitizer|^nestvm: (error|warning)' |
	sed 's/^/  guest: /'
passed=$(echo "$out" | sed -n 's/^summary: \([0-9]*\) passed, 0 failed$/\1/p')
npci=$(echo "$out" | grep -c '^ok - pci:')
check '[ $rc -eq 0 ]' "nestvm exits 0 after the hostile guest powers off (got $rc)"
check '[ -n "$passed" ] && [ "$passed" -ge 60 ]' "summary: ${passed:-?} passed, 0 failed"
check '[ "$npci" -ge 20 ]' "$npci PCI cases passed (at least 20)"
check '! echo "$out" | grep -q "^not ok"' "no 'not ok' line from the guest"
check '! echo "$out" | grep -qE "runtime error|AddressSanitizer"' "no sanitizer report ($vmm)"
check '[ "$(echo "$out" | grep -c "the guest moves BAR")" -eq 1 ]' \
	"the BAR move is logged once"
check 'echo "$out" | grep -q "NESTVM_CHECK_FDS: no fd left open after teardown"' \
	"no fd left open after teardown, the VFIO device's included (NESTVM_CHECK_FDS)"

echo "# the same with KVM_SET_GSI_ROUTING, VFIO_DEVICE_SET_IRQS, config writes and BAR reads failing"
hostile NESTVM_FAULT=kvm_gsi_routing:EINVAL:after=2:times=3,vfio_set_irqs:EIO:times=2,vfio_region_write:EIO:after=2:times=1,vfio_region_read:EIO:after=10:times=1
echo "$out" | grep -E '^(not ok|summary)|runtime error|AddressSanitizer|^nestvm: (error|warning)' |
	sed 's/^/  guest: /'
check '[ $rc -eq 0 ]' "faults: nestvm exits 0 (got $rc)"
check 'echo "$out" | grep -q "KVM_SET_GSI_ROUTING (.*): Invalid argument"' \
	"faults: the routing failure is named"
check 'echo "$out" | grep -qE "cannot (set MSI-X vectors .*|turn MSI-X off): Input/output error"' \
	"faults: the VFIO_DEVICE_SET_IRQS failure is named"
check 'echo "$out" | grep -qE "vfio $bdf: .*write .*failed: Input/output error"' \
	"faults: the failed config or BAR write is named"
check 'echo "$out" | grep -qE "vfio $bdf: .*read .*failed: Input/output error"' \
	"faults: the failed config or BAR read is named"
check 'echo "$out" | grep -q "^summary: "' "faults: the guest runs to its summary"
check '! echo "$out" | grep -qE "runtime error|AddressSanitizer"' "faults: no sanitizer report"
check 'echo "$out" | grep -q "NESTVM_CHECK_FDS: no fd left open after teardown"' \
	"faults: no fd left open after teardown"

# Leaks, with the VFIO device: once without the filters, so that LeakSanitizer can scan at exit.
if [ "$vmm" = "$bin/asan/nestvm" ]; then
	out=$(ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 timeout 300 "$vmm" run --no-seccomp \
		-k "$payload" --viommu --rng --disk "$img" -c 1 -m 64M --vfio "$bdf" -p hostile \
		</dev/null 2>&1)
	rc=$?
	echo "$out" | grep -E 'LeakSanitizer|SUMMARY|leak of' | head -n 8 | sed 's/^/  /'
	check '[ $rc -eq 0 ] && ! echo "$out" | grep -q LeakSanitizer' \
		"--no-seccomp, detect_leaks=1: LeakSanitizer finds nothing at exit (status $rc)"
fi

# The nesting probe failing in a new way still ends in shadowing, and shadowing failing too
# leaves the function MAP/UNMAP only: said, and the guest runs.
hostile NESTVM_FAULT=get_hw_info:EIO:times=1
echo "$out" | grep -E "nesting unavailable|^nestvm: (error|warning)|^summary|^not ok|Sanitizer|runtime error" |
	sed 's/^/  /'
check '[ $rc -eq 0 ] && echo "$out" | grep -q "nesting unavailable (IOMMU_GET_HW_INFO: Input/output error): falling back to shadowing"' \
	"IOMMU_GET_HW_INFO failing for the nesting probe: shadowing, the reason named, status 0 (got $rc)"
hostile NESTVM_FAULT=get_hw_info:EIO:times=2
echo "$out" | grep -E "nesting unavailable|^nestvm: (error|warning)|^summary|^not ok|Sanitizer|runtime error" |
	sed 's/^/  /'
check '[ $rc -eq 0 ] && echo "$out" | grep -q "nesting unavailable (IOMMU_GET_HW_INFO: Input/output error), and shadowing too (Input/output error): the guest gets MAP/UNMAP only"' \
	"failing for shadowing too: MAP/UNMAP only, both reasons named, status 0 (got $rc)"
exit $fail
