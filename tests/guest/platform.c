// SPDX-License-Identifier: GPL-2.0
#include "arch.h"
#include "pci_cfg.h"
#include "platform.h"
#include "serial.h"

#define HVM_START_MAGIC 0x336ec578

/* The start of Xen's struct hvm_start_info (version 1): what we read of it. */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

#define E820_RAM 1

/* Port and bit layout of nestvm's ACPI sleep control register (vmm/layout.h, acpi_pm.c). */
#define ACPI_SLEEP_CONTROL_PORT 0x600
#define ACPI_S5_SLEEP_TYPE 5
#define SLP_TYP_SHIFT 2
#define SLP_EN 0x20

/*
 * QEMU's q35: the ICH9 LPC bridge at 00:1f.0 holds the ACPI PM I/O base (PMBASE, set by the
 * firmware); PM1a_CNT is at +4 and QEMU's _S5 sleep type is 0.
 */
#define ICH9_LPC_FN ((struct pci_fn){ 31, 0 })
#define ICH9_LPC_ID 0x29188086U
#define ICH9_PMBASE 0x40
#define ICH9_PMBASE_MASK 0xff80
#define PM1_CNT 4
#define PM1_SLP_EN 0x2000
#define POWEROFF_GRACE 100000000UL /* pause loops: a few seconds */

const char *pvh_cmdline(uint32_t start_info_gpa)
{
	const struct hvm_start_info *si = (const void *)(uintptr_t)start_info_gpa;

	if (!si || si->magic != HVM_START_MAGIC || !si->cmdline_paddr)
		return "";
	return (const char *)(uintptr_t)si->cmdline_paddr;
}

uint64_t pvh_ram_end(uint32_t start_info_gpa)
{
	const struct hvm_start_info *si = (const void *)(uintptr_t)start_info_gpa;
	const struct hvm_memmap_entry *e;
	uint64_t end = 0;

	if (!si || si->magic != HVM_START_MAGIC || !si->memmap_paddr)
		return 0;
	e = (const void *)(uintptr_t)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (e[i].type == E820_RAM && e[i].addr + e[i].size > end)
			end = e[i].addr + e[i].size;
	return end;
}

void poweroff(void)
{
	/* nestvm has no 00:1f.0 (its config space reads all ones there). */
	if (pci_read32(ICH9_LPC_FN, PCI_VENDOR_ID) == ICH9_LPC_ID) {
		uint16_t pm = pci_read16(ICH9_LPC_FN, ICH9_PMBASE) & ICH9_PMBASE_MASK;

		if (pm)
			outw(pm + PM1_CNT, PM1_SLP_EN);
	} else {
		outb(ACPI_SLEEP_CONTROL_PORT, ACPI_S5_SLEEP_TYPE << SLP_TYP_SHIFT | SLP_EN);
	}
	/*
	 * The VMM stops the vCPUs on its own time (QEMU a little later than nestvm): give it that
	 * before saying anything, then wait here, never run on.
	 */
	for (unsigned long i = 0; i < POWEROFF_GRACE; i++)
		cpu_relax();
	serial_puts("poweroff: still running after the S5 request\n");
	halt_forever();
	__builtin_unreachable();
}
