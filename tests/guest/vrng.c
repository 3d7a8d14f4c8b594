// SPDX-License-Identifier: GPL-2.0
#include <linux/virtio_config.h>

#include "arch.h"
#include "lib.h"
#include "vrng.h"

#define QSIZE 8
#define POLL_LIMIT (1ULL << 26) /* empty polls before a request counts as lost */

static struct virtq_mem ring_mem;

bool vrng_find(struct vrng *r)
{
	memset(r, 0, sizeof(*r));
	return vmmio_find(VIRTIO_ID_RNG, 0, &r->m);
}

bool vrng_init(struct vrng *r)
{
	uint64_t want = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	uint32_t max;

	if (!vmmio_negotiate(&r->m, want))
		return false;
	max = vmmio_queue_max(&r->m, 0);
	if (max < QSIZE)
		return false;
	virtq_init(&r->q, &ring_mem, QSIZE);
	if (!vmmio_queue_setup(&r->m, 0, &r->q))
		return false;
	vmmio_driver_ok(&r->m);
	return true;
}

void vrng_ring_span(const struct vrng *r, uint64_t *start, uint64_t *size)
{
	(void)r;
	*start = (uintptr_t)&ring_mem;
	/* Whole pages: the struct is page-aligned, its tail is rounded up. */
	*size = (sizeof(ring_mem) + 0xfff) & ~0xfffULL;
}

enum vrng_result vrng_read(struct vrng *r, uint64_t addr, uint32_t len, uint32_t *used)
{
	struct virtq_buf in = { (const void *)(uintptr_t)addr, len };
	uint64_t idle = 0;
	uint16_t head;

	*used = 0;
	if (virtq_add(&r->q, NULL, 0, &in, 1, false) < 0)
		return VRNG_LOST;
	vmmio_kick(&r->m, 0, &r->q);
	while (!virtq_get_used(&r->q, &head, used)) {
		if (++idle == POLL_LIMIT)
			return VRNG_LOST;
		cpu_relax();
	}
	return VRNG_OK;
}
