# needs: kvm guests
# --console virtio: stdin and stdout go through a virtio-console (hvc0) instead of the UART;
# a shell on hvc0 runs what we type, with the device behind the virtio-iommu. shell_session
# types only once the prompt is out: bytes that arrive before the guest's driver posted
# receive buffers are dropped (and counted), as on a real console.
. "$(dirname "$0")/../lib.sh"
set -u
shell_session 'echo typed-on-hvc-$((6*7)) $(readlink /proc/self/fd/0)' '^typed-on-hvc-42' \
	timeout 120 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" \
	--viommu --console virtio -p "console=ttyS0 console=hvc0 quiet"
echo "$out" | grep typed-on
echo "$out" | grep -q '^typed-on-hvc-42 /dev/hvc0' || { echo "not ok - nothing typed ran on hvc0"; echo "$out" | tail -n 8; fail=1; }
[ $rc -eq 130 ] || { echo "not ok - Ctrl-A x gave status $rc, want 130"; fail=1; }
[ $fail -eq 0 ] && echo "ok - typed input ran in a shell on hvc0"
exit $fail
