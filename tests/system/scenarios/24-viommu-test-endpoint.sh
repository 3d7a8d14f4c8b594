# needs: kvm iommufd mock guests
# nestvm --viommu-test-endpoint: the iommufd selftest mock device behind the virtio-iommu as
# endpoint 0x200 with the nested backend. The freestanding guest runs its usual checks next to
# it (the endpoint adds nothing the guest can see), nestvm names the endpoint once, makes the
# NEST_PARENT on the mock, and tears everything down without an error.
set -u
. "$(dirname "$0")/../lib.sh"

need_payload

out=$(timeout 120 nestvm run -d -k "$payload" --viommu --viommu-test-endpoint --rng -c 1 \
	-m 64M -p test </dev/null 2>&1)
rc=$?
echo "$out" | grep -E '^(not ok|summary)|test endpoint|nested:|mock iotlb|error' |
	sed 's/^/  nestvm: /'
check '[ $rc -eq 0 ]' "nestvm exits 0 after the guest powers off (got $rc)"
check 'echo "$out" | grep -q "^summary: [1-9][0-9]* passed, 0 failed"' \
	"every check in the guest passed"
check '[ $(echo "$out" | grep -c "viommu test endpoint: id 0x200, an iommufd selftest mock") -eq 1 ]' \
	"the endpoint and its mock device are named once"
check 'echo "$out" | grep -q "nested: NEST_PARENT HWPT [0-9]* on IOAS [0-9]*"' \
	"the nested backend made its NEST_PARENT on the mock (debug log)"
check '! echo "$out" | grep -q "nestvm: error"' "no error, teardown included"

out=$(timeout 60 nestvm run -k "$payload" --viommu-test-endpoint -m 64M </dev/null 2>&1)
rc=$?
check '[ $rc -eq 2 ] && echo "$out" | grep -q "add --viommu"' \
	"without --viommu: refused with the fix (status $rc)"
exit $fail
