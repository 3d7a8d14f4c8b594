// SPDX-License-Identifier: GPL-2.0
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fault_inject.h"
#include "kconfig.h"
#include "log.h"
#include "machine.h"
#include "probe.h"
#include "seccomp.h"

static uint64_t host_ram(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	return pages > 0 && page > 0 ? (uint64_t)pages * page : 0;
}

static int cmd_run(const struct vm_opts *o)
{
	char err[256];

	if (vm_opts_check_host(o, host_ram(), err, sizeof(err))) {
		pr_err("%s", err);
		return EXIT_ERROR;
	}
	return machine_run(o);
}

/* kconfig: the fragment (0), or the check: 0 nothing missing, 1 something, or an error. */
static int cmd_kconfig(const char *check)
{
	char err[512];
	int ret;

	ret = check ? kconfig_check(check, stdout, err, sizeof(err))
		    : kconfig_print(stdout, err, sizeof(err));
	if (ret < 0)
		pr_err("%s", err);
	return ret ? EXIT_ERROR : 0;
}

int main(int argc, char **argv)
{
	enum cli_command cmd;
	struct vm_opts opts;
	char err[512];

	if (cli_parse(argc, argv, &cmd, &opts, err, sizeof(err))) {
		pr_err("%s", err);
		return 2;
	}
	log_debug_enabled = opts.debug;
	if (fault_inject_init_from_env(err, sizeof(err))) {
		pr_err("%s", err);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN); /* a closed console must not kill nestvm; writes report EPIPE */
	switch (cmd) {
	case CLI_HELP:
		fputs(cli_help_text, stdout);
		return 0;
	case CLI_VERSION:
		printf("nestvm %s\n", NESTVM_VERSION);
		return 0;
	case CLI_PROBE:
		return probe_host();
	case CLI_KCONFIG:
		return cmd_kconfig(opts.kconfig_check);
	case CLI_SECCOMP_LIST:
		seccomp_print_rules();
		return 0;
	case CLI_RUN:
		return cmd_run(&opts);
	case CLI_USAGE:
		break;
	}
	fputs("usage: nestvm COMMAND [OPTIONS]; see nestvm --help\n", stderr);
	return 2;
}
