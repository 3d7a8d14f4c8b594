#!/bin/sh
# Guest page tables vs MAP/UNMAP, run where /dev/kvm, /dev/iommu and a spare NIC are (the vtd
# test host, or natively). The same Linux guest (the test kernel), the same workloads, ROUNDS
# rounds interleaved, medians printed:
#   disk  64 MiB of sequential 1 MiB O_DIRECT reads, then 2000 QD1 4 KiB O_DIRECT reads at
#         fixed pseudo-random offsets, each timed (bench/bin/diskread);
#   nic   1000 pings 2 ms apart over the passed-through e1000e, each RTT kept.
# Rows: no vIOMMU; Linux's virtio-iommu driver (MAP/UNMAP); nestvm_viommu with tables=0 (its
# MAP/UNMAP mode); nestvm_viommu in table mode, iommu.strict=1 (INVALIDATEs on the queue the
# load picks, the default; with invalq=1 always on the invalq; with invalq=0 always on the
# requestq) and lazy; identity domains (iommu.passthrough=1: the vIOMMU in the path, no
# guest mapping; not in the default rows); for the NIC also QEMU
# -M q35 with intel-iommu,caching-mode=on and vfio-pci (every map and unmap traps to QEMU).
# "vIOMMU reqs/IO": requests per read or per ping. nestvm_viommu counts what it sent during
# the workload; for Linux's driver it is nestvm's MAP, UNMAP and INVALIDATE count
# (--viommu-stats) over the whole boot, so a little high; n/a where nothing counts them.
#
# Usage: guest-tables-inner.sh [ROUNDS] [BDF]
# GT_DISK_ROWS, GT_NIC_ROWS: the rows to run (default all; empty: none)
rounds=${1:-3}
bdf=${2:-${NESTVM_VFIO_BDF:-0000:00:03.0}}
guest=${NESTVM_GUEST:-/guest}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(dirname "$(command -v nestvm)")
mods=$bin/../guest-modules/test.cpio.gz
[ -f "$mods" ] || mods=$bin/linux-guest/test/modules.cpio.gz
diskread=$here/bin/diskread
[ -x "$diskread" ] || diskread=$bin/bench/diskread
host_ip=192.168.77.1 guest_ip=192.168.77.2
tmp=$(mktemp -d)
img=/tmp/bench-disk.img
for f in "$mods" "$diskread"; do
	[ -f "$f" ] || { echo "guest-tables: $f missing (run tools/bench/guest-tables)" >&2; exit 1; }
done

# The guest's /test.sh KIND [MODULE_ARGS]: loads nestvm_viommu unless KIND is none, stock or
# qemu, waits for the device, runs the workload between two reads of the driver's counters.
cat >"$tmp/test.sh" <<'GUEST'
#!/bin/sh
kind=$1 work=$2
shift 2
case $kind in none | stock | qemu) ;; *) /lib/modules/load "$@" || exit 1 ;; esac
reqs() { cat /sys/class/iommu/*/nestvm/stats 2>/dev/null |
	awk '$1 != "errors" && $1 != "faults" && $1 != "PROBE" && $1 != "INVALIDATE_INVALQ" { s += $2 } END { print s + 0 }'; }
if [ "$work" = disk ]; then
	for i in $(seq 300); do [ -b /dev/vda ] && break; sleep 0.1; done
	a=$(reqs)
	r=$(/bin/diskread /dev/vda 64 2000)
	echo "$r $(($(reqs) - a))"
else
	for i in $(seq 300); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
	ip link set eth0 up
	ip addr add 192.168.77.2/24 dev eth0
	for i in $(seq 1 60); do ping -c 1 -W 1 192.168.77.1 >/dev/null 2>&1 && break; done
	a=$(reqs)
	ping -c 1000 -i 0.002 -W 2 192.168.77.1 | sed -n 's/.*time=\([0-9.]*\) ms/rtt \1/p'
	echo "nicreqs $(($(reqs) - a))"
fi
GUEST
mkdir -p "$tmp/piece/bin"
cp "$tmp/test.sh" "$tmp/piece/test.sh"
cp "$diskread" "$tmp/piece/bin/diskread"
chmod 755 "$tmp/piece/test.sh" "$tmp/piece/bin/diskread"
(cd "$tmp/piece" && find . -mindepth 1 | cpio -o -H newc -R 0:0 2>/dev/null | gzip) >"$tmp/piece.cpio.gz"
cat "$guest/initramfs.cpio.gz" "$mods" "$tmp/piece.cpio.gz" >"$tmp/initrd"

seq 1 12000000 | head -c 83886080 >"$img"
stats=
nestvm --help 2>&1 | grep -q -- --viommu-stats && stats=--viommu-stats
vfio_iommufd "$bdf" >/dev/null 2>&1 # hands the NIC to vfio-pci
host_if=$(ls /sys/bus/pci/devices/0000:00:02.0/net/)
ip link set "$host_if" up
ip addr add $host_ip/24 dev "$host_if" 2>/dev/null

# This shell's children's CPU ticks so far: "guest user-minus-guest system" (proc(5): utime
# includes guest time, cguest_time is field 44).
cpu_ticks() { awk '{ print $44, $16 - $44, $17 }' /proc/$$/stat; }

# One boot's CPU seconds between two cpu_ticks: "guest vmm kernel".
cpu_secs() {
	echo "$1 $2" | awk -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" \
		'{ printf "%.2f %.2f %.2f", ($4 - $1) / hz, ($5 - $2) / hz, ($6 - $3) / hz }'
}

# one ROW WORK: one guest boot; appends its figures to $tmp/ROW.WORK
one() {
	row=$1 work=$2 strict=1 args="" viommu=--viommu pt=
	case $row in
	none) viommu= ;;
	stock) ;;
	ours-map) args=tables=0 ;;
	table-strict) ;;
	table-invalq) args=invalq=1 ;;
	table-reqq) args=invalq=0 ;;
	table-lazy) strict=0 ;;
	table-identity) pt=iommu.passthrough=1 ;;
	esac
	case $row in ours-* | table-*) black=initcall_blacklist=virtio_iommu_drv_init ;; *) black= ;; esac
	[ $work = disk ] && dev="--disk $img" || dev="--vfio $bdf"
	c0=$(cpu_ticks)
	if [ $row = qemu ]; then
		timeout 900 qemu-system-x86_64 -accel kvm -M q35,kernel-irqchip=split -cpu host -m 256 \
			-smp 1 -nodefaults -no-user-config -display none -no-reboot -serial stdio \
			-device intel-iommu,caching-mode=on,intremap=on -device vfio-pci,host="$bdf" \
			-kernel "$guest/bzImage" -initrd "$tmp/initrd" \
			-append "console=ttyS0 quiet intel_iommu=on iommu.strict=1 -- /test.sh qemu $work"
	else
		timeout 900 nestvm run -k "$guest/bzImage" -i "$tmp/initrd" -m 256M $viommu $dev \
			${viommu:+$stats} -p "console=ttyS0 quiet $black iommu.strict=$strict $pt -- /test.sh $row $work $args"
	fi </dev/null >"$tmp/out" 2>&1
	cpu=$(cpu_secs "$c0" "$(cpu_ticks)")
	tr -d '\r' <"$tmp/out" >"$tmp/log.$row.$work"
	# nestvm's own count, for Linux's driver (nestvm_viommu counts for itself)
	served=$(sed -n 's/^nestvm: viommu: //p' "$tmp/log.$row.$work" |
		awk '{ for (i = 1; i < NF; i += 2) if ($i == "MAP" || $i == "UNMAP" || $i == "INVALIDATE") s += $(i + 1); n++ }
			END { if (n) print s + 0; else print "n/a" }')
	if [ $work = disk ]; then
		line=$(sed -n 's/^bench //p' "$tmp/log.$row.$work")
		[ -n "$line" ] || { echo "# $row disk: no figures; last lines:"; tail -n 5 "$tmp/log.$row.$work"; return; }
		set -- $line
		reqs=$5
		[ $row = stock ] && reqs=$served
		echo "$1 $2 $3 $4 $(awk -v r="$reqs" 'BEGIN { if (r == "n/a") print r; else printf "%.2f", r / 2064 }') $cpu" >>"$tmp/$row.disk"
	else
		n=$(grep -c '^rtt ' "$tmp/log.$row.$work")
		[ "$n" -gt 0 ] || { echo "# $row nic: no pings; last lines:"; tail -n 5 "$tmp/log.$row.$work"; return; }
		reqs=$(sed -n 's/^nicreqs //p' "$tmp/log.$row.$work")
		[ $row = stock ] && reqs=$served
		[ $row = qemu ] || [ $row = none ] && reqs=n/a
		sed -n 's/^rtt //p' "$tmp/log.$row.$work" | sort -n | awk -v r="$reqs" '
			{ v[NR] = $1 * 1000 } END {
				printf "%d %.0f %.0f %s\n", NR, v[int((NR + 1) / 2)], v[int(NR * 0.99) > 0 ? int(NR * 0.99) : 1],
					(r == "n/a") ? r : sprintf("%.2f", r / NR) }' >>"$tmp/$row.nic"
	fi
}

median() { # column $2 of file $1
	[ -f "$1" ] || { echo n/a; return; }
	awk -v c="$2" '{ print $c }' "$1" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else print "n/a" }'
}

disk_rows=${GT_DISK_ROWS-none stock ours-map table-strict table-invalq table-reqq table-lazy}
nic_rows=${GT_NIC_ROWS-none stock table-strict table-invalq table-reqq table-lazy qemu}
for r in $(seq 1 "$rounds"); do
	for row in $disk_rows; do one $row disk; done
	for row in $nic_rows; do one $row nic; done
done

name() {
	case $1 in
	none) echo "no vIOMMU" ;;
	stock) echo "Linux virtio-iommu, MAP/UNMAP strict" ;;
	ours-map) echo "nestvm_viommu tables=0, strict" ;;
	table-strict) echo "nestvm_viommu tables, strict" ;;
	table-invalq) echo "nestvm_viommu tables, strict, invalq=1" ;;
	table-reqq) echo "nestvm_viommu tables, strict, invalq=0" ;;
	table-lazy) echo "nestvm_viommu tables, lazy" ;;
	table-identity) echo "nestvm_viommu, identity domains" ;;
	qemu) echo "QEMU intel-iommu caching-mode strict" ;;
	esac
}
echo
echo "Disk: virtio-blk, 1 vCPU, $rounds rounds (medians; nested KVM under TCG: compare ratios)"
echo "CPU s/boot: the whole boot's CPU time (workload and boot) as guest, VMM user space, host kernel"
printf '%-38s %10s %10s %9s %9s %13s %20s\n' "" "seq MB/s" "QD1 IOPS" "p50 us" "p99 us" "vIOMMU reqs/IO" \
	"CPU s/boot g/vmm/k"
for row in $disk_rows; do
	printf '%-38s %10s %10s %9s %9s %13s %20s\n' "$(name $row)" "$(median $tmp/$row.disk 1)" \
		"$(median $tmp/$row.disk 2)" "$(median $tmp/$row.disk 3)" "$(median $tmp/$row.disk 4)" \
		"$(median $tmp/$row.disk 5)" \
		"$(median $tmp/$row.disk 6)/$(median $tmp/$row.disk 7)/$(median $tmp/$row.disk 8)"
done
echo
echo "NIC: passed-through e1000e, 1000 pings 2 ms apart, 1 vCPU, $rounds rounds (medians)"
printf '%-38s %10s %9s %9s %13s\n' "" "answered" "p50 us" "p99 us" "vIOMMU reqs/ping"
for row in $nic_rows; do
	printf '%-38s %10s %9s %9s %13s\n' "$(name $row)" "$(median $tmp/$row.nic 1)" \
		"$(median $tmp/$row.nic 2)" "$(median $tmp/$row.nic 3)" "$(median $tmp/$row.nic 4)"
done
rm -rf "$tmp" "$img"
