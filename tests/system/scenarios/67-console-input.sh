# needs: kvm guests
# stdin reaches the guest's ttyS0 through the io loop and the UART: a shell in the guest runs
# what we type. Then Ctrl-A x stops nestvm (status 130). We type only once the shell's prompt
# is out: bytes that reach the UART before the guest opened its tty are dropped when the
# driver clears the FIFOs at open, as on real hardware (a fixed sleep lost them on a loaded
# host).
. "$(dirname "$0")/../lib.sh"
set -u
fifo=$(mktemp -u) log=$(mktemp)
mkfifo "$fifo"
timeout 120 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" \
	-p "console=ttyS0 quiet" <"$fifo" >"$log" 2>&1 &
pid=$!
exec 3>"$fifo"
wait_for "$log" '^/ # ' 90 || echo "# no shell prompt in 90 s"
printf 'echo typed-$((6*7))\n' >&3
wait_for "$log" '^typed-42' 30
printf '\001x' >&3
wait $pid
rc=$?
exec 3>&-
out=$(tr -d '\r' <"$log")
rm -f "$fifo" "$log"
echo "$out" | tail -n 5
echo "$out" | grep -q '^typed-42' || { echo "not ok - the guest shell did not run the typed command"; fail=1; }
[ $rc -eq 130 ] || { echo "not ok - Ctrl-A x gave status $rc, want 130"; fail=1; }
[ $fail -eq 0 ] && echo "ok - typed input ran in the guest; Ctrl-A x stopped nestvm"
exit $fail
