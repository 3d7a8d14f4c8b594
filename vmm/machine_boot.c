// SPDX-License-Identifier: GPL-2.0
/*
 * What the machine's guest boots with: the ACPI tables and the MP table describing the
 * devices, the kernel command line, and the kernel (and initrd) loaded into guest RAM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "boot/mptable.h"
#include "log.h"
#include "machine_internal.h"
#include "util.h"
#include "vcpu.h"
#include "virtio_cmdline.h"

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
int machine_write_acpi(struct machine *m, uint64_t *rsdp)
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
int machine_write_mptable(struct machine *m)
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

int machine_load_kernel(struct machine *m, const struct vm_opts *o, uint64_t rsdp)
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
