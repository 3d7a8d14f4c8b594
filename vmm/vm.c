// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fault_inject.h"
#include "kvm.h"
#include "layout.h"
#include "log.h"
#include "util.h"
#include "vcpu.h"
#include "vm.h"

static void vm_irq_set_level(struct irq_sink *sink, unsigned int gsi, bool level)
{
	struct vm *vm = container_of(sink, struct vm, irq);
	struct kvm_irq_level line = { .irq = gsi, .level = level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &line) < 0)
		pr_err("KVM_IRQ_LINE gsi %u: %s", gsi, strerror(errno));
}

static void vm_ctl_request_stop(struct vm_control *ctl, enum vm_stop_reason reason)
{
	vm_request_stop(container_of(ctl, struct vm, ctl), reason);
}

/* The first stop wins: its reason (and signal) stay; later requests change nothing. */
static void vm_stop_first(struct vm *vm, enum vm_stop_reason reason, int signo)
{
	uint64_t one = 1;
	bool first;

	pthread_mutex_lock(&vm->lock);
	first = !__atomic_load_n(&vm->stopping, __ATOMIC_RELAXED);
	if (first) {
		vm->stop_reason = reason;
		vm->stop_signal = signo;
		/* Release: a vCPU that sees it also sees the reason. */
		__atomic_store_n(&vm->stopping, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vm->lock);
	if (first && write(vm->stop_fd, &one, sizeof(one)) < 0)
		pr_err("cannot signal the stop: %s", strerror(errno));
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason)
{
	vm_stop_first(vm, reason, 0);
}

void vm_request_stop_signal(struct vm *vm, int signo)
{
	vm_stop_first(vm, VM_STOP_SIGNAL, signo);
}

bool vm_stopping(struct vm *vm)
{
	return __atomic_load_n(&vm->stopping, __ATOMIC_ACQUIRE);
}

enum vm_stop_reason vm_stop_reason(struct vm *vm, int *signo)
{
	enum vm_stop_reason reason;

	pthread_mutex_lock(&vm->lock);
	reason = vm->stop_reason;
	*signo = vm->stop_signal;
	pthread_mutex_unlock(&vm->lock);
	return reason;
}

/*
 * RAM is one anonymous mapping, split around the MMIO hole below 4 GiB into at most two
 * memory slots. 2 MiB alignment and MADV_HUGEPAGE let THP back it with huge pages.
 */
static int vm_setup_memory(struct vm *vm, uint64_t size)
{
	uint64_t low = size < MMIO_HOLE_GPA ? size : MMIO_HOLE_GPA;
	uint64_t align = 2ULL << 20, high = size - low;
	uint8_t *map;
	int ret;

	map = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED) {
		pr_err("cannot reserve %llu MiB for guest RAM: %s", (unsigned long long)size >> 20,
		       strerror(errno));
		return -errno;
	}
	vm->ram = map;
	vm->ram_size = size + align;
	map = (uint8_t *)(((uintptr_t)map + align - 1) & ~(align - 1));
	madvise(map, size, MADV_HUGEPAGE);

	vm->mem.regions[vm->mem.count++] = (struct gmem_region){ 0, low, map };
	if (high)
		vm->mem.regions[vm->mem.count++] =
		    (struct gmem_region){ MMIO_HOLE_END, high, map + low };
	for (unsigned int i = 0; i < vm->mem.count; i++) {
		const struct gmem_region *r = &vm->mem.regions[i];

		ret = kvm_set_user_memory(vm->vm_fd, i, r->gpa, r->hva, r->size);
		if (ret) {
			pr_err("KVM_SET_USER_MEMORY_REGION %u (%llu MiB at %#llx): %s", i,
			       (unsigned long long)r->size >> 20, (unsigned long long)r->gpa,
			       strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int vm_ioctl(struct vm *vm, unsigned long req, unsigned long arg, const char *what)
{
	if (ioctl(vm->vm_fd, req, arg) < 0) {
		pr_err("%s: %s (is the KVM module too old?)", what, strerror(errno));
		return -errno;
	}
	return 0;
}

static int vm_setup_irqchip(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t identity = KVM_IDENTITY_MAP_GPA;
	int ret;

	/* Intel needs a TSS and an identity-map page in guest space; AMD accepts them. */
	ret = vm_ioctl(vm, KVM_SET_TSS_ADDR, KVM_TSS_GPA, "KVM_SET_TSS_ADDR");
	if (!ret)
		ret = vm_ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, (unsigned long)&identity,
			       "KVM_SET_IDENTITY_MAP_ADDR");
	if (!ret)
		ret = vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP");
	if (!ret)
		ret = vm_ioctl(vm, KVM_CREATE_PIT2, (unsigned long)&pit, "KVM_CREATE_PIT2");
	return ret;
}

int vm_create(struct vm *vm, uint64_t ram_size, unsigned int ncpus)
{
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->stop_fd = -1;
	vm->pio.name = "pio";
	vm->mmio.name = "mmio";
	vm->irq.set_level = vm_irq_set_level;
	vm->ctl.request_stop = vm_ctl_request_stop;
	vm->ncpus = ncpus;
	pthread_mutex_init(&vm->lock, NULL);

	vm->kvm_fd = kvm_open(NULL);
	if (vm->kvm_fd < 0) {
		ret = vm->kvm_fd;
		pr_err("%s: %s: %s", KVM_PATH, strerror(-ret), kvm_open_hint(ret));
		return ret;
	}
	ret = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (ret > 0 && ncpus > (unsigned int)ret) {
		pr_err("--cpus %u: this KVM allows at most %d vCPUs", ncpus, ret);
		return -EINVAL;
	}
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
		pr_err("KVM lacks KVM_CAP_IMMEDIATE_EXIT (Linux 4.11+ needed)");
		return -ENOTSUP;
	}
	vm->vm_fd = kvm_create_vm(vm->kvm_fd);
	if (vm->vm_fd < 0) {
		pr_err("KVM_CREATE_VM: %s (see dmesg)", strerror(-vm->vm_fd));
		return vm->vm_fd;
	}
	msi_routes_init(&vm->msi, vm->vm_fd);
	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_fd < 0)
		return -errno;
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0) {
		pr_err("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -errno;
	}
	ret = vm_setup_irqchip(vm);
	if (!ret)
		ret = vm_setup_memory(vm, ram_size);
	return ret;
}

static void irqfd_set_level(struct irq_sink *sink, unsigned int gsi, bool level)
{
	struct irqfd_sink *s = container_of(sink, struct irqfd_sink, sink);
	uint64_t one = 1;

	(void)gsi;
	if (level && write(s->fd, &one, sizeof(one)) < 0)
		pr_err("irqfd: cannot signal: %s", strerror(errno));
}

int vm_add_irqfd(struct vm *vm, unsigned int gsi, int fd)
{
	struct kvm_irqfd irqfd = { .gsi = gsi, .fd = fd };
	int ret = fault_inject(FAULT_KVM_IRQFD);

	if (!ret && ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		ret = -errno;
	return ret;
}

int vm_irqfd_sink_init(struct vm *vm, struct irqfd_sink *s, unsigned int gsi)
{
	int ret;

	s->sink.set_level = irqfd_set_level;
	s->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->fd < 0)
		return -errno;
	ret = vm_add_irqfd(vm, gsi, s->fd);
	if (ret) {
		pr_err("KVM_IRQFD for GSI %u: %s", gsi, strerror(-ret));
		close(s->fd);
		s->fd = -1;
	}
	return ret;
}

/* Slots below this one hold RAM (GMEM_MAX_REGIONS at most). */
#define DEVICE_SLOT_FIRST 8

int vm_map_device_memory(struct vm *vm, uint64_t gpa, void *hva, uint64_t size)
{
	unsigned int slot = DEVICE_SLOT_FIRST + vm->next_device_slot;
	int ret = kvm_set_user_memory(vm->vm_fd, slot, gpa, hva, size);

	if (ret) {
		pr_err("KVM_SET_USER_MEMORY_REGION %u (device memory, %#llx bytes at %#llx): %s",
		       slot, (unsigned long long)size, (unsigned long long)gpa, strerror(-ret));
		return ret;
	}
	vm->next_device_slot++;
	return (int)slot;
}

int vm_switch_device_memory(struct vm *vm, int slot, uint64_t gpa, void *hva, uint64_t size,
			    bool on)
{
	int ret = kvm_set_user_memory(vm->vm_fd, (unsigned int)slot, gpa, hva, on ? size : 0);

	if (ret)
		pr_err("KVM_SET_USER_MEMORY_REGION %d (device memory at %#llx %s): %s", slot,
		       (unsigned long long)gpa, on ? "back in" : "out", strerror(-ret));
	return ret;
}

void vm_irqfd_sink_destroy(struct irqfd_sink *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int vm_add_ioeventfd(struct vm *vm, uint64_t addr, uint32_t value, int fd)
{
	struct kvm_ioeventfd ioev = {
		.datamatch = value,
		.addr = addr,
		.len = 4,
		.fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};

	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &ioev) < 0 ? -errno : 0;
}

void vm_kick_vcpus(struct vm *vm)
{
	for (unsigned int i = 0; vm->vcpus && i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}

void vm_destroy(struct vm *vm)
{
	for (unsigned int i = 0; vm->vcpus && i < vm->ncpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	free(vm->cpuid);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	bus_free(&vm->pio);
	bus_free(&vm->mmio);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	if (vm->vm_fd >= 0) {
		msi_routes_destroy(&vm->msi);
		close(vm->vm_fd);
	}
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	pthread_mutex_destroy(&vm->lock);
	memset(vm, 0, sizeof(*vm));
}
