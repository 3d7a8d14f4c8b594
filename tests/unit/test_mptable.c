// SPDX-License-Identifier: GPL-2.0
/*
 * The MP table, read back the way Linux's arch/x86/kernel/mpparse.c reads it: the floating
 * pointer's signature, length, revision and checksum, then the configuration table's, then
 * each entry by its type; and the e820 map keeps the table out of the guest's RAM.
 */
#include <errno.h>
#include <string.h>

#include "boot/boot.h"
#include "boot/mptable.h"
#include "vmm/layout.h"
#include "unit.h"

#define CANARY 64
#define CANARY_BYTE 0x5a

static const struct mptable_irq irqs[] = {
	{ .irq = 0, .pin = 0 },
	{ .irq = 4, .pin = 4 },
	{ .irq = 9, .pin = 9, .level = true, .active_low = true },
	{ .irq = 16, .pin = 16 },
	{ .irq = 23, .pin = 23 },
};

static struct mptable_irq cfg_irqs[MPTABLE_MAX_IRQS + 1];
static struct mptable_config cfg;
static uint8_t table[MPTABLE_SIZE + CANARY];
static uint8_t canary[MPTABLE_SIZE + CANARY];

static void reset_config(void)
{
	memcpy(cfg_irqs, irqs, sizeof(irqs));
	cfg = (struct mptable_config){
		.ncpus = 3,
		.lapic_addr = LAPIC_GPA,
		.ioapic_addr = IOAPIC_GPA,
		.ioapic_id = 0,
		.irqs = cfg_irqs,
		.nirqs = sizeof(irqs) / sizeof(irqs[0]),
	};
}

static uint32_t le(const uint8_t *p, unsigned int bytes)
{
	uint32_t v = 0;

	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* Builds at MPTABLE_GPA and returns the configuration table, checked as Linux checks it. */
static const uint8_t *build_and_check(long *used)
{
	const uint8_t *mpc;
	uint32_t physptr;

	*used = mptable_build(table, MPTABLE_SIZE, MPTABLE_GPA, &cfg);
	ck_assert_int_gt(*used, 16 + 44);
	ck_assert_mem_eq(table, "_MP_", 4);
	ck_assert_uint_eq(table[8], 1); /* length, in paragraphs */
	ck_assert_uint_eq(table[9], 4); /* MP 1.4 */
	ck_assert_uint_eq(sum(table, 16), 0);
	ck_assert_uint_eq(table[11], 0); /* feature 1: not a default configuration */
	physptr = le(table + 4, 4);
	ck_assert_uint_eq(physptr, MPTABLE_GPA + 16);

	mpc = table + (physptr - MPTABLE_GPA);
	ck_assert_mem_eq(mpc, "PCMP", 4);
	ck_assert_uint_eq(16 + le(mpc + 4, 2), *used);
	ck_assert_uint_eq(mpc[6], 4);
	ck_assert_uint_eq(sum(mpc, le(mpc + 4, 2)), 0);
	ck_assert_uint_eq(le(mpc + 36, 4), LAPIC_GPA);
	ck_assert_uint_eq(le(mpc + 40, 2), 0); /* no extended table */
	return mpc;
}

START_TEST(pointer_and_header)
{
	long used;
	const uint8_t *mpc;

	reset_config();
	mpc = build_and_check(&used);
	ck_assert_mem_eq(mpc + 8, "NESTVM  ", 8);
	ck_assert_uint_eq(le(mpc + 34, 2), 3 + 1 + 1 + 5 + 2);
	ck_assert_uint_eq(le(mpc + 4, 2), 44 + 3 * 20 + (1 + 1 + 5 + 2) * 8);
}
END_TEST

START_TEST(entries_in_spec_order)
{
	unsigned int cpus = 0, buses = 0, ioapics = 0, ints = 0, lints = 0, count = 0;
	int last_type = -1;
	const uint8_t *mpc, *e, *end;
	long used;

	reset_config();
	mpc = build_and_check(&used);
	e = mpc + 44;
	end = mpc + le(mpc + 4, 2);
	while (e < end) {
		ck_assert_int_ge(e[0], last_type); /* processors, buses, I/O APICs, ints, lints */
		last_type = e[0];
		count++;
		switch (e[0]) {
		case 0: /* processor */
			ck_assert_uint_eq(e[1], cpus); /* LAPIC id */
			ck_assert_uint_eq(e[2], 0x14);
			ck_assert_uint_eq(e[3], cpus == 0 ? 3 : 1); /* enabled, boot CPU first */
			cpus++;
			e += 20;
			continue;
		case 1: /* bus */
			ck_assert_uint_eq(e[1], 0);
			ck_assert_mem_eq(e + 2, "ISA   ", 6);
			buses++;
			break;
		case 2: /* I/O APIC */
			ck_assert_uint_eq(e[1], 0);
			ck_assert_uint_eq(e[3], 1); /* usable */
			ck_assert_uint_eq(le(e + 4, 4), IOAPIC_GPA);
			ioapics++;
			break;
		case 3: { /* I/O interrupt */
			const struct mptable_irq *want = &irqs[ints];
			uint16_t flags = want->level ? 0xc : 0x4;

			flags |= want->active_low ? 0x3 : 0x1;
			ck_assert_uint_eq(e[1], 0); /* INT */
			ck_assert_uint_eq(le(e + 2, 2), flags);
			ck_assert_uint_eq(e[4], 0); /* the ISA bus */
			ck_assert_uint_eq(e[5], want->irq);
			ck_assert_uint_eq(e[6], 0); /* the I/O APIC's id */
			ck_assert_uint_eq(e[7], want->pin);
			ints++;
			break;
		}
		case 4: /* local interrupt: ExtINT on LINT0, NMI on LINT1, every LAPIC */
			ck_assert_uint_eq(e[1], lints == 0 ? 3 : 1);
			ck_assert_uint_eq(e[6], 0xff);
			ck_assert_uint_eq(e[7], lints);
			lints++;
			break;
		default:
			ck_abort_msg("unknown entry type %u", e[0]);
		}
		e += 8;
	}
	ck_assert_ptr_eq(e, end);
	ck_assert_uint_eq(cpus, 3);
	ck_assert_uint_eq(buses, 1);
	ck_assert_uint_eq(ioapics, 1);
	ck_assert_uint_eq(ints, 5);
	ck_assert_uint_eq(lints, 2);
	ck_assert_uint_eq(count, le(mpc + 34, 2));
}
END_TEST

START_TEST(most_cpus_fit)
{
	long used;

	reset_config();
	cfg.ncpus = 254;
	for (unsigned int i = 0; i < MPTABLE_MAX_IRQS; i++)
		cfg_irqs[i] = (struct mptable_irq){ .irq = i == 2 ? 24 : i, .pin = i };
	cfg.nirqs = MPTABLE_MAX_IRQS;
	build_and_check(&used);
	ck_assert_int_le(used, MPTABLE_SIZE);
}
END_TEST

START_TEST(no_irqs)
{
	long used;

	reset_config();
	cfg.irqs = NULL;
	cfg.nirqs = 0;
	cfg.ncpus = 1;
	build_and_check(&used);
	ck_assert_int_eq(used, 16 + 44 + 20 + 4 * 8);
}
END_TEST

START_TEST(bad_configs)
{
	reset_config();
	cfg.ncpus = 0;
	ck_assert_int_eq(mptable_build(table, MPTABLE_SIZE, MPTABLE_GPA, &cfg), -EINVAL);
	cfg.ncpus = 255;
	ck_assert_int_eq(mptable_build(table, MPTABLE_SIZE, MPTABLE_GPA, &cfg), -EINVAL);

	reset_config();
	cfg_irqs[1].pin = MPTABLE_IOAPIC_PINS;
	ck_assert_int_eq(mptable_build(table, MPTABLE_SIZE, MPTABLE_GPA, &cfg), -EINVAL);

	reset_config();
	cfg_irqs[1].pin = cfg_irqs[0].pin; /* one pin, two sources */
	ck_assert_int_eq(mptable_build(table, MPTABLE_SIZE, MPTABLE_GPA, &cfg), -EINVAL);

	reset_config();
	cfg_irqs[1].irq = 2; /* the cascade: Linux refuses it */
	ck_assert_int_eq(mptable_build(table, MPTABLE_SIZE, MPTABLE_GPA, &cfg), -EINVAL);

	reset_config();
	cfg.nirqs = MPTABLE_MAX_IRQS + 1;
	ck_assert_int_eq(mptable_build(table, MPTABLE_SIZE, MPTABLE_GPA, &cfg), -EINVAL);

	reset_config();
	ck_assert_int_eq(mptable_build(table, MPTABLE_SIZE, MPTABLE_GPA + 8, &cfg), -EINVAL);
	ck_assert_int_eq(mptable_build(table, MPTABLE_SIZE, 0x100000000ULL, &cfg), -EINVAL);
}
END_TEST

START_TEST(never_writes_past_the_end)
{
	long need;

	reset_config();
	need = mptable_build(table, MPTABLE_SIZE, MPTABLE_GPA, &cfg);
	ck_assert_int_gt(need, 0);
	memset(canary, CANARY_BYTE, sizeof(canary));
	for (long size = 0; size < need; size++) {
		memset(table, CANARY_BYTE, need + CANARY);
		ck_assert_int_eq(mptable_build(table, size, MPTABLE_GPA, &cfg), -ENOSPC);
		ck_assert(!memcmp(table, canary, need + CANARY));
	}
	memset(table, CANARY_BYTE, need + CANARY);
	ck_assert_int_eq(mptable_build(table, need, MPTABLE_GPA, &cfg), need);
	ck_assert(!memcmp(table + need, canary, CANARY));
}
END_TEST

/* The table lies where Linux scans (the F segment), in a range e820 reserves. */
START_TEST(e820_reserves_the_table)
{
	struct gmem mem = { .regions = { { 0, 256 << 20, NULL } }, .count = 1 };
	struct boot_mem_range map[BOOT_MEM_MAX];
	struct boot_config cfg = { 0 };
	int n = boot_memmap(&mem, &cfg, map);
	bool reserved = false;

	ck_assert_int_gt(n, 0);
	ck_assert_uint_ge(MPTABLE_GPA, 0xf0000);
	ck_assert_uint_le(MPTABLE_GPA + MPTABLE_SIZE, 0x100000);
	for (int i = 0; i < n; i++) {
		uint64_t start = map[i].addr, end = map[i].addr + map[i].size;

		if (map[i].type == BOOT_MEM_RESERVED && start <= MPTABLE_GPA &&
		    end >= MPTABLE_GPA + MPTABLE_SIZE)
			reserved = true;
		if (map[i].type == BOOT_MEM_RAM)
			ck_assert(end <= MPTABLE_GPA || start >= MPTABLE_GPA + MPTABLE_SIZE);
	}
	ck_assert(reserved);
	/* and the ACPI tables end where it starts */
	ck_assert_uint_le(ACPI_TABLES_GPA + ACPI_TABLES_SIZE, MPTABLE_GPA);
}
END_TEST

Suite *mptable_suite(void)
{
	Suite *s = suite_create("mptable");
	TCase *tc = tcase_create("mptable");

	tcase_add_test(tc, pointer_and_header);
	tcase_add_test(tc, entries_in_spec_order);
	tcase_add_test(tc, most_cpus_fit);
	tcase_add_test(tc, no_irqs);
	tcase_add_test(tc, bad_configs);
	tcase_add_test(tc, never_writes_past_the_end);
	tcase_add_test(tc, e820_reserves_the_table);
	suite_add_tcase(s, tc);
	return s;
}
