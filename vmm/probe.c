// SPDX-License-Identifier: GPL-2.0
/*
 * `nestvm probe`: what this host offers nestvm, one line per capability, each saying what
 * nestvm will do with it. Read-only towards the host: every object made is destroyed again.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iommu/iommufd.h"
#include "iommu/iommufd_mock.h"
#include "iommu/uapi_compat.h"
#include "vfio/vfio_cdev.h"
#include "cli.h"
#include "kvm.h"
#include "probe.h"

static void report(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("  %-10s ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static bool probe_kvm(void)
{
	int kvm = kvm_open(NULL), vm;

	if (kvm < 0) {
		report("kvm", "no: %s: %s (%s)", KVM_PATH, strerror(-kvm), kvm_open_hint(kvm));
		return false;
	}
	vm = kvm_create_vm(kvm);
	if (vm < 0)
		report("kvm", "no: KVM_CREATE_VM failed: %s (see dmesg)", strerror(-vm));
	else
		report("kvm", "yes: API %d, KVM_CREATE_VM works", KVM_API_VERSION);
	if (vm >= 0)
		close(vm);
	close(kvm);
	return vm >= 0;
}

/* Nesting on the selftest mock: NEST_PARENT, a nested SELFTEST HWPT, one invalidation. */
static void probe_mock_nesting(int fd, uint32_t ioas)
{
	struct iommu_hwpt_selftest s1 = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_invalidate_selftest inv = { .iotlb_id = 0 };
	uint32_t parent, nested, num = 1;
	struct mock_dev dev;
	int ret;

	ret = mock_dev_create(fd, ioas, &dev);
	if (ret) {
		report("mock", "no: %s (needs CONFIG_IOMMUFD_TEST and no real IOMMU driver active)",
		       strerror(-ret));
		return;
	}
	ret = iommufd_hwpt_alloc(fd, dev.idev_id, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	if (!ret)
		ret = iommufd_hwpt_alloc_nested(fd, dev.idev_id, parent, IOMMU_HWPT_DATA_SELFTEST,
						&s1, sizeof(s1), &nested);
	if (!ret)
		ret = mock_dev_replace(fd, &dev, nested);
	if (!ret)
		ret = iommufd_hwpt_invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, &inv,
					      sizeof(inv), &num);
	if (ret)
		report("mock", "selftest device yes, nesting no: %s", strerror(-ret));
	else
		report("mock", "yes: selftest device nests (NEST_PARENT, nested HWPT, invalidate)");
}

static void probe_vfio_device(int iommufd, uint32_t ioas, const char *name)
{
	char path[PATH_MAX], link[PATH_MAX], target[PATH_MAX] = "";
	struct iommufd_hw_info info;
	uint32_t dev_id, parent;
	const char *bdf;
	int devfd, ret;

	snprintf(link, sizeof(link), "/sys/class/vfio-dev/%s/device", name);
	if (readlink(link, target, sizeof(target) - 1) < 0)
		target[0] = '\0';
	bdf = strrchr(target, '/') ? strrchr(target, '/') + 1 : "?";

	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	devfd = vfio_cdev_open(path);
	if (devfd < 0) {
		report("vfio", "%s (%s): cannot open: %s", path, bdf, strerror(-devfd));
		return;
	}
	ret = vfio_cdev_bind_iommufd(devfd, iommufd, &dev_id);
	if (ret) {
		report("vfio", "%s (%s): bind to iommufd failed: %s (in use by another VMM?)", path,
		       bdf, strerror(-ret));
		goto out;
	}
	ret = iommufd_get_hw_info(iommufd, dev_id, &info);
	if (ret) {
		report("vfio", "%s (%s): IOMMU_GET_HW_INFO failed: %s", path, bdf, strerror(-ret));
		goto out;
	}
	if (info.type == IOMMU_HW_INFO_TYPE_INTEL_VTD) {
		struct iommu_hw_info_vtd *vtd = (void *)info.data;

		report("vfio", "%s (%s): IOMMU VT-d, cap %#llx ecap %#llx", path, bdf,
		       (unsigned long long)vtd->cap_reg, (unsigned long long)vtd->ecap_reg);
	} else {
		report("vfio", "%s (%s): IOMMU type %u", path, bdf, info.type);
	}
	ret = iommufd_hwpt_alloc(iommufd, dev_id, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	if (ret)
		report("", "nesting refused (%s): nestvm will shadow the guest's table",
		       strerror(-ret));
	else
		report("", "nesting: yes (NEST_PARENT HWPT allocated)");
out:
	close(devfd);
}

static void probe_iommufd(void)
{
	int fd = iommufd_open(NULL), ret;
	struct dirent *de;
	uint32_t ioas;
	int found = 0;
	DIR *d;

	if (fd < 0) {
		report("iommufd", "no: %s: %s (needs CONFIG_IOMMUFD)", IOMMUFD_PATH, strerror(-fd));
		return;
	}
	ret = iommufd_ioas_alloc(fd, &ioas);
	if (ret) {
		report("iommufd", "no: IOMMU_IOAS_ALLOC failed: %s", strerror(-ret));
		close(fd);
		return;
	}
	report("iommufd", "yes: %s, IOAS_ALLOC works", IOMMUFD_PATH);
	probe_mock_nesting(fd, ioas);

	d = opendir("/dev/vfio/devices");
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "vfio", 4))
			continue;
		probe_vfio_device(fd, ioas, de->d_name);
		found++;
	}
	if (d)
		closedir(d);
	if (!found)
		report("vfio", "no device cdevs in /dev/vfio/devices (bind a device to vfio-pci "
			       "first; the kernel needs CONFIG_VFIO_DEVICE_CDEV)");
	close(fd); /* destroys every object made above */
}

int probe_host(void)
{
	bool kvm;

	printf("nestvm %s host probe:\n", NESTVM_VERSION);
	kvm = probe_kvm();
	probe_iommufd();
	return kvm ? 0 : 1;
}
