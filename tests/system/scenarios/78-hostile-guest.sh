# needs: kvm guests
# A hostile freestanding guest (tests/guest, -p hostile) feeds the virtio-rng, virtio-blk and
# virtio-iommu malformed rings, misused registers and bad requests, and checks each answer.
# Run under the ASan/UBSan build of nestvm where the test host has it: nestvm must exit 0,
# every case must pass (at least 60) and the sanitizers must stay silent; a second run without
# the seccomp filters lets LeakSanitizer check that nothing leaked.
set -u
. "$(dirname "$0")/../lib.sh"

need_payload
need_asan

img=$(mktemp /tmp/hostile-img.XXXXXX)
trap 'rm -f "$img"' EXIT
truncate -s 1M "$img"

# ASan's per-thread sigaltstack teardown and LeakSanitizer's exit scan make system calls that
# nestvm's seccomp filters kill the process for: both off, the error checks stay on.
out=$(ASAN_OPTIONS=halt_on_error=1:use_sigaltstack=0:detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	timeout 300 "$vmm" run -k "$payload" --viommu --rng --disk "$img" -c 1 -m 64M \
	-p hostile </dev/null 2>&1)
rc=$?
echo "$out" | grep -E '^(not ok|summary)|runtime error|AddressSanitizer' | sed 's/^/  guest: /'
passed=$(echo "$out" | tr -d "\r" | sed -n 's/^summary: \([0-9]*\) passed, 0 failed$/\1/p')
check '[ $rc -eq 0 ]' "nestvm exits 0 after the hostile guest powers off (got $rc)"
check '[ -n "$passed" ] && [ "$passed" -ge 60 ]' \
	"summary: ${passed:-?} passed, 0 failed, at least 60 cases"
check '! echo "$out" | grep -q "^not ok"' "no 'not ok' line from the guest"
check '! echo "$out" | grep -qE "runtime error|AddressSanitizer"' \
	"no sanitizer report ($vmm)"

# An exception in the payload says where it happened and powers off, rather than triple fault
# (on AMD, KVM resets the vCPU then, and where it was is gone).
out=$(timeout 60 nestvm run -k "$payload" -c 1 -m 64M -p trap </dev/null 2>&1)
rc=$?
out=$(echo "$out" | tr -d "\r")
echo "$out" | grep '^not ok - the payload took' | sed 's/^/  guest: /'
check 'echo "$out" | grep -q "^not ok - the payload took #UD (vector 6) at rip 0x[0-9a-f]*: error code 0x0" && [ $rc -eq 0 ]' \
	"-p trap: the payload reports its #UD with its rip, and powers off: status 0 (got $rc)"

# Leaks: the same guest once more without the filters, so that LeakSanitizer can scan at exit.
if [ "$vmm" = "$bin/asan/nestvm" ]; then
	out=$(ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 timeout 300 "$vmm" run --no-seccomp \
		-k "$payload" --viommu --rng --disk "$img" -c 1 -m 64M -p hostile </dev/null 2>&1)
	rc=$?
	echo "$out" | grep -E 'LeakSanitizer|SUMMARY|leak of' | head -n 8 | sed 's/^/  /'
	check '[ $rc -eq 0 ] && ! echo "$out" | grep -q LeakSanitizer' \
		"--no-seccomp, detect_leaks=1: LeakSanitizer finds nothing at exit (status $rc)"
fi
exit $fail
