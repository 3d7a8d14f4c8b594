# needs: kvm guests
# Every thread runs under its own seccomp allowlist: made to call socket(), each thread kind
# kills nestvm (status 159) with a line naming the thread and the call. The invalq thread
# exists with the virtio-iommu. The kinds come from nestvm --seccomp-list, so a new kind in
# vmm/seccomp.h is tested here too (give it its options below if it needs a device). Then
# seccomp_malloc (tests/system/progs) allocates under each kind's filter: nothing is killed.
set -u
fail=0
kinds=$(nestvm --seccomp-list | sed -n 's/^\([a-z]*\): [0-9]* system calls$/\1/p')
echo "thread kinds: $(echo $kinds)"
[ $(echo "$kinds" | wc -w) -ge 4 ] || { echo "not ok - nestvm --seccomp-list names too few"; fail=1; }
for thread in $kinds; do
	case "$thread" in invalq) extra=--viommu ;; *) extra= ;; esac
	out=$(timeout 120 nestvm run $extra --seccomp-selftest $thread -k "$NESTVM_GUEST/bzImage" \
		-i "$NESTVM_GUEST/initramfs.cpio.gz" -p "console=ttyS0 quiet -- sleep 30" </dev/null 2>&1)
	rc=$?
	line=$(echo "$out" | grep 'seccomp: thread')
	case "$thread" in vcpu) name=vcpu0 ;; *) name=$thread ;; esac
	if [ $rc -eq 159 ] && echo "$line" | grep -q "thread '$name' made a forbidden system call: socket"; then
		echo "ok - $thread: $line"
	else
		echo "not ok - $thread: status $rc, output:"
		echo "$out" | tail -n 5
		fail=1
	fi
done
# The other way round: what the lists allow is enough for a thread that allocates a lot.
if seccomp_malloc >/tmp/seccomp_malloc.log 2>&1; then
	echo "ok - every kind's thread churns 256 MiB through malloc under its filter"
else
	echo "not ok - a thread that allocates was killed:"
	tail -n 3 /tmp/seccomp_malloc.log
	fail=1
fi
exit $fail
