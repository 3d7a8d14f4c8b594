# needs: kvm guests
# Without --initrd nestvm builds a busybox initramfs itself: the kernel developer's loop.
set -u
out=$(timeout 120 nestvm run -k "$NESTVM_GUEST/bzImage" \
	-p "console=ttyS0 quiet panic=-1 -- sh -c \"echo builtin-initramfs-works\"" </dev/null 2>&1)
rc=$?
echo "$out" | tail -n 4
[ $rc -eq 0 ] && echo "$out" | grep -q '^builtin-initramfs-works'
