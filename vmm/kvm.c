// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm.h"

int kvm_open(const char *path)
{
	int fd = open(path ? path : KVM_PATH, O_RDWR | O_CLOEXEC);
	int version;

	if (fd < 0)
		return -errno;
	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		close(fd);
		return version < 0 ? -errno : -EPROTO;
	}
	return fd;
}

const char *kvm_open_hint(int err)
{
	switch (err) {
	case -ENOENT:
	case -ENODEV:
	case -ENXIO:
		return "this host has no KVM: load kvm_intel or kvm_amd (and enable VT-x/AMD-V), "
		       "or run nestvm in the project's test host: tools/testhost/run mock -- nestvm run ...";
	case -EACCES:
	case -EPERM:
		return "no permission: add yourself to the 'kvm' group or run as root";
	case -EPROTO:
		return "the kernel speaks another KVM API version than 12";
	default:
		return "see dmesg for what KVM said";
	}
}

int kvm_create_vm(int kvm_fd)
{
	int fd;

	/* EINTR here is documented for busy hosts: retry as the kernel asks. */
	do {
		fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	} while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

int kvm_create_vcpu(int vm_fd, unsigned int index)
{
	int fd = ioctl(vm_fd, KVM_CREATE_VCPU, index);

	return fd < 0 ? -errno : fd;
}

struct kvm_run *kvm_map_run(int kvm_fd, int vcpu_fd, size_t *size)
{
	int len = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	void *run;

	if (len < 0)
		return NULL;
	run = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
	if (run == MAP_FAILED)
		return NULL;
	*size = len;
	return run;
}

int kvm_set_user_memory(int vm_fd, unsigned int slot, unsigned long long gpa, void *hva,
			unsigned long long size)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0 ? -errno : 0;
}
