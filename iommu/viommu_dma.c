// SPDX-License-Identifier: GPL-2.0
/*
 * DMA through the virtio-iommu: an endpoint's dma_space, each access translated by the
 * endpoint's domain under the model's read lock, its fault reported once that lock is dropped.
 */
#include <errno.h>
#include <pthread.h>

#include "viommu.h"
#include "viommu_internal.h"

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
	pthread_rwlock_rdlock(&ep->v->dma_fence);
}

static void dma_end(void *opaque)
{
	struct viommu_endpoint *ep = opaque;

	pthread_rwlock_unlock(&ep->v->dma_fence);
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
