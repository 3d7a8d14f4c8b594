// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-iommu device model. Status choices follow the device-normative text of virtio 1.2
 * §5.13.6 (quoted next to each check as "spec:"); where the spec leaves the status open, the
 * comment says why we chose the one we return.
 *
 * This file: the model's state (create, backends, endpoints, features, config space, domains,
 * reset, destroy). The requests are in viommu_requests.c, DMA translation in viommu_dma.c, the
 * fault queue in viommu_fault.c, the nesting extension in viommu_nested.c.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "viommu.h"
#include "viommu_internal.h"
#include "viommu_nested.h"

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
	pthread_rwlock_init(&v->dma_fence, &attr);
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

struct viommu_domain *viommu_domain_create(uint32_t id, const struct viommu_backend *be,
					   bool bypass, const struct viommu_table *t, int *err)
{
	struct viommu_domain *d = calloc(1, sizeof(*d));

	*err = -ENOMEM;
	if (!d)
		return NULL;
	*err = be->ops->domain_alloc(be->ctx, bypass, &d->obj);
	if (!*err && t) {
		*err = be->ops->set_table(be->ctx, d->obj, t);
		if (*err)
			be->ops->domain_free(be->ctx, d->obj);
	}
	if (*err) {
		free(d);
		return NULL;
	}
	pthread_mutex_init(&d->inval_lock, NULL);
	d->id = id;
	d->bypass = bypass;
	d->be = be;
	d->has_table = t;
	if (t)
		d->table = *t;
	return d;
}

void viommu_domain_destroy(struct viommu_domain *d)
{
	d->be->ops->domain_free(d->be->ctx, d->obj);
	pthread_mutex_destroy(&d->inval_lock);
	free(d);
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
	viommu_domain_destroy(d);
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
		if (created)
			viommu_domain_destroy(d);
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
	pthread_rwlock_destroy(&v->dma_fence);
	pthread_mutex_destroy(&v->fault_lock);
	free(v);
}

bool viommu_domain_in_range(const struct viommu *v, uint32_t id)
{
	return id >= v->p.domain_start && id <= v->p.domain_end;
}
