/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NESTVM_MACHINE_H
#define NESTVM_MACHINE_H

#include "cli.h"

/* nestvm's exit statuses, as --help documents them. */
enum {
	EXIT_POWEROFF = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_GUEST_PANIC = 3,
	EXIT_GUEST_RESET = 4,
	EXIT_SIGNAL_BASE = 128, /* + the signal's number */
};

/* Builds the machine @opts describes, boots it, runs it to its end; returns the exit status. */
int machine_run(const struct vm_opts *opts);

#endif
