// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "uapi_compat.h"
#include "iommufd.h"
#include "iova_ranges.h"
#include "vmm/fault_inject.h"

static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

int iommufd_open(const char *path)
{
	int fd = open(path ? path : IOMMUFD_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int iommufd_destroy(int fd, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return xioctl(fd, IOMMU_DESTROY, &cmd);
}

int iommufd_ioas_alloc(int fd, uint32_t *ioas_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int ret = fault_inject(FAULT_IOAS_ALLOC);

	if (!ret)
		ret = xioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	if (!ret)
		*ioas_id = cmd.out_ioas_id;
	return ret;
}

int iommufd_ioas_map(int fd, uint32_t ioas_id, const void *va, uint64_t len, uint64_t iova,
		     bool writeable)
{
	return iommufd_ioas_map_prot(fd, ioas_id, va, len, iova,
				     IOMMU_IOAS_MAP_READABLE |
					 (writeable ? IOMMU_IOAS_MAP_WRITEABLE : 0));
}

int iommufd_ioas_map_prot(int fd, uint32_t ioas_id, const void *va, uint64_t len, uint64_t iova,
			  uint32_t prot)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
			 (prot & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)),
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};
	int ret = fault_inject(FAULT_IOAS_MAP);

	return ret ? ret : xioctl(fd, IOMMU_IOAS_MAP, &cmd);
}

int iommufd_ioas_unmap(int fd, uint32_t ioas_id, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = len,
	};
	int ret = fault_inject(FAULT_IOAS_UNMAP);

	if (!ret)
		ret = xioctl(fd, IOMMU_IOAS_UNMAP, &cmd);

	if (!ret && unmapped)
		*unmapped = cmd.length;
	return ret;
}

int iommufd_ioas_iova_ranges(int fd, uint32_t ioas_id, struct iova_span *ranges, uint32_t cap,
			     uint32_t *num)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = cap,
		.allowed_iovas = (uintptr_t)ranges,
	};
	int ret;

	/* struct iova_span is laid out as struct iommu_iova_range: the kernel fills it. */
	_Static_assert(sizeof(struct iova_span) == sizeof(struct iommu_iova_range), "layout");
	_Static_assert(offsetof(struct iova_span, last) == offsetof(struct iommu_iova_range, last),
		       "layout");
	ret = xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd);
	if (!ret || ret == -EMSGSIZE)
		*num = cmd.num_iovas;
	return ret;
}

static int hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags, uint32_t type,
		      const void *data, uint32_t len, uint32_t *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = type,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
	};
	int ret;

	if (type != IOMMU_HWPT_DATA_NONE)
		ret = fault_inject(FAULT_HWPT_NESTED);
	else if (flags & IOMMU_HWPT_ALLOC_NEST_PARENT)
		ret = fault_inject(FAULT_NEST_PARENT);
	else
		ret = fault_inject(FAULT_HWPT_ALLOC);
	if (!ret)
		ret = xioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!ret)
		*hwpt_id = cmd.out_hwpt_id;
	return ret;
}

int iommufd_hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags, uint32_t *hwpt_id)
{
	return hwpt_alloc(fd, dev_id, pt_id, flags, IOMMU_HWPT_DATA_NONE, NULL, 0, hwpt_id);
}

int iommufd_hwpt_alloc_nested(int fd, uint32_t dev_id, uint32_t parent_id, uint32_t type,
			      const void *data, uint32_t len, uint32_t *hwpt_id)
{
	return hwpt_alloc(fd, dev_id, parent_id, 0, type, data, len, hwpt_id);
}

int iommufd_hwpt_invalidate(int fd, uint32_t hwpt_id, uint32_t type, const void *entries,
			    uint32_t entry_len, uint32_t *num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt_id,
		.data_uptr = (uintptr_t)entries,
		.data_type = type,
		.entry_len = entry_len,
		.entry_num = *num,
	};
	int ret = fault_inject(FAULT_HWPT_INVALIDATE);

	if (ret) {
		*num = 0; /* as the kernel says when it failed on the first entry */
		return ret;
	}
	ret = xioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd);

	/* The kernel writes back how many entries it handled, on success and on failure. */
	*num = cmd.entry_num;
	return ret;
}

int iommufd_get_hw_info(int fd, uint32_t dev_id, struct iommufd_hw_info *info)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.data_len = sizeof(info->data),
		.data_uptr = (uintptr_t)info->data,
	};
	int ret;

	memset(info, 0, sizeof(*info));
	ret = fault_inject(FAULT_GET_HW_INFO);
	if (!ret)
		ret = xioctl(fd, IOMMU_GET_HW_INFO, &cmd);
	if (ret)
		return ret;
	info->type = cmd.out_data_type;
	info->capabilities = cmd.out_capabilities;
	info->max_pasid_log2 = cmd.out_max_pasid_log2;
	info->data_len = cmd.data_len < sizeof(info->data) ? cmd.data_len : sizeof(info->data);
	return 0;
}
