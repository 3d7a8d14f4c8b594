/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An Intel MultiProcessor Specification 1.4 table: how a kernel without ACPI (or booted with
 * acpi=off) finds the CPUs, the I/O APIC and which I/O APIC pin each interrupt arrives on.
 * boot/ knows nothing of devices: the caller lists the interrupts to route.
 */
#ifndef NESTVM_MPTABLE_H
#define NESTVM_MPTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MPTABLE_IOAPIC_PINS 24 /* KVM's in-kernel I/O APIC */
#define MPTABLE_MAX_IRQS MPTABLE_IOAPIC_PINS

/* One interrupt on the ISA bus (bus 0), delivered to I/O APIC input @pin. */
struct mptable_irq {
	uint8_t irq; /* the bus IRQ; Linux uses it as the IRQ number (GSI for 16 and up) */
	uint8_t pin; /* the I/O APIC input (GSI, the I/O APIC's base is 0) */
	bool level; /* level-triggered, else edge */
	bool active_low; /* else active high */
};

struct mptable_config {
	unsigned int ncpus; /* LAPIC ids 0..ncpus-1; 0 is the boot CPU */
	uint32_t lapic_addr; /* 0xFEE00000 */
	uint32_t ioapic_addr; /* 0xFEC00000 */
	uint8_t ioapic_id;
	const struct mptable_irq *irqs;
	unsigned int nirqs;
};

/*
 * Writes the floating pointer (16 bytes, first, at @gpa) and the configuration table after it
 * into @buf, which the guest sees at @gpa. Returns the bytes used, -EINVAL for a bad config
 * (ncpus 0 or over 254, a pin past the I/O APIC, a repeated pin, IRQ 2 (the 8259 cascade),
 * too many IRQs) or a @gpa not 16-byte aligned or above 4 GiB, else -ENOSPC if @size is too
 * small.
 */
long mptable_build(void *buf, size_t size, uint64_t gpa, const struct mptable_config *cfg);

#endif
