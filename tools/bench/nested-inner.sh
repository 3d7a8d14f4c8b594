#!/bin/sh
# Nested INVALIDATE benchmark, run where /dev/kvm works (inside the test host, or natively):
# boots the viommu-guest payload in bench-inval mode on one vCPU, once with the virtio-rng
# behind the virtio-iommu (a VT-d first-stage table, walked by nestvm's emulated backend), and
# once more against the mock endpoint (0x200, a selftest-format table) when this nestvm has
# --viommu-test-endpoint. Prints the guest's tables. Asserts nothing.
#
# Usage: nested-inner.sh [ITERATIONS]
iters=${1:-5000}
bin=$(dirname "$(command -v nestvm)")
payload=$bin/guest/viommu-guest
[ -f "$payload" ] || payload=$bin/tests/guest/viommu-guest
[ -f "$payload" ] || { echo "nested-inner.sh: no viommu-guest payload next to nestvm" >&2; exit 1; }

status=0
# One run: its table, or everything it printed when it did not finish.
run() {
	what=$1
	shift
	out=$(nestvm run -k "$payload" -c 1 -m 64M "$@" </dev/null 2>&1)
	rc=$?
	out=$(echo "$out" | tr -d '\r')
	echo
	echo "$what, 1 vCPU, $iters iterations (nested KVM under TCG: compare ratios)"
	echo "$out" | grep -E '^(\||bench-inval:)'
	if ! echo "$out" | grep -q '^bench-inval: done' || [ $rc -ne 0 ]; then
		echo "$out"
		status=1
	fi
}

run "INVALIDATE, emulated endpoint (virtio-rng, VT-d table)" \
	--viommu --rng -p "bench-inval iters=$iters"
if nestvm --help 2>&1 | grep -q -- '--viommu-test-endpoint'; then
	# The invalq thread's knobs ($NESTVM_INVALQ), one run each: the default (registered
	# files, single issuer), neither, and a 20 us busy-poll window after each drain.
	for knobs in "files=1,single_issuer=1" "files=0,single_issuer=0" \
		"files=1,single_issuer=1,poll_us=20"; do
		export NESTVM_INVALQ=$knobs
		run "INVALIDATE, mock endpoint 0x200 (nested SELFTEST HWPT), invalq $knobs" \
			--viommu --viommu-test-endpoint -p "bench-inval iters=$iters ep=0x200"
	done
	unset NESTVM_INVALQ
	echo
	echo "The floor: raw IOMMU_HWPT_INVALIDATE on a nested SELFTEST HWPT, no guest, no VMM"
	hwpt_inval_rate "$iters" | grep '^|' || status=1
else
	echo
	echo "(this nestvm has no --viommu-test-endpoint: no mock-endpoint run)"
fi
exit $status
