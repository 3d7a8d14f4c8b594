# needs: kvm guests
# --virtio-cmdline: virtio-blk and virtio-rng described on the kernel command line
# (virtio_mmio.device=), the machine in an MP table and no ACPI tables. The test guest boots
# with acpi=off (as a kernel without CONFIG_ACPI would) and, a second time, without it (it
# finds no RSDP): its dmesg shows the devices registered from the command line and the MP
# table, both vCPUs come up, the disk reads back with the image's checksum and /dev/hwrng
# gives bytes. Without ACPI a guest cannot power off, so nestvm's init reboots it: status 4.
# Last, a machine with ACPI booted with acpi=off still finds its 2 CPUs in the MP table.
set -u
. "$(dirname "$0")/../lib.sh"
img=/tmp/disk72.img
seq 1 2000000 | head -c 8388608 >"$img"
want=$(sha256sum <"$img" | cut -d' ' -f1)

# The guest's report: CPUs, where its devices and CPUs came from, the disk, the RNG.
report="echo cpus \$(nproc); dmesg | grep -E 'virtio-mmio|MP-table|RSDP'; echo vda \$(sha256sum < /dev/vda); echo rng \$(head -c 8 /dev/hwrng | od -An -tx1 | tr -d ' ')"

for acpi in off on; do
	[ $acpi = off ] && param=acpi=off || param=
	out=$(timeout 300 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" \
		-m 256M -c 2 --virtio-cmdline --disk "$img" --rng \
		-p "console=ttyS0 quiet panic=-1 $param -- sh -c \"$report\"" </dev/null 2>&1)
	rc=$?
	echo "$out" | grep -E '^(cpus|vda|rng) |virtio-mmio|MP-table|RSDP|Kernel panic|^nestvm:'
	m="acpi $acpi"
	check '[ $rc -eq 4 ]' "$m: the guest reboots instead of powering off, nestvm exits 4 (got $rc)"
	check '! echo "$out" | grep -q "Kernel panic"' "$m: no kernel panic"
	check 'echo "$out" | grep -q "virtio-mmio: Registering device virtio-mmio.0 at 0xd0000000-0xd00001ff, IRQ 16\."' \
		"$m: virtio-blk registered from the command line (window 0, IRQ 16)"
	check 'echo "$out" | grep -q "virtio-mmio: Registering device virtio-mmio.1 at 0xd0000200-0xd00003ff, IRQ 17\."' \
		"$m: virtio-rng registered from the command line (window 1, IRQ 17)"
	check 'echo "$out" | grep -q "found SMP MP-table at \[mem 0x000f0000-0x000f000f\]"' \
		"$m: the guest found the MP table"
	check 'echo "$out" | grep -q "^cpus 2"' "$m: both vCPUs up through the MP table"
	check 'echo "$out" | grep -q "^vda $want"' "$m: the guest reads the 8 MiB image with the right checksum"
	check 'echo "$out" | grep -qE "^rng [0-9a-f]{16}"' "$m: the guest reads /dev/hwrng"
done

# Without --virtio-cmdline the ACPI tables are there too; acpi=off makes the guest ignore them.
out=$(timeout 300 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" \
	-m 256M -c 2 -p "console=ttyS0 quiet panic=-1 acpi=off -- sh -c \"echo cpus \$(nproc); dmesg | grep MP-table\"" </dev/null 2>&1)
rc=$?
echo "$out" | grep -E '^cpus |MP-table|Kernel panic'
check '[ $rc -eq 4 ]' "ACPI machine, acpi=off: nestvm exits 4 after the guest's reboot (got $rc)"
check 'echo "$out" | grep -q "found SMP MP-table"' "ACPI machine, acpi=off: the guest found the MP table"
check 'echo "$out" | grep -q "^cpus 2"' "ACPI machine, acpi=off: both vCPUs up"
rm -f "$img"
exit $fail
