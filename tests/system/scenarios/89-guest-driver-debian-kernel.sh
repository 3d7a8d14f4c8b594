# needs: kvm guests
# The out-of-tree build of our guest driver in Debian's own 6.12 kernel (the linux-image
# package's vmlinuz, with its virtio_mmio, virtio_blk and virtio-rng modules): nestvm_viommu
# binds the virtio-iommu in table mode, the disk probes behind it, and 16 MiB copied inside the
# disk with O_DIRECT read back right. What a user with a stock Debian guest gets.
set -u
. "$(dirname "$0")/../lib.sh"
need_guest_module debian
img=/tmp/disk.img initrd=/tmp/guest-debian.cpio.gz
dd if=/dev/urandom of="$img" bs=1M count=16 2>/dev/null
dd if=/dev/zero of="$img" bs=1M count=16 seek=16 2>/dev/null
want=$(head -c 16777216 "$img" | sha256sum | cut -d' ' -f1)

guest_initrd "$initrd" '/lib/modules/load || exit 1
for i in $(seq 300); do [ -b /dev/vda ] && break; sleep 0.1; done
echo kernel $(uname -r)
dmesg | grep -E "nestvm_viommu|virtio_blk|fault"
for g in /sys/kernel/iommu_groups/*; do echo group $(basename $g) $(cat $g/type) $(ls $g/devices); done
dd if=/dev/vda of=/dev/vda bs=1M count=16 seek=16 iflag=direct oflag=direct 2>/dev/null
echo copy $(dd if=/dev/vda bs=1M count=16 skip=16 iflag=direct 2>/dev/null | sha256sum)
for f in /sys/class/iommu/*/nestvm/stats; do echo stats $(cat $f); done' "$modules"

out=$(timeout 600 nestvm run -k "$moddir/vmlinuz" -i "$initrd" -m 512M --viommu --viommu-stats --disk "$img" --rng \
	-p "console=ttyS0 quiet iommu.strict=1 -- /test.sh" </dev/null 2>&1)
rc=$?
echo "$out" | grep -E '^(kernel|group|copy|stats|nestvm:)|nestvm_viommu|virtio_blk|fault' | head -30
stats=$(echo "$out" | grep '^stats ')
check '[ $rc -eq 0 ]' "nestvm exits 0 (got $rc)"
check 'echo "$out" | grep -q "^kernel $(cat $moddir/version)"' "the guest runs Debian's kernel $(cat $moddir/version)"
check 'echo "$out" | grep -q "nestvm_viommu: table mode"' "nestvm_viommu binds the virtio-iommu in table mode"
check 'echo "$out" | grep -q "^group .* DMA LNRO0005"' "the disk sits in an IOMMU group with a DMA domain"
check 'echo "$out" | grep -q "^copy $want"' "the 16 MiB O_DIRECT copy reads back with the source's checksum"
check '[ "$(dstat ATTACH_TABLE "$stats")" -ge 1 ] 2>/dev/null && [ "$(dstat MAP "$stats")" = 0 ]' \
	"ATTACH_TABLE ($(dstat ATTACH_TABLE "$stats")), no MAP ($(dstat MAP "$stats")), INVALIDATE RANGE $(dstat INVALIDATE_RANGE "$stats")"
check '[ "$(dstat errors "$stats")" = 0 ] && [ "$(dstat faults "$stats")" = 0 ]' "no request failed, no fault"
check '[ "$(vstat ATTACH_TABLE "$out")" -ge 1 ] 2>/dev/null && [ "$(vstat MAP "$out")" = 0 ]' \
	"nestvm saw the same: ATTACH_TABLE $(vstat ATTACH_TABLE "$out"), MAP $(vstat MAP "$out"), INVALIDATE $(vstat INVALIDATE "$out")"
rm -f "$img" "$initrd"
exit $fail
