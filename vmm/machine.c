// SPDX-License-Identifier: GPL-2.0
/*
 * The machine: a VM, its legacy devices, the ACPI tables describing them, the loaded kernel,
 * the vCPU threads and the io loop; then the wait for the stop, and the orderly teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_mmio.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/acpi.h"
#include "boot/boot.h"
#include "boot/mptable.h"
#include "devices/acpi_pm.h"
#include "devices/i8042.h"
#include "devices/pci_host.h"
#include "devices/pvpanic.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_console.h"
#include "devices/virtio_net.h"
#include "devices/virtio_rng.h"
#include "iommu/invalq.h"
#include "iommu/viommu_virtio.h"
#include "console.h"
#include "fdcheck.h"
#include "initramfs.h"
#include "ioloop.h"
#include "layout.h"
#include "log.h"
#include "machine.h"
#include "passthrough.h"
#include "seccomp.h"
#include "util.h"
#include "vcpu.h"
#include "virtio_cmdline.h"
#include "vm.h"

struct machine {
	struct vm vm;
	struct serial com1;
	struct rtc rtc;
	struct i8042 kbc;
	struct acpi_pm pm;
	struct pvpanic pvpanic;
	struct pci_host pci;
	struct passthrough pt;
	struct acpi_viot viot;
	bool devices_ready;

	/* virtio-mmio devices, in window order; described to the guest in the DSDT. */
	struct dma_space dma; /* identity: DMA addresses are guest-physical */
	struct dma_space dmas[VIRTIO_MMIO_MAX_DEVICES]; /* per device, behind the vIOMMU */
	struct viommu *viommu;
	struct viommu_virtio viommu_dev;
	bool has_viommu_dev;
	struct acpi_viot_mmio_endpoint viot_endpoints[VIRTIO_MMIO_MAX_DEVICES];
	/* QueueNotify of each virtio queue as a KVM ioeventfd, read by the io loop. */
	struct machine_kick {
		struct virtio_mmio_dev *dev;
		unsigned int queue;
		int fd;
	} kicks[2 * VIRTIO_GSI_COUNT];
	unsigned int nkicks;
	/* The vIOMMU's invalq: its QueueNotify ioeventfd goes to a thread of its own. */
	struct invalq invalq;
	int invalq_fd;
	unsigned int nviot;
	struct virtio_blk disks[VM_DISKS_MAX];
	unsigned int ndisks;
	struct virtio_rng rng;
	bool has_rng;
	struct virtio_net net;
	bool has_net;
	struct virtio_console vcon;
	bool has_vcon;
	struct acpi_device_desc virtio_desc[VIRTIO_MMIO_MAX_DEVICES]; /* by window */
	char acpi_names[VIRTIO_MMIO_MAX_DEVICES][5];
	unsigned int nacpi, nvirtio;
	struct virtio_mmio_dev *virtio_devs[VIRTIO_MMIO_MAX_DEVICES]; /* by window */
	struct irqfd_sink virtio_irqs[VIRTIO_MMIO_MAX_DEVICES]; /* by window */
	struct ioloop loop;
	struct console con;
	int signal_fd;
	void *kernel, *initrd;
	size_t kernel_size, initrd_size;
	char *cmdline; /* --virtio-cmdline: the user's, after the devices */
};

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

static int machine_add_devices(struct machine *m)
{
	struct vm *vm = &m->vm;
	int ret;

	serial_init(&m->com1, STDOUT_FILENO, &vm->irq, COM1_IRQ);
	rtc_init(&m->rtc, NULL);
	i8042_init(&m->kbc, &vm->ctl);
	acpi_pm_init(&m->pm, &vm->ctl, ACPI_S5_SLEEP_TYPE, ACPI_RESET_VALUE);
	pvpanic_init(&m->pvpanic, &vm->ctl);
	pci_host_init(&m->pci);
	m->devices_ready = true;

	ret = serial_attach(&vm->pio, COM1_PORT, &m->com1);
	if (!ret)
		ret = rtc_attach(&vm->pio, &m->rtc);
	if (!ret)
		ret = i8042_attach(&vm->pio, &m->kbc);
	if (!ret)
		ret = acpi_pm_attach(&vm->pio, &m->pm);
	if (!ret)
		ret = pvpanic_attach(&vm->pio, &m->pvpanic);
	if (!ret)
		ret = pci_host_attach(&m->pci, &vm->pio, &vm->mmio, PCI_ECAM_GPA);
	if (ret)
		pr_err("cannot place the legacy devices and the PCI host bridge on the buses: %s",
		       strerror(-ret));
	return ret;
}

/* The next virtio-mmio window and interrupt, described to the guest as an ACPI device. */
/* The interrupt line of the virtio device in the window last handed out. */
static struct irq_sink *virtio_irq(struct machine *m)
{
	return &m->virtio_irqs[m->nvirtio - 1].sink;
}

static int virtio_slot(struct machine *m, uint64_t *base, unsigned int *gsi)
{
	unsigned int i = m->nvirtio;
	struct acpi_device_desc *d = &m->virtio_desc[m->nacpi];

	if (i == VIRTIO_GSI_COUNT) {
		pr_err("too many virtio devices (at most %d)", VIRTIO_GSI_COUNT);
		return -ENOSPC;
	}
	*base = VIRTIO_MMIO_GPA + i * VIRTIO_MMIO_STRIDE;
	*gsi = VIRTIO_GSI_BASE + i;
	snprintf(m->acpi_names[i], sizeof(m->acpi_names[i]), "VR%02u", i);
	*d = (struct acpi_device_desc){
		.name = m->acpi_names[i],
		.hid = "LNRO0005",
		.uid = i,
		.mmio_base = *base,
		.mmio_size = VIRTIO_MMIO_STRIDE,
		.irq = *gsi,
		.irq_level = false, /* edge: an irqfd pulse per interrupt (see vm_irqfd_sink) */
	};
	m->nvirtio++;
	m->nacpi++;
	return vm_irqfd_sink_init(&m->vm, &m->virtio_irqs[i], *gsi);
}

/*
 * The DMA view of the device in the window at @base: guest-physical without a vIOMMU, else
 * translated for its endpoint (numbered by window, and listed in the VIOT).
 */
static const struct dma_space *device_dma(struct machine *m, uint64_t base)
{
	unsigned int slot = (base - VIRTIO_MMIO_GPA) / VIRTIO_MMIO_STRIDE;
	struct viommu_endpoint *ep;

	if (!m->viommu)
		return &m->dma;
	ep = viommu_add_endpoint(m->viommu, slot, VIOMMU_EP_EMULATED, NULL);
	if (!ep)
		return NULL;
	m->viot_endpoints[m->nviot++] = (struct acpi_viot_mmio_endpoint){ slot, base };
	m->dmas[slot] = viommu_endpoint_dma(ep, &m->vm.mem);
	return &m->dmas[slot];
}

/* Where the next virtio device goes: its window, interrupt and DMA view. */
struct virtio_window {
	uint64_t base;
	unsigned int gsi;
	struct irq_sink *irq;
	const struct dma_space *dma;
};

static int virtio_window_next(struct machine *m, struct virtio_window *w)
{
	int ret = virtio_slot(m, &w->base, &w->gsi);

	if (ret)
		return ret;
	w->irq = virtio_irq(m);
	w->dma = device_dma(m, w->base);
	return w->dma ? 0 : -ENOMEM;
}

/* Puts the device, initialised for @w, in its window on the MMIO bus. */
static int virtio_window_fill(struct machine *m, const struct virtio_window *w,
			      struct virtio_mmio_dev *dev, const char *name)
{
	m->virtio_devs[m->nvirtio - 1] = dev;
	return virtio_mmio_attach(&m->vm.mmio, w->base, dev, name);
}

/* The vIOMMU takes the first window; its own DMA (its queues) is not translated. */
static int machine_add_viommu(struct machine *m)
{
	struct viommu_params params;
	struct virtio_window w;
	int ret = virtio_window_next(m, &w);

	if (ret)
		return ret;
	viommu_default_params(&params);
	/* Its own emulated backend serves the virtio devices: mappings, or guest tables. */
	m->viommu = viommu_create(&params, &m->vm.mem);
	if (!m->viommu) {
		pr_err("virtio-iommu: out of memory");
		return -ENOMEM;
	}
	viommu_virtio_init(&m->viommu_dev, m->viommu, w.dma, w.irq, w.gsi);
	m->has_viommu_dev = true;
	return virtio_window_fill(m, &w, &m->viommu_dev.mmio, "virtio-iommu");
}

static int machine_add_net(struct machine *m, const char *tap, const struct virtio_window *w)
{
	char err[256];
	uint8_t mac[6];
	int fd, ret;

	ret = virtio_net_open_tap(tap, &fd, err, sizeof(err));
	if (ret) {
		pr_err("%s", err);
		return ret;
	}
	virtio_net_default_mac(mac, 0);
	ret = virtio_net_init(&m->net, fd, mac, w->dma, w->irq, w->gsi);
	if (ret) {
		close(fd);
		return ret;
	}
	m->has_net = true;
	return virtio_window_fill(m, w, &m->net.mmio, "virtio-net");
}

static int machine_add_virtio(struct machine *m, const struct vm_opts *o)
{
	struct virtio_window w;
	char err[256];
	int ret = 0;

	m->dma = (struct dma_space){ .mem = &m->vm.mem };
	if (o->viommu)
		ret = machine_add_viommu(m);
	for (unsigned int i = 0; i < o->ndisks && !ret; i++) {
		ret = virtio_window_next(m, &w);
		if (ret)
			return ret;
		ret = virtio_blk_init(&m->disks[i], o->disks[i].path, o->disks[i].readonly, w.dma,
				      w.irq, w.gsi, err, sizeof(err));
		if (ret) {
			pr_err("%s", err);
			return ret;
		}
		m->ndisks++;
		ret = virtio_window_fill(m, &w, &m->disks[i].mmio, "virtio-blk");
	}
	if (!ret && o->tap[0]) {
		ret = virtio_window_next(m, &w);
		if (!ret)
			ret = machine_add_net(m, o->tap, &w);
	}
	if (!ret && o->virtio_console) {
		ret = virtio_window_next(m, &w);
		if (!ret) {
			virtio_console_init(&m->vcon, STDOUT_FILENO, w.dma, w.irq, w.gsi);
			m->has_vcon = true;
			ret = virtio_window_fill(m, &w, &m->vcon.mmio, "virtio-console");
		}
	}
	if (!ret && o->rng) {
		ret = virtio_window_next(m, &w);
		if (!ret) {
			virtio_rng_init(&m->rng, w.dma, w.irq, w.gsi);
			m->has_rng = true;
			ret = virtio_window_fill(m, &w, &m->rng.mmio, "virtio-rng");
		}
	}
	return ret;
}

/* Where guest RAM ends: the 64-bit PCI window goes above it. */
static uint64_t ram_end(const struct gmem *mem)
{
	uint64_t end = 0;

	for (unsigned int i = 0; i < mem->count; i++) {
		if (mem->regions[i].gpa + mem->regions[i].size > end)
			end = mem->regions[i].gpa + mem->regions[i].size;
	}
	return end;
}

/* What the DSDT says about the devices, so any ACPI kernel finds them. */
static int machine_write_acpi(struct machine *m, uint64_t *rsdp)
{
	static const struct acpi_device_desc legacy[] = {
		{ .name = "COM1",
		  .hid = "PNP0501",
		  .uid = 1,
		  .io_base = COM1_PORT,
		  .io_size = 8,
		  .irq = COM1_IRQ },
		{ .name = "RTC",
		  .hid = "PNP0B00",
		  .uid = 0,
		  .io_base = RTC_PORT,
		  .io_size = 2,
		  .irq = RTC_IRQ },
		{ .name = "PEVT",
		  .hid = "QEMU0001",
		  .uid = 0,
		  .io_base = PVPANIC_PORT,
		  .io_size = 1,
		  .irq = -1 },
	};
	struct acpi_device_desc all[ARRAY_SIZE(legacy) + VIRTIO_MMIO_MAX_DEVICES];
	struct acpi_config cfg = {
		.ncpus = m->vm.ncpus,
		.lapic_addr = LAPIC_GPA,
		.ioapic_addr = IOAPIC_GPA,
		.sleep_control_port = ACPI_SLEEP_CONTROL_PORT,
		.sleep_status_port = ACPI_SLEEP_STATUS_PORT,
		.reset_port = ACPI_RESET_PORT,
		.reset_value = ACPI_RESET_VALUE,
		.s5_sleep_type = ACPI_S5_SLEEP_TYPE,
		.devices = all,
		.viot = m->viot,
		.pci = {
			.ecam_base = PCI_ECAM_GPA,
			.io_base = PCI_IO_WINDOW_BASE,
			.io_size = PCI_IO_WINDOW_SIZE,
			.mmio32_base = PCI_MMIO32_GPA,
			.mmio32_size = PCI_MMIO32_SIZE,
			.mmio64_base = pci_mmio64_base(ram_end(&m->vm.mem)),
			.mmio64_size = PCI_MMIO64_SIZE,
			.intx_gsi = PCI_INTX_GSIS,
		},
	};
	void *buf = gmem_ptr(&m->vm.mem, ACPI_TABLES_GPA, ACPI_TABLES_SIZE);
	long n;

	cfg.viot.iommu_base = m->viommu ? VIRTIO_MMIO_GPA : 0;
	cfg.viot.mmio_endpoints = m->viot_endpoints;
	cfg.viot.n_mmio_endpoints = m->nviot;
	memcpy(all, legacy, sizeof(legacy));
	memcpy(all + ARRAY_SIZE(legacy), m->virtio_desc, m->nacpi * sizeof(all[0]));
	cfg.ndevices = ARRAY_SIZE(legacy) + m->nacpi;
	n = buf ? acpi_build(buf, ACPI_TABLES_SIZE, ACPI_TABLES_GPA, &cfg, rsdp) : -EFAULT;

	if (n < 0) {
		pr_err("cannot build the ACPI tables: %s", strerror(-n));
		return n;
	}
	pr_debug("ACPI tables: %ld bytes at %#x, RSDP at %#llx", n, ACPI_TABLES_GPA,
		 (unsigned long long)*rsdp);
	return 0;
}

/*
 * The interrupts the MP table routes, each ISA IRQ and GSI to the I/O APIC pin of the same
 * number, as KVM's default GSI routing wires them: the PIT, COM1, the RTC (ISA, edge, active
 * high) and each virtio device's GSI (edge, as its irqfd pulses it). Written always: a kernel
 * that has ACPI takes the MADT instead, one without ACPI (or booted with acpi=off) gets its
 * CPUs and I/O APIC from here.
 */
static int machine_write_mptable(struct machine *m)
{
	struct mptable_irq irqs[3 + VIRTIO_MMIO_MAX_DEVICES] = {
		{ .irq = PIT_IRQ, .pin = PIT_IRQ },
		{ .irq = COM1_IRQ, .pin = COM1_IRQ },
		{ .irq = RTC_IRQ, .pin = RTC_IRQ },
	};
	struct mptable_config cfg = {
		.ncpus = m->vm.ncpus,
		.lapic_addr = LAPIC_GPA,
		.ioapic_addr = IOAPIC_GPA,
		.ioapic_id = 0, /* what KVM's in-kernel I/O APIC reports */
		.irqs = irqs,
		.nirqs = 3,
	};
	void *buf = gmem_ptr(&m->vm.mem, MPTABLE_GPA, MPTABLE_SIZE);
	long n;

	for (unsigned int i = 0; i < m->nvirtio; i++) {
		uint8_t gsi = VIRTIO_GSI_BASE + i;

		irqs[cfg.nirqs++] = (struct mptable_irq){ .irq = gsi, .pin = gsi };
	}
	n = buf ? mptable_build(buf, MPTABLE_SIZE, MPTABLE_GPA, &cfg) : -EFAULT;
	if (n < 0) {
		pr_err("cannot build the MP table: %s", strerror(-n));
		return n;
	}
	pr_debug("MP table: %ld bytes at %#x", n, MPTABLE_GPA);
	return 0;
}

/*
 * --virtio-cmdline: each virtio device as virtio_mmio.device=, its IRQ the GSI, which is the
 * Linux IRQ number only where the MP table set up the I/O APIC (no ACPI: with ACPI's
 * hardware-reduced mode Linux maps GSIs to IRQs only for ACPI devices).
 */
static const char *machine_cmdline(struct machine *m, const struct vm_opts *o)
{
	struct virtio_cmdline_dev devs[VIRTIO_MMIO_MAX_DEVICES];

	if (!o->virtio_cmdline)
		return o->cmdline;
	for (unsigned int i = 0; i < m->nvirtio; i++)
		devs[i] = (struct virtio_cmdline_dev){
			.base = VIRTIO_MMIO_GPA + i * VIRTIO_MMIO_STRIDE,
			.size = VIRTIO_MMIO_STRIDE,
			.irq = VIRTIO_GSI_BASE + i,
		};
	m->cmdline = virtio_cmdline_build(o->cmdline, devs, m->nvirtio);
	if (!m->cmdline)
		pr_err("no memory for the kernel command line");
	else
		pr_debug("kernel command line: %s", m->cmdline);
	return m->cmdline;
}

static int machine_load_kernel(struct machine *m, const struct vm_opts *o, uint64_t rsdp)
{
	/* Linux checks the MCFG's ECAM against E820 before ACPI is up (mmconfig-shared.c). */
	static const struct boot_mem_range ecam = { PCI_ECAM_GPA, PCI_HOST_ECAM_SIZE,
						    BOOT_MEM_RESERVED };
	struct boot_config cfg = {
		.cmdline = machine_cmdline(m, o),
		.initrd = m->initrd,
		.initrd_size = m->initrd_size,
		.rsdp_gpa = rsdp,
		.reserved = &ecam,
		.nreserved = 1,
	};
	struct boot_entry entry;
	char err[256];
	int ret;

	if (!cfg.cmdline)
		return -ENOMEM;
	switch (boot_image_kind(m->kernel, m->kernel_size)) {
	case IMAGE_BZIMAGE:
		ret = bzimage_load(&m->vm.mem, m->kernel, m->kernel_size, &cfg, &entry, err,
				   sizeof(err));
		break;
	case IMAGE_ELF:
		ret =
		    pvh_load(&m->vm.mem, m->kernel, m->kernel_size, &cfg, &entry, err, sizeof(err));
		break;
	default:
		snprintf(err, sizeof(err), "not a bzImage or an ELF (vmlinux) image");
		ret = -ENOEXEC;
		break;
	}
	if (ret) {
		pr_err("kernel %s: %s", o->kernel, err);
		return ret;
	}
	pr_debug("kernel entry %#llx (%s)", (unsigned long long)entry.rip,
		 entry.mode == BOOT_PVH_32 ? "PVH" : "64-bit boot protocol");
	/* The images live in guest RAM now: give their copies back. */
	free(m->kernel);
	free(m->initrd);
	m->kernel = m->initrd = NULL;
	ret = vcpu_set_boot_state(&m->vm.vcpus[0], &entry);
	if (ret)
		pr_err("cannot set the boot vCPU's registers: %s", strerror(-ret));
	return ret;
}

static int machine_create_vcpus(struct machine *m)
{
	struct vm *vm = &m->vm;
	int ret = 0;

	vm->cpuid = cpuid_supported(vm->kvm_fd);
	if (!vm->cpuid) {
		pr_err("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		return -errno;
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

static bool kick_readable(void *opaque, int fd)
{
	struct machine_kick *k = opaque;
	uint64_t count;

	if (read(fd, &count, sizeof(count)) == sizeof(count))
		virtio_mmio_kick(k->dev, k->queue);
	return true;
}

/*
 * Every queue's notification becomes an eventfd KVM signals in the kernel: the vCPU goes
 * straight back to the guest and the io loop does the device work. A device whose work never
 * waits (notify_on_vcpu) keeps the exit and serves it on the vCPU thread instead.
 */
static int machine_add_kicks(struct machine *m)
{
	struct virtio_mmio_dev **devs = m->virtio_devs;
	int ret;

	for (unsigned int i = 0; i < m->nvirtio; i++) {
		uint64_t notify =
		    VIRTIO_MMIO_GPA + i * VIRTIO_MMIO_STRIDE + VIRTIO_MMIO_QUEUE_NOTIFY;

		for (unsigned int q = 0; q < devs[i]->ops->num_queues; q++) {
			struct machine_kick *k = &m->kicks[m->nkicks];

			if (devs[i] == &m->viommu_dev.mmio && q == VIRTIO_IOMMU_INVALQ)
				continue; /* machine_add_invalq() */
			if (devs[i]->notify_on_vcpu)
				continue;
			if (m->nkicks == ARRAY_SIZE(m->kicks))
				return -ENOSPC;
			k->dev = devs[i];
			k->queue = q;
			k->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			if (k->fd < 0)
				return -errno;
			m->nkicks++;
			ret = vm_add_ioeventfd(&m->vm, notify, q, k->fd);
			if (!ret)
				ret = ioloop_watch(&m->loop, k->fd, kick_readable, k);
			if (ret) {
				pr_err(
				    "virtio: cannot route queue notifications through an ioeventfd: %s",
				    strerror(-ret));
				return ret;
			}
		}
	}
	return 0;
}

/* The invalq thread, on the ioeventfd of the vIOMMU's QueueNotify with value 2. */
static int machine_add_invalq(struct machine *m)
{
	const char *env = getenv(INVALQ_ENV);
	struct invalq_opts opts;
	unsigned int slot = 0;
	uint64_t notify;
	char err[256];
	int ret;

	while (m->virtio_devs[slot] != &m->viommu_dev.mmio)
		slot++;
	notify = VIRTIO_MMIO_GPA + slot * VIRTIO_MMIO_STRIDE + VIRTIO_MMIO_QUEUE_NOTIFY;
	/* A busy-poll window pays only when the thread need not take a vCPU's place. */
	invalq_default_opts(&opts, sysconf(_SC_NPROCESSORS_ONLN) > (long)m->vm.ncpus);
	if (env && invalq_parse_opts(&opts, env, err, sizeof(err))) {
		pr_err("%s", err);
		return -EINVAL;
	}
	m->invalq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->invalq_fd < 0)
		return -errno;
	ret = vm_add_ioeventfd(&m->vm, notify, VIRTIO_IOMMU_INVALQ, m->invalq_fd);
	if (ret) {
		pr_err("virtio-iommu: cannot route invalq notifications through an ioeventfd: %s",
		       strerror(-ret));
		return ret;
	}
	viommu_virtio_set_invalq_fd(&m->viommu_dev, m->invalq_fd);
	return invalq_start(&m->invalq, &m->viommu_dev, m->invalq_fd, &opts);
}

static bool signal_readable(void *opaque, int fd)
{
	struct vm *vm = opaque;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return true;
	pr_info("%s: stopping the guest", strsignal(si.ssi_signo));
	pthread_mutex_lock(&vm->lock);
	if (!vm->stopping)
		vm->stop_signal = si.ssi_signo;
	pthread_mutex_unlock(&vm->lock);
	vm_request_stop(vm, VM_STOP_SIGNAL);
	return true;
}

static void kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

/*
 * Signals: SIGINT/SIGTERM/SIGHUP are blocked in every thread and read from a signalfd by the
 * io loop; SIGUSR1 (the vCPU kick) is blocked everywhere but in vCPU threads.
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
		ret = ioloop_watch(&m->loop, m->signal_fd, signal_readable, &m->vm);
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

static void machine_wait(struct machine *m)
{
	struct pollfd pfd = { .fd = m->vm.stop_fd, .events = POLLIN };

	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
}

static int machine_exit_status(struct vm *vm)
{
	switch (vm->stop_reason) {
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
		return EXIT_SIGNAL_BASE + (vm->stop_signal ? vm->stop_signal : SIGINT);
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
