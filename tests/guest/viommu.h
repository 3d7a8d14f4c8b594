/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A polled virtio-iommu driver (virtio 1.2 §5.13) for the guest payloads: bring-up, request
 * builders for ATTACH/DETACH/MAP/UNMAP/PROBE (and raw byte strings, for malformed ones), and
 * submission of one request or a batch with one notify. With the nesting extension
 * (docs/virtio-iommu-nested.md) also ATTACH_TABLE, INVALIDATE, DETACH with a PASID, the eventq
 * (faults, viommu_event.h) and the invalq (queue 2) when the device has one.
 */
#ifndef GUEST_VIOMMU_H
#define GUEST_VIOMMU_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_config.h>
#include <linux/virtio_iommu.h>
#include <linux/virtio_ring.h>

#include "../../iommu/viommu_nested.h"
#include "virtq.h"
#include "vtrans.h"

#define VIRTIO_ID_IOMMU 23
#define VIOMMU_REQUESTQ 0
#define VIOMMU_EVENTQ 1
#define VIOMMU_INVALQ VIRTIO_IOMMU_INVALQ
#define VIOMMU_EVENT_BUFS 16 /* fault buffers kept posted on the eventq */
#define VIOMMU_PROBE_MAX 512 /* property bytes we can take */
#define VIOMMU_TAIL 4
/* What a reply holds before the device writes it: tells "unwritten" from any status. */
#define VIOMMU_UNWRITTEN 0xa5

/* Every feature this driver knows, indirect descriptors included. */
#define VIOMMU_WANTED_FEATURES                                                      \
	(1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_INDIRECT_DESC |         \
	 1ULL << VIRTIO_IOMMU_F_INPUT_RANGE | 1ULL << VIRTIO_IOMMU_F_DOMAIN_RANGE | \
	 1ULL << VIRTIO_IOMMU_F_MAP_UNMAP | 1ULL << VIRTIO_IOMMU_F_PROBE |          \
	 1ULL << VIRTIO_IOMMU_F_MMIO | 1ULL << VIRTIO_IOMMU_F_BYPASS_CONFIG)

/* The above and the nesting extension. */
#define VIOMMU_NESTED_FEATURES (VIOMMU_WANTED_FEATURES | 1ULL << VIRTIO_IOMMU_F_ATTACH_TABLE)

struct viommu_config {
	uint64_t page_size_mask;
	uint64_t input_start, input_end;
	uint32_t domain_start, domain_end;
	uint32_t probe_size;
	uint8_t bypass;
};

struct viommu_dev {
	struct vtrans t;
	struct virtq rq;
	struct virtq iq; /* the invalq, when has_iq */
	struct virtq eq; /* the eventq, when has_eq */
	bool has_iq, has_eq;
	uint64_t features; /* negotiated, transport bits included */
	struct viommu_config cfg;
	struct viommu_req *owner[VIRTQ_MAX]; /* the request behind each requestq head */
	struct viommu_req *iq_owner[VIRTQ_MAX]; /* the same for the invalq */
};

struct viommu_req {
	union {
		struct virtio_iommu_req_head head;
		struct virtio_iommu_req_attach attach;
		struct virtio_iommu_req_detach detach;
		struct virtio_iommu_req_map map;
		struct virtio_iommu_req_unmap unmap;
		struct virtio_iommu_req_probe probe;
		struct virtio_iommu_req_attach_table attach_table;
		struct virtio_iommu_req_invalidate invalidate;
		struct virtio_iommu_req_detach_pasid detach_pasid;
		uint8_t raw[128];
	} in;
	uint32_t in_len; /* device-readable bytes of @in */
	uint32_t out_len; /* device-writable bytes of @out: the tail last */
	uint32_t used_len; /* what the device said it wrote */
	bool done;
	uint8_t out[VIOMMU_PROBE_MAX + VIOMMU_TAIL];
};

enum viommu_init_result {
	VIOMMU_INIT_OK,
	VIOMMU_INIT_FEATURES, /* FEATURES_OK refused */
	VIOMMU_INIT_QUEUE, /* the request queue did not become ready */
};

/* The first virtio-iommu: in a virtio-mmio window, else on PCI bus 0. */
bool viommu_find(struct viommu_dev *v);
/*
 * Negotiates @features (all of them or nothing), reads the config, sets up the request queue
 * with @qsize entries (clamped to QueueNumMax and VIRTQ_MAX) and sets DRIVER_OK.
 */
enum viommu_init_result viommu_init(struct viommu_dev *v, uint64_t features, uint16_t qsize);
/*
 * The same with the eventq (VIOMMU_EVENT_BUFS fault buffers posted) and, when @features has
 * VIRTIO_IOMMU_F_ATTACH_TABLE and queue 2 exists (QueueNumMax != 0), the invalq.
 */
enum viommu_init_result viommu_init_nested(struct viommu_dev *v, uint64_t features, uint16_t qsize);

void viommu_req_attach(struct viommu_req *r, uint32_t domain, uint32_t endpoint, uint32_t flags);
void viommu_req_detach(struct viommu_req *r, uint32_t domain, uint32_t endpoint);
/* [virt_start, virt_end] inclusive, as on the wire. */
void viommu_req_map(struct viommu_req *r, uint32_t domain, uint64_t virt_start, uint64_t virt_end,
		    uint64_t phys_start, uint32_t flags);
void viommu_req_unmap(struct viommu_req *r, uint32_t domain, uint64_t virt_start,
		      uint64_t virt_end);
void viommu_req_probe(struct viommu_req *r, uint32_t endpoint, uint32_t probe_size);
/* format_flags: the VT-d flags, or the selftest mock's IOTLB value (low 32 bits). */
void viommu_req_attach_table(struct viommu_req *r, uint32_t domain, uint32_t endpoint,
			     uint64_t table, uint16_t format, uint64_t format_flags);
/* [address, address + size), used by scope RANGE only; PASID-less unless flags say so. */
void viommu_req_invalidate(struct viommu_req *r, uint32_t domain, uint8_t scope, uint8_t flags,
			   uint64_t address, uint64_t size);
void viommu_req_detach_pasid(struct viommu_req *r, uint32_t domain, uint32_t endpoint,
			     uint32_t flags, uint32_t pasid);
/* Any readable bytes and @out_len writable ones, for requests a good driver never sends. */
void viommu_req_raw(struct viommu_req *r, const void *in, uint32_t in_len, uint32_t out_len);

/* The status in the tail (VIOMMU_UNWRITTEN when the device left it alone). */
static inline uint8_t viommu_status(const struct viommu_req *r)
{
	return r->out_len >= VIOMMU_TAIL ? r->out[r->out_len - VIOMMU_TAIL] : VIOMMU_UNWRITTEN;
}

/* "OK", "INVAL", ...; "unwritten" for VIOMMU_UNWRITTEN, "no answer" for -1. */
const char *viommu_status_name(int s);

/*
 * Queues @n requests on queue @q (VIOMMU_REQUESTQ or VIOMMU_INVALQ; direct descriptors, or
 * one indirect table each) and notifies once. Returns false, queuing nothing, when they do not
 * fit in the ring.
 */
bool viommu_submit_on(struct viommu_dev *v, unsigned int q, struct viommu_req *r, unsigned int n,
		      bool indirect);
/*
 * Polls queue @q's used ring until @n requests are back (each marked done, with its used
 * length); false on a timeout.
 */
bool viommu_wait_on(struct viommu_dev *v, unsigned int q, unsigned int n);
/*
 * Takes whatever queue @q's used ring holds now, without waiting: each request marked done
 * with its used length. How many came back.
 */
unsigned int viommu_poll_on(struct viommu_dev *v, unsigned int q);
/* One request on queue @q, direct, waited for: its status, or -1 when it never came back. */
int viommu_do_on(struct viommu_dev *v, unsigned int q, struct viommu_req *r);

/* The same on the request queue. */
static inline bool viommu_submit(struct viommu_dev *v, struct viommu_req *r, unsigned int n,
				 bool indirect)
{
	return viommu_submit_on(v, VIOMMU_REQUESTQ, r, n, indirect);
}

static inline bool viommu_wait(struct viommu_dev *v, unsigned int n)
{
	return viommu_wait_on(v, VIOMMU_REQUESTQ, n);
}

static inline int viommu_do(struct viommu_dev *v, struct viommu_req *r)
{
	return viommu_do_on(v, VIOMMU_REQUESTQ, r);
}

/* Where INVALIDATEs go: the invalq when the device has one, else the request queue. */
static inline unsigned int viommu_inval_queue(const struct viommu_dev *v)
{
	return v->has_iq ? VIOMMU_INVALQ : VIOMMU_REQUESTQ;
}

/* The ring of queue @q (the request queue unless @q is the invalq and it exists). */
static inline struct virtq *viommu_queue(struct viommu_dev *v, unsigned int q)
{
	return q == VIOMMU_INVALQ && v->has_iq ? &v->iq : &v->rq;
}

#endif
