// SPDX-License-Identifier: GPL-2.0
/*
 * Mirroring a range of a guest VT-d first-stage table into an IOAS (shadow_internal.h). The
 * domain's maptree records every IOAS area we made, so an invalidated range can be widened to
 * whole areas before IOMMU_IOAS_UNMAP, which refuses to split one.
 */
#include <errno.h>
#include <string.h>

#include "shadow_internal.h"
#include "uapi_compat.h"
#include "viommu.h"
#include "vmm/log.h"

/*
 * Adjacent leaves contiguous in IOVA and host address become one area, but only inside one
 * 2 MiB IOVA block: a bigger area would make every later invalidate inside it re-walk and
 * re-map all of it.
 */
#define COALESCE_SHIFT 21

/* The area being gathered, not yet mapped. */
struct run {
	uint64_t iova, len, gpa;
	uint8_t *hva;
	uint32_t prot;
};

struct sync {
	struct shadow_backend *sb;
	struct shadow_domain *d;
	struct run run;
};

static uint32_t map_flags(uint32_t prot)
{
	return VIOMMU_MAP_READ | (prot & IOMMU_IOAS_MAP_WRITEABLE ? VIOMMU_MAP_WRITE : 0);
}

/* Maps the gathered run and records it; the run is empty afterwards, whatever happens. */
static int flush_run(struct sync *s)
{
	struct shadow_backend *sb = s->sb;
	struct run r = s->run;
	int ret;

	if (!r.len)
		return 0;
	s->run.len = 0;
	if (__atomic_load_n(&sb->stats.areas, __ATOMIC_RELAXED) >= sb->max_areas) {
		if (shadow_log_first(sb, SLOG_LIMIT))
			pr_err("viommu shadow: more than %lu IOAS areas in all table domains "
			       "(further refusals are not logged)",
			       sb->max_areas);
		return -ENOSPC;
	}
	ret = sb->ops->map(sb->ops_ctx, s->d->ioas_id, r.hva, r.len, r.iova, r.prot);
	if (ret) {
		shadow_count(sb, host_errors, 1);
		if (shadow_log_first(sb, SLOG_MAP))
			pr_err("viommu shadow: IOMMU_IOAS_MAP of IOVA [%#llx, %#llx] in IOAS %u: "
			       "%s (further failures are not logged)",
			       (unsigned long long)r.iova, (unsigned long long)(r.iova + r.len - 1),
			       s->d->ioas_id, strerror(-ret));
		return ret == -ENOMEM ? -ENOMEM : -EIO;
	}
	shadow_count(sb, maps, 1);
	ret = maptree_insert(&s->d->areas, r.iova, r.iova + r.len - 1, r.gpa, map_flags(r.prot));
	if (ret) {
		/* Unrecorded, it could never be unmapped: take it back now. */
		sb->ops->unmap(sb->ops_ctx, s->d->ioas_id, r.iova, r.len, NULL);
		return ret;
	}
	shadow_count(sb, areas, 1);
	return 0;
}

static int add_chunk(struct sync *s, uint64_t iova, uint64_t gpa, uint8_t *hva, uint64_t len,
		     uint32_t prot)
{
	struct run *r = &s->run;
	int ret;

	if (r->len && r->prot == prot && r->iova + r->len == iova && r->hva + r->len == hva &&
	    r->iova >> COALESCE_SHIFT == (iova + len - 1) >> COALESCE_SHIFT) {
		r->len += len;
		return 0;
	}
	ret = flush_run(s);
	if (ret)
		return ret;
	*r = (struct run){ .iova = iova, .len = len, .gpa = gpa, .hva = hva, .prot = prot };
	return 0;
}

/*
 * The backed RAM region holding @gpa (NULL if none); else in *@next the lowest region start
 * above @gpa (UINT64_MAX if none), where mirroring can go on.
 */
static const struct gmem_region *ram_at(const struct gmem *mem, uint64_t gpa, uint64_t *next)
{
	*next = UINT64_MAX;
	for (unsigned int i = 0; i < mem->count && i < GMEM_MAX_REGIONS; i++) {
		const struct gmem_region *r = &mem->regions[i];

		if (!r->size || !r->hva)
			continue;
		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
		if (r->gpa > gpa && r->gpa < *next)
			*next = r->gpa;
	}
	return NULL;
}

/* The part of a leaf at [@iova, @iova + @size): what lies in guest RAM joins the run. */
static int mirror(struct sync *s, uint64_t iova, uint64_t gpa, uint64_t size, uint32_t prot,
		  bool *skipped)
{
	uint64_t done = 0, next, chunk;
	int ret;

	while (done < size) {
		uint64_t at = gpa + done;
		const struct gmem_region *r = ram_at(s->sb->mem, at, &next);

		if (!r) {
			*skipped = true;
			if (next == UINT64_MAX || next - gpa >= size)
				break;
			done = next - gpa;
			continue;
		}
		chunk = r->size - (at - r->gpa);
		if (chunk > size - done)
			chunk = size - done;
		ret = add_chunk(s, iova + done, at, r->hva + (at - r->gpa), chunk, prot);
		if (ret)
			return ret;
		done += chunk;
	}
	return 0;
}

/*
 * One present leaf, mirrored around the MSI doorbell: every endpoint has it reserved (PROBE
 * says so), the host refuses to map it, and one big leaf over it must not lose the rest.
 */
static int on_leaf(void *opaque, uint64_t iova, uint64_t gpa, uint64_t size, bool writable)
{
	struct sync *s = opaque;
	struct shadow_backend *sb = s->sb;
	uint32_t prot = IOMMU_IOAS_MAP_READABLE | (writable ? IOMMU_IOAS_MAP_WRITEABLE : 0);
	uint64_t last = iova + size - 1;
	bool skipped = false;
	int ret = 0;

	shadow_count(sb, leaves, 1);
	if (last < VIOMMU_MSI_START || iova > VIOMMU_MSI_END) {
		ret = mirror(s, iova, gpa, size, prot, &skipped);
	} else {
		shadow_count(sb, doorbell, 1);
		if (iova < VIOMMU_MSI_START)
			ret = mirror(s, iova, gpa, VIOMMU_MSI_START - iova, prot, &skipped);
		if (!ret && last > VIOMMU_MSI_END)
			ret = mirror(s, VIOMMU_MSI_END + 1, gpa + (VIOMMU_MSI_END + 1 - iova),
				     last - VIOMMU_MSI_END, prot, &skipped);
	}
	if (skipped) {
		shadow_count(sb, outside_ram, 1);
		if (shadow_log_first(sb, SLOG_OUTSIDE_RAM))
			pr_warn("viommu shadow: IOAS %u: the guest table maps IOVA %#llx to GPA "
				"%#llx, outside guest RAM: not mirrored (further ones are not "
				"logged)",
				s->d->ioas_id, (unsigned long long)iova, (unsigned long long)gpa);
	}
	return ret;
}

/*
 * Unmaps the areas inside [@lo, @hi] (none may straddle it) from the IOAS and the record,
 * with one IOMMU_IOAS_UNMAP. Nothing changes on failure.
 */
static int unmap_areas(struct shadow_backend *sb, struct shadow_domain *d, uint64_t lo, uint64_t hi)
{
	const struct maptree_map *m;
	uint64_t want = 0, got = 0, first = 0, last = 0, len;
	bool any = false;
	int ret;

	for (m = maptree_next(&d->areas, lo); m && m->start <= hi;
	     m = m->end == UINT64_MAX ? NULL : maptree_next(&d->areas, m->end + 1)) {
		if (!any)
			first = m->start;
		last = m->end;
		want += m->end - m->start + 1;
		any = true;
	}
	if (!any)
		return 0;
	/* iova 0 with length UINT64_MAX is the kernel's "everything". */
	len = last - first == UINT64_MAX ? UINT64_MAX : last - first + 1;
	ret = sb->ops->unmap(sb->ops_ctx, d->ioas_id, first, len, &got);
	if (ret || got != want) {
		shadow_count(sb, host_errors, 1);
		if (shadow_log_first(sb, SLOG_UNMAP))
			pr_err("viommu shadow: IOMMU_IOAS_UNMAP of IOVA [%#llx, %#llx] in IOAS "
			       "%u: %s, %llu of %llu bytes (further failures are not logged)",
			       (unsigned long long)first, (unsigned long long)last, d->ioas_id,
			       ret ? strerror(-ret) : "done", (unsigned long long)got,
			       (unsigned long long)want);
		if (ret)
			return -EIO;
		/* The kernel took something else than our record said: trust neither. */
	}
	shadow_count(sb, unmaps, 1);
	__atomic_fetch_sub(&sb->stats.areas, maptree_remove(&d->areas, lo, hi), __ATOMIC_RELAXED);
	return ret || got == want ? 0 : -EIO;
}

int shadow_sync(struct shadow_backend *sb, struct shadow_domain *d, uint64_t start, uint64_t end)
{
	struct sync s = { .sb = sb, .d = d };
	const struct maptree_map *m;
	uint64_t lo = start, hi = end, last, bad = 0;
	int ret, ret2;

	shadow_count(sb, syncs, 1);
	/* Areas that meet the range go whole, so the range grows to cover them. */
	m = maptree_find(&d->areas, start);
	if (m)
		lo = m->start;
	m = maptree_find(&d->areas, end);
	if (m)
		hi = m->end;
	ret = unmap_areas(sb, d, lo, hi);
	if (ret || lo > d->limit)
		return ret;
	last = hi < d->limit ? hi : d->limit;
	ret = pgtable_x86_walk(&d->pt, lo, last, sb->max_leaves, on_leaf, &s, &bad);
	/* What the walk gathered before it stopped was valid: it is mirrored too. */
	ret2 = flush_run(&s);
	if (ret == -EFAULT || ret == -E2BIG || ret == -EINVAL) {
		shadow_count(sb, walk_errors, 1);
		if (shadow_log_first(sb, SLOG_WALK))
			pr_err("viommu shadow: IOAS %u: the guest table at GPA %#llx %s at IOVA "
			       "%#llx: the rest of [%#llx, %#llx] is not mirrored (further ones "
			       "are not logged)",
			       d->ioas_id, (unsigned long long)d->pt.root,
			       ret == -E2BIG
				   ? "has too many leaves or tables"
				   : "is malformed (reserved bits, or tables outside RAM)",
			       (unsigned long long)bad, (unsigned long long)lo,
			       (unsigned long long)last);
	}
	return ret ? ret : ret2;
}
