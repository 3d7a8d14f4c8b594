// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk's asynchronous path: a real io loop on a temp image file, kicks delivered on
 * the loop thread through an eventfd it watches (as KVM's ioeventfds are), and the rings in
 * the fake driver's RAM. The test thread waits for the used ring under the transport lock.
 */
#include <endian.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "devices/virtio_blk.h"
#include "unit.h"
#include "virtio_driver.h"
#include "vmm/ioloop.h"

#define DISK_SIZE (1 << 20)
#define DISK_SECTORS (DISK_SIZE / 512)
#define HDRS 0x10000 /* request k's header at HDRS + 16 k, its status at STATS + k */
#define STATS 0x11000
#define DATA 0x20000 /* request k's data at DATA + k * len */
#define IOVA_BASE 0x800000000ULL

/* What the loop thread does when the test writes the kick eventfd. */
enum kick_action {
	KICK,
	KICK_THEN_RESET,
	KICK_THEN_HOLD, /* then waits for release_fd: no completion is reaped meanwhile */
};

static struct virtio_blk blk;
static struct ioloop loop;
static int kick_fd, kicked_fd; /* test -> loop; loop -> test when the action is done */
static int release_fd; /* test -> loop: a KICK_THEN_HOLD may go on */
static enum kick_action action;
static unsigned int seen_in_flight, seen_stale; /* right after the loop's kick */
static char disk_path[64];
static uint64_t iova; /* 0, or IOVA_BASE behind the fake IOMMU */

static uint8_t pattern(uint64_t off)
{
	return off * 7 % 251;
}

/*
 * The fake IOMMU's begin/end brackets: how many began, whether one is open, and the one that
 * was open at the first and the last translation of DATA .. DATA + 1 MiB (the data buffers).
 */
static unsigned int brackets, data_bracket_first, data_bracket_last;
static bool in_bracket;
static uint64_t fault_at; /* an IOVA the fake IOMMU refuses; 0: none */

static void bracket_begin(void *opaque)
{
	(void)opaque;
	ck_assert(!in_bracket);
	in_bracket = true;
	brackets++;
}

static void bracket_end(void *opaque)
{
	(void)opaque;
	ck_assert(in_bracket);
	in_bracket = false;
}

/* A fake IOMMU: IOVA_BASE + x is RAM at x, in 4 KiB pieces; the rest faults. */
static int page_translate(void *opaque, uint64_t addr, uint64_t len, bool write, uint64_t *gpa,
			  uint64_t *contig)
{
	(void)opaque;
	(void)write;
	if (addr < IOVA_BASE || addr - IOVA_BASE >= RAM_SIZE)
		return -EFAULT;
	if (fault_at && addr <= fault_at && fault_at - addr < 4096 - addr % 4096)
		return -EFAULT;
	if (addr - IOVA_BASE >= DATA && addr - IOVA_BASE < DATA + (1 << 20)) {
		ck_assert_msg(in_bracket, "a data buffer translated outside a begin/end bracket");
		if (!data_bracket_first)
			data_bracket_first = brackets;
		data_bracket_last = brackets;
	}
	*gpa = addr - IOVA_BASE;
	*contig = 4096 - *gpa % 4096;
	if (*contig > len)
		*contig = len;
	return 0;
}

static struct dma_space translated = {
	.translate = page_translate,
	.begin = bracket_begin,
	.end = bracket_end,
};

static bool kick_readable(void *opaque, int fd)
{
	uint64_t n, one = 1;

	(void)opaque;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return true;
	ck_assert(ioloop_on_thread(&loop));
	virtio_mmio_kick(&blk.mmio, 0);
	if (action == KICK_THEN_RESET)
		wr(VIRTIO_MMIO_STATUS, 0); /* on the loop thread: in flight, not yet submitted */
	virtio_mmio_lock(&blk.mmio);
	seen_in_flight = blk.in_flight;
	seen_stale = blk.stale;
	virtio_mmio_unlock(&blk.mmio);
	ck_assert_int_eq(write(kicked_fd, &one, sizeof(one)), sizeof(one));
	if (action == KICK_THEN_HOLD)
		ck_assert_int_eq(read(release_fd, &n, sizeof(n)), sizeof(n));
	return true;
}

static void make_disk(void)
{
	static uint8_t data[DISK_SIZE];
	int fd;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = pattern(i);
	strcpy(disk_path, "/tmp/nestvm-blk-XXXXXX");
	fd = mkstemp(disk_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, sizeof(data)), sizeof(data));
	close(fd);
}

static void driver_start(void)
{
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	uint64_t q = iova + QBASE(0);

	wr(VIRTIO_MMIO_STATUS, 0);
	avail_idx[0] = 0;
	memset(ram + QBASE(0), 0, 0x3000);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, s);
	write_features(device_features());
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, q >> 32);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)(q + 0x1000));
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (q + 0x1000) >> 32);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)(q + 0x2000));
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, (q + 0x2000) >> 32);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void start(bool ro, bool behind_iommu)
{
	char err[256];

	vd_setup();
	/* Two RAM regions back to back, so that a buffer can straddle them. */
	mem = (struct gmem){ .regions = { { 0, RAM_SIZE / 2, ram },
					  { RAM_SIZE / 2, RAM_SIZE / 2, ram + RAM_SIZE / 2 } },
			     .count = 2 };
	translated.mem = &mem;
	iova = behind_iommu ? IOVA_BASE : 0;
	brackets = data_bracket_first = data_bracket_last = 0;
	in_bracket = false;
	fault_at = 0;
	make_disk();
	ck_assert_int_eq(virtio_blk_init(&blk, disk_path, ro, behind_iommu ? &translated : &dma,
					 &irq.sink, 9, err, sizeof(err)),
			 0);
	vd_dev = &blk.mmio;
	kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	kicked_fd = eventfd(0, EFD_CLOEXEC);
	release_fd = eventfd(0, EFD_CLOEXEC);
	ck_assert_int_ge(kick_fd, 0);
	ck_assert_int_ge(kicked_fd, 0);
	ck_assert_int_ge(release_fd, 0);
	action = KICK;
	ck_assert_int_eq(ioloop_init(&loop), 0);
	virtio_blk_use_loop(&blk, &loop);
	ck_assert_int_eq(ioloop_watch(&loop, kick_fd, kick_readable, NULL), 0);
	ck_assert_int_eq(ioloop_start(&loop), 0);
	driver_start();
}

/* @destroyed: virtio_blk_destroy() ran already. */
static void stop(bool destroyed)
{
	ioloop_destroy(&loop);
	if (!destroyed)
		virtio_blk_destroy(&blk);
	close(kick_fd);
	close(kicked_fd);
	close(release_fd);
	unlink(disk_path);
	vd_release();
}

/* Request @k (< 5): descriptors 3k..3k+2, @len bytes of data at DATA + k * @len. */
static void request(unsigned int k, uint32_t type, uint64_t sector, uint32_t len)
{
	struct virtio_blk_outhdr hdr = { htole32(type), 0, htole64(sector) };
	bool in = type != VIRTIO_BLK_T_OUT;

	memcpy(ram + HDRS + 16 * k, &hdr, sizeof(hdr));
	ram[STATS + k] = 0xee;
	set_desc(0, 3 * k, iova + HDRS + 16 * k, sizeof(hdr), VRING_DESC_F_NEXT, 3 * k + 1);
	set_desc(0, 3 * k + 1, iova + DATA + (uint64_t)k * len, len,
		 VRING_DESC_F_NEXT | (in ? VRING_DESC_F_WRITE : 0), 3 * k + 2);
	set_desc(0, 3 * k + 2, iova + STATS + k, 1, VRING_DESC_F_WRITE, 0);
	offer(0, 3 * k);
}

/* Kicks on the loop thread and returns once the loop has run the kick. */
static void loop_kick(enum kick_action a)
{
	uint64_t one = 1, n;

	action = a;
	ck_assert_int_eq(write(kick_fd, &one, sizeof(one)), sizeof(one));
	ck_assert_int_eq(read(kicked_fd, &n, sizeof(n)), sizeof(n));
}

static uint16_t locked_used_idx(void)
{
	uint16_t idx;

	virtio_mmio_lock(&blk.mmio);
	idx = used_idx(0);
	virtio_mmio_unlock(&blk.mmio);
	return idx;
}

static void wait_used(uint16_t want)
{
	struct timespec ms = { 0, 1000000 };

	for (int i = 0; i < 5000 && locked_used_idx() != want; i++)
		nanosleep(&ms, NULL);
	ck_assert_uint_eq(locked_used_idx(), want);
}

static bool locked_irq_level(void)
{
	bool level;

	virtio_mmio_lock(&blk.mmio);
	level = irq.level;
	virtio_mmio_unlock(&blk.mmio);
	return level;
}

/* The interrupt follows the used ring: it is raised once the batch is over. */
static void wait_irq(void)
{
	struct timespec ms = { 0, 1000000 };

	for (int i = 0; i < 5000 && !locked_irq_level(); i++)
		nanosleep(&ms, NULL);
	ck_assert(locked_irq_level());
}

static void read_write_round_trip(bool behind_iommu)
{
	/* 100 KiB per request: request 3's data straddles the two RAM regions at 512 KiB. */
	const uint32_t len = 100 * 1024, big = 300 * 1024;
	uint8_t back[512];
	int fd;

	start(false, behind_iommu);
	for (unsigned int k = 0; k < 4; k++)
		request(k, VIRTIO_BLK_T_IN, k * 200, len);
	loop_kick(KICK);
	ck_assert_uint_eq(seen_in_flight, 4);
	wait_used(4);
	for (unsigned int k = 0; k < 4; k++) {
		ck_assert_uint_eq(ram[STATS + k], VIRTIO_BLK_S_OK);
		ck_assert_uint_eq(used_len(0, k), len + 1);
		for (uint32_t i = 0; i < len; i += 511)
			ck_assert_uint_eq(ram[DATA + k * len + i], pattern(k * 200 * 512 + i));
	}
	wait_irq();

	memset(ram + DATA + 4 * len, 0x5a, len);
	request(4, VIRTIO_BLK_T_OUT, 300, len);
	request(0, VIRTIO_BLK_T_FLUSH, 0, 0);
	loop_kick(KICK);
	wait_used(6);
	ck_assert_uint_eq(ram[STATS + 4], VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(ram[STATS + 0], VIRTIO_BLK_S_OK);
	fd = open(disk_path, O_RDONLY);
	ck_assert_int_eq(pread(fd, back, sizeof(back), 300 * 512 + len - 512), sizeof(back));
	close(fd);
	for (size_t i = 0; i < sizeof(back); i++)
		ck_assert_uint_eq(back[i], 0x5a);
	/* Larger than the bounce buffer: read in pieces behind the IOMMU. */
	memset(ram + DATA, 0, big);
	request(0, VIRTIO_BLK_T_IN, 600, big);
	loop_kick(KICK);
	wait_used(7);
	ck_assert_uint_eq(ram[STATS + 0], VIRTIO_BLK_S_OK);
	for (uint32_t i = 0; i < big; i += 509)
		ck_assert_uint_eq(ram[DATA + i], pattern(600 * 512 + i));
	ck_assert(!needs_reset());
	stop(false);
}

START_TEST(async_reads_and_writes_land)
{
	read_write_round_trip(false);
}
END_TEST

START_TEST(async_through_the_iommu_bounce)
{
	read_write_round_trip(true);
}
END_TEST

START_TEST(async_many_in_flight)
{
	const uint32_t len = 16 * 1024;

	start(false, false);
	/* Five chains of three descriptors fill the 16-entry table; twice. */
	for (unsigned int round = 0; round < 2; round++) {
		for (unsigned int k = 0; k < 5; k++)
			request(k, VIRTIO_BLK_T_IN, round * 512 + k * 32, len);
		loop_kick(KICK);
		ck_assert_uint_eq(seen_in_flight, 5);
		wait_used((round + 1) * 5);
		for (unsigned int k = 0; k < 5; k++) {
			ck_assert_uint_eq(ram[STATS + k], VIRTIO_BLK_S_OK);
			ck_assert_uint_eq(ram[DATA + k * len + len - 1],
					  pattern((round * 512 + k * 32) * 512 + len - 1));
		}
	}
	stop(false);
}
END_TEST

START_TEST(async_more_chains_than_the_queue)
{
	start(false, false);
	/* A driver that offers one head 16 times, then 16 more: never more than 16 out. */
	request(0, VIRTIO_BLK_T_IN, 8, 4096);
	for (unsigned int i = 1; i < QSIZE; i++)
		offer(0, 0);
	loop_kick(KICK);
	ck_assert_uint_le(seen_in_flight, QSIZE);
	wait_used(QSIZE);
	for (unsigned int i = 0; i < QSIZE; i++)
		offer(0, 0);
	loop_kick(KICK);
	wait_used(2 * QSIZE);
	ck_assert_uint_eq(ram[STATS + 0], VIRTIO_BLK_S_OK);
	ck_assert(!needs_reset());
	stop(false);
}
END_TEST

START_TEST(async_bad_requests)
{
	start(true, false);
	request(0, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1024); /* past the end */
	request(1, VIRTIO_BLK_T_OUT, 0, 512); /* read-only disk */
	request(2, VIRTIO_BLK_T_IN, 0, 100); /* not whole sectors */
	request(3, VIRTIO_BLK_T_IN, 8, 512);
	loop_kick(KICK);
	wait_used(4);
	ck_assert_uint_eq(ram[STATS + 0], VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(ram[STATS + 1], VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(ram[STATS + 2], VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(ram[STATS + 3], VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(ram[DATA + 3 * 512], pattern(8 * 512));
	stop(false);
}
END_TEST

START_TEST(async_image_shrinks_under_the_guest)
{
	start(false, false);
	ck_assert_int_eq(truncate(disk_path, 4096), 0);
	request(0, VIRTIO_BLK_T_IN, 4, 4096); /* the first half is there, then EOF */
	loop_kick(KICK);
	wait_used(1);
	ck_assert_uint_eq(ram[STATS + 0], VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(used_len(0, 0), 2048 + 1); /* what was read before the end */
	stop(false);
}
END_TEST

START_TEST(async_reset_drops_requests_in_flight)
{
	start(false, false);
	for (unsigned int k = 0; k < 5; k++)
		request(k, VIRTIO_BLK_T_IN, k * 64, 32 * 1024);
	/* Kicked and reset in one go on the loop thread: all five are still in flight. */
	loop_kick(KICK_THEN_RESET);
	ck_assert_uint_eq(seen_stale, 5);
	/* The loop drains on stop: their completions are dropped, the slots freed. */
	ioloop_stop(&loop);
	ck_assert_uint_eq(blk.in_flight, 0);
	ck_assert_uint_eq(blk.stale, 0);
	ck_assert_uint_eq(used_idx(0), 0);
	ck_assert(!irq.level);
	stop(false);
}
END_TEST

START_TEST(async_reset_from_a_vcpu_waits)
{
	start(false, false);
	for (unsigned int k = 0; k < 5; k++)
		request(k, VIRTIO_BLK_T_IN, k * 64, 32 * 1024);
	loop_kick(KICK);
	wr(VIRTIO_MMIO_STATUS, 0); /* from another thread: returns when none is in flight */
	virtio_mmio_lock(&blk.mmio);
	ck_assert_uint_eq(blk.stale, 0);
	virtio_mmio_unlock(&blk.mmio);
	/* The device works again after the driver sets it up anew. */
	driver_start();
	request(0, VIRTIO_BLK_T_IN, 8, 512);
	loop_kick(KICK);
	wait_used(1);
	ck_assert_uint_eq(ram[STATS + 0], VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(ram[DATA], pattern(8 * 512));
	stop(false);
}
END_TEST

START_TEST(async_stop_completes_requests_in_flight)
{
	start(false, false);
	for (unsigned int k = 0; k < 5; k++)
		request(k, VIRTIO_BLK_T_IN, k * 64, 32 * 1024);
	loop_kick(KICK);
	ioloop_stop(&loop); /* drains: each request completes */
	ck_assert_uint_eq(used_idx(0), 5);
	for (unsigned int k = 0; k < 5; k++)
		ck_assert_uint_eq(ram[STATS + k], VIRTIO_BLK_S_OK);
	stop(false);
}
END_TEST

static atomic_bool destroyed;

static void *destroy_blk(void *arg)
{
	(void)arg;
	virtio_blk_destroy(&blk);
	atomic_store(&destroyed, true);
	return NULL;
}

/*
 * virtio_blk_destroy() with five requests in flight and the loop running: it returns only
 * once each has completed into the used ring, and nothing touches the freed request slots
 * after (ASan would see the loop thread do so).
 */
START_TEST(async_destroy_waits_for_requests_in_flight)
{
	const uint32_t len = 32 * 1024;
	struct timespec ms = { 0, 1000000 };
	uint64_t one = 1;
	pthread_t t;

	start(false, false);
	for (unsigned int k = 0; k < 5; k++)
		request(k, VIRTIO_BLK_T_IN, k * 64, len);
	/* The loop takes the five, then is held: none can complete until it is let go. */
	loop_kick(KICK_THEN_HOLD);
	ck_assert_uint_eq(seen_in_flight, 5);
	atomic_store(&destroyed, false);
	ck_assert_int_eq(pthread_create(&t, NULL, destroy_blk, NULL), 0);
	for (int i = 0; i < 50 && !atomic_load(&destroyed); i++)
		nanosleep(&ms, NULL);
	ck_assert_msg(!atomic_load(&destroyed), "destroy returned with 5 requests in flight");
	ck_assert_uint_eq(used_idx(0), 0);
	ck_assert_int_eq(write(release_fd, &one, sizeof(one)), sizeof(one));
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	/* Each was completed before destroy returned. */
	ck_assert_uint_eq(used_idx(0), 5);
	for (unsigned int k = 0; k < 5; k++) {
		ck_assert_uint_eq(ram[STATS + k], VIRTIO_BLK_S_OK);
		ck_assert_uint_eq(used_len(0, k), len + 1);
		ck_assert_uint_eq(ram[DATA + k * len + len - 1], pattern(k * 64 * 512 + len - 1));
	}
	ck_assert_int_eq(blk.fd, -1);
	stop(true);
}
END_TEST

START_TEST(kick_off_the_loop_is_synchronous)
{
	start(false, false);
	request(0, VIRTIO_BLK_T_IN, 3, 512);
	kick(0); /* a register write on this thread, not the loop's */
	ck_assert_uint_eq(used_idx(0), 1);
	ck_assert_uint_eq(ram[STATS + 0], VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(ram[DATA], pattern(3 * 512));
	stop(false);
}
END_TEST

/*
 * Behind the IOMMU a synchronous request is zero copy: one bracket, held from its first
 * translation to its last syscall, covers all of its data, even past the bounce size (ring I/O
 * would take one bracket per piece). A page the IOMMU refuses fails the request and closes the
 * bracket; the data before it may have landed, as on a real IOMMU.
 */
START_TEST(sync_through_the_iommu_is_one_bracket)
{
	const uint32_t big = 3 * VIRTIO_BLK_BOUNCE_SIZE / 2;
	uint8_t back[512];
	int fd;

	start(false, true);
	memset(ram + DATA, 0, big);
	request(0, VIRTIO_BLK_T_IN, 40, big);
	kick(0);
	ck_assert_uint_eq(used_idx(0), 1);
	ck_assert_uint_eq(ram[STATS + 0], VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(0, 0), big + 1);
	for (uint32_t i = 0; i < big; i += 509)
		ck_assert_uint_eq(ram[DATA + i], pattern(40 * 512 + i));
	ck_assert_uint_ne(data_bracket_first, 0);
	ck_assert_uint_eq(data_bracket_first, data_bracket_last);
	ck_assert(!in_bracket);

	/* A write, likewise: guest RAM straight to the image. */
	memset(ram + DATA, 0xc3, big);
	data_bracket_first = 0;
	request(0, VIRTIO_BLK_T_OUT, 900, big);
	kick(0);
	ck_assert_uint_eq(used_idx(0), 2);
	ck_assert_uint_eq(ram[STATS + 0], VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(data_bracket_first, data_bracket_last);
	fd = open(disk_path, O_RDONLY);
	ck_assert_int_eq(pread(fd, back, sizeof(back), 900 * 512 + big - 512), sizeof(back));
	close(fd);
	for (size_t i = 0; i < sizeof(back); i++)
		ck_assert_uint_eq(back[i], 0xc3);

	/* The IOMMU refuses a page in the middle: IOERR, and no bracket is left open. */
	fault_at = IOVA_BASE + DATA + 64 * 1024;
	request(0, VIRTIO_BLK_T_IN, 40, big);
	kick(0);
	ck_assert_uint_eq(used_idx(0), 3);
	ck_assert_uint_eq(ram[STATS + 0], VIRTIO_BLK_S_IOERR);
	ck_assert(!in_bracket);
	ck_assert(!needs_reset());
	stop(false);
}
END_TEST

/* An image in memory (a memfd is tmpfs) is served on the notifying vCPU; a pipe is not. */
START_TEST(images_in_memory_are_served_on_the_vcpu)
{
	int mfd = memfd_create("nestvm-img", MFD_CLOEXEC), pfd[2];
	char path[64], err[256];

	ck_assert_int_ge(mfd, 0);
	ck_assert_int_eq(ftruncate(mfd, DISK_SIZE), 0);
	ck_assert(virtio_blk_in_memory(mfd));
	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
	ck_assert(!virtio_blk_in_memory(pfd[0]));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	ck_assert_int_eq(virtio_blk_init(&blk, path, false, &dma, &irq.sink, 9, err, sizeof(err)),
			 0);
	ck_assert(blk.mmio.notify_on_vcpu);
	virtio_blk_destroy(&blk);
	close(pfd[0]);
	close(pfd[1]);
	close(mfd);
}
END_TEST

START_TEST(gmem_span_splits_at_region_ends)
{
	static uint8_t a[4096], b[4096];
	struct gmem m = { .regions = { { 0x1000, 4096, a }, { 0x2000, 4096, b } }, .count = 2 };
	uint64_t span;

	ck_assert_ptr_eq(gmem_span(&m, 0x1800, 4096, &span), a + 0x800);
	ck_assert_uint_eq(span, 0x800);
	ck_assert_ptr_eq(gmem_span(&m, 0x2000, 16, &span), b);
	ck_assert_uint_eq(span, 16);
	ck_assert_ptr_null(gmem_span(&m, 0x3000, 1, &span)); /* just past the end */
	ck_assert_ptr_null(gmem_span(&m, 0xfff, 2, &span));
	ck_assert_ptr_null(gmem_span(&m, 0x1000, 0, &span));
	ck_assert_ptr_eq(gmem_span(&m, 0x2fff, UINT64_MAX, &span), b + 0xfff);
	ck_assert_uint_eq(span, 1);
}
END_TEST

Suite *virtio_blk_suite(void)
{
	Suite *s = suite_create("virtio_blk");
	TCase *tc = tcase_create("async");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, async_reads_and_writes_land);
	tcase_add_test(tc, async_through_the_iommu_bounce);
	tcase_add_test(tc, async_many_in_flight);
	tcase_add_test(tc, async_more_chains_than_the_queue);
	tcase_add_test(tc, async_bad_requests);
	tcase_add_test(tc, async_image_shrinks_under_the_guest);
	tcase_add_test(tc, async_reset_drops_requests_in_flight);
	tcase_add_test(tc, async_reset_from_a_vcpu_waits);
	tcase_add_test(tc, async_stop_completes_requests_in_flight);
	tcase_add_test(tc, async_destroy_waits_for_requests_in_flight);
	tcase_add_test(tc, kick_off_the_loop_is_synchronous);
	tcase_add_test(tc, sync_through_the_iommu_is_one_bracket);
	tcase_add_test(tc, images_in_memory_are_served_on_the_vcpu);
	suite_add_tcase(s, tc);
	tc = tcase_create("zero copy");
	tcase_add_test(tc, gmem_span_splits_at_region_ends);
	suite_add_tcase(s, tc);
	return s;
}
