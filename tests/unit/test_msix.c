// SPDX-License-Identifier: GPL-2.0
/* The emulated MSI-X table: routes follow the guest's writes, masking decides what is live. */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "vfio/msix.h"

static struct {
	unsigned int routes, signals;
	uint64_t address[MSIX_MAX_VECTORS];
	uint32_t data[MSIX_MAX_VECTORS];
	bool enabled;
	bool live[MSIX_MAX_VECTORS];
	unsigned int last_first, last_count;
} seen;

static int fake_route(void *opaque, unsigned int v, uint64_t address, uint32_t data)
{
	(void)opaque;
	seen.routes++;
	seen.address[v] = address;
	seen.data[v] = data;
	return 0;
}

static int fake_signal(void *opaque, bool enable, unsigned int first, unsigned int count,
		       const bool *live)
{
	(void)opaque;
	seen.signals++;
	seen.enabled = enable;
	seen.last_first = first;
	seen.last_count = count;
	for (unsigned int i = 0; i < count; i++)
		seen.live[first + i] = live[i];
	return 0;
}

static const struct msix_ops ops = { .route = fake_route, .signal = fake_signal };

static void w32(struct msix *m, uint64_t off, uint32_t v)
{
	ck_assert(msix_table_write(m, off, &v, 4));
}

static uint32_t r32(const struct msix *m, uint64_t off)
{
	uint32_t v;

	ck_assert(msix_table_read(m, off, &v, 4));
	return v;
}

START_TEST(vectors_start_masked_and_off)
{
	struct msix m;

	memset(&seen, 0, sizeof(seen));
	ck_assert_int_eq(msix_init(&m, 0, &ops, NULL), -EINVAL);
	ck_assert_int_eq(msix_init(&m, MSIX_MAX_VECTORS + 1, &ops, NULL), -EINVAL);
	ck_assert_int_eq(msix_init(&m, 5, &ops, NULL), 0);
	ck_assert_uint_eq(msix_ctrl_read(&m), 4); /* table size N-1, off, not masked */
	for (unsigned int v = 0; v < 5; v++)
		ck_assert_uint_eq(r32(&m, v * 16 + 12), MSIX_VECTOR_MASKED);
	ck_assert_uint_eq(seen.signals, 0);
}
END_TEST

START_TEST(program_enable_unmask_mask)
{
	struct msix m;

	memset(&seen, 0, sizeof(seen));
	msix_init(&m, 5, &ops, NULL);
	/* Linux: program the entry while masked, then enable, then unmask. */
	w32(&m, 2 * 16 + 0, 0xfee01000);
	w32(&m, 2 * 16 + 4, 0);
	w32(&m, 2 * 16 + 8, 0x4041);
	ck_assert_uint_eq(seen.address[2], 0xfee01000);
	ck_assert_uint_eq(seen.data[2], 0x4041);
	ck_assert_uint_eq(seen.signals, 0); /* MSI-X still off */
	msix_ctrl_write(&m, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	ck_assert(seen.enabled);
	ck_assert_uint_eq(seen.last_count, 5);
	ck_assert(!seen.live[2]);
	msix_ctrl_write(&m, MSIX_CTRL_ENABLE | 0x7ff); /* the size bits are read-only */
	ck_assert_uint_eq(msix_ctrl_read(&m), MSIX_CTRL_ENABLE | 4);
	ck_assert(!seen.live[2]); /* the vector itself is still masked */
	w32(&m, 2 * 16 + 12, 0);
	ck_assert(seen.live[2]);
	ck_assert_uint_eq(seen.last_first, 2);
	ck_assert_uint_eq(seen.last_count, 1);
	ck_assert(!seen.live[1]);
	/* function mask silences every vector, unmasking brings back only the live one */
	msix_ctrl_write(&m, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	ck_assert(!seen.live[2]);
	msix_ctrl_write(&m, MSIX_CTRL_ENABLE);
	ck_assert(seen.live[2]);
	ck_assert(!seen.live[0]);
	/* reprogramming a live vector re-routes it */
	w32(&m, 2 * 16 + 8, 0x4042);
	ck_assert_uint_eq(seen.data[2], 0x4042);
	/* off */
	msix_ctrl_write(&m, 0);
	ck_assert(!seen.enabled);
	ck_assert_uint_eq(seen.last_count, 0);
}
END_TEST

START_TEST(hostile_accesses)
{
	struct msix m;
	uint64_t q = 0x1122334455667788ULL;
	uint8_t b = 0x55;
	uint16_t h = 0;
	unsigned int signals;

	memset(&seen, 0, sizeof(seen));
	msix_init(&m, 2, &ops, NULL);
	/* outside the table: not ours */
	ck_assert(!msix_table_write(&m, 32, &q, 4));
	ck_assert(!msix_table_read(&m, 32, &q, 4));
	ck_assert(!msix_table_read(&m, ~0ULL, &q, 4));
	/* byte, word and misaligned accesses are dropped and read as ones */
	ck_assert(msix_table_write(&m, 12, &b, 1));
	ck_assert(msix_table_write(&m, 6, &q, 4));
	ck_assert(msix_table_read(&m, 2, &h, 2));
	ck_assert_uint_eq(h, 0xffff);
	ck_assert_uint_eq(r32(&m, 12), MSIX_VECTOR_MASKED);
	ck_assert_uint_eq(seen.routes, 0);
	/* reserved Vector Control bits stay 0 */
	msix_ctrl_write(&m, MSIX_CTRL_ENABLE);
	signals = seen.signals;
	w32(&m, 16 + 12, 0xfffffffe);
	ck_assert_uint_eq(r32(&m, 16 + 12), 0);
	ck_assert(seen.live[1]);
	ck_assert_uint_eq(seen.signals, signals + 1);
	/* an 8-byte write of address: one route with both halves */
	q = 0x00000001fee00000ULL;
	ck_assert(msix_table_write(&m, 0, &q, 8));
	ck_assert_uint_eq(seen.address[0], q);
	ck_assert(msix_table_read(&m, 0, &q, 8));
	ck_assert_uint_eq(q, 0x00000001fee00000ULL);
	msix_reset(&m);
	ck_assert(!seen.enabled);
	ck_assert_uint_eq(r32(&m, 16 + 12), MSIX_VECTOR_MASKED);
}
END_TEST

Suite *msix_suite(void)
{
	Suite *s = suite_create("msix");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, vectors_start_masked_and_off);
	tcase_add_test(tc, program_enable_unmask_mask);
	tcase_add_test(tc, hostile_accesses);
	suite_add_tcase(s, tc);
	return s;
}
