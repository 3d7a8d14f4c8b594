# needs: kvm qemu
# The peer for side-by-side figures: QEMU inside the test host boots the project's guest
# kernel and initramfs under KVM (nested), and the guest runs a command and powers off.
set -e
out=$(timeout 240 qemu-system-x86_64 -accel kvm -M microvm -cpu host -m 256 -smp 2 \
	-nodefaults -no-user-config -nographic -no-reboot -serial stdio \
	-kernel "$NESTVM_GUEST/bzImage" -initrd "$NESTVM_GUEST/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet panic=-1 -- sh -c \"echo guest-says-hello; nproc\"" </dev/null)
echo "$out" | tail -n 5
echo "$out" | grep -q 'guest-says-hello'
echo "$out" | tr -d '\r' | grep -qx '2'
echo "$out" | grep -q 'nestvm-guest: exit 0'
