/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The nested table backend, for iommufd devices whose host IOMMU nests: the guest's stage-1
 * table (ATTACH_TABLE) becomes a nested HWPT that the hardware walks, over one NEST_PARENT HWPT
 * (stage 2) on the ioas backend's identity IOAS (all guest RAM at IOVA = GPA), made at the
 * first need with the first device's iommufd dev_id. Endpoints attached to one domain share its
 * nested HWPT; INVALIDATE becomes one IOMMU_HWPT_INVALIDATE for a whole batch.
 *
 * Set it with viommu_set_table_backend(v, VIOMMU_EP_VFIO, be) next to the ioas backend (for
 * MAP/UNMAP domains and the no-domain state); the endpoint opaque is the same struct
 * ioas_endpoint, with its dev_id set. Table formats come from IOMMU_GET_HW_INFO of each device,
 * read once by nested_backend_probe(); a device that was not probed (or cannot nest) has none,
 * so the model answers its ATTACH_TABLE with UNSUPP.
 *
 * Every HWPT made or destroyed and every HWPT_INVALIDATE is logged at debug level (-d):
 *   nested: NEST_PARENT HWPT <id> on IOAS <id> (dev <id>)
 *   nested: HWPT <id> for <format> table <root> (dev <id>) / nested: HWPT <id> destroyed
 *   nested: HWPT_INVALIDATE hwpt <id>: <n> entries, <done> done: <result>
 *
 * Teardown: viommu_destroy(), the devices, nested_backend_destroy(), ioas_backend_destroy().
 */
#ifndef NESTVM_IOMMU_BACKEND_NESTED_H
#define NESTVM_IOMMU_BACKEND_NESTED_H

#include <stdint.h>

#include "iommu/backend.h"
#include "iommu/backend_ioas.h"
#include "iommu/iommufd.h"

/*
 * The host calls the backend makes, one per iommufd ioctl (0 or -errno, as iommu/iommufd.h);
 * a table of its own so unit tests can stand in for the kernel.
 */
struct nested_host_ops {
	/* The IOAS the NEST_PARENT goes on: all guest RAM at IOVA = GPA. */
	int (*parent_ioas)(void *ctx, uint32_t *ioas_id);
	int (*get_hw_info)(void *ctx, uint32_t dev_id, struct iommufd_hw_info *info);
	int (*alloc_parent)(void *ctx, uint32_t dev_id, uint32_t ioas_id, uint32_t *hwpt_id);
	int (*alloc_nested)(void *ctx, uint32_t dev_id, uint32_t parent_id, uint32_t type,
			    const void *data, uint32_t len, uint32_t *hwpt_id);
	/* *@num in: entries; out: how many the kernel handled, also on failure. */
	int (*invalidate)(void *ctx, uint32_t hwpt_id, uint32_t type, const void *entries,
			  uint32_t entry_len, uint32_t *num);
	int (*destroy)(void *ctx, uint32_t id);
};

/* The real host: iommufd ioctls on @fd, the parent on @ioas's identity IOAS. */
struct nested_iommufd {
	int fd;
	struct viommu_backend *ioas;
};
extern const struct nested_host_ops nested_iommufd_ops; /* ctx: struct nested_iommufd * */

/* A backend on iommufd @fd (not owned) over ioas backend @ioas (its identity IOAS). */
struct viommu_backend *nested_backend_create(int fd, struct viommu_backend *ioas);
/* The same over any host calls (@ctx kept until destroy). NULL when out of memory. */
struct viommu_backend *nested_backend_create_host(const struct nested_host_ops *ops, void *ctx);
/* Destroys the NEST_PARENT; every domain must be gone (viommu_destroy() first). */
void nested_backend_destroy(struct viommu_backend *be);

/*
 * Can @ep (its dev_id set) nest? Reads its IOMMU's formats (IOMMU_GET_HW_INFO) and tries
 * NEST_PARENT for it (the shared parent if there is none yet, else a scratch one). 0: it nests
 * and its formats are recorded for PROBE; -EOPNOTSUPP: the host refuses (nesting unavailable,
 * no message), or its IOMMU has no format nestvm knows; other -errno: the host failed. Setup
 * time; @why gets a short reason for a refusal.
 */
int nested_backend_probe(struct viommu_backend *be, struct ioas_endpoint *ep, char *why,
			 size_t whylen);

/*
 * Watches the backend's nested HWPTs, for tests and debugging (vmm/test_endpoint.c checks the
 * mock's IOTLB with it). created/destroyed run under the model's write lock, invalidated
 * after every HWPT_INVALIDATE call on the invalidation thread (model's read lock; calls for
 * different HWPTs may overlap): @entries of data type @type, @done of @n handled, @ret.
 */
struct nested_observer {
	void (*created)(void *arg, uint32_t hwpt_id, const struct viommu_table *t);
	void (*destroyed)(void *arg, uint32_t hwpt_id);
	void (*invalidated)(void *arg, uint32_t hwpt_id, uint32_t type, const void *entries,
			    uint32_t n, uint32_t done, int ret);
	void *arg;
};
/* Setup time; @obs is kept (not copied). NULL stops watching. */
void nested_backend_set_observer(struct viommu_backend *be, const struct nested_observer *obs);

struct nested_stats {
	unsigned long hwpts; /* nested HWPTs alive now */
	unsigned long invalidate_calls; /* IOMMU_HWPT_INVALIDATE calls so far */
	unsigned long invalidate_entries; /* entries they carried */
	uint32_t parent_id; /* the NEST_PARENT HWPT, 0 before it is made */
};
void nested_backend_stats(const struct viommu_backend *be, struct nested_stats *out);

#endif
