# needs: kvm guests
# SIGTERM to nestvm while the guest runs: the guest is stopped, nestvm exits 143 (128 +
# SIGTERM) after an orderly teardown, and says why.
set -u
log=$(mktemp)
nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" \
	-p "console=ttyS0 quiet -- sh -c \"echo guest-up; sleep 600\"" </dev/null >"$log" 2>&1 &
pid=$!
for i in $(seq 1 120); do grep -q guest-up "$log" && break; sleep 1; done
kill -TERM $pid
wait $pid
rc=$?
tail -n 3 "$log"
fail=0
[ $rc -eq 143 ] || { echo "not ok - status $rc, want 143"; fail=1; }
grep -q 'Terminated: stopping the guest' "$log" || { echo "not ok - no message"; fail=1; }
[ $fail -eq 0 ] && echo "ok - SIGTERM -> status 143"
rm -f "$log"
exit $fail
