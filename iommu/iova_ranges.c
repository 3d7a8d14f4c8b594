// SPDX-License-Identifier: GPL-2.0
#include "iova_ranges.h"

/* Records [start, last] less the skipped span: zero, one or two holes. */
static size_t add_hole(uint64_t start, uint64_t last, uint64_t skip_start, uint64_t skip_last,
		       struct iova_span *out, size_t cap, size_t count)
{
	struct iova_span parts[2];
	size_t i, np = 0;

	if (skip_start > skip_last || last < skip_start || start > skip_last) {
		parts[np++] = (struct iova_span){ start, last };
	} else {
		if (start < skip_start)
			parts[np++] = (struct iova_span){ start, skip_start - 1 };
		if (last > skip_last)
			parts[np++] = (struct iova_span){ skip_last + 1, last };
	}
	for (i = 0; i < np; i++, count++)
		if (count < cap)
			out[count] = parts[i];
	return count;
}

size_t iova_holes(const struct iova_span *allowed, size_t n, uint64_t skip_start,
		  uint64_t skip_last, struct iova_span *out, size_t cap)
{
	uint64_t next = 0; /* first IOVA not yet accounted for */
	size_t i, count = 0;

	for (i = 0; i < n; i++) {
		/* Out of order or overlapping input is a kernel bug; the holes stay sound. */
		if (allowed[i].last < allowed[i].start || allowed[i].last < next)
			continue;
		if (allowed[i].start > next)
			count = add_hole(next, allowed[i].start - 1, skip_start, skip_last, out,
					 cap, count);
		if (allowed[i].last == UINT64_MAX)
			return count;
		next = allowed[i].last + 1;
	}
	return add_hole(next, UINT64_MAX, skip_start, skip_last, out, cap, count);
}
