/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ACPI tables for the guest: RSDP, XSDT, FADT (hardware-reduced), MADT, DSDT, MCFG (with a
 * PCI host bridge) and VIOT (with a virtio-iommu). boot/ knows nothing of devices: the VM hands it
 * a description list.
 */
#ifndef NESTVM_ACPI_H
#define NESTVM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One device to describe in the DSDT (under \_SB), with its resources for _CRS. */
struct acpi_device_desc {
	const char *name; /* a unique ACPI name segment: [A-Z_] then up to 3 of [A-Z0-9_]: "COM1" */
	/* _HID: a PNP id ("PNP0501", written as an EISA id) or an ACPI id ("LNRO0005", a string) */
	const char *hid;
	uint32_t uid; /* _UID */
	uint64_t mmio_base, mmio_size; /* a Memory32Fixed/QWordMemory resource; size 0: none */
	uint16_t io_base, io_size; /* an IO resource, at most 255 ports; size 0: none */
	int irq; /* a GSI for an Extended Interrupt resource; -1: none */
	bool irq_level; /* level-triggered active-high (else edge active-high) */
};

/* A virtio-mmio device behind the virtio-iommu: its endpoint id and window base. */
struct acpi_viot_mmio_endpoint {
	uint32_t endpoint_id;
	uint64_t base;
};

/* The VIOT (ACPI 6.4+): how the guest finds the virtio-iommu and what it translates. */
struct acpi_viot {
	uint64_t iommu_base; /* the virtio-mmio window of the virtio-iommu; 0: no VIOT */
	const struct acpi_viot_mmio_endpoint *mmio_endpoints;
	unsigned int n_mmio_endpoints;
	/*
	 * PCI functions behind it, segment 0: BDFs [pci_bdf_start, pci_bdf_end] are endpoints
	 * pci_endpoint_start + (BDF - pci_bdf_start), when @pci_range.
	 */
	bool pci_range;
	uint16_t pci_bdf_start, pci_bdf_end;
	uint32_t pci_endpoint_start;
};

/*
 * A PCI host bridge, segment 0, bus 0 only: \_SB.PCI0 in the DSDT (PNP0A08) with its windows
 * and interrupt routing, its ECAM in the MCFG and, as PCI Firmware 3.3 (4.1.2) asks and Linux
 * checks before it trusts the MCFG, in a PNP0C02 motherboard resource. ecam_base 0: none.
 */
struct acpi_pci_host {
	uint64_t ecam_base; /* 1 MiB: bus 0 */
	uint16_t io_base, io_size; /* the I/O window for BARs */
	uint32_t mmio32_base, mmio32_size; /* the memory windows for BARs */
	uint64_t mmio64_base, mmio64_size; /* size 0: none */
	/* The GSIs of INTA-INTD of slot 0; slot S's pin P uses intx_gsi[(S + P) % 4]. */
	uint32_t intx_gsi[4];
};

struct acpi_config {
	unsigned int ncpus; /* LAPIC ids 0..ncpus-1, one processor each */
	uint32_t lapic_addr; /* 0xFEE00000 */
	uint32_t ioapic_addr; /* 0xFEC00000, GSI base 0 */
	/* Hardware-reduced ACPI power control: I/O ports of the FADT's sleep control and
	 * status registers (1 byte each) and of the reset register. */
	uint16_t sleep_control_port, sleep_status_port, reset_port;
	uint8_t reset_value;
	uint8_t s5_sleep_type; /* the SLP_TYP the DSDT's \_S5 names, written on poweroff */
	const struct acpi_device_desc *devices;
	unsigned int ndevices;
	struct acpi_viot viot;
	struct acpi_pci_host pci;
};

/*
 * Writes all tables into @buf, which the guest will see at @gpa (the tables hold
 * guest-physical pointers to each other), never past @buf + @size. Returns the bytes used,
 * -EINVAL for a bad config (checked first: ncpus 0 or over 254, a bad or repeated name, a
 * bad _HID, a resource that wraps, a PCI window that is empty or wraps) or a @gpa that is not
 * 16-byte aligned, else -ENOSPC if
 * @size is too small. *@rsdp_gpa, unless NULL, gets the RSDP's address: it is first, at @gpa.
 */
long acpi_build(void *buf, size_t size, uint64_t gpa, const struct acpi_config *cfg,
		uint64_t *rsdp_gpa);

#endif
