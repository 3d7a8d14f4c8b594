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
	timeout -k 5 600 "$@" </dev/null 2>&1 | tr -d '\r' | tee "$tmp/$name" | sed -u "s/^/$name: /"
}

# pairs FILE WHAT: the pairs/s the payload (or vfio_map_rate) reported for WHAT.
pairs() {
	awk -v w="$2" '($1 == "bench:" || $1 == "raw:") && $2 == "pairs/s" && $3 == w {
		v = $4; if ($5 == "errors" && $6 != 0) v = "err"; print v; exit }' "$1"
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
echo
echo "MAP+UNMAP of 4 KiB onto $bdf's IOAS, $iters pairs each (nested KVM under TCG: compare ratios)"
printf '| %-40s | %14s | %14s | %13s | %13s |\n' "pairs/s" nestvm "QEMU 7.2" "nestvm / QEMU" "nestvm / raw"
printf '|%s|%s|%s|%s|%s|\n' ------------------------------------------ ---------------: \
	---------------: --------------: --------------:
for w in one batch=1 batch=8 batch=32 batch=128; do
	n=$(pairs "$tmp/nestvm" $w)
	q=$(pairs "$tmp/qemu" $w)
	case $w in
	one) label="one request per notify" ;;
	*) label="N MAPs + N UNMAPs per notify, N=${w#batch=}" ;;
	esac
	printf '| %-40s | %14s | %14s | %13s | %13s |\n' "$label" "${n:--}" "${q:--}" \
		"$(ratio "$n" "$q")" "$(ratio "$n" "$raw")"
done
printf '| %-40s | %14s | %14s | %13s | %13s |\n' "raw IOMMU_IOAS_MAP+UNMAP, one by one" \
	"${raw:--}" "" "" ""
printf '| %-40s | %14s | %14s | %13s | %13s |\n' "raw, 128 MAPs then 128 UNMAPs" "${rawb:--}" \
	"" "" ""
rm -rf "$tmp"
exit $fail
