/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NESTVM_CHECK_FDS=1: a debug check that teardown closes every fd nestvm opened. At the end
 * of machine_run each fd still open, other than 0, 1, 2 and those nestvm inherited, is an
 * error line naming its target.
 *
 * The main thread's seccomp filter has no openat or getdents64, and a debug mode must not
 * widen it: the listing runs on a helper thread started before that filter, asleep on a
 * condition variable (futex, no fd of its own) until teardown is done.
 */
#ifndef NESTVM_FDCHECK_H
#define NESTVM_FDCHECK_H

/* At the start of machine_run: reads NESTVM_CHECK_FDS and notes the inherited fds. */
void fdcheck_init(void);
/* Before the main thread's filter: starts the helper thread. 0 or -errno. */
int fdcheck_arm(void);
/* After teardown: lists the fds (on the helper thread when armed); the number leaked. */
int fdcheck_finish(void);

#endif
