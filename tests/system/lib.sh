# Shared by the scenarios (POSIX sh), which start with  . "$(dirname "$0")/../lib.sh"
#   check EXPR TEXT  evaluates EXPR and prints "ok - TEXT", or "not ok - TEXT" and sets fail=1
#   need_payload     sets $payload to the freestanding guest (tests/guest) next to nestvm, or
#                    ends the scenario with a failure
#   need_asan        sets $vmm to the ASan/UBSan nestvm where there is one, else nestvm
#   $bin             the directory nestvm runs from
#   wait_for FILE RE SECONDS  waits until FILE has a match of RE (grep -E; partial lines too)
#   shell_session LINE RE CMD...  types LINE into the guest shell CMD boots (see below)
#   vmm_says RC TEXT  when RC is not 0, prints what nestvm itself logged in TEXT (its last 20
#                    "nestvm:" lines): why it stopped, where a guest's vCPU was
fail=0
bin=$(dirname "$(command -v nestvm)")

wait_for() {
	local i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# shell_session LINE RE CMD...: runs CMD (a nestvm run whose console is a guest shell) with
# its stdin on a pipe. Once the shell's prompt is out it types LINE, waits for a line matching
# RE, then sends Ctrl-A x. Sets $out (the console, CRs dropped) and $rc (CMD's status). Typing
# waits for the prompt: bytes that reach a UART before the guest opened its tty are dropped
# when the driver clears the FIFOs, as on real hardware.
shell_session() {
	local line=$1 re=$2 fifo log pid
	shift 2
	fifo=$(mktemp -u) log=$(mktemp)
	mkfifo "$fifo"
	"$@" <"$fifo" >"$log" 2>&1 &
	pid=$!
	exec 3>"$fifo"
	wait_for "$log" '^/ # ' 90 || echo "# no shell prompt in 90 s"
	printf '%s\n' "$line" >&3
	wait_for "$log" "$re" 30
	printf '\001x' >&3
	wait $pid
	rc=$?
	exec 3>&-
	out=$(tr -d '\r' <"$log")
	rm -f "$fifo" "$log"
}

vmm_says() {
	[ "$1" -eq 0 ] && return 0
	echo "# nestvm exited $1; what it logged:"
	echo "$2" | grep '^nestvm: ' | tail -n 20 | sed 's/^/  /'
}

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

# need_guest_module FLAVOUR: sets $modules to the initramfs piece with our virtio-iommu guest
# driver (tools/linux-guest/build FLAVOUR: test or debian) and $moddir to its directory, or
# ends the scenario with a failure. In the test host it is in /nestvm/guest-modules; natively
# in build/linux-guest.
need_guest_module() {
	moddir=$bin/../guest-modules
	modules=$moddir/$1.cpio.gz
	[ "$1" = debian ] && moddir=$moddir/debian modules=$moddir/modules.cpio.gz
	if [ ! -f "$modules" ]; then
		moddir=$bin/linux-guest/$1 modules=$bin/linux-guest/$1/modules.cpio.gz
	fi
	[ -f "$modules" ] || { echo "not ok - no guest module for $1 (tools/linux-guest/build $1)"; exit 1; }
}

# guest_initrd OUT SCRIPT [PIECE...]: OUT = the guest initramfs ($NESTVM_GUEST's, or the
# first PIECE's base), the PIECEs (e.g. $modules) and /test.sh holding SCRIPT, concatenated (the
# kernel unpacks them in order). Boot it with "-- /test.sh": a long script does not fit the
# kernel command line, which also knows no single quotes.
guest_initrd() {
	local out=$1 script=$2 dir
	shift 2
	dir=$(mktemp -d)
	printf '#!/bin/sh\n%s\n' "$script" >"$dir/test.sh"
	chmod 755 "$dir/test.sh"
	(cd "$dir" && echo test.sh | cpio -o -H newc -R 0:0 2>/dev/null | gzip) >"$dir/script.cpio.gz"
	cat "$NESTVM_GUEST/initramfs.cpio.gz" "$@" "$dir/script.cpio.gz" >"$out"
	rm -rf "$dir"
}

# dstat NAME TEXT: the value of NAME in our guest driver's stats (a line "stats ..." of
# /sys/class/iommu/*/nestvm/stats that the guest echoed) within TEXT.
dstat() { echo "$2" | grep "^stats " | sed -n "s/.* $1 \([0-9]*\).*/\1/p" | head -n 1; }

# vstat NAME TEXT: the value of NAME in nestvm's counters line (--viommu-stats) within TEXT.
vstat() { echo "$2" | sed -n "s/^nestvm: viommu: .* $1 \([0-9]*\).*/\1/p; s/^nestvm: viommu: $1 \([0-9]*\).*/\1/p" | head -n 1; }
