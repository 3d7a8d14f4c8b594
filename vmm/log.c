// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* Set once by the CLI before any thread starts; read-only afterwards. */
bool log_debug_enabled;

void log_msg(const char *level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	/* Build the whole line first so concurrent threads never interleave inside it. */
	n = snprintf(line, sizeof(line), "nestvm: %s%s", level ? level : "", level ? ": " : "");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (n && line[n - 1] != '\n' && n < (int)sizeof(line) - 1) {
		line[n++] = '\n';
		line[n] = '\0';
	}
	fputs(line, stderr);
}
