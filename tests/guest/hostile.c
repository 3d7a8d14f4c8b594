// SPDX-License-Identifier: GPL-2.0
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "arch.h"
#include "hostile.h"
#include "lib.h"
#include "serial.h"
#include "tap.h"

#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_BLOCK 2
#define QSIZE 8
#define USED_POLLS (1ULL << 26) /* empty polls of the used ring before giving up */
#define STATUS_POLLS (1ULL << 16) /* Status reads (each an exit) before giving up */
#define NEEDS_RESET VIRTIO_CONFIG_S_NEEDS_RESET

static struct virtq_mem rng_mem, blk_mem;
static struct vring_desc ind[8] __attribute__((aligned(16)));
static uint8_t buf[4096] __attribute__((aligned(4096)));

bool hq_find(struct hq *q, uint32_t device_id, struct virtq_mem *mem)
{
	memset(q, 0, sizeof(*q));
	q->mem = mem;
	return vmmio_find(device_id, 0, &q->m);
}

static uint64_t want_features(const struct hq *q)
{
	uint64_t want = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM |
			1ULL << VIRTIO_RING_F_INDIRECT_DESC;

	return vmmio_device_features(&q->m) & want;
}

static void write64(const struct vmmio *m, unsigned int lo, uint64_t val)
{
	vmmio_write(m, lo, (uint32_t)val);
	vmmio_write(m, lo + 4, (uint32_t)(val >> 32));
}

/* Queue 0's size and ring addresses, then QueueReady = 1; returns what QueueReady reads. */
static uint32_t set_queue(const struct hq *q, uint32_t num, uint64_t desc, uint64_t avail,
			  uint64_t used)
{
	vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_SEL, 0);
	vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_NUM, num);
	write64(&q->m, VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
	write64(&q->m, VIRTIO_MMIO_QUEUE_AVAIL_LOW, avail);
	write64(&q->m, VIRTIO_MMIO_QUEUE_USED_LOW, used);
	vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_READY, 1);
	return vmmio_read(&q->m, VIRTIO_MMIO_QUEUE_READY);
}

static uint64_t desc_gpa(const struct hq *q)
{
	return (uintptr_t)q->mem->desc;
}

static uint64_t avail_gpa(const struct hq *q)
{
	return (uintptr_t)&q->mem->avail;
}

static uint64_t used_gpa(const struct hq *q)
{
	return (uintptr_t)&q->mem->used;
}

/* Up to FEATURES_OK with fresh rings; the queue is left to the caller. */
static bool hq_negotiated(struct hq *q, uint16_t size)
{
	memset(q->mem, 0, sizeof(*q->mem));
	q->size = size;
	q->avail_idx = q->used_idx = 0;
	return vmmio_negotiate(&q->m, want_features(q));
}

static bool hq_up_at(struct hq *q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	if (!hq_negotiated(q, size) || set_queue(q, size, desc, avail, used) != 1)
		return false;
	vmmio_driver_ok(&q->m);
	return true;
}

bool hq_up(struct hq *q, uint16_t size)
{
	return hq_up_at(q, size, desc_gpa(q), avail_gpa(q), used_gpa(q));
}

void hq_desc(struct hq *q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc *d = &q->mem->desc[i];

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

static void publish(struct hq *q, uint16_t idx)
{
	barrier();
	q->mem->avail.idx = idx;
	barrier();
	vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

void hq_kick(struct hq *q, uint16_t head)
{
	q->mem->avail.ring[q->avail_idx % q->size] = head;
	publish(q, ++q->avail_idx);
}

static bool wait_used(struct hq *q, uint32_t *len, uint64_t polls)
{
	volatile uint16_t *idx = &q->mem->used.idx;

	for (uint64_t i = 0; *idx == q->used_idx; i++) {
		if (i == polls)
			return false;
		cpu_relax();
	}
	barrier();
	*len = q->mem->used.ring[q->used_idx++ % q->size].len;
	return true;
}

bool hq_used(struct hq *q, uint32_t *len)
{
	return wait_used(q, len, USED_POLLS);
}

bool hq_needs_reset(const struct hq *q)
{
	for (uint64_t i = 0; i < STATUS_POLLS; i++) {
		if (vmmio_status(&q->m) & NEEDS_RESET)
			return true;
		cpu_relax();
	}
	return false;
}

/* One good 64-byte read from the rng, on a freshly reset device. */
static bool rng_works(struct hq *q)
{
	uint32_t len = 0;

	if (!hq_up(q, QSIZE))
		return false;
	hq_desc(q, 0, (uintptr_t)buf, 64, VRING_DESC_F_WRITE, 0);
	hq_kick(q, 0);
	return hq_used(q, &len) && len == 64 && !(vmmio_status(&q->m) & NEEDS_RESET);
}

/* ---- transport registers ---- */

static uint32_t status_after(const struct hq *q, const uint32_t *writes, unsigned int n)
{
	vmmio_reset(&q->m);
	for (unsigned int i = 0; i < n; i++)
		vmmio_write(&q->m, VIRTIO_MMIO_STATUS, writes[i]);
	return vmmio_status(&q->m);
}

/* ACKNOWLEDGE, DRIVER, then @features written as given and FEATURES_OK: whether it stuck. */
static bool features_ok_with(const struct hq *q, uint64_t features)
{
	return vmmio_negotiate(&q->m, features);
}

void hostile_transport(struct hq *q)
{
	const uint32_t A = VIRTIO_CONFIG_S_ACKNOWLEDGE, D = VIRTIO_CONFIG_S_DRIVER;
	const uint32_t F = VIRTIO_CONFIG_S_FEATURES_OK, O = VIRTIO_CONFIG_S_DRIVER_OK;
	uint64_t base = want_features(q), offered = vmmio_device_features(&q->m);
	uint32_t s, max;

	vmmio_reset(&q->m);
	tap_check(mmio_read8(q->m.base + VIRTIO_MMIO_MAGIC_VALUE) == 0,
		  "transport: 8-bit read of MagicValue reads 0");
	tap_check(mmio_read16(q->m.base + VIRTIO_MMIO_VERSION) == 0,
		  "transport: 16-bit read of Version reads 0");
	tap_check(mmio_read32(q->m.base + VIRTIO_MMIO_MAGIC_VALUE + 2) == 0,
		  "transport: misaligned 32-bit read at 0x002 reads 0");
	tap_check(vmmio_read(&q->m, 0x0f8) == 0, "transport: unknown register 0x0f8 reads 0");
	mmio_write8(q->m.base + VIRTIO_MMIO_STATUS, A);
	tap_check(vmmio_status(&q->m) == 0, "transport: 8-bit write of Status is dropped");
	mmio_write16(q->m.base + VIRTIO_MMIO_STATUS, A);
	tap_check(vmmio_status(&q->m) == 0, "transport: 16-bit write of Status is dropped");
	vmmio_write(&q->m, VIRTIO_MMIO_MAGIC_VALUE, 0);
	tap_check(vmmio_read(&q->m, VIRTIO_MMIO_MAGIC_VALUE) == 0x74726976,
		  "transport: a write to MagicValue changes nothing");

	s = status_after(q, (uint32_t[]){ D }, 1);
	tap_check(s == 0, "transport: DRIVER without ACKNOWLEDGE is dropped (Status %#x)", s);
	s = status_after(q, (uint32_t[]){ A, A | F }, 2);
	tap_check(s == A, "transport: FEATURES_OK without DRIVER is dropped (Status %#x)", s);
	s = status_after(q, (uint32_t[]){ A, A | D, A | D | O }, 3);
	tap_check(s == (A | D), "transport: DRIVER_OK before FEATURES_OK is dropped (Status %#x)",
		  s);
	s = status_after(q, (uint32_t[]){ A, A | D, A }, 3);
	tap_check(s == (A | D), "transport: a Status write that clears bits is ignored (%#x)", s);

	tap_check(!features_ok_with(q, base | 1ULL << 50),
		  "transport: FEATURES_OK with an unoffered feature (bit 50) is refused");
	tap_check(!features_ok_with(q, base & ~(1ULL << VIRTIO_F_VERSION_1)),
		  "transport: FEATURES_OK without VERSION_1 is refused");
	if (offered & 1ULL << VIRTIO_F_ACCESS_PLATFORM)
		tap_check(!features_ok_with(q, base & ~(1ULL << VIRTIO_F_ACCESS_PLATFORM)),
			  "transport: FEATURES_OK without ACCESS_PLATFORM behind the IOMMU is "
			  "refused");

	/* DriverFeatures before DRIVER must not stick: the low word stays 0. */
	vmmio_reset(&q->m);
	vmmio_write(&q->m, VIRTIO_MMIO_STATUS, A);
	vmmio_write(&q->m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vmmio_write(&q->m, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	vmmio_write(&q->m, VIRTIO_MMIO_STATUS, A | D);
	vmmio_write(&q->m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vmmio_write(&q->m, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(base >> 32));
	vmmio_write(&q->m, VIRTIO_MMIO_STATUS, A | D | F);
	tap_check(vmmio_status(&q->m) & F,
		  "transport: DriverFeatures written before DRIVER is dropped");

	/* Queue registers before FEATURES_OK. */
	vmmio_reset(&q->m);
	vmmio_write(&q->m, VIRTIO_MMIO_STATUS, A);
	vmmio_write(&q->m, VIRTIO_MMIO_STATUS, A | D);
	tap_check(set_queue(q, QSIZE, desc_gpa(q), avail_gpa(q), used_gpa(q)) == 0,
		  "transport: QueueReady before FEATURES_OK reads 0");

	max = vmmio_queue_max(&q->m, 0);
	hq_negotiated(q, QSIZE);
	tap_check(set_queue(q, max * 2, desc_gpa(q), avail_gpa(q), used_gpa(q)) == 0,
		  "transport: QueueReady with QueueNum above QueueNumMax (%u) reads 0", max * 2);
	tap_check(set_queue(q, 6, desc_gpa(q), avail_gpa(q), used_gpa(q)) == 0,
		  "transport: QueueReady with QueueNum 6 (not a power of 2) reads 0");
	tap_check(set_queue(q, 0, desc_gpa(q), avail_gpa(q), used_gpa(q)) == 0,
		  "transport: QueueReady with QueueNum 0 reads 0");
	tap_check(set_queue(q, QSIZE, desc_gpa(q) + 8, avail_gpa(q), used_gpa(q)) == 0,
		  "transport: QueueReady with the descriptor table 8-byte aligned reads 0");
	tap_check(set_queue(q, QSIZE, desc_gpa(q), avail_gpa(q) + 1, used_gpa(q)) == 0,
		  "transport: QueueReady with an odd avail ring reads 0");
	tap_check(set_queue(q, QSIZE, desc_gpa(q), avail_gpa(q), used_gpa(q) + 2) == 0,
		  "transport: QueueReady with a 2-byte aligned used ring reads 0");
	tap_check(set_queue(q, QSIZE, 0xfffffffffffffff0ULL, avail_gpa(q), used_gpa(q)) == 0,
		  "transport: QueueReady with a descriptor table that wraps 2^64 reads 0");
	tap_check(set_queue(q, QSIZE, desc_gpa(q), avail_gpa(q), 0xfffffffffffffffcULL) == 0,
		  "transport: QueueReady with a used ring that wraps 2^64 reads 0");

	vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_SEL, 5);
	tap_check(vmmio_read(&q->m, VIRTIO_MMIO_QUEUE_NUM_MAX) == 0,
		  "transport: QueueNumMax of a queue that does not exist (5) reads 0");
	vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_READY, 1);
	tap_check(vmmio_read(&q->m, VIRTIO_MMIO_QUEUE_READY) == 0,
		  "transport: QueueReady of a queue that does not exist reads 0");

	/* Ready queue: its registers are frozen until reset. */
	hq_negotiated(q, QSIZE);
	set_queue(q, QSIZE, desc_gpa(q), avail_gpa(q), used_gpa(q));
	write64(&q->m, VIRTIO_MMIO_QUEUE_DESC_LOW, HOSTILE_HOLE);
	vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_NUM, 2);
	vmmio_driver_ok(&q->m);
	hq_desc(q, 0, (uintptr_t)buf, 32, VRING_DESC_F_WRITE, 0);
	hq_kick(q, 0);
	{
		uint32_t len = 0;
		bool got = hq_used(q, &len);

		tap_check(got && len == 32,
			  "transport: QueueDesc/QueueNum written while the queue is ready are "
			  "ignored (a read still works, %u bytes)",
			  len);
	}
	/* QueueReady = 0 takes a queue down at any time (Linux does on removal)... */
	vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_READY, 0);
	tap_check(vmmio_read(&q->m, VIRTIO_MMIO_QUEUE_READY) == 0,
		  "transport: QueueReady = 0 after DRIVER_OK takes the queue down");
	/* ...but only a reset brings it back: queue registers are frozen after DRIVER_OK. */
	vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_READY, 1);
	tap_check(vmmio_read(&q->m, VIRTIO_MMIO_QUEUE_READY) == 0 && rng_works(q),
		  "transport: QueueReady = 1 after DRIVER_OK reads 0; works after a reset");
	vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_NOTIFY, 7);
	vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
	tap_check(!(vmmio_status(&q->m) & NEEDS_RESET) && rng_works(q),
		  "transport: QueueNotify of queues 7 and 0xffffffff is ignored");
	tap_check(vmmio_read(&q->m, VIRTIO_MMIO_CONFIG) == 0 &&
		      vmmio_read(&q->m, VIRTIO_MMIO_CONFIG + 0xfc) == 0,
		  "transport: config space past the rng's (none) reads 0");
}

/* ---- malformed rings: each breaks the queue ---- */

/* Kicks what the case wrote, wants NEEDS_RESET, then a working device after a reset. */
static void expect_broken(struct hq *q, uint16_t head, const char *what)
{
	bool nr;

	hq_kick(q, head);
	nr = hq_needs_reset(q);
	tap_check(nr && rng_works(q), "ring: %s: DEVICE_NEEDS_RESET%s, works after a reset", what,
		  nr ? "" : " NOT set");
}

static void ind_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	ind[i] = (struct vring_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

void hostile_rings(struct hq *q)
{
	const uint16_t N = VRING_DESC_F_NEXT, W = VRING_DESC_F_WRITE, I = VRING_DESC_F_INDIRECT;
	uint64_t b = (uintptr_t)buf;
	uint32_t len;
	bool ok;

	hq_up(q, QSIZE);
	hq_desc(q, 0, b, 16, W | N, 1);
	hq_desc(q, 1, b + 16, 16, W | N, 0);
	expect_broken(q, 0, "a two-descriptor loop");
	hq_up(q, QSIZE);
	hq_desc(q, 3, b, 16, W | N, 3);
	expect_broken(q, 3, "a descriptor whose next is itself");
	hq_up(q, QSIZE);
	for (uint16_t i = 0; i < QSIZE; i++)
		hq_desc(q, i, b + 16 * i, 16, W | N, (i + 1) % QSIZE);
	expect_broken(q, 0, "a chain longer than the queue (all 8, then round again)");
	hq_up(q, QSIZE);
	hq_desc(q, 0, b, 16, W | N, QSIZE);
	expect_broken(q, 0, "next out of range (8 in a queue of 8)");
	hq_up(q, QSIZE);
	expect_broken(q, QSIZE + 3, "an avail entry out of range (11)");
	hq_up(q, QSIZE);
	ind_desc(0, b, 16, W | I, 0);
	hq_desc(q, 0, (uintptr_t)ind, 16, I, 0);
	expect_broken(q, 0, "an indirect table inside an indirect table");
	hq_up(q, QSIZE);
	ind_desc(0, b, 16, W, 0);
	hq_desc(q, 0, (uintptr_t)ind, 16, I | N, 1);
	hq_desc(q, 1, b, 16, W, 0);
	expect_broken(q, 0, "an indirect descriptor with NEXT");
	hq_up(q, QSIZE);
	hq_desc(q, 0, (uintptr_t)ind, 24, I, 0);
	expect_broken(q, 0, "an indirect table of 24 bytes (not a multiple of 16)");
	hq_up(q, QSIZE);
	hq_desc(q, 0, (uintptr_t)ind, 0, I, 0);
	expect_broken(q, 0, "an empty indirect table");
	hq_up(q, QSIZE);
	hq_desc(q, 0, (uintptr_t)buf, 16 * 1025, I, 0);
	expect_broken(q, 0, "an indirect table of 1025 entries");
	hq_up(q, QSIZE);
	ind_desc(0, b, 16, W | N, 1);
	ind_desc(1, b, 16, W | N, 0);
	hq_desc(q, 0, (uintptr_t)ind, 32, I, 0);
	expect_broken(q, 0, "a loop inside an indirect table");
	hq_up(q, QSIZE);
	ind_desc(0, b, 16, W | N, 2);
	hq_desc(q, 0, (uintptr_t)ind, 32, I, 0);
	expect_broken(q, 0, "next out of range inside an indirect table");
	hq_up(q, QSIZE);
	hq_desc(q, 0, 0xfffffffffffff000ULL, 0x2000, W, 0);
	expect_broken(q, 0, "a buffer whose address + length wraps 2^64");
	hq_up(q, QSIZE);
	hq_desc(q, 0, b, 0x80000000U, W | N, 1);
	hq_desc(q, 1, b, 0x80000000U, W, 0);
	expect_broken(q, 0, "lengths that add up past 4 GiB");
	hq_up(q, QSIZE);
	hq_desc(q, 0, b, 16, W | N, 1);
	hq_desc(q, 1, b + 16, 16, N, 2);
	hq_desc(q, 2, b + 32, 16, W, 0);
	expect_broken(q, 0, "a readable descriptor after a writable one");
	hq_up_at(q, QSIZE, HOSTILE_HOLE, avail_gpa(q), used_gpa(q));
	expect_broken(q, 0, "the descriptor table in the MMIO hole");
	hq_up_at(q, QSIZE, desc_gpa(q), 0x100000000000ULL, used_gpa(q));
	expect_broken(q, 0, "the avail ring past the end of RAM");
	hq_up_at(q, QSIZE, desc_gpa(q), avail_gpa(q), HOSTILE_HOLE + 0x1000);
	hq_desc(q, 0, b, 16, W, 0);
	expect_broken(q, 0, "the used ring in the MMIO hole");
	hq_up(q, QSIZE);
	hq_desc(q, 0, b, 16, W, 0);
	q->mem->avail.ring[0] = 0;
	publish(q, QSIZE + 1);
	tap_check(hq_needs_reset(q) && rng_works(q),
		  "ring: avail idx %u ahead of a queue of %u: DEVICE_NEEDS_RESET, works after a "
		  "reset",
		  QSIZE + 1, QSIZE);

	/* The used ring is the device's: scribbles there do not move its own index. */
	hq_up(q, QSIZE);
	hq_desc(q, 0, b, 16, W, 0);
	hq_kick(q, 0);
	ok = hq_used(q, &len);
	q->mem->used.idx = 0x1234;
	for (uint16_t i = 0; i < QSIZE; i++)
		q->mem->used.ring[i] = (struct vring_used_elem){ .id = 0xdead, .len = ~0U };
	hq_kick(q, 0);
	for (uint64_t i = 0; i < USED_POLLS && *(volatile uint16_t *)&q->mem->used.idx != 2; i++)
		cpu_relax();
	barrier();
	ok &=
	    q->mem->used.idx == 2 && q->mem->used.ring[1].id == 0 && q->mem->used.ring[1].len == 16;
	tap_check(ok, "ring: the guest scribbled over the used ring: next is entry 1, idx 2");

	/* One chain twice in one kick: a driver bug, but the device just serves it twice. */
	hq_up(q, QSIZE);
	hq_desc(q, 0, b, 16, W, 0);
	q->mem->avail.ring[0] = q->mem->avail.ring[1] = 0;
	q->avail_idx = 2;
	publish(q, 2);
	ok = hq_used(q, &len) && len == 16 && hq_used(q, &len) && len == 16;
	tap_check(ok && q->mem->used.ring[0].id == 0 && q->mem->used.ring[1].id == 0 &&
		      !(vmmio_status(&q->m) & NEEDS_RESET),
		  "ring: one chain posted twice in one kick: served twice");

	/* The avail index going back is as impossible as one too far ahead. */
	publish(q, 1);
	tap_check(hq_needs_reset(q) && rng_works(q),
		  "ring: avail idx going back (2 to 1): DEVICE_NEEDS_RESET, works after a reset");

	/* A broken queue stays broken: a good request after it is never used. */
	hq_up(q, QSIZE);
	hq_desc(q, 0, b, 16, W | N, 0);
	hq_kick(q, 0);
	hq_needs_reset(q);
	hq_desc(q, 1, b, 16, W, 0);
	hq_kick(q, 1);
	tap_check(!wait_used(q, &len, 1ULL << 20) && (vmmio_status(&q->m) & NEEDS_RESET),
		  "ring: a good request on a broken queue is not served");

	/* Kicks while the device is being reset, then a reset, then a working device. */
	hq_up(q, 16);
	for (uint16_t i = 0; i < 4; i++) {
		hq_desc(q, i, b + 64 * i, 64, W, 0);
		q->mem->avail.ring[i] = i;
	}
	q->mem->avail.idx = 4;
	vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	vmmio_write(&q->m, VIRTIO_MMIO_STATUS, 0);
	for (int i = 0; i < 16; i++)
		vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	vmmio_reset(&q->m);
	tap_check(vmmio_status(&q->m) == 0 && rng_works(q),
		  "reset: QueueNotify written during a reset with 4 requests posted; works after "
		  "another reset");
	vmmio_reset(&q->m);
	for (int i = 0; i < 16; i++)
		vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	tap_check(vmmio_status(&q->m) == 0 && rng_works(q),
		  "reset: QueueNotify on a reset device (no queue) is ignored");
}

/* ---- virtio-rng buffers ---- */

static uint32_t rng_one(struct hq *q, uint64_t addr, uint32_t len, uint16_t flags)
{
	uint32_t used = 0xdeadbeef;

	hq_up(q, QSIZE);
	hq_desc(q, 0, addr, len, flags, 0);
	hq_kick(q, 0);
	if (!hq_used(q, &used))
		return 0xffffffff;
	return used;
}

void hostile_rng(struct hq *q, uint64_t ram_end)
{
	const uint16_t W = VRING_DESC_F_WRITE;
	uint32_t u;

	u = rng_one(q, ram_end + 0x100000, 64, W);
	tap_check(u == 0, "rng: a buffer past the end of RAM: used length 0 (got %u)", u);
	u = rng_one(q, HOSTILE_HOLE, 64, W);
	tap_check(u == 0, "rng: a buffer at 0xc0000000 (MMIO hole): used length 0 (got %u)", u);
	u = rng_one(q, 0xfffff000ULL, 64, W);
	tap_check(u == 0, "rng: a buffer at 0xfffff000 (MMIO hole top): used length 0 (got %u)", u);
	u = rng_one(q, 0xd0000000ULL, 64, W);
	tap_check(u == 0, "rng: a buffer on the virtio-mmio windows: used length 0 (got %u)", u);
	u = rng_one(q, (uintptr_t)buf, 64, 0);
	tap_check(u == 0, "rng: a device-readable buffer only: used length 0 (got %u)", u);
	u = rng_one(q, (uintptr_t)buf, 0, W);
	tap_check(u == 0, "rng: a zero-length buffer: used length 0 (got %u)", u);
	u = rng_one(q, ram_end - 256, 512, W);
	tap_check(u == 256, "rng: a buffer across the end of RAM: what fits, 256 (got %u)", u);
	tap_check(rng_works(q), "rng: still works after the bad buffers");
}

/* ---- virtio-blk requests ---- */

struct blk_hdr {
	uint32_t type, reserved;
	uint64_t sector;
};

static struct blk_hdr hdr;
static uint8_t blk_status;

#define S_UNWRITTEN 0xa5

/*
 * Header (@hdr_len bytes), one data buffer (@data_len at @data, device-writable when
 * @data_in) and the status byte (when @with_status): the status the device wrote, with the
 * used length in @used.
 */
static uint8_t blk_req(struct hq *q, uint32_t type, uint64_t sector, uint32_t hdr_len,
		       uint64_t data, uint32_t data_len, bool data_in, bool with_status,
		       uint32_t *used)
{
	const uint16_t N = VRING_DESC_F_NEXT, W = VRING_DESC_F_WRITE;
	uint16_t i = 0;

	hdr = (struct blk_hdr){ .type = type, .sector = sector };
	blk_status = S_UNWRITTEN;
	*used = 0xffffffff;
	hq_desc(q, i, (uintptr_t)&hdr, hdr_len, 0, i + 1);
	if (data_len) {
		q->mem->desc[i].flags |= N;
		i++;
		hq_desc(q, i, data, data_len, data_in ? W : 0, i + 1);
	}
	if (with_status) {
		q->mem->desc[i].flags |= N;
		i++;
		hq_desc(q, i, (uintptr_t)&blk_status, 1, W, 0);
	}
	hq_kick(q, 0);
	if (!hq_used(q, used))
		return S_UNWRITTEN;
	barrier();
	return *(volatile uint8_t *)&blk_status;
}

void hostile_blk(struct hq *q, uint64_t ram_end)
{
	uint64_t cap, b = (uintptr_t)buf;
	uint32_t used;
	uint8_t s;

	hq_up(q, QSIZE);
	cap = vmmio_config64(&q->m, 0);
	serial_printf("# virtio-blk: capacity %llu sectors\n", (unsigned long long)cap);

	s = blk_req(q, VIRTIO_BLK_T_IN, cap, 16, b, 512, true, true, &used);
	tap_check(s == VIRTIO_BLK_S_IOERR, "blk: read of the sector at the capacity: IOERR (%#x)",
		  s);
	s = blk_req(q, VIRTIO_BLK_T_IN, cap - 1, 16, b, 1024, true, true, &used);
	tap_check(s == VIRTIO_BLK_S_IOERR, "blk: read across the capacity: IOERR (%#x)", s);
	s = blk_req(q, VIRTIO_BLK_T_OUT, cap + 8, 16, b, 512, false, true, &used);
	tap_check(s == VIRTIO_BLK_S_IOERR, "blk: write past the capacity: IOERR (%#x)", s);
	s = blk_req(q, VIRTIO_BLK_T_IN, 0xfffffffffffffffeULL, 16, b, 2048, true, true, &used);
	tap_check(s == VIRTIO_BLK_S_IOERR,
		  "blk: read at sector 2^64-2 (sector + count wraps): "
		  "IOERR (%#x)",
		  s);
	s = blk_req(q, VIRTIO_BLK_T_IN, 0, 16, b, 100, true, true, &used);
	tap_check(s == VIRTIO_BLK_S_IOERR,
		  "blk: read of 100 bytes (not whole sectors): IOERR "
		  "(%#x)",
		  s);
	s = blk_req(q, VIRTIO_BLK_T_IN, 0, 8, b, 512, true, true, &used);
	tap_check(s == S_UNWRITTEN && used == 0,
		  "blk: an 8-byte header: used length 0, status unwritten (%#x, %u)", s, used);
	s = blk_req(q, VIRTIO_BLK_T_OUT, 0, 16, b, 512, false, false, &used);
	tap_check(used == 0, "blk: no writable status byte: used length 0 (%u)", used);
	s = blk_req(q, 0x55, 0, 16, b, 512, true, true, &used);
	tap_check(s == VIRTIO_BLK_S_UNSUPP, "blk: request type 0x55: UNSUPP (%#x)", s);
	s = blk_req(q, 0x80000000U, 0, 16, 0, 0, false, true, &used);
	tap_check(s == VIRTIO_BLK_S_UNSUPP, "blk: request type 0x80000000: UNSUPP (%#x)", s);
	s = blk_req(q, VIRTIO_BLK_T_IN, 0, 16, ram_end + 0x100000, 512, true, true, &used);
	tap_check(s == VIRTIO_BLK_S_IOERR, "blk: read into a buffer past RAM: IOERR (%#x)", s);
	s = blk_req(q, VIRTIO_BLK_T_IN, 0, 16, HOSTILE_HOLE, 512, true, true, &used);
	tap_check(s == VIRTIO_BLK_S_IOERR, "blk: read into the MMIO hole: IOERR (%#x)", s);
	s = blk_req(q, VIRTIO_BLK_T_OUT, 0, 16, 0xfee00000ULL, 512, false, true, &used);
	tap_check(s == VIRTIO_BLK_S_IOERR, "blk: write from 0xfee00000 (MMIO hole): IOERR (%#x)",
		  s);
	s = blk_req(q, VIRTIO_BLK_T_IN, 0, 16, ram_end - 512, 1024, true, true, &used);
	tap_check(s == VIRTIO_BLK_S_IOERR,
		  "blk: read into a buffer across the end of RAM: "
		  "IOERR (%#x)",
		  s);
	s = blk_req(q, VIRTIO_BLK_T_IN, 0, 16, b, 512, true, true, &used);
	tap_check(s == VIRTIO_BLK_S_OK && used == 513,
		  "blk: a good read after the bad ones: OK, used 513 (%#x, %u)", s, used);

	/* A broken blk queue, then a reset with reads posted and re-kicks during it. */
	hq_up(q, QSIZE);
	hq_desc(q, 0, b, 16, VRING_DESC_F_NEXT, 0);
	hq_kick(q, 0);
	tap_check(hq_needs_reset(q), "blk: a descriptor loop: DEVICE_NEEDS_RESET");
	hq_up(q, 16);
	for (uint16_t i = 0; i < 4; i++) {
		static struct blk_hdr h[4];
		uint16_t d = 3 * i;

		h[i] = (struct blk_hdr){ .type = VIRTIO_BLK_T_IN, .sector = i };
		hq_desc(q, d, (uintptr_t)&h[i], 16, VRING_DESC_F_NEXT, d + 1);
		hq_desc(q, d + 1, b + 512 * i, 512, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, d + 2);
		hq_desc(q, d + 2, b + 4000 + i, 1, VRING_DESC_F_WRITE, 0);
		q->mem->avail.ring[i] = d;
	}
	/* 12 descriptors: a queue of 16. */
	q->mem->avail.idx = 4;
	vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	vmmio_write(&q->m, VIRTIO_MMIO_STATUS, 0);
	for (int i = 0; i < 16; i++)
		vmmio_write(&q->m, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	vmmio_reset(&q->m);
	hq_up(q, QSIZE);
	s = blk_req(q, VIRTIO_BLK_T_IN, 1, 16, b, 512, true, true, &used);
	tap_check(s == VIRTIO_BLK_S_OK && used == 513,
		  "blk: reads posted, QueueNotify during the reset, reset again: a read works "
		  "(%#x, %u)",
		  s, used);
}

void hostile_test(uint64_t ram_end)
{
	struct hq rng, blk;

	serial_printf("# hostile guest: RAM ends at %#llx\n", (unsigned long long)ram_end);
	bool rng_ok = hq_find(&rng, VIRTIO_ID_RNG, &rng_mem) && rng_works(&rng);
	bool blk_ok = hq_find(&blk, VIRTIO_ID_BLOCK, &blk_mem) && hq_up(&blk, QSIZE);

	/* Found first: the messages print the windows. */
	if (tap_check(rng_ok, "a virtio-rng in a virtio-mmio window (window %u) works",
		      rng.m.window)) {
		hostile_transport(&rng);
		hostile_rings(&rng);
		hostile_rng(&rng, ram_end);
	}
	if (tap_check(blk_ok, "a virtio-blk in a virtio-mmio window (window %u)", blk.m.window))
		hostile_blk(&blk, ram_end);
	hostile_viommu(ram_end, rng.m.window);
	hostile_pci();
	tap_summary();
}
