// SPDX-License-Identifier: GPL-2.0
/*
 * \_SB.PCI0, a PCI Express root bridge (PCI Firmware 3.3, chapter 4; ACPI 6.5, 6.1-6.2), as
 * the guest's firmware would describe it:
 *
 *   Device (PCI0) { _HID PNP0A08, _CID PNP0A03, _SEG 0, _BBN 0, _UID 0,
 *                   _CRS { bus 0-0, the 0xCF8 ports, I/O, 32-bit and 64-bit MMIO windows },
 *                   _PRT { INTA-D of every slot to a GSI }, _OSC }
 *   Device (PRES) { _HID PNP0C02, _CRS { the ECAM } }
 */
#include <errno.h>
#include <stdio.h>

#include "boot/acpi_pci.h"

#define PCI_SLOTS 32
#define PCI_INTX_PINS 4
#define CONFIG_PORTS_BASE 0xcf8
#define CONFIG_PORTS 8

/* _OSC's UUID for PCI and PCIe host bridges, and its status bits (ACPI 6.5, 6.2.11). */
#define PCI_HOST_BRIDGE_OSC_UUID "33DB4D5B-1FF7-401C-9657-7441C03DD766"
#define OSC_FAILURE 0x02
#define OSC_UNRECOGNISED_UUID 0x04
#define OSC_DWORDS 3 /* query/status, support, control */

static bool window_ok(uint64_t base, uint64_t size, uint64_t limit)
{
	return size && base <= limit && size - 1 <= limit - base;
}

int acpi_pci_check(const struct acpi_pci_host *p)
{
	if (!p->ecam_base)
		return 0;
	if (p->ecam_base % ACPI_PCI_ECAM_SIZE || p->ecam_base > UINT32_MAX)
		return -EINVAL;
	if (!window_ok(p->io_base, p->io_size, UINT16_MAX) ||
	    !window_ok(p->mmio32_base, p->mmio32_size, UINT32_MAX) ||
	    (p->mmio64_size && !window_ok(p->mmio64_base, p->mmio64_size, UINT64_MAX)))
		return -EINVAL;
	return 0;
}

static int pci_crs(struct aml *a, const struct acpi_pci_host *p)
{
	aml_name(a, "_CRS");
	aml_resources_begin(a);
	aml_res_word_bus_number(a, 0, 0);
	/* Consumed, not a window: Linux drops exactly this range from the bridge's windows. */
	aml_res_io(a, CONFIG_PORTS_BASE, CONFIG_PORTS);
	aml_res_word_io(a, p->io_base, p->io_base + p->io_size - 1);
	aml_res_dword_memory(a, p->mmio32_base, p->mmio32_base + (p->mmio32_size - 1));
	if (p->mmio64_size)
		aml_res_qword_memory_window(a, p->mmio64_base,
					    p->mmio64_base + (p->mmio64_size - 1));
	return aml_end(a);
}

/*
 * Package { Address (slot << 16 | 0xFFFF: any function), Pin (0 = INTA), Source 0: a GSI
 * and not a link device, Source Index: the GSI }. A GSI entry is level, active low, shared,
 * as PCI INTx is: Linux takes those attributes without asking.
 */
static int pci_prt(struct aml *a, const struct acpi_pci_host *p)
{
	aml_name(a, "_PRT");
	aml_package_begin(a, PCI_SLOTS * PCI_INTX_PINS);
	for (unsigned int slot = 0; slot < PCI_SLOTS; slot++) {
		for (unsigned int pin = 0; pin < PCI_INTX_PINS; pin++) {
			aml_package_begin(a, 4);
			aml_integer(a, (uint64_t)slot << 16 | 0xffff);
			aml_integer(a, pin);
			aml_integer(a, 0);
			aml_integer(a, p->intx_gsi[(slot + pin) % PCI_INTX_PINS]);
			aml_end(a);
		}
	}
	return aml_end(a);
}

/* Or (@field, @bits, @field) */
static int or_into(struct aml *a, const char *field, uint32_t bits)
{
	aml_op(a, AML_OP_OR);
	aml_name_path(a, field);
	aml_integer(a, bits);
	return aml_name_path(a, field);
}

/*
 * There is no firmware to keep anything for itself, so the OS gets every control it asks
 * for: the control DWORD comes back as it went in. Without an _OSC, Linux would leave a
 * PCIe root's native hotplug, AER, PME and capability control off.
 *
 *   Method (_OSC, 4) {
 *       CreateDWordField (Arg3, 0, CDW1)
 *       If (LEqual (Arg0, ToUUID (PCI host bridge))) {
 *           If (LLess (Arg2, 3)) { Or (CDW1, 2, CDW1) }     // no control DWORD: failure
 *       } Else { Or (CDW1, 4, CDW1) }                       // unrecognised UUID
 *       Return (Arg3)
 *   }
 */
static int pci_osc(struct aml *a)
{
	aml_method_begin(a, "_OSC", 4);
	aml_op(a, AML_OP_CREATE_DWORD_FIELD);
	aml_arg(a, 3);
	aml_integer(a, 0);
	aml_name_seg(a, "CDW1");
	aml_if_begin(a);
	aml_op(a, AML_OP_LEQUAL);
	aml_arg(a, 0);
	aml_uuid(a, PCI_HOST_BRIDGE_OSC_UUID);
	aml_if_begin(a);
	aml_op(a, AML_OP_LLESS);
	aml_arg(a, 2);
	aml_integer(a, OSC_DWORDS);
	or_into(a, "CDW1", OSC_FAILURE);
	aml_end(a);
	aml_end(a);
	aml_else_begin(a);
	or_into(a, "CDW1", OSC_UNRECOGNISED_UUID);
	aml_end(a);
	aml_op(a, AML_OP_RETURN);
	aml_arg(a, 3);
	return aml_end(a);
}

int acpi_pci_dsdt(struct aml *a, const struct acpi_pci_host *p)
{
	if (!p->ecam_base)
		return 0;
	aml_device_begin(a, "PCI0");
	aml_name_hid(a, "_HID", "PNP0A08");
	aml_name_hid(a, "_CID", "PNP0A03");
	aml_name_integer(a, "_SEG", 0);
	aml_name_integer(a, "_BBN", 0);
	aml_name_integer(a, "_UID", 0);
	pci_crs(a, p);
	pci_prt(a, p);
	pci_osc(a);
	aml_end(a);

	/* The ECAM as a motherboard resource: what Linux looks for before it uses the MCFG. */
	aml_device_begin(a, "PRES");
	aml_name_hid(a, "_HID", "PNP0C02");
	aml_name_integer(a, "_UID", 0);
	aml_name(a, "_CRS");
	aml_resources_begin(a);
	aml_res_memory32_fixed(a, p->ecam_base, ACPI_PCI_ECAM_SIZE, true);
	aml_end(a);
	return aml_end(a);
}
