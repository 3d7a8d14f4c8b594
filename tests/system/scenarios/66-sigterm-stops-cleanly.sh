# needs: kvm guests
# SIGTERM to nestvm while the guest runs: the guest is stopped, nestvm exits 143 (128 +
# SIGTERM) after an orderly teardown, and says why.
# Then the same after a thread of nestvm died (NESTVM_FAULT ioloop_enter, invalq_enter: its
# io_uring_enter fails): the death stops the VM by itself, in one error line naming the thread
# and the cause, status 1; a SIGTERM sent after it still ends nestvm (the main thread reads
# the signals, not the io loop) and changes neither: status 1, that one line. Before, the io
# loop died silently and nestvm ignored SIGTERM.
set -u
. "$(dirname "$0")/../lib.sh"
log=$(mktemp)

# boot [NESTVM_FAULT] ARGS...: nestvm in the background on a guest that sleeps; sets $pid
boot() {
	NESTVM_FAULT=$1
	export NESTVM_FAULT
	shift
	nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" "$@" \
		-p "console=ttyS0 quiet -- sh -c \"echo guest-up; sleep 600\"" </dev/null >"$log" 2>&1 &
	pid=$!
	unset NESTVM_FAULT
}

# term: SIGTERM to $pid, then its status in $rc; a nestvm that ignores it is killed after
# 30 s (status 137)
term() {
	kill -TERM $pid 2>/dev/null # it may have ended already
	(sleep 30 && kill -KILL $pid 2>/dev/null) &
	watchdog=$!
	wait $pid
	rc=$?
	kill $watchdog 2>/dev/null
	out=$(tr -d '\r' <"$log")
}
nerr() { echo "$out" | grep -c '^nestvm: error'; }

echo "# SIGTERM while the guest runs"
boot ""
for i in $(seq 1 120); do grep -q guest-up "$log" && break; sleep 1; done
term
echo "$out" | tail -n 3
check '[ $rc -eq 143 ]' "SIGTERM -> status 143 (got $rc)"
check 'echo "$out" | grep -q "Terminated: stopping the guest"' "SIGTERM: nestvm says why it stops"
check '[ "$(nerr)" -eq 0 ]' "SIGTERM: no error line (got $(nerr))"

# died SPEC WHO PATTERN ARGS...: thread WHO made to die with NESTVM_FAULT=SPEC
died() {
	spec=$1 who=$2 pattern=$3
	shift 3
	echo "# the $who thread dies ($spec), then SIGTERM"
	boot "$spec" "$@"
	for i in $(seq 1 120); do grep -q '^nestvm: error' "$log" && break; sleep 1; done
	term
	echo "$out" | grep -E '^nestvm: (error|warning)|Terminated' | sed 's/^/  /'
	check '[ $rc -eq 1 ]' "$who died: nestvm ends with status 1, SIGTERM or not (got $rc)"
	check '[ "$(nerr)" -eq 1 ]' "$who died: exactly one error line (got $(nerr))"
	check 'echo "$out" | grep -q "^nestvm: error: $pattern"' \
		"$who died: the line names the thread and the cause"
	check '! echo "$out" | grep -q "Terminated: stopping the guest"' \
		"$who died: the death, not the later SIGTERM, is why nestvm stopped"
	check '! echo "$out" | grep -qE "AddressSanitizer|runtime error|Segmentation"' \
		"$who died: no crash"
}
died ioloop_enter:EIO "io loop" \
	"io loop: io_uring_enter failed: Input/output error; the thread dies and the VM stops"
died invalq_enter:EIO invalq \
	"invalq: io_uring_enter failed: Input/output error; the thread dies and the VM stops" \
	--viommu
rm -f "$log"
exit $fail
