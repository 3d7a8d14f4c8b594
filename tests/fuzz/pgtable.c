// SPDX-License-Identifier: GPL-2.0
/*
 * The x86-64 stage-1 walker over guest tables the fuzzer writes: loops, huge pages, reserved
 * bits, tables outside RAM. Every leaf the walk reports must translate to the same address.
 *
 * Input: u8 flags (bit 0: 5 levels, bit 1: wp, bit 2: allow_1g, bit 3: write), u8 maxphyaddr
 * (32 + n mod 21, or n when bit 4 of flags: malformed), u64 root, u64 start, u64 end,
 * u8 max_leaves, then guest RAM at GPA 0 (what remains, up to 64 KiB).
 */
#include <errno.h>
#include <stdint.h>

#include "fuzz.h"
#include "iommu/pgtable_x86.h"

#define RAM_MAX 0x10000

struct walk_state {
	const struct pgtable_x86 *pt;
	uint64_t start, end, next;
	unsigned long leaves;
};

static int leaf(void *opaque, uint64_t iova, uint64_t gpa, uint64_t size, bool writable)
{
	struct walk_state *s = opaque;
	struct pgtable_xlate x;

	/* In order, inside the range, not overlapping, clipped to it. */
	FUZZ_ASSERT(size && iova >= s->start && iova - 1 + size <= s->end);
	FUZZ_ASSERT(!s->leaves || iova >= s->next);
	s->next = iova + size;
	s->leaves++;
	/* The walker and the translator read the same tables the same way. */
	FUZZ_ASSERT(pgtable_x86_translate(s->pt, iova, false, &x) == 0);
	FUZZ_ASSERT(x.gpa == gpa);
	FUZZ_ASSERT(pgtable_x86_translate(s->pt, iova + size - 1, false, &x) == 0);
	FUZZ_ASSERT(x.gpa == gpa + size - 1);
	(void)writable;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct gmem mem = { .count = 1 };
	struct pgtable_x86 pt = { .mem = &mem };
	struct walk_state s = { .pt = &pt };
	struct pgtable_xlate x;
	uint8_t flags = fuzz_u8(&in), mpa = fuzz_u8(&in);
	unsigned long max_leaves;
	uint64_t bad = 0;
	size_t ram;
	int rc;

	pt.levels = flags & 1 ? 5 : 4;
	pt.wp = flags & 2;
	pt.allow_1g = flags & 4;
	pt.maxphyaddr = flags & 16 ? mpa : 32 + mpa % 21;
	pt.root = fuzz_u64(&in);
	s.start = fuzz_u64(&in);
	s.end = fuzz_u64(&in);
	max_leaves = fuzz_u8(&in);
	mem.regions[0].hva = fuzz_bytes(&in, RAM_MAX, &ram);
	mem.regions[0].size = ram;

	rc = pgtable_x86_translate(&pt, s.start, flags & 8, &x);
	FUZZ_ASSERT(rc == 0 || rc == -EFAULT || rc == -EINVAL);
	if (rc == -EFAULT)
		FUZZ_ASSERT(x.fault != PGT_OK && x.fault_level <= pt.levels);
	rc = pgtable_x86_walk(&pt, s.start, s.end, max_leaves, leaf, &s, &bad);
	FUZZ_ASSERT(rc <= 0 && s.leaves <= max_leaves);
	free(mem.regions[0].hva);
	return 0;
}
