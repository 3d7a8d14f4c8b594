// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-iommu's invalidation queue: batches (viommu_invalq.c) served inline and by the
 * invalq thread (invalq.c), against a fake table backend that records what reaches it.
 */
#include <check.h>
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "iommu/invalq.h"
#include "iommu/viommu_invalq.h"
#include "iommu/viommu_virtio.h"
#include "unit.h"
#include "vmm/fault_inject.h"
#include "virtio_driver.h"

#define INVALQ VIRTIO_IOMMU_INVALQ
#define EP 1
#define DOMAIN 5
#define ROOT 0x20000 /* the guest's table root, in RAM */
#define SLOTS (QSIZE / 2) /* two descriptors per request */
#define REQ(q, slot) (BUF + 0x1000 * (q) + 0x80 * (slot))
#define TAIL_AT(q, slot) (REQ(q, slot) + 0x40)
/*
 * Waits are for events (a used index, a flag); this many 100 us naps (20 s) only guard
 * against a hang, on however loaded a machine: no test depends on how long anything takes.
 */
#define HANG_GUARD_NAPS 200000

/* The fake table backend: records calls, fails one entry on demand, may block. */
static struct {
	unsigned int set_tables, calls, entries;
	unsigned int call_n[16];
	struct viommu_inval last[64];
	int fail_at; /* entry of the next call to fail, -1: none */
	bool block; /* the next call waits for @release */
	const char *fault; /* atomic: NESTVM_FAULT rules the next call sets, on its thread */
	sem_t entered, release;
} fk;

/* The VM the invalq thread stops should it die (start_thread() with @ctl). */
static struct {
	struct vm_control ctl;
	unsigned int stops; /* atomic */
	enum vm_stop_reason reason;
	sem_t stopped;
} vm;

static void fake_request_stop(struct vm_control *ctl, enum vm_stop_reason reason)
{
	(void)ctl;
	vm.reason = reason;
	__atomic_fetch_add(&vm.stops, 1, __ATOMIC_RELEASE);
	sem_post(&vm.stopped);
}

static int fk_alloc(void *ctx, bool bypass, void **domain)
{
	(void)ctx;
	(void)bypass;
	*domain = malloc(1);
	return *domain ? 0 : -ENOMEM;
}

static void fk_free(void *ctx, void *domain)
{
	(void)ctx;
	free(domain);
}

static int fk_map(void *ctx, void *domain, uint64_t iova, uint64_t end, uint64_t gpa,
		  uint32_t flags)
{
	(void)ctx, (void)domain, (void)iova, (void)end, (void)gpa, (void)flags;
	return -EOPNOTSUPP;
}

static int fk_unmap(void *ctx, void *domain, uint64_t start, uint64_t end)
{
	(void)ctx, (void)domain, (void)start, (void)end;
	return 0;
}

static unsigned int fk_formats(void *ctx, void *ep, struct viommu_table_format *out,
			       unsigned int max)
{
	(void)ctx, (void)ep;
	if (!max)
		return 0;
	out[0] = (struct viommu_table_format){ .format = VIRTIO_IOMMU_FORMAT_VTD_S1,
					       .address_bits = 48,
					       .page_sizes = 0x1000 | 0x200000 };
	return 1;
}

static int fk_set_table(void *ctx, void *domain, const struct viommu_table *t)
{
	(void)ctx, (void)domain;
	ck_assert_uint_eq(t->root, ROOT);
	fk.set_tables++;
	return 0;
}

static int fk_invalidate(void *ctx, void *domain, const struct viommu_inval *inv, unsigned int n,
			 unsigned int *done)
{
	const char *fault = __atomic_exchange_n(&fk.fault, NULL, __ATOMIC_ACQ_REL);

	(void)ctx, (void)domain;
	if (fault) {
		char err[256];

		ck_assert_int_eq(fault_inject_parse(fault, err, sizeof(err)), 0);
	}
	if (fk.block) {
		fk.block = false;
		sem_post(&fk.entered);
		sem_wait(&fk.release);
	}
	if (fk.calls < 16)
		fk.call_n[fk.calls] = n;
	fk.calls++;
	fk.entries += n;
	memcpy(fk.last, inv, (n < 64 ? n : 64) * sizeof(*inv));
	if (fk.fail_at >= 0 && (unsigned int)fk.fail_at < n) {
		*done = fk.fail_at;
		fk.fail_at = -1;
		return -EIO;
	}
	*done = n;
	return 0;
}

static const struct viommu_backend_ops fk_ops = {
	.name = "fake-table",
	.domain_alloc = fk_alloc,
	.domain_free = fk_free,
	.map = fk_map,
	.unmap = fk_unmap,
	.table_formats = fk_formats,
	.set_table = fk_set_table,
	.invalidate = fk_invalidate,
};
static struct viommu_backend fk_be = { .ops = &fk_ops };

static struct viommu *model;
static struct viommu_virtio vio;
static struct invalq iq;
static int notify_fd = -1;

static void setup(void)
{
	struct viommu_params p;

	vd_setup();
	memset(&fk, 0, sizeof(fk));
	fk.fail_at = -1;
	sem_init(&fk.entered, 0, 0);
	sem_init(&fk.release, 0, 0);
	memset(&vm, 0, sizeof(vm));
	vm.ctl.request_stop = fake_request_stop;
	sem_init(&vm.stopped, 0, 0);
	viommu_default_params(&p);
	model = viommu_create(&p, &mem);
	ck_assert_ptr_nonnull(model);
	ck_assert_ptr_nonnull(viommu_add_endpoint(model, EP, VIOMMU_EP_EMULATED, NULL));
	/* Before the transport is made: the feature is offered from the table backend. */
	viommu_set_table_backend(model, VIOMMU_EP_EMULATED, &fk_be);
	viommu_virtio_init(&vio, model, &dma, &irq.sink, 9);
	vd_dev = &vio.mmio;
	notify_fd = -1;
}

static void teardown(void)
{
	char err[64];

	invalq_stop(&iq);
	fault_inject_parse(NULL, err, sizeof(err));
	sem_destroy(&vm.stopped);
	viommu_virtio_destroy(&vio);
	viommu_destroy(model);
	if (notify_fd >= 0)
		close(notify_fd);
	sem_destroy(&fk.entered);
	sem_destroy(&fk.release);
	vd_release();
}

/*
 * The invalq thread owns queue 2, woken through an eventfd as KVM's ioeventfd would; it
 * stops @ctl's VM should it die.
 */
static void start_thread_stopping(unsigned int poll_us, struct vm_control *ctl)
{
	struct invalq_opts o;

	invalq_default_opts(&o, false);
	o.poll_us = poll_us;
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(notify_fd, 0);
	viommu_virtio_set_invalq_fd(&vio, notify_fd);
	ck_assert_int_eq(invalq_start(&iq, &vio, notify_fd, &o, ctl), 0);
}

static void start_thread(unsigned int poll_us)
{
	start_thread_stopping(poll_us, NULL);
}

/* §3.1.1 with @features, all three queues, DRIVER_OK. */
static void init_with(uint64_t features)
{
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	wr(VIRTIO_MMIO_STATUS, 0);
	memset(avail_idx, 0, sizeof(avail_idx));
	memset(ram + QBASE(0), 0, BUF - QBASE(0));
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, s);
	write_features(features);
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), s | VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned int q = 0; q < 3; q++)
		setup_queue(q);
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Request @slot of queue @q: @rlen readable bytes of @req, @wlen writable ones (0xff). */
static void post(unsigned int q, unsigned int slot, const void *req, uint32_t rlen, uint32_t wlen)
{
	memcpy(ram + REQ(q, slot), req, rlen);
	memset(ram + TAIL_AT(q, slot), 0xff, wlen);
	set_desc(q, 2 * slot, REQ(q, slot), rlen, VRING_DESC_F_NEXT, 2 * slot + 1);
	set_desc(q, 2 * slot + 1, TAIL_AT(q, slot), wlen, VRING_DESC_F_WRITE, 0);
	offer(q, 2 * slot);
}

static uint8_t status_of(unsigned int q, unsigned int slot)
{
	return ram[TAIL_AT(q, slot)];
}

static struct virtio_iommu_req_invalidate inval_range(uint64_t addr, uint64_t size)
{
	return (struct virtio_iommu_req_invalidate){
		.head.type = VIRTIO_IOMMU_T_INVALIDATE,
		.domain = htole32(DOMAIN),
		.scope = VIRTIO_IOMMU_INVAL_S_RANGE,
		.address = htole64(addr),
		.size = htole64(size),
	};
}

static void post_inval(unsigned int q, unsigned int slot, uint64_t addr)
{
	struct virtio_iommu_req_invalidate r = inval_range(addr, 0x1000);

	post(q, slot, &r, VIOMMU_INVALQ_REQ_LEN, sizeof(r.tail));
}

/* ATTACH_TABLE of EP to DOMAIN on the requestq (served on this thread). */
static void attach_table(void)
{
	struct virtio_iommu_req_attach_table r = {
		.head.type = VIRTIO_IOMMU_T_ATTACH_TABLE,
		.domain = htole32(DOMAIN),
		.endpoint = htole32(EP),
		.table = htole64(ROOT),
		.format = htole16(VIRTIO_IOMMU_FORMAT_VTD_S1),
	};
	unsigned int tables = fk.set_tables;
	uint16_t before = used_idx(0);

	post(0, 0, &r, sizeof(r) - sizeof(r.tail), sizeof(r.tail));
	kick(0);
	ck_assert_uint_eq(used_idx(0), before + 1);
	ck_assert_uint_eq(status_of(0, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(fk.set_tables, tables + 1);
}

static void ack_irq(void)
{
	wr(VIRTIO_MMIO_INTERRUPT_ACK, rd(VIRTIO_MMIO_INTERRUPT_STATUS));
}

static void wait_used(unsigned int q, uint16_t want)
{
	for (int i = 0; i < HANG_GUARD_NAPS && used_idx(q) != want; i++)
		usleep(100);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	ck_assert_uint_eq(used_idx(q), want);
}

START_TEST(invalq_batches_a_drain_into_one_backend_call)
{
	struct invalq_stats st;
	unsigned int changes;

	start_thread(0);
	init_with(device_features());
	ck_assert(device_features() & F(VIRTIO_IOMMU_F_ATTACH_TABLE));
	attach_table();
	ack_irq();
	changes = irq.changes;
	for (unsigned int i = 0; i < SLOTS; i++)
		post_inval(INVALQ, i, 0x100000 + i * 0x1000);
	kick(INVALQ);
	wait_used(INVALQ, SLOTS);
	invalq_stop(&iq); /* joins: what the thread did is visible now */
	invalq_stats(&iq, &st);
	ck_assert_uint_eq(fk.calls, 1);
	ck_assert_uint_eq(fk.call_n[0], SLOTS);
	for (unsigned int i = 0; i < SLOTS; i++) {
		ck_assert_uint_eq(status_of(INVALQ, i), VIRTIO_IOMMU_S_OK);
		ck_assert_uint_eq(used_len(INVALQ, i), 4);
		ck_assert_uint_eq(fk.last[i].start, 0x100000 + i * 0x1000);
		ck_assert_uint_eq(fk.last[i].end, 0x100fff + i * 0x1000);
	}
	/* One interrupt for the whole batch. */
	ck_assert(irq.level);
	ck_assert_uint_eq(irq.changes, changes + 1);
	ck_assert_uint_eq(st.drains, 1);
	ck_assert_uint_eq(st.requests, SLOTS);
	ck_assert_uint_eq(st.max_batch, SLOTS);
}
END_TEST

START_TEST(invalq_partial_failure_is_ioerr_for_that_request_only)
{
	start_thread(0);
	init_with(device_features());
	attach_table();
	fk.fail_at = 3;
	for (unsigned int i = 0; i < SLOTS; i++)
		post_inval(INVALQ, i, i * 0x1000);
	kick(INVALQ);
	wait_used(INVALQ, SLOTS);
	invalq_stop(&iq);
	for (unsigned int i = 0; i < SLOTS; i++)
		ck_assert_uint_eq(status_of(INVALQ, i),
				  i == 3 ? VIRTIO_IOMMU_S_IOERR : VIRTIO_IOMMU_S_OK);
	/* The rest after the failed entry is sent again, in one call. */
	ck_assert_uint_eq(fk.calls, 2);
	ck_assert_uint_eq(fk.call_n[0], SLOTS);
	ck_assert_uint_eq(fk.call_n[1], SLOTS - 4);
}
END_TEST

START_TEST(invalq_takes_invalidate_only)
{
	struct virtio_iommu_req_map map = { .head.type = VIRTIO_IOMMU_T_MAP };
	struct virtio_iommu_req_attach_table at = { .head.type = VIRTIO_IOMMU_T_ATTACH_TABLE };
	struct virtio_iommu_req_invalidate ok = inval_range(0, 0x1000), bad = ok;
	uint8_t unknown[8] = { 0x42 };
	struct viommu_stats vs;

	bad.reserved[0] = 1;
	start_thread(0);
	init_with(device_features());
	attach_table();
	post(INVALQ, 0, &map, sizeof(map) - 4, 4);
	post(INVALQ, 1, &ok, VIOMMU_INVALQ_REQ_LEN, 4);
	post(INVALQ, 2, &at, sizeof(at) - 4, 4);
	post(INVALQ, 3, unknown, sizeof(unknown), 4);
	post(INVALQ, 4, &bad, VIOMMU_INVALQ_REQ_LEN, 4);
	post(INVALQ, 5, &ok, VIOMMU_INVALQ_REQ_LEN - 1, 4); /* short */
	post(INVALQ, 6, &ok, VIOMMU_INVALQ_REQ_LEN, 8); /* a tail and more */
	post(INVALQ, 7, &ok, VIOMMU_INVALQ_REQ_LEN, 2); /* no room for the tail */
	kick(INVALQ);
	wait_used(INVALQ, 8);
	invalq_stop(&iq);
	ck_assert_uint_eq(status_of(INVALQ, 0), VIRTIO_IOMMU_S_UNSUPP);
	ck_assert_uint_eq(status_of(INVALQ, 1), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(status_of(INVALQ, 2), VIRTIO_IOMMU_S_UNSUPP);
	ck_assert_uint_eq(status_of(INVALQ, 3), VIRTIO_IOMMU_S_UNSUPP);
	ck_assert_uint_eq(status_of(INVALQ, 4), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(status_of(INVALQ, 5), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(ram[TAIL_AT(INVALQ, 6) + 4], VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(used_len(INVALQ, 6), 8);
	ck_assert_uint_eq(ram[TAIL_AT(INVALQ, 7)], 0xff); /* unwritten, used length 0 */
	ck_assert_uint_eq(used_len(INVALQ, 7), 0);
	ck_assert_uint_eq(fk.calls, 1);
	ck_assert_uint_eq(fk.call_n[0], 1);

	/* INVALIDATE on the requestq still works, in order with the other requests there. */
	post(0, 1, &ok, VIOMMU_INVALQ_REQ_LEN, 4);
	kick(0);
	ck_assert_uint_eq(status_of(0, 1), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(fk.calls, 2);

	/*
	 * The counters line: the invalq's INVALIDATEs, the good, the bad (model) and the
	 * malformed (never reach it), apart from the requestq's; every non-OK answer is an
	 * error, the UNSUPP ones too; the chain without room for a tail got no answer.
	 */
	viommu_get_stats(model, &vs);
	ck_assert_uint_eq(vs.inval_invalq, 4);
	ck_assert_uint_eq(vs.inval_requestq, 1);
	ck_assert_uint_eq(vs.attach_table, 1);
	ck_assert_uint_eq(vs.errors, 6);
	ck_assert_uint_eq(vs.attach + vs.detach + vs.map + vs.unmap + vs.probe, 0);
}
END_TEST

START_TEST(invalq_without_the_feature_is_unknown)
{
	struct virtio_iommu_req_invalidate ok = inval_range(0, 0x1000);

	init_with(device_features() & ~F(VIRTIO_IOMMU_F_ATTACH_TABLE));
	post(INVALQ, 0, &ok, VIOMMU_INVALQ_REQ_LEN, 4);
	kick(INVALQ); /* no thread: served inline */
	ck_assert_uint_eq(used_idx(INVALQ), 1);
	ck_assert_uint_eq(used_len(INVALQ, 0), 0);
	ck_assert_uint_eq(status_of(INVALQ, 0), 0xff);
	ck_assert_uint_eq(fk.calls, 0);
}
END_TEST

START_TEST(invalq_inline_without_a_thread)
{
	init_with(device_features());
	attach_table();
	for (unsigned int i = 0; i < 4; i++)
		post_inval(INVALQ, i, i * 0x1000);
	kick(INVALQ);
	ck_assert_uint_eq(used_idx(INVALQ), 4);
	ck_assert_uint_eq(fk.calls, 1);
	ck_assert_uint_eq(fk.call_n[0], 4);
}
END_TEST

START_TEST(invalq_honours_no_interrupt)
{
	unsigned int changes;

	start_thread(0);
	init_with(device_features() & ~F(VIRTIO_RING_F_EVENT_IDX));
	attach_table();
	ack_irq();
	changes = irq.changes;
	put16(QBASE(INVALQ) + 0x1000, VRING_AVAIL_F_NO_INTERRUPT);
	post_inval(INVALQ, 0, 0);
	kick(INVALQ);
	wait_used(INVALQ, 1);
	invalq_stop(&iq);
	ck_assert_uint_eq(irq.changes, changes);
	ck_assert(!irq.level);
}
END_TEST

START_TEST(invalq_malformed_chain_breaks_queue_2_only)
{
	struct virtio_iommu_req_invalidate ok = inval_range(0, 0x1000);

	start_thread(0);
	init_with(device_features());
	attach_table();
	/* A descriptor that points at itself: a loop. */
	set_desc(INVALQ, 0, REQ(INVALQ, 0), 8, VRING_DESC_F_NEXT, 0);
	offer(INVALQ, 0);
	kick(INVALQ);
	for (int i = 0; i < HANG_GUARD_NAPS && !needs_reset(); i++)
		usleep(100);
	ck_assert(needs_reset());
	ck_assert_uint_eq(used_idx(INVALQ), 0);
	/* The requestq goes on. */
	post(0, 1, &ok, VIOMMU_INVALQ_REQ_LEN, 4);
	kick(0);
	ck_assert_uint_eq(status_of(0, 1), VIRTIO_IOMMU_S_OK);
	/* Queue 2 stays broken until reset; then it works again. */
	post_inval(INVALQ, 1, 0);
	kick(INVALQ);
	invalq_stop(&iq);
	ck_assert_uint_eq(used_idx(INVALQ), 0);
	start_thread(0);
	init_with(device_features());
	ck_assert(!needs_reset());
	attach_table();
	post_inval(INVALQ, 0, 0);
	kick(INVALQ);
	wait_used(INVALQ, 1);
	ck_assert_uint_eq(status_of(INVALQ, 0), VIRTIO_IOMMU_S_OK);
}
END_TEST

static void *resetter(void *arg)
{
	(void)arg;
	wr(VIRTIO_MMIO_STATUS, 0);
	return NULL;
}

START_TEST(invalq_reset_drops_the_batch_in_flight)
{
	uint64_t resets = vio.mmio.reset_count;
	pthread_t t;

	start_thread(0);
	init_with(device_features());
	attach_table();
	resets = __atomic_load_n(&vio.mmio.reset_count, __ATOMIC_ACQUIRE);
	fk.block = true;
	post_inval(INVALQ, 0, 0);
	post_inval(INVALQ, 1, 0x1000);
	kick(INVALQ);
	sem_wait(&fk.entered); /* the thread is in the host flush, without the transport lock */
	/* The reset waits for the flush (the model's lock), from another thread. */
	ck_assert_int_eq(pthread_create(&t, NULL, resetter, NULL), 0);
	while (__atomic_load_n(&vio.mmio.reset_count, __ATOMIC_ACQUIRE) == resets)
		usleep(100);
	sem_post(&fk.release);
	pthread_join(t, NULL);
	invalq_stop(&iq);
	ck_assert_uint_eq(fk.calls, 1);
	/* Nothing of the old rings was written. */
	ck_assert_uint_eq(used_idx(INVALQ), 0);
	ck_assert_uint_eq(status_of(INVALQ, 0), 0xff);
	ck_assert_uint_eq(status_of(INVALQ, 1), 0xff);
}
END_TEST

START_TEST(invalq_pops_in_bounded_batches)
{
	struct viommu_invalq_batch *b = malloc(sizeof(*b));

	ck_assert_ptr_nonnull(b);
	init_with(device_features());
	attach_table();
	for (unsigned int i = 0; i < SLOTS; i++)
		post_inval(INVALQ, i, i * 0x1000);
	/* A flood is taken a bounded batch at a time; each one complete before the next. */
	ck_assert_uint_eq(viommu_invalq_drain(&vio, b, 3), 3);
	ck_assert_uint_eq(used_idx(INVALQ), 3);
	ck_assert(viommu_invalq_pending(&vio));
	ck_assert_uint_eq(viommu_invalq_drain(&vio, b, 3), 3);
	ck_assert_uint_eq(viommu_invalq_drain(&vio, b, 3), 2);
	ck_assert_uint_eq(viommu_invalq_drain(&vio, b, 3), 0);
	ck_assert(!viommu_invalq_pending(&vio));
	ck_assert_uint_eq(fk.calls, 3);

	/* A completion from before a reset is dropped. */
	post_inval(INVALQ, 0, 0);
	virtio_mmio_lock(&vio.mmio);
	ck_assert_uint_eq(viommu_invalq_pop(&vio, b, 8), 1);
	virtio_mmio_unlock(&vio.mmio);
	viommu_invalq_serve(&vio, b);
	wr(VIRTIO_MMIO_STATUS, 0);
	virtio_mmio_lock(&vio.mmio);
	ck_assert(!viommu_invalq_complete(&vio, b));
	virtio_mmio_unlock(&vio.mmio);
	ck_assert_uint_eq(used_idx(INVALQ), SLOTS);
	free(b);
}
END_TEST

START_TEST(invalq_thread_starts_and_stops)
{
	struct invalq_opts o;
	char err[128];

	/* Every knob combination starts and stops, with and without traffic. */
	init_with(device_features());
	attach_table();
	notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	viommu_virtio_set_invalq_fd(&vio, notify_fd);
	for (unsigned int k = 0; k < 8; k++) {
		invalq_default_opts(&o, false);
		o.files = k & 1;
		o.single_issuer = k & 2;
		o.poll_us = k & 4 ? 50 : 0;
		ck_assert_int_eq(invalq_start(&iq, &vio, notify_fd, &o, NULL), 0);
		post_inval(INVALQ, k % SLOTS, 0);
		kick(INVALQ);
		wait_used(INVALQ, k + 1);
		ck_assert_uint_eq(status_of(INVALQ, k % SLOTS), VIRTIO_IOMMU_S_OK);
		invalq_stop(&iq);
		invalq_stop(&iq); /* twice is harmless */
	}
	/* Stopping with requests just kicked. */
	ck_assert_int_eq(invalq_start(&iq, &vio, notify_fd, &o, NULL), 0);
	for (unsigned int i = 0; i < SLOTS; i++)
		post_inval(INVALQ, i, 0);
	kick(INVALQ);
	invalq_stop(&iq);

	invalq_default_opts(&o, false);
	ck_assert_int_eq(
	    invalq_parse_opts(&o, "poll_us=20,files=0,single_issuer=0", err, sizeof(err)), 0);
	ck_assert_uint_eq(o.poll_us, 20);
	ck_assert(!o.files && !o.single_issuer);
	ck_assert_int_eq(invalq_parse_opts(&o, "", err, sizeof(err)), 0);
	ck_assert_int_eq(invalq_parse_opts(&o, "poll_us=-1", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(invalq_parse_opts(&o, "poll_us=99999", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(invalq_parse_opts(&o, "files=2", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(invalq_parse_opts(&o, "poll=1", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(invalq_parse_opts(&o, "files", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(invalq_parse_opts(&o, "files=", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "'files='"));
}
END_TEST

START_TEST(invalq_busy_poll_serves_without_a_wakeup)
{
	struct invalq_stats st;

	/*
	 * A window of 1 us: the second request is in the ring before the window opens, so the
	 * poll's first look finds it however slowly either thread runs.
	 */
	start_thread(1);
	init_with(device_features());
	attach_table();
	fk.block = true;
	post_inval(INVALQ, 0, 0);
	kick(INVALQ);
	sem_wait(&fk.entered); /* the thread serves request 0: it is popped, 1 is not yet */
	post_inval(INVALQ, 1, 0x1000); /* no kick at all: only the poll can find it */
	sem_post(&fk.release);
	wait_used(INVALQ, 2);
	invalq_stop(&iq);
	invalq_stats(&iq, &st);
	ck_assert_uint_eq(st.wakeups, 1);
	ck_assert_uint_eq(st.polled, 1);
	ck_assert_uint_eq(fk.calls, 2);
	ck_assert_uint_eq(status_of(INVALQ, 0), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(status_of(INVALQ, 1), VIRTIO_IOMMU_S_OK);
}
END_TEST

static void wait_for_stop(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += HANG_GUARD_NAPS / 10000;
	ck_assert_msg(sem_timedwait(&vm.stopped, &until) == 0,
		      "the invalq thread died without stopping the VM");
}

START_TEST(invalq_thread_death_stops_the_vm)
{
	start_thread_stopping(0, &vm.ctl);
	init_with(device_features());
	attach_table();
	/* The backend call (on the thread) makes every later io_uring_enter fail. */
	__atomic_store_n(&fk.fault, "invalq_enter:EIO", __ATOMIC_RELEASE);
	post_inval(INVALQ, 0, 0);
	kick(INVALQ);
	wait_for_stop();
	ck_assert_int_eq(vm.reason, VM_STOP_ERROR);
	/* What it took before it died was answered. */
	ck_assert_uint_eq(used_idx(INVALQ), 1);
	ck_assert_uint_eq(status_of(INVALQ, 0), VIRTIO_IOMMU_S_OK);
	/* Stopping a dead thread returns and stops nothing twice. */
	invalq_stop(&iq);
	ck_assert_uint_eq(__atomic_load_n(&vm.stops, __ATOMIC_ACQUIRE), 1);
}
END_TEST

START_TEST(invalq_thread_stopped_stops_no_vm)
{
	/* The control: asked to stop, the thread ends without a VM stop. */
	start_thread_stopping(0, &vm.ctl);
	init_with(device_features());
	attach_table();
	post_inval(INVALQ, 0, 0);
	kick(INVALQ);
	wait_used(INVALQ, 1);
	invalq_stop(&iq);
	ck_assert_uint_eq(__atomic_load_n(&vm.stops, __ATOMIC_ACQUIRE), 0);
}
END_TEST

Suite *invalq_suite(void)
{
	Suite *s = suite_create("invalq");
	TCase *tc = tcase_create("invalq");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, invalq_batches_a_drain_into_one_backend_call);
	tcase_add_test(tc, invalq_partial_failure_is_ioerr_for_that_request_only);
	tcase_add_test(tc, invalq_takes_invalidate_only);
	tcase_add_test(tc, invalq_without_the_feature_is_unknown);
	tcase_add_test(tc, invalq_inline_without_a_thread);
	tcase_add_test(tc, invalq_honours_no_interrupt);
	tcase_add_test(tc, invalq_malformed_chain_breaks_queue_2_only);
	tcase_add_test(tc, invalq_reset_drops_the_batch_in_flight);
	tcase_add_test(tc, invalq_pops_in_bounded_batches);
	tcase_add_test(tc, invalq_thread_starts_and_stops);
	tcase_add_test(tc, invalq_busy_poll_serves_without_a_wakeup);
	tcase_add_test(tc, invalq_thread_death_stops_the_vm);
	tcase_add_test(tc, invalq_thread_stopped_stops_no_vm);
	suite_add_tcase(s, tc);
	return s;
}
