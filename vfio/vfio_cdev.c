// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include "iommu/uapi_compat.h"
#include "vfio_cdev.h"

int vfio_cdev_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int vfio_cdev_bind_iommufd(int devfd, int iommufd, uint32_t *dev_id)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind), .iommufd = iommufd };

	if (ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0)
		return -errno;
	*dev_id = bind.out_devid;
	return 0;
}

int vfio_cdev_attach(int devfd, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach), .pt_id = pt_id };

	return ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) < 0 ? -errno : 0;
}

int vfio_cdev_detach(int devfd)
{
	struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof(detach) };

	return ioctl(devfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach) < 0 ? -errno : 0;
}

int vfio_cdev_attach_pt(void *dev, uint32_t pt_id)
{
	return vfio_cdev_attach(*(const int *)dev, pt_id);
}
