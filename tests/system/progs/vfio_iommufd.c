// SPDX-License-Identifier: GPL-2.0
/*
 * A PCI device through the VFIO cdev and iommufd, as nestvm's passthrough will take it:
 * hand it to vfio-pci, open its cdev, bind it to an iommufd, read what IOMMU it sits behind,
 * attach it to an IOAS, map and unmap DMA memory, ask for a nesting parent (the emulated
 * VT-d refuses with EOPNOTSUPP: nestvm then shadows), and release it all.
 *
 * Usage: vfio_iommufd BDF [EXPECTED_HW_INFO_TYPE]
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommu/iommufd.h"
#include "iommu/uapi_compat.h"
#include "vfio/vfio_cdev.h"
#include "vfio/vfio_sysfs.h"
#include "expect.h"

#define DMA_IOVA (1ULL << 30)
#define DMA_LEN (1ULL << 20)

int main(int argc, char **argv)
{
	uint32_t want_type = argc > 2 ? strtoul(argv[2], NULL, 0) : IOMMU_HW_INFO_TYPE_INTEL_VTD;
	int fds_before = count_open_fds(), iommufd, devfd, ret;
	const char *bdf = argc > 1 ? argv[1] : "";
	char cdev[PATH_MAX], drv[64];
	struct iommufd_hw_info info;
	uint32_t dev_id, ioas, parent;
	uint64_t unmapped = 0;
	void *buf;

	setvbuf(stdout, NULL, _IOLBF, 0);
	REQUIRE(pci_bdf_valid(bdf), "'%s' is a PCI address (usage: vfio_iommufd BDF [TYPE])", bdf);
	ret = pci_current_driver("/sys", bdf, drv, sizeof(drv));
	REQUIRE(!ret, "%s exists (%s), driver '%s'", bdf, strerror(-ret), drv);
	ret = vfio_pci_take("/sys", bdf);
	REQUIRE(!ret, "%s handed to vfio-pci (%s)", bdf, strerror(-ret));
	ret = vfio_cdev_path_of("/sys", bdf, cdev, sizeof(cdev));
	REQUIRE(!ret, "%s has a VFIO cdev: %s (%s)", bdf, ret ? "-" : cdev, strerror(-ret));

	devfd = vfio_cdev_open(cdev);
	REQUIRE(devfd >= 0, "open %s (%s)", cdev, devfd < 0 ? strerror(-devfd) : "ok");
	iommufd = iommufd_open(NULL);
	REQUIRE(iommufd >= 0, "open %s", IOMMUFD_PATH);
	ret = vfio_cdev_bind_iommufd(devfd, iommufd, &dev_id);
	REQUIRE(!ret, "VFIO_DEVICE_BIND_IOMMUFD (%s), dev_id %u", strerror(-ret), dev_id);

	ret = iommufd_get_hw_info(iommufd, dev_id, &info);
	EXPECT(!ret && info.type == want_type, "IOMMU_GET_HW_INFO type %u, want %u (%s)", info.type,
	       want_type, strerror(-ret));
	if (info.type == IOMMU_HW_INFO_TYPE_INTEL_VTD) {
		struct iommu_hw_info_vtd *vtd = (void *)info.data;

		EXPECT(info.data_len >= sizeof(*vtd) && vtd->cap_reg && vtd->ecap_reg,
		       "VT-d registers: cap %#llx ecap %#llx", (unsigned long long)vtd->cap_reg,
		       (unsigned long long)vtd->ecap_reg);
	}

	ret = iommufd_ioas_alloc(iommufd, &ioas);
	REQUIRE(!ret, "IOMMU_IOAS_ALLOC (%s)", strerror(-ret));
	ret = vfio_cdev_attach(devfd, ioas);
	REQUIRE(!ret, "VFIO_DEVICE_ATTACH_IOMMUFD_PT to IOAS %u (%s)", ioas, strerror(-ret));

	buf = mmap(NULL, DMA_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(buf != MAP_FAILED, "1 MiB DMA buffer");
	ret = iommufd_ioas_map(iommufd, ioas, buf, DMA_LEN, DMA_IOVA, true);
	EXPECT(!ret, "IOMMU_IOAS_MAP 1 MiB at %#llx (%s)", DMA_IOVA, strerror(-ret));
	ret = iommufd_ioas_unmap(iommufd, ioas, DMA_IOVA, DMA_LEN, &unmapped);
	EXPECT(!ret && unmapped == DMA_LEN, "IOMMU_IOAS_UNMAP (%s, %llu bytes)", strerror(-ret),
	       (unsigned long long)unmapped);
	ret = iommufd_ioas_unmap(iommufd, ioas, DMA_IOVA, DMA_LEN, &unmapped);
	EXPECT(ret == -ENOENT, "unmapping it again is refused (%s)", strerror(-ret));

	/* Either outcome is defined: a parent (the host nests) or EOPNOTSUPP (nestvm shadows). */
	ret = iommufd_hwpt_alloc(iommufd, dev_id, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	EXPECT(!ret || ret == -EOPNOTSUPP, "NEST_PARENT HWPT: %s",
	       ret ? strerror(-ret) : "allocated: this host nests");
	if (!ret)
		EXPECT(!iommufd_destroy(iommufd, parent), "NEST_PARENT HWPT destroyed");

	ret = vfio_cdev_detach(devfd);
	EXPECT(!ret, "VFIO_DEVICE_DETACH_IOMMUFD_PT (%s)", strerror(-ret));
	munmap(buf, DMA_LEN);
	close(devfd);
	close(iommufd);
	EXPECT(count_open_fds() == fds_before, "no fd leaked");
	return expect_exit();
}
