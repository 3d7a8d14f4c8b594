// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfio_sysfs.h"

bool pci_bdf_valid(const char *bdf)
{
	/* DDDD:BB:DD.F, hex digits, 12 characters: what sysfs names devices by. */
	static const char shape[] = "xxxx:xx:xx.x";

	if (strlen(bdf) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] == 'x' ? !isxdigit((unsigned char)bdf[i]) : bdf[i] != shape[i])
			return false;
	}
	return true;
}

static int device_dir(const char *sysfs, const char *bdf, char *dir, size_t size)
{
	struct stat st;

	if (!pci_bdf_valid(bdf))
		return -EINVAL;
	if (snprintf(dir, size, "%s/bus/pci/devices/%s", sysfs, bdf) >= (int)size)
		return -ENAMETOOLONG;
	return stat(dir, &st) ? -ENODEV : 0;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	err = n < 0 ? -errno : (size_t)n != strlen(text) ? -EIO : 0;
	close(fd);
	return err;
}

int pci_current_driver(const char *sysfs, const char *bdf, char *drv, size_t size)
{
	char dir[PATH_MAX], link[PATH_MAX + 8], target[PATH_MAX];
	const char *base;
	ssize_t n;
	int ret;

	ret = device_dir(sysfs, bdf, dir, sizeof(dir));
	if (ret)
		return ret;
	snprintf(link, sizeof(link), "%s/driver", dir);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		n = 0;
	}
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= size)
		return -ENAMETOOLONG;
	strcpy(drv, base);
	return 0;
}

int vfio_cdev_path_of(const char *sysfs, const char *bdf, char *path, size_t size)
{
	char dir[PATH_MAX], vdir[PATH_MAX + 16];
	struct dirent *de;
	DIR *d;
	int ret;

	ret = device_dir(sysfs, bdf, dir, sizeof(dir));
	if (ret)
		return ret;
	snprintf(vdir, sizeof(vdir), "%s/vfio-dev", dir);
	d = opendir(vdir);
	if (!d)
		return -ENOENT;
	ret = -ENOENT;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "vfio", 4) || !isdigit((unsigned char)de->d_name[4]))
			continue;
		ret = snprintf(path, size, "/dev/vfio/devices/%s", de->d_name) >= (int)size
			  ? -ENAMETOOLONG
			  : 0;
		break;
	}
	closedir(d);
	return ret;
}

int vfio_pci_take(const char *sysfs, const char *bdf)
{
	char dir[PATH_MAX], file[PATH_MAX + 32], drv[64];
	int ret;

	ret = pci_current_driver(sysfs, bdf, drv, sizeof(drv));
	if (ret)
		return ret;
	if (!strcmp(drv, "vfio-pci"))
		return 0;
	device_dir(sysfs, bdf, dir, sizeof(dir));

	snprintf(file, sizeof(file), "%s/driver_override", dir);
	ret = write_file(file, "vfio-pci");
	if (ret)
		return ret;
	if (drv[0]) {
		snprintf(file, sizeof(file), "%s/driver/unbind", dir);
		ret = write_file(file, bdf);
		if (ret)
			return ret;
	}
	snprintf(file, sizeof(file), "%s/bus/pci/drivers_probe", sysfs);
	ret = write_file(file, bdf);
	if (ret)
		return ret;

	ret = pci_current_driver(sysfs, bdf, drv, sizeof(drv));
	if (ret)
		return ret;
	return strcmp(drv, "vfio-pci") ? -ENXIO : 0;
}
