/* SPDX-License-Identifier: GPL-2.0 */
/* /dev/kvm: opening it, and the VM and vCPU file descriptors. Returns 0/fd or -errno. */
#ifndef NESTVM_KVM_H
#define NESTVM_KVM_H

#include <linux/kvm.h>

#define KVM_PATH "/dev/kvm"

/* Opens @path (NULL: /dev/kvm) and checks the API version; -EPROTO when it is not 12. */
int kvm_open(const char *path);
/* The fix to print after a failed kvm_open(): names what to load or where to run instead. */
const char *kvm_open_hint(int err);

int kvm_create_vm(int kvm_fd);
int kvm_create_vcpu(int vm_fd, unsigned int index);
/* Maps the vCPU's kvm_run page (the size KVM_GET_VCPU_MMAP_SIZE says); NULL + errno on error. */
struct kvm_run *kvm_map_run(int kvm_fd, int vcpu_fd, size_t *size);
int kvm_set_user_memory(int vm_fd, unsigned int slot, unsigned long long gpa, void *hva,
			unsigned long long size);

#endif
