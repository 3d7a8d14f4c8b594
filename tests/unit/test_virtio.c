// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-mmio transport, split virtqueues and the rng and blk devices, driven the way a
 * driver drives them: through the register window, with rings and buffers placed in a fake
 * guest RAM, and a fake interrupt sink that records the line.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"
#include "devices/virtio_rng.h"
#include "iommu/viommu_virtio.h"
#include "unit.h"

#define RAM_SIZE (1 << 20)
#define QSIZE 16
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define TABLE 0x4000 /* indirect tables */
#define BUF 0x10000
#define OUTSIDE 0x40000000ULL /* not RAM */
#define F(bit) (1ULL << (bit))

struct fake_irq {
	struct irq_sink sink;
	unsigned int gsi, changes;
	bool level;
};

static void fake_set_level(struct irq_sink *sink, unsigned int gsi, bool level)
{
	struct fake_irq *irq = (struct fake_irq *)sink;

	irq->gsi = gsi;
	irq->level = level;
	irq->changes++;
}

static uint8_t *ram;
static struct gmem mem;
static struct dma_space dma = { .mem = &mem };
static struct fake_irq irq = { .sink.set_level = fake_set_level };
static struct virtio_rng rng;
static struct virtio_blk blk;
static struct virtio_mmio_dev *dev; /* the device under test */
static uint16_t avail_idx;

static void setup(void)
{
	ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	mem = (struct gmem){ .regions = { { 0, RAM_SIZE, ram } }, .count = 1 };
	irq.changes = 0;
	irq.level = false;
	avail_idx = 0;
}

static void teardown(void)
{
	free(ram);
}

static uint32_t rd(uint64_t off)
{
	uint32_t val;

	virtio_mmio_bus_ops()->read(dev, off, &val, 4);
	return le32toh(val);
}

static void wr(uint64_t off, uint32_t val)
{
	val = htole32(val);
	virtio_mmio_bus_ops()->write(dev, off, &val, 4);
}

static void put16(uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	memcpy(ram + gpa, &v, 2);
}

static uint16_t get16(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, ram + gpa, 2);
	return le16toh(v);
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, ram + gpa, 4);
	return le32toh(v);
}

static void set_desc_at(uint64_t table, unsigned int i, uint64_t addr, uint32_t len, uint16_t flags,
			uint16_t next)
{
	struct vring_desc d = { htole64(addr), htole32(len), htole16(flags), htole16(next) };

	memcpy(ram + table + 16 * i, &d, sizeof(d));
}

static void set_desc(unsigned int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	set_desc_at(DESC, i, addr, len, flags, next);
}

static void offer(uint16_t head)
{
	put16(AVAIL + 4 + 2 * (avail_idx % QSIZE), head);
	avail_idx++;
	put16(AVAIL + 2, avail_idx);
}

static void kick(void)
{
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

static uint16_t used_idx(void)
{
	return get16(USED + 2);
}

static uint32_t used_len(unsigned int i)
{
	return get32(USED + 4 + 8 * (i % QSIZE) + 4);
}

static void write_features(uint64_t f)
{
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, f >> 32);
}

static uint64_t device_features(void)
{
	uint64_t f;

	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return f | (uint64_t)rd(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

static void setup_queue(uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, num);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, desc >> 32);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, avail >> 32);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, used >> 32);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

/* §3.1.1 initialisation, taking @features (those of the device when 0). */
static void driver_init(uint64_t features)
{
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	wr(VIRTIO_MMIO_STATUS, 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_VERSION), 2);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, s);
	write_features(features ? features : device_features());
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), s | VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX) >= QSIZE, 1);
	setup_queue(QSIZE, DESC, AVAIL, USED);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK,
			  VIRTIO_CONFIG_S_DRIVER_OK);
}

static void start_rng(uint64_t features)
{
	virtio_rng_init(&rng, &dma, &irq.sink, 7);
	dev = &rng.mmio;
	driver_init(features);
}

static bool needs_reset(void)
{
	return rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

static bool all_zero(uint64_t gpa, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (ram[gpa + i])
			return false;
	return true;
}

START_TEST(rng_fills_a_chain_and_interrupts)
{
	start_rng(0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	set_desc(0, BUF, 64, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
	set_desc(3, BUF + 0x100, 32, VRING_DESC_F_WRITE, 0);
	offer(0);
	kick();
	ck_assert_uint_eq(used_idx(), 1);
	ck_assert_uint_eq(get32(USED + 4), 0);
	ck_assert_uint_eq(used_len(0), 96);
	ck_assert(!all_zero(BUF, 64) && !all_zero(BUF + 0x100, 32));
	ck_assert(irq.level && irq.gsi == 7);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	ck_assert(!irq.level);
	ck_assert(!needs_reset());
	virtio_rng_destroy(&rng);
}
END_TEST

START_TEST(rng_indirect_table)
{
	start_rng(0);
	ck_assert(device_features() & F(VIRTIO_RING_F_INDIRECT_DESC));
	set_desc_at(TABLE, 0, BUF, 10, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	set_desc_at(TABLE, 2, BUF + 0x100, 20, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc_at(TABLE, 1, BUF + 0x200, 30, VRING_DESC_F_WRITE, 0);
	/* A direct descriptor may come before the indirect one. */
	set_desc(5, BUF + 0x300, 4, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 6);
	set_desc(6, TABLE, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	offer(5);
	kick();
	ck_assert_uint_eq(used_idx(), 1);
	ck_assert_uint_eq(used_len(0), 64);
	ck_assert(!needs_reset());
	virtio_rng_destroy(&rng);
}
END_TEST

/* A long table is read a window at a time: a chain that runs forward then back still reads right.
 */
START_TEST(rng_long_indirect_table)
{
	const unsigned int n = 200, turn = 70;

	start_rng(0);
	/* 0 -> 1 -> ... -> 69 -> 199 -> 198 -> ... -> 70, each buffer 4 bytes of its own */
	for (unsigned int i = 0; i < n; i++) {
		unsigned int next = i < turn - 1 ? i + 1 : i == turn - 1 ? n - 1 : i - 1;

		set_desc_at(TABLE, i, BUF + 8 * i, 4,
			    VRING_DESC_F_WRITE | (i == turn ? 0 : VRING_DESC_F_NEXT), next);
	}
	set_desc(0, TABLE, n * 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	kick();
	ck_assert_uint_eq(used_idx(), 1);
	ck_assert_uint_eq(used_len(0), 4 * n);
	ck_assert(!needs_reset());
	virtio_rng_destroy(&rng);
}
END_TEST

START_TEST(event_idx_suppresses_interrupts)
{
	start_rng(0);
	ck_assert(device_features() & F(VIRTIO_RING_F_EVENT_IDX));
	set_desc(0, BUF, 8, VRING_DESC_F_WRITE, 0);
	put16(AVAIL + 4 + 2 * QSIZE, 5); /* used_event: interrupt after the 6th buffer */
	offer(0);
	kick();
	ck_assert_uint_eq(used_idx(), 1);
	ck_assert(!irq.level);
	/* The device asks for a kick at the next buffer through avail_event. */
	ck_assert_uint_eq(get16(USED + 4 + 8 * QSIZE), 1);
	put16(AVAIL + 4 + 2 * QSIZE, 1);
	offer(0);
	kick();
	ck_assert_uint_eq(used_idx(), 2);
	ck_assert(irq.level);
	virtio_rng_destroy(&rng);
}
END_TEST

START_TEST(no_interrupt_flag_without_event_idx)
{
	start_rng(F(VIRTIO_F_VERSION_1));
	set_desc(0, BUF, 8, VRING_DESC_F_WRITE, 0);
	put16(AVAIL, VRING_AVAIL_F_NO_INTERRUPT);
	offer(0);
	kick();
	ck_assert_uint_eq(used_idx(), 1);
	ck_assert(!irq.level);
	put16(AVAIL, 0);
	offer(0);
	kick();
	ck_assert(irq.level);
	virtio_rng_destroy(&rng);
}
END_TEST

/* Each hostile ring breaks the queue: no used entry, NEEDS_RESET, a config interrupt. */
static void expect_broken(void)
{
	kick();
	ck_assert_uint_eq(used_idx(), 0);
	ck_assert(needs_reset());
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG,
			  VIRTIO_MMIO_INT_CONFIG);
	ck_assert(irq.level);
	kick(); /* a broken queue stays quiet */
	ck_assert_uint_eq(used_idx(), 0);
	virtio_rng_destroy(&rng);
}

START_TEST(hostile_descriptor_loop)
{
	start_rng(0);
	set_desc(0, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(1, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(hostile_chain_longer_than_queue)
{
	unsigned int i;

	start_rng(0);
	for (i = 0; i < QSIZE; i++)
		set_desc(i, BUF, 1, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, (i + 1) % QSIZE);
	offer(3);
	expect_broken();
}
END_TEST

START_TEST(hostile_indirect_loop)
{
	start_rng(0);
	set_desc_at(TABLE, 0, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc_at(TABLE, 1, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
	set_desc(0, TABLE, 2 * 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(hostile_nested_indirect)
{
	start_rng(0);
	set_desc_at(TABLE, 0, TABLE + 0x100, 16, VRING_DESC_F_INDIRECT, 0);
	set_desc_at(TABLE + 0x100, 0, BUF, 8, VRING_DESC_F_WRITE, 0);
	set_desc(0, TABLE, 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(hostile_indirect_bad_length)
{
	start_rng(0);
	set_desc(0, TABLE, 17, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(hostile_indirect_table_huge)
{
	start_rng(0);
	/* 2^28 entries, mostly outside RAM: the walk stops at the first unreadable one. */
	set_desc_at(TABLE, 0, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(0, TABLE, 0xfffffff0, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(hostile_length_wraps_2_64)
{
	start_rng(0);
	set_desc(0, UINT64_MAX - 10, 100, VRING_DESC_F_WRITE, 0);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(hostile_lengths_wrap_2_32)
{
	start_rng(0);
	set_desc(0, BUF, 0xffffffff, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(1, BUF, 2, VRING_DESC_F_WRITE, 0);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(hostile_next_out_of_range)
{
	start_rng(0);
	set_desc(0, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, QSIZE);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(hostile_head_out_of_range)
{
	start_rng(0);
	offer(QSIZE + 3);
	expect_broken();
}
END_TEST

START_TEST(hostile_avail_idx_jumps)
{
	start_rng(0);
	set_desc(0, BUF, 8, VRING_DESC_F_WRITE, 0);
	put16(AVAIL + 2, QSIZE + 1);
	expect_broken();
}
END_TEST

START_TEST(hostile_readable_after_writable)
{
	start_rng(0);
	set_desc(0, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(1, BUF + 8, 8, 0, 0);
	offer(0);
	expect_broken();
}
END_TEST

START_TEST(hostile_rings_outside_ram)
{
	virtio_rng_init(&rng, &dma, &irq.sink, 7);
	dev = &rng.mmio;
	driver_init(0);
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	write_features(device_features());
	wr(VIRTIO_MMIO_STATUS,
	   VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	setup_queue(QSIZE, OUTSIDE, OUTSIDE + 0x1000, OUTSIDE + 0x2000);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				   VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	kick();
	ck_assert(needs_reset());
	virtio_rng_destroy(&rng);
}
END_TEST

START_TEST(buffer_outside_ram_is_not_fatal)
{
	start_rng(0);
	set_desc(0, OUTSIDE, 64, VRING_DESC_F_WRITE, 0);
	offer(0);
	kick();
	ck_assert_uint_eq(used_idx(), 1);
	ck_assert_uint_eq(used_len(0), 0);
	ck_assert(!needs_reset());
	set_desc(1, BUF, 16, VRING_DESC_F_WRITE, 0);
	offer(1);
	kick();
	ck_assert_uint_eq(used_idx(), 2);
	ck_assert_uint_eq(used_len(1), 16);
	virtio_rng_destroy(&rng);
}
END_TEST

START_TEST(reset_recovers_a_broken_queue)
{
	start_rng(0);
	set_desc(0, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
	offer(0);
	kick();
	ck_assert(needs_reset());
	wr(VIRTIO_MMIO_STATUS, 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	ck_assert(!irq.level);
	memset(ram + USED, 0, 0x100);
	avail_idx = 0;
	put16(AVAIL + 2, 0);
	driver_init(0);
	set_desc(0, BUF, 8, VRING_DESC_F_WRITE, 0);
	offer(0);
	kick();
	ck_assert_uint_eq(used_idx(), 1);
	ck_assert(!needs_reset());
	virtio_rng_destroy(&rng);
}
END_TEST

START_TEST(odd_register_accesses)
{
	static const unsigned int lens[] = { 1, 2, 4, 8 };
	uint64_t off, ones = UINT64_MAX, val;
	unsigned int i;

	start_rng(0);
	for (i = 0; i < 4; i++) {
		val = 0x1234;
		virtio_mmio_bus_ops()->read(dev, 1, &val, lens[i]);
		ck_assert_uint_eq(val & ((2ULL << (8 * lens[i] - 1)) - 1), 0);
	}
	val = 1;
	virtio_mmio_bus_ops()->read(dev, VIRTIO_MMIO_MAGIC_VALUE, &val, 2);
	ck_assert_uint_eq(val, 0); /* narrow access to a register */
	ck_assert_uint_eq(rd(0x0f0), 0); /* unknown */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_CONFIG), 0); /* rng has no config space */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	/* Every offset and width, reads and writes of all ones: nothing may break. */
	for (off = 0; off < VIRTIO_MMIO_SIZE + 8; off++) {
		for (i = 0; i < 4; i++) {
			if (off == VIRTIO_MMIO_STATUS)
				continue;
			virtio_mmio_bus_ops()->read(dev, off, &val, lens[i]);
			virtio_mmio_bus_ops()->write(dev, off, &ones, lens[i]);
		}
	}
	virtio_mmio_bus_ops()->read(dev, UINT64_MAX - 3, &val, 4);
	virtio_mmio_bus_ops()->write(dev, UINT64_MAX - 3, &ones, 4);
	virtio_rng_destroy(&rng);
}
END_TEST

START_TEST(queue_num_is_checked)
{
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	virtio_rng_init(&rng, &dma, &irq.sink, 7);
	dev = &rng.mmio;
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, s);
	write_features(device_features());
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	setup_queue(3, DESC, AVAIL, USED);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	setup_queue(0, DESC, AVAIL, USED);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	setup_queue(rd(VIRTIO_MMIO_QUEUE_NUM_MAX) * 2, DESC, AVAIL, USED);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	setup_queue(QSIZE, DESC + 8, AVAIL, USED); /* misaligned */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	setup_queue(QSIZE, UINT64_MAX - 15, AVAIL, USED); /* wraps */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	wr(VIRTIO_MMIO_QUEUE_SEL, 5); /* no such queue */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	setup_queue(QSIZE, DESC, AVAIL, USED);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	/* Once ready, the setup registers are frozen. */
	wr(VIRTIO_MMIO_QUEUE_NUM, 4);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM), QSIZE);
	virtio_rng_destroy(&rng);
}
END_TEST

START_TEST(status_out_of_order)
{
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	virtio_rng_init(&rng, &dma, &irq.sink, 7);
	dev = &rng.mmio;
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_DRIVER_OK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), 0);
	write_features(F(VIRTIO_F_VERSION_1)); /* before DRIVER: ignored */
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK); /* no VERSION_1 */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), s);
	setup_queue(QSIZE, DESC, AVAIL, USED); /* before FEATURES_OK: ignored */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	write_features(F(VIRTIO_F_VERSION_1) | F(50)); /* not offered */
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), s);
	write_features(F(VIRTIO_F_VERSION_1));
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE); /* clears a bit: ignored */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), s);
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), s | VIRTIO_CONFIG_S_FEATURES_OK);
	write_features(F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_EVENT_IDX)); /* too late */
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	setup_queue(QSIZE, DESC, AVAIL, USED); /* after DRIVER_OK: ignored */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	kick(); /* no queue: nothing happens */
	ck_assert_uint_eq(used_idx(), 0);
	virtio_rng_destroy(&rng);
}
END_TEST

START_TEST(iommu_requires_access_platform)
{
	struct dma_space translated = dma;
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	translated.translate = (void *)1; /* never called: only the offer is checked */
	virtio_rng_init(&rng, &translated, &irq.sink, 7);
	dev = &rng.mmio;
	ck_assert(device_features() & F(VIRTIO_F_ACCESS_PLATFORM));
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, s);
	write_features(F(VIRTIO_F_VERSION_1));
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), s);
	virtio_rng_destroy(&rng);
}
END_TEST

/* An IOMMU that maps IOVA [IOVA_BASE, +RAM_SIZE) onto RAM, and faults elsewhere. */
#define IOVA_BASE 0x800000000ULL

static int shift_translate(void *opaque, uint64_t addr, uint64_t len, bool write, uint64_t *gpa,
			   uint64_t *contig)
{
	(void)opaque;
	(void)write;
	if (addr < IOVA_BASE || addr - IOVA_BASE >= RAM_SIZE)
		return -EFAULT;
	*gpa = addr - IOVA_BASE;
	*contig = RAM_SIZE - *gpa < len ? RAM_SIZE - *gpa : len;
	return 0;
}

START_TEST(rings_and_buffers_go_through_the_iommu)
{
	struct dma_space translated = { .mem = &mem, .translate = shift_translate };
	uint32_t s =
	    VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK;

	virtio_rng_init(&rng, &translated, &irq.sink, 7);
	dev = &rng.mmio;
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	write_features(device_features());
	wr(VIRTIO_MMIO_STATUS, s);
	setup_queue(QSIZE, IOVA_BASE + DESC, IOVA_BASE + AVAIL, IOVA_BASE + USED);
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_DRIVER_OK);
	set_desc(0, IOVA_BASE + BUF, 32, VRING_DESC_F_WRITE, 0);
	offer(0);
	kick();
	ck_assert_uint_eq(used_idx(), 1);
	ck_assert_uint_eq(used_len(0), 32);
	ck_assert(!all_zero(BUF, 32));
	/* A GPA is not an IOVA: the buffer faults, the request completes empty. */
	set_desc(1, BUF + 0x100, 32, VRING_DESC_F_WRITE, 0);
	offer(1);
	kick();
	ck_assert_uint_eq(used_idx(), 2);
	ck_assert_uint_eq(used_len(1), 0);
	ck_assert(all_zero(BUF + 0x100, 32));
	virtio_rng_destroy(&rng);
}
END_TEST

/* blk: a 64-sector image whose byte i holds i * 7 mod 251. */
#define DISK_SECTORS 64
static char disk_path[64];

static void make_disk(void)
{
	uint8_t data[DISK_SECTORS * 512];
	int fd;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = i * 7 % 251;
	strcpy(disk_path, "/tmp/nestvm-vblk-XXXXXX");
	fd = mkstemp(disk_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, sizeof(data)), sizeof(data));
	close(fd);
}

static void start_blk(bool ro)
{
	char err[256];

	make_disk();
	ck_assert_int_eq(virtio_blk_init(&blk, disk_path, ro, &dma, &irq.sink, 9, err, sizeof(err)),
			 0);
	dev = &blk.mmio;
	driver_init(0);
}

static void stop_blk(void)
{
	virtio_blk_destroy(&blk);
	unlink(disk_path);
}

#define HDR BUF
#define DATA (BUF + 0x1000)
#define STATUS (BUF + 0x100)

/* Offers header, data (@len bytes, @write: the guest writes the disk) and status. */
static uint8_t blk_request(uint32_t type, uint64_t sector, uint64_t data, uint32_t len, bool write)
{
	struct virtio_blk_outhdr hdr = { htole32(type), 0, htole64(sector) };
	uint16_t prev = used_idx();

	memcpy(ram + HDR, &hdr, sizeof(hdr));
	ram[STATUS] = 0xee;
	set_desc(0, HDR, sizeof(hdr), VRING_DESC_F_NEXT, len ? 1 : 2);
	set_desc(1, data, len, VRING_DESC_F_NEXT | (write ? 0 : VRING_DESC_F_WRITE), 2);
	set_desc(2, STATUS, 1, VRING_DESC_F_WRITE, 0);
	offer(0);
	kick();
	ck_assert_uint_eq(used_idx(), (uint16_t)(prev + 1));
	return ram[STATUS];
}

START_TEST(blk_read_write_flush)
{
	uint8_t back[512];
	uint64_t cap;
	int fd;

	start_blk(false);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	virtio_mmio_bus_ops()->read(dev, VIRTIO_MMIO_CONFIG, &cap, 8);
	ck_assert_uint_eq(le64toh(cap), DISK_SECTORS);
	ck_assert(device_features() & F(VIRTIO_BLK_F_FLUSH));
	ck_assert(!(device_features() & F(VIRTIO_BLK_F_RO)));

	ck_assert_uint_eq(blk_request(VIRTIO_BLK_T_IN, 2, DATA, 1024, false), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(0), 1025);
	for (size_t i = 0; i < 1024; i++)
		ck_assert_uint_eq(ram[DATA + i], (1024 + i) * 7 % 251);

	memset(ram + DATA, 0x5a, 512);
	ck_assert_uint_eq(blk_request(VIRTIO_BLK_T_OUT, 5, DATA, 512, true), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_len(1), 1);
	fd = open(disk_path, O_RDONLY);
	ck_assert_int_eq(pread(fd, back, sizeof(back), 5 * 512), sizeof(back));
	close(fd);
	for (size_t i = 0; i < sizeof(back); i++)
		ck_assert_uint_eq(back[i], 0x5a);

	ck_assert_uint_eq(blk_request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(blk_request(VIRTIO_BLK_T_GET_ID, 0, DATA, 20, false), VIRTIO_BLK_S_OK);
	ck_assert_str_eq((char *)ram + DATA, "nestvm-disk");
	ck_assert_uint_eq(blk_request(11, 0, DATA, 512, true), VIRTIO_BLK_S_UNSUPP);
	ck_assert(irq.level && irq.gsi == 9);
	ck_assert(!needs_reset());
	stop_blk();
}
END_TEST

START_TEST(blk_bad_requests)
{
	start_blk(false);
	/* Past the end, straddling it, and sectors that would overflow a byte offset. */
	ck_assert_uint_eq(blk_request(VIRTIO_BLK_T_IN, DISK_SECTORS, DATA, 512, false),
			  VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(blk_request(VIRTIO_BLK_T_IN, DISK_SECTORS - 1, DATA, 1024, false),
			  VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(blk_request(VIRTIO_BLK_T_OUT, UINT64_MAX / 256, DATA, 512, true),
			  VIRTIO_BLK_S_IOERR);
	/* Not whole sectors. */
	ck_assert_uint_eq(blk_request(VIRTIO_BLK_T_IN, 0, DATA, 100, false), VIRTIO_BLK_S_IOERR);
	/* Data outside RAM. */
	ck_assert_uint_eq(blk_request(VIRTIO_BLK_T_IN, 0, OUTSIDE, 512, false), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(blk_request(VIRTIO_BLK_T_OUT, 0, OUTSIDE, 512, true), VIRTIO_BLK_S_IOERR);

	/* A header shorter than 16 bytes: completed with nothing written. */
	ram[STATUS] = 0xee;
	set_desc(0, HDR, 8, VRING_DESC_F_NEXT, 2);
	set_desc(2, STATUS, 1, VRING_DESC_F_WRITE, 0);
	offer(0);
	kick();
	ck_assert_uint_eq(used_len(used_idx() - 1), 0);
	ck_assert_uint_eq(ram[STATUS], 0xee);
	/* No status byte. */
	set_desc(0, HDR, 16, 0, 0);
	offer(0);
	kick();
	ck_assert_uint_eq(used_len(used_idx() - 1), 0);
	ck_assert(!needs_reset());
	/* The queue still works. */
	ck_assert_uint_eq(blk_request(VIRTIO_BLK_T_IN, 0, DATA, 512, false), VIRTIO_BLK_S_OK);
	stop_blk();
}
END_TEST

START_TEST(blk_read_only)
{
	start_blk(true);
	ck_assert(device_features() & F(VIRTIO_BLK_F_RO));
	ck_assert_uint_eq(blk_request(VIRTIO_BLK_T_OUT, 0, DATA, 512, true), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(blk_request(VIRTIO_BLK_T_IN, 0, DATA, 512, false), VIRTIO_BLK_S_OK);
	stop_blk();
}
END_TEST

START_TEST(blk_parse_arg)
{
	char path[32], err[128];
	bool ro;

	ck_assert_int_eq(virtio_blk_parse_arg("disk.img", path, sizeof(path), &ro, err, 128), 0);
	ck_assert(!ro);
	ck_assert_str_eq(path, "disk.img");
	ck_assert_int_eq(virtio_blk_parse_arg("a,b.img,ro", path, sizeof(path), &ro, err, 128), 0);
	ck_assert(ro);
	ck_assert_str_eq(path, "a,b.img");
	ck_assert_int_eq(virtio_blk_parse_arg(",ro", path, sizeof(path), &ro, err, 128), -EINVAL);
	ck_assert_int_eq(virtio_blk_parse_arg("", path, sizeof(path), &ro, err, 128), -EINVAL);
	ck_assert_int_eq(
	    virtio_blk_init(&blk, "/nonexistent/x", false, &dma, &irq.sink, 9, err, sizeof(err)),
	    -ENOENT);
}
END_TEST

/* The virtio-iommu's glue: requests through queue 0, faults into buffers on queue 1. */
#define EV_DESC 0x5000
#define EV_AVAIL 0x6000
#define EV_USED 0x7000
#define REQ (BUF + 0x3000)
#define TAIL (BUF + 0x3100)
#define EVENT (BUF + 0x3200)
#define MAPPED_GPA 0x20000

static void viommu_request(const void *req, uint32_t len, uint8_t want_status)
{
	uint16_t before = used_idx();

	memcpy(ram + REQ, req, len);
	set_desc(0, REQ, len, VRING_DESC_F_NEXT, 1);
	set_desc(1, TAIL, sizeof(struct virtio_iommu_req_tail), VRING_DESC_F_WRITE, 0);
	offer(0);
	kick();
	ck_assert_uint_eq(used_idx(), (uint16_t)(before + 1));
	ck_assert_uint_eq(used_len(before), sizeof(struct virtio_iommu_req_tail));
	ck_assert_uint_eq(ram[TAIL], want_status);
}

START_TEST(viommu_requests_and_faults_on_the_eventq)
{
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	struct virtio_iommu_req_attach attach = { .head.type = VIRTIO_IOMMU_T_ATTACH,
						  .domain = htole32(1),
						  .endpoint = htole32(3) };
	struct virtio_iommu_req_map map = {
		.head.type = VIRTIO_IOMMU_T_MAP,
		.domain = htole32(1),
		.virt_start = htole64(0x100000),
		.virt_end = htole64(0x100fff),
		.phys_start = htole64(MAPPED_GPA),
		.flags = htole32(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE),
	};
	struct viommu_params p;
	struct viommu_backend *be;
	struct virtio_iommu_fault f;
	struct viommu_endpoint *ep;
	struct viommu_virtio vio;
	struct dma_space ep_dma;
	struct viommu *model;
	uint32_t word = 0;

	viommu_default_params(&p);
	model = viommu_create(&p, &mem);
	be = viommu_emulated_backend_create(p.max_mappings, NULL);
	ck_assert_ptr_nonnull(model);
	ck_assert_ptr_nonnull(be);
	viommu_set_backend(model, VIOMMU_EP_EMULATED, be);
	ep = viommu_add_endpoint(model, 3, VIOMMU_EP_EMULATED, NULL);
	ck_assert_ptr_nonnull(ep);
	ep_dma = viommu_endpoint_dma(ep, &mem);
	viommu_virtio_init(&vio, model, &dma, &irq.sink, 9);
	dev = &vio.mmio;

	/* Both queues are set up before DRIVER_OK, as the spec orders. */
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, s);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_IOMMU);
	write_features(device_features());
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	setup_queue(QSIZE, DESC, AVAIL, USED);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, EV_DESC);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, EV_AVAIL);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, EV_USED);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);

	viommu_request(&attach, sizeof(attach) - sizeof(attach.tail), VIRTIO_IOMMU_S_OK);
	viommu_request(&map, sizeof(map) - sizeof(map.tail), VIRTIO_IOMMU_S_OK);
	memcpy(ram + MAPPED_GPA + 0x10, "\x11\x22\x33\x44", 4);
	ck_assert_int_eq(dma_read(&ep_dma, 0x100010, &word, 4), 0);
	ck_assert_uint_eq(word, 0x44332211);
	attach.endpoint = htole32(99);
	viommu_request(&attach, sizeof(attach) - sizeof(attach.tail), VIRTIO_IOMMU_S_NOENT);

	/* The driver leaves one event buffer; a DMA miss fills it and interrupts. */
	set_desc_at(EV_DESC, 0, EVENT, sizeof(f), VRING_DESC_F_WRITE, 0);
	put16(EV_AVAIL + 4, 0);
	put16(EV_AVAIL + 2, 1);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	ck_assert_uint_eq(get16(EV_USED + 2), 0);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, rd(VIRTIO_MMIO_INTERRUPT_STATUS));
	ck_assert_int_eq(dma_write(&ep_dma, 0x200008, &word, 4), -EFAULT);
	ck_assert_uint_eq(get16(EV_USED + 2), 1);
	ck_assert_uint_eq(get32(EV_USED + 8), sizeof(f));
	memcpy(&f, ram + EVENT, sizeof(f));
	ck_assert_uint_eq(f.reason, VIRTIO_IOMMU_FAULT_R_MAPPING);
	ck_assert_uint_eq(le32toh(f.endpoint), 3);
	ck_assert_uint_eq(le64toh(f.address), 0x200008);
	ck_assert(le32toh(f.flags) & VIRTIO_IOMMU_FAULT_F_WRITE);
	ck_assert(le32toh(f.flags) & VIRTIO_IOMMU_FAULT_F_ADDRESS);
	ck_assert(irq.level && irq.gsi == 9);

	viommu_virtio_destroy(&vio);
	viommu_destroy(model);
	viommu_emulated_backend_destroy(be);
}
END_TEST

/* A backend that records what the transport tells it of the features. */
static unsigned int told_calls;
static uint64_t told;

static void record_features(struct virtio_mmio_dev *d, uint64_t features)
{
	(void)d;
	told_calls++;
	told = features;
}

static void ignore_notify(struct virtio_mmio_dev *d, unsigned int queue)
{
	(void)d;
	(void)queue;
}

static const struct virtio_backend_ops recording_ops = {
	.device_id = VIRTIO_ID_RNG,
	.num_queues = 1,
	.queue_max = QSIZE,
	.queue_notify = ignore_notify,
	.features_accepted = record_features,
};

START_TEST(features_accepted_at_features_ok_and_none_after_reset)
{
	const uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	const uint64_t v1 = F(VIRTIO_F_VERSION_1);
	struct virtio_mmio_dev d;

	told_calls = 0;
	told = ~0ULL;
	virtio_mmio_init(&d, &recording_ops, NULL, F(0) | F(1), &dma, &irq.sink, 7);
	dev = &d;
	/* init resets the device: no features */
	ck_assert_uint_eq(told_calls, 1);
	ck_assert_uint_eq(told, 0);
	ck_assert_uint_eq(virtio_mmio_features(&d), 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, s);
	write_features(F(1) | v1);
	ck_assert_uint_eq(told_calls, 1); /* written, not yet accepted */
	ck_assert_uint_eq(virtio_mmio_features(&d), 0);
	/* a feature the device does not offer: FEATURES_OK refused, nothing told */
	write_features(F(2) | v1);
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), s);
	ck_assert_uint_eq(told_calls, 1);
	ck_assert_uint_eq(virtio_mmio_features(&d), 0);
	write_features(F(1) | v1);
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), s | VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(told_calls, 2);
	ck_assert_uint_eq(told, F(1) | v1);
	ck_assert_uint_eq(virtio_mmio_features(&d), F(1) | v1);
	/* FEATURES_OK again, DRIVER_OK, a late DriverFeatures write: nothing changes */
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	write_features(F(0) | v1);
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	ck_assert_uint_eq(told_calls, 2);
	ck_assert_uint_eq(virtio_mmio_features(&d), F(1) | v1);
	/* reset: back to none */
	wr(VIRTIO_MMIO_STATUS, 0);
	ck_assert_uint_eq(told_calls, 3);
	ck_assert_uint_eq(told, 0);
	ck_assert_uint_eq(virtio_mmio_features(&d), 0);
	virtio_mmio_destroy(&d);
}
END_TEST

static void config_write8(unsigned int off, uint8_t val)
{
	virtio_mmio_bus_ops()->write(dev, VIRTIO_MMIO_CONFIG + off, &val, 1);
}

static uint8_t config_read8(unsigned int off)
{
	uint8_t val;

	virtio_mmio_bus_ops()->read(dev, VIRTIO_MMIO_CONFIG + off, &val, 1);
	return val;
}

/*
 * The model's answer to a request handed to it directly, not through the requestq: what it
 * makes of the features without a kick.
 */
static uint8_t model_status(struct viommu *model, const void *req, size_t len)
{
	struct virtio_iommu_req_tail tail = { .status = 0xff };
	size_t reply_len = 0;

	ck_assert_int_eq(viommu_handle_request(model, req, len, &tail, sizeof(tail), &reply_len),
			 0);
	ck_assert_uint_eq(reply_len, sizeof(tail));
	return tail.status;
}

/* ATTACH of a missing endpoint with the BYPASS flag: INVAL without BYPASS_CONFIG, else NOENT. */
static uint8_t attach_bypass_status(struct viommu *model)
{
	struct virtio_iommu_req_attach r = { .head.type = VIRTIO_IOMMU_T_ATTACH,
					     .domain = htole32(1),
					     .endpoint = htole32(0x7777),
					     .flags = htole32(VIRTIO_IOMMU_ATTACH_F_BYPASS) };

	return model_status(model, &r, sizeof(r) - sizeof(r.tail));
}

/* MAP with the MMIO flag into a missing domain: UNSUPP without MAP_UNMAP, INVAL without
 * MMIO, else NOENT. */
static uint8_t map_mmio_status(struct viommu *model)
{
	struct virtio_iommu_req_map r = { .head.type = VIRTIO_IOMMU_T_MAP,
					  .domain = htole32(1),
					  .virt_start = htole64(0),
					  .virt_end = htole64(0xfff),
					  .phys_start = htole64(0x10000),
					  .flags = htole32(VIRTIO_IOMMU_MAP_F_READ |
							   VIRTIO_IOMMU_MAP_F_MMIO) };

	return model_status(model, &r, sizeof(r) - sizeof(r.tail));
}

/*
 * The model acts on what the driver accepted from FEATURES_OK on, before any queue is
 * kicked, and on nothing before it or after a reset: a write to config.bypass counts only
 * with VIRTIO_IOMMU_F_BYPASS_CONFIG negotiated.
 */
START_TEST(viommu_features_count_from_features_ok)
{
	const uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	const unsigned int bypass = offsetof(struct virtio_iommu_config, bypass);
	const uint64_t without_bypass_config_or_mmio =
	    ~(F(VIRTIO_IOMMU_F_BYPASS_CONFIG) | F(VIRTIO_IOMMU_F_MMIO));
	struct viommu_virtio vio;
	struct viommu_params p;
	struct viommu *model;

	viommu_default_params(&p);
	ck_assert(p.bypass);
	model = viommu_create(&p, &mem);
	ck_assert_ptr_nonnull(model);
	ck_assert(viommu_features(model) & F(VIRTIO_IOMMU_F_BYPASS_CONFIG));
	ck_assert(viommu_features(model) & F(VIRTIO_IOMMU_F_MMIO));
	viommu_virtio_init(&vio, model, &dma, &irq.sink, 9);
	dev = &vio.mmio;

	/* Nothing negotiated yet: no MAP, no ATTACH flag, the bypass write is dropped. */
	ck_assert_uint_eq(map_mmio_status(model), VIRTIO_IOMMU_S_UNSUPP);
	ck_assert_uint_eq(attach_bypass_status(model), VIRTIO_IOMMU_S_INVAL);
	config_write8(bypass, 0);
	ck_assert_uint_eq(config_read8(bypass), 1);

	/* The driver takes all but BYPASS_CONFIG and MMIO: the model knows at FEATURES_OK. */
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, s);
	write_features(device_features() & without_bypass_config_or_mmio);
	config_write8(bypass, 0); /* features written, not accepted yet */
	ck_assert_uint_eq(config_read8(bypass), 1);
	ck_assert_uint_eq(map_mmio_status(model), VIRTIO_IOMMU_S_UNSUPP);
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), s | VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(map_mmio_status(model), VIRTIO_IOMMU_S_INVAL);
	ck_assert_uint_eq(attach_bypass_status(model), VIRTIO_IOMMU_S_INVAL);
	config_write8(bypass, 0);
	ck_assert_uint_eq(config_read8(bypass), 1);

	/* Reset: none again. */
	wr(VIRTIO_MMIO_STATUS, 0);
	ck_assert_uint_eq(map_mmio_status(model), VIRTIO_IOMMU_S_UNSUPP);
	config_write8(bypass, 0);
	ck_assert_uint_eq(config_read8(bypass), 1);

	/* With BYPASS_CONFIG the write is honoured at once, still before any kick. */
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, s);
	write_features(device_features());
	wr(VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_eq(map_mmio_status(model), VIRTIO_IOMMU_S_NOENT);
	ck_assert_uint_eq(attach_bypass_status(model), VIRTIO_IOMMU_S_NOENT);
	config_write8(bypass, 0);
	ck_assert_uint_eq(config_read8(bypass), 0);
	config_write8(bypass, 1);
	ck_assert_uint_eq(config_read8(bypass), 1);

	viommu_virtio_destroy(&vio);
	viommu_destroy(model);
}
END_TEST

Suite *virtio_suite(void)
{
	Suite *s = suite_create("virtio");
	TCase *tc = tcase_create("virtio");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rng_fills_a_chain_and_interrupts);
	tcase_add_test(tc, viommu_requests_and_faults_on_the_eventq);
	tcase_add_test(tc, features_accepted_at_features_ok_and_none_after_reset);
	tcase_add_test(tc, viommu_features_count_from_features_ok);
	tcase_add_test(tc, rng_indirect_table);
	tcase_add_test(tc, rng_long_indirect_table);
	tcase_add_test(tc, event_idx_suppresses_interrupts);
	tcase_add_test(tc, no_interrupt_flag_without_event_idx);
	tcase_add_test(tc, hostile_descriptor_loop);
	tcase_add_test(tc, hostile_chain_longer_than_queue);
	tcase_add_test(tc, hostile_indirect_loop);
	tcase_add_test(tc, hostile_nested_indirect);
	tcase_add_test(tc, hostile_indirect_bad_length);
	tcase_add_test(tc, hostile_indirect_table_huge);
	tcase_add_test(tc, hostile_length_wraps_2_64);
	tcase_add_test(tc, hostile_lengths_wrap_2_32);
	tcase_add_test(tc, hostile_next_out_of_range);
	tcase_add_test(tc, hostile_head_out_of_range);
	tcase_add_test(tc, hostile_avail_idx_jumps);
	tcase_add_test(tc, hostile_readable_after_writable);
	tcase_add_test(tc, hostile_rings_outside_ram);
	tcase_add_test(tc, buffer_outside_ram_is_not_fatal);
	tcase_add_test(tc, reset_recovers_a_broken_queue);
	tcase_add_test(tc, odd_register_accesses);
	tcase_add_test(tc, queue_num_is_checked);
	tcase_add_test(tc, status_out_of_order);
	tcase_add_test(tc, iommu_requires_access_platform);
	tcase_add_test(tc, rings_and_buffers_go_through_the_iommu);
	tcase_add_test(tc, blk_read_write_flush);
	tcase_add_test(tc, blk_bad_requests);
	tcase_add_test(tc, blk_read_only);
	tcase_add_test(tc, blk_parse_arg);
	suite_add_tcase(s, tc);
	return s;
}
