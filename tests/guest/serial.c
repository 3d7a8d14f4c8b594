// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdint.h>

#include "arch.h"
#include "serial.h"

#define COM1 0x3f8
#define LSR 5
#define LSR_THRE 0x20

void serial_putc(char c)
{
	if (c == '\n')
		serial_putc('\r');
	while (!(inb(COM1 + LSR) & LSR_THRE))
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

static void pad(int n, char c)
{
	while (n-- > 0)
		serial_putc(c);
}

/* One field: @s of @len characters in @width, left- or right-aligned. */
static void field(const char *s, int len, int width, int left, char fill)
{
	if (!left)
		pad(width - len, fill);
	for (int i = 0; i < len; i++)
		serial_putc(s[i]);
	if (left)
		pad(width - len, ' ');
}

static void number(uint64_t v, unsigned int base, int neg, int width, int left, char fill)
{
	char buf[24];
	int i = sizeof(buf);

	do {
		buf[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[--i] = '-';
	field(buf + i, (int)sizeof(buf) - i, width, left, fill);
}

void serial_vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int left = 0, alt = 0, width = 0, longs = 0;
		char fill = ' ';
		uint64_t u;
		int64_t d;

		if (*fmt != '%') {
			serial_putc(*fmt);
			continue;
		}
		fmt++;
		for (; *fmt == '-' || *fmt == '0' || *fmt == '#'; fmt++) {
			if (*fmt == '-')
				left = 1;
			else if (*fmt == '#')
				alt = 1;
			else
				fill = '0';
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		for (; *fmt == 'l'; fmt++)
			longs++;
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len = 0;

			while (s[len])
				len++;
			field(s, len, width, left, ' ');
			break;
		}
		case 'c':
			serial_putc((char)va_arg(ap, int));
			break;
		case 'd':
			d = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			number(d < 0 ? -(uint64_t)d : (uint64_t)d, 10, d < 0, width, left, fill);
			break;
		case 'u':
		case 'x':
			u = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
			if (alt && *fmt == 'x')
				serial_puts("0x");
			number(u, *fmt == 'u' ? 10 : 16, 0, width, left, fill);
			break;
		case '%':
			serial_putc('%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			serial_putc('%');
			serial_putc(*fmt);
			break;
		}
	}
}

void serial_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	serial_vprintf(fmt, ap);
	va_end(ap);
}
