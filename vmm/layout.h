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

/* RAM is split around a 1 GiB hole below 4 GiB for MMIO. */
#define MMIO_HOLE_GPA 0xc0000000ULL
#define MMIO_HOLE_END 0x100000000ULL
#define VIRTIO_MMIO_GPA 0xd0000000ULL /* virtio-mmio windows, 0x200 bytes each */
#define VIRTIO_MMIO_STRIDE 0x200
#define VIRTIO_MMIO_MAX_DEVICES 16
#define VIRTIO_GSI_BASE 16 /* virtio-mmio interrupts: IOAPIC pins 16..23, edge */
#define VIRTIO_GSI_COUNT 8
#define IOAPIC_GPA 0xfec00000
#define LAPIC_GPA 0xfee00000
#define KVM_TSS_GPA 0xfffbd000 /* 3 pages, just below the identity map page */
#define KVM_IDENTITY_MAP_GPA 0xfffbc000

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

#endif
