# needs: kvm guests
# The freestanding guest (tests/guest) drives the virtio-iommu nesting extension itself
# (docs/virtio-iommu-nested.md): PROBE's TABLE_FORMAT, the status of every bad ATTACH_TABLE,
# INVALIDATE and DETACH, 256 INVALIDATEs in one notify (on the invalq when the device has
# one), and the virtio-rng's DMA translated through a VT-d first-stage table the guest built
# in its own RAM, until an unmap + INVALIDATE makes the rng's write fault on the eventq.
# Then the invalidation benchmark runs briefly (nothing timed is judged).
set -u
. "$(dirname "$0")/../lib.sh"

need_payload

out=$(timeout 120 nestvm run -k "$payload" --viommu --rng -c 1 -m 64M -p nested </dev/null 2>&1)
rc=$?
out=$(echo "$out" | tr -d '\r')
echo "$out" | grep -E '^(not ok|summary|#)' | sed 's/^/  guest: /'
check '[ $rc -eq 0 ]' "nestvm exits 0 after the guest powers off (got $rc)"
check 'echo "$out" | grep -q "^summary: [1-9][0-9]* passed, 0 failed"' \
	"every check in the guest passed ($(echo "$out" | grep -c '^ok - ') ok lines)"
check '! echo "$out" | grep -q "^not ok"' "no 'not ok' line from the guest"
for what in "PROBE reports no TABLE_FORMAT" "INVALIDATE is an unknown type" \
	"it offers VIRTIO_IOMMU_F_ATTACH_TABLE" "TABLE_FORMAT: VT-d yes" "address_bits" \
	"page_sizes" "root outside guest RAM: RANGE" "unknown format (0x42): INVAL" \
	"SELFTEST format, which the endpoint lacks: UNSUPP" "PASID above pasid_bits: RANGE" \
	"ATTACH_TABLE of the endpoint: OK" "domain that does not exist: NOENT" \
	"RANGE of size 0: INVAL" "misaligned address: INVAL" "that wraps: INVAL" \
	"flood of 256 INVALIDATEs in one notify .*all OK" \
	"4 KiB page: the rng wrote 64 bytes" "2 MiB page: the rng wrote 64 bytes" \
	"read-only page: eventq fault MAPPING" \
	"after unmap + INVALIDATE: the rng's write at IOVA 0x123456780000 is refused" \
	"after unmap + INVALIDATE: eventq fault MAPPING, write, endpoint 1, address 0x123456780000" \
	"after the remap: the rng wrote" "DETACH of the endpoint: OK" \
	"never asked for a reset"; do
	check 'echo "$out" | grep -q "^ok - .*$what"' "guest reports ok: $what"
done
# Queue 2 is the invalq once nestvm serves it; the guest uses it whenever it is offered.
if echo "$out" | grep -q "the invalq (queue 2) is ready"; then
	check 'echo "$out" | grep -q "^ok - a flood of 256 INVALIDATEs in one notify (invalq)"' \
		"the flood went on the invalq"
fi

# The invalidation benchmark, briefly: its table is printed, no timing is judged here.
out=$(timeout 120 nestvm run -k "$payload" --viommu --rng -c 1 -m 64M -p "bench-inval iters=50" \
	</dev/null 2>&1)
rc=$?
out=$(echo "$out" | tr -d '\r')
echo "$out" | grep -E '^(\||bench-inval)' | sed 's/^/  guest: /'
check '[ $rc -eq 0 ]' "bench-inval: nestvm exits 0 (got $rc)"
check '[ $(echo "$out" | grep -cE "^\| (null MMIO|INVALIDATE RANGE|N INVALIDATEs)") -eq 5 ]' \
	"bench-inval: the table has its 5 rows"
check 'echo "$out" | grep -q "^bench-inval: done"' "bench-inval: it ran to the end"
check '! echo "$out" | grep -q "errors"' "bench-inval: no request failed"
exit $fail
