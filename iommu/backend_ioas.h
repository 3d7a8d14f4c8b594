/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ioas virtio-iommu backend, for VFIO endpoints: every non-bypass domain is an iommufd
 * IOAS of its own, MAP/UNMAP become IOMMU_IOAS_MAP/UNMAP of the guest pages' host addresses,
 * and ATTACH moves the device onto the domain's IOAS (a replace, atomic in the kernel).
 *
 * Two shared IOASes, made on first use and kept for the backend's life:
 *  - identity: all guest RAM at IOVA = GPA. Bypass domains use it, so do unattached devices
 *    while config.bypass is 1, and so does a VMM without --viommu (ioas_backend_identity()).
 *  - blocked: empty. Unattached devices sit there while config.bypass is 0: DMA faults.
 * So a device is always on exactly one IOAS, and DETACH never leaves it on stale mappings.
 *
 * Threads: the viommu ops run under the model's lock (backend.h). The other functions here are
 * for setup and teardown, before the guest runs or after it stopped.
 *
 * Teardown order: viommu_destroy() (moves devices to blocked, frees domain IOASes), then the
 * devices (close the VFIO cdevs), then ioas_backend_destroy(). The iommufd stays the VMM's.
 */
#ifndef NESTVM_IOMMU_BACKEND_IOAS_H
#define NESTVM_IOMMU_BACKEND_IOAS_H

#include <stddef.h>
#include <stdint.h>

#include "iommu/backend.h"
#include "iommu/iova_ranges.h"
#include "vmm/gmem.h"

/* The endpoint opaque for viommu_add_endpoint(..., VIOMMU_EP_VFIO, &ioas_endpoint). */
struct ioas_endpoint {
	/*
	 * Set by the VMM: moves @dev onto IOAS @pt_id, replacing what it was attached to (for a
	 * VFIO cdev: VFIO_DEVICE_ATTACH_IOMMUFD_PT, see vfio_cdev_attach_pt()). 0 or -errno.
	 */
	int (*attach_pt)(void *dev, uint32_t pt_id);
	void *dev;
	const char *name; /* for messages, e.g. "/dev/vfio/devices/vfio0" */
	/* Set by the VMM: its iommufd device id, for the nested backend (backend_nested.h). */
	uint32_t dev_id;
	/*
	 * The backends': the IOAS (or, from the nested backend, the HWPT) the device is on now,
	 * 0 before a backend moved it.
	 */
	uint32_t cur_ioas;
};

/*
 * A backend on @iommufd (not owned) over guest RAM @mem (kept, not copied; regions without a
 * host address are not mapped). @max_mappings bounds the mappings of all domains together
 * (pinned guest memory on the host): map fails with -ENOSPC past it. NULL when out of memory.
 */
struct viommu_backend *ioas_backend_create(int iommufd, const struct gmem *mem,
					   unsigned long max_mappings);
void ioas_backend_destroy(struct viommu_backend *be);

/*
 * The identity IOAS (all guest RAM at IOVA = GPA), made now if it was not: 0 and *@ioas_id,
 * or -errno (logged). Without a vIOMMU the VMM attaches passthrough devices to it directly.
 */
int ioas_backend_identity(struct viommu_backend *be, uint32_t *ioas_id);

/*
 * The IOVA holes of @ep's device: what it cannot reach through its IOMMU (aperture limits and
 * reserved regions, from IOMMU_IOAS_IOVA_RANGES on a scratch IOAS it is moved to and back),
 * less the MSI doorbell that PROBE reports anyway. Up to @cap into @holes, *@n how many there
 * are. Setup time, after viommu_add_endpoint(). 0 or -errno (logged).
 */
int ioas_backend_holes(struct viommu_backend *be, struct ioas_endpoint *ep, struct iova_span *holes,
		       size_t cap, size_t *n);

struct viommu_endpoint;
/*
 * ioas_backend_holes() reported to the guest: each hole becomes a RESV_MEM RESERVED property of
 * @vep in PROBE (viommu_endpoint_add_resv()). Setup time. 0 or -errno (logged).
 */
int ioas_backend_add_resv(struct viommu_backend *be, struct ioas_endpoint *ep,
			  struct viommu_endpoint *vep);

/* Mappings held now by all domains of @be, for tests and statistics. */
unsigned long ioas_backend_count(const struct viommu_backend *be);

/* Counters since creation, for tests and statistics (nestvm's --viommu-stats line). */
struct ioas_stats {
	/* IOMMU_IOAS_MAP / UNMAP calls that succeeded for the domains (not the identity IOAS) */
	unsigned long maps, unmaps;
};
void ioas_backend_stats(const struct viommu_backend *be, struct ioas_stats *out);

#endif
