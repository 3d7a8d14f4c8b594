// SPDX-License-Identifier: GPL-2.0
/*
 * KVM works here: open /dev/kvm, create a VM and a vCPU, run a few real-mode instructions
 * (an OUT to a port, then HLT) and see both exits arrive with the right data.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/kvm.h"
#include "expect.h"

#define GUEST_MEM (64 << 10)
#define CODE_GPA 0x1000
#define TEST_PORT 0x10

int main(void)
{
	/* mov al, 0x42; out 0x10, al; hlt */
	static const uint8_t code[] = { 0xb0, 0x42, 0xe6, TEST_PORT, 0xf4 };
	int fds_before = count_open_fds();
	struct kvm_regs regs = { .rip = CODE_GPA, .rflags = 0x2 };
	struct kvm_sregs sregs;
	struct kvm_run *run;
	int kvm, vm, vcpu, ret;
	size_t run_size;
	uint8_t *mem;

	setvbuf(stdout, NULL, _IOLBF, 0);
	kvm = kvm_open(NULL);
	REQUIRE(kvm >= 0, "open %s (%s)", KVM_PATH, kvm < 0 ? kvm_open_hint(kvm) : "API 12");
	vm = kvm_create_vm(kvm);
	REQUIRE(vm >= 0, "KVM_CREATE_VM (%s)", vm < 0 ? strerror(-vm) : "ok");
	EXPECT(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) > 0, "KVM_CAP_USER_MEMORY");
	EXPECT(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) > 0, "KVM_CAP_IOEVENTFD");
	EXPECT(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) > 0, "KVM_CAP_IRQFD");

	mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(mem != MAP_FAILED, "guest memory");
	memcpy(mem + CODE_GPA, code, sizeof(code));
	ret = kvm_set_user_memory(vm, 0, 0, mem, GUEST_MEM);
	REQUIRE(!ret, "KVM_SET_USER_MEMORY_REGION (%s)", strerror(-ret));

	vcpu = kvm_create_vcpu(vm, 0);
	REQUIRE(vcpu >= 0, "KVM_CREATE_VCPU (%s)", vcpu < 0 ? strerror(-vcpu) : "ok");
	run = kvm_map_run(kvm, vcpu, &run_size);
	REQUIRE(run, "mmap kvm_run");

	REQUIRE(!ioctl(vcpu, KVM_GET_SREGS, &sregs), "KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	REQUIRE(!ioctl(vcpu, KVM_SET_SREGS, &sregs), "KVM_SET_SREGS");
	REQUIRE(!ioctl(vcpu, KVM_SET_REGS, &regs), "KVM_SET_REGS");

	ret = ioctl(vcpu, KVM_RUN, 0);
	REQUIRE(ret == 0, "KVM_RUN returns (%s)", ret ? strerror(errno) : "ok");
	EXPECT(run->exit_reason == KVM_EXIT_IO, "first exit is KVM_EXIT_IO (got %u)",
	       run->exit_reason);
	if (run->exit_reason == KVM_EXIT_IO) {
		uint8_t val = *((uint8_t *)run + run->io.data_offset);

		EXPECT(run->io.direction == KVM_EXIT_IO_OUT && run->io.port == TEST_PORT &&
			   run->io.size == 1 && val == 0x42,
		       "guest wrote 0x42 to port %#x (got port %#x size %u value %#x)", TEST_PORT,
		       run->io.port, run->io.size, val);
	}
	ret = ioctl(vcpu, KVM_RUN, 0);
	EXPECT(ret == 0 && run->exit_reason == KVM_EXIT_HLT, "second exit is KVM_EXIT_HLT (got %u)",
	       run->exit_reason);

	munmap(run, run_size);
	munmap(mem, GUEST_MEM);
	close(vcpu);
	close(vm);
	close(kvm);
	EXPECT(count_open_fds() == fds_before, "no fd leaked (%d open, %d before)",
	       count_open_fds(), fds_before);
	return expect_exit();
}
