/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A KVM virtual machine: its memory, in-kernel irqchip and PIT, buses, vCPUs, and the one
 * way it stops (vm_request_stop, from any thread; the first reason wins).
 */
#ifndef NESTVM_VM_H
#define NESTVM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "gmem.h"
#include "msi_routes.h"

struct vcpu;
struct kvm_cpuid2;

struct vm {
	int kvm_fd, vm_fd;
	struct gmem mem;
	void *ram; /* one mapping backs all RAM regions */
	uint64_t ram_size; /* what the user asked for */
	struct bus pio, mmio;
	struct irq_sink irq;
	struct vm_control ctl;
	struct msi_routes msi; /* MSI routes of passthrough vectors */
	unsigned int next_device_slot; /* memory slots for mmap'd device memory */

	unsigned int ncpus;
	struct vcpu *vcpus;
	struct kvm_cpuid2 *cpuid; /* what KVM supports; patched per vCPU */
	int run_size; /* bytes of each vCPU's kvm_run mapping */

	/*
	 * Stop state: written once, by the first stop request, under @lock, and signalled
	 * through @stop_fd (an eventfd). @stopping is also atomic (read without the lock by
	 * vm_stopping()); the others are read under @lock (vm_stop_reason()).
	 */
	pthread_mutex_t lock;
	bool stopping;
	enum vm_stop_reason stop_reason;
	int stop_signal; /* for VM_STOP_SIGNAL */
	int stop_fd;
};

/* Opens KVM and builds the VM with @ram_size bytes of RAM; messages printed here. */
int vm_create(struct vm *vm, uint64_t ram_size, unsigned int ncpus);
void vm_destroy(struct vm *vm);

/*
 * An edge-triggered interrupt line through a KVM irqfd: a rising level pulses the GSI with
 * one eventfd write (no ioctl, no exit), a falling one does nothing. For devices whose
 * driver reads and acknowledges a status register, as virtio-mmio's does.
 */
struct irqfd_sink {
	struct irq_sink sink;
	int fd;
};

int vm_irqfd_sink_init(struct vm *vm, struct irqfd_sink *s, unsigned int gsi);
void vm_irqfd_sink_destroy(struct irqfd_sink *s);

/* Makes every signal of eventfd @fd inject GSI @gsi, without an exit to us. 0 or -errno. */
int vm_add_irqfd(struct vm *vm, unsigned int gsi, int fd);

/*
 * Maps @size bytes of device memory (a VFIO BAR's mmap) at @gpa in a memory slot of its own,
 * so the guest reaches the device without exits. Setup time only. The slot, or -errno.
 */
int vm_map_device_memory(struct vm *vm, uint64_t gpa, void *hva, uint64_t size);
/*
 * Takes device memory slot @slot (mapped as above) out of the guest, so its accesses exit as
 * unclaimed MMIO, or puts it back (@on). Any thread. 0 or -errno.
 */
int vm_switch_device_memory(struct vm *vm, int slot, uint64_t gpa, void *hva, uint64_t size,
			    bool on);

/* Any thread; the first request wins, later ones change nothing. */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason);
/* The same for a stop by signal @signo (its status is 128 + @signo). */
void vm_request_stop_signal(struct vm *vm, int signo);
/* Whether a stop was asked for; any thread, no lock. */
bool vm_stopping(struct vm *vm);
/* The first request's reason, and its signal (0 unless VM_STOP_SIGNAL). */
enum vm_stop_reason vm_stop_reason(struct vm *vm, int *signo);
/* Makes KVM signal eventfd @fd, without an exit to us, when the guest writes @value as a
 * 4-byte MMIO write to @addr. Returns 0 or -errno. */
int vm_add_ioeventfd(struct vm *vm, uint64_t addr, uint32_t value, int fd);
/* Kicks every vCPU out of KVM_RUN so its thread notices the stop. */
void vm_kick_vcpus(struct vm *vm);

#endif
