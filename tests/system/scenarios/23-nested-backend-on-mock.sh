# needs: iommufd mock
# The nested table backend on two iommufd selftest mock devices: PROBE, ATTACH_TABLE (a
# NEST_PARENT and shared nested HWPTs), INVALIDATE one by one and in batches (one
# HWPT_INVALIDATE per batch, a part-way failure), bad requests, DETACH; every effect read back
# from the kernel and the mock IOTLB. Then nestvm's test endpoint (--viommu-test-endpoint):
# its debug log must show the mock IOTLB after each step, as a test outside nestvm sees it.
err=/tmp/nested_backend.err
nested_backend 2>"$err"
rc=$?
sed 's/^/stderr: /' "$err"
check() {
	if grep -qE "$1" "$err"; then
		echo "ok - log: $2"
	else
		echo "not ok - log: $2 (no line like /$1/)"
		rc=1
	fi
}
h='mock iotlb: hwpt [0-9]+'
check "$h \[0xcafe 0xcafe 0xcafe 0xcafe\] verified" "ATTACH_TABLE: every slot holds the table's value"
check "$h \[0xcafe 0xcafe 0xcafe 0\] verified" "INVALIDATE RANGE at 0x3000: slot 3 flushed"
check "$h \[0 0 0xcafe 0\] verified" "the batch: slots 0 and 1 flushed too"
check "$h \[0 0 0 0\] verified" "INVALIDATE DOMAIN: all flushed"
check "nested: HWPT_INVALIDATE hwpt [0-9]+: 2 entries, 2 done: ok" "the batch was one call"
check "nested: HWPT [0-9]+ destroyed" "DETACH destroyed the HWPT"
if grep -q "mock iotlb: .*\(holds\|is not\)" "$err"; then
	echo "not ok - log: a mock IOTLB slot differed from what nestvm expected"
	rc=1
fi
exit $rc
