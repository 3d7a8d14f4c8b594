/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A software walker for x86-64 paging (4- and 5-level; 4 KiB, 2 MiB and 1 GiB pages), the
 * format of VT-d first-stage translation (SDM vol. 3 §4.5, VT-d §3.6). The guest's tables are
 * read only through gmem_read(): a table outside RAM is a fault, never a wild read. Used by the
 * shadow backend (mirror a guest stage-1 table into an IOAS) and to translate the DMA of
 * emulated devices behind a nested domain.
 */
#ifndef NESTVM_PGTABLE_X86_H
#define NESTVM_PGTABLE_X86_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/gmem.h"

struct pgtable_x86 {
	const struct gmem *mem;
	uint64_t root; /* GPA of the PML4 (4-level) or PML5 (5-level), 4 KiB aligned */
	unsigned int levels; /* 4 or 5 */
	unsigned int maxphyaddr; /* 32..52: entry address bits from here to 51 are reserved */
	bool wp; /* enforce R/W for writes (VT-d WPE); false: present means writable */
	bool allow_1g; /* the host has 1 GiB pages; else PS in a PDPTE is reserved */
};

enum pgtable_fault {
	PGT_OK,
	PGT_NOT_PRESENT,
	PGT_NON_CANONICAL,
	PGT_RESERVED_BIT,
	PGT_TABLE_OUTSIDE_RAM,
	PGT_WRITE_PROTECTED,
	PGT_BAD_ROOT, /* misaligned, above maxphyaddr or not wholly in RAM */
};

struct pgtable_xlate {
	uint64_t gpa;
	uint64_t page_size;
	bool writable; /* as enforced: always true when !wp */
	bool user; /* U/S set at every level */
	bool exec; /* XD clear at every level (reported, not enforced) */
	enum pgtable_fault fault;
	/*
	 * Where the walk stopped: 1 (PTE) to 5 (PML5E) for the entry that faulted, the level of
	 * the unreadable table for PGT_TABLE_OUTSIDE_RAM, the top level for PGT_BAD_ROOT, the
	 * outermost read-only level for PGT_WRITE_PROTECTED, 0 for PGT_NON_CANONICAL.
	 */
	unsigned int fault_level;
};

/*
 * Translates one input address; @write: the access writes. 0 with *out filled, -EFAULT with
 * out->fault and out->fault_level set, -EINVAL when @pt itself is malformed (levels,
 * maxphyaddr: the host's fault, not the guest's).
 */
int pgtable_x86_translate(const struct pgtable_x86 *pt, uint64_t iova, bool write,
			  struct pgtable_xlate *out);

/*
 * A paging-structure cache, as VT-d hardware keeps one: the page-directory entries (those that
 * point at a page table) recent walks went through, with the permissions of the levels above,
 * so that a walk near one of them reads only its PTE. Leaves and not-present entries are never
 * cached, so making an entry present needs no invalidation; changing a cached entry or one
 * above it does, and the owner empties the cache then (zero it). Not locked: one per thread.
 */
#define PGTABLE_X86_CACHE_SLOTS 4

struct pgtable_x86_pde {
	uint64_t tag; /* (iova >> 21) + 1, the 2 MiB region; 0: empty */
	uint64_t table; /* GPA of the page table the PDE points at */
	unsigned int ro_level; /* the outermost read-only level down to the PDE; 0: none */
	bool user, exec;
};

struct pgtable_x86_cache {
	struct pgtable_x86_pde slot[PGTABLE_X86_CACHE_SLOTS];
};

/* pgtable_x86_translate, through and filling @cache (NULL: none), which belongs to @pt. */
int pgtable_x86_translate_cached(const struct pgtable_x86 *pt, struct pgtable_x86_cache *cache,
				 uint64_t iova, bool write, struct pgtable_xlate *out);

typedef int (*pgtable_x86_leaf_fn)(void *opaque, uint64_t iova, uint64_t gpa, uint64_t size,
				   bool writable);

/*
 * Calls @fn for every present leaf that intersects [start, end] (inclusive), in IOVA order,
 * clipped to the range; a huge page is reported once. Non-canonical parts of the range and
 * non-present entries are holes, not errors. Returns 0, -EINVAL for a bad @pt or range, -EFAULT
 * for a bad root, a reserved bit or a table outside RAM, -E2BIG past @max_leaves leaves (or
 * past (levels - 1) * max_leaves + 2 tables entered, which bounds the work of a hostile table
 * whose subtrees hold no leaves), or what a non-zero @fn returned. On any non-zero return
 * *bad_iova (when not NULL) is the IOVA where the walk stopped.
 *
 * Tables are visited by position, so a loop (an entry pointing at an ancestor or at itself)
 * only repeats a subtree: depth is bounded by @pt->levels.
 */
int pgtable_x86_walk(const struct pgtable_x86 *pt, uint64_t start, uint64_t end,
		     unsigned long max_leaves, pgtable_x86_leaf_fn fn, void *opaque,
		     uint64_t *bad_iova);

#endif
