#!/bin/sh
# Passthrough virtio-iommu benchmark, run where /dev/kvm, /dev/iommu and a spare PCI device
# are (inside the vtd test host, or natively). Three measurements of MAP+UNMAP of one 4 KiB
# page onto the device's DMA address space, the same number of pairs each, ROUNDS times,
# interleaved; the table has the medians over the rounds:
#   raw     vfio_map_rate: the device on an IOAS, IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP ioctls
#   nestvm  the viommu-guest payload's bench against the passthrough endpoint (--viommu
#           --vfio: PCI slot 1, endpoint 0x108), each request an IOMMU_IOAS_MAP/UNMAP
#   qemu    the same payload under QEMU -M q35 with virtio-iommu-pci and vfio-pci (legacy
#           VFIO group; each request a VFIO_IOMMU_MAP/UNMAP_DMA), endpoint = the function's
#           requester ID (bus 0, slot 4: 0x20)
# Asserts nothing but that each part produced its numbers.
#
# Usage: passthrough-inner.sh [ITERATIONS] [ROUNDS] [BDF]
iters=${1:-5000}
rounds=${2:-3}
bdf=${3:-${NESTVM_VFIO_BDF:-0000:00:03.0}}
qemu_slot=4
bin=$(dirname "$(command -v nestvm)")
payload=$bin/guest/viommu-guest
[ -f "$payload" ] || payload=$bin/tests/guest/viommu-guest
[ -f "$payload" ] || { echo "passthrough-inner.sh: no viommu-guest payload next to nestvm" >&2; exit 1; }
tmp=$(mktemp -d)
fail=0

# run NAME CMD...: runs with a timeout, the console streamed with a prefix and kept in
# $tmp/NAME.out.
run() {
	name=$1
	shift
	echo "passthrough-inner: $name: $*"
	# awk flushes each line, so a hang shows where it stopped (busybox sed cannot).
	timeout -k 5 600 "$@" </dev/null 2>&1 | awk -v p="$name: " -v f="$tmp/$name.out" \
		'{ sub(/\r$/, ""); print > f; fflush(f); print p $0; fflush() }'
}

# collect NAME: appends "WHAT RATE" for each pairs/s line of the last run to $tmp/NAME, and
# "pair-ns MEDIAN" from the payload's one-per-notify row.
collect() {
	awk '($1 == "bench:" || $1 == "raw:") && $2 == "pairs/s" {
		print $3, ($5 == "failed" ? "failed" : $4) }
	/^\| MAP\+UNMAP 4 KiB, one request per notify/ { split($0, f, "|"); print "pair-ns", f[4] + 0 }' \
		"$tmp/$1.out" >>"$tmp/$1"
}

# median NAME WHAT: the median of WHAT's values over the rounds ("-" when none, "failed"
# when any round had failed requests).
median() {
	awk -v w="$2" '$1 == w { if ($2 == "failed") bad = 1; else v[++n] = $2 }
		END { if (bad) { print "failed"; exit } if (!n) { print "-"; exit }
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			print (n % 2) ? v[(n + 1) / 2] : int((v[n / 2] + v[n / 2 + 1]) / 2) }' "$tmp/$1" 2>/dev/null || echo -
}

touch "$tmp/raw" "$tmp/nestvm" "$tmp/qemu"
group=
for r in $(seq 1 "$rounds"); do
	echo "passthrough-inner: round $r of $rounds"
	run raw vfio_map_rate "$bdf" "$iters"
	grep -q '^raw: pairs/s one' "$tmp/raw.out" || fail=1
	collect raw

	run nestvm nestvm run -k "$payload" --viommu --vfio "$bdf" -c 1 -m 64M \
		-p "bench iters=$iters ep=0x108"
	grep -q '^bench: done' "$tmp/nestvm.out" || fail=1
	collect nestvm

	# QEMU 7.2 takes the device through its IOMMU group: it is with vfio-pci (vfio_map_rate
	# saw to that) and /dev/vfio/GROUP must exist.
	if [ -z "$group" ]; then
		group=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/iommu_group")")
		ls -l "/dev/vfio/$group" 2>&1 | sed 's/^/qemu: /'
	fi
	run qemu qemu-system-x86_64 -accel kvm -M q35 -cpu host -m 64 -smp 1 -nodefaults \
		-no-user-config -display none -no-reboot -serial stdio \
		-device virtio-iommu-pci,addr=3 \
		-device vfio-pci,host="$bdf",addr=$qemu_slot,rombar=0 -kernel "$payload" \
		-append "bench iters=$iters ep=$(printf '%#x' $((qemu_slot << 3)))"
	grep -q '^bench: done' "$tmp/qemu.out" || fail=1
	collect qemu
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
row() { printf '| %-40s | %8s | %8s | %13s | %12s | %10s |\n' "$@"; }

raw=$(median raw one)
echo
echo "MAP+UNMAP of 4 KiB onto $bdf's IOAS through the virtio-iommu, $iters pairs, $rounds rounds"
echo "each (medians; nested KVM under TCG: compare ratios; raw = IOMMU_IOAS_MAP+UNMAP one pair at a time)"
row "pairs/s" nestvm "QEMU 7.2" "nestvm / QEMU" "nestvm / raw" "QEMU / raw"
printf '|%s|%s|%s|%s|%s|%s|\n' ------------------------------------------ ---------: \
	---------: --------------: -------------: -----------:
for w in one batch=1 batch=8 batch=32 batch=128; do
	n=$(median nestvm $w)
	q=$(median qemu $w)
	case $w in
	one) label="one request per notify" ;;
	*) label="N MAPs + N UNMAPs per notify, N=${w#batch=}" ;;
	esac
	row "$label" "$n" "$q" "$(ratio "$n" "$q")" "$(ratio "$n" "$raw")" "$(ratio "$q" "$raw")"
done
n=$(median nestvm pair-ns)
q=$(median qemu pair-ns)
echo
echo "one request per notify, median ns per MAP+UNMAP pair: nestvm $n, QEMU $q" \
	"(as a rate, nestvm / QEMU $(ratio "$q" "$n"))"
echo "raw on the same device's IOAS: $raw pairs/s one pair at a time," \
	"$(median raw batch=128) pairs/s as 128 MAPs then 128 UNMAPs"
rm -rf "$tmp"
exit $fail
