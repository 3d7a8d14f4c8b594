# needs: kvm iommufd vtd
# The passthrough e1000e under a steady flood while the guest keeps changing other pages of
# the NIC's own table and invalidating them. The payload ("nic-flood", tests/guest/nic_flood.c)
# puts the NIC's rings and buffers behind its VT-d first-stage table; the emulated VT-d cannot
# nest, so nestvm shadows that table into the NIC's IOAS. The test host floods the NIC from
# its other e1000e across QEMU's hub (tests/system/progs/flood: broadcast frames with sequence
# numbers, paced) and the guest counts what arrives for the same time three times: idle,
# while it maps and unmaps scratch pages of the table (one right after the RX buffers, one in
# their 2 MiB block, one in the next) with an INVALIDATE of just that page each time and a
# DOMAIN-wide one after every 6, then idle again. Nothing the NIC uses changes, so:
#   - the test host's IOMMU logs no DMAR fault;
#   - the guest's INVALIDATEs all happened and answered OK;
#   - the frames lost while invalidating, and in the idle phase after, are not more than the
#     idle phase before loses (tolerance below).
# A shadow that unmaps more than the guest changed (whole merged areas, or everything on a
# DOMAIN-wide INVALIDATE) and maps it again leaves a window in which the NIC's DMA faults.
# NESTVM_FLOOD_CONTROL=1 makes it a control run: only the two pages away from the NIC's block
# change, with RANGE INVALIDATEs alone; a shadow that widens only to whole merged areas already
# passes that, which shows that the load alone does not fail these checks.
# NESTVM_FLOOD_PLAIN=1 takes the vIOMMU away (no --viommu; the payload's viommu=0): the same
# flood and NIC with nothing of nestvm's IOMMU code in the path, for telling a nestvm bug
# from the test host's. Its invalidating phase changes nothing.
set -u
. "$(dirname "$0")/../lib.sh"
bdf=${NESTVM_VFIO_BDF:-0000:00:03.0}
secs=${NESTVM_FLOOD_SECS:-6} # per phase
rate=${NESTVM_FLOOD_RATE:-2000} # frames per second
control=${NESTVM_FLOOD_CONTROL:-0}
plain=${NESTVM_FLOOD_PLAIN:-0}
[ "$plain" = 1 ] && viommu= || viommu=--viommu

need_payload

vfio_iommufd "$bdf" >/dev/null 2>&1 # hands it to vfio-pci
host_if=$(ls /sys/bus/pci/devices/0000:00:02.0/net/)
ip link set "$host_if" up

log=$(mktemp)
flog=$(mktemp)
dmesg -c >/dev/null
timeout $((3 * secs + 120)) nestvm run -k "$payload" -c 1 -m 64M $viommu --vfio "$bdf" \
	-p "nic-flood secs=$secs control=$control viommu=$((1 - plain))" </dev/null >"$log" 2>&1 &
vm=$!
# The flood starts once the guest has reset the NIC and set up its rings: whatever an earlier
# owner left in the NIC never sees a frame.
for i in $(seq 1 600); do
	grep -q 'flood: ready' "$log" && break
	kill -0 $vm 2>/dev/null || break
	sleep 0.2
done
flood "$host_if" --rate "$rate" --secs $((3 * secs + 90)) >"$flog" 2>&1 &
flooder=$!
wait $vm
rc=$?
kill $flooder 2>/dev/null
wait $flooder
flood_rc=$?

out=$(tr -d '\r' <"$log")
echo "$out" | grep -E '^(ok|not ok|summary|# (flood|idle|invalidating))' | sed 's/^/  guest: /'
echo "$out" | grep '^flood-result' | sed 's/^/  guest: /'
sed 's/^/  host: /' "$flog"
vmm_says $rc "$out"
check '[ $rc -eq 0 ]' "nestvm exits 0 (got $rc)"
[ "$plain" = 1 ] ||
	check 'echo "$out" | grep -q "nesting unavailable.*falling back to shadowing"' \
		"nestvm shadows the guest's table (the host refuses nesting)"
check '[ $flood_rc -eq 0 ]' "the test host flooded the NIC (status $flood_rc)"
check 'echo "$out" | grep -q "^summary: [1-9][0-9]* passed, 0 failed"' \
	"every check in the guest passed (the flood arrived in each phase, every INVALIDATE OK)"

# field PHASE NAME: a number from the guest's "flood-result PHASE ..." line (0 if none).
field() {
	v=$(echo "$out" | grep "^flood-result $1 " | head -n 1 |
		sed -n "s/.* $2=\([0-9]*\).*/\1/p")
	echo "${v:-0}"
}
changes=$(field invalidating changes)
domains=$(field invalidating domains)
[ "$plain" = 1 ] ||
	check '[ "$changes" -gt 0 ] && { [ "$domains" -gt 0 ] || [ "$control" = 1 ]; }' \
		"the guest invalidated while flooded: $changes page INVALIDATEs, $domains DOMAIN-wide"

faults=$(dmesg | grep -ci 'dmar.*fault')
dmesg | grep -i 'dmar.*fault' | head -n 3 | sed 's/^/  host: /'
# Where they hit (the kernel logs only some of them).
dmesg | sed -n 's/.*DMAR: \[\(DMA [A-Za-z]*\).*fault addr \(0x[0-9a-f]*\).*/\1 \2/p' | sort |
	uniq -c | sed 's/^ */  host: faults: /'
check '[ "$faults" -eq 0 ]' "no DMAR fault in the test host's log (got $faults lines)"

# Frames lost while invalidating, and in the idle phase after, against the idle phase before:
# its loss rate applied to the phase's frames, plus a tolerance. QEMU's hub holds a frame back
# while the NIC has no free descriptor instead of dropping it, so an idle phase normally loses
# nothing; the tolerance, 0.5% of the phase's frames (at least 2), is for losses of the test
# host's own that one short idle phase may happen not to show (its TCG vCPUs stall now and
# then). A window in which the NIC's pages are missing from the IOAS costs every frame that
# arrives in it (and faults); a page still missing or wrong after the invalidations shows in
# the idle phase after.
b_exp=$(field idle-before expected)
b_lost=$(field idle-before lost)
allowed() {
	awk -v be="$b_exp" -v bl="$b_lost" -v de="$1" 'BEGIN {
		rate = be > 0 ? bl / be : 0; tol = de * 0.005; if (tol < 2) tol = 2
		printf "%d", de * rate + tol }'
}
for phase in invalidating idle-after; do
	exp=$(field $phase expected)
	lost=$(field $phase lost)
	max=$(allowed "$exp")
	check '[ "$b_exp" -gt 0 ] && [ "$exp" -gt 0 ] && [ "$lost" -le "$max" ]' \
		"$phase: $lost of $exp flood frames lost (idle before: $b_lost of $b_exp; allowed $max)"
done
rm -f "$log" "$flog"
exit $fail
