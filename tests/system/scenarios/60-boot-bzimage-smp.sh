# needs: kvm guests
# nestvm boots the project's bzImage with 2 vCPUs and 256 MiB: the guest sees both CPUs and
# the RAM, runs the command from its command line, its dmesg has no ACPI errors, and its
# poweroff ends nestvm with status 0.
set -u
. "$(dirname "$0")/../lib.sh"
out=$(timeout 120 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" \
	--cpus 2 --mem 256M -p "console=ttyS0 quiet panic=-1 -- sh -c \"echo cpus=\$(nproc); grep MemTotal /proc/meminfo; dmesg | grep -iE 'acpi.*(error|warn)|firmware bug' | grep -v acpi-prob | sed 's/^/acpi-problem: /'\"" </dev/null 2>&1)
rc=$?
echo "$out" | tail -n 12
check '[ $rc -eq 0 ]' "nestvm exits 0 after the guest powers off (got $rc)"
check 'echo "$out" | grep -q "^cpus=2"' "the guest sees 2 CPUs"
kb=$(echo "$out" | sed -n 's/^MemTotal: *\([0-9]*\) kB.*/\1/p')
check '[ -n "$kb" ] && [ "$kb" -gt 200000 ] && [ "$kb" -le 262144 ]' "the guest sees about 256 MiB (MemTotal ${kb:-?} kB)"
check '! echo "$out" | grep -q "^acpi-problem:"' "no ACPI errors or warnings in the guest's dmesg"
exit $fail
