// SPDX-License-Identifier: GPL-2.0
/* The payload's exception handler (trap.h); the stubs are in trap_entry.S. */
#include <stdbool.h>
#include <stdint.h>

#include "platform.h"
#include "serial.h"
#include "trap.h"

#define TRAP_VECTORS 32
#define TRAP_STUB_SIZE 16 /* trap_entry.S aligns each stub to this */
#define KERNEL_CS 0x08 /* as in entry.S's GDT */
#define TSS_SEL 0x18
#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define TSS_AVAILABLE 0x89 /* present, 64-bit TSS, not busy */
#define TRAP_STACK_SIZE 16384

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t zero;
} __attribute__((packed));

struct trap_frame {
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));

extern const char trap_stubs[];
static struct idt_gate idt[TRAP_VECTORS] __attribute__((aligned(16)));
static struct tss tss __attribute__((aligned(16)));
/*
 * Every exception runs on this stack (IST 1), whatever rsp was: a payload whose rsp went bad
 * would otherwise fault again pushing the frame, and triple fault without a word.
 */
static uint8_t trap_stack[TRAP_STACK_SIZE] __attribute__((aligned(16)));
/* entry.S's code and data segments again, then the TSS (a 16-byte descriptor). */
static uint64_t gdt[5] __attribute__((aligned(16))) = {
	0,
	0x00af9a000000ffffULL,
	0x00cf92000000ffffULL,
};

static const char *const names[TRAP_VECTORS] = {
	[0] = "#DE",  [1] = "#DB",  [2] = "NMI",  [3] = "#BP",	[4] = "#OF",  [5] = "#BR",
	[6] = "#UD",  [7] = "#NM",  [8] = "#DF",  [10] = "#TS", [11] = "#NP", [12] = "#SS",
	[13] = "#GP", [14] = "#PF", [16] = "#MF", [17] = "#AC", [18] = "#MC", [19] = "#XM",
	[20] = "#VE", [21] = "#CP", [29] = "#VC", [30] = "#SX",
};

void trap_report(const struct trap_frame *f);

void trap_report(const struct trap_frame *f)
{
	static bool reporting;
	uint64_t cr2;

	/* A fault while reporting would come back here on the same IST stack, for ever. */
	if (reporting)
		poweroff();
	reporting = true;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	serial_printf(
	    "not ok - the payload took %s (vector %llu) at rip %#llx: error code %#llx, "
	    "cr2 %#llx, rsp %#llx\n",
	    f->vector < TRAP_VECTORS && names[f->vector] ? names[f->vector] : "an exception",
	    (unsigned long long)f->vector, (unsigned long long)f->rip, (unsigned long long)f->error,
	    (unsigned long long)cr2, (unsigned long long)f->rsp);
	poweroff();
}

struct table_desc {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static void load_tss(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
	struct table_desc desc = { sizeof(gdt) - 1, (uint64_t)gdt };

	tss.ist[0] = (uint64_t)(trap_stack + sizeof(trap_stack));
	tss.iomap_base = sizeof(tss); /* no I/O permission bitmap */
	gdt[TSS_SEL / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 |
			   (uint64_t)TSS_AVAILABLE << 40 | (limit >> 16 & 0xf) << 48 |
			   (base >> 24 & 0xff) << 56;
	gdt[TSS_SEL / 8 + 1] = base >> 32;
	/* The same selectors as before: the segment registers need no reload. */
	__asm__ volatile("lgdt %0" : : "m"(desc) : "memory");
	__asm__ volatile("ltr %w0" : : "r"(TSS_SEL) : "memory");
}

void trap_init(void)
{
	struct table_desc desc = { sizeof(idt) - 1, (uint64_t)idt };

	load_tss();
	for (unsigned int v = 0; v < TRAP_VECTORS; v++) {
		uint64_t at = (uint64_t)(trap_stubs + v * TRAP_STUB_SIZE);

		idt[v] = (struct idt_gate){
			.offset_lo = (uint16_t)at,
			.selector = KERNEL_CS,
			.ist = 1,
			.type = GATE_INTERRUPT,
			.offset_mid = (uint16_t)(at >> 16),
			.offset_hi = (uint32_t)(at >> 32),
		};
	}
	__asm__ volatile("lidt %0" : : "m"(desc) : "memory");
}
