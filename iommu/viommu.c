// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-iommu device model. Status choices follow the device-normative text of virtio 1.2
 * §5.13.6 (quoted next to each check as "spec:"); where the spec leaves the status open, the
 * comment says why we chose the one we return.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "viommu.h"
#include "viommu_internal.h"
#include "viommu_nested.h"

#define RESV_MEM_SIZE sizeof(struct virtio_iommu_probe_resv_mem)

void viommu_default_params(struct viommu_params *p)
{
	memset(p, 0, sizeof(*p));
	p->page_size_mask = ~0xfffULL;
	p->input_start = 0;
	p->input_end = (1ULL << 48) - 1;
	p->domain_start = 0;
	p->domain_end = 0xffff;
	p->probe_size = 256;
	p->bypass = true;
	p->fault_queue_len = 256;
	p->max_mappings = 1UL << 20;
}

static bool params_valid(const struct viommu_params *p)
{
	return p->page_size_mask && p->input_start <= p->input_end &&
	       p->domain_start <= p->domain_end && p->probe_size >= RESV_MEM_SIZE &&
	       p->probe_size <= 65536 && p->fault_queue_len && p->fault_queue_len <= 65536 &&
	       p->max_mappings;
}

/* The extension is offered when some kind of endpoint has a backend that takes tables. */
static void update_table_feature(struct viommu *v)
{
	uint64_t bit = 1ULL << VIRTIO_IOMMU_F_ATTACH_TABLE;

	v->features &= ~bit;
	for (unsigned int k = 0; k < VIOMMU_EP_KINDS; k++)
		if (v->table_backends[k] && v->table_backends[k]->ops->set_table)
			v->features |= bit;
	v->negotiated = (v->negotiated & ~bit) | (v->features & bit);
}

struct viommu *viommu_create(const struct viommu_params *p, const struct gmem *mem)
{
	pthread_rwlockattr_t attr;
	struct viommu *v;

	if (!p || !params_valid(p)) {
		errno = EINVAL;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->p = *p;
	v->granule = p->page_size_mask & -p->page_size_mask;
	v->mem = mem;
	v->features = 1ULL << VIRTIO_IOMMU_F_INPUT_RANGE | 1ULL << VIRTIO_IOMMU_F_DOMAIN_RANGE |
		      1ULL << VIRTIO_IOMMU_F_MAP_UNMAP | 1ULL << VIRTIO_IOMMU_F_PROBE |
		      1ULL << VIRTIO_IOMMU_F_MMIO | 1ULL << VIRTIO_IOMMU_F_BYPASS_CONFIG;
	v->negotiated = v->features;
	v->bypass = p->bypass;
	v->faults = calloc(p->fault_queue_len, sizeof(*v->faults));
	v->emulated = viommu_emulated_backend_create(p->max_mappings, mem);
	if (!v->faults || !v->emulated) {
		free(v->faults);
		viommu_emulated_backend_destroy(v->emulated);
		free(v);
		errno = ENOMEM;
		return NULL;
	}
	v->backends[VIOMMU_EP_EMULATED] = v->emulated;
	v->table_backends[VIOMMU_EP_EMULATED] = v->emulated;
	update_table_feature(v);
	/* Writers first: a stream of DMA lookups must not hold off the request queue. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&v->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	pthread_mutex_init(&v->fault_lock, NULL);
	return v;
}

void viommu_set_table_backend(struct viommu *v, enum viommu_endpoint_kind kind,
			      const struct viommu_backend *be)
{
	if ((unsigned int)kind >= VIOMMU_EP_KINDS)
		return;
	pthread_rwlock_wrlock(&v->lock);
	v->table_backends[kind] = be;
	update_table_feature(v);
	pthread_rwlock_unlock(&v->lock);
}

void viommu_set_backend(struct viommu *v, enum viommu_endpoint_kind kind,
			const struct viommu_backend *be)
{
	if ((unsigned int)kind >= VIOMMU_EP_KINDS)
		return;
	pthread_rwlock_wrlock(&v->lock);
	v->backends[kind] = be;
	pthread_rwlock_unlock(&v->lock);
}

/* Tells @ep's backend that the endpoint is in no domain, and what config.bypass says. */
static int set_unattached(struct viommu *v, struct viommu_endpoint *ep)
{
	const struct viommu_backend *be = v->backends[ep->kind];

	if (!be || !be->ops->unattached)
		return 0;
	return be->ops->unattached(be->ctx, ep->opaque, v->bypass);
}

/* Index of the first endpoint with id >= @id. */
static size_t ep_lower_bound(const struct viommu *v, uint32_t id)
{
	size_t lo = 0, hi = v->nr_eps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->eps[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct viommu_endpoint *viommu_find_endpoint(const struct viommu *v, uint32_t id)
{
	size_t i = ep_lower_bound(v, id);

	return i < v->nr_eps && v->eps[i]->id == id ? v->eps[i] : NULL;
}

struct viommu_endpoint *viommu_add_endpoint(struct viommu *v, uint32_t id,
					    enum viommu_endpoint_kind kind, void *opaque)
{
	struct viommu_endpoint *ep = NULL, **eps;
	struct viommu_domain **domains;
	size_t i;
	int err = 0;

	if ((unsigned int)kind >= VIOMMU_EP_KINDS) {
		errno = EINVAL;
		return NULL;
	}
	pthread_rwlock_wrlock(&v->lock);
	if (viommu_find_endpoint(v, id)) {
		err = EEXIST;
		goto out;
	}
	ep = calloc(1, sizeof(*ep));
	eps = realloc(v->eps, (v->nr_eps + 1) * sizeof(*eps));
	if (eps)
		v->eps = eps;
	domains = realloc(v->domains, (v->nr_eps + 1) * sizeof(*domains));
	if (domains)
		v->domains = domains;
	if (!ep || !eps || !domains) {
		free(ep);
		ep = NULL;
		err = ENOMEM;
		goto out;
	}
	ep->v = v;
	ep->id = id;
	ep->kind = kind;
	ep->opaque = opaque;
	/* A hardware endpoint starts in no domain: identity or blocked, as config.bypass says. */
	err = -set_unattached(v, ep);
	if (err) {
		free(ep);
		ep = NULL;
		goto out;
	}
	i = ep_lower_bound(v, id);
	memmove(&v->eps[i + 1], &v->eps[i], (v->nr_eps - i) * sizeof(*eps));
	v->eps[i] = ep;
	v->nr_eps++;
out:
	pthread_rwlock_unlock(&v->lock);
	if (err)
		errno = err;
	return ep;
}

int viommu_endpoint_add_resv(struct viommu_endpoint *ep, uint64_t start, uint64_t end,
			     uint8_t subtype)
{
	struct viommu *v = ep->v;
	struct viommu_resv *resv;
	int ret = 0;

	if (end < start ||
	    (subtype != VIRTIO_IOMMU_RESV_MEM_T_RESERVED && subtype != VIRTIO_IOMMU_RESV_MEM_T_MSI))
		return -EINVAL;
	pthread_rwlock_wrlock(&v->lock);
	/* The guest never sees IOVAs outside the input range: nothing to say about them. */
	if (start > v->p.input_end || end < v->p.input_start)
		goto out;
	if (start < v->p.input_start)
		start = v->p.input_start;
	if (end > v->p.input_end)
		end = v->p.input_end;
	/* One RESV_MEM each, after the MSI doorbell's, all within probe_size. */
	if ((ep->nr_resv + 2) * RESV_MEM_SIZE > v->p.probe_size) {
		ret = -ENOSPC;
		goto out;
	}
	resv = realloc(ep->resv, (ep->nr_resv + 1) * sizeof(*resv));
	if (!resv) {
		ret = -ENOMEM;
		goto out;
	}
	resv[ep->nr_resv++] =
	    (struct viommu_resv){ .start = start, .end = end, .subtype = subtype };
	ep->resv = resv;
	v->any_resv = true;
out:
	pthread_rwlock_unlock(&v->lock);
	return ret;
}

uint64_t viommu_features(const struct viommu *v)
{
	return v->features;
}

void viommu_set_features(struct viommu *v, uint64_t negotiated)
{
	pthread_rwlock_wrlock(&v->lock);
	v->negotiated = negotiated & v->features;
	pthread_rwlock_unlock(&v->lock);
}

bool viommu_negotiated(const struct viommu *v, unsigned int bit)
{
	return v->negotiated & (1ULL << bit);
}

/* ---- config space ---- */

void viommu_config_read(struct viommu *v, uint64_t offset, void *buf, size_t len)
{
	struct virtio_iommu_config cfg = { 0 };

	memset(buf, 0, len);
	pthread_rwlock_rdlock(&v->lock);
	cfg.page_size_mask = htole64(v->p.page_size_mask);
	cfg.input_range.start = htole64(v->p.input_start);
	cfg.input_range.end = htole64(v->p.input_end);
	cfg.domain_range.start = htole32(v->p.domain_start);
	cfg.domain_range.end = htole32(v->p.domain_end);
	cfg.probe_size = htole32(v->p.probe_size);
	cfg.bypass = v->bypass;
	pthread_rwlock_unlock(&v->lock);
	if (offset >= sizeof(cfg))
		return;
	if (len > sizeof(cfg) - offset)
		len = sizeof(cfg) - offset;
	memcpy(buf, (const uint8_t *)&cfg + offset, len);
}

void viommu_config_write(struct viommu *v, uint64_t offset, const void *buf, size_t len)
{
	uint8_t val;

	/* spec: the driver MAY write bypass (and nothing else) with BYPASS_CONFIG; only 0 or 1. */
	if (offset != offsetof(struct virtio_iommu_config, bypass) || len != 1)
		return;
	val = *(const uint8_t *)buf;
	if (val > 1)
		return;
	pthread_rwlock_wrlock(&v->lock);
	if (viommu_negotiated(v, VIRTIO_IOMMU_F_BYPASS_CONFIG) && v->bypass != val) {
		size_t i;

		v->bypass = val;
		/* Hardware endpoints in no domain follow now (the backend reports failures). */
		for (i = 0; i < v->nr_eps; i++)
			if (!v->eps[i]->domain)
				set_unattached(v, v->eps[i]);
	}
	pthread_rwlock_unlock(&v->lock);
}

/* ---- domains ---- */

struct viommu_domain *viommu_find_domain(const struct viommu *v, uint32_t id)
{
	size_t i;

	for (i = 0; i < v->nr_domains; i++)
		if (v->domains[i]->id == id)
			return v->domains[i];
	return NULL;
}

void viommu_domain_put(struct viommu *v, struct viommu_domain *d)
{
	size_t i;

	if (--d->nr_endpoints)
		return;
	/* spec: after all endpoints are detached, the domain ceases to exist. */
	for (i = 0; i < v->nr_domains; i++) {
		if (v->domains[i] == d) {
			v->domains[i] = v->domains[--v->nr_domains];
			break;
		}
	}
	d->be->ops->domain_free(d->be->ctx, d->obj);
	free(d);
}

/* 0, or -errno when the backend could not move the device out (it stays attached). */
int viommu_endpoint_detach(struct viommu *v, struct viommu_endpoint *ep)
{
	struct viommu_domain *d = ep->domain;
	int ret;

	if (!d)
		return 0;
	/* The device leaves the domain's address space before that can be freed. */
	ret = set_unattached(v, ep);
	if (ret)
		return ret;
	if (d->be->ops->detach)
		d->be->ops->detach(d->be->ctx, d->obj, ep->opaque);
	ep->domain = NULL;
	viommu_domain_put(v, d);
	return 0;
}

static void reset_locked(struct viommu *v)
{
	size_t i;

	/*
	 * A backend that cannot move a device out has reported it; the model forgets the domain
	 * anyway, since reset must leave none (its backend object may then outlive it).
	 */
	for (i = 0; i < v->nr_eps; i++) {
		struct viommu_endpoint *ep = v->eps[i];

		if (viommu_endpoint_detach(v, ep) && ep->domain) {
			struct viommu_domain *d = ep->domain;

			ep->domain = NULL;
			viommu_domain_put(v, d);
		}
	}
	v->negotiated = v->features;
}

void viommu_reset(struct viommu *v)
{
	pthread_rwlock_wrlock(&v->lock);
	reset_locked(v);
	pthread_rwlock_unlock(&v->lock);
	pthread_mutex_lock(&v->fault_lock);
	v->fault_head = v->fault_count = 0;
	pthread_mutex_unlock(&v->fault_lock);
}

void viommu_destroy(struct viommu *v)
{
	size_t i;

	if (!v)
		return;
	reset_locked(v);
	for (i = 0; i < v->nr_eps; i++) {
		free(v->eps[i]->resv);
		free(v->eps[i]);
	}
	free(v->eps);
	free(v->domains);
	free(v->faults);
	viommu_emulated_backend_destroy(v->emulated);
	pthread_rwlock_destroy(&v->lock);
	pthread_mutex_destroy(&v->fault_lock);
	free(v);
}

bool viommu_domain_in_range(const struct viommu *v, uint32_t id)
{
	return id >= v->p.domain_start && id <= v->p.domain_end;
}

bool viommu_all_zero(const uint8_t *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

/* ---- requests ---- */

uint8_t viommu_endpoint_join(struct viommu *v, struct viommu_endpoint *ep, struct viommu_domain *d,
			     bool created)
{
	const struct viommu_backend *be = d->be;
	int ret;

	/*
	 * spec: attaching an attached endpoint SHOULD behave as DETACH then ATTACH. The backend's
	 * attach replaces the old attachment (atomic for hardware); only then is the old domain
	 * let go, so a failure leaves the endpoint where it was.
	 */
	ret = be->ops->attach ? be->ops->attach(be->ctx, d->obj, ep->opaque) : 0;
	if (ret) {
		if (created) {
			be->ops->domain_free(be->ctx, d->obj);
			free(d);
		}
		/* The host could not make room; anything else: this endpoint cannot join. */
		return ret == -ENOMEM ? VIRTIO_IOMMU_S_NOMEM : VIRTIO_IOMMU_S_UNSUPP;
	}
	/* The old domain goes first: the array has room for one domain per endpoint. */
	if (ep->domain)
		viommu_domain_put(v, ep->domain);
	if (created)
		v->domains[v->nr_domains++] = d;
	d->nr_endpoints++;
	ep->domain = d;
	return VIRTIO_IOMMU_S_OK;
}

static uint8_t handle_attach(struct viommu *v, const struct virtio_iommu_req_attach *r)
{
	uint32_t domain = le32toh(r->domain), endpoint = le32toh(r->endpoint);
	uint32_t flags = le32toh(r->flags), known = 0;
	const struct viommu_backend *be;
	struct viommu_endpoint *ep;
	struct viommu_domain *d;
	bool bypass, created = false;

	/* spec: reserved not zero MUST be rejected with INVAL; so must unknown flags. */
	if (!viommu_all_zero(r->reserved, sizeof(r->reserved)))
		return VIRTIO_IOMMU_S_INVAL;
	if (viommu_negotiated(v, VIRTIO_IOMMU_F_BYPASS_CONFIG))
		known |= VIRTIO_IOMMU_ATTACH_F_BYPASS;
	if (flags & ~known)
		return VIRTIO_IOMMU_S_INVAL;
	bypass = flags & VIRTIO_IOMMU_ATTACH_F_BYPASS;
	/* spec: an endpoint that doesn't exist MUST be NOENT. */
	ep = viommu_find_endpoint(v, endpoint);
	if (!ep)
		return VIRTIO_IOMMU_S_NOENT;
	/* The driver MUST NOT use a domain outside domain_range; RANGE says which field. */
	if (!viommu_domain_in_range(v, domain))
		return VIRTIO_IOMMU_S_RANGE;
	d = viommu_find_domain(v, domain);
	/* ATTACH to a table domain: the endpoint joins the guest's table. */
	be = d && d->has_table ? v->table_backends[ep->kind] : v->backends[ep->kind];
	if (d) {
		/* spec: a BYPASS flag inconsistent with the existing domain SHOULD be INVAL. */
		if (d->bypass != bypass)
			return VIRTIO_IOMMU_S_INVAL;
		if (ep->domain == d)
			return VIRTIO_IOMMU_S_OK;
		/* spec: an endpoint incompatible with the domain's others SHOULD be UNSUPP. */
		if (d->be != be)
			return VIRTIO_IOMMU_S_UNSUPP;
	} else {
		if (!be)
			return VIRTIO_IOMMU_S_UNSUPP;
		d = calloc(1, sizeof(*d));
		if (!d)
			return VIRTIO_IOMMU_S_NOMEM;
		if (be->ops->domain_alloc(be->ctx, bypass, &d->obj)) {
			free(d);
			return VIRTIO_IOMMU_S_NOMEM;
		}
		d->id = domain;
		d->bypass = bypass;
		d->be = be;
		created = true;
	}
	return viommu_endpoint_join(v, ep, d, created);
}

static uint8_t handle_detach(struct viommu *v, const struct virtio_iommu_req_detach *r)
{
	uint32_t domain = le32toh(r->domain), endpoint = le32toh(r->endpoint);
	struct viommu_endpoint *ep;

	/* spec: reserved MUST be ignored; an unknown endpoint MUST be NOENT. */
	ep = viommu_find_endpoint(v, endpoint);
	if (!ep)
		return VIRTIO_IOMMU_S_NOENT;
	if (!viommu_domain_in_range(v, domain))
		return VIRTIO_IOMMU_S_RANGE;
	/* spec: unknown domain, or endpoint not attached to it: MAY be INVAL. */
	if (!ep->domain || ep->domain->id != domain)
		return VIRTIO_IOMMU_S_INVAL;
	/* The device could not be blocked (or bypassed): it must not look detached. */
	if (viommu_endpoint_detach(v, ep))
		return VIRTIO_IOMMU_S_DEVERR;
	return VIRTIO_IOMMU_S_OK;
}

/* Whether every byte of [start, end] is guest RAM (regions may abut). */
bool viommu_range_in_ram(const struct viommu *v, uint64_t start, uint64_t end)
{
	unsigned int i;

	if (!v->mem)
		return false;
	for (;;) {
		const struct gmem_region *hit = NULL;

		for (i = 0; i < v->mem->count && i < GMEM_MAX_REGIONS; i++) {
			const struct gmem_region *r = &v->mem->regions[i];

			if (r->size && start >= r->gpa && start - r->gpa < r->size) {
				hit = r;
				break;
			}
		}
		if (!hit)
			return false;
		/* Last byte of this region; end is inside it when end - gpa < size. */
		if (end - hit->gpa < hit->size)
			return true;
		start = hit->gpa + hit->size; /* no wrap: end lies beyond it */
	}
}

/* Whether [start, end] meets a reserved region of an endpoint attached to @d. */
static bool hits_resv(const struct viommu *v, const struct viommu_domain *d, uint64_t start,
		      uint64_t end)
{
	size_t i;
	unsigned int j;

	if (!v->any_resv)
		return false;
	for (i = 0; i < v->nr_eps; i++) {
		const struct viommu_endpoint *ep = v->eps[i];

		if (ep->domain != d)
			continue;
		for (j = 0; j < ep->nr_resv; j++)
			if (start <= ep->resv[j].end && end >= ep->resv[j].start)
				return true;
	}
	return false;
}

static uint8_t handle_map(struct viommu *v, const struct virtio_iommu_req_map *r)
{
	uint32_t domain = le32toh(r->domain), flags = le32toh(r->flags);
	uint64_t virt_start = le64toh(r->virt_start), virt_end = le64toh(r->virt_end);
	uint64_t phys_start = le64toh(r->phys_start), phys_end;
	uint32_t known = VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE;
	struct viommu_domain *d;
	int ret;

	if (!viommu_negotiated(v, VIRTIO_IOMMU_F_MAP_UNMAP))
		return VIRTIO_IOMMU_S_UNSUPP;
	/* spec: an unrecognized flags bit MUST be INVAL; MMIO exists only with F_MMIO. */
	if (viommu_negotiated(v, VIRTIO_IOMMU_F_MMIO))
		known |= VIRTIO_IOMMU_MAP_F_MMIO;
	if (flags & ~known)
		return VIRTIO_IOMMU_S_INVAL;
	if (!viommu_domain_in_range(v, domain))
		return VIRTIO_IOMMU_S_RANGE;
	/* The driver MUST make virt_end > virt_start: a reversed range is malformed. */
	if (virt_end < virt_start)
		return VIRTIO_IOMMU_S_INVAL;
	/* spec: virt_start, phys_start or virt_end + 1 unaligned SHOULD be RANGE. */
	if ((virt_start | phys_start | (virt_end + 1)) & (v->granule - 1))
		return VIRTIO_IOMMU_S_RANGE;
	/* spec: a mapping outside input_range fails; RANGE is "out-of-range parameters". */
	if (virt_start < v->p.input_start || virt_end > v->p.input_end)
		return VIRTIO_IOMMU_S_RANGE;
	if (virt_end - virt_start > UINT64_MAX - phys_start)
		return VIRTIO_IOMMU_S_RANGE;
	phys_end = phys_start + (virt_end - virt_start);
	/* spec: a domain that does not exist SHOULD be NOENT; a bypass one SHOULD be INVAL. */
	d = viommu_find_domain(v, domain);
	if (!d)
		return VIRTIO_IOMMU_S_NOENT;
	/* A domain is MAP/UNMAP or a guest table (nesting extension), never both. */
	if (d->bypass || d->has_table)
		return VIRTIO_IOMMU_S_INVAL;
	/*
	 * spec: a MAP overlapping a RESV_MEM region SHOULD be rejected (no status named): INVAL,
	 * as for a range that already holds a mapping.
	 */
	if (virt_start <= VIOMMU_MSI_END && virt_end >= VIOMMU_MSI_START)
		return VIRTIO_IOMMU_S_INVAL;
	if (hits_resv(v, d, virt_start, virt_end))
		return VIRTIO_IOMMU_S_INVAL;
	/*
	 * spec: the physical range should be within the guest-physical address space (no status
	 * named). Normal memory must be guest RAM; MMIO may be anywhere (accesses to it are still
	 * checked by the memory API). Out of RAM is RANGE: the address is out of range.
	 */
	if (!(flags & VIRTIO_IOMMU_MAP_F_MMIO) && !viommu_range_in_ram(v, phys_start, phys_end))
		return VIRTIO_IOMMU_S_RANGE;
	ret = d->be->ops->map(d->be->ctx, d->obj, virt_start, virt_end, phys_start, flags);
	switch (ret) {
	case 0:
		d->mapped = true;
		return VIRTIO_IOMMU_S_OK;
	case -EEXIST: /* spec: a mapping already in the range SHOULD be INVAL */
		return VIRTIO_IOMMU_S_INVAL;
	case -ENOMEM:
	case -ENOSPC:
		return VIRTIO_IOMMU_S_NOMEM;
	case -EINVAL: /* the host refuses the range: a reserved IOVA, as above */
		return VIRTIO_IOMMU_S_INVAL;
	case -EOPNOTSUPP: /* a kind of mapping this backend cannot make (MMIO for VFIO) */
		return VIRTIO_IOMMU_S_UNSUPP;
	default:
		return VIRTIO_IOMMU_S_DEVERR;
	}
}

static uint8_t handle_unmap(struct viommu *v, const struct virtio_iommu_req_unmap *r)
{
	uint32_t domain = le32toh(r->domain);
	uint64_t virt_start = le64toh(r->virt_start), virt_end = le64toh(r->virt_end);
	struct viommu_domain *d;
	int ret;

	if (!viommu_negotiated(v, VIRTIO_IOMMU_F_MAP_UNMAP))
		return VIRTIO_IOMMU_S_UNSUPP;
	/* spec: reserved not zero MAY be INVAL (then MAY unmap): we reject and unmap nothing. */
	if (!viommu_all_zero(r->reserved, sizeof(r->reserved)))
		return VIRTIO_IOMMU_S_INVAL;
	if (!viommu_domain_in_range(v, domain))
		return VIRTIO_IOMMU_S_RANGE;
	if (virt_end < virt_start)
		return VIRTIO_IOMMU_S_INVAL;
	/* The driver MUST NOT send a range outside input_range. */
	if (virt_start < v->p.input_start || virt_end > v->p.input_end)
		return VIRTIO_IOMMU_S_RANGE;
	/* spec: unknown domain SHOULD be NOENT; a bypass domain SHOULD be INVAL. */
	d = viommu_find_domain(v, domain);
	if (!d)
		return VIRTIO_IOMMU_S_NOENT;
	if (d->bypass)
		return VIRTIO_IOMMU_S_INVAL;
	ret = d->be->ops->unmap(d->be->ctx, d->obj, virt_start, virt_end);
	switch (ret) {
	case 0: /* spec: unmapped holes in the range are fine, OK */
		return VIRTIO_IOMMU_S_OK;
	case -ERANGE: /* spec: a request that would split a mapping SHOULD be RANGE */
		return VIRTIO_IOMMU_S_RANGE;
	default:
		return VIRTIO_IOMMU_S_DEVERR;
	}
}

static void put_resv_mem(uint8_t *at, uint8_t subtype, uint64_t start, uint64_t end)
{
	struct virtio_iommu_probe_resv_mem m = { 0 };

	m.head.type = htole16(VIRTIO_IOMMU_PROBE_T_RESV_MEM);
	m.head.length = htole16(RESV_MEM_SIZE - sizeof(m.head));
	m.subtype = subtype;
	m.start = htole64(start);
	m.end = htole64(end);
	memcpy(at, &m, sizeof(m));
}

static uint8_t handle_probe(struct viommu *v, const struct virtio_iommu_req_probe *r,
			    uint8_t *props, size_t props_len)
{
	const struct viommu_endpoint *ep;
	unsigned int i;

	/* spec: reserved MUST be ignored; an unknown endpoint SHOULD be NOENT. */
	ep = viommu_find_endpoint(v, le32toh(r->endpoint));
	if (!ep)
		return VIRTIO_IOMMU_S_NOENT;
	/*
	 * The caller checked props_len == probe_size; viommu_endpoint_add_resv() kept the list
	 * within it. The rest stays zero (NONE).
	 */
	if (props_len < (ep->nr_resv + 1) * RESV_MEM_SIZE)
		return VIRTIO_IOMMU_S_DEVERR;
	put_resv_mem(props, VIRTIO_IOMMU_RESV_MEM_T_MSI, VIOMMU_MSI_START, VIOMMU_MSI_END);
	for (i = 0; i < ep->nr_resv; i++)
		put_resv_mem(props + (i + 1) * RESV_MEM_SIZE, ep->resv[i].subtype,
			     ep->resv[i].start, ep->resv[i].end);
	/* Formats only for a driver that knows them: Linux logs property types it does not. */
	if (viommu_negotiated(v, VIRTIO_IOMMU_F_ATTACH_TABLE)) {
		size_t at = (ep->nr_resv + 1) * RESV_MEM_SIZE;

		if (viommu_probe_table_formats(v, ep, props + at, props_len - at) < 0)
			return VIRTIO_IOMMU_S_DEVERR;
	}
	return VIRTIO_IOMMU_S_OK;
}

/* Device-readable bytes of each request type (its struct without the tail); 0: unknown. */
static size_t request_size(const struct viommu *v, uint8_t type)
{
	bool nested = viommu_negotiated(v, VIRTIO_IOMMU_F_ATTACH_TABLE);

	switch (type) {
	case VIRTIO_IOMMU_T_ATTACH_TABLE:
		return nested ? sizeof(struct virtio_iommu_req_attach_table) - TAIL_SIZE : 0;
	case VIRTIO_IOMMU_T_INVALIDATE:
		return nested ? sizeof(struct virtio_iommu_req_invalidate) - TAIL_SIZE : 0;
	case VIRTIO_IOMMU_T_ATTACH:
		return sizeof(struct virtio_iommu_req_attach) - TAIL_SIZE;
	case VIRTIO_IOMMU_T_DETACH:
		return sizeof(struct virtio_iommu_req_detach) - TAIL_SIZE;
	case VIRTIO_IOMMU_T_MAP:
		return sizeof(struct virtio_iommu_req_map) - TAIL_SIZE;
	case VIRTIO_IOMMU_T_UNMAP:
		return sizeof(struct virtio_iommu_req_unmap) - TAIL_SIZE;
	case VIRTIO_IOMMU_T_PROBE:
		return sizeof(struct virtio_iommu_req_probe);
	default:
		return 0;
	}
}

int viommu_handle_request(struct viommu *v, const void *req, size_t req_len, void *reply,
			  size_t reply_cap, size_t *reply_len)
{
	/* Big enough for any request's readable part, and aligned for the structs. */
	union {
		struct virtio_iommu_req_attach attach;
		struct virtio_iommu_req_detach detach;
		struct virtio_iommu_req_map map;
		struct virtio_iommu_req_unmap unmap;
		struct virtio_iommu_req_probe probe;
		struct virtio_iommu_req_attach_table attach_table;
		struct virtio_iommu_req_invalidate invalidate;
		uint8_t bytes[sizeof(struct virtio_iommu_req_probe)];
	} r;
	struct virtio_iommu_req_tail tail = { 0 };
	uint8_t *out = reply, type;
	size_t want, writable;

	*reply_len = 0;
	/*
	 * spec: a request whose type is not recognized SHOULD NOT be written, used length 0. A
	 * request too short to hold even the type byte has no type we know either.
	 */
	type = req_len ? *(const uint8_t *)req : 0;
	want = request_size(v, type);
	if (!want)
		return -EOPNOTSUPP;
	/* spec: when the device cannot find the tail, it returns the buffers unwritten. */
	if (reply_cap < TAIL_SIZE)
		return -EINVAL;
	writable = type == VIRTIO_IOMMU_T_PROBE ? v->p.probe_size + TAIL_SIZE : TAIL_SIZE;
	/* Nothing before the tail is left as it was: the whole writable part is ours. */
	memset(out, 0, reply_cap);
	*reply_len = reply_cap;
	/*
	 * The readable part must be exactly the type's struct and the writable part exactly the
	 * tail (PROBE: probe_size property bytes then the tail); anything else is malformed,
	 * INVAL (spec for PROBE: a properties buffer smaller than probe_size SHOULD be INVAL and
	 * get no property).
	 */
	if (req_len != want || reply_cap != writable) {
		tail.status = VIRTIO_IOMMU_S_INVAL;
		goto done;
	}
	memcpy(r.bytes, req, want);
	/* spec: the device MUST ignore reserved of the head. */
	if (type == VIRTIO_IOMMU_T_INVALIDATE) {
		/* Changes nothing of ours: DMA translation may go on meanwhile. */
		pthread_rwlock_rdlock(&v->lock);
		tail.status = viommu_handle_invalidate(v, &r.invalidate);
		pthread_rwlock_unlock(&v->lock);
		goto done;
	}
	pthread_rwlock_wrlock(&v->lock);
	switch (type) {
	case VIRTIO_IOMMU_T_ATTACH_TABLE:
		tail.status = viommu_handle_attach_table(v, &r.attach_table);
		break;
	case VIRTIO_IOMMU_T_ATTACH:
		tail.status = handle_attach(v, &r.attach);
		break;
	case VIRTIO_IOMMU_T_DETACH:
		if (viommu_negotiated(v, VIRTIO_IOMMU_F_ATTACH_TABLE)) {
			bool handled;

			tail.status = viommu_handle_detach_pasid(v, &r.detach, &handled);
			if (handled)
				break;
		}
		tail.status = handle_detach(v, &r.detach);
		break;
	case VIRTIO_IOMMU_T_MAP:
		tail.status = handle_map(v, &r.map);
		break;
	case VIRTIO_IOMMU_T_UNMAP:
		tail.status = handle_unmap(v, &r.unmap);
		break;
	case VIRTIO_IOMMU_T_PROBE:
		tail.status = handle_probe(v, &r.probe, out, reply_cap - TAIL_SIZE);
		if (tail.status != VIRTIO_IOMMU_S_OK)
			memset(out, 0, reply_cap - TAIL_SIZE);
		break;
	}
	pthread_rwlock_unlock(&v->lock);
done:
	memcpy(out + reply_cap - TAIL_SIZE, &tail, TAIL_SIZE);
	return 0;
}

/* ---- translation and faults ---- */

/*
 * A fault seen inside a dma_space begin/end bracket, reported at end: reporting notifies the
 * eventq, which must not happen under the rdlock (the requestq may be waiting for the wrlock
 * while holding the transport lock the eventq needs).
 */
static __thread struct {
	bool pending;
	uint8_t reason;
	uint32_t flags, endpoint;
	uint64_t address;
} deferred_fault;

/* The translation itself; the caller holds v->lock for reading. */
static int translate_locked(struct viommu_endpoint *ep, uint64_t addr, uint64_t len, bool write,
			    uint64_t *gpa, uint64_t *contig)
{
	const struct viommu_domain *d = ep->domain;
	uint8_t reason = VIRTIO_IOMMU_FAULT_R_UNKNOWN;
	bool identity = false;
	uint32_t flags, need = write ? VIOMMU_MAP_WRITE : VIOMMU_MAP_READ;

	if (!d) {
		/* spec: unattached endpoints bypass when config.bypass is 1 (BYPASS_CONFIG). */
		identity = ep->v->bypass;
		reason = VIRTIO_IOMMU_FAULT_R_DOMAIN;
	} else if (d->bypass) {
		identity = true;
	} else if (d->be->ops->translate &&
		   !d->be->ops->translate(d->be->ctx, d->obj, addr, gpa, contig, &flags) &&
		   (flags & need)) {
		return 0;
	} else if (d->be->ops->translate) {
		/* spec: MAPPING covers both a miss and the wrong protection flags. */
		reason = VIRTIO_IOMMU_FAULT_R_MAPPING;
	}
	if (identity) {
		*gpa = addr;
		*contig = len ? len : 1;
		return 0;
	}
	deferred_fault.pending = true;
	deferred_fault.reason = reason;
	deferred_fault.flags = (write ? VIRTIO_IOMMU_FAULT_F_WRITE : VIRTIO_IOMMU_FAULT_F_READ) |
			       VIRTIO_IOMMU_FAULT_F_ADDRESS;
	deferred_fault.endpoint = ep->id;
	deferred_fault.address = addr;
	return -EFAULT;
}

static void dma_begin(void *opaque)
{
	struct viommu_endpoint *ep = opaque;

	pthread_rwlock_rdlock(&ep->v->lock);
}

static void dma_end(void *opaque)
{
	struct viommu_endpoint *ep = opaque;

	pthread_rwlock_unlock(&ep->v->lock);
	if (deferred_fault.pending) {
		deferred_fault.pending = false;
		viommu_report_fault(ep->v, deferred_fault.reason, deferred_fault.flags,
				    deferred_fault.endpoint, deferred_fault.address);
	}
}

static int dma_translate(void *opaque, uint64_t addr, uint64_t len, bool write, uint64_t *gpa,
			 uint64_t *contig)
{
	return translate_locked(opaque, addr, len, write, gpa, contig);
}

int viommu_translate(void *opaque, uint64_t addr, uint64_t len, bool write, uint64_t *gpa,
		     uint64_t *contig)
{
	int ret;

	dma_begin(opaque);
	ret = translate_locked(opaque, addr, len, write, gpa, contig);
	dma_end(opaque);
	return ret;
}

struct dma_space viommu_endpoint_dma(struct viommu_endpoint *ep, const struct gmem *mem)
{
	return (struct dma_space){
		.mem = mem,
		.translate = dma_translate,
		.begin = dma_begin,
		.end = dma_end,
		.opaque = ep,
	};
}

void viommu_report_fault(struct viommu *v, uint8_t reason, uint32_t flags, uint32_t endpoint,
			 uint64_t address)
{
	void (*notify)(void *ctx) = NULL;
	void *ctx = NULL;

	pthread_mutex_lock(&v->fault_lock);
	if (v->fault_count == v->p.fault_queue_len) {
		/* spec: with no eventq buffer the device may drop the event. */
		v->faults_dropped++;
	} else {
		struct virtio_iommu_fault *f =
		    &v->faults[(v->fault_head + v->fault_count) % v->p.fault_queue_len];

		memset(f, 0, sizeof(*f));
		f->reason = reason;
		f->flags = htole32(flags);
		f->endpoint = htole32(endpoint);
		f->address = htole64(address);
		v->fault_count++;
		notify = v->notify;
		ctx = v->notify_ctx;
	}
	pthread_mutex_unlock(&v->fault_lock);
	if (notify)
		notify(ctx);
}

bool viommu_pop_fault(struct viommu *v, struct virtio_iommu_fault *out)
{
	bool got = false;

	pthread_mutex_lock(&v->fault_lock);
	if (v->fault_count) {
		*out = v->faults[v->fault_head];
		v->fault_head = (v->fault_head + 1) % v->p.fault_queue_len;
		v->fault_count--;
		got = true;
	}
	pthread_mutex_unlock(&v->fault_lock);
	return got;
}

unsigned long viommu_faults_dropped(struct viommu *v)
{
	unsigned long n;

	pthread_mutex_lock(&v->fault_lock);
	n = v->faults_dropped;
	pthread_mutex_unlock(&v->fault_lock);
	return n;
}

void viommu_set_fault_notify(struct viommu *v, void (*notify)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&v->fault_lock);
	v->notify = notify;
	v->notify_ctx = ctx;
	pthread_mutex_unlock(&v->fault_lock);
}
