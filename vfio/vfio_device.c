// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio/vfio_cdev.h"
#include "vfio/vfio_device.h"
#include "vfio/vfio_sysfs.h"
#include "vmm/fault_inject.h"
#include "vmm/util.h"

/* A PCI address becomes its cdev; a device that has none yet is not ours to take. */
static int resolve(const char *spec, const char *sysfs, char *path, size_t size, char *err,
		   size_t errlen)
{
	char drv[64];
	int ret;

	if (!pci_bdf_valid(spec)) {
		if (snprintf(path, size, "%s", spec) >= (int)size)
			return errmsg(err, errlen, -ENAMETOOLONG, "--vfio %s: path too long", spec);
		return 0;
	}
	ret = pci_current_driver(sysfs, spec, drv, sizeof(drv));
	if (ret == -ENODEV)
		return errmsg(err, errlen, ret,
			      "--vfio %s: no such PCI device (lspci -D lists them)", spec);
	if (ret)
		return errmsg(err, errlen, ret, "--vfio %s: cannot read its driver: %s", spec,
			      strerror(-ret));
	if (strcmp(drv, "vfio-pci"))
		return errmsg(err, errlen, -EBUSY,
			      "--vfio %s: bound to %s, not vfio-pci; hand it over first: echo "
			      "vfio-pci > %s/bus/pci/devices/%s/driver_override; echo %s > "
			      "%s/bus/pci/devices/%s/driver/unbind; echo %s > "
			      "%s/bus/pci/drivers_probe",
			      spec, drv[0] ? drv : "no driver", sysfs, spec, spec, sysfs, spec,
			      spec, sysfs);
	ret = vfio_cdev_path_of(sysfs, spec, path, size);
	if (ret)
		return errmsg(err, errlen, ret,
			      "--vfio %s: bound to vfio-pci but has no /dev/vfio/devices cdev (a "
			      "kernel without CONFIG_VFIO_DEVICE_CDEV?)",
			      spec);
	return 0;
}

static void read_region_caps(struct vfio_device *d, struct vfio_region_info *ri, size_t size)
{
	struct vfio_region *r = &d->regions[ri->index];
	uint32_t off = ri->cap_offset;

	for (unsigned int hops = 0;
	     off && off + sizeof(struct vfio_info_cap_header) <= size && hops < 16; hops++) {
		const struct vfio_info_cap_header *h = (const void *)((uint8_t *)ri + off);

		if (h->id == VFIO_REGION_INFO_CAP_MSIX_MAPPABLE)
			r->msix_mappable = true;
		if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP)
			r->sparse = true;
		off = h->next;
	}
}

static int read_info(struct vfio_device *d, char *err, size_t errlen)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	union {
		struct vfio_region_info ri;
		uint8_t bytes[1024];
	} buf;

	if (ioctl(d->fd, VFIO_DEVICE_GET_INFO, &info) < 0)
		return errmsg(err, errlen, -errno, "--vfio %s: VFIO_DEVICE_GET_INFO: %s", d->name,
			      strerror(errno));
	d->flags = info.flags;
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    info.num_regions < VFIO_PCI_CONFIG_REGION_INDEX + 1 ||
	    info.num_irqs < VFIO_PCI_MSIX_IRQ_INDEX + 1)
		return errmsg(err, errlen, -ENODEV, "--vfio %s: not a VFIO PCI device", d->name);
	for (unsigned int i = 0; i < VFIO_PCI_NUM_REGIONS && i < info.num_regions; i++) {
		memset(&buf, 0, sizeof(buf));
		buf.ri.argsz = sizeof(buf);
		buf.ri.index = i;
		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &buf.ri) < 0)
			continue; /* e.g. VGA on a device without it: the region stays empty */
		d->regions[i].flags = buf.ri.flags;
		d->regions[i].size = buf.ri.size;
		d->regions[i].offset = buf.ri.offset;
		if (buf.ri.flags & VFIO_REGION_INFO_FLAG_CAPS)
			read_region_caps(d, &buf.ri, sizeof(buf));
	}
	for (unsigned int i = 0; i < VFIO_PCI_NUM_IRQS && i < info.num_irqs; i++) {
		d->irqs[i] = (struct vfio_irq_info){ .argsz = sizeof(d->irqs[i]), .index = i };
		if (ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, &d->irqs[i]) < 0)
			d->irqs[i].count = 0;
	}
	return 0;
}

int vfio_device_open(struct vfio_device *d, const char *spec, const char *sysfs, int iommufd,
		     char *err, size_t errlen)
{
	char path[PATH_MAX];
	int ret;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	snprintf(d->name, sizeof(d->name), "%s", spec);
	ret = resolve(spec, sysfs, path, sizeof(path), err, errlen);
	if (ret)
		return ret;
	d->fd = vfio_cdev_open(path);
	if (d->fd < 0) {
		ret = d->fd;
		d->fd = -1;
		if (ret == -ENOENT)
			return errmsg(err, errlen, ret,
				      "--vfio %s: no such device (bind the device to vfio-pci; its "
				      "cdev appears in /dev/vfio/devices/)",
				      spec);
		if (ret == -EBUSY)
			return errmsg(err, errlen, ret,
				      "--vfio %s: in use by another process (another VMM?)", spec);
		return errmsg(err, errlen, ret, "--vfio %s: %s", spec, strerror(-ret));
	}
	ret = vfio_cdev_bind_iommufd(d->fd, iommufd, &d->dev_id);
	if (ret) {
		errmsg(err, errlen, ret,
		       "--vfio %s: VFIO_DEVICE_BIND_IOMMUFD: %s (is it a VFIO device cdev, and "
		       "does the kernel have CONFIG_IOMMUFD and CONFIG_VFIO_DEVICE_CDEV?)",
		       spec, strerror(-ret));
		vfio_device_close(d);
		return ret;
	}
	ret = read_info(d, err, errlen);
	if (ret)
		vfio_device_close(d);
	return ret;
}

void vfio_device_close(struct vfio_device *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

int vfio_device_reset(struct vfio_device *d)
{
	if (!(d->flags & VFIO_DEVICE_FLAGS_RESET))
		return -ENOTSUP;
	return ioctl(d->fd, VFIO_DEVICE_RESET) < 0 ? -errno : 0;
}

static int region_check(const struct vfio_device *d, unsigned int index, uint64_t off, size_t len)
{
	if (index >= VFIO_PCI_NUM_REGIONS || off > d->regions[index].size ||
	    len > d->regions[index].size - off)
		return -EINVAL;
	return 0;
}

int vfio_region_read(const struct vfio_device *d, unsigned int index, uint64_t off, void *buf,
		     size_t len)
{
	int ret = region_check(d, index, off, len);

	if (!ret)
		ret = fault_inject(FAULT_VFIO_REGION_READ);
	if (ret)
		return ret;
	if (pread(d->fd, buf, len, d->regions[index].offset + off) != (ssize_t)len)
		return -EIO;
	return 0;
}

int vfio_region_write(const struct vfio_device *d, unsigned int index, uint64_t off,
		      const void *buf, size_t len)
{
	int ret = region_check(d, index, off, len);

	if (!ret)
		ret = fault_inject(FAULT_VFIO_REGION_WRITE);
	if (ret)
		return ret;
	if (pwrite(d->fd, buf, len, d->regions[index].offset + off) != (ssize_t)len)
		return -EIO;
	return 0;
}

void *vfio_region_mmap(const struct vfio_device *d, unsigned int index, uint64_t off, size_t len)
{
	int prot = 0;

	if (region_check(d, index, off, len) ||
	    !(d->regions[index].flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	if (d->regions[index].flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (d->regions[index].flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	return mmap(NULL, len, prot, MAP_SHARED, d->fd, d->regions[index].offset + off);
}

int vfio_device_set_irqs(const struct vfio_device *d, unsigned int index, unsigned int start,
			 unsigned int count, const int *fds)
{
	size_t size = sizeof(struct vfio_irq_set) + count * sizeof(int32_t);
	struct vfio_irq_set *set;
	int ret = fault_inject(FAULT_VFIO_SET_IRQS);

	if (ret)
		return ret;
	set = calloc(1, size);
	if (!set)
		return -ENOMEM;
	set->argsz = size;
	set->index = index;
	set->start = start;
	set->count = count;
	set->flags = VFIO_IRQ_SET_ACTION_TRIGGER |
		     (count ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE);
	for (unsigned int i = 0; i < count; i++)
		((int32_t *)set->data)[i] = fds[i];
	if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, set) < 0)
		ret = -errno;
	free(set);
	return ret;
}
