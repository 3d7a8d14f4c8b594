/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI devices through sysfs: which VFIO cdev a BDF has, and handing a device to vfio-pci.
 * @sysfs is the sysfs mount ("/sys"), a parameter so tests can use a fake tree.
 */
#ifndef NESTVM_VFIO_SYSFS_H
#define NESTVM_VFIO_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

/* True for a canonical PCI address "DDDD:BB:DD.F". */
bool pci_bdf_valid(const char *bdf);

/*
 * Writes the driver bound to @bdf into @drv ("" when none). Returns 0, -ENODEV when no
 * such device exists, or another negative errno.
 */
int pci_current_driver(const char *sysfs, const char *bdf, char *drv, size_t size);

/*
 * Finds the VFIO cdev of @bdf ("/dev/vfio/devices/vfioN") into @path. Returns 0, -ENODEV
 * for no such device, -ENOENT when it has no VFIO cdev (not bound to vfio-pci, or a kernel
 * without CONFIG_VFIO_DEVICE_CDEV).
 */
int vfio_cdev_path_of(const char *sysfs, const char *bdf, char *path, size_t size);

/*
 * Unbinds @bdf from its driver and binds it to vfio-pci (driver_override, unbind,
 * drivers_probe). A no-op when it is bound to vfio-pci already. Returns 0 or -errno.
 */
int vfio_pci_take(const char *sysfs, const char *bdf);

#endif
