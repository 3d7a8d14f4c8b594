// SPDX-License-Identifier: GPL-2.0
/*
 * The ioas backend's parts that need no /dev/iommu: the IOVA holes reported to the guest as
 * reserved, and how a backend without a usable iommufd fails (the system test
 * ioas_backend covers the rest on the selftest mock).
 */
#include <errno.h>
#include <stdlib.h>

#include "iommu/backend_ioas.h"
#include "iommu/viommu.h"
#include "unit.h"

#define MSI_S VIOMMU_MSI_START
#define MSI_E VIOMMU_MSI_END

static void same(const struct iova_span *got, const struct iova_span *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(got[i].start, want[i].start);
		ck_assert_uint_eq(got[i].last, want[i].last);
	}
}

START_TEST(holes_of_the_mock_aperture)
{
	/* The selftest mock: one aperture, [16 MiB, 2 GiB). */
	const struct iova_span in[] = { { 1ULL << 24, (1ULL << 31) - 1 } };
	const struct iova_span want[] = {
		{ 0, (1ULL << 24) - 1 },
		{ 1ULL << 31, MSI_S - 1 },
		{ MSI_E + 1, UINT64_MAX },
	};
	struct iova_span out[4];

	ck_assert_uint_eq(iova_holes(in, 1, MSI_S, MSI_E, out, 4), 3);
	same(out, want, 3);
	/* too little room: the count says so, what fits is written */
	ck_assert_uint_eq(iova_holes(in, 1, MSI_S, MSI_E, out, 1), 3);
	same(out, want, 1);
}
END_TEST

START_TEST(holes_of_a_vtd_like_device)
{
	/* 48-bit aperture with the doorbell reserved: only what lies above 2^48 is a hole. */
	const struct iova_span in[] = { { 0, MSI_S - 1 }, { MSI_E + 1, (1ULL << 48) - 1 } };
	const struct iova_span rmrr[] = { { 0, 0xdffff },
					  { 0xe8000, MSI_S - 1 },
					  { MSI_E + 1, (1ULL << 48) - 1 } };
	struct iova_span out[4];

	ck_assert_uint_eq(iova_holes(in, 2, MSI_S, MSI_E, out, 4), 1);
	ck_assert_uint_eq(out[0].start, 1ULL << 48);
	ck_assert_uint_eq(out[0].last, UINT64_MAX);
	/* an RMRR-like region in low memory */
	ck_assert_uint_eq(iova_holes(rmrr, 3, MSI_S, MSI_E, out, 4), 2);
	ck_assert_uint_eq(out[0].start, 0xe0000);
	ck_assert_uint_eq(out[0].last, 0xe7fff);
	ck_assert_uint_eq(out[1].start, 1ULL << 48);
}
END_TEST

START_TEST(holes_at_the_edges)
{
	const struct iova_span all[] = { { 0, UINT64_MAX } };
	const struct iova_span high[] = { { 0x1000, UINT64_MAX } };
	const struct iova_span bad[] = { { 0x5000, 0x5fff }, { 0x1000, 0x1fff }, { 9, 3 } };
	struct iova_span out[4];

	ck_assert_uint_eq(iova_holes(all, 1, MSI_S, MSI_E, out, 4), 0);
	ck_assert_uint_eq(iova_holes(high, 1, MSI_S, MSI_E, out, 4), 1);
	ck_assert_uint_eq(out[0].start, 0);
	ck_assert_uint_eq(out[0].last, 0xfff);
	/* nothing usable: everything but the doorbell */
	ck_assert_uint_eq(iova_holes(NULL, 0, MSI_S, MSI_E, out, 4), 2);
	ck_assert_uint_eq(out[0].last, MSI_S - 1);
	ck_assert_uint_eq(out[1].start, MSI_E + 1);
	/* no skip (start > last) */
	ck_assert_uint_eq(iova_holes(NULL, 0, 1, 0, out, 4), 1);
	ck_assert_uint_eq(out[0].last, UINT64_MAX);
	/* out of order and reversed ranges are dropped; the holes stay a subset of the truth */
	ck_assert_uint_eq(iova_holes(bad, 3, 1, 0, out, 4), 2);
	ck_assert_uint_eq(out[0].start, 0);
	ck_assert_uint_eq(out[0].last, 0x4fff);
	ck_assert_uint_eq(out[1].start, 0x6000);
}
END_TEST

START_TEST(backend_without_iommufd_fails_cleanly)
{
	struct viommu_params p;
	struct gmem mem = { 0 };
	struct viommu_backend *be = ioas_backend_create(-1, &mem, 16);
	struct ioas_endpoint ep = { .name = "test" };
	struct iova_span holes[2];
	struct viommu *v;
	uint32_t id = 0;
	size_t n = 0;

	ck_assert_ptr_nonnull(be);
	ck_assert_str_eq(be->ops->name, "ioas");
	ck_assert_ptr_null(be->ops->translate); /* the host IOMMU translates */
	ck_assert_int_eq(ioas_backend_identity(be, &id), -EBADF);
	ck_assert_int_eq(ioas_backend_holes(be, &ep, holes, 2, &n), -EBADF);
	ck_assert_uint_eq(ioas_backend_count(be), 0);
	viommu_default_params(&p);
	v = viommu_create(&p, &mem);
	ck_assert_ptr_nonnull(v);
	viommu_set_backend(v, VIOMMU_EP_VFIO, be);
	/* the device cannot be put anywhere safe: it is not registered */
	errno = 0;
	ck_assert_ptr_null(viommu_add_endpoint(v, 1, VIOMMU_EP_VFIO, &ep));
	ck_assert_int_eq(errno, EBADF);
	ck_assert_uint_eq(ep.cur_ioas, 0);
	viommu_destroy(v);
	ioas_backend_destroy(be);
	ioas_backend_destroy(NULL);
}
END_TEST

Suite *ioas_suite(void)
{
	Suite *s = suite_create("ioas");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, holes_of_the_mock_aperture);
	tcase_add_test(tc, holes_of_a_vtd_like_device);
	tcase_add_test(tc, holes_at_the_edges);
	tcase_add_test(tc, backend_without_iommufd_fails_cleanly);
	suite_add_tcase(s, tc);
	return s;
}
