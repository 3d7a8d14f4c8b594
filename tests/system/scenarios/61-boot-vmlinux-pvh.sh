# needs: kvm guests
# The same kernel as an ELF vmlinux boots through the PVH entry, with the initrd passed as a
# PVH module, and powers off cleanly.
set -u
out=$(timeout 120 nestvm run -k "$NESTVM_GUEST/vmlinux" -i "$NESTVM_GUEST/initramfs.cpio.gz" \
	--cpus 2 -p "console=ttyS0 quiet panic=-1 -- sh -c \"echo pvh-cpus=\$(nproc)\"" </dev/null 2>&1)
rc=$?
echo "$out" | tail -n 5
[ $rc -eq 0 ] || { echo "not ok - status $rc"; exit 1; }
echo "$out" | grep -q '^pvh-cpus=2' || { echo "not ok - no output from the guest"; exit 1; }
echo "ok - vmlinux booted through PVH with 2 CPUs"
