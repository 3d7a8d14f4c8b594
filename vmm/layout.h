/* SPDX-License-Identifier: GPL-2.0 */
/* Where things are in the guest's physical address space and port space (x86). */
#ifndef NESTVM_LAYOUT_H
#define NESTVM_LAYOUT_H

/* Low memory used by the boot path. */
#define BOOT_GDT_GPA 0x500
#define BOOT_PVH_INFO_GPA 0x6000 /* hvm_start_info, then its memmap and module list */
#define BOOT_ZERO_PAGE_GPA 0x7000
#define BOOT_PML4_GPA 0x9000 /* then PDPT at +0x1000 and four PDs: identity map of 4 GiB */
#define BOOT_CMDLINE_GPA 0x20000
#define BOOT_CMDLINE_MAX 0x10000
#define EBDA_GPA 0x9fc00
#define ACPI_TABLES_GPA 0xe0000 /* the RSDP sits in the BIOS area Linux scans */
#define ACPI_TABLES_SIZE 0x10000
/* The MP table, for kernels without ACPI: Linux scans the first 64 KiB of the F segment. */
#define MPTABLE_GPA 0xf0000
#define MPTABLE_SIZE 0x10000
#define HIGH_MEMORY_GPA 0x100000

/*
 * RAM is split around a 1 GiB hole below 4 GiB for MMIO:
 *   0xc0000000-0xcfffffff  PCI 32-bit MMIO window for BARs (256 MiB)
 *   0xd0000000-0xd0001fff  virtio-mmio windows
 *   0xe0000000-0xe00fffff  PCI ECAM, bus 0 (reserved in the E820 map and as PNP0C02)
 *   0xfec00000             I/O APIC
 *   0xfee00000             local APIC
 *   0xfffbc000-0xfffbffff  KVM's identity map page and TSS
 */
#define MMIO_HOLE_GPA 0xc0000000ULL
#define MMIO_HOLE_END 0x100000000ULL
#define PCI_MMIO32_GPA 0xc0000000ULL
#define PCI_MMIO32_SIZE 0x10000000ULL
#define PCI_ECAM_GPA 0xe0000000ULL
#define VIRTIO_MMIO_GPA 0xd0000000ULL /* virtio-mmio windows, 0x200 bytes each */
#define VIRTIO_MMIO_STRIDE 0x200
#define VIRTIO_MMIO_MAX_DEVICES 16
#define VIRTIO_GSI_BASE 16 /* virtio-mmio interrupts: IOAPIC pins 16..23, edge */
#define VIRTIO_GSI_COUNT 8
#define IOAPIC_GPA 0xfec00000
#define LAPIC_GPA 0xfee00000
#define KVM_TSS_GPA 0xfffbd000 /* 3 pages, just below the identity map page */
#define KVM_IDENTITY_MAP_GPA 0xfffbc000

/*
 * The PCI 64-bit MMIO window (for 64-bit BARs) starts at the first 1 GiB boundary at or
 * above the end of RAM, and never below 4 GiB: RAM above the hole starts at 4 GiB, so with
 * --mem N the end of RAM is max(4 GiB, N + 1 GiB) and the window follows it. 32 GiB fits
 * any BAR a NIC or a GPU slice needs and stays inside 40 physical address bits (1 TiB)
 * for guests with up to ~990 GiB of RAM.
 */
#define PCI_MMIO64_ALIGN (1ULL << 30)
#define PCI_MMIO64_SIZE (32ULL << 30)

static inline unsigned long long pci_mmio64_base(unsigned long long ram_end)
{
	if (ram_end < MMIO_HOLE_END)
		ram_end = MMIO_HOLE_END;
	return (ram_end + PCI_MMIO64_ALIGN - 1) & ~(PCI_MMIO64_ALIGN - 1);
}

/*
 * Interrupts. KVM's I/O APIC has 24 pins (KVM_IOAPIC_NUM_PINS): 0-15 are the ISA ones
 * (we use 2, the PIT; 4, COM1; 8, the RTC), 16-23 are the virtio-mmio devices' (edge).
 * PCI INTx takes four free ISA pins, 5, 9, 10 and 11, the ones PC firmware has always
 * handed to PCI; slot S's pin P (0 = INTA) goes to PCI_INTX_GSIS[(S + P) % 4], the usual
 * swizzle. The _PRT makes them level, active low, as PCI INTx is; KVM's I/O APIC ignores
 * the polarity bit, so the device model asserts a line by raising it to 1. KVM's default
 * routing also feeds pins 0-15 to its 8259 model, whose output a guest with I/O APIC mode
 * keeps masked (LVT0), so nothing else sees them.
 */
#define PCI_INTX_GSIS        \
	{                    \
		5, 9, 10, 11 \
	}

/* Port I/O. */
#define PIT_IRQ 0 /* KVM's in-kernel PIT raises GSI 0: I/O APIC pin 0 */
#define COM1_PORT 0x3f8
#define COM1_IRQ 4
#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define RTC_PORT 0x70
#define RTC_IRQ 8
#define PVPANIC_PORT 0x505
#define ACPI_SLEEP_CONTROL_PORT 0x600
#define ACPI_SLEEP_STATUS_PORT 0x601
#define ACPI_RESET_PORT 0x602
#define ACPI_RESET_VALUE 0x1
#define ACPI_S5_SLEEP_TYPE 5
#define PCI_IO_WINDOW_BASE 0xc000 /* the PCI I/O window for BARs: 0xc000-0xffff */
#define PCI_IO_WINDOW_SIZE 0x4000

#endif
