/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Messages to stderr, one line each. Errors are printed once, where the context is known,
 * and name the object and the fix.
 */
#ifndef NESTVM_LOG_H
#define NESTVM_LOG_H

#include <stdbool.h>

extern bool log_debug_enabled;

void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...) log_msg("error", __VA_ARGS__)
#define pr_warn(...) log_msg("warning", __VA_ARGS__)
#define pr_info(...) log_msg(NULL, __VA_ARGS__)
#define pr_debug(...)                                  \
	do {                                           \
		if (log_debug_enabled)                 \
			log_msg("debug", __VA_ARGS__); \
	} while (0)

#endif
