// SPDX-License-Identifier: GPL-2.0
/*
 * The ioas backend (backend_ioas.h). Each domain keeps its mappings in a maptree as well as in
 * the kernel: the tree enforces the virtio-iommu rules before the kernel is asked (the kernel
 * would unmap part of a request before it finds a straddling mapping), and tells which IOVA
 * span one IOMMU_IOAS_UNMAP must cover.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend_ioas.h"
#include "iommufd.h"
#include "maptree.h"
#include "uapi_compat.h"
#include "viommu.h"
#include "vmm/log.h"

/* What failed, for logging each kind once. */
enum ioas_op {
	OP_ALLOC,
	OP_DESTROY,
	OP_MAP,
	OP_MAP_MMIO,
	OP_UNMAP,
	OP_ATTACH,
	OP_IDENTITY,
	OP_RANGES,
	OP_COUNT,
};

struct ioas_domain {
	uint32_t ioas_id; /* the identity IOAS for a bypass domain, not owned then */
	bool bypass;
	struct maptree maps;
};

struct ioas_backend {
	struct viommu_backend be; /* first: handed out as the public object */
	int fd;
	const struct gmem *mem;
	uint32_t identity_ioas, blocked_ioas; /* 0: not made yet (iommufd ids start at 1) */
	unsigned long max_mappings, count;
	unsigned long failures[OP_COUNT];
	struct ioas_stats stats; /* relaxed atomics: read at any time */
};

#define ioas_count(ib, field) __atomic_fetch_add(&(ib)->stats.field, 1, __ATOMIC_RELAXED)

/* IOMMU_IOAS_UNMAP of a domain's IOVAs, counted when it succeeds. */
static int domain_unmap(struct ioas_backend *ib, uint32_t ioas, uint64_t iova, uint64_t len)
{
	int ret = iommufd_ioas_unmap(ib->fd, ioas, iova, len, NULL);

	if (!ret)
		ioas_count(ib, unmaps);
	return ret;
}

static struct ioas_backend *to_ib(const struct viommu_backend *be)
{
	return (struct ioas_backend *)be;
}

static const char *hint(int err)
{
	switch (err) {
	case -ENOMEM:
		return " (out of memory, or past the locked-memory limit: raise RLIMIT_MEMLOCK)";
	case -ENOSPC:
		return " (the host IOMMU has no room left)";
	case -EINVAL:
		return " (the IOVA is reserved or outside the aperture of a device in the domain)";
	case -EBUSY:
		return " (a device is still attached to it)";
	case -EADDRINUSE:
		return " (a mapping already there overlaps a reserved region of the device)";
	default:
		return "";
	}
}

/*
 * Logs the first failure of each kind, with what was being done; later ones are only counted
 * (a guest can repeat a bad request as often as it likes).
 */
#define report(ib, op, err, fmt, ...)                                                        \
	do {                                                                                 \
		if (!(ib)->failures[op]++)                                                   \
			pr_err("viommu ioas: " fmt ": %s%s (further failures like this are " \
			       "not logged)",                                                \
			       ##__VA_ARGS__, strerror(-(err)), hint(err));                  \
	} while (0)

static int ensure_ioas(struct ioas_backend *ib, uint32_t *id, const char *what)
{
	int ret;

	if (*id)
		return 0;
	ret = iommufd_ioas_alloc(ib->fd, id);
	if (ret) {
		*id = 0;
		report(ib, OP_ALLOC, ret, "IOMMU_IOAS_ALLOC for the %s IOAS", what);
	}
	return ret;
}

/* The identity IOAS: every backed RAM region at IOVA = GPA, read-write. */
static int ensure_identity(struct ioas_backend *ib)
{
	uint32_t id = 0;
	unsigned int i;
	int ret;

	if (ib->identity_ioas)
		return 0;
	ret = ensure_ioas(ib, &id, "identity");
	if (ret)
		return ret;
	for (i = 0; i < ib->mem->count && i < GMEM_MAX_REGIONS; i++) {
		const struct gmem_region *r = &ib->mem->regions[i];

		if (!r->size || !r->hva)
			continue;
		ret = iommufd_ioas_map(ib->fd, id, r->hva, r->size, r->gpa, true);
		if (ret) {
			report(ib, OP_IDENTITY, ret,
			       "identity map of guest RAM [%#llx, %#llx] in IOAS %u",
			       (unsigned long long)r->gpa,
			       (unsigned long long)(r->gpa + r->size - 1), id);
			iommufd_destroy(ib->fd, id); /* takes its mappings along */
			return ret;
		}
	}
	ib->identity_ioas = id;
	return 0;
}

/* Moves the device onto @ioas (a replace); it stays where it was on failure. */
static int move_endpoint(struct ioas_backend *ib, struct ioas_endpoint *ep, uint32_t ioas)
{
	int ret;

	if (ep->cur_ioas == ioas)
		return 0;
	ret = ep->attach_pt(ep->dev, ioas);
	if (ret) {
		report(ib, OP_ATTACH, ret, "%s: attach to IOAS %u",
		       ep->name ? ep->name : "endpoint", ioas);
		return ret;
	}
	ep->cur_ioas = ioas;
	return 0;
}

static int ioas_domain_alloc(void *ctx, bool bypass, void **domain)
{
	struct ioas_backend *ib = ctx;
	struct ioas_domain *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return -ENOMEM;
	d->bypass = bypass;
	if (bypass) {
		ret = ensure_identity(ib);
		d->ioas_id = ib->identity_ioas;
	} else {
		ret = ensure_ioas(ib, &d->ioas_id, "domain");
	}
	if (ret) {
		free(d);
		return ret;
	}
	*domain = d;
	return 0;
}

static void ioas_domain_free(void *ctx, void *domain)
{
	struct ioas_backend *ib = ctx;
	struct ioas_domain *d = domain;
	int ret;

	if (!d)
		return;
	if (!d->bypass) {
		/* Destroying the IOAS drops its mappings and unpins the pages in one go. */
		ret = iommufd_destroy(ib->fd, d->ioas_id);
		if (ret)
			report(ib, OP_DESTROY, ret, "destroying domain IOAS %u", d->ioas_id);
	}
	ib->count -= d->maps.count;
	maptree_clear(&d->maps);
	free(d);
}

static int ioas_attach(void *ctx, void *domain, void *ep_opaque)
{
	const struct ioas_domain *d = domain;

	return move_endpoint(ctx, ep_opaque, d->ioas_id);
}

/* Spec: with config.bypass an unattached endpoint bypasses, otherwise its DMA is blocked. */
static int ioas_unattached(void *ctx, void *ep_opaque, bool bypass)
{
	struct ioas_backend *ib = ctx;
	int ret = bypass ? ensure_identity(ib) : ensure_ioas(ib, &ib->blocked_ioas, "blocked");

	if (ret)
		return ret;
	return move_endpoint(ib, ep_opaque, bypass ? ib->identity_ioas : ib->blocked_ioas);
}

/* The errors the model turns into statuses keep their meaning; the rest are device errors. */
static int map_errno(int err)
{
	switch (err) {
	case -ENOMEM:
	case -ENOSPC:
	case -EINVAL:
	case -EEXIST:
		return err;
	default:
		return -EIO;
	}
}

/*
 * Maps [@iova, @iova + @len) to guest RAM at @gpa, one IOMMU_IOAS_MAP per RAM region it
 * crosses; all or nothing.
 */
static int map_ram(struct ioas_backend *ib, uint32_t ioas, uint64_t iova, uint64_t len,
		   uint64_t gpa, uint32_t prot)
{
	uint64_t done = 0;
	int ret = 0;

	while (done < len) {
		const struct gmem_region *r = NULL;
		uint64_t at = gpa + done, chunk;
		unsigned int i;

		for (i = 0; i < ib->mem->count && i < GMEM_MAX_REGIONS; i++) {
			const struct gmem_region *c = &ib->mem->regions[i];

			if (c->size && c->hva && at >= c->gpa && at - c->gpa < c->size) {
				r = c;
				break;
			}
		}
		if (!r) {
			ret = -EFAULT; /* the model checked RAM; a hole here is our bug */
			report(ib, OP_MAP, ret, "GPA %#llx is not backed guest RAM",
			       (unsigned long long)at);
			break;
		}
		chunk = r->size - (at - r->gpa);
		if (chunk > len - done)
			chunk = len - done;
		ret = iommufd_ioas_map_prot(ib->fd, ioas, r->hva + (at - r->gpa), chunk,
					    iova + done, prot);
		if (ret) {
			report(ib, OP_MAP, ret, "IOMMU_IOAS_MAP of IOVA [%#llx, %#llx] in IOAS %u",
			       (unsigned long long)(iova + done),
			       (unsigned long long)(iova + done + chunk - 1), ioas);
			break;
		}
		ioas_count(ib, maps);
		done += chunk;
	}
	if (ret && done)
		domain_unmap(ib, ioas, iova, done); /* exactly what we made */
	return ret ? map_errno(ret) : 0;
}

static int ioas_map(void *ctx, void *domain, uint64_t iova, uint64_t iova_end, uint64_t gpa,
		    uint32_t flags)
{
	struct ioas_backend *ib = ctx;
	struct ioas_domain *d = domain;
	uint32_t prot = 0;
	int ret;

	/*
	 * MMIO (device-to-device DMA into a BAR) would need the BAR's pages pinned through our
	 * mmap of it, which iommufd refuses for PFNMAP memory: say so once, answer UNSUPP.
	 */
	if (flags & VIOMMU_MAP_MMIO) {
		report(ib, OP_MAP_MMIO, -EOPNOTSUPP,
		       "MAP with the MMIO flag in domain IOAS %u (peer-to-peer DMA to a device "
		       "BAR cannot be mapped for VFIO endpoints)",
		       d->ioas_id);
		return -EOPNOTSUPP;
	}
	if (iova_end < iova || iova_end - iova == UINT64_MAX)
		return -EINVAL;
	if (maptree_overlaps(&d->maps, iova, iova_end))
		return -EEXIST;
	if (ib->count >= ib->max_mappings)
		return -ENOSPC;
	if (flags & VIOMMU_MAP_READ)
		prot |= IOMMU_IOAS_MAP_READABLE;
	if (flags & VIOMMU_MAP_WRITE)
		prot |= IOMMU_IOAS_MAP_WRITEABLE;
	/* A mapping with no access only reserves its IOVAs: the kernel never sees it. */
	if (prot) {
		ret = map_ram(ib, d->ioas_id, iova, iova_end - iova + 1, gpa, prot);
		if (ret)
			return ret;
	}
	ret = maptree_insert(&d->maps, iova, iova_end, gpa, flags);
	if (ret) {
		if (prot)
			domain_unmap(ib, d->ioas_id, iova, iova_end - iova + 1);
		return ret;
	}
	ib->count++;
	return 0;
}

static int ioas_unmap(void *ctx, void *domain, uint64_t start, uint64_t end)
{
	struct ioas_backend *ib = ctx;
	struct ioas_domain *d = domain;
	const struct maptree_map *m;
	uint64_t lo = 0, hi = 0, len;
	bool any = false;
	int ret = maptree_check_unmap(&d->maps, start, end);

	if (ret)
		return ret;
	/* The span of the kernel's mappings inside: one IOMMU_IOAS_UNMAP takes them all. */
	for (m = maptree_next(&d->maps, start); m && m->start <= end;
	     m = m->end == UINT64_MAX ? NULL : maptree_next(&d->maps, m->end + 1)) {
		if (!(m->flags & (VIOMMU_MAP_READ | VIOMMU_MAP_WRITE)))
			continue;
		if (!any)
			lo = m->start;
		hi = m->end;
		any = true;
	}
	if (any) {
		/* iova 0 with length UINT64_MAX is the kernel's "everything": the same here. */
		len = hi - lo == UINT64_MAX ? UINT64_MAX : hi - lo + 1;
		ret = domain_unmap(ib, d->ioas_id, lo, len);
		if (ret) {
			report(ib, OP_UNMAP, ret,
			       "IOMMU_IOAS_UNMAP of IOVA [%#llx, %#llx] in IOAS %u",
			       (unsigned long long)lo, (unsigned long long)hi, d->ioas_id);
			return -EIO;
		}
	}
	ib->count -= maptree_remove(&d->maps, start, end);
	return 0;
}

static const struct viommu_backend_ops ioas_ops = {
	.name = "ioas",
	.domain_alloc = ioas_domain_alloc,
	.domain_free = ioas_domain_free,
	.attach = ioas_attach,
	.unattached = ioas_unattached,
	.map = ioas_map,
	.unmap = ioas_unmap,
	/* no translate: the host IOMMU translates for VFIO devices */
};

struct viommu_backend *ioas_backend_create(int iommufd, const struct gmem *mem,
					   unsigned long max_mappings)
{
	struct ioas_backend *ib = calloc(1, sizeof(*ib));

	if (!ib)
		return NULL;
	ib->be.ops = &ioas_ops;
	ib->be.ctx = ib;
	ib->fd = iommufd;
	ib->mem = mem;
	ib->max_mappings = max_mappings;
	return &ib->be;
}

void ioas_backend_destroy(struct viommu_backend *be)
{
	struct ioas_backend *ib = to_ib(be);
	int ret;

	if (!ib)
		return;
	for (int i = 0; i < 2; i++) {
		uint32_t id = i ? ib->blocked_ioas : ib->identity_ioas;

		if (!id)
			continue;
		ret = iommufd_destroy(ib->fd, id);
		if (ret)
			report(ib, OP_DESTROY, ret, "destroying the %s IOAS %u",
			       i ? "blocked" : "identity", id);
	}
	free(ib);
}

int ioas_backend_identity(struct viommu_backend *be, uint32_t *ioas_id)
{
	struct ioas_backend *ib = to_ib(be);
	int ret = ensure_identity(ib);

	if (!ret)
		*ioas_id = ib->identity_ioas;
	return ret;
}

/* The ranges of @ioas, in a buffer of the right size (the caller frees it). */
static int read_ranges(struct ioas_backend *ib, uint32_t ioas, struct iova_span **out,
		       uint32_t *num)
{
	struct iova_span *ranges = NULL;
	uint32_t cap = 8;
	int ret;

	for (;;) {
		struct iova_span *r = realloc(ranges, cap * sizeof(*r));

		if (!r) {
			free(ranges);
			return -ENOMEM;
		}
		ranges = r;
		ret = iommufd_ioas_iova_ranges(ib->fd, ioas, ranges, cap, num);
		if (ret != -EMSGSIZE || *num <= cap)
			break;
		cap = *num; /* grew meanwhile: ask again with room for all */
	}
	if (ret) {
		free(ranges);
		return ret;
	}
	*out = ranges;
	return 0;
}

int ioas_backend_holes(struct viommu_backend *be, struct ioas_endpoint *ep, struct iova_span *holes,
		       size_t cap, size_t *n)
{
	struct ioas_backend *ib = to_ib(be);
	uint32_t scratch = 0, back = ep->cur_ioas, num = 0;
	struct iova_span *ranges = NULL;
	int ret, ret2;

	/* A fresh IOAS with only this device on it: its ranges are the device's own limits. */
	ret = ensure_ioas(ib, &scratch, "scratch");
	if (ret)
		return ret;
	ret = move_endpoint(ib, ep, scratch);
	if (!ret) {
		ret = read_ranges(ib, scratch, &ranges, &num);
		if (ret)
			report(ib, OP_RANGES, ret, "IOMMU_IOAS_IOVA_RANGES of IOAS %u", scratch);
		/* Back where it was; a device the backend never placed is blocked. */
		ret2 = back ? 0 : ensure_ioas(ib, &ib->blocked_ioas, "blocked");
		if (!ret2)
			ret2 = move_endpoint(ib, ep, back ? back : ib->blocked_ioas);
		ret = ret ? ret : ret2;
	}
	ret2 = iommufd_destroy(ib->fd, scratch);
	if (ret2)
		report(ib, OP_DESTROY, ret2, "destroying the scratch IOAS %u", scratch);
	if (!ret)
		*n = iova_holes(ranges, num, VIOMMU_MSI_START, VIOMMU_MSI_END, holes, cap);
	free(ranges);
	return ret;
}

int ioas_backend_add_resv(struct viommu_backend *be, struct ioas_endpoint *ep,
			  struct viommu_endpoint *vep)
{
	struct iova_span holes[16];
	size_t n = 0, i;
	int ret = ioas_backend_holes(be, ep, holes, 16, &n);

	if (ret)
		return ret;
	if (n > 16) {
		pr_err("viommu ioas: %s: %zu IOVA holes, more than the 16 PROBE can carry",
		       ep->name ? ep->name : "endpoint", n);
		return -ENOSPC;
	}
	for (i = 0; i < n; i++) {
		ret = viommu_endpoint_add_resv(vep, holes[i].start, holes[i].last,
					       VIRTIO_IOMMU_RESV_MEM_T_RESERVED);
		if (ret) {
			pr_err(
			    "viommu ioas: %s: reserved region [%#llx, %#llx] not reported to the "
			    "guest: %s (raise probe_size)",
			    ep->name ? ep->name : "endpoint", (unsigned long long)holes[i].start,
			    (unsigned long long)holes[i].last, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

unsigned long ioas_backend_count(const struct viommu_backend *be)
{
	return to_ib(be)->count;
}

void ioas_backend_stats(const struct viommu_backend *be, struct ioas_stats *out)
{
	const struct ioas_stats *s = &to_ib(be)->stats;

	out->maps = __atomic_load_n(&s->maps, __ATOMIC_RELAXED);
	out->unmaps = __atomic_load_n(&s->unmaps, __ATOMIC_RELAXED);
}
