// SPDX-License-Identifier: GPL-2.0
/*
 * The machine's lifecycle: load the kernel and initrd, build the VM (the devices are wired in
 * machine_devices.c, what the guest boots with is written by machine_boot.c), start the vCPU
 * threads and the io loop; then the wait for the stop, the exit status, and the orderly
 * teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdcheck.h"
#include "initramfs.h"
#include "log.h"
#include "machine.h"
#include "machine_internal.h"
#include "seccomp.h"
#include "vcpu.h"

static void *read_whole_file(const char *what, const char *path, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	size_t done = 0;

	if (fd < 0) {
		pr_err("%s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		pr_err("%s %s: not a regular, non-empty file", what, path);
		goto out;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		pr_err("%s %s: no memory for %lld bytes", what, path, (long long)st.st_size);
		goto out;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n <= 0) {
			pr_err("%s %s: read failed: %s", what, path,
			       n ? strerror(errno) : "short file");
			free(buf);
			buf = NULL;
			goto out;
		}
		done += n;
	}
	*size = done;
out:
	close(fd);
	return buf;
}

static void com1_input(void *opaque, const uint8_t *buf, size_t len)
{
	size_t taken = serial_receive(opaque, buf, len);

	if (taken < len)
		pr_debug("console: UART FIFO full, %zu bytes dropped", len - taken);
}

static void vcon_input(void *opaque, const uint8_t *buf, size_t len)
{
	size_t taken = virtio_console_receive(opaque, buf, len);

	if (taken < len)
		pr_debug("console: virtio-console full, %zu bytes dropped", len - taken);
}

static int machine_create_vcpus(struct machine *m)
{
	struct vm *vm = &m->vm;
	int ret = 0;

	vm->cpuid = cpuid_supported(vm->kvm_fd);
	if (!vm->cpuid) {
		ret = -errno; /* before pr_err() can change it */
		pr_err("KVM_GET_SUPPORTED_CPUID: %s", strerror(-ret));
		return ret;
	}
	vm->vcpus = calloc(vm->ncpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	for (unsigned int i = 0; i < vm->ncpus; i++)
		vm->vcpus[i].fd = -1;
	for (unsigned int i = 0; i < vm->ncpus && !ret; i++)
		ret = vcpu_create(vm, &vm->vcpus[i], i);
	return ret;
}

static void kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

/*
 * Signals: SIGINT/SIGTERM/SIGHUP are blocked in every thread and read from a signalfd by the
 * main thread while it waits for the stop (machine_wait): not by the io loop, so that they
 * stop the VM even after another thread died. SIGUSR1 (the vCPU kick) is blocked everywhere
 * but in vCPU threads.
 */
static int machine_setup_signals(struct machine *m)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	sigset_t stop, all;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	all = stop;
	sigaddset(&all, SIGUSR1);
	if (sigaction(SIGUSR1, &sa, NULL) < 0 || pthread_sigmask(SIG_BLOCK, &all, NULL))
		return -errno;
	m->signal_fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	return m->signal_fd < 0 ? -errno : 0;
}

static int machine_start(struct machine *m)
{
	int ret = ioloop_init(&m->loop);

	for (unsigned int i = 0; i < m->ndisks && !ret; i++)
		virtio_blk_use_loop(&m->disks[i], &m->loop);
	if (!ret)
		ioloop_stop_vm_on_death(&m->loop, &m->vm.ctl);
	if (!ret && m->has_net)
		ret = ioloop_watch(&m->loop, m->net.tap_fd, virtio_net_tap_readable, &m->net);
	if (!ret)
		ret = machine_add_kicks(m);
	if (!ret &&
	    console_init(&m->con, STDIN_FILENO, &m->vm, m->has_vcon ? vcon_input : com1_input,
			 m->has_vcon ? (void *)&m->vcon : (void *)&m->com1) == 0)
		ret = ioloop_watch(&m->loop, STDIN_FILENO, console_readable, &m->con);
	if (!ret)
		ret = ioloop_start(&m->loop);
	if (!ret && m->has_viommu_dev)
		ret = machine_add_invalq(m);
	for (unsigned int i = 0; i < m->vm.ncpus && !ret; i++)
		ret = vcpu_start(&m->vm.vcpus[i]);
	if (ret)
		vm_request_stop(&m->vm, VM_STOP_ERROR);
	return ret;
}

/* Until the VM stops; a stop signal read here is one more way to stop it. */
static void machine_wait(struct machine *m)
{
	struct pollfd pfd[2] = {
		{ .fd = m->vm.stop_fd, .events = POLLIN },
		{ .fd = m->signal_fd, .events = POLLIN },
	};
	struct signalfd_siginfo si;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_err("waiting for the stop: poll: %s", strerror(errno));
			vm_request_stop(&m->vm, VM_STOP_ERROR);
			return;
		}
		/* A stop already asked for wins over a signal that came with it. */
		if (pfd[0].revents || vm_stopping(&m->vm))
			return;
		if (pfd[1].revents && read(m->signal_fd, &si, sizeof(si)) == sizeof(si)) {
			pr_info("%s: stopping the guest", strsignal(si.ssi_signo));
			vm_request_stop_signal(&m->vm, si.ssi_signo);
			return;
		}
	}
}

static int machine_exit_status(struct vm *vm)
{
	int signo;

	switch (vm_stop_reason(vm, &signo)) {
	case VM_STOP_POWEROFF:
		return EXIT_POWEROFF;
	case VM_STOP_RESET:
		pr_info("the guest rebooted; nestvm stops rather than restart it (status %d)",
			EXIT_GUEST_RESET);
		return EXIT_GUEST_RESET;
	case VM_STOP_PANIC:
		pr_err("the guest kernel panicked (status %d)", EXIT_GUEST_PANIC);
		return EXIT_GUEST_PANIC;
	case VM_STOP_SIGNAL:
		return EXIT_SIGNAL_BASE + (signo ? signo : SIGINT);
	case VM_STOP_ERROR:
	default:
		return EXIT_ERROR;
	}
}

static void machine_teardown(struct machine *m)
{
	struct vm *vm = &m->vm;

	vm_kick_vcpus(vm);
	for (unsigned int i = 0; vm->vcpus && i < vm->ncpus; i++)
		vcpu_join(&vm->vcpus[i]);
	ioloop_destroy(&m->loop);
	invalq_stop(&m->invalq);
	console_restore();
	if (m->print_viommu_stats)
		machine_print_viommu_stats(m);
	if (m->devices_ready) {
		serial_destroy(&m->com1);
		rtc_destroy(&m->rtc);
		i8042_destroy(&m->kbc);
		acpi_pm_destroy(&m->pm);
		pvpanic_destroy(&m->pvpanic);
		pci_host_destroy(&m->pci);
	}
	for (unsigned int i = 0; i < m->ndisks; i++)
		virtio_blk_destroy(&m->disks[i]);
	if (m->has_rng)
		virtio_rng_destroy(&m->rng);
	if (m->has_net)
		virtio_net_destroy(&m->net);
	if (m->has_vcon)
		virtio_console_destroy(&m->vcon);
	if (m->has_viommu_dev)
		viommu_virtio_destroy(&m->viommu_dev);
	if (m->viommu)
		viommu_destroy(m->viommu);
	passthrough_destroy(&m->pt);
	vm_destroy(vm);
	for (unsigned int i = 0; i < m->nvirtio; i++)
		vm_irqfd_sink_destroy(&m->virtio_irqs[i]);
	for (unsigned int i = 0; i < m->nkicks; i++)
		close(m->kicks[i].fd);
	if (m->invalq_fd >= 0)
		close(m->invalq_fd);
	if (m->signal_fd >= 0)
		close(m->signal_fd);
	free(m->kernel);
	free(m->initrd);
	free(m->cmdline);
}

static int machine_load_files(struct machine *m, const struct vm_opts *o)
{
	char err[256];

	m->kernel = read_whole_file("kernel", o->kernel, &m->kernel_size);
	if (!m->kernel)
		return -ENOENT;
	if (o->initrd) {
		m->initrd = read_whole_file("initrd", o->initrd, &m->initrd_size);
		return m->initrd ? 0 : -ENOENT;
	}
	if (initramfs_build(&m->initrd, &m->initrd_size, err, sizeof(err))) {
		pr_err("%s", err);
		return -ENOENT;
	}
	return 0;
}

int machine_run(const struct vm_opts *o)
{
	struct machine *m = calloc(1, sizeof(*m));
	uint64_t rsdp = 0;
	int ret, status;

	if (!m)
		return EXIT_ERROR;
	fdcheck_init();
	m->signal_fd = -1;
	m->loop.wake_fd = -1;
	m->invalq_fd = -1;
	m->pt.iommufd = -1;
	m->vm.kvm_fd = m->vm.vm_fd = m->vm.stop_fd = -1;
	m->print_viommu_stats = o->viommu_stats || o->debug;

	ret = machine_load_files(m, o);
	if (!ret)
		ret = seccomp_setup(!o->no_seccomp, o->seccomp_selftest);
	if (!ret)
		ret = machine_setup_signals(m);
	if (!ret)
		ret = vm_create(&m->vm, o->mem, o->cpus);
	if (!ret)
		ret = machine_add_devices(m);
	if (!ret)
		ret = machine_add_virtio(m, o);
	if (!ret)
		ret = passthrough_setup(&m->pt, &m->vm, &m->pci, m->viommu, o, &m->viot);
	if (!ret)
		ret = machine_write_mptable(m);
	/* --virtio-cmdline: no ACPI, or an ACPI kernel would not map the devices' IRQs. */
	if (!ret && !o->virtio_cmdline)
		ret = machine_write_acpi(m, &rsdp);
	if (!ret)
		ret = machine_create_vcpus(m);
	if (!ret)
		ret = machine_load_kernel(m, o, rsdp);
	if (!ret)
		ret = machine_start(m);
	if (!ret) {
		ret = fdcheck_arm();
		if (!ret)
			ret = seccomp_install(SECCOMP_MAIN, "main");
		if (!ret)
			seccomp_selftest_point(SECCOMP_MAIN);
		else
			vm_request_stop(&m->vm, VM_STOP_ERROR);
		machine_wait(m);
	}
	status = ret ? EXIT_ERROR : machine_exit_status(&m->vm);
	machine_teardown(m);
	free(m);
	if (fdcheck_finish())
		status = EXIT_ERROR;
	return status;
}
