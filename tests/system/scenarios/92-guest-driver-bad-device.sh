# needs: kvm guests
# Our guest driver against a device that answers errors (nestvm's NESTVM_FAULT makes its
# vIOMMU refuse or fail requests the guest got right). Each case: defined behaviour, one log
# line, no hang, no guest crash, the disk's data right.
#   refused  the first ATTACH_TABLE is answered UNSUPP: that domain falls back to MAP/UNMAP
#            (one line), the other keeps its table
#   retried  one INVALIDATE fails with IOERR: the driver's second try succeeds, quietly
#   failing  every INVALIDATE fails from some point on: the driver says, loudly, that the
#            device may still translate what was unmapped, and the guest runs on
#   noformat the device offers ATTACH_TABLE but its PROBE has no TABLE_FORMAT: MAP/UNMAP, a line
#   unknown  its TABLE_FORMAT names a format nobody knows: the same
#   reset    the device sets DEVICE_NEEDS_RESET mid-run and answers nothing more: the driver
#            says so at once, its requests fail fast (no 10 s timeout), the guest runs on
set -u
. "$(dirname "$0")/../lib.sh"
need_guest_module test
img=/tmp/disk.img initrd=/tmp/guest-bad.cpio.gz
dd if=/dev/urandom of="$img" bs=1M count=8 2>/dev/null
want=$(sha256sum <"$img" | cut -d' ' -f1)
guest_initrd "$initrd" '/lib/modules/load || exit 1
for i in $(seq 200); do [ -b /dev/vda ] && break; sleep 0.1; done
echo guest: disk $(dd if=/dev/vda bs=1M count=8 iflag=direct 2>/dev/null | sha256sum)
echo guest: rng $(head -c 8 /dev/hwrng | od -An -tx1 | tr -d " ")
for g in /sys/kernel/iommu_groups/*; do echo guest: group $(cat $g/type) $(ls $g/devices); done
for f in /sys/class/iommu/*/nestvm/stats; do echo stats $(cat $f); done
dmesg | grep -E "nestvm_viommu|refused|WARNING|TABLE_FORMAT|needs a reset|no answer" | grep -v xstate | sed "s/^/dmesg: /"
echo guest: still alive' "$modules"

for case in refused retried failing noformat unknown reset; do
	case $case in
	refused) fault=viommu_attach_table:EOPNOTSUPP:times=1 ;;
	retried) fault=viommu_invalidate:EIO:after=20:times=1 ;;
	failing) fault=viommu_invalidate:EIO:after=20 ;;
	noformat) fault=viommu_table_format:ENOENT ;;
	unknown) fault=viommu_table_format:EINVAL ;;
	reset) fault=viommu_needs_reset:EIO:after=20:times=1 ;;
	esac
	start=$(date +%s)
	out=$(NESTVM_FAULT=$fault timeout 300 nestvm run -k "$NESTVM_GUEST/bzImage" -i "$initrd" -m 256M \
		--viommu --viommu-stats --disk "$img" --rng \
		-p "console=ttyS0 quiet initcall_blacklist=virtio_iommu_drv_init iommu.strict=1 -- /test.sh" </dev/null 2>&1)
	rc=$? took=$(($(date +%s) - start))
	echo "$out" | grep -E '^(guest:|stats|nestvm:)|nestvm_viommu|refused|WARNING|needs a reset' | grep -v xstate | head -20
	stats=$(echo "$out" | grep '^stats ')
	check '[ $rc -eq 0 ]' "$case: nestvm exits 0 (got $rc)"
	# After a reset request the device answers nothing, but the tables it holds still
	# translate: the disk's DMA keeps working.
	check 'echo "$out" | grep -q "^guest: disk $want"' "$case: the disk reads right"
	check 'echo "$out" | grep -q "guest: still alive"' "$case: the guest runs on"
	case $case in
	refused)
		check '[ $(echo "$out" | grep -c "^dmesg: .*ATTACH_TABLE of endpoint .* refused (-95): that domain uses MAP/UNMAP") -eq 1 ]' \
			"refused: one line says the refused domain uses MAP/UNMAP"
		check '[ "$(dstat ATTACH_TABLE "$stats")" = 2 ] && [ "$(dstat MAP "$stats")" -gt 0 ] 2>/dev/null && [ "$(dstat INVALIDATE_RANGE "$stats")" -gt 0 ] 2>/dev/null' \
			"refused: one domain maps (MAP $(dstat MAP "$stats")), the other keeps its table (INVALIDATE RANGE $(dstat INVALIDATE_RANGE "$stats"))"
		;;
	retried)
		check '[ "$(dstat errors "$stats")" = 1 ]' "retried: exactly one request failed ($(dstat errors "$stats"))"
		check '! echo "$out" | grep -v xstate | grep -qE "failed twice|WARNING"' "retried: the second try succeeded, nothing logged"
		;;
	failing)
		check 'echo "$out" | grep -q "failed twice and DOMAIN-wide (-5): the device may still translate"' \
			"failing: the driver says the device may keep stale translations"
		check '[ $(echo "$out" | grep -cE "WARNING: .*(domain.c|invalidate)") -eq 1 ]' "failing: with a WARN, once"
		;;
	noformat | unknown)
		check '[ $(echo "$out" | grep -c "^dmesg: .*no VT-d TABLE_FORMAT in its PROBE: its domains use MAP/UNMAP") -eq 2 ]' \
			"$case: a line per endpoint (disk, rng) says its domains use MAP/UNMAP"
		check '[ "$(dstat ATTACH_TABLE "$stats")" = 0 ] && [ "$(vstat MAP "$out")" -gt 0 ] 2>/dev/null' \
			"$case: no ATTACH_TABLE ($(dstat ATTACH_TABLE "$stats")), nestvm saw MAPs ($(vstat MAP "$out"))"
		;;
	reset)
		check '[ $(echo "$out" | grep -c "^dmesg: .*the device needs a reset: its requests fail from now on") -eq 1 ]' \
			"reset: one line says the device needs a reset"
		check '! echo "$out" | grep -q "no answer in"' "reset: no request waited for its timeout (the run took $took s)"
		;;
	esac
done
rm -f "$img" "$initrd"
exit $fail
