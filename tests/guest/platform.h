/* SPDX-License-Identifier: GPL-2.0 */
/* What a PVH boot (nestvm's or QEMU's) hands the payload, and the ways out of the VM. */
#ifndef GUEST_PLATFORM_H
#define GUEST_PLATFORM_H

#include <stdint.h>

/* The command line from the hvm_start_info at @start_info_gpa ("" when there is none). */
const char *pvh_cmdline(uint32_t start_info_gpa);

/* The end of the highest RAM range in the PVH memory map (0 when there is no map). */
uint64_t pvh_ram_end(uint32_t start_info_gpa);

/*
 * ACPI S5: through nestvm's hardware-reduced sleep control register, or the ICH9 PM1a control
 * register on QEMU's q35. Either VMM exits 0.
 */
void poweroff(void) __attribute__((noreturn));

#endif
