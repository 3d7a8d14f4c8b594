/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the libFuzzer targets: a cursor over the input that yields zeros once it runs
 * out, so that every input, however short, is a complete run.
 */
#ifndef NESTVM_FUZZ_H
#define NESTVM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline uint64_t fuzz_uint(struct fuzz_in *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes && in->left; i++, in->p++, in->left--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

#define fuzz_u8(in) ((uint8_t)fuzz_uint(in, 1))
#define fuzz_u16(in) ((uint16_t)fuzz_uint(in, 2))
#define fuzz_u32(in) ((uint32_t)fuzz_uint(in, 4))
#define fuzz_u64(in) fuzz_uint(in, 8)

/*
 * The next @len bytes (fewer when the input ends) in a fresh allocation of exactly that size,
 * so that ASan sees any access past them. *@got is the size; free() the result.
 */
static inline uint8_t *fuzz_bytes(struct fuzz_in *in, size_t len, size_t *got)
{
	uint8_t *b;

	if (len > in->left)
		len = in->left;
	b = malloc(len ? len : 1);
	if (!b)
		abort();
	memcpy(b, in->p, len);
	in->p += len;
	in->left -= len;
	*got = len;
	return b;
}

/* A property the code promises was broken: a crash libFuzzer records, with a message. */
#define FUZZ_ASSERT(cond)                                                                    \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                      \
			abort();                                                             \
		}                                                                            \
	} while (0)

#endif
