/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VFIO PCI device as nestvm passes it through: its cdev bound to an iommufd, what VFIO says
 * about its regions and interrupts, and the few operations the passthrough model needs. The
 * device is named either by its cdev (/dev/vfio/devices/vfioN) or by its PCI address, which is
 * resolved through sysfs; a device still bound to a host driver is refused with the commands
 * that hand it to vfio-pci.
 */
#ifndef NESTVM_VFIO_DEVICE_H
#define NESTVM_VFIO_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/vfio.h>

#define VFIO_DEVICE_NAME_MAX 64

struct vfio_region {
	uint32_t flags; /* VFIO_REGION_INFO_FLAG_* */
	uint64_t size, offset; /* offset: where the region starts in the device fd */
	bool msix_mappable; /* VFIO_REGION_INFO_CAP_MSIX_MAPPABLE */
	bool sparse; /* only parts may be mmap'd: nestvm then traps all of it */
};

struct vfio_device {
	int fd;
	uint32_t dev_id; /* iommufd device id */
	char name[VFIO_DEVICE_NAME_MAX]; /* what the user gave, for messages */
	uint32_t flags; /* VFIO_DEVICE_FLAGS_* */
	struct vfio_region regions[VFIO_PCI_NUM_REGIONS];
	struct vfio_irq_info irqs[VFIO_PCI_NUM_IRQS];
};

/*
 * Opens @spec (a cdev path or a PCI address under @sysfs) and binds it to @iommufd. Returns 0,
 * or a negative errno with the reason and the fix in @err.
 */
int vfio_device_open(struct vfio_device *d, const char *spec, const char *sysfs, int iommufd,
		     char *err, size_t errlen);
void vfio_device_close(struct vfio_device *d);

/* Function-level reset when the device has one (VFIO_DEVICE_FLAGS_RESET); 0 or -errno. */
int vfio_device_reset(struct vfio_device *d);

/* Whole transfers inside region @index, or -EINVAL/-EIO. */
int vfio_region_read(const struct vfio_device *d, unsigned int index, uint64_t off, void *buf,
		     size_t len);
int vfio_region_write(const struct vfio_device *d, unsigned int index, uint64_t off,
		      const void *buf, size_t len);

/* mmap of [off, off + len) of region @index (page-aligned); MAP_FAILED with errno on failure. */
void *vfio_region_mmap(const struct vfio_device *d, unsigned int index, uint64_t off, size_t len);

/*
 * Sets the trigger eventfds of vectors [start, start + count) of interrupt @index; an fd of
 * -1 leaves that vector without one. count 0 disables the whole index. 0 or -errno.
 */
int vfio_device_set_irqs(const struct vfio_device *d, unsigned int index, unsigned int start,
			 unsigned int count, const int *fds);

#endif
