# needs: kvm iommufd vtd
# A passthrough e1000e (VFIO cdev, iommufd, emulated VT-d): the guest's e1000e driver binds
# it on our PCI host bridge, gets a link over MSI-X, and pings the test host's other e1000e
# across QEMU's hub. Then the guest points the NIC's receive ring outside its DMA mappings:
# the IOMMU stops the device (the test host logs a DMAR fault) and nestvm keeps running to a
# clean poweroff. Two runs in one test-host boot (the device is reset and released at exit):
# behind the virtio-iommu (iommu.strict=1: every DMA buffer a MAP and an UNMAP, each an
# IOMMU_IOAS_MAP/UNMAP on the host), and without it (guest RAM on an identity IOAS).
set -u
. "$(dirname "$0")/../lib.sh"
bdf=${NESTVM_VFIO_BDF:-0000:00:03.0}
host_ip=192.168.77.1 guest_ip=192.168.77.2
pings=${NESTVM_PINGS:-1000}

vfio_iommufd "$bdf" >/dev/null 2>&1 # hands it to vfio-pci (and proves the cdev works)
host_if=$(ls /sys/bus/pci/devices/0000:00:02.0/net/)
ip link set "$host_if" up
ip addr add $host_ip/24 dev "$host_if"

# In the guest: link up, $pings pings, then RDBAH0 (0x2804) of BAR0 set to 0xdead: the
# next received packet makes the NIC fetch a descriptor from IOVA 0xdead........, mapped
# nowhere. The test host pings the guest meanwhile, so a packet arrives.
guest_cmd="ip link set eth0 up; ip addr add $guest_ip/24 dev eth0; \
for i in \$(seq 1 60); do ping -c 1 -W 1 $host_ip >/dev/null 2>&1 && break; done; \
ping -q -c $pings -i 0.01 -w 300 $host_ip; grep -E 'MSI|eth0' /proc/interrupts; \
for g in /sys/kernel/iommu_groups/*; do echo guest: group \$(cat \$g/type) \$(ls \$g/devices); done; \
bar0=\$(head -n 1 /sys/bus/pci/devices/0000:00:01.0/resource | cut -d' ' -f1); \
devmem \$((bar0 + 0x2804)) 32 0xdead 2>&1 | sed s/^/guest:/; echo guest: bar0 \$bar0 RDBAH0 now \$(devmem \$((bar0 + 0x2804)) 32 2>&1); sleep 4; echo guest: still alive"

for round in ${NESTVM_ROUNDS:-viommu plain}; do
	[ $round = viommu ] && extra="--viommu" || extra=
	log=$(mktemp)
	dmesg -c >/dev/null
	timeout 420 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" \
		-m 256M $extra --vfio "$bdf" -p "console=ttyS0 quiet iommu.strict=1 -- sh -c \"$guest_cmd\"" \
		</dev/null >"$log" 2>&1 &
	pid=$!
	# Keep packets coming toward the guest, so the moved ring is used.
	(while kill -0 $pid 2>/dev/null; do ping -c 1 -W 1 $guest_ip >/dev/null 2>&1; sleep 0.5; done) &
	pinger=$!
	wait $pid
	rc=$?
	kill $pinger 2>/dev/null
	wait $pinger 2>/dev/null
	grep -E 'packets transmitted|round-trip|PCI-MSIX|guest:|nestvm:' "$log"
	check '[ $rc -eq 0 ]' "round $round: nestvm powers off with status 0 (got $rc)"
	check "grep -q '$pings packets transmitted, $pings packets received, 0% packet loss' \"\$log\"" \
		"round $round: $pings of $pings pings through the passthrough NIC"
	check "[ \$(grep -c 'PCI-MSIX-0000:00:01.0' \"\$log\") -ge 2 ]" \
		"round $round: the NIC interrupts through MSI-X vectors"
	check "grep -q 'guest: still alive' \"\$log\"" \
		"round $round: the guest runs on after its NIC's bad DMA"
	dmesg | grep -E 'DMAR: \[DMA (Read|Write)' | head -n 2
	check "dmesg | grep -qE 'DMAR: \[DMA (Read|Write).*\[00:03.0\] fault addr 0xdead'" \
		"round $round: the IOMMU stopped the NIC's DMA outside its mappings"
	if [ $round = viommu ]; then
		check "grep -q 'guest: group DMA 0000:00:01.0' \"\$log\"" \
			"viommu: the NIC is in an IOMMU group with a DMA domain"
	else
		check "! grep -qE 'guest: group [A-Z]' \"\$log\"" "plain: no IOMMU groups without --viommu"
	fi
	rm -f "$log"
done
exit $fail
