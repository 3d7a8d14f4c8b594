# Shared by the scenarios (POSIX sh), which start with  . "$(dirname "$0")/../lib.sh"
#   check EXPR TEXT  evaluates EXPR and prints "ok - TEXT", or "not ok - TEXT" and sets fail=1
#   need_payload     sets $payload to the freestanding guest (tests/guest) next to nestvm, or
#                    ends the scenario with a failure
#   need_asan        sets $vmm to the ASan/UBSan nestvm where there is one, else nestvm
#   $bin             the directory nestvm runs from
fail=0
bin=$(dirname "$(command -v nestvm)")

check() { if eval "$1"; then echo "ok - $2"; else echo "not ok - $2"; fail=1; fi; }

need_payload() {
	payload=$bin/guest/viommu-guest
	[ -f "$payload" ] || payload=$bin/tests/guest/viommu-guest
	[ -f "$payload" ] || { echo "not ok - no viommu-guest payload next to $bin/nestvm"; exit 1; }
}

need_asan() {
	vmm=$bin/asan/nestvm
	if [ ! -x "$vmm" ]; then
		echo "# no ASan/UBSan nestvm at $vmm: using $bin/nestvm"
		vmm=$bin/nestvm
	fi
}
