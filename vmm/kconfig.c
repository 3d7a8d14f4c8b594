// SPDX-License-Identifier: GPL-2.0
/*
 * `nestvm kconfig`: the table of the Linux options nestvm's features need, printed as a
 * merge_config.sh fragment, and `nestvm kconfig --check FILE` against a kernel's .config.
 *
 * What is not in the table, and why: the i8042 (nestvm's keyboard controller only resets: a
 * kernel without ACPI reboots through port 0x64 with no driver), the PCI host bridge's ECAM
 * (config mechanism #1 reaches the same registers, and extended capabilities are hidden),
 * and the drivers of passed-through devices (the user's to pick). A new feature adds its rows
 * here, next to each other, and the fragment and --check follow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kconfig.h"
#include "util.h"

#define F_64BIT "64-bit x86: nestvm loads a bzImage by the 64-bit boot protocol"
#define F_SMP "SMP: the vCPUs, found in the ACPI MADT or the MP table"
#define F_KVM "KVM guest support: kvmclock"
#define F_PVH "the PVH entry point: an ELF vmlinux as the kernel"
#define F_ACPI "ACPI: CPUs and interrupts (MADT), devices (DSDT), poweroff and reboot (FADT)"
#define F_MPTABLE "the MP table: CPUs and interrupts without ACPI"
#define F_SERIAL "the serial console: a 16550A at 0x3f8 (ttyS0), and kernel messages"
#define F_INITRD "an initramfs: nestvm's own, or --initrd"
#define F_OWN_INITRD \
	"nestvm's own initramfs: busybox, and /init, a script that mounts proc, sysfs, /dev"
#define F_VIRTIO "virtio-mmio: the virtio devices, found in the DSDT (LNRO0005)"
#define F_VIRTIO_CMDLINE "virtio-mmio devices on the kernel command line (virtio_mmio.device=)"
#define F_BLK "virtio-blk: the disks (/dev/vda, ...)"
#define F_NET "virtio-net: a NIC (eth0), with IPv4"
#define F_RNG "virtio-rng: /dev/hwrng"
#define F_VCON "virtio-console: hvc0 (boot it with console=hvc0)"
#define F_VIOMMU "the virtio-iommu, found through the ACPI VIOT"
#define F_PVPANIC "pvpanic (QEMU0001 in the DSDT), which every guest has"
#define F_RTC "the CMOS RTC (PNP0B00), which every guest has"
#define F_PCI "PCI: the host bridge (PNP0A08) and MSI-X, for passed-through functions"

#define U_ALL "every guest"
#define U_VIRTIO "each virtio device (--disk, --net, --rng, --console virtio, --viommu)"

const struct kconfig_option kconfig_options[] = {
	{ "64BIT", F_64BIT, U_ALL, false },
	{ "SMP", F_SMP, "--cpus", false },
	{ "HYPERVISOR_GUEST", F_KVM, "a stable clock", false },
	{ "PARAVIRT", F_KVM, "a stable clock", false },
	{ "KVM_GUEST", F_KVM, "a stable clock", false },
	{ "PVH", F_PVH, "-k vmlinux", false },
	{ "ACPI", F_ACPI, "a run without --virtio-cmdline", false },
	{ "X86_MPPARSE", F_MPTABLE, "--virtio-cmdline", false },
	{ "PRINTK", F_SERIAL, "--console serial (the default)", false },
	{ "TTY", F_SERIAL, "--console serial (the default)", false },
	{ "SERIAL_8250", F_SERIAL, "--console serial (the default)", true },
	{ "SERIAL_8250_CONSOLE", F_SERIAL, "--console serial (the default)", false },
	{ "BLK_DEV_INITRD", F_INITRD, U_ALL, false },
	{ "BINFMT_ELF", F_OWN_INITRD, "a run without --initrd", false },
	{ "BINFMT_SCRIPT", F_OWN_INITRD, "a run without --initrd", false },
	{ "PROC_FS", F_OWN_INITRD, "a run without --initrd", false },
	{ "SYSFS", F_OWN_INITRD, "a run without --initrd", false },
	{ "DEVTMPFS", F_OWN_INITRD, "a run without --initrd", false },
	{ "VIRTIO_MENU", F_VIRTIO, U_VIRTIO, false },
	{ "VIRTIO", F_VIRTIO, U_VIRTIO, false },
	{ "VIRTIO_MMIO", F_VIRTIO, U_VIRTIO, false },
	{ "VIRTIO_MMIO_CMDLINE_DEVICES", F_VIRTIO_CMDLINE, "--virtio-cmdline", false },
	{ "BLOCK", F_BLK, "--disk", false },
	{ "BLK_DEV", F_BLK, "--disk", false },
	{ "VIRTIO_BLK", F_BLK, "--disk", false },
	{ "NET", F_NET, "--net", false },
	{ "INET", F_NET, "--net", false },
	{ "NETDEVICES", F_NET, "--net", false },
	{ "NET_CORE", F_NET, "--net", false },
	{ "VIRTIO_NET", F_NET, "--net", false },
	{ "HW_RANDOM", F_RNG, "--rng", false },
	{ "HW_RANDOM_VIRTIO", F_RNG, "--rng", false },
	{ "VIRTIO_CONSOLE", F_VCON, "--console virtio", true },
	{ "IOMMU_SUPPORT", F_VIOMMU, "--viommu", false },
	{ "VIRTIO_IOMMU", F_VIOMMU, "--viommu", false },
	{ "ACPI_VIOT", F_VIOMMU, "--viommu", false },
	{ "PVPANIC", F_PVPANIC, "status 3 on a guest panic", false },
	{ "PVPANIC_MMIO", F_PVPANIC, "status 3 on a guest panic", false },
	{ "RTC_CLASS", F_RTC, "/dev/rtc0", false },
	{ "RTC_DRV_CMOS", F_RTC, "/dev/rtc0", false },
	{ "PCI", F_PCI, "--vfio", false },
	{ "PCI_MSI", F_PCI, "--vfio", false },
};
const size_t kconfig_noptions = ARRAY_SIZE(kconfig_options);

static bool name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* The length of the line without its "\n" or "\r\n". */
static size_t line_len(const char *line)
{
	size_t n = strcspn(line, "\n");

	if (n && line[n - 1] == '\r')
		n--;
	return n;
}

enum kconfig_state kconfig_parse_line(const char *line, const char **name, size_t *len)
{
	static const char prefix[] = "CONFIG_", not_set[] = " is not set";
	size_t n = line_len(line), i;
	const char *p = line, *value;
	size_t vlen;
	bool comment = false;

	if (n >= 2 && !strncmp(p, "# ", 2)) {
		comment = true;
		p += 2;
		n -= 2;
	}
	if (n < sizeof(prefix) - 1 || strncmp(p, prefix, sizeof(prefix) - 1))
		return KCONFIG_ABSENT;
	p += sizeof(prefix) - 1;
	n -= sizeof(prefix) - 1;
	for (i = 0; i < n && name_char(p[i]); i++)
		;
	if (!i)
		return KCONFIG_ABSENT;
	*name = p;
	*len = i;
	if (comment)
		return n - i == sizeof(not_set) - 1 && !strncmp(p + i, not_set, n - i)
			   ? KCONFIG_NOT_SET
			   : KCONFIG_ABSENT;
	if (i == n || p[i] != '=')
		return KCONFIG_ABSENT;
	value = p + i + 1;
	vlen = n - i - 1;
	if (vlen == 1 && *value == 'y')
		return KCONFIG_YES;
	if (vlen == 1 && *value == 'm')
		return KCONFIG_MODULE;
	if (vlen == 1 && *value == 'n')
		return KCONFIG_NOT_SET;
	return KCONFIG_OTHER;
}

/* 0, or -errno with @err once @out has failed (a full disk, a closed pipe). */
static int out_status(FILE *out, char *err, size_t errlen)
{
	int e;

	errno = 0;
	if (!fflush(out) && !ferror(out))
		return 0;
	e = errno ? errno : EIO;
	return errmsg(err, errlen, -e, "kconfig: writing the output: %s", strerror(e));
}

int kconfig_print(FILE *out, char *err, size_t errlen)
{
	const char *feature = NULL;

	fprintf(
	    out,
	    "# The Linux options a guest kernel needs for every feature of nestvm %s (x86-64),\n"
	    "# one group per feature, headed by what the guest gets and what of nestvm uses it.\n"
	    "# Merge onto a config: scripts/kconfig/merge_config.sh .config nestvm.config\n"
	    "# Check a built kernel: nestvm kconfig --check .config\n",
	    NESTVM_VERSION);
	for (size_t i = 0; i < kconfig_noptions; i++) {
		const struct kconfig_option *o = &kconfig_options[i];

		if (!feature || strcmp(feature, o->feature))
			fprintf(out, "\n# %s; for %s\n", o->feature, o->used_by);
		feature = o->feature;
		fprintf(out, "CONFIG_%s=y\n", o->name);
	}
	return out_status(out, err, errlen);
}

int kconfig_check_file(FILE *in, const char *path, FILE *out, char *err, size_t errlen)
{
	enum kconfig_state state[ARRAY_SIZE(kconfig_options)] = { 0 };
	unsigned int missing = 0, modules = 0, lines = 0;
	char *line = NULL;
	size_t cap = 0;
	int ret;

	errno = 0;
	while (getline(&line, &cap, in) >= 0) {
		enum kconfig_state s;
		const char *name;
		size_t len;

		s = kconfig_parse_line(line, &name, &len);
		if (s == KCONFIG_ABSENT)
			continue;
		lines++;
		for (size_t i = 0; i < kconfig_noptions; i++) {
			if (strlen(kconfig_options[i].name) == len &&
			    !strncmp(kconfig_options[i].name, name, len))
				state[i] = s;
		}
	}
	free(line);
	if (ferror(in)) {
		int e = errno ? errno : EIO;

		return errmsg(err, errlen, -e, "kconfig --check %s: %s", path, strerror(e));
	}
	if (!lines)
		return errmsg(err, errlen, -ENOEXEC,
			      "kconfig --check %s: no CONFIG_ line: not a kernel .config (a "
			      "gzipped one, such as /proc/config.gz: --check <(zcat FILE))",
			      path);

	for (size_t i = 0; i < kconfig_noptions; i++) {
		const struct kconfig_option *o = &kconfig_options[i];

		switch (state[i]) {
		case KCONFIG_YES:
			continue;
		case KCONFIG_MODULE:
			if (!o->builtin)
				continue;
			fprintf(out,
				"CONFIG_%s=m is not enough: %s needs it built in (=y), as the "
				"kernel opens the console before it can load a module (%s)\n",
				o->name, o->used_by, o->feature);
			break;
		case KCONFIG_OTHER:
			fprintf(out, "CONFIG_%s is not =y: %s needs it (%s)\n", o->name, o->used_by,
				o->feature);
			break;
		case KCONFIG_ABSENT:
		case KCONFIG_NOT_SET:
			fprintf(out, "CONFIG_%s is not set: %s needs it (%s)\n", o->name,
				o->used_by, o->feature);
			break;
		}
		missing++;
	}
	for (size_t i = 0; i < kconfig_noptions; i++) {
		const struct kconfig_option *o = &kconfig_options[i];

		if (state[i] != KCONFIG_MODULE || o->builtin)
			continue;
		fprintf(out,
			"CONFIG_%s=m: counted, but as a module %s needs an --initrd that loads "
			"it (nestvm's own initramfs has none)\n",
			o->name, o->used_by);
		modules++;
	}
	if (missing)
		fprintf(out, "%s: %u of the %zu options nestvm's features need %s missing", path,
			missing, kconfig_noptions, missing == 1 ? "is" : "are");
	else
		fprintf(out, "%s: has all %zu options nestvm's features need", path,
			kconfig_noptions);
	if (modules)
		fprintf(out, "; %u %s as %s (above)", modules, missing ? "more" : "of them",
			modules == 1 ? "a module" : "modules");
	fputc('\n', out);
	ret = out_status(out, err, errlen);
	return ret ? ret : (int)missing;
}

int kconfig_check(const char *path, FILE *out, char *err, size_t errlen)
{
	FILE *in = fopen(path, "r");
	int ret;

	if (!in) {
		int e = errno;

		return errmsg(
		    err, errlen, -e, "kconfig --check %s: %s%s", path, strerror(e),
		    e == ENOENT ? " (give a kernel tree's .config, or /boot/config-VERSION)" : "");
	}
	ret = kconfig_check_file(in, path, out, err, errlen);
	fclose(in);
	return ret;
}
