/* SPDX-License-Identifier: GPL-2.0 */
/* Little-endian fields and byte checksums, as firmware tables (ACPI, MP, PCI config) want. */
#ifndef NESTVM_BYTES_H
#define NESTVM_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* The low @bytes bytes of @v at @p, least significant first. */
static inline void put_le(uint8_t *p, uint64_t v, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++)
		p[i] = v >> (8 * i);
}

/* The byte that makes @len bytes at @p sum to zero. */
static inline uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return -sum;
}

#endif
