#!/bin/sh
# virtio-iommu benchmark, run where /dev/kvm works (inside the test host, or natively): boots
# the viommu-guest payload in bench mode on one vCPU with the virtio-iommu and one endpoint
# (virtio-rng) behind it, and prints the table the guest prints. Asserts nothing.
#
# Usage: viommu-inner.sh [ITERATIONS]
iters=${1:-5000}
bin=$(dirname "$(command -v nestvm)")
payload=$bin/guest/viommu-guest
[ -f "$payload" ] || payload=$bin/tests/guest/viommu-guest
[ -f "$payload" ] || { echo "viommu-inner.sh: no viommu-guest payload next to nestvm" >&2; exit 1; }

out=$(nestvm run -k "$payload" --viommu --rng -c 1 -m 64M -p "bench iters=$iters" </dev/null 2>&1)
rc=$?
out=$(echo "$out" | tr -d '\r')
echo
echo "virtio-iommu requests from a PVH guest, 1 vCPU, $iters iterations (nested KVM under TCG: compare ratios)"
echo "$out" | grep -E '^(\||bench:)'
echo "$out" | grep -q '^bench: done' || { echo "$out"; exit 1; }
exit $rc
