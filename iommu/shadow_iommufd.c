// SPDX-License-Identifier: GPL-2.0
/* The shadow backend's iommufd calls on a real /dev/iommu: the iommufd.h wrappers. */
#include "backend_shadow.h"
#include "shadow_iommufd.h"

static int fd_of(void *ctx)
{
	return *(const int *)ctx;
}

static int real_ioas_alloc(void *ctx, uint32_t *ioas_id)
{
	return iommufd_ioas_alloc(fd_of(ctx), ioas_id);
}

static int real_destroy(void *ctx, uint32_t id)
{
	return iommufd_destroy(fd_of(ctx), id);
}

static int real_map(void *ctx, uint32_t ioas_id, const void *va, uint64_t len, uint64_t iova,
		    uint32_t prot)
{
	return iommufd_ioas_map_prot(fd_of(ctx), ioas_id, va, len, iova, prot);
}

static int real_unmap(void *ctx, uint32_t ioas_id, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	return iommufd_ioas_unmap(fd_of(ctx), ioas_id, iova, len, unmapped);
}

static int real_hw_info(void *ctx, uint32_t dev_id, struct iommufd_hw_info *info)
{
	return iommufd_get_hw_info(fd_of(ctx), dev_id, info);
}

const struct shadow_iommufd_ops shadow_iommufd_real = {
	.ioas_alloc = real_ioas_alloc,
	.destroy = real_destroy,
	.map = real_map,
	.unmap = real_unmap,
	.hw_info = real_hw_info,
};
