// SPDX-License-Identifier: GPL-2.0
/*
 * Mirroring a range of a guest VT-d first-stage table into an IOAS (shadow_internal.h),
 * make-before-break: the range is walked first, into the areas it should hold, and compared
 * with the areas it holds; only those that differ are unmapped and mapped again. An area that
 * is the same before and after is never touched, so a device's DMA into pages the guest left
 * alone never faults while its neighbours change.
 *
 * One area per guest leaf (cut around the MSI doorbell and holes in guest RAM): iommufd can
 * only unmap whole areas, so an area that spanned several leaves would have to go whole, and
 * be missing for a moment, whenever one of them changed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shadow_internal.h"
#include "uapi_compat.h"
#include "viommu.h"
#include "vmm/log.h"

/* An IOAS area: one the walk wants, or one the domain's record says the IOAS holds. */
struct area {
	uint64_t iova, len, gpa;
	uint8_t *hva;
	uint32_t prot; /* IOMMU_IOAS_MAP_* */
	bool keep; /* held and wanted alike: left as it is */
};

struct area_list {
	struct area *a;
	size_t n, cap;
};

struct sync {
	struct shadow_backend *sb;
	struct shadow_domain *d;
	struct area_list want;
};

static int area_add(struct area_list *l, const struct area *a)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct area *p = realloc(l->a, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->a = p;
		l->cap = cap;
	}
	l->a[l->n++] = *a;
	return 0;
}

static uint32_t map_flags(uint32_t prot)
{
	return VIOMMU_MAP_READ | (prot & IOMMU_IOAS_MAP_WRITEABLE ? VIOMMU_MAP_WRITE : 0);
}

static uint32_t map_prot(uint32_t flags)
{
	return IOMMU_IOAS_MAP_READABLE | (flags & VIOMMU_MAP_WRITE ? IOMMU_IOAS_MAP_WRITEABLE : 0);
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

/* The part of a leaf at [@iova, @iova + @size): each piece in guest RAM is an area wanted. */
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
		ret = area_add(&s->want, &(struct area){ .iova = iova + done,
							 .len = chunk,
							 .gpa = at,
							 .hva = r->hva + (at - r->gpa),
							 .prot = prot });
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

/* Maps area @a and records it; on failure neither the IOAS nor the record has it. */
static int map_area(struct shadow_backend *sb, struct shadow_domain *d, const struct area *a)
{
	int ret = sb->ops->map(sb->ops_ctx, d->ioas_id, a->hva, a->len, a->iova, a->prot);

	if (ret) {
		shadow_count(sb, host_errors, 1);
		if (shadow_log_first(sb, SLOG_MAP))
			pr_err("viommu shadow: IOMMU_IOAS_MAP of IOVA [%#llx, %#llx] in IOAS %u: "
			       "%s (further failures are not logged)",
			       (unsigned long long)a->iova,
			       (unsigned long long)(a->iova + a->len - 1), d->ioas_id,
			       strerror(-ret));
		return ret == -ENOMEM ? -ENOMEM : -EIO;
	}
	shadow_count(sb, maps, 1);
	ret = maptree_insert(&d->areas, a->iova, a->iova + a->len - 1, a->gpa, map_flags(a->prot));
	if (ret) {
		/* Unrecorded, it could never be unmapped: take it back now. */
		sb->ops->unmap(sb->ops_ctx, d->ioas_id, a->iova, a->len, NULL);
		return ret;
	}
	shadow_count(sb, areas, 1);
	return 0;
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

/* What the record says the IOAS holds in [@lo, @hi], in IOVA order. */
static int held_areas(struct shadow_backend *sb, struct shadow_domain *d, uint64_t lo, uint64_t hi,
		      struct area_list *held)
{
	const struct maptree_map *m;
	int ret;

	for (m = maptree_next(&d->areas, lo); m && m->start <= hi;
	     m = m->end == UINT64_MAX ? NULL : maptree_next(&d->areas, m->end + 1)) {
		uint64_t next;
		const struct gmem_region *r = ram_at(sb->mem, m->gpa, &next);

		ret = area_add(held, &(struct area){ .iova = m->start,
						     .len = m->end - m->start + 1,
						     .gpa = m->gpa,
						     .hva = r ? r->hva + (m->gpa - r->gpa) : NULL,
						     .prot = map_prot(m->flags) });
		if (ret)
			return ret;
	}
	return 0;
}

/* Marks the areas held and wanted alike: both lists are in IOVA order, without overlaps. */
static void mark_kept(struct area_list *held, struct area_list *want)
{
	size_t i = 0, j = 0;

	while (i < held->n && j < want->n) {
		struct area *h = &held->a[i], *w = &want->a[j];

		if (h->iova < w->iova) {
			i++;
		} else if (h->iova > w->iova) {
			j++;
		} else {
			h->keep = w->keep =
			    h->len == w->len && h->gpa == w->gpa && h->prot == w->prot;
			i++;
			j++;
		}
	}
}

/*
 * A change failed half way: the areas added so far (the first @added of @want that are not
 * kept) go again, the held ones removed so far (the first @removed of @held) come back.
 * Failures here are logged by map_area / unmap_areas; the record follows the IOAS either way.
 */
static void roll_back(struct shadow_backend *sb, struct shadow_domain *d,
		      const struct area_list *held, size_t removed, const struct area_list *want,
		      size_t added)
{
	for (size_t j = 0; j < added; j++)
		if (!want->a[j].keep)
			unmap_areas(sb, d, want->a[j].iova, want->a[j].iova + want->a[j].len - 1);
	for (size_t i = 0; i < removed; i++)
		if (!held->a[i].keep && held->a[i].hva)
			map_area(sb, d, &held->a[i]);
}

/*
 * Moves the IOAS from @held to @want: each run of held areas that are not kept goes in one
 * unmap, then each wanted area that is new is mapped. On failure it is rolled back.
 */
static int apply(struct shadow_backend *sb, struct shadow_domain *d, const struct area_list *held,
		 const struct area_list *want)
{
	size_t i = 0, j, k;
	int ret;

	while (i < held->n) {
		if (held->a[i].keep) {
			i++;
			continue;
		}
		for (j = i; j + 1 < held->n && !held->a[j + 1].keep; j++)
			;
		ret = unmap_areas(sb, d, held->a[i].iova, held->a[j].iova + held->a[j].len - 1);
		if (ret) {
			roll_back(sb, d, held, i, want, 0);
			return ret;
		}
		i = j + 1;
	}
	for (k = 0; k < want->n; k++) {
		if (want->a[k].keep)
			continue;
		ret = map_area(sb, d, &want->a[k]);
		if (ret) {
			roll_back(sb, d, held, held->n, want, k);
			return ret;
		}
	}
	return 0;
}

static void log_walk_error(struct shadow_backend *sb, const struct shadow_domain *d, int ret,
			   uint64_t bad, uint64_t lo, uint64_t last)
{
	shadow_count(sb, walk_errors, 1);
	if (shadow_log_first(sb, SLOG_WALK))
		pr_err("viommu shadow: IOAS %u: the guest table at GPA %#llx %s at IOVA %#llx: "
		       "[%#llx, %#llx] is left as it was (further ones are not logged)",
		       d->ioas_id, (unsigned long long)d->pt.root,
		       ret == -E2BIG ? "has too many leaves or tables"
				     : "is malformed (reserved bits, or tables outside RAM)",
		       (unsigned long long)bad, (unsigned long long)lo, (unsigned long long)last);
}

int shadow_sync(struct shadow_backend *sb, struct shadow_domain *d, uint64_t start, uint64_t end)
{
	struct sync s = { .sb = sb, .d = d };
	struct area_list held = { 0 };
	const struct maptree_map *m;
	uint64_t lo = start, hi = end, last, bad = 0;
	size_t kept = 0;
	unsigned long now;
	int ret;

	shadow_count(sb, syncs, 1);
	/* Areas that meet the range are judged whole, so the range grows to cover them. */
	m = maptree_find(&d->areas, start);
	if (m)
		lo = m->start;
	m = maptree_find(&d->areas, end);
	if (m)
		hi = m->end;
	ret = held_areas(sb, d, lo, hi, &held);
	if (!ret && lo <= d->limit) {
		last = hi < d->limit ? hi : d->limit;
		ret = pgtable_x86_walk(&d->pt, lo, last, sb->max_leaves, on_leaf, &s, &bad);
		if (ret == -EFAULT || ret == -E2BIG || ret == -EINVAL)
			log_walk_error(sb, d, ret, bad, lo, last);
	}
	if (ret)
		goto out; /* nothing changed: the table is judged as a whole range */
	mark_kept(&held, &s.want);
	for (size_t i = 0; i < held.n; i++)
		kept += held.a[i].keep;
	now = __atomic_load_n(&sb->stats.areas, __ATOMIC_RELAXED);
	if (s.want.n > held.n && now + (s.want.n - held.n) > sb->max_areas) {
		if (shadow_log_first(sb, SLOG_LIMIT))
			pr_err("viommu shadow: more than %lu IOAS areas in all table domains "
			       "(further refusals are not logged)",
			       sb->max_areas);
		ret = -ENOSPC;
		goto out;
	}
	if (kept < held.n || kept < s.want.n)
		ret = apply(sb, d, &held, &s.want);
out:
	free(held.a);
	free(s.want.a);
	return ret;
}
