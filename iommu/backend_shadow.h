/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shadow table backend, for VFIO endpoints on a host IOMMU that cannot nest (the emulated
 * VT-d answers EOPNOTSUPP to IOMMU_HWPT_ALLOC_NEST_PARENT). Each table domain is an iommufd
 * IOAS of its own: set_table walks the guest's VT-d first-stage table in software
 * (pgtable_x86.h) and mirrors every present leaf into the IOAS with IOMMU_IOAS_MAP of the guest
 * page's host address (writable leaves READABLE|WRITEABLE, the others READABLE), one IOAS
 * area per leaf; invalidate re-walks the range it names (widened to the whole IOAS areas it
 * touches, because iommufd cannot unmap part of one) and changes only the areas that differ,
 * make-before-break; attach moves the device onto the domain's IOAS.
 *
 * Use it as the VFIO table backend next to an ioas backend (backend_ioas.h) for MAP domains,
 * with the same struct ioas_endpoint as endpoint opaque: the ioas backend's unattached op moves
 * devices off a table domain before it is freed.
 *
 *	viommu_set_backend(v, VIOMMU_EP_VFIO, ioas_be);
 *	viommu_set_table_backend(v, VIOMMU_EP_VFIO, shadow_be);
 *
 * What is never mirrored: leaves whose guest-physical address lies outside backed guest RAM
 * (skipped, counted, logged once), the MSI doorbell's IOVAs (reserved for every endpoint), and
 * IOVAs at or above the host's address width (table_formats reports that width in
 * address_bits, so the guest knows).
 *
 * Threads: the viommu ops run under the model's lock (backend.h), and invalidate under the
 * domain's invalidation lock too, so a domain's state has one thread at a time; invalidate of
 * different domains may run at once, so the shared counters are atomic. The other functions
 * are for setup and teardown.
 */
#ifndef NESTVM_IOMMU_BACKEND_SHADOW_H
#define NESTVM_IOMMU_BACKEND_SHADOW_H

#include <stdint.h>

#include "iommu/backend.h"
#include "iommu/iommufd.h"
#include "vmm/gmem.h"

/*
 * The iommufd calls the backend makes, so tests can stand a fake IOAS in for the kernel. Each
 * returns 0 or -errno, like the iommufd.h wrappers (which the real ones are).
 */
struct shadow_iommufd_ops {
	int (*ioas_alloc)(void *ctx, uint32_t *ioas_id);
	int (*destroy)(void *ctx, uint32_t id);
	/* IOMMU_IOAS_MAP with FIXED_IOVA; @prot: IOMMU_IOAS_MAP_READABLE / _WRITEABLE. */
	int (*map)(void *ctx, uint32_t ioas_id, const void *va, uint64_t len, uint64_t iova,
		   uint32_t prot);
	int (*unmap)(void *ctx, uint32_t ioas_id, uint64_t iova, uint64_t len, uint64_t *unmapped);
	int (*hw_info)(void *ctx, uint32_t dev_id, struct iommufd_hw_info *info);
};

struct shadow_params {
	/* Leaves one walk may visit (0: guest RAM in 4 KiB pages); bounds a hostile table. */
	unsigned long max_leaves;
	/* IOAS areas of all domains together (0: guest RAM in 4 KiB pages): pinned memory. */
	unsigned long max_areas;
};

/* Counters since creation, for tests and statistics. */
struct shadow_stats {
	unsigned long maps; /* IOMMU_IOAS_MAP calls that succeeded */
	unsigned long unmaps; /* IOMMU_IOAS_UNMAP calls that succeeded */
	unsigned long leaves; /* guest leaves the walks reported */
	unsigned long outside_ram; /* leaves skipped (wholly or in part): GPA not in guest RAM */
	unsigned long doorbell; /* leaves over the MSI doorbell, mirrored around it */
	unsigned long walk_errors; /* walks stopped by a bad table or the leaf bound */
	unsigned long host_errors; /* iommufd calls that failed */
	unsigned long syncs; /* ranges re-synced (set_table and each invalidate entry) */
	unsigned long areas; /* IOAS areas held now, all domains */
};

/*
 * A backend on @iommufd (not owned) over guest RAM @mem (kept, not copied). @p may be NULL for
 * the defaults. Until shadow_backend_add_device() says otherwise, the host is taken to have
 * 57 bits. NULL when out of memory.
 */
struct viommu_backend *shadow_backend_create(int iommufd, const struct gmem *mem,
					     const struct shadow_params *p);
/* The same over @ops (tests): @ctx is passed to every op. */
struct viommu_backend *shadow_backend_create_ops(const struct shadow_iommufd_ops *ops, void *ctx,
						 const struct gmem *mem,
						 const struct shadow_params *p);
/* After viommu_destroy() (which frees every domain). */
void shadow_backend_destroy(struct viommu_backend *be);

/*
 * Setup time, for each passthrough device (iommufd device @dev_id, bound): narrows the address
 * width every endpoint is offered to what the device's host IOMMU can map (VT-d: MGAW and
 * SAGAW from IOMMU_GET_HW_INFO). Returns that width, 0 when the IOMMU is not VT-d (nothing
 * changes), or -errno (logged).
 */
int shadow_backend_add_device(struct viommu_backend *be, uint32_t dev_id);

/* The width (bits of IOVA) offered now. */
unsigned int shadow_backend_address_bits(const struct viommu_backend *be);

void shadow_backend_stats(const struct viommu_backend *be, struct shadow_stats *out);

#endif
