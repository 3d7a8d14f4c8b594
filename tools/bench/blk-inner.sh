#!/bin/sh
# virtio-blk benchmark, run where /dev/kvm works (inside the test host, or natively): the same
# guest reads the same 64 MiB raw image under nestvm, nestvm --viommu (iommu.strict=1, so every
# request is a MAP and an UNMAP through the emulated backend), and QEMU -M microvm with
# virtio-blk-device. Prints a table; asserts nothing. The guest has busybox only (no fio):
# sequential 1 MiB reads for throughput, and 4 KiB O_DIRECT reads one at a time for
# requests per second at queue depth 1.
#
# Usage: blk-inner.sh GUEST_DIR [ROUNDS]
guest=${1:?usage: blk-inner.sh GUEST_DIR [ROUNDS]}
rounds=${2:-3}
img=/tmp/bench-disk.img
tmp=$(mktemp -d)
seq 1 9000000 | head -c 67108864 >"$img"

# The guest times itself with /proc/uptime (centiseconds, shell arithmetic, "1" prefixed so
# "0.95" is not read as octal; the kernel command
# line carries this, so no quotes) and prints "bench MBPS IOPS".
gcmd='read a x < /proc/uptime; dd if=/dev/vda of=/dev/null bs=1M 2>/dev/null; read b x < /proc/uptime; dd if=/dev/vda of=/dev/null bs=4k count=2048 iflag=direct 2>/dev/null; read c x < /proc/uptime; a=$((${a%.*} * 100 + 1${a#*.} - 100)); b=$((${b%.*} * 100 + 1${b#*.} - 100)); c=$((${c%.*} * 100 + 1${c#*.} - 100)); echo bench $((6400 / (b - a + 1))) $((204800 / (c - b + 1)))'

one() { # one NAME: appends "MBPS IOPS" to $tmp/NAME
	case "$1" in
	nestvm) nestvm run -k "$guest/bzImage" -i "$guest/initramfs.cpio.gz" -m 256M --disk "$img" \
		-p "console=ttyS0 quiet -- sh -c \"$gcmd\"" ;;
	nestvm-viommu) nestvm run -k "$guest/bzImage" -i "$guest/initramfs.cpio.gz" -m 256M --viommu \
		--disk "$img" -p "console=ttyS0 quiet iommu.strict=1 -- sh -c \"$gcmd\"" ;;
	qemu) qemu-system-x86_64 -accel kvm -M microvm -cpu host -m 256 -smp 1 -nodefaults \
		-no-user-config -display none -no-reboot -serial stdio -kernel "$guest/bzImage" \
		-initrd "$guest/initramfs.cpio.gz" -drive id=d0,file="$img",format=raw,if=none \
		-device virtio-blk-device,drive=d0 \
		-append "console=ttyS0 quiet virtio_mmio.device=512@0xfeb00e00:12 -- sh -c \"$gcmd\"" ;;
	esac </dev/null 2>&1 | tr -d '\r' | sed -n 's/^bench //p' >>"$tmp/$1"
}

median() { # column $2 of file $1
	awk -v c="$2" '{ print $c }' "$1" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print "n/a" }'
}

for r in $(seq 1 "$rounds"); do
	one nestvm
	one nestvm-viommu
	one qemu
done
echo
echo "virtio-blk, 64 MiB raw image, 1 vCPU, $rounds rounds each (median; nested KVM under TCG: compare ratios)"
printf '%-34s %12s %20s\n' "" "seq 1 MiB MB/s" "4 KiB QD1 reads/s"
for n in nestvm nestvm-viommu qemu; do
	printf '%-34s %12s %20s\n' "$n" "$(median "$tmp/$n" 1)" "$(median "$tmp/$n" 2)"
done
rm -rf "$tmp" "$img"
