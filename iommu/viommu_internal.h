/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-iommu model's state, shared by its files: viommu.c (the state itself: endpoints,
 * config space, domains), viommu_requests.c (the released requests), viommu_dma.c (DMA
 * translation), viommu_fault.c (the fault queue) and viommu_nested.c (the nesting extension).
 * Not for other users.
 */
#ifndef NESTVM_VIOMMU_INTERNAL_H
#define NESTVM_VIOMMU_INTERNAL_H

#include <pthread.h>

#include "viommu.h"

#define TAIL_SIZE sizeof(struct virtio_iommu_req_tail)
/*
 * One PROBE RESV_MEM property: viommu.c keeps an endpoint's reserved regions within probe_size
 * by it, viommu_requests.c writes them (PROBE).
 */
#define RESV_MEM_SIZE sizeof(struct virtio_iommu_probe_resv_mem)

struct viommu_domain {
	uint32_t id;
	bool bypass;
	bool mapped; /* a MAP succeeded: the domain holds mappings, never a table */
	bool has_table; /* ATTACH_TABLE made it: @table is its address space */
	struct viommu_table table;
	unsigned int nr_endpoints;
	const struct viommu_backend *be;
	void *obj; /* the backend's domain */
	/*
	 * Held around every backend invalidate of this domain. The model's read lock lets the
	 * requestq (on a vCPU) and the invalq thread invalidate at once; this keeps one domain's
	 * invalidations in order and its backend state to one thread.
	 */
	pthread_mutex_t inval_lock;
};

struct viommu_resv {
	uint64_t start, end;
	uint8_t subtype;
};

struct viommu_endpoint {
	struct viommu *v;
	uint32_t id;
	enum viommu_endpoint_kind kind;
	void *opaque;
	struct viommu_domain *domain; /* NULL: not attached */
	struct viommu_resv *resv; /* reported by PROBE after the MSI doorbell */
	unsigned int nr_resv;
};

struct viommu {
	/*
	 * Everything below, up to the fault queue, is under @lock.
	 *
	 * The lock order of the virtio devices and the vIOMMU, outermost first (each may be
	 * taken with the ones before it held, never the other way round):
	 *   1. an endpoint's virtio-mmio transport lock (virtio-blk, net, console, rng: their
	 *      queue_notify, completions and receive paths DMA through the vIOMMU);
	 *   2. the virtio-iommu device's own transport lock (reached from 1 only through the
	 *      fault notify hook, which dma_end() calls after dropping @lock);
	 *   3. @lock, read (DMA translation, INVALIDATE, config reads) or write (requests,
	 *      features, reset, config writes); writer-preferring, so never taken twice;
	 *   4. a domain's inval_lock (viommu_nested.c, around the backend's invalidate).
	 * @fault_lock is taken under 2 only, never with @lock. No fault is reported and no
	 * transport lock taken with @lock held: that would invert 2 and 3.
	 * The PCI side is a chain of its own: pci_host.lock, then vfio_pci.lock, then
	 * msi_routes.lock. Leaf locks, under which nothing else is taken: vm.lock, serial's, rtc's,
	 * the invalq's start lock, msi_routes.lock, inval_lock, @fault_lock.
	 */
	pthread_rwlock_t lock;
	/*
	 * Read side: every DMA bracket of an endpoint (dma_begin to dma_end), inside @lock's.
	 * An INVALIDATE of a table the emulated backend walks takes the write side once, empty,
	 * after the walker's caches were dropped: a copy or zero-copy I/O that walked the old
	 * entries may still be moving data, and the INVALIDATE must not complete before it has.
	 * Writer-preferring; taken under 3 only, a leaf otherwise.
	 */
	pthread_rwlock_t dma_fence;
	struct viommu_params p;
	uint64_t granule;
	const struct gmem *mem;
	uint64_t features, negotiated;
	uint8_t bypass;
	struct viommu_backend *emulated; /* owned */
	const struct viommu_backend *backends[VIOMMU_EP_KINDS];
	const struct viommu_backend *table_backends[VIOMMU_EP_KINDS];
	bool table_announced[VIOMMU_EP_KINDS]; /* the first guest table of that kind was logged */
	struct viommu_endpoint **eps; /* sorted by id */
	size_t nr_eps;
	/* A domain lives while an endpoint is attached, so there are at most nr_eps of them. */
	struct viommu_domain **domains;
	size_t nr_domains;
	bool any_resv; /* some endpoint has reserved regions: MAP must check them */

	struct viommu_stats stats; /* relaxed atomics, outside @lock: viommu_count() */

	pthread_mutex_t fault_lock; /* the fault ring and the notify hook */
	struct virtio_iommu_fault *faults;
	unsigned int fault_head, fault_count;
	unsigned long faults_dropped;
	void (*notify)(void *ctx);
	void *notify_ctx;
};

/*
 * Helpers of viommu.c and viommu_requests.c (all_zero, range_in_ram), for the request handlers
 * there and in viommu_nested.c; the caller holds v->lock (read or write, as each says).
 */
bool viommu_negotiated(const struct viommu *v, unsigned int bit);
struct viommu_endpoint *viommu_find_endpoint(const struct viommu *v, uint32_t id);
struct viommu_domain *viommu_find_domain(const struct viommu *v, uint32_t id);
bool viommu_domain_in_range(const struct viommu *v, uint32_t id);
bool viommu_all_zero(const uint8_t *p, size_t len);
bool viommu_range_in_ram(const struct viommu *v, uint64_t start, uint64_t end);
/*
 * Write lock: a new domain @id of backend @be, holding guest table @t when not NULL (set_table
 * done). NULL with the backend's -errno in *@err.
 */
struct viommu_domain *viommu_domain_create(uint32_t id, const struct viommu_backend *be,
					   bool bypass, const struct viommu_table *t, int *err);
/* Write lock: frees @d and its backend domain; no endpoint is in it, it is in no list. */
void viommu_domain_destroy(struct viommu_domain *d);
/* Write lock: one endpoint less in @d; the last one frees it. */
void viommu_domain_put(struct viommu *v, struct viommu_domain *d);
/*
 * Write lock: @ep joins @d (fresh from the backend when @created, and then freed again if the
 * backend refuses the endpoint) and leaves its old domain. A virtio-iommu status.
 */
uint8_t viommu_endpoint_join(struct viommu *v, struct viommu_endpoint *ep, struct viommu_domain *d,
			     bool created);
/* Write lock: @ep leaves its domain. 0, or -errno when the backend could not move it. */
int viommu_endpoint_detach(struct viommu *v, struct viommu_endpoint *ep);

/* viommu_nested.c, under the write lock. */
uint8_t viommu_handle_attach_table(struct viommu *v, const void *req);
uint8_t viommu_handle_detach_pasid(struct viommu *v, const void *req, bool *handled);
/* Read lock. */
uint8_t viommu_handle_invalidate(struct viommu *v, const void *req);
#define viommu_count(v, field, n) __atomic_fetch_add(&(v)->stats.field, (n), __ATOMIC_RELAXED)

void viommu_invalidate_batch_locked(struct viommu *v, const void *const *reqs, const size_t *lens,
				    unsigned int n, uint8_t *status);
/* PROBE: TABLE_FORMAT properties of @ep at @props, at most @len bytes; bytes used or -ENOSPC. */
long viommu_probe_table_formats(const struct viommu *v, const struct viommu_endpoint *ep,
				uint8_t *props, size_t len);

#endif
