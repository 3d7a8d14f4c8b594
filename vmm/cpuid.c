// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID for the guest: what KVM supports, plus the per-vCPU facts only we know (APIC id,
 * how many CPUs share the package) and the hypervisor bit. KVM fills its own leaves
 * (0x40000000: "KVMKVMKVM", 0x40000001: paravirt features such as kvmclock).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "vcpu.h"

struct kvm_cpuid2 *cpuid_supported(int kvm_fd)
{
	for (unsigned int n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = n;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c))
			return c;
		free(c);
		if (errno != E2BIG)
			return NULL;
	}
	return NULL;
}

static unsigned int bits_for(unsigned int n)
{
	unsigned int b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

void cpuid_patch(struct kvm_cpuid2 *cpuid, unsigned int index, unsigned int ncpus)
{
	unsigned int shift = bits_for(ncpus);

	for (unsigned int i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		switch (e->function) {
		case 1:
			/* APIC id, logical CPUs per package, HTT, and "running on a hypervisor". */
			e->ebx = (index << 24) | (ncpus << 16) | (e->ebx & 0xffff);
			e->ecx |= 1u << 31;
			if (ncpus > 1)
				e->edx |= 1u << 28;
			break;
		case 4:
			/* Intel: cores per package - 1 in EAX[31:26]; one thread per core. */
			e->eax = (e->eax & 0x3ff) | ((ncpus - 1) << 26);
			break;
		case 0xb:
		case 0x1f:
			/* x2APIC topology: level 0 SMT (1 thread), level 1 core (all vCPUs). */
			e->edx = index;
			if (e->index == 0) {
				e->eax = 0;
				e->ebx = 1;
				e->ecx = 1 << 8;
			} else if (e->index == 1) {
				e->eax = shift;
				e->ebx = ncpus;
				e->ecx = 1 | (2 << 8);
			} else {
				e->eax = e->ebx = 0;
				e->ecx = e->index;
			}
			break;
		case 0x80000008:
			/* AMD: APIC id width and cores per package - 1. */
			e->ecx = (e->ecx & ~0xf0ffu) | (shift << 12) | (ncpus - 1);
			break;
		}
	}
}
