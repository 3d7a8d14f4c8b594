// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <stdio.h>
#include <unistd.h>

#include "boot/boot.h"
#include "kvm.h"
#include "log.h"
#include "seccomp.h"
#include "vcpu.h"
#include "vm.h"

#define X86_CR0_PE (1ULL << 0)
#define X86_CR0_ET (1ULL << 4)
#define X86_CR0_NE (1ULL << 5)
#define X86_CR0_PG (1ULL << 31)
#define X86_CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

int vcpu_create(struct vm *vm, struct vcpu *vcpu, unsigned int index)
{
	struct kvm_cpuid2 *cpuid;
	size_t size;
	int ret;

	vcpu->vm = vm;
	vcpu->index = index;
	snprintf(vcpu->name, sizeof(vcpu->name), "vcpu%u", index);
	vcpu->fd = kvm_create_vcpu(vm->vm_fd, index);
	if (vcpu->fd < 0) {
		pr_err("KVM_CREATE_VCPU %u: %s", index, strerror(-vcpu->fd));
		return vcpu->fd;
	}
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		pr_err("vCPU %u: mmap of kvm_run: %s", index, strerror(errno));
		return -errno;
	}

	size = sizeof(*cpuid) + vm->cpuid->nent * sizeof(cpuid->entries[0]);
	cpuid = malloc(size);
	if (!cpuid)
		return -ENOMEM;
	memcpy(cpuid, vm->cpuid, size);
	cpuid_patch(cpuid, index, vm->ncpus);
	ret = ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0 ? -errno : 0;
	free(cpuid);
	if (ret) {
		pr_err("vCPU %u: KVM_SET_CPUID2: %s", index, strerror(-ret));
		return ret;
	}

	/* Application processors wait for INIT/SIPI from the boot CPU's local APIC. */
	if (index) {
		struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_UNINITIALIZED };

		if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0) {
			pr_err("vCPU %u: KVM_SET_MP_STATE: %s", index, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static void set_segment(struct kvm_segment *s, uint16_t sel, bool code, bool longmode)
{
	*s = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = code ? 0xb : 0x3, /* execute/read accessed, or read/write accessed */
		.present = 1,
		.s = 1,
		.g = 1,
		.db = longmode && code ? 0 : 1,
		.l = longmode && code,
	};
}

int vcpu_set_boot_state(struct vcpu *vcpu, const struct boot_entry *entry)
{
	bool lm = entry->mode == BOOT_LINUX_64;
	struct kvm_regs regs = { .rflags = 0x2, .rip = entry->rip };
	struct kvm_sregs sregs;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	set_segment(&sregs.cs, entry->code_sel, true, lm);
	set_segment(&sregs.ds, entry->data_sel, false, lm);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = entry->gdt_gpa;
	sregs.gdt.limit = entry->gdt_limit;
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	if (lm) {
		sregs.cr0 |= X86_CR0_PG;
		sregs.cr3 = entry->cr3;
		sregs.cr4 |= X86_CR4_PAE;
		sregs.efer |= EFER_LME | EFER_LMA;
		regs.rsi = entry->arg;
	} else {
		regs.rbx = entry->arg;
	}
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

/* Where the vCPU stands: an error line, or a plain one (@error false) for the guest's doing. */
static void vcpu_report_as(struct vcpu *vcpu, const char *what, bool error)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) || ioctl(vcpu->fd, KVM_GET_SREGS, &s)) {
		log_msg(error ? "error" : NULL, "vCPU %u: %s", vcpu->index, what);
		return;
	}
	log_msg(error ? "error" : NULL,
		"vCPU %u: %s at rip %#llx (rsp %#llx cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx "
		"efer %#llx)",
		vcpu->index, what, r.rip, r.rsp, s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
}

static void vcpu_report(struct vcpu *vcpu, const char *what)
{
	vcpu_report_as(vcpu, what, true);
}

/*
 * A triple fault: where it happened is what a kernel developer needs first. On AMD, KVM
 * resets the vCPU on the way out (the VMCB is undefined after a shutdown), so what it would
 * show is the reset state: say that instead.
 */
static void vcpu_report_shutdown(struct vcpu *vcpu)
{
	struct kvm_sregs s;

	if (!ioctl(vcpu->fd, KVM_GET_SREGS, &s) && !(s.cr0 & X86_CR0_PE) && s.cs.base == 0xffff0000)
		pr_info("vCPU %u: shutdown (a triple fault); KVM reset the vCPU, so where it "
			"happened is gone",
			vcpu->index);
	else
		vcpu_report_as(vcpu, "shutdown (a triple fault)", false);
}

/* Stopped from outside (a signal, Ctrl-A x): where the guest was, for a guest that hung. */
static void vcpu_report_stop(struct vcpu *vcpu)
{
	int signo;

	if (vm_stop_reason(vcpu->vm, &signo) == VM_STOP_SIGNAL)
		vcpu_report_as(vcpu, "stopped", false);
}

static void vcpu_handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	/* A string instruction (rep outsb) comes as count accesses of one size. */
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		bool hit = run->io.direction == KVM_EXIT_IO_OUT
			       ? bus_write(&vcpu->vm->pio, run->io.port, data, run->io.size)
			       : bus_read(&vcpu->vm->pio, run->io.port, data, run->io.size);

		if (!hit)
			pr_debug("vCPU %u: unclaimed port %s %#x/%u", vcpu->index,
				 run->io.direction == KVM_EXIT_IO_OUT ? "write" : "read",
				 run->io.port, run->io.size);
	}
}

static void vcpu_handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	bool hit =
	    run->mmio.is_write
		? bus_write(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len)
		: bus_read(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len);

	if (!hit)
		pr_debug("vCPU %u: unclaimed MMIO %s %#llx/%u", vcpu->index,
			 run->mmio.is_write ? "write" : "read", run->mmio.phys_addr, run->mmio.len);
}

/* Handles one exit; returns false when the vCPU must stop. */
static bool vcpu_handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(vcpu);
		return true;
	case KVM_EXIT_MMIO:
		vcpu_handle_mmio(vcpu);
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vm_request_stop(vm, VM_STOP_POWEROFF);
			break;
		case KVM_SYSTEM_EVENT_CRASH:
			vm_request_stop(vm, VM_STOP_PANIC);
			break;
		default:
			vm_request_stop(vm, VM_STOP_RESET);
			break;
		}
		return false;
	case KVM_EXIT_SHUTDOWN:
		vcpu_report_shutdown(vcpu);
		vm_request_stop(vm, VM_STOP_RESET);
		return false;
	case KVM_EXIT_HLT:
		vcpu_report(vcpu, "halted with the in-kernel irqchip off");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		pr_err("vCPU %u: KVM could not enter the guest (hardware reason %#llx)",
		       vcpu->index, run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_report(vcpu, "KVM internal error");
		pr_err("vCPU %u: KVM internal error, suberror %u", vcpu->index,
		       run->internal.suberror);
		break;
	default:
		vcpu_report(vcpu, "unexpected exit");
		pr_err("vCPU %u: unexpected KVM exit reason %u", vcpu->index, run->exit_reason);
		break;
	}
	vm_request_stop(vm, VM_STOP_ERROR);
	return false;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	if (seccomp_install(SECCOMP_VCPU, vcpu->name)) {
		vm_request_stop(vm, VM_STOP_ERROR);
		return NULL;
	}
	seccomp_selftest_point(SECCOMP_VCPU);

	while (!vm_stopping(vm)) {
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/* A kick: clear it; the loop condition says whether to stop. */
				vcpu->run->immediate_exit = 0;
				continue;
			}
			pr_err("vCPU %u: KVM_RUN: %s", vcpu->index, strerror(errno));
			vm_request_stop(vm, VM_STOP_ERROR);
			break;
		}
		if (!vcpu_handle_exit(vcpu))
			break;
	}
	vcpu_report_stop(vcpu);
	return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
	int ret = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);

	if (ret) {
		pr_err("vCPU %u: cannot start its thread: %s", vcpu->index, strerror(ret));
		return -ret;
	}
	vcpu->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	if (!vcpu->started)
		return;
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_kill(vcpu->thread, SIGUSR1);
}

void vcpu_join(struct vcpu *vcpu)
{
	if (vcpu->started)
		pthread_join(vcpu->thread, NULL);
	vcpu->started = false;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	vcpu_join(vcpu);
	if (vcpu->run)
		munmap(vcpu->run, vcpu->vm->run_size);
	if (vcpu->fd > 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}
