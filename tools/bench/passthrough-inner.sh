#!/bin/sh
# Passthrough virtio-iommu benchmark, run where /dev/kvm, /dev/iommu and a spare PCI device
# are (inside the vtd test host, or natively). Three measurements of MAP+UNMAP of one 4 KiB
# page onto the device's DMA address space, the same number of pairs each:
#   raw     vfio_map_rate: the device on an IOAS, IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP ioctls
#   nestvm  the viommu-guest payload's bench against the passthrough endpoint (--viommu
#           --vfio: PCI slot 1, endpoint 0x108), each request an IOMMU_IOAS_MAP/UNMAP
#   qemu    the same payload under QEMU -M q35 with virtio-iommu-pci and vfio-pci (legacy
#           VFIO group; each request a VFIO_IOMMU_MAP/UNMAP_DMA), endpoint = the function's
#           requester ID (bus 0, slot 4: 0x20)
# Prints a table with the ratios; asserts nothing but that each part produced its numbers.
#
# Usage: passthrough-inner.sh [ITERATIONS] [BDF]
iters=${1:-5000}
bdf=${2:-${NESTVM_VFIO_BDF:-0000:00:03.0}}
qemu_slot=4
bin=$(dirname "$(command -v nestvm)")
payload=$bin/guest/viommu-guest
[ -f "$payload" ] || payload=$bin/tests/guest/viommu-guest
[ -f "$payload" ] || { echo "passthrough-inner.sh: no viommu-guest payload next to nestvm" >&2; exit 1; }
tmp=$(mktemp -d)
fail=0

# run NAME CMD...: runs with a timeout, the console streamed with a prefix and kept.
run() {
	name=$1
	shift
	echo "passthrough-inner: $name: $*"
	# awk flushes each line, so a hang shows where it stopped (busybox sed cannot).
	timeout -k 5 600 "$@" </dev/null 2>&1 | awk -v p="$name: " -v f="$tmp/$name" \
		'{ sub(/\r$/, ""); print > f; fflush(f); print p $0; fflush() }'
}

# pairs FILE WHAT: the pairs/s the payload (or vfio_map_rate) reported for WHAT.
pairs() {
	awk -v w="$2" '($1 == "bench:" || $1 == "raw:") && $2 == "pairs/s" && $3 == w {
		v = $4; if ($5 == "failed") v = "failed"; print v; exit }' "$1"
}

run raw vfio_map_rate "$bdf" "$iters"
grep -q '^raw: pairs/s one' "$tmp/raw" || fail=1

run nestvm nestvm run -k "$payload" --viommu --vfio "$bdf" -c 1 -m 64M \
	-p "bench iters=$iters ep=0x108"
grep -q '^bench: done' "$tmp/nestvm" || fail=1

# QEMU 7.2 takes the device through its IOMMU group: it must be with vfio-pci (it is, after
# vfio_map_rate) and /dev/vfio/GROUP must exist.
group=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/iommu_group")")
ls -l "/dev/vfio/$group" 2>&1 | sed 's/^/qemu: /'
run qemu qemu-system-x86_64 -accel kvm -M q35 -cpu host -m 64 -smp 1 -nodefaults \
	-no-user-config -display none -no-reboot -serial stdio \
	-device virtio-iommu-pci,addr=3 -device vfio-pci,host="$bdf",addr=$qemu_slot,rombar=0 \
	-kernel "$payload" -append "bench iters=$iters ep=$(printf '%#x' $((qemu_slot << 3)))"
grep -q '^bench: done' "$tmp/qemu" || fail=1

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }

raw=$(pairs "$tmp/raw" one)
rawb=$(pairs "$tmp/raw" batch=128)
row() { printf '| %-40s | %8s | %8s | %13s | %12s | %10s |\n' "$@"; }
echo
echo "MAP+UNMAP of 4 KiB onto $bdf's IOAS through the virtio-iommu, $iters pairs each"
echo "(nested KVM under TCG: compare ratios; raw = IOMMU_IOAS_MAP+UNMAP ioctls one pair at a time)"
row "pairs/s" nestvm "QEMU 7.2" "nestvm / QEMU" "nestvm / raw" "QEMU / raw"
printf '|%s|%s|%s|%s|%s|%s|\n' ------------------------------------------ ---------: \
	---------: --------------: -------------: -----------:
for w in one batch=1 batch=8 batch=32 batch=128; do
	n=$(pairs "$tmp/nestvm" $w)
	q=$(pairs "$tmp/qemu" $w)
	case $w in
	one) label="one request per notify" ;;
	*) label="N MAPs + N UNMAPs per notify, N=${w#batch=}" ;;
	esac
	row "$label" "${n:--}" "${q:--}" "$(ratio "$n" "$q")" "$(ratio "$n" "$raw")" \
		"$(ratio "$q" "$raw")"
done
echo
echo "raw on the same device's IOAS: ${raw:--} pairs/s one pair at a time," \
	"${rawb:--} pairs/s as 128 MAPs then 128 UNMAPs"
rm -rf "$tmp"
exit $fail
