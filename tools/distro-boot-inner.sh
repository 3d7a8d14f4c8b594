#!/bin/sh
# Inside the test host (tools/distro-boot packs it in): boots the distro image on /dev/vda
# ROUNDS times under each VMM, interleaved, and prints one "distro-boot: result VMM N OUTCOME"
# line per boot. POSIX sh (busybox).
#
# Usage: distro-boot-inner.sh KVER ROUNDS CPUS PER_BOOT_S VMM...   (VMM: nestvm nestvm-viommu qemu)
kver=$1 rounds=$2 cpus=$3 limit=$4
shift 4
disk=/dev/vda
mem=768
cmdline="console=ttyS0 root=/dev/vda rw ignore_loglevel panic=-1 printk.time=1 systemd.show_status=1"

# The kernel and initrd come from the image itself (mounted read-only, once).
mkdir -p /mnt/distro /tmp/distro
mount -o ro -t ext4 "$disk" /mnt/distro || { echo "distro-boot: cannot mount $disk"; exit 1; }
cp /mnt/distro/boot/vmlinuz-"$kver" /tmp/distro/vmlinuz &&
	cp /mnt/distro/boot/initrd.img-"$kver" /tmp/distro/initrd.img || {
	echo "distro-boot: no kernel $kver in the image: $(ls /mnt/distro/boot)"
	exit 1
}
umount /mnt/distro

# outcome FILE STATUS: one word and a detail, from a boot's console.
outcome() {
	# The XSAVE size WARNING (xstate.c, "size 832 != kernel_size 576") comes on every boot,
	# under QEMU as under nestvm: the test host's TCG does not intercept L2's XSETBV, so L1's
	# KVM never learns L2's XCR0. It is not counted as an oops.
	oops=$(grep -E 'Oops|BUG:|general protection|Kernel panic|WARNING: CPU' "$1" |
		grep -v 'fpu__init_system_xstate' | head -n 1 | sed 's/^\[ *[0-9.]*\] //')
	if grep -q 'distro-boot: multi-user reached' "$1"; then
		echo "multi-user${oops:+ (but: $oops)}"
	elif [ "$2" = 124 ] || [ "$2" = 137 ] || [ "$2" = 143 ] ||
		grep -qE 'terminating on signal 15|nestvm: Terminated' "$1"; then
		# (busybox timeout's TERM: QEMU and nestvm exit on it with a status of their own)
		echo "timeout${oops:+ (after: $oops)}: $(grep -v -E '^\s*$|terminating on signal|Terminated' "$1" |
			tail -n 1 | cut -c1-100)"
	elif grep -q 'shutdown (a triple fault)' "$1"; then
		echo "triple-fault${oops:+ after: $oops}"
	elif [ -n "$oops" ]; then
		echo "oops: $oops"
	elif ! grep -qE 'reboot: (Restarting|Power down)' "$1" && [ "$vmm" = qemu ]; then
		# QEMU with -no-reboot ends on a triple fault (KVM_EXIT_SHUTDOWN) as on any reset,
		# without a word: a reset the kernel did not ask for is a triple fault.
		echo "triple-fault (reset nobody asked for)"
	else
		echo "other (status $2): $(grep -v '^\s*$' "$1" | tail -n 1 | cut -c1-100)"
	fi
}

now() { cut -d' ' -f1 /proc/uptime; }
for r in $(seq 1 "$rounds"); do
	for vmm in "$@"; do
		out=/tmp/distro/$vmm-$r.log
		t0=$(now)
		echo "distro-boot: boot $vmm $r"
		case "$vmm" in
		nestvm | nestvm-viommu)
			extra=""
			[ "$vmm" = nestvm-viommu ] && extra=--viommu
			timeout "$limit" nestvm run -k /tmp/distro/vmlinuz -i /tmp/distro/initrd.img \
				-m ${mem}M -c "$cpus" --disk "$disk" $extra -p "$cmdline" </dev/null >"$out" 2>&1
			;;
		qemu)
			timeout "$limit" qemu-system-x86_64 -accel kvm -M microvm,acpi=on -cpu host \
				-m $mem -smp "$cpus" -nodefaults -no-user-config -nographic -no-reboot \
				-serial stdio -kernel /tmp/distro/vmlinuz -initrd /tmp/distro/initrd.img \
				-drive id=d,file="$disk",format=raw,if=none -device virtio-blk-device,drive=d \
				-append "$cmdline" </dev/null >"$out" 2>&1
			;;
		esac
		rc=$?
		took=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }')
		# The whole console of a boot that failed, the tail of one that did not.
		if grep -q 'distro-boot: multi-user reached' "$out"; then
			tail -n 5 "$out" | sed "s/^/[$vmm $r] /"
		else
			sed "s/^/[$vmm $r] /" "$out"
		fi
		echo "distro-boot: result $vmm $r ${took}s $(outcome "$out" $rc)"
	done
done
