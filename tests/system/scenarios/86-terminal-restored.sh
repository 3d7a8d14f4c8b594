# needs: kvm guests
# nestvm puts its terminal into raw mode while the guest runs and must give it back as it found
# it however it ends. ptyrun (tests/system/progs) runs it on a fresh pty set to a known cooked
# mode, checks that the terminal is raw once the guest is up, ends it one way, and checks the
# exit status and that every termios field (and O_NONBLOCK) is back: the guest powers off
# after reading a line typed on the terminal (status 0), SIGTERM (143), SIGINT (130), SIGHUP
# (129), Ctrl-A x typed on the terminal (130), a seccomp kill (159), and SIGQUIT, SIGSEGV and
# SIGABRT from outside, which take the process by their default action after it restores the
# terminal.
set -u
log=$(mktemp)
trap 'rm -f "$log"' EXIT
fail=0

# pty NAME PTYRUN-ARGS...: runs ptyrun, shows its lines, records a failure.
pty() {
	name=$1
	shift
	ptyrun --name "$name" --timeout 120 "$@" >"$log" 2>&1
	rc=$?
	# ptyrun's own lines, and nestvm's last words (the guest's output is in the log too).
	grep -E '^(ok|not ok|#|FAILED|PASSED)|nestvm:|got-' "$log" | tr -d '\r'
	[ $rc -eq 0 ] || { echo "not ok - $name: ptyrun status $rc"; fail=1; }
}

# end HOW STATUS GUEST-COMMAND [PTYRUN-OPTIONS...]: the guest runs GUEST-COMMAND after saying
# guest-up; ptyrun waits for that, then ends it HOW.
end() {
	how=$1 want=$2 cmd=$3
	shift 3
	pty "$how" --wait-for guest-up --status "$want" "$@" -- \
		nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" -m 128M \
		-p "console=ttyS0 quiet -- sh -c \"echo guest-up; $cmd\""
}

# The guest reads a line from its console: the terminal is certainly raw while it waits.
end poweroff 0 'read x; echo got-$x' --input 'bye\r' --then none
tr -d '\r' <"$log" | grep -q '^got-bye' ||
	{ echo "not ok - poweroff: the guest did not read the typed line"; fail=1; }
end sigterm 143 'sleep 600' --then term
end sigint 130 'sleep 600' --then int
end sighup 129 'sleep 600' --then hup
end ctrl-a-x 130 'sleep 600' --then ctrl-a-x
# Signals that end nestvm without its teardown (as a crash or abort() would): the terminal
# comes back in the handler, then the signal's default action takes the process.
end sigquit 0 'sleep 600' --then quit --killed-by 3
end sigsegv 0 'sleep 600' --then segv --killed-by 11
end sigabrt 0 'sleep 600' --then abrt --killed-by 6
# A forbidden system call kills nestvm from its SIGSYS handler (status 159) as its vCPU thread
# starts, after the terminal went raw: no guest-up to wait for, the terminal must come back.
pty seccomp --status 159 -- nestvm run --seccomp-selftest vcpu -k "$NESTVM_GUEST/bzImage" \
	-i "$NESTVM_GUEST/initramfs.cpio.gz" -m 128M -p "console=ttyS0 quiet -- sleep 30"
exit $fail
