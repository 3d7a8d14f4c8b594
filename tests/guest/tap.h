/* SPDX-License-Identifier: GPL-2.0 */
/* Test results on the console, one "ok - ..." / "not ok - ..." line each, and a summary. */
#ifndef GUEST_TAP_H
#define GUEST_TAP_H

#include <stdbool.h>

/* Prints one result line; returns @ok so callers can skip what depends on it. */
bool tap_check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "summary: N passed, N failed"; returns the number failed. */
unsigned int tap_summary(void);

#endif
