# needs: kvm guests
# stdin reaches the guest's ttyS0 through the io loop and the UART: a shell in the guest runs
# what we type (once its prompt is out: shell_session). Then Ctrl-A x stops nestvm (status 130).
. "$(dirname "$0")/../lib.sh"
set -u
shell_session 'echo typed-$((6*7))' '^typed-42' \
	timeout 120 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" \
	-p "console=ttyS0 quiet"
echo "$out" | tail -n 5
echo "$out" | grep -q '^typed-42' || { echo "not ok - the guest shell did not run the typed command"; fail=1; }
[ $rc -eq 130 ] || { echo "not ok - Ctrl-A x gave status $rc, want 130"; fail=1; }
[ $fail -eq 0 ] && echo "ok - typed input ran in the guest; Ctrl-A x stopped nestvm"
exit $fail
