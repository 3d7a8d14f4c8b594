// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-iommu's requests: ATTACH, DETACH, MAP, UNMAP and PROBE checked and carried out on
 * the model's state, and viommu_handle_request(), which takes a request apart and sends it to
 * its handler (the nesting extension's to viommu_nested.c). "spec:" as in viommu.c.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "viommu.h"
#include "viommu_internal.h"
#include "viommu_nested.h"

bool viommu_all_zero(const uint8_t *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
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
		int err;

		d = viommu_domain_create(domain, be, bypass, NULL, &err);
		if (!d)
			return VIRTIO_IOMMU_S_NOMEM;
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

/* A request of the requestq, served; unknown types are not counted (they get no answer). */
static void count_request(struct viommu *v, uint8_t type, uint8_t status)
{
	switch (type) {
	case VIRTIO_IOMMU_T_ATTACH:
		viommu_count(v, attach, 1);
		break;
	case VIRTIO_IOMMU_T_ATTACH_TABLE:
		viommu_count(v, attach_table, 1);
		break;
	case VIRTIO_IOMMU_T_DETACH:
		viommu_count(v, detach, 1);
		break;
	case VIRTIO_IOMMU_T_MAP:
		viommu_count(v, map, 1);
		break;
	case VIRTIO_IOMMU_T_UNMAP:
		viommu_count(v, unmap, 1);
		break;
	case VIRTIO_IOMMU_T_PROBE:
		viommu_count(v, probe, 1);
		break;
	case VIRTIO_IOMMU_T_INVALIDATE:
		viommu_count(v, inval_requestq, 1);
		break;
	}
	if (status != VIRTIO_IOMMU_S_OK)
		viommu_count(v, errors, 1);
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
	count_request(v, type, tail.status);
	memcpy(out + reply_cap - TAIL_SIZE, &tail, TAIL_SIZE);
	return 0;
}

void viommu_get_stats(struct viommu *v, struct viommu_stats *out)
{
#define LOAD(field) (out->field = __atomic_load_n(&v->stats.field, __ATOMIC_RELAXED))
	LOAD(attach);
	LOAD(attach_table);
	LOAD(detach);
	LOAD(map);
	LOAD(unmap);
	LOAD(probe);
	LOAD(inval_requestq);
	LOAD(inval_invalq);
	LOAD(errors);
#undef LOAD
}
