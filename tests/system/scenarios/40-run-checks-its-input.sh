# needs: kvm
# `nestvm run` on a host with KVM: bad input gets one clear line and a non-zero status; good
# input is refused before a guest starts.
fail=0
expect() { # expect STATUS PATTERN -- ARGS...
	want=$1 pattern=$2
	shift 3
	out=$(nestvm "$@" 2>&1)
	rc=$?
	if [ $rc -eq "$want" ] && echo "$out" | grep -q "$pattern"; then
		echo "ok - nestvm $* -> $rc: $out"
	else
		echo "not ok - nestvm $* -> $rc (want $want, '$pattern'): $out"
		fail=1
	fi
}
expect 1 'kernel /nonexistent: No such file or directory' -- run -k /nonexistent
expect 2 'cpus 0: give a number from 1 to 254' -- run -k "$NESTVM_GUEST/bzImage" --cpus 0
expect 1 'more than this host can give' -- run -k "$NESTVM_GUEST/bzImage" --mem 1T
expect 1 'not a bzImage or an ELF' -- run -k /init -m 64M
exit $fail
