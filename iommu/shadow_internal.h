/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shadow backend's state, shared by its files: backend_shadow.c (the viommu ops, formats,
 * setup) and shadow_sync.c (mirroring a range of a guest table into an IOAS). Not for others.
 */
#ifndef NESTVM_SHADOW_INTERNAL_H
#define NESTVM_SHADOW_INTERNAL_H

#include <stdbool.h>

#include "backend_shadow.h"
#include "maptree.h"
#include "pgtable_x86.h"

/* What failed, for logging each kind once. */
enum shadow_log {
	SLOG_ALLOC,
	SLOG_DESTROY,
	SLOG_MAP,
	SLOG_UNMAP,
	SLOG_ATTACH,
	SLOG_WALK,
	SLOG_OUTSIDE_RAM,
	SLOG_LIMIT,
	SLOG_COUNT,
};

struct shadow_domain {
	uint32_t ioas_id;
	bool has_table;
	struct pgtable_x86 pt;
	uint64_t limit; /* the last IOVA mirrored: the host's width, the table's lower half */
	/* What the IOAS holds, area by area: iommufd unmaps only whole areas. */
	struct maptree areas;
};

struct shadow_backend {
	struct viommu_backend be; /* first: handed out as the public object */
	const struct shadow_iommufd_ops *ops;
	void *ops_ctx;
	int fd; /* the real ops' context */
	const struct gmem *mem;
	unsigned long max_leaves, max_areas;
	unsigned int address_bits; /* offered to endpoints; set at setup only */
	/* Counters (struct shadow_stats' fields), updated atomically: see backend_shadow.h. */
	struct shadow_stats stats;
	unsigned long logged[SLOG_COUNT];
};

#define shadow_count(sb, field, n) __atomic_fetch_add(&(sb)->stats.field, (n), __ATOMIC_RELAXED)

/* True the first time @kind is logged: later ones are only counted (a guest may repeat). */
bool shadow_log_first(struct shadow_backend *sb, enum shadow_log kind);

/*
 * Makes @d's IOAS hold what the guest table says for [@start, @end] now (widened to the areas
 * that meet it), make-before-break: the range is walked first, and only areas that differ from
 * what the walk wants are unmapped and mapped; the others are not touched. 0; or -EFAULT (bad
 * table), -E2BIG (too many leaves), -ENOSPC (too many areas), -ENOMEM, -EIO (the host
 * refused): the IOAS and its record are then as they were (a host that also refuses the
 * roll-back is logged, and the record follows the IOAS).
 */
int shadow_sync(struct shadow_backend *sb, struct shadow_domain *d, uint64_t start, uint64_t end);

#endif
