#!/bin/sh
# /init of the initramfs nestvm builds when given no --initrd (and of the test host's guest):
# mount the basics, then run what follows "--" on the kernel command line (the kernel hands it
# to init as arguments) or start a shell. Poweroff at the end ends nestvm with status 0; a
# guest without ACPI (nestvm --virtio-cmdline, acpi=off) cannot power off (x86 Linux then
# halts for good), so it reboots instead: nestvm ends with status 4.
/bin/busybox mount -t proc proc /proc
# nestvm's own initramfs carries only busybox: make the applet links (needs /proc/self/exe).
[ -e /bin/mount ] || /bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /sys /dev /tmp
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "nestvm-guest: init after $(cut -d' ' -f1 /proc/uptime) s, $(nproc) CPUs"
if [ $# -gt 0 ]; then
	"$@"
	echo "nestvm-guest: exit $?"
else
	setsid cttyhack sh
fi
[ -d /sys/firmware/acpi ] || reboot -f
poweroff -f
