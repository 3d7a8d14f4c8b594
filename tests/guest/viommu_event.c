// SPDX-License-Identifier: GPL-2.0
#include "arch.h"
#include "lib.h"
#include "viommu.h"
#include "viommu_event.h"

static struct virtio_iommu_fault bufs[VIOMMU_EVENT_BUFS];

/* Puts buffer @i back on the eventq (not yet visible). */
static void post(struct viommu_dev *v, unsigned int i)
{
	struct virtq_buf in = { &bufs[i], sizeof(bufs[i]) };

	memset(&bufs[i], 0xff, sizeof(bufs[i]));
	virtq_add(&v->eq, NULL, 0, &in, 1, false);
}

void viommu_event_post_all(struct viommu_dev *v)
{
	for (unsigned int i = 0; i < v->eq.size && i < VIOMMU_EVENT_BUFS; i++)
		post(v, i);
	vtrans_kick(&v->t, VIOMMU_EVENTQ, &v->eq);
}

bool viommu_event_get(struct viommu_dev *v, struct virtio_iommu_fault *f, uint64_t polls)
{
	uint16_t head;
	uint32_t len;

	if (!v->has_eq)
		return false;
	while (!virtq_get_used(&v->eq, &head, &len)) {
		if (!polls--)
			return false;
		cpu_relax();
	}
	/* One descriptor per buffer, posted in order: the head is the buffer's index. */
	if (head >= VIOMMU_EVENT_BUFS)
		return false;
	memcpy(f, &bufs[head], sizeof(*f));
	if (len < sizeof(*f))
		memset(f, 0, sizeof(*f));
	post(v, head);
	vtrans_kick(&v->t, VIOMMU_EVENTQ, &v->eq);
	return true;
}

unsigned int viommu_event_drain(struct viommu_dev *v)
{
	struct virtio_iommu_fault f;
	unsigned int n = 0;

	while (viommu_event_get(v, &f, 0))
		n++;
	return n;
}
