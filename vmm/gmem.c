// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "gmem.h"

void *gmem_ptr(const struct gmem *mem, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < mem->count; i++) {
		const struct gmem_region *r = &mem->regions[i];

		/* Written so that no sum can wrap: gpa - r->gpa only once gpa >= r->gpa. */
		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

void *gmem_span(const struct gmem *mem, uint64_t gpa, uint64_t len, uint64_t *span)
{
	for (unsigned int i = 0; i < mem->count && len; i++) {
		const struct gmem_region *r = &mem->regions[i];
		uint64_t off = gpa - r->gpa;

		if (gpa >= r->gpa && off < r->size) {
			*span = len < r->size - off ? len : r->size - off;
			return r->hva + off;
		}
	}
	return NULL;
}

int gmem_read(const struct gmem *mem, uint64_t gpa, void *dst, uint64_t len)
{
	const void *src = gmem_ptr(mem, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int gmem_write(const struct gmem *mem, uint64_t gpa, const void *src, uint64_t len)
{
	void *dst = gmem_ptr(mem, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}
