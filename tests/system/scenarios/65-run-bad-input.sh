# needs: kvm guests
# Bad input to `nestvm run` on a host with KVM: one clear line, a non-zero status below 128
# (no crash), and nothing left behind.
set -u
fail=0
tmp=$(mktemp -d)
echo "not a kernel" > "$tmp/text"
head -c 100000000 /dev/zero > "$tmp/big.img"
expect() { # expect STATUS PATTERN ARGS...
	want=$1 pattern=$2
	shift 2
	out=$(timeout 60 nestvm "$@" </dev/null 2>&1)
	rc=$?
	if [ $rc -eq "$want" ] && echo "$out" | grep -q "$pattern"; then
		echo "ok - nestvm $* -> $rc: $(echo "$out" | grep error | head -n 1)"
	else
		echo "not ok - nestvm $* -> $rc (want $want, '$pattern'):"
		echo "$out" | tail -n 5
		fail=1
	fi
}
expect 1 'not a bzImage or an ELF' run -k "$tmp/text"
expect 1 'without a PVH entry note' run -k /bin/busybox -i "$NESTVM_GUEST/initramfs.cpio.gz"
expect 1 'initrd of 95 MiB does not fit' run -k "$NESTVM_GUEST/bzImage" -i "$tmp/big.img" -m 64M
expect 1 'not a regular, non-empty file' run -k /dev/null
expect 1 'kernel /nonexistent: No such file' run -k /nonexistent
expect 2 'cpus 999' run -k "$NESTVM_GUEST/bzImage" --cpus 999
expect 1 'more than this host can give' run -k "$NESTVM_GUEST/bzImage" --mem 1T
rm -rf "$tmp"
exit $fail
