// SPDX-License-Identifier: GPL-2.0
/*
 * The nesting extension's requests (docs/virtio-iommu-nested.md): ATTACH_TABLE, INVALIDATE,
 * DETACH with a PASID, and PROBE's TABLE_FORMAT properties. Every field is checked here; the
 * table backend gets only validated tables and ranges.
 *
 * nestvm keeps one table per domain, the PASID-less one: its hosts (Linux 6.12) attach no
 * PASID HWPTs, so every backend reports pasid_bits 0 and a request naming a PASID is RANGE.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "viommu_internal.h"
#include "viommu_nested.h"
#include "vmm/fault_inject.h"
#include "vmm/log.h"

#define PAGE_4K 0x1000ULL
#define MAX_FORMATS 4
#define VIOMMU_FORMAT_UNKNOWN 0x7fff /* no format has this number */
#define INVAL_RUN_MAX 64 /* entries per backend call */

/* The formats @ep's table backend offers it. */
static unsigned int endpoint_formats(const struct viommu *v, const struct viommu_endpoint *ep,
				     struct viommu_table_format *out)
{
	const struct viommu_backend *be = v->table_backends[ep->kind];

	if (!be || !be->ops->set_table || !be->ops->table_formats)
		return 0;
	return be->ops->table_formats(be->ctx, ep->opaque, out, MAX_FORMATS);
}

/* RANGE when @pasid is beyond what @ep can have; UNSUPP for any PASID we do not keep. */
static uint8_t check_pasid(const struct viommu *v, const struct viommu_endpoint *ep, uint32_t pasid)
{
	struct viommu_table_format f[MAX_FORMATS];
	unsigned int n = endpoint_formats(v, ep, f), bits = 0;

	for (unsigned int i = 0; i < n; i++)
		if (f[i].pasid_bits > bits)
			bits = f[i].pasid_bits;
	if (!bits || (bits < 32 && pasid >> bits))
		return VIRTIO_IOMMU_S_RANGE;
	return VIRTIO_IOMMU_S_UNSUPP;
}

static bool same_table(const struct viommu_table *a, const struct viommu_table *b)
{
	return a->format == b->format && a->root == b->root && a->flags == b->flags;
}

/* Checks the format-specific fields; INVAL, UNSUPP or OK. */
static uint8_t check_format(const struct viommu *v, const struct viommu_endpoint *ep,
			    const struct viommu_table *t)
{
	struct viommu_table_format f[MAX_FORMATS];
	unsigned int n = endpoint_formats(v, ep, f), i;

	switch (t->format) {
	case VIRTIO_IOMMU_FORMAT_VTD_S1:
		if (t->flags & ~VIRTIO_IOMMU_VTD_S1_KNOWN)
			return VIRTIO_IOMMU_S_INVAL;
		break;
	case VIRTIO_IOMMU_FORMAT_SELFTEST:
		/* The mock's data is one IOTLB value, carried in format_flags' low 32 bits. */
		if (t->flags >> 32)
			return VIRTIO_IOMMU_S_INVAL;
		break;
	default:
		return VIRTIO_IOMMU_S_INVAL;
	}
	for (i = 0; i < n && f[i].format != t->format; i++)
		;
	if (i == n)
		return VIRTIO_IOMMU_S_UNSUPP;
	if (t->format == VIRTIO_IOMMU_FORMAT_VTD_S1 && (t->flags & VIRTIO_IOMMU_VTD_S1_5LEVEL) &&
	    !(f[i].caps & VIRTIO_IOMMU_VTD_CAP_5LEVEL))
		return VIRTIO_IOMMU_S_UNSUPP;
	return VIRTIO_IOMMU_S_OK;
}

static uint8_t errno_status(int err)
{
	switch (err) {
	case -ENOMEM:
	case -ENOSPC:
		return VIRTIO_IOMMU_S_NOMEM;
	case -EINVAL:
		return VIRTIO_IOMMU_S_INVAL;
	case -EOPNOTSUPP:
		return VIRTIO_IOMMU_S_UNSUPP;
	default:
		return VIRTIO_IOMMU_S_DEVERR;
	}
}

uint8_t viommu_handle_attach_table(struct viommu *v, const void *req)
{
	const struct virtio_iommu_req_attach_table *r = req;
	uint32_t domain = le32toh(r->domain), pasid = le32toh(r->pasid);
	uint16_t flags = le16toh(r->flags);
	struct viommu_table t = {
		.format = le16toh(r->format),
		.root = le64toh(r->table),
		.flags = le64toh(r->format_flags),
	};
	const struct viommu_backend *be;
	struct viommu_endpoint *ep;
	struct viommu_domain *d;
	bool created = false;
	uint8_t status;
	int ret;

	if (!viommu_all_zero(r->reserved, sizeof(r->reserved)) ||
	    (flags & ~VIRTIO_IOMMU_TABLE_F_PASID))
		return VIRTIO_IOMMU_S_INVAL;
	ep = viommu_find_endpoint(v, le32toh(r->endpoint));
	if (!ep)
		return VIRTIO_IOMMU_S_NOENT;
	if (!viommu_domain_in_range(v, domain))
		return VIRTIO_IOMMU_S_RANGE;
	if (flags & VIRTIO_IOMMU_TABLE_F_PASID)
		return check_pasid(v, ep, pasid);
	if (t.root % PAGE_4K)
		return VIRTIO_IOMMU_S_INVAL;
	/*
	 * The root must be guest RAM, in every format (the SELFTEST one reads nothing there, but
	 * the guest cannot know that); the tables below it are checked as they are walked.
	 */
	if (!viommu_range_in_ram(v, t.root, t.root + PAGE_4K - 1))
		return VIRTIO_IOMMU_S_RANGE;
	status = check_format(v, ep, &t);
	if (status != VIRTIO_IOMMU_S_OK)
		return status;
	/* Tests: a device that refuses a table it could take (a guest driver must cope). */
	ret = fault_inject(FAULT_VIOMMU_ATTACH_TABLE);
	if (ret)
		return errno_status(ret);
	be = v->table_backends[ep->kind];
	d = viommu_find_domain(v, domain);
	if (d) {
		/* One table per domain: the guest edits it and invalidates, it does not swap it. */
		if (d->mapped || d->bypass || !d->has_table || !same_table(&d->table, &t))
			return VIRTIO_IOMMU_S_INVAL;
		if (ep->domain == d)
			return VIRTIO_IOMMU_S_OK;
		if (d->be != be)
			return VIRTIO_IOMMU_S_UNSUPP;
	} else {
		d = viommu_domain_create(domain, be, false, &t, &ret);
		if (!d)
			return errno_status(ret);
		created = true;
	}
	status = viommu_endpoint_join(v, ep, d, created);
	if (status == VIRTIO_IOMMU_S_OK && !v->table_announced[ep->kind]) {
		/* Which backend serves the guest's tables is the first thing to know of them. */
		v->table_announced[ep->kind] = true;
		pr_info("viommu: the guest's first table for %s endpoints (domain %u, root %#llx): "
			"served by the %s backend",
			ep->kind == VIOMMU_EP_VFIO ? "VFIO" : "emulated", domain,
			(unsigned long long)t.root, be->ops->name);
	}
	return status;
}

uint8_t viommu_handle_detach_pasid(struct viommu *v, const void *req, bool *handled)
{
	const struct virtio_iommu_req_detach_pasid *r = req;
	uint32_t flags = le32toh(r->flags);
	struct viommu_endpoint *ep;

	*handled = flags || r->pasid;
	if (!*handled)
		return VIRTIO_IOMMU_S_OK; /* a released DETACH */
	if (flags & ~VIRTIO_IOMMU_TABLE_F_PASID || !(flags & VIRTIO_IOMMU_TABLE_F_PASID))
		return VIRTIO_IOMMU_S_INVAL;
	ep = viommu_find_endpoint(v, le32toh(r->endpoint));
	if (!ep)
		return VIRTIO_IOMMU_S_NOENT;
	if (!viommu_domain_in_range(v, le32toh(r->domain)))
		return VIRTIO_IOMMU_S_RANGE;
	return check_pasid(v, ep, le32toh(r->pasid));
}

/* Validates an INVALIDATE into the domain it names and @inv. Read lock. */
static uint8_t parse_invalidate(struct viommu *v, const struct virtio_iommu_req_invalidate *r,
				struct viommu_domain **dp, struct viommu_inval *inv)
{
	uint32_t domain = le32toh(r->domain), pasid = le32toh(r->pasid);
	uint64_t address = le64toh(r->address), size = le64toh(r->size);
	struct viommu_domain *d;

	if (!viommu_all_zero(r->reserved, sizeof(r->reserved)) ||
	    !viommu_all_zero(r->reserved2, sizeof(r->reserved2)) ||
	    (r->flags & ~(VIRTIO_IOMMU_INVAL_F_PASID | VIRTIO_IOMMU_INVAL_F_LEAF)) ||
	    r->scope > VIRTIO_IOMMU_INVAL_S_RANGE)
		return VIRTIO_IOMMU_S_INVAL;
	if (!viommu_domain_in_range(v, domain))
		return VIRTIO_IOMMU_S_RANGE;
	d = viommu_find_domain(v, domain);
	if (!d || !d->has_table)
		return VIRTIO_IOMMU_S_NOENT;
	/* Every endpoint of a table domain has the same PASID limit: its table backend's. */
	if ((r->flags & VIRTIO_IOMMU_INVAL_F_PASID) && r->scope != VIRTIO_IOMMU_INVAL_S_DOMAIN) {
		for (size_t i = 0; i < v->nr_eps; i++)
			if (v->eps[i]->domain == d)
				return check_pasid(v, v->eps[i], pasid);
		return VIRTIO_IOMMU_S_NOENT;
	}
	*inv = (struct viommu_inval){ .all = true, .leaf = r->flags & VIRTIO_IOMMU_INVAL_F_LEAF };
	if (r->scope == VIRTIO_IOMMU_INVAL_S_RANGE) {
		if (!size || address % PAGE_4K || size % PAGE_4K || address + size - 1 < address)
			return VIRTIO_IOMMU_S_INVAL;
		inv->all = false;
		inv->start = address;
		inv->end = address + size - 1;
	}
	*dp = d;
	return VIRTIO_IOMMU_S_OK;
}

uint8_t viommu_handle_invalidate(struct viommu *v, const void *req)
{
	const void *reqs[1] = { req };
	size_t lens[1] = { sizeof(struct virtio_iommu_req_invalidate) - TAIL_SIZE };
	uint8_t status;

	/* The caller holds the read lock already: the batch path without taking it again. */
	viommu_invalidate_batch_locked(v, reqs, lens, 1, &status);
	return status;
}

/* Waits for the DMA brackets open now to close (viommu.dma_fence). */
static void fence_dma(struct viommu *v)
{
	pthread_rwlock_wrlock(&v->dma_fence);
	pthread_rwlock_unlock(&v->dma_fence);
}

/*
 * One backend call for a run of INVALIDATEs of domain @d; @idx says which request each entry
 * came from. An entry the host failed is IOERR, and the entries after it are sent again.
 */
static void flush_run(struct viommu *v, struct viommu_domain *d, const struct viommu_inval *inv,
		      const unsigned int *idx, unsigned int count, uint8_t *status)
{
	const struct viommu_backend *be = d->be;
	unsigned int at = 0;

	/* Tests: a device that fails a flush (the guest may retry: docs/virtio-iommu-nested.md). */
	for (unsigned int i = 0; fault_inject_active && i < count; i++)
		if (fault_inject(FAULT_VIOMMU_INVALIDATE))
			status[idx[i]] = VIRTIO_IOMMU_S_IOERR;
	if (be->ops->invalidate) {
		/* The requestq's vCPU and the invalq thread may both be here for @d: one at once.
		 */
		pthread_mutex_lock(&d->inval_lock);
		while (at < count) {
			unsigned int done = 0;
			int ret = be->ops->invalidate(be->ctx, d->obj, inv + at, count - at, &done);

			if (!ret || done >= count - at)
				break;
			status[idx[at + done]] = VIRTIO_IOMMU_S_IOERR;
			at += done + 1;
		}
		pthread_mutex_unlock(&d->inval_lock);
	}
	/* The walker's caches are dropped by now, but DMA that used them may still be moving. */
	if (be == v->emulated)
		fence_dma(v);
}

void viommu_invalidate_batch_locked(struct viommu *v, const void *const *reqs, const size_t *lens,
				    unsigned int n, uint8_t *status)
{
	struct viommu_inval inv[INVAL_RUN_MAX];
	unsigned int idx[INVAL_RUN_MAX], count = 0;
	struct viommu_domain *cur = NULL;

	for (unsigned int i = 0; i < n; i++) {
		struct virtio_iommu_req_invalidate r;
		struct viommu_domain *d = NULL;
		struct viommu_inval one;

		if (lens[i] != sizeof(r) - TAIL_SIZE) {
			status[i] = VIRTIO_IOMMU_S_INVAL;
			continue;
		}
		memcpy(&r, reqs[i], lens[i]);
		status[i] = parse_invalidate(v, &r, &d, &one);
		if (status[i] != VIRTIO_IOMMU_S_OK)
			continue;
		if (cur && (d != cur || count == INVAL_RUN_MAX)) {
			flush_run(v, cur, inv, idx, count, status);
			count = 0;
		}
		cur = d;
		inv[count] = one;
		idx[count++] = i;
	}
	if (count)
		flush_run(v, cur, inv, idx, count, status);
}

void viommu_invalidate_batch(struct viommu *v, const void *const *reqs, const size_t *lens,
			     unsigned int n, uint8_t *status)
{
	pthread_rwlock_rdlock(&v->lock);
	viommu_invalidate_batch_locked(v, reqs, lens, n, status);
	pthread_rwlock_unlock(&v->lock);
	viommu_count(v, inval_invalq, n);
	for (unsigned int i = 0; i < n; i++)
		if (status[i] != VIRTIO_IOMMU_S_OK)
			viommu_count(v, errors, 1);
}

void viommu_count_invalq_refused(struct viommu *v, unsigned int invalidates, unsigned int others)
{
	if (invalidates)
		viommu_count(v, inval_invalq, invalidates);
	if (invalidates + others)
		viommu_count(v, errors, invalidates + others);
}

long viommu_probe_table_formats(const struct viommu *v, const struct viommu_endpoint *ep,
				uint8_t *props, size_t len)
{
	struct viommu_table_format f[MAX_FORMATS];
	unsigned int n = endpoint_formats(v, ep, f);
	int broken = fault_inject(FAULT_VIOMMU_TABLE_FORMAT);
	size_t used = 0;

	/* Test-only: a device that offers ATTACH_TABLE but no format, or one nobody knows. */
	if (broken == -ENOENT)
		n = 0;
	for (unsigned int i = 0; broken && i < n; i++)
		f[i].format = VIOMMU_FORMAT_UNKNOWN;

	for (unsigned int i = 0; i < n; i++) {
		struct virtio_iommu_probe_table_format p = { 0 };

		if (used + sizeof(p) > len)
			return -ENOSPC;
		p.head.type = htole16(VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT);
		p.head.length = htole16(sizeof(p) - sizeof(p.head));
		p.format = htole16(f[i].format);
		p.pasid_bits = f[i].pasid_bits;
		p.address_bits = f[i].address_bits;
		p.format_caps = htole32(f[i].caps);
		p.page_sizes = htole64(f[i].page_sizes);
		memcpy(props + used, &p, sizeof(p));
		used += sizeof(p);
	}
	return used;
}
