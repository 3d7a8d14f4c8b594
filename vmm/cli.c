// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "devices/virtio_blk.h"
#include "seccomp.h"
#include "util.h"

const char cli_help_text[] =
    "usage: nestvm COMMAND [OPTIONS]\n"
    "\n"
    "A small KVM virtual machine monitor with a virtio-iommu backed by iommufd.\n"
    "\n"
    "Commands:\n"
    "  run      boot a Linux guest on the serial console: a bzImage (64-bit boot protocol)\n"
    "           or an ELF vmlinux built with CONFIG_PVH; without --initrd it gets a busybox\n"
    "           initramfs (from the host's busybox-static) with a shell\n"
    "  probe    report what this host offers nestvm: KVM, iommufd, nesting (on the iommufd\n"
    "           selftest mock when the kernel has it), and VFIO device cdevs with their IOMMU\n"
    "  kconfig  print the Linux config fragment a guest kernel needs for every nestvm\n"
    "           feature, in the format of scripts/kconfig/merge_config.sh\n"
    "  kconfig --check FILE\n"
    "           read a kernel's .config and print each option it lacks, with the nestvm\n"
    "           feature that needs it; =m counts (the feature then needs an --initrd that\n"
    "           loads the module), but not for the consoles (ttyS0, hvc0): they must be =y.\n"
    "           Status 0: nothing missing; 1: something missing, or FILE unreadable\n"
    "  help     this text (also -h, --help)\n"
    "  version  the version (also --version)\n"
    "\n"
    "Options of run:\n"
    "  -k, --kernel PATH    the guest kernel: a bzImage or a PVH vmlinux (required)\n"
    "  -i, --initrd PATH    an initramfs for the guest\n"
    "  -p, --cmdline STR    the guest kernel command line (default: console=ttyS0);\n"
    "                       with nestvm's own initramfs, a command after \" -- \" runs\n"
    "                       instead of the shell, then the guest powers off\n"
    "  -m, --mem SIZE       guest RAM, with K/M/G suffix (default 256M, at least 32M)\n"
    "  -c, --cpus N         vCPUs, 1 to 254 (default 1)\n"
    "  -d, --debug          print debug messages\n"
    "\n"
    "Devices, on virtio-mmio (an ACPI kernel finds them in the DSDT; at most 8 in all):\n"
    "  --disk PATH[,ro]     a virtio-blk disk backed by the file PATH (up to 4)\n"
    "  --net tap=NAME       a virtio-net NIC on the host's tap device NAME\n"
    "  --rng                a virtio-rng (the guest's /dev/hwrng)\n"
    "  --console KIND       serial (ttyS0, the default) or virtio (a virtio-console, hvc0)\n"
    "  --viommu             a virtio-iommu, found through the ACPI VIOT, that translates the\n"
    "                       DMA of every virtio device and of --vfio devices; a guest that\n"
    "                       speaks nestvm's nesting extension (docs/virtio-iommu-nested.md)\n"
    "                       hands it its own page tables: nested HWPTs where the host IOMMU\n"
    "                       nests, shadowed where it does not\n"
    "  --virtio-cmdline     for kernels without ACPI: put the virtio devices on the kernel\n"
    "                       command line (virtio_mmio.device=, the kernel needs\n"
    "                       CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES) and describe the machine\n"
    "                       in an MP table only, with no ACPI tables; not with --viommu.\n"
    "                       Without ACPI the guest cannot power off: its poweroff halts\n"
    "                       (stop it with Ctrl-A x), its reboot ends nestvm with status 4,\n"
    "                       and nestvm's own initramfs reboots instead of powering off\n"
    "  --vfio DEV           pass a PCI device through: DEV is its VFIO cdev\n"
    "                       (/dev/vfio/devices/vfioN) or its address (0000:03:00.0), bound\n"
    "                       to vfio-pci; it needs MSI-X; its DMA goes through iommufd (up\n"
    "                       to 4)\n"
    "\n"
    "Debugging (not for normal use):\n"
    "  --viommu-test-endpoint\n"
    "                       with --viommu, on a host kernel with CONFIG_IOMMUFD_TEST and no\n"
    "                       --vfio: an iommufd selftest mock device behind the virtio-iommu\n"
    "                       as endpoint 0x200, with nested tables (table format SELFTEST).\n"
    "                       The guest sees only the endpoint id (no device, no VIOT node);\n"
    "                       -d logs the mock's IOTLB, checked after every INVALIDATE\n"
    "  --viommu-stats       with --viommu: at exit, one line on stderr of what the guest\n"
    "                       asked (ATTACH, ATTACH_TABLE, MAP, UNMAP, INVALIDATE by queue,\n"
    "                       errors) and what it cost the host (HWPT_INVALIDATE, IOAS\n"
    "                       maps and unmaps, the shadow's and MAP's), as NAME N pairs;\n"
    "                       -d prints it too\n"
    "  --no-seccomp         run without the per-thread syscall filters (loudly warned)\n"
    "  --seccomp-selftest THREAD\n"
    "                       make THREAD (main, vcpu, io or invalq) call a forbidden syscall,\n"
    "                       to see the filter kill nestvm and name the call (invalq: the\n"
    "                       invalidation queue's thread, with --viommu)\n"
    "  nestvm --seccomp-list\n"
    "                       print each thread's syscall allowlist, with why it needs every\n"
    "                       call, and exit\n"
    "  NESTVM_INVALQ=poll_us=N,files=0|1,single_issuer=0|1,defer_taskrun=0|1\n"
    "                       (environment) the invalidation queue thread's knobs; by default\n"
    "                       it busy-polls 20 us when the host has a CPU to spare (README)\n"
    "  NESTVM_CHECK_FDS=1   (environment) after the guest stops and everything is torn\n"
    "                       down, list nestvm's open fds: each one other than 0, 1, 2\n"
    "                       and those nestvm inherited is an error line naming its\n"
    "                       target, and makes the status 1\n"
    "  NESTVM_FAULT=OP:ERRNO[:after=N][:times=M][,...]\n"
    "                       (environment, tests only) make chosen iommufd, VFIO and KVM\n"
    "                       calls fail, each failure logged (README: fault injection);\n"
    "                       ioloop_enter and invalq_enter fail the io loop's or the\n"
    "                       invalidation queue thread's io_uring_enter: the thread dies,\n"
    "                       which must stop the VM with status 1;\n"
    "                       viommu_attach_table and viommu_invalidate make the\n"
    "                       vIOMMU refuse a valid ATTACH_TABLE (the errno's status) or\n"
    "                       fail a valid INVALIDATE (IOERR); viommu_table_format\n"
    "                       drops PROBE's TABLE_FORMAT (ENOENT) or names an unknown\n"
    "                       format (other errnos); viommu_needs_reset makes the device\n"
    "                       ask for a reset and stop answering its request queues\n"
    "\n"
    "The console: stdin goes to the guest's ttyS0 (raw mode on a terminal). Ctrl-A x stops\n"
    "the guest; Ctrl-A Ctrl-A sends one Ctrl-A.\n"
    "\n"
    "Exit status of run: 0 the guest powered off; 1 an error; 2 bad usage; 3 the guest\n"
    "panicked (pvpanic); 4 the guest rebooted; 128+N stopped by signal N (Ctrl-A x: 130);\n"
    "159 a seccomp filter stopped nestvm.\n"
    "\n"
    "No /dev/kvm here? Run nestvm inside the project's test host: see README.md\n"
    "(tools/testhost/run mock -- nestvm ...).\n";

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1]) /* one suffix letter, nothing after it */
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_cpus(const char *s, unsigned int *cpus)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > VM_CPUS_MAX)
		return -EINVAL;
	*cpus = v;
	return 0;
}

static int parse_disk(const char *arg, struct vm_opts *o, char *err, size_t errlen)
{
	struct vm_disk *d = &o->disks[o->ndisks];

	if (o->ndisks == VM_DISKS_MAX)
		return errmsg(err, errlen, -EINVAL, "--disk %s: at most %d disks", arg,
			      VM_DISKS_MAX);
	if (virtio_blk_parse_arg(arg, d->path, sizeof(d->path), &d->readonly, err, errlen))
		return -EINVAL;
	o->ndisks++;
	return 0;
}

/* The options of run; every one needs an entry in cli_help_text (tests/unit/test_cli.c checks). */
static const struct option run_options[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "cmdline", required_argument, NULL, 'p' },
	{ "mem", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "debug", no_argument, NULL, 'd' },
	{ "disk", required_argument, NULL, 'D' },
	{ "rng", no_argument, NULL, 'R' },
	{ "net", required_argument, NULL, 'N' },
	{ "console", required_argument, NULL, 'O' },
	{ "viommu", no_argument, NULL, 'V' },
	{ "vfio", required_argument, NULL, 'F' },
	{ "virtio-cmdline", no_argument, NULL, 'L' },
	{ "viommu-test-endpoint", no_argument, NULL, 'E' },
	{ "viommu-stats", no_argument, NULL, 'C' },
	{ "no-seccomp", no_argument, NULL, 'S' },
	{ "seccomp-selftest", required_argument, NULL, 'T' },
	{ NULL, 0, NULL, 0 },
};
static const char run_shortopts[] = ":k:i:p:m:c:d";

const struct option *cli_run_options(const char **shortopts)
{
	if (shortopts)
		*shortopts = run_shortopts + 1; /* without the leading ':' */
	return run_options;
}

static int parse_run(int argc, char **argv, struct vm_opts *o, char *err, size_t errlen)
{
	int c;

	optind = 0; /* GNU getopt: 0 re-initialises, so cli_parse() can run more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, run_shortopts, run_options, NULL)) != -1) {
		switch (c) {
		case 'k':
			o->kernel = optarg;
			break;
		case 'i':
			o->initrd = optarg;
			break;
		case 'p':
			o->cmdline = optarg;
			break;
		case 'm':
			if (parse_size(optarg, &o->mem))
				return errmsg(err, errlen, -EINVAL,
					      "--mem %s: not a size; write it like 512M or 2G",
					      optarg);
			if (o->mem < VM_MEM_MIN)
				return errmsg(
				    err, errlen, -EINVAL,
				    "--mem %s: too small; a Linux guest needs at least 32M",
				    optarg);
			break;
		case 'c':
			if (parse_cpus(optarg, &o->cpus))
				return errmsg(err, errlen, -EINVAL,
					      "--cpus %s: give a number from 1 to %d", optarg,
					      VM_CPUS_MAX);
			break;
		case 'd':
			o->debug = true;
			break;
		case 'D':
			if (parse_disk(optarg, o, err, errlen))
				return -EINVAL;
			break;
		case 'R':
			o->rng = true;
			break;
		case 'O':
			if (strcmp(optarg, "serial") && strcmp(optarg, "virtio"))
				return errmsg(
				    err, errlen, -EINVAL,
				    "--console %s: choose serial (ttyS0) or virtio (hvc0)", optarg);
			o->virtio_console = !strcmp(optarg, "virtio");
			break;
		case 'N':
			if (strncmp(optarg, "tap=", 4) || !optarg[4] ||
			    strlen(optarg + 4) >= sizeof(o->tap))
				return errmsg(
				    err, errlen, -EINVAL,
				    "--net %s: write it as --net tap=NAME (a name of 1 to "
				    "15 characters)",
				    optarg);
			strcpy(o->tap, optarg + 4);
			break;
		case 'V':
			o->viommu = true;
			break;
		case 'F':
			if (o->nvfio == VM_VFIO_MAX)
				return errmsg(err, errlen, -EINVAL,
					      "--vfio %s: at most %d passthrough devices", optarg,
					      VM_VFIO_MAX);
			if (!*optarg)
				return errmsg(err, errlen, -EINVAL,
					      "--vfio needs a device: /dev/vfio/devices/vfioN or a "
					      "PCI address such as 0000:03:00.0");
			o->vfio[o->nvfio++] = optarg;
			break;
		case 'L':
			o->virtio_cmdline = true;
			break;
		case 'E':
			o->viommu_test_endpoint = true;
			break;
		case 'C':
			o->viommu_stats = true;
			break;
		case 'S':
			o->no_seccomp = true;
			break;
		case 'T':
			o->seccomp_selftest = seccomp_thread_by_name(optarg);
			if (o->seccomp_selftest < 0)
				return errmsg(
				    err, errlen, -EINVAL,
				    "--seccomp-selftest %s: name a thread: main, vcpu, io or invalq",
				    optarg);
			break;
		case ':':
			return errmsg(err, errlen, -EINVAL, "%s needs a value; see nestvm --help",
				      argv[optind - 1]);
		default:
			return errmsg(err, errlen, -EINVAL, "unknown option %s; see nestvm --help",
				      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return errmsg(err, errlen, -EINVAL, "unexpected argument '%s'; see nestvm --help",
			      argv[optind]);
	if (!o->kernel)
		return errmsg(err, errlen, -EINVAL,
			      "run needs a kernel: nestvm run -k PATH/TO/bzImage");
	if (o->viommu && o->virtio_cmdline)
		return errmsg(err, errlen, -EINVAL,
			      "--viommu needs ACPI (the guest finds the virtio-iommu in the VIOT "
			      "table), which --virtio-cmdline leaves out: drop one of them");
	if (o->viommu_stats && !o->viommu)
		return errmsg(err, errlen, -EINVAL,
			      "--viommu-stats counts the virtio-iommu's requests: add --viommu");
	if (o->viommu_test_endpoint && !o->viommu)
		return errmsg(err, errlen, -EINVAL,
			      "--viommu-test-endpoint is an endpoint of the virtio-iommu: add "
			      "--viommu");
	if (o->viommu_test_endpoint && o->nvfio)
		return errmsg(
		    err, errlen, -EINVAL,
		    "--viommu-test-endpoint needs the iommufd selftest mock, which a host "
		    "with a real IOMMU (what --vfio needs) refuses: drop one of them");
	return 0;
}

/* kconfig's arguments (argv[0] is "kconfig"): nothing, or --check FILE. */
static int parse_kconfig(int argc, char **argv, struct vm_opts *o, char *err, size_t errlen)
{
	if (argc == 1)
		return 0;
	if (strcmp(argv[1], "--check"))
		return errmsg(err, errlen, -EINVAL,
			      argv[1][0] == '-'
				  ? "kconfig: unknown option %s; see nestvm --help"
				  : "kconfig: unexpected argument '%s'; see nestvm --help",
			      argv[1]);
	if (argc == 2 || !argv[2][0])
		return errmsg(
		    err, errlen, -EINVAL,
		    "kconfig --check needs a file: nestvm kconfig --check PATH/TO/.config");
	if (argc > 3)
		return errmsg(err, errlen, -EINVAL,
			      "kconfig --check takes one file (got '%s' too); see nestvm --help",
			      argv[3]);
	o->kconfig_check = argv[2];
	return 0;
}

/* The commands, as argv[1]; each needs a mention in cli_help_text (test_cli.c checks). */
static const struct {
	const char *name;
	enum cli_command cmd;
} commands[] = {
	{ "run", CLI_RUN },
	{ "probe", CLI_PROBE },
	{ "kconfig", CLI_KCONFIG },
	{ "help", CLI_HELP },
	{ "-h", CLI_HELP },
	{ "--help", CLI_HELP },
	{ "version", CLI_VERSION },
	{ "--version", CLI_VERSION },
	{ "--seccomp-list", CLI_SECCOMP_LIST },
};

const char *cli_command_name(unsigned int i)
{
	return i < sizeof(commands) / sizeof(commands[0]) ? commands[i].name : NULL;
}

int cli_parse(int argc, char **argv, enum cli_command *cmd, struct vm_opts *opts, char *err,
	      size_t errlen)
{
	const char *verb = argc > 1 ? argv[1] : NULL;
	unsigned int i;

	*opts = (struct vm_opts){
		.cmdline = "console=ttyS0", .mem = VM_MEM_DEFAULT, .cpus = 1, .seccomp_selftest = -1
	};
	err[0] = '\0';
	*cmd = CLI_USAGE;
	if (!verb)
		return 0;
	for (i = 0; cli_command_name(i) && strcmp(verb, cli_command_name(i)); i++)
		;
	if (!cli_command_name(i))
		return errmsg(
		    err, errlen, -EINVAL,
		    "unknown command '%s'; commands are run, probe, kconfig, help, version", verb);
	*cmd = commands[i].cmd;
	switch (*cmd) {
	case CLI_SECCOMP_LIST:
		if (argc > 2)
			return errmsg(err, errlen, -EINVAL,
				      "--seccomp-list takes no arguments (got '%s')", argv[2]);
		break;
	case CLI_PROBE:
		if (argc > 2)
			return errmsg(err, errlen, -EINVAL, "probe takes no arguments (got '%s')",
				      argv[2]);
		break;
	case CLI_KCONFIG:
		return parse_kconfig(argc - 1, argv + 1, opts, err, errlen);
	case CLI_RUN:
		return parse_run(argc - 1, argv + 1, opts, err, errlen);
	default:
		break;
	}
	return 0;
}

int vm_opts_check_host(const struct vm_opts *opts, uint64_t host_mem, char *err, size_t errlen)
{
	/* Leave the host a quarter of its RAM (or at least 256M) for itself and for nestvm. */
	uint64_t reserve = host_mem / 4 > (256ULL << 20) ? host_mem / 4 : 256ULL << 20;
	uint64_t limit = host_mem > reserve ? host_mem - reserve : 0;

	if (opts->mem > limit)
		return errmsg(
		    err, errlen, -EINVAL,
		    "--mem %llu MiB is more than this host can give (%llu MiB of %llu MiB "
		    "RAM); ask for less",
		    (unsigned long long)(opts->mem >> 20), (unsigned long long)(limit >> 20),
		    (unsigned long long)(host_mem >> 20));
	return 0;
}
