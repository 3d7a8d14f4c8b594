// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-iommu's fault queue: a ring of fault records under its own lock, filled by
 * viommu_report_fault() and emptied by the virtio glue onto the event queue.
 */
#include <endian.h>
#include <pthread.h>
#include <string.h>

#include "viommu.h"
#include "viommu_internal.h"

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
