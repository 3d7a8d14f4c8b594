# needs: kvm guests
# --console virtio: stdin and stdout go through a virtio-console (hvc0) instead of the UART;
# a shell on hvc0 runs what we type, with the device behind the virtio-iommu.
set -u
out=$( (sleep 10; printf 'echo typed-on-hvc-$((6*7)) $(readlink /proc/self/fd/0)\n'; sleep 4; printf '\001x') |
	timeout 120 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" \
		--viommu --console virtio -p "console=ttyS0 console=hvc0 quiet" 2>&1)
rc=$?
echo "$out" | grep typed-on
fail=0
echo "$out" | grep -q '^typed-on-hvc-42 /dev/hvc0' || { echo "not ok - nothing typed ran on hvc0"; echo "$out" | tail -n 8; fail=1; }
[ $rc -eq 130 ] || { echo "not ok - Ctrl-A x gave status $rc, want 130"; fail=1; }
[ $fail -eq 0 ] && echo "ok - typed input ran in a shell on hvc0"
exit $fail
