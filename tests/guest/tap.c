// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>

#include "serial.h"
#include "tap.h"

/* Single vCPU, single thread: plain counters. */
static unsigned int passed, failed;

bool tap_check(bool ok, const char *fmt, ...)
{
	va_list ap;

	serial_puts(ok ? "ok - " : "not ok - ");
	va_start(ap, fmt);
	serial_vprintf(fmt, ap);
	va_end(ap);
	serial_putc('\n');
	if (ok)
		passed++;
	else
		failed++;
	return ok;
}

unsigned int tap_summary(void)
{
	serial_printf("summary: %u passed, %u failed\n", passed, failed);
	return failed;
}
