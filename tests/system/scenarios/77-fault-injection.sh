# needs: kvm iommufd mock guests
# Error paths proved with NESTVM_FAULT (test-only fault injection, vmm/fault_inject.h), on
# nestvm's mock endpoint (--viommu-test-endpoint) and the freestanding guest ("nested
# ep=0x200"):
# - NEST_PARENT refused at start: the mock endpoint has only the nested backend (nothing to
#   shadow with), so nestvm says why in one line and exits 1;
# - the nested HWPT refused: the guest's ATTACH_TABLE gets UNSUPP, nestvm says why and runs on
#   until the guest powers off;
# - the 2nd HWPT_INVALIDATE fails with EIO: the guest sees IOERR for exactly that request
#   (INVALIDATE of mock IOTLB slot 3, which stays unflushed), every other request succeeds;
# - KVM_IRQFD fails at setup: one clear error, status 1, no crash.
set -u
. "$(dirname "$0")/../lib.sh"
need_payload

# run SPEC ARGS...: nestvm with NESTVM_FAULT=SPEC; sets $out and $rc
run() {
	spec=$1
	shift
	out=$(NESTVM_FAULT=$spec timeout 120 nestvm run -k "$payload" -c 1 -m 64M "$@" \
		</dev/null 2>&1)
	rc=$?
	out=$(echo "$out" | tr -d '\r')
}
show() { echo "$out" | grep -E "$1" | head -n 12 | sed 's/^/  /'; }
nerr() { echo "$out" | grep -c '^nestvm: error'; }
not_crashed='[ $rc -lt 128 ] && ! echo "$out" | grep -qE "AddressSanitizer|runtime error|Segmentation"'

echo "# 1a. NEST_PARENT refused at start"
run nest_parent:EOPNOTSUPP -d --viommu --viommu-test-endpoint -p "nested ep=0x200"
show 'nestvm: (error|warning)'
check '[ $rc -eq 1 ]' "nest_parent: nestvm exits 1 (got $rc)"
check 'echo "$out" | grep -q "^nestvm: error: --viommu-test-endpoint: the mock device cannot nest: the host IOMMU refuses a NEST_PARENT HWPT: Operation not supported"' \
	"nest_parent: one line says the mock endpoint cannot nest, and why"
check '[ "$(nerr)" -eq 1 ]' "nest_parent: exactly one error line (got $(nerr))"
check '! echo "$out" | grep -q "viommu-guest: cmdline"' "nest_parent: the guest never started"
check "$not_crashed" "nest_parent: no crash"

echo "# 1b. the nested HWPT refused: ATTACH_TABLE gets UNSUPP"
run hwpt_nested:EOPNOTSUPP -d --viommu --viommu-test-endpoint -p "nested ep=0x200"
show '^(not ok|summary)|nestvm: (error|warning)'
check '[ $rc -eq 0 ]' "hwpt_nested: nestvm runs on, exits 0 when the guest powers off (got $rc)"
check 'echo "$out" | grep -q "^not ok - ATTACH_TABLE of the endpoint: OK (got UNSUPP)"' \
	"hwpt_nested: the guest's ATTACH_TABLE of the endpoint got UNSUPP"
check 'echo "$out" | grep -q "^summary: [1-9][0-9]* passed, 1 failed"' \
	"hwpt_nested: that was the guest's only failed check"
check 'echo "$out" | grep -q "fault injection: hwpt_nested call 1 fails with EOPNOTSUPP"' \
	"hwpt_nested: the injection fired on the first nested HWPT"
check 'echo "$out" | grep -q "nested: no HWPT for the guest.s selftest table at .*: Operation not supported (ATTACH_TABLE answered UNSUPP"' \
	"hwpt_nested: nestvm says the host refused the guest's table and the guest got UNSUPP"
check '! echo "$out" | grep -q "^nestvm: error"' "hwpt_nested: no error line"
check "$not_crashed" "hwpt_nested: no crash"

echo "# 2. the 2nd HWPT_INVALIDATE fails with EIO"
run hwpt_invalidate:EIO:after=1:times=1 -d --viommu --viommu-test-endpoint \
	-p "nested ep=0x200"
show '^(not ok|summary)|fault injection|HWPT_INVALIDATE hwpt [0-9]*: 1 entries|mock iotlb'
check '[ $rc -eq 0 ]' "hwpt_invalidate: nestvm exits 0 (got $rc)"
check 'echo "$out" | grep -q "^ok - mock: INVALIDATE RANGE of slot 1: OK"' \
	"hwpt_invalidate: the 1st INVALIDATE (slot 1) got OK"
check 'echo "$out" | grep -q "^not ok - mock: INVALIDATE RANGE of slot 3: OK (got IOERR)"' \
	"hwpt_invalidate: the 2nd INVALIDATE (slot 3) got IOERR"
check '[ "$(echo "$out" | grep -c "^not ok")" -eq 1 ] && echo "$out" | grep -q "^summary: [1-9][0-9]* passed, 1 failed"' \
	"hwpt_invalidate: it was the guest's only failed check: every other request succeeded"
check '[ "$(echo "$out" | grep -c "fault injection: hwpt_invalidate call")" -eq 1 ] && echo "$out" | grep -q "fault injection: hwpt_invalidate call 2 fails with EIO"' \
	"hwpt_invalidate: nestvm's log: call 2, and only it, failed with EIO"
check 'echo "$out" | grep -q "HWPT_INVALIDATE hwpt [0-9]*: 1 entries, 0 done: Input/output error"' \
	"hwpt_invalidate: nestvm's log: that HWPT_INVALIDATE handled 0 of 1 entries"
check '! echo "$out" | grep -q "\[0x1234 0 0x1234 0\] verified"' \
	"hwpt_invalidate: mock IOTLB slot 3 was not flushed after the failed call"
check 'echo "$out" | grep -q "\[0x1234 0 0 0x1234\] verified" && echo "$out" | grep -q "\[0 0 0 0\] verified"' \
	"hwpt_invalidate: the later ones flushed (slot 2, then every slot)"
check '! echo "$out" | grep -qE "nestvm: error|holds .*, want"' \
	"hwpt_invalidate: no error line, no mock IOTLB slot disagreed"
check "$not_crashed" "hwpt_invalidate: no crash"

echo "# 4. KVM_IRQFD fails at setup"
run kvm_irqfd:EBADF --viommu -p test
show 'nestvm: (error|warning)'
check '[ $rc -eq 1 ]' "kvm_irqfd: nestvm exits 1 (got $rc)"
check 'echo "$out" | grep -q "^nestvm: error: KVM_IRQFD for GSI [0-9]*: Bad file descriptor"' \
	"kvm_irqfd: the error names KVM_IRQFD, the GSI and the errno"
check '[ "$(nerr)" -eq 1 ]' "kvm_irqfd: exactly one error line (got $(nerr))"
check '! echo "$out" | grep -q "viommu-guest: cmdline"' "kvm_irqfd: the guest never started"
check "$not_crashed" "kvm_irqfd: no crash"

echo "# a bad NESTVM_FAULT"
run "hwpt_invalidate:EWHAT" --viommu -p test
show 'nestvm: error'
check '[ $rc -eq 2 ]' "bad spec: nestvm exits 2 (got $rc)"
check 'echo "$out" | grep -q "NESTVM_FAULT: \"hwpt_invalidate:EWHAT\": no errno.*OP is one of .*hwpt_invalidate"' \
	"bad spec: one line names the rule, the syntax and the allowed ops"
exit $fail
