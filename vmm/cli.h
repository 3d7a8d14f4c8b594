/* SPDX-License-Identifier: GPL-2.0 */
/* The command line: which command, and the options of `nestvm run`. */
#ifndef NESTVM_CLI_H
#define NESTVM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NESTVM_VERSION "0.1.0"

#define VM_MEM_DEFAULT (256ULL << 20)
#define VM_MEM_MIN (32ULL << 20)
#define VM_CPUS_MAX 254 /* xAPIC ids 0..254; 255 is the broadcast id */

enum cli_command {
	CLI_USAGE, /* nothing sensible asked: print usage, exit 2 */
	CLI_HELP,
	CLI_VERSION,
	CLI_RUN,
	CLI_PROBE,
	CLI_KCONFIG, /* kconfig [--check FILE]: the guest kernel's config fragment, or a check */
	CLI_SECCOMP_LIST, /* --seccomp-list: print the syscall allowlists, exit 0 */
};

#define VM_DISKS_MAX 4

struct vm_disk {
	char path[4096];
	bool readonly;
};

#define VM_VFIO_MAX 4

struct vm_opts {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	uint64_t mem;
	unsigned int cpus;
	bool debug;
	struct vm_disk disks[VM_DISKS_MAX];
	unsigned int ndisks;
	char tap[16]; /* --net tap=NAME; "" for none */
	bool rng;
	bool virtio_console; /* stdin/stdout on a virtio-console (hvc0) instead of the UART */
	bool viommu; /* a virtio-iommu, with every virtio device behind it */
	const char *vfio[VM_VFIO_MAX]; /* --vfio: a VFIO cdev path or a PCI address */
	unsigned int nvfio;
	/* an iommufd selftest mock device behind the virtio-iommu (vmm/test_endpoint.h) */
	bool viommu_test_endpoint;
	bool viommu_stats; /* the vIOMMU's counters line at exit */
	/* virtio devices on the kernel command line, the machine in an MP table, no ACPI */
	bool virtio_cmdline;
	bool no_seccomp;
	int seccomp_selftest; /* a thread kind that calls a forbidden syscall, or -1 */
	const char *kconfig_check; /* not run's: the FILE of `kconfig --check FILE`, or NULL */
};

/*
 * Parses argv. Returns 0 and fills @cmd and @opts, or -EINVAL with a one-line reason that
 * names the fix in @err.
 */
int cli_parse(int argc, char **argv, enum cli_command *cmd, struct vm_opts *opts, char *err,
	      size_t errlen);

/* "512M", "2G", "1048576": bytes into *out. -EINVAL for junk, -ERANGE past 2^64. */
int parse_size(const char *s, uint64_t *out);

/* Checks the options against this host (@host_mem bytes of RAM); 0 or -EINVAL with @err. */
int vm_opts_check_host(const struct vm_opts *opts, uint64_t host_mem, char *err, size_t errlen);

extern const char cli_help_text[];

struct option;
/*
 * The options of run as getopt_long() takes them (the table ends in a zeroed entry) and, in
 * *@shortopts unless NULL, its short options; for checking cli_help_text against them.
 */
const struct option *cli_run_options(const char **shortopts);
/* The @i-th command cli_parse() knows as argv[1] ("run", "--help", ...), NULL past the last. */
const char *cli_command_name(unsigned int i);

#endif
