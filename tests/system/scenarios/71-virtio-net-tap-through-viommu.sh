# needs: kvm guests
# virtio-net on a tap, behind the virtio-iommu: the guest pings the test host across the tap
# (a link inside the test host: nothing leaves it), 20 pings, none lost.
set -u
log=$(mktemp)
nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" -m 256M --viommu \
	--net tap=nvtap0 -p "console=ttyS0 quiet iommu.strict=1 -- sh -c \"ip link set eth0 up; ip addr add 169.254.100.2/24 dev eth0; for i in \$(seq 1 50); do ping -c 1 -W 1 169.254.100.1 >/dev/null 2>&1 && break; done; ping -c 20 -i 0.2 -w 60 169.254.100.1; ls /sys/kernel/iommu_groups/*/devices\"" \
	</dev/null >"$log" 2>&1 &
pid=$!
for i in $(seq 1 100); do ip link show nvtap0 >/dev/null 2>&1 && break; sleep 0.2; done
ip addr add 169.254.100.1/24 dev nvtap0
ip link set nvtap0 up
timeout 240 sh -c "while kill -0 $pid 2>/dev/null; do sleep 1; done"
wait $pid
rc=$?
grep -E 'packets transmitted|round-trip|iommu_groups|LNRO|error' "$log"
fail=0
[ $rc -eq 0 ] || { echo "not ok - nestvm status $rc"; fail=1; }
grep -q '20 packets transmitted, 20 packets received, 0% packet loss' "$log" ||
	{ echo "not ok - pings lost"; tail -n 20 "$log"; fail=1; }
[ $(grep -c 'LNRO0005' "$log") -ge 1 ] || { echo "not ok - the NIC is in no IOMMU group"; fail=1; }
[ $fail -eq 0 ] && echo "ok - 20 of 20 pings across the tap, NIC behind the virtio-iommu"
rm -f "$log"
exit $fail
