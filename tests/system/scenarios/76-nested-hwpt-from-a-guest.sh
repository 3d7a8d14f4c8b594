# needs: kvm iommufd mock guests
# The nesting extension end to end on the iommufd selftest mock: the freestanding guest
# (tests/guest, "nested ep=0x200") attaches a SELFTEST-format table to nestvm's mock endpoint
# (--viommu-test-endpoint), and nestvm turns it into a NEST_PARENT HWPT and a nested HWPT. After
# each INVALIDATE nestvm checks the mock IOTLB in the kernel (IOMMU_TEST_OP_MD_CHECK_IOTLB) and
# logs the slots (-d); this scenario reads that log: the slots each request named, and only
# those, were flushed; 32 INVALIDATEs in one notify, one of them bad, became ONE
# HWPT_INVALIDATE of the 31 good ones, and the bad one got INVAL.
set -u
. "$(dirname "$0")/../lib.sh"
need_payload

out=$(timeout 120 nestvm run -d -k "$payload" -c 1 -m 64M --viommu --viommu-test-endpoint \
	-p "nested ep=0x200" </dev/null 2>&1)
rc=$?
out=$(echo "$out" | tr -d '\r')
echo "$out" | grep -E '^(not ok|summary)|NEST_PARENT|nested: HWPT [0-9]+ for|mock iotlb|HWPT_INVALIDATE.*(31|32) entries|error' |
	head -n 20 | sed 's/^/  /'
log=$(echo "$out" | grep -E 'mock iotlb|HWPT_INVALIDATE')
check '[ $rc -eq 0 ]' "nestvm exits 0 (got $rc)"
check 'echo "$out" | grep -q "^summary: [1-9][0-9]* passed, 0 failed"' "every check in the guest passed"
check 'echo "$out" | grep -qE "nested: HWPT [0-9]+ for selftest table .* on parent [0-9]+"' \
	"ATTACH_TABLE made a nested SELFTEST HWPT on a NEST_PARENT HWPT"
check 'echo "$log" | grep -q "\[0x1234 0x1234 0x1234 0x1234\] verified"' \
	"after ATTACH_TABLE every mock IOTLB slot holds the table's value"
check 'echo "$log" | grep -q "\[0x1234 0 0x1234 0x1234\] verified"' \
	"INVALIDATE RANGE of slot 1 flushed slot 1 alone"
check 'echo "$log" | grep -q "\[0x1234 0 0x1234 0\] verified"' \
	"INVALIDATE RANGE of slot 3 flushed slot 3 alone"
check 'echo "$log" | grep -q "HWPT_INVALIDATE hwpt [0-9]*: 31 entries, 31 done: ok"' \
	"32 INVALIDATEs in one notify became one HWPT_INVALIDATE of the 31 good ones"
check 'echo "$log" | grep -q "\[0x1234 0 0 0\] verified"' "that batch flushed slot 2"
check 'echo "$log" | grep -q "\[0 0 0 0\] verified"' "INVALIDATE DOMAIN flushed every slot"
check '! echo "$out" | grep -qE "nestvm: error|holds .*, want"' "no mock IOTLB slot disagreed"
# -d prints the counters line: the mock endpoint's HWPT_INVALIDATEs are there, fewer than
# the INVALIDATEs (the batch of 32 was one), the bad one an error.
check '[ "$(vstat ATTACH_TABLE "$out")" -ge 1 ] 2>/dev/null && [ "$(vstat HWPT_INVALIDATE "$out")" -ge 1 ] && [ "$(vstat HWPT_INVALIDATE "$out")" -lt "$(vstat INVALIDATE "$out")" ] && [ "$(vstat ERRORS "$out")" -ge 1 ]' \
	"counters: ATTACH_TABLE $(vstat ATTACH_TABLE "$out"), INVALIDATE $(vstat INVALIDATE "$out") in HWPT_INVALIDATE $(vstat HWPT_INVALIDATE "$out"), ERRORS $(vstat ERRORS "$out")"
exit $fail
