/* SPDX-License-Identifier: GPL-2.0 */
/* The DSDT's part for a PCI host bridge (boot/acpi.c's helper). */
#ifndef NESTVM_ACPI_PCI_H
#define NESTVM_ACPI_PCI_H

#include "boot/acpi.h"
#include "boot/aml.h"

#define ACPI_PCI_ECAM_SIZE (1ULL << 20) /* bus 0 only */

/* -EINVAL if a window is empty or wraps or the ECAM is not 1 MiB aligned below 4 GiB. */
int acpi_pci_check(const struct acpi_pci_host *p);

/* Writes \_SB.PCI0 and its motherboard resource into the open \_SB scope. */
int acpi_pci_dsdt(struct aml *a, const struct acpi_pci_host *p);

#endif
