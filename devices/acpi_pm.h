/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hardware-reduced ACPI power registers the FADT points at (ports in vmm/layout.h), one
 * byte each: sleep control (SLP_EN with the S5 sleep type powers off), sleep status (reads
 * 0) and reset (the reset value resets).
 */
#ifndef NESTVM_ACPI_PM_H
#define NESTVM_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/layout.h"

/* The three registers as one region, at the lowest of their ports. */
#define ACPI_PM_BASE ACPI_SLEEP_CONTROL_PORT
#define ACPI_PM_SIZE 3

struct acpi_pm {
	struct vm_control *ctl;
	uint8_t s5_sleep_type; /* SLP_TYP of \_S5, as the DSDT tells the guest */
	uint8_t reset_value; /* RESET_VALUE in the FADT */
	bool warned_sleep; /* another sleep state was asked for and refused (logged once) */
};

const struct bus_ops *acpi_pm_init(struct acpi_pm *pm, struct vm_control *ctl,
				   uint8_t s5_sleep_type, uint8_t reset_value);

/* Registers the three ports on @pio. Returns 0 or a negative errno. */
int acpi_pm_attach(struct bus *pio, struct acpi_pm *pm);

void acpi_pm_destroy(struct acpi_pm *pm);

#endif
