/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-thread syscall allowlists (libseccomp). Each thread installs its own before it touches
 * guest-controlled data; a call outside the list traps, and the SIGSYS handler prints the
 * thread and the call's name and ends the process with status 159 (128 + SIGSYS).
 */
#ifndef NESTVM_SECCOMP_H
#define NESTVM_SECCOMP_H

#include <stdbool.h>

enum seccomp_thread {
	SECCOMP_MAIN,
	SECCOMP_VCPU,
	SECCOMP_IOLOOP,
	SECCOMP_INVALQ,
	SECCOMP_THREAD_KINDS,
};

#define SECCOMP_KILL_STATUS 159

/*
 * Call once, before any thread starts: installs the SIGSYS reporter and resolves syscall
 * names (the handler cannot allocate). @enabled false (--no-seccomp) makes install a no-op.
 * @selftest (>= 0: a thread kind) makes that thread call a forbidden syscall on purpose.
 */
int seccomp_setup(bool enabled, int selftest);
int seccomp_install(enum seccomp_thread kind, const char *thread_name);
/* Where the --seccomp-selftest thread misbehaves: right after its filter is in place. */
void seccomp_selftest_point(enum seccomp_thread kind);
/* "main", "vcpu", "io", "invalq" to a kind; -1 when unknown. */
int seccomp_thread_by_name(const char *name);

/* The allowlist of @kind, for the audit: *n entries of { syscall name, why }. */
struct seccomp_rule {
	const char *name;
	const char *why;
};
const struct seccomp_rule *seccomp_rules(enum seccomp_thread kind, unsigned int *n);
/* The name a kind goes by on the command line and in --seccomp-list: "main", "vcpu", ... */
const char *seccomp_thread_kind_name(enum seccomp_thread kind);
/* nestvm --seccomp-list: every kind's allowlist with its reasons, to stdout. */
void seccomp_print_rules(void);

#endif
