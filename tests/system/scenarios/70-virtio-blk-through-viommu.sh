# needs: kvm guests
# virtio-blk and virtio-rng on virtio-mmio, found by the guest through ACPI, with and without
# the virtio-iommu. With --viommu the guest loads its virtio-iommu driver (found through the
# VIOT), both devices sit in IOMMU groups with DMA domains (iommu.strict=1), and 64 MiB read
# through translated DMA match the image's checksum; a 32 MiB copy inside the disk, written
# through the vIOMMU, is checked on the host side after the guest powers off.
set -u
. "$(dirname "$0")/../lib.sh"
img=/tmp/disk.img orig=/tmp/disk.orig
# One image, made once (seq through busybox under TCG is slow), copied fresh for each mode.
dd if=/dev/urandom of="$orig" bs=1M count=64 2>/dev/null
want=$(sha256sum <"$orig" | cut -d' ' -f1)

for mode in viommu plain; do
	[ $mode = viommu ] && extra=--viommu || extra=
	cp "$orig" "$img"
	out=$(timeout 300 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" \
		-m 256M $extra --disk "$img" --rng -p "console=ttyS0 quiet iommu.strict=1 -- sh -c \"dmesg | grep -E 'virtio_iommu|iommu group' ; for g in /sys/kernel/iommu_groups/*; do echo group \$(basename \$g) \$(cat \$g/type) \$(ls \$g/devices); done; echo vda \$(sha256sum < /dev/vda); dd if=/dev/vda of=/dev/vda bs=1M count=32 seek=32 2>/dev/null; sync; echo rng \$(head -c 8 /dev/hwrng | od -An -tx1 | tr -d ' ')\"" </dev/null 2>&1)
	rc=$?
	echo "$out" | grep -E '^(group|vda|rng|nestvm:)|virtio_iommu|iommu group'
	check '[ $rc -eq 0 ]' "$mode: nestvm exits 0 (got $rc)"
	check 'echo "$out" | grep -q "^vda $want"' "$mode: the guest reads the 64 MiB image with the right checksum"
	check 'echo "$out" | grep -qE "^rng [0-9a-f]{16}"' "$mode: the guest reads /dev/hwrng"
	check '[ "$(head -c 33554432 $img | sha256sum)" = "$(tail -c 33554432 $img | sha256sum)" ]' \
		"$mode: the guest's 32 MiB copy reached the image file"
	if [ $mode = viommu ]; then
		check 'echo "$out" | grep -q "virtio_iommu virtio0: input address"' "viommu: the guest's virtio-iommu driver probed"
		check '[ $(echo "$out" | grep -c "^group .* DMA LNRO0005") -eq 2 ]' "viommu: disk and rng each in an IOMMU group with a DMA domain"
	else
		check '! echo "$out" | grep -q "^group [0-9]"' "plain: no IOMMU groups without --viommu"
	fi
done
rm -f "$img" "$orig"
exit $fail
