/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VFIO device cdevs (/dev/vfio/devices/vfioN) bound to an iommufd. Each call returns 0 or a
 * negative errno and prints nothing.
 */
#ifndef NESTVM_VFIO_CDEV_H
#define NESTVM_VFIO_CDEV_H

#include <stdint.h>

int vfio_cdev_open(const char *path);
/* Binds the device to @iommufd; *dev_id is its iommufd device id (for HWPT_ALLOC, HW_INFO). */
int vfio_cdev_bind_iommufd(int devfd, int iommufd, uint32_t *dev_id);
/* Attaches to an IOAS or HWPT; attaching again replaces the previous one. */
int vfio_cdev_attach(int devfd, uint32_t pt_id);
int vfio_cdev_detach(int devfd);
/* vfio_cdev_attach() as struct ioas_endpoint.attach_pt: @dev points to the device fd (int). */
int vfio_cdev_attach_pt(void *dev, uint32_t pt_id);

#endif
