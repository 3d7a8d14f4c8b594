# needs: kvm guests
# A freestanding guest (tests/guest, booted through PVH) drives the virtio-iommu itself:
# bring-up, PROBE, ATTACH/DETACH, MAP/UNMAP, the status of every kind of bad request and a
# full request queue in one notify; it prints one ok/not ok line per check and powers off,
# and nestvm must exit 0. Then its benchmark mode, briefly: the table is printed (no timing
# is judged here).
set -u
. "$(dirname "$0")/../lib.sh"

# The payload sits next to nestvm: bin/guest in the test host, tests/guest in a build tree.
need_payload

out=$(timeout 120 nestvm run -k "$payload" --viommu --viommu-stats --rng -c 1 -m 64M -p test \
	</dev/null 2>&1)
rc=$?
echo "$out" | grep -E '^(not ok|summary|nestvm: viommu:)' | sed 's/^/  guest: /'
check '[ $rc -eq 0 ]' "test: nestvm exits 0 after the guest powers off (got $rc)"
check 'echo "$out" | grep -q "^summary: [1-9][0-9]* passed, 0 failed"' \
	"test: every check in the guest passed ($(echo "$out" | grep -c '^ok - ') ok lines)"
check '! echo "$out" | grep -q "^not ok"' "test: no 'not ok' line from the guest"
for what in "RESV_MEM MSI 0xfee00000-0xfeefffff" "ATTACH of the endpoint to a domain: OK" \
	"MAP of 4 KiB: OK" "UNMAP of that 4 KiB: OK" "MAP inside an existing mapping" \
	"runs past the end of RAM" "UNMAP of a range with nothing mapped" \
	"ATTACH of an endpoint that does not exist" "DETACH of it again" \
	"domain above domain_range" "IOVA above input_range" "unknown request type" \
	"shorter than its 4-byte head" "flood (direct): all" "flood (indirect): all" \
	"after the floods: MAP"; do
	check 'echo "$out" | grep -q "^ok - .*$what"' "test: guest reports ok: $what"
done
# --viommu-stats: one counters line; the bad requests are errors; an emulated endpoint costs
# the host no call.
check '[ "$(echo "$out" | grep -c "^nestvm: viommu: ")" = 1 ]' "test: one counters line at exit"
check '[ "$(vstat ATTACH "$out")" -ge 1 ] 2>/dev/null && [ "$(vstat MAP "$out")" -ge 2 ] && [ "$(vstat UNMAP "$out")" -ge 1 ] && [ "$(vstat PROBE "$out")" -ge 1 ]' \
	"test: it counts the guest's ATTACH ($(vstat ATTACH "$out")), MAP ($(vstat MAP "$out")), UNMAP ($(vstat UNMAP "$out")), PROBE ($(vstat PROBE "$out"))"
check '[ "$(vstat ERRORS "$out")" -ge 5 ] 2>/dev/null' "test: and its bad requests as errors ($(vstat ERRORS "$out"))"
check '[ "$(vstat HWPT_INVALIDATE "$out")$(vstat SHADOW_IOAS_MAP "$out")$(vstat IOAS_MAP "$out")" = 000 ]' \
	"test: no host call for an emulated endpoint"

out=$(timeout 120 nestvm run -k "$payload" --viommu --rng -c 1 -m 64M -p "bench iters=50" \
	</dev/null 2>&1)
rc=$?
echo "$out" | grep -E '^(\||bench)' | sed 's/^/  guest: /'
check '[ $rc -eq 0 ]' "bench: nestvm exits 0 (got $rc)"
check '[ $(echo "$out" | grep -cE "^\| (null MMIO|QueueNotify|MAP\+UNMAP|N MAPs)") -eq 7 ]' \
	"bench: the table has its 7 rows"
check 'echo "$out" | grep -q "^bench: done"' "bench: it ran to the end"
check '! echo "$out" | grep -q "^nestvm: viommu: "' "bench: no counters line without --viommu-stats or -d"
check '! echo "$out" | grep -q "errors"' "bench: no request failed"
exit $fail
