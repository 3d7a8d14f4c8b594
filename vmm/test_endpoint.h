/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --viommu-test-endpoint: an iommufd selftest mock device (CONFIG_IOMMUFD_TEST) behind the
 * virtio-iommu, as VFIO-kind endpoint TEST_ENDPOINT_ID with the ioas backend for MAP/UNMAP and
 * the nested backend for tables. The guest sees nothing of it but the endpoint id (no PCI
 * function, no VIOT node): a payload that knows the id drives it with requests, and PROBE
 * reports the SELFTEST table format only.
 *
 * For tests outside nestvm, which cannot reach nestvm's iommufd: after every ATTACH_TABLE and
 * every HWPT_INVALIDATE on the mock's nested HWPTs, nestvm works out what the four mock IOTLB
 * slots must hold (the table's value, 0 once flushed), checks each with
 * IOMMU_TEST_OP_MD_CHECK_IOTLB and logs at debug level (-d)
 *     mock iotlb: hwpt H [s0 s1 s2 s3] verified
 * or, at error level, which slot differed. The mock's stage 2 is the guest RAM inside its
 * aperture [16 MiB, 2 GiB): it translates nothing, so nothing is lost.
 */
#ifndef NESTVM_TEST_ENDPOINT_H
#define NESTVM_TEST_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/backend_ioas.h"
#include "iommu/backend_nested.h"
#include "iommu/iommufd_mock.h"
#include "iommu/uapi_compat.h"
#include "iommu/viommu.h"
#include "vmm/gmem.h"

/* Above the passthrough endpoints (0x100 + devfn, up to 0x1ff). */
#define TEST_ENDPOINT_ID 0x200
#define TEST_ENDPOINT_HWPTS 8

struct test_endpoint {
	bool active;
	int iommufd;
	struct gmem mem; /* guest RAM clipped to the mock aperture */
	struct viommu_backend *ioas, *nested;
	struct mock_dev md;
	bool has_md;
	struct ioas_endpoint ep;
	struct nested_observer obs;
	/* What each live nested HWPT's mock IOTLB must hold (hwpt 0: a free entry). */
	struct test_iotlb {
		uint32_t hwpt, initial;
		uint32_t slot[MOCK_NESTED_DOMAIN_IOTLB_NUM];
	} iotlb[TEST_ENDPOINT_HWPTS];
};

/*
 * Makes the mock device and registers it with @v (which gets the test endpoint's backends for
 * VFIO endpoints: not with --vfio). 0, or -errno with the reason printed.
 */
int test_endpoint_setup(struct test_endpoint *te, struct viommu *v, const struct gmem *mem);
/* After viommu_destroy(). Safe on a zeroed or half-made @te. */
void test_endpoint_destroy(struct test_endpoint *te);

#endif
