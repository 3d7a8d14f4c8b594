# needs: kvm iommufd vtd
# The passthrough e1000e behind our guest driver (tools/linux-guest) in table mode: the
# emulated VT-d cannot nest, so nestvm shadows the guest's table into the NIC's IOAS, and the
# driver, told so by TABLE_FORMAT's CM bit, invalidates what it maps as well as what it
# unmaps. iommu.strict=1: every RX and TX buffer is a map, an unmap and two INVALIDATEs.
# 1000 pings lose nothing; then the test host floods the guest with large pings for 20 s, so
# the shadow changes all the time under the NIC's DMA: make-before-break means no DMAR fault.
set -u
. "$(dirname "$0")/../lib.sh"
need_guest_module test
bdf=${NESTVM_VFIO_BDF:-0000:00:03.0}
host_ip=192.168.77.1 guest_ip=192.168.77.2
pings=${NESTVM_PINGS:-1000}
initrd=/tmp/guest-nic.cpio.gz

vfio_iommufd "$bdf" >/dev/null 2>&1 # hands it to vfio-pci
host_if=$(ls /sys/bus/pci/devices/0000:00:02.0/net/)
ip link set "$host_if" up
ip addr add $host_ip/24 dev "$host_if" 2>/dev/null

guest_initrd "$initrd" "/lib/modules/load || exit 1
for i in \$(seq 300); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
dmesg | grep -E 'nestvm_viommu|fault'
ip link set eth0 up; ip addr add $guest_ip/24 dev eth0
for i in \$(seq 1 60); do ping -c 1 -W 1 $host_ip >/dev/null 2>&1 && break; done
echo guest: ready
ping -q -c $pings -i 0.01 -w 300 $host_ip
echo guest: flood now; sleep 20; echo guest: flood over
ping -q -c 5 -W 2 $host_ip
for g in /sys/kernel/iommu_groups/*; do echo guest: group \$(cat \$g/type) \$(ls \$g/devices); done
for f in /sys/class/iommu/*/nestvm/stats; do echo stats \$(cat \$f); done" "$modules"

log=$(mktemp)
dmesg -c >/dev/null
timeout 600 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$initrd" -m 256M --viommu --viommu-stats --vfio "$bdf" \
	-p "console=ttyS0 quiet initcall_blacklist=virtio_iommu_drv_init iommu.strict=1 -- /test.sh" \
	</dev/null >"$log" 2>&1 &
pid=$!
# The flood runs while the guest says so; the faults are counted when it ends, before the
# guest shuts its NIC down.
(for i in $(seq 1200); do grep -q 'guest: flood now' "$log" && break; sleep 0.5; done
	while kill -0 $pid 2>/dev/null && ! grep -q 'guest: flood over' "$log"; do
		ping -q -s 1400 -i 0.002 -c 200 -W 1 $guest_ip >/dev/null 2>&1
	done
	dmesg | grep -cE 'DMAR: \[DMA (Read|Write)' >/tmp/flood-faults) &
flood=$!
wait $pid
rc=$?
wait $flood 2>/dev/null
grep -E 'packets transmitted|round-trip|guest:|stats|nestvm:|nestvm_viommu|fault' "$log"
stats=$(grep '^stats ' "$log")
faults=$(cat /tmp/flood-faults 2>/dev/null || echo unknown)
check '[ $rc -eq 0 ]' "nestvm powers off with status 0 (got $rc)"
check "grep -q 'nestvm_viommu: table mode' \"\$log\"" "nestvm_viommu binds the virtio-iommu in table mode"
check "grep -q 'guest: group DMA 0000:00:01.0' \"\$log\"" "the NIC is in an IOMMU group with a DMA domain"
check "grep -q '$pings packets transmitted, $pings packets received, 0% packet loss' \"\$log\"" \
	"$pings of $pings pings through the passthrough NIC"
check "grep -q 'guest: flood over' \"\$log\" && grep -qE '^5 packets transmitted, [1-5] packets received' \"\$log\"" \
	"after the flood the NIC still works"
check '[ "$(dstat ATTACH_TABLE "$stats")" -ge 1 ] 2>/dev/null && [ "$(dstat MAP "$stats")" = 0 ] && [ "$(dstat UNMAP "$stats")" = 0 ]' \
	"ATTACH_TABLE ($(dstat ATTACH_TABLE "$stats")), no MAP ($(dstat MAP "$stats")) or UNMAP ($(dstat UNMAP "$stats"))"
check '[ "$(dstat INVALIDATE_RANGE "$stats")" -gt 4000 ] 2>/dev/null' \
	"the guest invalidated all along: $(dstat INVALIDATE_RANGE "$stats") INVALIDATE RANGE"
check '[ "$(dstat errors "$stats")" = 0 ] && [ "$(dstat faults "$stats")" = 0 ]' "no request failed, no fault event"
all=$(cat "$log")
check '[ "$(vstat MAP "$all")" = 0 ] && [ "$(vstat SHADOW_IOAS_MAP "$all")" -gt 1000 ] 2>/dev/null' \
	"nestvm: no MAP ($(vstat MAP "$all")); the shadow moved $(vstat SHADOW_IOAS_MAP "$all") IOAS maps and $(vstat SHADOW_IOAS_UNMAP "$all") unmaps for $(vstat INVALIDATE "$all") INVALIDATEs"
dmesg | grep -E 'DMAR: \[DMA (Read|Write)' | head -n 3; echo "# DMAR faults over the whole run, shutdown included: $(dmesg | grep -cE 'DMAR: \[DMA (Read|Write)')"
check '[ "$faults" = 0 ]' "no DMAR fault in the test host during the pings and the flood ($faults)"
rm -f "$log" "$initrd" /tmp/flood-faults
exit $fail
