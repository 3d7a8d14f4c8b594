// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kvm.h"
#include "log.h"
#include "probe.h"

static uint64_t host_ram(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	return pages > 0 && page > 0 ? (uint64_t)pages * page : 0;
}

static int check_readable(const char *what, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		pr_err("%s %s: %s", what, path, strerror(errno));
		return -errno;
	}
	close(fd);
	return 0;
}

static int cmd_run(const struct vm_opts *o)
{
	char err[256];
	int kvm;

	if (check_readable("kernel", o->kernel) ||
	    (o->initrd && check_readable("initrd", o->initrd)))
		return 1;
	if (vm_opts_check_host(o, host_ram(), err, sizeof(err))) {
		pr_err("%s", err);
		return 1;
	}
	kvm = kvm_open(NULL);
	if (kvm < 0) {
		pr_err("%s: %s: %s", KVM_PATH, strerror(-kvm), kvm_open_hint(kvm));
		return 1;
	}
	close(kvm);
	pr_err("KVM is usable, but this build cannot boot a guest yet (see nestvm --help)");
	return 1;
}

int main(int argc, char **argv)
{
	enum cli_command cmd;
	struct vm_opts opts;
	char err[256];

	if (cli_parse(argc, argv, &cmd, &opts, err, sizeof(err))) {
		pr_err("%s", err);
		return 2;
	}
	log_debug_enabled = opts.debug;
	switch (cmd) {
	case CLI_HELP:
		fputs(cli_help_text, stdout);
		return 0;
	case CLI_VERSION:
		printf("nestvm %s\n", NESTVM_VERSION);
		return 0;
	case CLI_PROBE:
		return probe_host();
	case CLI_RUN:
		return cmd_run(&opts);
	case CLI_USAGE:
		break;
	}
	fputs("usage: nestvm COMMAND [OPTIONS]; see nestvm --help\n", stderr);
	return 2;
}
