// SPDX-License-Identifier: GPL-2.0
#include <linux/virtio_config.h>

#include "arch.h"
#include "lib.h"
#include "viommu.h"

#define POLL_LIMIT (1ULL << 28) /* empty polls before a request counts as lost */

static struct virtq_mem requestq_mem;

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

enum viommu_init_result viommu_init(struct viommu_dev *v, uint64_t features, uint16_t qsize)
{
	uint32_t max;

	if (!vtrans_negotiate(&v->t, features))
		return VIOMMU_INIT_FEATURES;
	v->features = features;
	read_config(v);
	max = vtrans_queue_max(&v->t, VIOMMU_REQUESTQ);
	if (qsize > max)
		qsize = (uint16_t)max;
	if (qsize > VIRTQ_MAX)
		qsize = VIRTQ_MAX;
	if (!qsize)
		return VIOMMU_INIT_QUEUE;
	virtq_init(&v->rq, &requestq_mem, qsize);
	if (!vtrans_queue_setup(&v->t, VIOMMU_REQUESTQ, &v->rq))
		return VIOMMU_INIT_QUEUE;
	vtrans_driver_ok(&v->t);
	return VIOMMU_INIT_OK;
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

void viommu_req_raw(struct viommu_req *r, const void *in, uint32_t in_len, uint32_t out_len)
{
	if (in_len > sizeof(r->in.raw))
		in_len = sizeof(r->in.raw);
	if (out_len > sizeof(r->out))
		out_len = sizeof(r->out);
	memcpy(r->in.raw, in, in_len);
	prepare(r, in_len, out_len);
}

bool viommu_submit(struct viommu_dev *v, struct viommu_req *r, unsigned int n, bool indirect)
{
	unsigned int per = indirect ? 1 : 2;

	if (n * per > virtq_free(&v->rq))
		return false;
	for (unsigned int i = 0; i < n; i++) {
		struct virtq_buf out = { r[i].in.raw, r[i].in_len };
		struct virtq_buf in = { r[i].out, r[i].out_len };
		int head = virtq_add(&v->rq, &out, 1, &in, 1, indirect);

		if (head < 0)
			return false; /* cannot happen: room was checked */
		v->owner[head] = &r[i];
	}
	vtrans_kick(&v->t, VIOMMU_REQUESTQ, &v->rq);
	return true;
}

bool viommu_wait(struct viommu_dev *v, unsigned int n)
{
	uint64_t idle = 0;

	while (n) {
		uint16_t head;
		uint32_t len;

		if (!virtq_get_used(&v->rq, &head, &len)) {
			if (++idle == POLL_LIMIT)
				return false;
			cpu_relax();
			continue;
		}
		idle = 0;
		if (head < VIRTQ_MAX && v->owner[head]) {
			v->owner[head]->used_len = len;
			v->owner[head]->done = true;
			v->owner[head] = 0;
		}
		n--;
	}
	return true;
}

int viommu_do(struct viommu_dev *v, struct viommu_req *r)
{
	if (!viommu_submit(v, r, 1, false) || !viommu_wait(v, 1))
		return -1;
	return viommu_status(r);
}
