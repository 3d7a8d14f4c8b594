/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Thin wrappers over the iommufd uAPI (/dev/iommu). One function per ioctl, each returning 0
 * or a negative errno and printing nothing: callers know the context and word the message.
 * Each asks fault_inject() first (test-only NESTVM_FAULT, which logs what it injects).
 */
#ifndef NESTVM_IOMMUFD_H
#define NESTVM_IOMMUFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IOMMUFD_PATH "/dev/iommu"

/* Opens /dev/iommu (or @path); returns the fd or a negative errno. */
int iommufd_open(const char *path);

int iommufd_destroy(int fd, uint32_t id);
int iommufd_ioas_alloc(int fd, uint32_t *ioas_id);

/* Maps @len bytes of our address space at @va to @iova (fixed) in @ioas_id. */
int iommufd_ioas_map(int fd, uint32_t ioas_id, const void *va, uint64_t len, uint64_t iova,
		     bool writeable);
/* The same with the access named: IOMMU_IOAS_MAP_READABLE / _WRITEABLE bits in @prot. */
int iommufd_ioas_map_prot(int fd, uint32_t ioas_id, const void *va, uint64_t len, uint64_t iova,
			  uint32_t prot);
/* Unmaps [iova, iova + len); *unmapped (optional) says how much was really unmapped. */
int iommufd_ioas_unmap(int fd, uint32_t ioas_id, uint64_t iova, uint64_t len, uint64_t *unmapped);

struct iova_span;
/*
 * The IOVA ranges usable in @ioas_id now (every attached device's limits applied), in
 * ascending order: up to @cap into @ranges, and *@num says how many there are (more than @cap
 * means call again with room for them; the call then returns -EMSGSIZE).
 */
int iommufd_ioas_iova_ranges(int fd, uint32_t ioas_id, struct iova_span *ranges, uint32_t cap,
			     uint32_t *num);
/* Allocates a paging HWPT on @pt_id for device @dev_id; @flags: IOMMU_HWPT_ALLOC_*. */
int iommufd_hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags, uint32_t *hwpt_id);
/* Allocates a nested (stage-1) HWPT on @parent_id with driver data @data of @type. */
int iommufd_hwpt_alloc_nested(int fd, uint32_t dev_id, uint32_t parent_id, uint32_t type,
			      const void *data, uint32_t len, uint32_t *hwpt_id);

/*
 * Sends *@num invalidation entries of @type, each @entry_len bytes, to @hwpt_id in one call.
 * On return *@num holds how many the kernel handled, also when it failed part way.
 */
int iommufd_hwpt_invalidate(int fd, uint32_t hwpt_id, uint32_t type, const void *entries,
			    uint32_t entry_len, uint32_t *num);

struct iommufd_hw_info {
	uint32_t type; /* IOMMU_HW_INFO_TYPE_* */
	uint64_t capabilities;
	uint8_t max_pasid_log2;
	uint32_t data_len; /* bytes of @data the kernel filled */
	uint8_t data[64]; /* the type's own struct, e.g. struct iommu_hw_info_vtd */
};

int iommufd_get_hw_info(int fd, uint32_t dev_id, struct iommufd_hw_info *info);

#endif
