// SPDX-License-Identifier: GPL-2.0
/*
 * The MP table (Intel MultiProcessor Specification 1.4, chapter 4): a floating pointer
 * structure the guest finds by scanning, and the configuration table it points to, with one
 * entry per processor, bus, I/O APIC, I/O interrupt and local interrupt, in that order.
 */
#include <errno.h>
#include <string.h>

#include "vmm/bytes.h"
#include "mptable.h"

#define MP_SPEC_REV 4 /* 1.4 */

/* Floating pointer structure (4.1). */
enum {
	MPF_SIGNATURE = 0, /* "_MP_" */
	MPF_PHYSPTR = 4,
	MPF_LENGTH = 8, /* in 16-byte units: 1 */
	MPF_SPEC_REV = 9,
	MPF_CHECKSUM = 10,
	MPF_FEATURE1 = 11, /* 0: a configuration table is present */
	MPF_FEATURE2 = 12, /* bit 7 clear: virtual wire mode, no IMCR */
	MPF_SIZE = 16,
};

/* Configuration table header (4.2). */
enum {
	MPC_SIGNATURE = 0, /* "PCMP" */
	MPC_LENGTH = 4,
	MPC_SPEC_REV = 6,
	MPC_CHECKSUM = 7,
	MPC_OEM_ID = 8,
	MPC_PRODUCT_ID = 16,
	MPC_OEM_TABLE = 28,
	MPC_OEM_TABLE_SIZE = 32,
	MPC_ENTRY_COUNT = 34,
	MPC_LAPIC_ADDR = 36,
	MPC_EXT_LENGTH = 40,
	MPC_EXT_CHECKSUM = 42,
	MPC_HEADER_SIZE = 44,
};

/* Entries (4.3): a processor is 20 bytes, every other kind 8. */
enum {
	MP_PROCESSOR = 0,
	MP_BUS = 1,
	MP_IOAPIC = 2,
	MP_INTSRC = 3,
	MP_LINTSRC = 4,
	MP_PROCESSOR_SIZE = 20,
	MP_ENTRY_SIZE = 8,
};

#define MP_CPU_ENABLED 0x1
#define MP_CPU_BOOT 0x2
#define MP_IOAPIC_ENABLED 0x1
#define MP_INT 0
#define MP_NMI 1
#define MP_EXTINT 3
#define MP_POLARITY_HIGH 0x1
#define MP_POLARITY_LOW 0x3
#define MP_TRIGGER_EDGE (0x1 << 2)
#define MP_TRIGGER_LEVEL (0x3 << 2)
#define MP_ALL_LAPICS 0xff
#define MP_ISA_BUS 0
#define MP_CASCADE_IRQ 2 /* Linux refuses ISA IRQ 2 where there is a legacy PIC */

/* What KVM's in-kernel LAPIC and I/O APIC report in their version registers. */
#define LAPIC_VERSION 0x14
#define IOAPIC_VERSION 0x11

#define MP_MAX_CPUS 254 /* xAPIC ids 0..253; 255 is the broadcast id */

static int check_config(const struct mptable_config *cfg, uint64_t gpa)
{
	uint32_t pins = 0;

	if (!cfg->ncpus || cfg->ncpus > MP_MAX_CPUS || cfg->nirqs > MPTABLE_MAX_IRQS ||
	    (cfg->nirqs && !cfg->irqs) || gpa % 16 || gpa + MPF_SIZE > UINT32_MAX)
		return -EINVAL;
	for (unsigned int i = 0; i < cfg->nirqs; i++) {
		const struct mptable_irq *irq = &cfg->irqs[i];

		if (irq->pin >= MPTABLE_IOAPIC_PINS || pins & (1u << irq->pin) ||
		    irq->irq == MP_CASCADE_IRQ)
			return -EINVAL;
		pins |= 1u << irq->pin;
	}
	return 0;
}

static uint8_t *put_processor(uint8_t *p, unsigned int id)
{
	memset(p, 0, MP_PROCESSOR_SIZE);
	p[0] = MP_PROCESSOR;
	p[1] = id;
	p[2] = LAPIC_VERSION;
	p[3] = MP_CPU_ENABLED | (id == 0 ? MP_CPU_BOOT : 0);
	/* CPU signature and feature flags stay 0: Linux reads them from CPUID. */
	return p + MP_PROCESSOR_SIZE;
}

static uint8_t *put_intsrc(uint8_t *p, uint8_t type, uint8_t kind, uint16_t flags, uint8_t irq,
			   uint8_t dest_id, uint8_t dest_pin)
{
	p[0] = type;
	p[1] = kind;
	put_le(p + 2, flags, 2);
	p[4] = MP_ISA_BUS;
	p[5] = irq;
	p[6] = dest_id;
	p[7] = dest_pin;
	return p + MP_ENTRY_SIZE;
}

long mptable_build(void *buf, size_t size, uint64_t gpa, const struct mptable_config *cfg)
{
	/* After the processors: the bus, the I/O APIC, the IRQs, LINT0 and LINT1. */
	unsigned int nentries = 2 + cfg->nirqs + 2;
	size_t table_len =
	    MPC_HEADER_SIZE + cfg->ncpus * MP_PROCESSOR_SIZE + nentries * MP_ENTRY_SIZE;
	uint8_t *mpf = buf, *mpc = mpf + MPF_SIZE, *e;
	int ret = check_config(cfg, gpa);

	if (ret)
		return ret;
	if (size < MPF_SIZE + table_len)
		return -ENOSPC;
	memset(buf, 0, MPF_SIZE + table_len);

	e = mpc + MPC_HEADER_SIZE;
	for (unsigned int cpu = 0; cpu < cfg->ncpus; cpu++)
		e = put_processor(e, cpu);
	e[0] = MP_BUS;
	e[1] = MP_ISA_BUS;
	memcpy(e + 2, "ISA   ", 6);
	e += MP_ENTRY_SIZE;
	e[0] = MP_IOAPIC;
	e[1] = cfg->ioapic_id;
	e[2] = IOAPIC_VERSION;
	e[3] = MP_IOAPIC_ENABLED;
	put_le(e + 4, cfg->ioapic_addr, 4);
	e += MP_ENTRY_SIZE;
	for (unsigned int i = 0; i < cfg->nirqs; i++) {
		const struct mptable_irq *irq = &cfg->irqs[i];
		uint16_t flags = (irq->active_low ? MP_POLARITY_LOW : MP_POLARITY_HIGH) |
				 (irq->level ? MP_TRIGGER_LEVEL : MP_TRIGGER_EDGE);

		e = put_intsrc(e, MP_INTSRC, MP_INT, flags, irq->irq, cfg->ioapic_id, irq->pin);
	}
	/* Every LAPIC: the 8259 on LINT0 (virtual wire), NMI on LINT1, as on PCs. */
	e = put_intsrc(e, MP_LINTSRC, MP_EXTINT, 0, 0, MP_ALL_LAPICS, 0);
	put_intsrc(e, MP_LINTSRC, MP_NMI, 0, 0, MP_ALL_LAPICS, 1);

	memcpy(mpc + MPC_SIGNATURE, "PCMP", 4);
	put_le(mpc + MPC_LENGTH, table_len, 2);
	mpc[MPC_SPEC_REV] = MP_SPEC_REV;
	memcpy(mpc + MPC_OEM_ID, "NESTVM  ", 8);
	memcpy(mpc + MPC_PRODUCT_ID, "NESTVM      ", 12);
	put_le(mpc + MPC_ENTRY_COUNT, cfg->ncpus + nentries, 2);
	put_le(mpc + MPC_LAPIC_ADDR, cfg->lapic_addr, 4);
	mpc[MPC_CHECKSUM] = checksum(mpc, table_len);

	memcpy(mpf + MPF_SIGNATURE, "_MP_", 4);
	put_le(mpf + MPF_PHYSPTR, gpa + MPF_SIZE, 4);
	mpf[MPF_LENGTH] = MPF_SIZE / 16;
	mpf[MPF_SPEC_REV] = MP_SPEC_REV;
	mpf[MPF_CHECKSUM] = checksum(mpf, MPF_SIZE);
	return MPF_SIZE + table_len;
}
