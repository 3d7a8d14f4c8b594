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
expect 1 '\--disk /nonexistent/disk.img: No such file or directory' run -k "$NESTVM_GUEST/bzImage" --disk /nonexistent/disk.img
expect 1 '\--disk /etc: not a regular file or block device' run -k "$NESTVM_GUEST/bzImage" --disk /etc,ro
expect 2 '\--net user: write it as --net tap=NAME' run -k "$NESTVM_GUEST/bzImage" --net user

# A tap already in use by another nestvm: the second one says so before its guest starts.
nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" --net tap=busytap0 \
	-p "console=ttyS0 quiet -- sleep 60" </dev/null >/dev/null 2>&1 &
first=$!
for i in $(seq 1 50); do ip link show busytap0 >/dev/null 2>&1 && break; sleep 0.2; done
expect 1 'tap busytap0 is in use by another process' run -k "$NESTVM_GUEST/bzImage" --net tap=busytap0
kill $first
wait $first
rm -rf "$tmp"
exit $fail
