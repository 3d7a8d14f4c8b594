/* SPDX-License-Identifier: GPL-2.0 */
/* Output on COM1 (16550A, polled), with a small printf. */
#ifndef GUEST_SERIAL_H
#define GUEST_SERIAL_H

#include <stdarg.h>

void serial_putc(char c);
void serial_puts(const char *s);
/*
 * printf for what the payloads print: %s %c %d %u %x and %%, with the l/ll length
 * modifiers, a field width, '-' (left-align), '0' (zero-pad) and '#' (0x) flags.
 */
void serial_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void serial_vprintf(const char *fmt, va_list ap);

#endif
