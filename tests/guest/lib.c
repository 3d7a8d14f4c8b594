// SPDX-License-Identifier: GPL-2.0
#include "lib.h"

void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;

	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (uint8_t)*a - (uint8_t)*b;
		if (!*a)
			break;
	}
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

int cmdline_starts_with(const char *cmdline, const char *word)
{
	size_t n = strlen(word);

	while (is_space(*cmdline))
		cmdline++;
	return !strncmp(cmdline, word, n) && (!cmdline[n] || is_space(cmdline[n]));
}

int cmdline_second_is(const char *cmdline, const char *word)
{
	while (is_space(*cmdline))
		cmdline++;
	while (*cmdline && !is_space(*cmdline))
		cmdline++;
	return cmdline_starts_with(cmdline, word);
}

/* A digit of @base, or -1. */
static int digit(char c, unsigned int base)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (base == 16 && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (base == 16 && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint64_t cmdline_u64(const char *cmdline, const char *key, uint64_t def)
{
	size_t n = strlen(key);
	const char *p = cmdline;

	while (*p) {
		while (is_space(*p))
			p++;
		if (!strncmp(p, key, n) && p[n] == '=') {
			const char *d = p + n + 1;
			unsigned int base = 10;
			uint64_t v = 0;

			if (d[0] == '0' && (d[1] == 'x' || d[1] == 'X')) {
				base = 16;
				d += 2;
			}
			if (digit(*d, base) < 0)
				return def;
			while (digit(*d, base) >= 0)
				v = v * base + (uint64_t)digit(*d++, base);
			return *d && !is_space(*d) ? def : v;
		}
		while (*p && !is_space(*p))
			p++;
	}
	return def;
}

static void sift_down(uint64_t *v, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		uint64_t t;

		if (child >= n)
			return;
		if (child + 1 < n && v[child + 1] > v[child])
			child++;
		if (v[root] >= v[child])
			return;
		t = v[root];
		v[root] = v[child];
		v[child] = t;
		root = child;
	}
}

void sort_u64(uint64_t *v, size_t n)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (i = n; i-- > 1;) {
		uint64_t t = v[0];

		v[0] = v[i];
		v[i] = t;
		sift_down(v, 0, i);
	}
}
