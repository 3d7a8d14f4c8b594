# needs: kvm guests
# A guest whose driver unmaps a DMA buffer the device still targets (nestvm_viommu's test
# hook test_hooks=1, debugfs unmap_next: the next device-writable buffer leaves the table as
# soon as it is mapped). The disk's write into it finds no translation in the guest's table:
# nestvm reports a fault event, nestvm_viommu logs it, that one read fails, and the guest and
# its disk run on.
set -u
. "$(dirname "$0")/../lib.sh"
need_guest_module test
img=/tmp/disk.img initrd=/tmp/guest-fault.cpio.gz
dd if=/dev/urandom of="$img" bs=1M count=4 2>/dev/null
want=$(sha256sum <"$img" | cut -d' ' -f1)

guest_initrd "$initrd" '/lib/modules/load test_hooks=1 || exit 1
for i in $(seq 200); do [ -b /dev/vda ] && break; sleep 0.1; done
mount -t debugfs none /sys/kernel/debug
dd if=/dev/vda of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null && echo guest: first read ok
echo 1 > /sys/kernel/debug/nestvm_viommu/virtio0/unmap_next
dd if=/dev/vda of=/dev/null bs=4k count=1 skip=7 iflag=direct 2>/dev/null && echo guest: read into the unmapped buffer ok || echo guest: read into the unmapped buffer failed
sleep 1
dmesg | grep -E "nestvm_viommu.*(fault|test hook)|I/O error"
echo guest: disk $(dd if=/dev/vda bs=1M count=4 iflag=direct 2>/dev/null | sha256sum)
for f in /sys/class/iommu/*/nestvm/stats; do echo stats $(cat $f); done
echo guest: still alive' "$modules"

out=$(timeout 300 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$initrd" -m 256M --viommu --disk "$img" \
	-p "console=ttyS0 quiet initcall_blacklist=virtio_iommu_drv_init iommu.strict=1 -- /test.sh" </dev/null 2>&1)
rc=$?
echo "$out" | grep -E '^(guest:|stats|nestvm:)|nestvm_viommu|I/O error' | head -20
check '[ $rc -eq 0 ]' "nestvm exits 0 (got $rc)"
check 'echo "$out" | grep -q "guest: first read ok"' "a read through the table works"
check 'echo "$out" | grep -q "test hook: domain .* unmapped under its device"' "the driver took the next buffer out of its table"
check 'echo "$out" | grep -qE "nestvm_viommu virtio0: fault: endpoint 0x[0-9a-f]+, W, address 0x[0-9a-f]+: no mapping"' \
	"the device's write into it faulted, and the fault event reached the driver's log"
check 'echo "$out" | grep -q "guest: read into the unmapped buffer failed"' "that read failed"
check 'echo "$out" | grep -q "^guest: disk $want"' "the disk reads right afterwards"
check 'echo "$out" | grep -q "guest: still alive"' "the guest runs on"
rm -f "$img" "$initrd"
exit $fail
