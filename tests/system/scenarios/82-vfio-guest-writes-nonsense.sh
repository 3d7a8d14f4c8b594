# needs: kvm iommufd vtd
# A guest that writes nonsense to its passthrough function: random bytes over all of its
# config space (through the kernel's sysfs config file, so through our virtualised config
# space), random words, bytes and misaligned accesses into the MSI-X table. nestvm must
# neither crash nor let that reach the host: the guest powers off cleanly, and the device,
# reset when nestvm lets it go, works for the next guest (20 pings).
set -u
. "$(dirname "$0")/../lib.sh"
bdf=${NESTVM_VFIO_BDF:-0000:00:03.0}
host_ip=192.168.77.1 guest_ip=192.168.77.2

vfio_iommufd "$bdf" >/dev/null 2>&1
host_if=$(ls /sys/bus/pci/devices/0000:00:02.0/net/)
ip link set "$host_if" up
ip addr add $host_ip/24 dev "$host_if" 2>/dev/null

fn=/sys/bus/pci/devices/0000:00:01.0
fuzz="echo 0000:00:01.0 > /sys/bus/pci/drivers/e1000e/unbind; \
msix=\$(sed -n 4p $fn/resource | cut -d' ' -f1); \
for round in 1 2 3 4; do dd if=/dev/urandom of=$fn/config bs=1 count=256 2>/dev/null; \
dd if=/dev/urandom of=$fn/config bs=4 count=64 2>/dev/null; \
for off in 0 4 8 12 16 20 28 40 60 64 76 79; do \
devmem \$((msix + off)) 32 \$(od -An -tu4 -N4 /dev/urandom) 2>&1; \
devmem \$((msix + off)) 8 0xff 2>&1; devmem \$((msix + off + 1)) 16 2>&1 >/dev/null; done; \
devmem \$((msix + 0x2000)) 32 >/dev/null; done; \
od -An -tx1 -N64 $fn/config | head -n 1; echo guest: fuzzed and alive"
log=$(mktemp)
timeout 300 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" -m 256M \
	--viommu --vfio "$bdf" -p "console=ttyS0 quiet -- sh -c \"$fuzz\"" </dev/null >"$log" 2>&1
rc=$?
grep -E 'guest:|nestvm:' "$log"
check '[ $rc -eq 0 ]' "the guest that wrote nonsense powers off; nestvm status 0 (got $rc)"
check "grep -q 'guest: fuzzed and alive' \"\$log\"" "the guest ran through the nonsense"
check "! grep -qiE 'sanitizer|segfault|assert' \"\$log\"" "no crash or assertion in nestvm"

timeout 300 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" -m 256M \
	--vfio "$bdf" -p "console=ttyS0 quiet -- sh -c \"ip link set eth0 up; ip addr add $guest_ip/24 dev eth0; until ping -c 1 -W 1 $host_ip >/dev/null 2>&1; do sleep 0.5; done; ping -c 20 -i 0.05 -w 60 $host_ip\"" \
	</dev/null >"$log" 2>&1
rc=$?
grep -E 'packets transmitted' "$log"
check "[ $rc -eq 0 ] && grep -q '20 packets transmitted, 20 packets received, 0% packet loss' \"\$log\"" \
	"after the reset, the next guest's NIC works (20 of 20 pings)"
[ $fail -eq 0 ] || tail -n 30 "$log"
rm -f "$log"
exit $fail
