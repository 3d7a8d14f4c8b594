# needs: kvm guests
# nestvm ends cleanly three ways, with every device that opens fds (virtio-iommu with its
# invalq thread, a disk, the rng, a tap NIC): the guest powers off (status 0), SIGTERM (143),
# SIGINT (130). Under NESTVM_CHECK_FDS=1 nestvm lists its fds after teardown: any left open
# is an error line and status 1; a clean run says so.
set -u
img=$(mktemp)
log=$(mktemp)
dd if=/dev/zero of="$img" bs=1M count=4 2>/dev/null
fail=0

# boot HOW CMD: boots the guest running CMD, ends it HOW (poweroff, TERM, INT); prints status.
boot() {
	NESTVM_CHECK_FDS=1 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$NESTVM_GUEST/initramfs.cpio.gz" \
		-m 256M --viommu --disk "$img" --rng --net tap=nvtap9 \
		-p "console=ttyS0 quiet -- sh -c \"echo guest-up; $2\"" </dev/null >"$log" 2>&1 &
	pid=$!
	if [ "$1" != poweroff ]; then
		for i in $(seq 1 120); do grep -q guest-up "$log" && break; sleep 1; done
		kill -"$1" $pid
	fi
	timeout 120 sh -c "while kill -0 $pid 2>/dev/null; do sleep 1; done"
	wait $pid
}

for how in poweroff TERM INT; do
	case $how in
	poweroff) want=0 cmd="ls /dev/vda /dev/hwrng /sys/class/net/eth0 >/dev/null" ;;
	TERM) want=143 cmd="sleep 600" ;;
	INT) want=130 cmd="sleep 600" ;;
	esac
	boot $how "$cmd"
	rc=$?
	if [ $rc -eq $want ] && grep -q guest-up "$log" &&
		grep -q 'NESTVM_CHECK_FDS: no fd left open after teardown' "$log" &&
		! grep -q 'left open after teardown:' "$log"; then
		echo "ok - $how: status $rc, no fd left open"
	else
		echo "not ok - $how: status $rc (want $want), output:"
		grep -E 'NESTVM_CHECK_FDS|error' "$log"
		tail -n 5 "$log"
		fail=1
	fi
done
rm -f "$img" "$log"
exit $fail
