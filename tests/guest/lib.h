/* SPDX-License-Identifier: GPL-2.0 */
/* The few libc functions the payloads (and the compiler) need, freestanding. */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

/*
 * The value of "KEY=NUMBER" among the space-separated words of @cmdline (decimal, or hex
 * after 0x), or @def when it is absent or not a number.
 */
uint64_t cmdline_u64(const char *cmdline, const char *key, uint64_t def);
/* Whether the first word of @cmdline is @word. */
int cmdline_starts_with(const char *cmdline, const char *word);

/* Whether the second word of @cmdline is @word ("test nested"). */
int cmdline_second_is(const char *cmdline, const char *word);

/* Sorts @n values in place, ascending (heapsort: no recursion, no allocation). */
void sort_u64(uint64_t *v, size_t n);

#endif
