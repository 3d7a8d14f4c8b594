/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A set of disjoint IOVA mappings, [start, end] inclusive, kept in an AVL tree keyed by start.
 * Disjointness makes the mapping containing an address the only candidate on the search path,
 * so lookup, insert and delete are O(log n). Backends keep one per domain to enforce the
 * virtio-iommu MAP/UNMAP rules (overlap, split) before they touch anything else.
 * No locking: the owner serializes (see backend.h).
 */
#ifndef NESTVM_IOMMU_MAPTREE_H
#define NESTVM_IOMMU_MAPTREE_H

#include <stdbool.h>
#include <stdint.h>

struct maptree_map {
	uint64_t start, end; /* IOVA, inclusive */
	uint64_t gpa;
	uint32_t flags; /* VIOMMU_MAP_* */
};

struct maptree_node;

struct maptree {
	struct maptree_node *root;
	unsigned long count;
};

#define MAPTREE_INIT ((struct maptree){ 0 })

/* Frees every mapping; the tree is empty afterwards. */
void maptree_clear(struct maptree *t);

/* Adds a mapping: 0, -EINVAL (end < start), -EEXIST (overlaps one), -ENOMEM. */
int maptree_insert(struct maptree *t, uint64_t start, uint64_t end, uint64_t gpa, uint32_t flags);

/* The mapping that contains @addr, or NULL. */
const struct maptree_map *maptree_find(const struct maptree *t, uint64_t addr);

/* Whether any mapping overlaps [@start, @end]. */
bool maptree_overlaps(const struct maptree *t, uint64_t start, uint64_t end);

/* The mapping with the least start >= @addr, or NULL: walks mappings in IOVA order. */
const struct maptree_map *maptree_next(const struct maptree *t, uint64_t addr);

/*
 * Whether [@start, @end] can be unmapped whole: 0, or -ERANGE when a mapping straddles either
 * end (the request would split it), -EINVAL when end < start.
 */
int maptree_check_unmap(const struct maptree *t, uint64_t start, uint64_t end);

/*
 * Removes every mapping that starts inside [@start, @end]; call maptree_check_unmap() first so
 * that those are exactly the mappings inside it. Returns how many went.
 */
unsigned long maptree_remove(struct maptree *t, uint64_t start, uint64_t end);

#endif
