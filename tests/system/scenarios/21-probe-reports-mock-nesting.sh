# needs: kvm iommufd mock
# `nestvm probe` tells the truth about this host: KVM and nesting on the mock.
set -e
out=$(nestvm probe)
echo "$out"
echo "$out" | grep -q '^  kvm        yes: API 12'
echo "$out" | grep -q '^  mock       yes: selftest device nests'
