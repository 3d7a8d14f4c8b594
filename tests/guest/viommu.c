// SPDX-License-Identifier: GPL-2.0
#include <linux/virtio_config.h>

#include "arch.h"
#include "lib.h"
#include "viommu.h"
#include "viommu_event.h"

#define POLL_LIMIT (1ULL << 28) /* empty polls before a request counts as lost */

static struct virtq_mem requestq_mem, invalq_mem, eventq_mem;

bool viommu_find(struct viommu_dev *v)
{
	memset(v, 0, sizeof(*v));
	return vtrans_find(VIRTIO_ID_IOMMU, &v->t);
}

static void read_config(struct viommu_dev *v)
{
	const struct vtrans *m = &v->t;
	struct viommu_config *c = &v->cfg;

	c->page_size_mask =
	    vtrans_config64(m, offsetof(struct virtio_iommu_config, page_size_mask));
	c->input_start =
	    vtrans_config64(m, offsetof(struct virtio_iommu_config, input_range.start));
	c->input_end = vtrans_config64(m, offsetof(struct virtio_iommu_config, input_range.end));
	c->domain_start =
	    vtrans_config32(m, offsetof(struct virtio_iommu_config, domain_range.start));
	c->domain_end = vtrans_config32(m, offsetof(struct virtio_iommu_config, domain_range.end));
	c->probe_size = vtrans_config32(m, offsetof(struct virtio_iommu_config, probe_size));
	/* bypass shares its 32-bit word with reserved bytes: the transport takes whole words. */
	c->bypass = (uint8_t)vtrans_config32(m, offsetof(struct virtio_iommu_config, bypass));
}

/* Sets up queue @index with at most @qsize entries in @mem; false when it does not exist. */
static bool setup_queue(struct viommu_dev *v, unsigned int index, struct virtq *vq,
			struct virtq_mem *mem, uint16_t qsize)
{
	uint32_t max = vtrans_queue_max(&v->t, index);

	if (qsize > max)
		qsize = (uint16_t)max;
	if (qsize > VIRTQ_MAX)
		qsize = VIRTQ_MAX;
	if (!qsize)
		return false;
	virtq_init(vq, mem, qsize);
	return vtrans_queue_setup(&v->t, index, vq);
}

static enum viommu_init_result init(struct viommu_dev *v, uint64_t features, uint16_t qsize,
				    bool nested)
{
	if (!vtrans_negotiate(&v->t, features))
		return VIOMMU_INIT_FEATURES;
	v->features = features;
	v->has_iq = v->has_eq = false;
	read_config(v);
	if (!setup_queue(v, VIOMMU_REQUESTQ, &v->rq, &requestq_mem, qsize))
		return VIOMMU_INIT_QUEUE;
	if (nested) {
		if (!setup_queue(v, VIOMMU_EVENTQ, &v->eq, &eventq_mem, VIOMMU_EVENT_BUFS))
			return VIOMMU_INIT_QUEUE;
		v->has_eq = true;
		/* Queue 2 exists only with the extension: QueueNumMax 0 says it is not there. */
		if (features & 1ULL << VIRTIO_IOMMU_F_ATTACH_TABLE &&
		    vtrans_queue_max(&v->t, VIOMMU_INVALQ)) {
			if (!setup_queue(v, VIOMMU_INVALQ, &v->iq, &invalq_mem, qsize))
				return VIOMMU_INIT_QUEUE;
			v->has_iq = true;
		}
	}
	vtrans_driver_ok(&v->t);
	/* The device takes event buffers only once it is live: post them now. */
	if (v->has_eq)
		viommu_event_post_all(v);
	return VIOMMU_INIT_OK;
}

enum viommu_init_result viommu_init(struct viommu_dev *v, uint64_t features, uint16_t qsize)
{
	return init(v, features, qsize, false);
}

enum viommu_init_result viommu_init_nested(struct viommu_dev *v, uint64_t features, uint16_t qsize)
{
	return init(v, features, qsize, true);
}

/* A request of @in_len readable bytes already in r->in, and @out_len writable ones. */
static void prepare(struct viommu_req *r, uint32_t in_len, uint32_t out_len)
{
	r->in_len = in_len;
	r->out_len = out_len;
	r->used_len = 0;
	r->done = false;
	memset(r->out, VIOMMU_UNWRITTEN, out_len);
}

/* The readable part of a request whose uapi struct ends with the tail. */
#define READABLE(s) (sizeof(s) - sizeof(struct virtio_iommu_req_tail))

void viommu_req_attach(struct viommu_req *r, uint32_t domain, uint32_t endpoint, uint32_t flags)
{
	memset(&r->in.attach, 0, sizeof(r->in.attach));
	r->in.attach.head.type = VIRTIO_IOMMU_T_ATTACH;
	r->in.attach.domain = domain;
	r->in.attach.endpoint = endpoint;
	r->in.attach.flags = flags;
	prepare(r, READABLE(r->in.attach), VIOMMU_TAIL);
}

void viommu_req_detach(struct viommu_req *r, uint32_t domain, uint32_t endpoint)
{
	memset(&r->in.detach, 0, sizeof(r->in.detach));
	r->in.detach.head.type = VIRTIO_IOMMU_T_DETACH;
	r->in.detach.domain = domain;
	r->in.detach.endpoint = endpoint;
	prepare(r, READABLE(r->in.detach), VIOMMU_TAIL);
}

void viommu_req_map(struct viommu_req *r, uint32_t domain, uint64_t virt_start, uint64_t virt_end,
		    uint64_t phys_start, uint32_t flags)
{
	memset(&r->in.map, 0, sizeof(r->in.map));
	r->in.map.head.type = VIRTIO_IOMMU_T_MAP;
	r->in.map.domain = domain;
	r->in.map.virt_start = virt_start;
	r->in.map.virt_end = virt_end;
	r->in.map.phys_start = phys_start;
	r->in.map.flags = flags;
	prepare(r, READABLE(r->in.map), VIOMMU_TAIL);
}

void viommu_req_unmap(struct viommu_req *r, uint32_t domain, uint64_t virt_start, uint64_t virt_end)
{
	memset(&r->in.unmap, 0, sizeof(r->in.unmap));
	r->in.unmap.head.type = VIRTIO_IOMMU_T_UNMAP;
	r->in.unmap.domain = domain;
	r->in.unmap.virt_start = virt_start;
	r->in.unmap.virt_end = virt_end;
	prepare(r, READABLE(r->in.unmap), VIOMMU_TAIL);
}

void viommu_req_probe(struct viommu_req *r, uint32_t endpoint, uint32_t probe_size)
{
	memset(&r->in.probe, 0, sizeof(r->in.probe));
	r->in.probe.head.type = VIRTIO_IOMMU_T_PROBE;
	r->in.probe.endpoint = endpoint;
	if (probe_size > VIOMMU_PROBE_MAX)
		probe_size = VIOMMU_PROBE_MAX;
	/* The PROBE struct has no tail member: its readable part is all of it. */
	prepare(r, sizeof(r->in.probe), probe_size + VIOMMU_TAIL);
}

void viommu_req_attach_table(struct viommu_req *r, uint32_t domain, uint32_t endpoint,
			     uint64_t table, uint16_t format, uint64_t format_flags)
{
	struct virtio_iommu_req_attach_table *a = &r->in.attach_table;

	memset(a, 0, sizeof(*a));
	a->head.type = VIRTIO_IOMMU_T_ATTACH_TABLE;
	a->domain = domain;
	a->endpoint = endpoint;
	a->table = table;
	a->format_flags = format_flags;
	a->format = format;
	prepare(r, READABLE(*a), VIOMMU_TAIL);
}

void viommu_req_invalidate(struct viommu_req *r, uint32_t domain, uint8_t scope, uint8_t flags,
			   uint64_t address, uint64_t size)
{
	struct virtio_iommu_req_invalidate *i = &r->in.invalidate;

	memset(i, 0, sizeof(*i));
	i->head.type = VIRTIO_IOMMU_T_INVALIDATE;
	i->domain = domain;
	i->scope = scope;
	i->flags = flags;
	i->address = address;
	i->size = size;
	prepare(r, READABLE(*i), VIOMMU_TAIL);
}

void viommu_req_detach_pasid(struct viommu_req *r, uint32_t domain, uint32_t endpoint,
			     uint32_t flags, uint32_t pasid)
{
	struct virtio_iommu_req_detach_pasid *d = &r->in.detach_pasid;

	memset(d, 0, sizeof(*d));
	d->head.type = VIRTIO_IOMMU_T_DETACH;
	d->domain = domain;
	d->endpoint = endpoint;
	d->flags = flags;
	d->pasid = pasid;
	prepare(r, READABLE(*d), VIOMMU_TAIL);
}

void viommu_req_raw(struct viommu_req *r, const void *in, uint32_t in_len, uint32_t out_len)
{
	if (in_len > sizeof(r->in.raw))
		in_len = sizeof(r->in.raw);
	if (out_len > sizeof(r->out))
		out_len = sizeof(r->out);
	memcpy(r->in.raw, in, in_len);
	prepare(r, in_len, out_len);
}

static struct viommu_req **owners(struct viommu_dev *v, unsigned int q)
{
	return q == VIOMMU_INVALQ && v->has_iq ? v->iq_owner : v->owner;
}

bool viommu_submit_on(struct viommu_dev *v, unsigned int q, struct viommu_req *r, unsigned int n,
		      bool indirect)
{
	struct virtq *vq = viommu_queue(v, q);
	struct viommu_req **owner = owners(v, q);
	unsigned int per = indirect ? 1 : 2;

	if (vq == &v->rq)
		q = VIOMMU_REQUESTQ;
	if (n * per > virtq_free(vq))
		return false;
	for (unsigned int i = 0; i < n; i++) {
		struct virtq_buf out = { r[i].in.raw, r[i].in_len };
		struct virtq_buf in = { r[i].out, r[i].out_len };
		int head = virtq_add(vq, &out, 1, &in, 1, indirect);

		if (head < 0)
			return false; /* cannot happen: room was checked */
		owner[head] = &r[i];
	}
	vtrans_kick(&v->t, q, vq);
	return true;
}

/* Takes one used element of queue @q, if there is one, and marks its request done. */
static bool reap_one(struct viommu_dev *v, unsigned int q)
{
	struct viommu_req **owner = owners(v, q);
	uint16_t head;
	uint32_t len;

	if (!virtq_get_used(viommu_queue(v, q), &head, &len))
		return false;
	if (head < VIRTQ_MAX && owner[head]) {
		owner[head]->used_len = len;
		owner[head]->done = true;
		owner[head] = 0;
	}
	return true;
}

bool viommu_wait_on(struct viommu_dev *v, unsigned int q, unsigned int n)
{
	uint64_t idle = 0;

	while (n) {
		if (!reap_one(v, q)) {
			if (++idle == POLL_LIMIT)
				return false;
			cpu_relax();
			continue;
		}
		idle = 0;
		n--;
	}
	return true;
}

unsigned int viommu_poll_on(struct viommu_dev *v, unsigned int q)
{
	unsigned int n = 0;

	while (reap_one(v, q))
		n++;
	return n;
}

int viommu_do_on(struct viommu_dev *v, unsigned int q, struct viommu_req *r)
{
	if (!viommu_submit_on(v, q, r, 1, false) || !viommu_wait_on(v, q, 1))
		return -1;
	return viommu_status(r);
}

const char *viommu_status_name(int s)
{
	static const char *const names[] = { "OK",    "IOERR", "UNSUPP", "DEVERR", "INVAL",
					     "RANGE", "NOENT", "FAULT",	 "NOMEM" };

	if (s >= 0 && s < (int)ARRAY_SIZE(names))
		return names[s];
	return s == VIOMMU_UNWRITTEN ? "unwritten" : s < 0 ? "no answer" : "unknown";
}
