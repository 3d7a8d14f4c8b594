// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "iommu/iommufd.h"
#include "vmm/kvm.h"
#include "unit.h"

START_TEST(missing_kvm_names_the_test_host)
{
	int ret = kvm_open("/nonexistent/kvm");

	ck_assert_int_eq(ret, -ENOENT);
	ck_assert_ptr_nonnull(strstr(kvm_open_hint(ret), "tools/testhost/run"));
	ck_assert_ptr_nonnull(strstr(kvm_open_hint(-EACCES), "'kvm' group"));
}
END_TEST

START_TEST(not_kvm_is_refused)
{
	/* /dev/null opens but is no KVM: the API version ioctl fails and nothing leaks. */
	ck_assert_int_eq(kvm_open("/dev/null"), -ENOTTY);
}
END_TEST

START_TEST(iommufd_errors_are_negative_errno)
{
	uint32_t id = 0, n = 4;
	int fd = iommufd_open("/dev/null");

	ck_assert_int_eq(iommufd_open("/nonexistent/iommu"), -ENOENT);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(iommufd_ioas_alloc(fd, &id), -ENOTTY);
	ck_assert_int_eq(iommufd_hwpt_invalidate(fd, 1, 0, NULL, 16, &n), -ENOTTY);
	ck_assert_uint_eq(n, 4); /* the count is what the kernel left: here, untouched */
	close(fd);
}
END_TEST

Suite *kvm_suite(void)
{
	Suite *s = suite_create("kvm+iommufd");
	TCase *tc = tcase_create("open");

	tcase_add_test(tc, missing_kvm_names_the_test_host);
	tcase_add_test(tc, not_kvm_is_refused);
	tcase_add_test(tc, iommufd_errors_are_negative_errno);
	suite_add_tcase(s, tc);
	return s;
}
