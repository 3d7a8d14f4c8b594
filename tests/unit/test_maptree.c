// SPDX-License-Identifier: GPL-2.0
/* The mapping tree shared by the backends: overlap, split and removal rules, and order. */
#include <errno.h>
#include <stdlib.h>

#include "iommu/maptree.h"
#include "unit.h"

#define PAGE 0x1000ULL

START_TEST(insert_find_and_overlap)
{
	struct maptree t = MAPTREE_INIT;
	const struct maptree_map *m;

	ck_assert_int_eq(maptree_insert(&t, 0x2000, 0x3fff, 0x9000, 3), 0);
	ck_assert_int_eq(maptree_insert(&t, 0x8000, 0x8fff, 0, 1), 0);
	ck_assert_int_eq(maptree_insert(&t, 0x3000, 0x4fff, 0, 1), -EEXIST);
	ck_assert_int_eq(maptree_insert(&t, 0x0, 0x2000, 0, 1), -EEXIST);
	ck_assert_int_eq(maptree_insert(&t, 0x0, UINT64_MAX, 0, 1), -EEXIST);
	ck_assert_int_eq(maptree_insert(&t, 0x5000, 0x4fff, 0, 1), -EINVAL);
	ck_assert_int_eq(maptree_insert(&t, 0x4000, 0x7fff, 0, 2), 0); /* abuts both */
	ck_assert_uint_eq(t.count, 3);
	m = maptree_find(&t, 0x3abc);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->start, 0x2000);
	ck_assert_uint_eq(m->gpa, 0x9000);
	ck_assert_uint_eq(m->flags, 3);
	ck_assert_ptr_null(maptree_find(&t, 0x1fff));
	ck_assert_ptr_null(maptree_find(&t, 0x9000));
	ck_assert(maptree_overlaps(&t, 0x8fff, 0x9fff));
	ck_assert(!maptree_overlaps(&t, 0x9000, UINT64_MAX));
	/* in order */
	m = maptree_next(&t, 0);
	ck_assert_uint_eq(m->start, 0x2000);
	m = maptree_next(&t, m->end + 1);
	ck_assert_uint_eq(m->start, 0x4000);
	m = maptree_next(&t, m->end + 1);
	ck_assert_uint_eq(m->start, 0x8000);
	ck_assert_ptr_null(maptree_next(&t, m->end + 1));
	maptree_clear(&t);
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(maptree_next(&t, 0));
}
END_TEST

START_TEST(unmap_rules)
{
	struct maptree t = MAPTREE_INIT;

	ck_assert_int_eq(maptree_insert(&t, 0x1000, 0x2fff, 0, 1), 0);
	ck_assert_int_eq(maptree_insert(&t, 0x5000, 0x5fff, 0, 1), 0);
	ck_assert_int_eq(maptree_check_unmap(&t, 0x2000, 0x5fff), -ERANGE);
	ck_assert_int_eq(maptree_check_unmap(&t, 0x1000, 0x5ffe), -ERANGE);
	ck_assert_int_eq(maptree_check_unmap(&t, 0x5fff, 0x5000), -EINVAL);
	ck_assert_int_eq(maptree_check_unmap(&t, 0x3000, 0x4fff), 0);
	ck_assert_uint_eq(maptree_remove(&t, 0x3000, 0x4fff), 0); /* nothing there: fine */
	ck_assert_int_eq(maptree_check_unmap(&t, 0, UINT64_MAX), 0);
	ck_assert_uint_eq(maptree_remove(&t, 0, UINT64_MAX), 2);
	ck_assert_uint_eq(t.count, 0);
	ck_assert_int_eq(maptree_insert(&t, 0, UINT64_MAX, 0, 1), 0);
	ck_assert_int_eq(maptree_check_unmap(&t, 0, UINT64_MAX - 1), -ERANGE);
	ck_assert_uint_eq(maptree_remove(&t, 0, UINT64_MAX), 1);
	maptree_clear(&t);
}
END_TEST

/* Against a bitmap of 256 pages: random inserts and range removals agree. */
START_TEST(random_against_brute_force)
{
	enum { N = 256 };
	struct maptree t = MAPTREE_INIT;
	int owner[N]; /* start page of the mapping holding page i, or -1 */
	unsigned int seed = 7, i, round;

	for (i = 0; i < N; i++)
		owner[i] = -1;
	for (round = 0; round < 20000; round++) {
		unsigned int a = rand_r(&seed) % N, len = 1 + rand_r(&seed) % 8, b, p;
		bool busy = false, straddle;

		b = a + len - 1 < N ? a + len - 1 : N - 1;
		for (p = a; p <= b; p++)
			busy |= owner[p] >= 0;
		if (rand_r(&seed) & 1) {
			int ret = maptree_insert(&t, a * PAGE, b * PAGE + PAGE - 1, 0, 1);

			ck_assert_int_eq(ret, busy ? -EEXIST : 0);
			for (p = a; !busy && p <= b; p++)
				owner[p] = a;
			continue;
		}
		straddle = (owner[a] >= 0 && (unsigned int)owner[a] != a) ||
			   (owner[b] >= 0 && b + 1 < N && owner[b + 1] == owner[b]);
		ck_assert_int_eq(maptree_check_unmap(&t, a * PAGE, b * PAGE + PAGE - 1),
				 straddle ? -ERANGE : 0);
		if (straddle)
			continue;
		maptree_remove(&t, a * PAGE, b * PAGE + PAGE - 1);
		for (p = a; p <= b; p++)
			owner[p] = -1;
		for (p = 0; p < N; p++) {
			const struct maptree_map *m = maptree_find(&t, p * PAGE + 5);

			ck_assert_int_eq(m ? (int)(m->start / PAGE) : -1, owner[p]);
		}
	}
	maptree_clear(&t);
}
END_TEST

Suite *maptree_suite(void)
{
	Suite *s = suite_create("maptree");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, insert_find_and_overlap);
	tcase_add_test(tc, unmap_rules);
	tcase_add_test(tc, random_against_brute_force);
	suite_add_tcase(s, tc);
	return s;
}
