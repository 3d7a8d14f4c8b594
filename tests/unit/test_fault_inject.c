// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "iommu/iommufd.h"
#include "iommu/uapi_compat.h"
#include "vmm/fault_inject.h"
#include "unit.h"

static char err[512];

static int parse(const char *spec)
{
	err[0] = '\0';
	return fault_inject_parse(spec, err, sizeof(err));
}

static void teardown(void)
{
	parse(NULL);
}

START_TEST(unset_is_off)
{
	ck_assert_int_eq(parse(NULL), 0);
	ck_assert(!fault_inject_active);
	ck_assert_int_eq(parse(""), 0);
	ck_assert(!fault_inject_active);
	for (int i = 0; i < FAULT_NOPS; i++)
		ck_assert_int_eq(fault_inject(i), 0);
}
END_TEST

START_TEST(rules)
{
	ck_assert_int_eq(parse("hwpt_invalidate:EIO:after=3,nest_parent:EOPNOTSUPP"), 0);
	ck_assert(fault_inject_active);
	/* Every call fails: no after=, no times=. */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(fault_inject(FAULT_NEST_PARENT), -EOPNOTSUPP);
	/* The first three pass, then all the others fail. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(fault_inject(FAULT_HWPT_INVALIDATE), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(fault_inject(FAULT_HWPT_INVALIDATE), -EIO);
	/* An op without a rule is untouched. */
	ck_assert_int_eq(fault_inject(FAULT_HWPT_NESTED), 0);
}
END_TEST

START_TEST(times_and_numbers)
{
	ck_assert_int_eq(parse("kvm_irqfd:22:after=1:times=2"), 0);
	ck_assert_int_eq(fault_inject(FAULT_KVM_IRQFD), 0);
	ck_assert_int_eq(fault_inject(FAULT_KVM_IRQFD), -EINVAL);
	ck_assert_int_eq(fault_inject(FAULT_KVM_IRQFD), -EINVAL);
	ck_assert_int_eq(fault_inject(FAULT_KVM_IRQFD), 0);
	ck_assert_int_eq(fault_inject(FAULT_KVM_IRQFD), 0);
	/* Options in either order; a new spec starts the counts anew. */
	ck_assert_int_eq(parse("kvm_irqfd:ENOMEM:times=1:after=0"), 0);
	ck_assert_int_eq(fault_inject(FAULT_KVM_IRQFD), -ENOMEM);
	ck_assert_int_eq(fault_inject(FAULT_KVM_IRQFD), 0);
}
END_TEST

static void check_bad(const char *spec, const char *why)
{
	ck_assert_msg(parse(spec) == -EINVAL, "\"%s\" accepted", spec);
	ck_assert(!fault_inject_active);
	ck_assert_msg(strstr(err, why), "\"%s\": %s", spec, err);
	/* Every error names the syntax and every op. */
	ck_assert_msg(strstr(err, "OP:ERRNO[:after=N][:times=M]"), "%s", err);
	for (int i = 0; i < FAULT_NOPS; i++)
		ck_assert_msg(strstr(err, fault_op_names[i]), "%s lacks %s", err,
			      fault_op_names[i]);
}

START_TEST(bad_syntax)
{
	check_bad("foo:EIO", "unknown op");
	check_bad("hwpt_invalidate", "no errno");
	check_bad("hwpt_invalidate:EWHAT", "no errno");
	check_bad("hwpt_invalidate:0", "no errno");
	check_bad("hwpt_invalidate:4096", "no errno");
	check_bad("hwpt_invalidate:EIO:after=", "unknown option");
	check_bad("hwpt_invalidate:EIO:after=x", "unknown option");
	check_bad("hwpt_invalidate:EIO:after=-1", "unknown option");
	check_bad("hwpt_invalidate:EIO:count=1", "unknown option");
	check_bad("hwpt_invalidate:EIO::times=1", "empty field");
	check_bad("hwpt_invalidate:EIO,", "empty rule");
	check_bad(",hwpt_invalidate:EIO", "empty rule");
	check_bad("hwpt_invalidate:EIO,,nest_parent:EIO", "empty rule");
	check_bad("hwpt_invalidate:EIO,hwpt_invalidate:ENOMEM", "op given twice");
	check_bad("HWPT_INVALIDATE:EIO", "unknown op");
}
END_TEST

START_TEST(bad_spec_clears_rules)
{
	ck_assert_int_eq(parse("nest_parent:EIO"), 0);
	ck_assert_int_eq(parse("nest_parent:EIO,bogus:EIO"), -EINVAL);
	ck_assert_int_eq(fault_inject(FAULT_NEST_PARENT), 0);
}
END_TEST

/* The wrappers fail before the kernel sees the call: fd -1 shows which one answered. */
START_TEST(wrappers)
{
	uint32_t num = 4, id = 0;

	ck_assert_int_eq(parse("hwpt_invalidate:EIO:after=1:times=1,nest_parent:EOPNOTSUPP"), 0);
	ck_assert_int_eq(iommufd_hwpt_invalidate(-1, 1, 0, NULL, 0, &num), -EBADF);
	num = 4;
	ck_assert_int_eq(iommufd_hwpt_invalidate(-1, 1, 0, NULL, 0, &num), -EIO);
	ck_assert_uint_eq(num, 0);
	ck_assert_int_eq(iommufd_hwpt_invalidate(-1, 1, 0, NULL, 0, &num), -EBADF);
	ck_assert_int_eq(iommufd_hwpt_alloc(-1, 1, 2, IOMMU_HWPT_ALLOC_NEST_PARENT, &id),
			 -EOPNOTSUPP);
	ck_assert_int_eq(iommufd_hwpt_alloc(-1, 1, 2, 0, &id), -EBADF);
	ck_assert_int_eq(iommufd_hwpt_alloc_nested(-1, 1, 2, IOMMU_HWPT_DATA_SELFTEST, "", 0, &id),
			 -EBADF);
}
END_TEST

Suite *fault_inject_suite(void)
{
	Suite *s = suite_create("fault_inject");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, unset_is_off);
	tcase_add_test(tc, rules);
	tcase_add_test(tc, times_and_numbers);
	tcase_add_test(tc, bad_syntax);
	tcase_add_test(tc, bad_spec_clears_rules);
	tcase_add_test(tc, wrappers);
	suite_add_tcase(s, tc);
	return s;
}
