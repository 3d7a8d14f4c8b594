// SPDX-License-Identifier: GPL-2.0
/* Register formats: the ACPI spec's sleep control/status and reset registers (hardware-reduced). */
#include <string.h>

#include "devices/acpi_pm.h"
#include "vmm/log.h"

#define SLEEP_CONTROL (ACPI_SLEEP_CONTROL_PORT - ACPI_PM_BASE)
#define SLEEP_STATUS (ACPI_SLEEP_STATUS_PORT - ACPI_PM_BASE)
#define RESET (ACPI_RESET_PORT - ACPI_PM_BASE)

_Static_assert(SLEEP_CONTROL >= 0 && SLEEP_CONTROL < ACPI_PM_SIZE && SLEEP_STATUS >= 0 &&
		   SLEEP_STATUS < ACPI_PM_SIZE && RESET >= 0 && RESET < ACPI_PM_SIZE,
	       "the ACPI power registers must lie in one 3-port region");

#define SLP_TYP_SHIFT 2
#define SLP_TYP_MASK 0x7
#define SLP_EN 0x20

static void write_sleep_control(struct acpi_pm *pm, uint8_t val)
{
	unsigned int type = (val >> SLP_TYP_SHIFT) & SLP_TYP_MASK;

	if (!(val & SLP_EN))
		return;
	if (type == pm->s5_sleep_type) {
		pm->ctl->request_stop(pm->ctl, VM_STOP_POWEROFF);
		return;
	}
	/* Only S5 is in the DSDT; a guest asking for another state just goes on running. */
	if (!__atomic_exchange_n(&pm->warned_sleep, true, __ATOMIC_RELAXED))
		pr_warn("acpi: the guest asked for sleep type %u; only S5 (%u) is supported", type,
			pm->s5_sleep_type);
}

static void write_reg(struct acpi_pm *pm, uint64_t reg, uint8_t val)
{
	if (reg == SLEEP_CONTROL)
		write_sleep_control(pm, val);
	else if (reg == RESET && val == pm->reset_value)
		pm->ctl->request_stop(pm->ctl, VM_STOP_RESET);
	/* Sleep status: WAK_STS is never set, so clearing it is a no-op. */
}

/* Each byte of a wide access goes to its own port, as on the ISA bus. */
static void acpi_pm_read(void *opaque, uint64_t offset, void *data, unsigned int len)
{
	uint8_t *bytes = data;
	unsigned int i;

	(void)opaque;
	for (i = 0; i < len; i++)
		bytes[i] = offset < ACPI_PM_SIZE && i < ACPI_PM_SIZE - offset ? 0 : 0xff;
}

static void acpi_pm_write(void *opaque, uint64_t offset, const void *data, unsigned int len)
{
	const uint8_t *bytes = data;
	unsigned int i;

	for (i = 0; i < len && offset < ACPI_PM_SIZE && i < ACPI_PM_SIZE - offset; i++)
		write_reg(opaque, offset + i, bytes[i]);
}

static const struct bus_ops acpi_pm_ops = {
	.read = acpi_pm_read,
	.write = acpi_pm_write,
};

const struct bus_ops *acpi_pm_init(struct acpi_pm *pm, struct vm_control *ctl,
				   uint8_t s5_sleep_type, uint8_t reset_value)
{
	memset(pm, 0, sizeof(*pm));
	pm->ctl = ctl;
	pm->s5_sleep_type = s5_sleep_type;
	pm->reset_value = reset_value;
	return &acpi_pm_ops;
}

int acpi_pm_attach(struct bus *pio, struct acpi_pm *pm)
{
	return bus_register(pio, ACPI_PM_BASE, ACPI_PM_SIZE, &acpi_pm_ops, pm, "acpi-pm");
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	pm->ctl = NULL;
}
