/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest memory: the only way device models and loaders reach guest RAM. Every access is
 * checked against the memory map, overflow included; a bad (GPA, length) is an error, never
 * a wild pointer.
 */
#ifndef NESTVM_GMEM_H
#define NESTVM_GMEM_H

#include <stddef.h>
#include <stdint.h>

#define GMEM_MAX_REGIONS 4

struct gmem_region {
	uint64_t gpa, size;
	uint8_t *hva;
};

struct gmem {
	struct gmem_region regions[GMEM_MAX_REGIONS];
	unsigned int count;
};

/* A host pointer to [gpa, gpa + len) when it lies inside one RAM region, else NULL. */
void *gmem_ptr(const struct gmem *mem, uint64_t gpa, uint64_t len);
/*
 * For zero-copy I/O into a range that may cross from one RAM region into the next: a host
 * pointer to @gpa and in *@span how many of the @len bytes from there lie in its region
 * (1..@len). NULL when @gpa is outside RAM or @len is 0.
 */
void *gmem_span(const struct gmem *mem, uint64_t gpa, uint64_t len, uint64_t *span);
/* Copies; 0 or -EFAULT when any byte is outside RAM. */
int gmem_read(const struct gmem *mem, uint64_t gpa, void *dst, uint64_t len);
int gmem_write(const struct gmem *mem, uint64_t gpa, const void *src, uint64_t len);

#endif
