// SPDX-License-Identifier: GPL-2.0
/* vfio/vfio_sysfs.c against a fake sysfs tree made in a temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfio/vfio_sysfs.h"
#include "unit.h"

#define NIC "0000:00:03.0"

static char root[] = "/tmp/nestvm-sysfs-XXXXXX";

static void mkpath(const char *rel)
{
	char cmd[PATH_MAX * 2];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static char *get(const char *rel)
{
	static char buf[256];
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void bind_to(const char *driver)
{
	char link[PATH_MAX], target[PATH_MAX];

	snprintf(link, sizeof(link), "%s/bus/pci/devices/" NIC "/driver", root);
	unlink(link);
	snprintf(target, sizeof(target), "../../../../bus/pci/drivers/%s", driver);
	ck_assert_int_eq(symlink(target, link), 0);
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(root));
	mkpath("bus/pci/devices/" NIC);
	mkpath("bus/pci/drivers/e1000e");
	mkpath("bus/pci/drivers/vfio-pci");
	put("bus/pci/drivers_probe", "");
	put("bus/pci/devices/" NIC "/driver_override", "");
	put("bus/pci/drivers/e1000e/unbind", "");
	bind_to("e1000e");
}

static void teardown(void)
{
	char cmd[PATH_MAX];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(root, "/tmp/nestvm-sysfs-XXXXXX");
}

START_TEST(bdf_shapes)
{
	ck_assert(pci_bdf_valid("0000:00:03.0"));
	ck_assert(pci_bdf_valid("abcd:ef:1f.7"));
	ck_assert(!pci_bdf_valid("00:03.0"));
	ck_assert(!pci_bdf_valid("0000:00:03.0 "));
	ck_assert(!pci_bdf_valid("0000-00:03.0"));
	ck_assert(!pci_bdf_valid("../../../etc"));
	ck_assert(!pci_bdf_valid(""));
}
END_TEST

START_TEST(driver_and_cdev)
{
	char drv[64], path[PATH_MAX];

	ck_assert_int_eq(pci_current_driver(root, NIC, drv, sizeof(drv)), 0);
	ck_assert_str_eq(drv, "e1000e");
	ck_assert_int_eq(pci_current_driver(root, "0000:00:09.0", drv, sizeof(drv)), -ENODEV);
	ck_assert_int_eq(pci_current_driver(root, "nonsense", drv, sizeof(drv)), -EINVAL);
	ck_assert_int_eq(vfio_cdev_path_of(root, NIC, path, sizeof(path)), -ENOENT);
	mkpath("bus/pci/devices/" NIC "/vfio-dev/vfio7");
	ck_assert_int_eq(vfio_cdev_path_of(root, NIC, path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/dev/vfio/devices/vfio7");
	ck_assert_int_eq(vfio_cdev_path_of(root, NIC, path, 8), -ENAMETOOLONG);
}
END_TEST

START_TEST(take_writes_override_unbind_probe)
{
	/* The fake tree has no kernel behind it: the device stays with e1000e, which take
	 * must notice after the probe and report as -ENXIO. */
	ck_assert_int_eq(vfio_pci_take(root, NIC), -ENXIO);
	ck_assert_str_eq(get("bus/pci/devices/" NIC "/driver_override"), "vfio-pci");
	ck_assert_str_eq(get("bus/pci/drivers/e1000e/unbind"), NIC);
	ck_assert_str_eq(get("bus/pci/drivers_probe"), NIC);
}
END_TEST

START_TEST(take_is_a_noop_when_bound)
{
	bind_to("vfio-pci");
	ck_assert_int_eq(vfio_pci_take(root, NIC), 0);
	ck_assert_str_eq(get("bus/pci/devices/" NIC "/driver_override"), "");
	ck_assert_int_eq(vfio_pci_take(root, "0000:00:09.0"), -ENODEV);
}
END_TEST

Suite *vfio_sysfs_suite(void)
{
	Suite *s = suite_create("vfio_sysfs");
	TCase *tc = tcase_create("fake-sysfs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bdf_shapes);
	tcase_add_test(tc, driver_and_cdev);
	tcase_add_test(tc, take_writes_override_unbind_probe);
	tcase_add_test(tc, take_is_a_noop_when_bound);
	suite_add_tcase(s, tc);
	return s;
}
