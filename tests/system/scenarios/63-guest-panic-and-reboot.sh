# needs: kvm guests
# How a guest ends decides nestvm's status: a panic (pvpanic) is 3, a reboot is 4, and both
# say so in one line.
set -u
fail=0
run() { # run WANT PATTERN GUEST-COMMAND
	out=$(timeout 120 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" \
		-p "console=ttyS0 quiet panic=-1 -- sh -c \"$3\"" </dev/null 2>&1)
	rc=$?
	if [ $rc -eq "$1" ] && echo "$out" | grep -q "$2"; then
		echo "ok - '$3' -> status $rc"
	else
		echo "not ok - '$3' -> status $rc, want $1 and '$2':"
		echo "$out" | tail -n 8
		fail=1
	fi
}
run 3 'nestvm: error: the guest kernel panicked (status 3)' 'echo c > /proc/sysrq-trigger'
run 4 'the guest rebooted; nestvm stops' 'reboot -f'
exit $fail
