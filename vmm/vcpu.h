/* SPDX-License-Identifier: GPL-2.0 */
/* A vCPU: its fd, its kvm_run page, its thread and exit loop. */
#ifndef NESTVM_VCPU_H
#define NESTVM_VCPU_H

#include <pthread.h>
#include <stdbool.h>

struct vm;
struct boot_entry;
struct kvm_run;

struct vcpu {
	struct vm *vm;
	unsigned int index;
	char name[16]; /* "vcpuN", for messages; lives as long as the thread */
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
};

/* Creates vCPU @index with its CPUID (APIC id, topology) and, for APs, wait-for-SIPI state. */
int vcpu_create(struct vm *vm, struct vcpu *vcpu, unsigned int index);
/* Puts the boot vCPU into the state the loader asked for. */
int vcpu_set_boot_state(struct vcpu *vcpu, const struct boot_entry *entry);
/* Starts the thread: installs its seccomp filter, then runs KVM_RUN until the VM stops. */
int vcpu_start(struct vcpu *vcpu);
void vcpu_kick(struct vcpu *vcpu);
void vcpu_join(struct vcpu *vcpu);
void vcpu_destroy(struct vcpu *vcpu);

/* KVM's supported CPUID, patched for vCPU @index of @ncpus (cpuid.c). */
struct kvm_cpuid2 *cpuid_supported(int kvm_fd);
void cpuid_patch(struct kvm_cpuid2 *cpuid, unsigned int index, unsigned int ncpus);

#endif
