// SPDX-License-Identifier: GPL-2.0
/*
 * The split virtqueue walker over guest RAM the fuzzer writes: the rings, the descriptor
 * chains (indirect ones included) and the buffers are all input. The device side pops and
 * pushes until the ring is empty or broken, and copies request data in and out.
 *
 * Input: u16 size (bit 15: size is 1 << low 4 bits), u8 flags (bit 0: EVENT_IDX), u32 desc,
 * u32 avail, u32 used, u16 read offset, u16 read length, then guest RAM: two 16 KiB regions,
 * separately allocated, at GPA 0 and 0x4000 (a buffer may cross from one to the other).
 */
#include <errno.h>
#include <stdint.h>

#include "devices/virtqueue.h"
#include "fuzz.h"

#define REGION_SIZE 0x4000
#define MAX_COPY 0x10000 /* per request: bounds the work of a chain of huge buffers */

static struct virtq_req req;
static uint8_t copy[MAX_COPY];

static void use_request(const struct virtq_req *r, uint64_t off, uint64_t len)
{
	uint64_t total = 0;

	FUZZ_ASSERT(r->nr_segs <= VIRTQ_MAX_SEGS && r->nr_readable <= r->nr_segs);
	for (unsigned int i = 0; i < r->nr_segs; i++) {
		FUZZ_ASSERT(r->segs[i].writable == (i >= r->nr_readable));
		if (i < r->nr_readable)
			total += r->segs[i].len;
	}
	FUZZ_ASSERT(total == r->readable_len);

	if (len > MAX_COPY)
		len = MAX_COPY;
	virtq_req_read(r, off, copy, len);
	virtq_req_read(r, 0, copy, r->readable_len < MAX_COPY ? r->readable_len : MAX_COPY);
	/* Past the end, and a range that wraps: refused, never copied. */
	FUZZ_ASSERT(virtq_req_read(r, r->readable_len, copy, 1) == -EINVAL);
	FUZZ_ASSERT(virtq_req_read(r, UINT64_MAX, copy, 2) == -EINVAL);
	FUZZ_ASSERT(virtq_req_write(r, r->writable_len, copy, 1) == -EINVAL);
	FUZZ_ASSERT(virtq_req_write(r, 1, copy, UINT64_MAX) == -EINVAL);
	virtq_req_write(r, 0, copy, r->writable_len < 256 ? r->writable_len : 256);
	if (r->writable_len > 2)
		virtq_req_write(r, r->writable_len - 2, copy, 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct gmem mem = { .count = 2 };
	struct dma_space dma;
	struct virtq vq;
	uint16_t qsize = fuzz_u16(&in);
	uint8_t flags = fuzz_u8(&in);
	uint64_t off, len;
	int rc;

	virtq_reset(&vq, NULL);
	dma = (struct dma_space){ .mem = &mem };
	virtq_reset(&vq, &dma);
	vq.size = qsize & 0x8000 ? 1u << (qsize & 15) : qsize;
	vq.event_idx = flags & 1;
	vq.desc = fuzz_u32(&in);
	vq.avail = fuzz_u32(&in);
	vq.used = fuzz_u32(&in);
	off = fuzz_u16(&in);
	len = fuzz_u16(&in);
	for (unsigned int i = 0; i < 2; i++) {
		mem.regions[i].gpa = (uint64_t)i * REGION_SIZE;
		mem.regions[i].size = REGION_SIZE;
		mem.regions[i].hva = calloc(1, REGION_SIZE);
		if (!mem.regions[i].hva)
			abort();
		memcpy(mem.regions[i].hva, in.p, in.left < REGION_SIZE ? in.left : REGION_SIZE);
		if (in.left > REGION_SIZE) {
			in.p += REGION_SIZE;
			in.left -= REGION_SIZE;
		} else {
			in.left = 0;
		}
	}

	if (virtq_enable(&vq) == 0) {
		/* Each chain is popped once: more pops than the queue has entries is a bug. */
		for (unsigned int n = 0;; n++) {
			virtq_avail_pending(&vq);
			rc = virtq_pop(&vq, &req);
			if (rc <= 0)
				break;
			FUZZ_ASSERT(n < vq.size);
			FUZZ_ASSERT(req.dma == &dma && req.head < vq.size);
			use_request(&req, off, len);
			virtq_push(&vq, req.head, req.writable_len);
			virtq_should_notify(&vq);
		}
		/* A broken queue stays broken. */
		if (rc < 0)
			FUZZ_ASSERT(virtq_pop(&vq, &req) == -EIO);
	}
	for (unsigned int i = 0; i < 2; i++)
		free(mem.regions[i].hva);
	return 0;
}
