#!/bin/sh
# Boot-time and memory benchmark, run where /dev/kvm works (inside the test host, or natively):
# nestvm and QEMU (-M microvm) boot the same kernel and initramfs, ROUNDS times each,
# interleaved; the guest powers off at once from init. Prints a table; asserts nothing.
#
# Usage: boot-inner.sh GUEST_DIR [ROUNDS]   (GUEST_DIR has bzImage and initramfs.cpio.gz)
guest=${1:?usage: boot-inner.sh GUEST_DIR [ROUNDS]}
rounds=${2:-5}
kernel=$guest/bzImage
initrd=$guest/initramfs.cpio.gz
cmdline="console=ttyS0 quiet panic=-1 -- true"
tmp=$(mktemp -d)

now() { cut -d' ' -f1 /proc/uptime; }

# one NAME: boots once; appends "wall init" seconds to $tmp/NAME.
one() {
	t0=$(now)
	case "$1" in
	nestvm) nestvm run -k "$kernel" -i "$initrd" -m 256M -p "$cmdline" </dev/null >"$tmp/out" 2>&1 ;;
	qemu) qemu-system-x86_64 -accel kvm -M microvm -cpu host -m 256 -smp 1 -nodefaults \
		-no-user-config -display none -no-reboot -serial stdio -kernel "$kernel" \
		-initrd "$initrd" -append "$cmdline" </dev/null >"$tmp/out" 2>&1 ;;
	esac
	t1=$(now)
	init=$(sed -n 's/.*nestvm-guest: init after \([0-9.]*\) s.*/\1/p' "$tmp/out" | tail -n 1)
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') ${init:-nan}" >>"$tmp/$1"
}

median() { # column $2 of file $1
	awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# rss NAME CMD...: starts the VMM with a guest that idles, reads its memory once the guest
# is up: total RSS, and RSS beyond the guest-RAM mapping (what the VMM itself costs).
rss() {
	name=$1
	shift
	"$@" >"$tmp/rss.out" 2>&1 </dev/null &
	pid=$!
	for i in $(seq 1 200); do grep -q 'nestvm-guest: init' "$tmp/rss.out" && break; sleep 0.2; done
	sleep 1
	awk '/^[0-9a-f]+-[0-9a-f]+ / { size = 0 } /^Size:/ { size = $2 } /^Rss:/ { total += $2; if (size > guest) { guest = size; grss = $2 } }
		END { printf "%s %.1f %.1f %.1f\n", name, total / 1024, grss / 1024, (total - grss) / 1024 }' \
		name="$name" "/proc/$pid/smaps" >>"$tmp/rss"
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
}

for r in $(seq 1 "$rounds"); do
	one nestvm
	one qemu
done
rss nestvm nestvm run -k "$kernel" -i "$initrd" -m 256M -p "console=ttyS0 quiet -- sleep 30"
rss qemu qemu-system-x86_64 -accel kvm -M microvm -cpu host -m 256 -smp 1 -nodefaults \
	-no-user-config -display none -no-reboot -serial stdio -kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 quiet -- sleep 30"

nw=$(median "$tmp/nestvm" 1) ni=$(median "$tmp/nestvm" 2)
qw=$(median "$tmp/qemu" 1) qi=$(median "$tmp/qemu" 2)
echo
echo "Boot to init and poweroff, same kernel and initramfs, 1 vCPU, 256 MiB, $rounds rounds each (median)"
printf '%-28s %10s %10s %8s\n' "" nestvm "QEMU microvm" ratio
printf '%-28s %9ss %9ss %8s\n' "guest uptime at init" "$ni" "$qi" "$(awk -v a="$ni" -v b="$qi" 'BEGIN { printf "%.2f", a / b }')"
printf '%-28s %9ss %9ss %8s\n' "wall time, start to exit" "$nw" "$qw" "$(awk -v a="$nw" -v b="$qw" 'BEGIN { printf "%.2f", a / b }')"
echo
echo "Memory with the guest idle at its prompt (MiB)"
printf '%-10s %10s %16s %16s\n' "" "RSS" "guest RAM part" "VMM's own"
while read -r name total grss own; do
	printf '%-10s %10s %16s %16s\n' "$name" "$total" "$grss" "$own"
done <"$tmp/rss"
rm -rf "$tmp"
