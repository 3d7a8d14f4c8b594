# needs: kvm guests
# The guest finds nestvm's PCI host bridge: Linux has a config space access method again,
# takes the MCFG's ECAM for bus 0 (reserved, so not rejected), sees the host bridge function
# at 0000:00:00.0 with its class and IDs, gets PCIe control through _OSC, and reports no
# ACPI errors or warnings while it walks \_SB.PCI0.
set -u
. "$(dirname "$0")/../lib.sh"
out=$(timeout 120 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" \
	--mem 256M -p "console=ttyS0 quiet panic=-1 -- sh -c \"dmesg | sed 's/^/dmesg: /'; d=/sys/bus/pci/devices/0000:00:00.0; echo class=\$(cat \$d/class) id=\$(cat \$d/vendor):\$(cat \$d/device)\"" </dev/null 2>&1)
rc=$?
echo "$out" | grep -iE 'pci|ecam|mmconfig|_osc|acpi (error|warning)|^class=' | tail -n 40
has() { echo "$out" | grep -qE "$1"; }
check '[ $rc -eq 0 ]' "nestvm exits 0 after the guest powers off (got $rc)"
check '! has "No config space access function found"' "the guest has a PCI config space access method"
# 6.12 says "ECAM [mem ...] (base ...) for domain ..."; older kernels said "MMCONFIG for domain".
check 'has "(ECAM|MMCONFIG).* for domain 0000 \[bus 00-00\]"' "the guest takes the MCFG's ECAM for bus 0"
check 'has "ECAM \[mem 0xe0000000-0xe00fffff\] reserved as"' "the guest finds the ECAM reserved"
check '! has "not using ECAM|ECAM .* not reserved|MMCONFIG .* not reserved"' "the guest does not reject the ECAM"
check 'has "PCI host bridge to bus 0000:00"' "the guest enumerates the root bus from _SB.PCI0"
check 'has "^class=0x060000 id=0x1b36:0x0008"' "0000:00:00.0 is a host bridge, 1b36:0008"
check 'has "_OSC: OS now controls"' "_OSC hands the guest control of PCIe features"
check '! has "ACPI Error|ACPI Warning|ACPI BIOS Error|ACPI BIOS Warning|_OSC.*fail|Firmware Bug"' \
	"no ACPI errors or warnings in the guest's dmesg"
exit $fail
