// SPDX-License-Identifier: GPL-2.0
/* The payload's check of its own page tables (selfcheck.h). */
#include <stdint.h>

#include "selfcheck.h"
#include "serial.h"

#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PS 0x80ULL
#define PTE_AD 0x60ULL /* accessed and dirty: the CPU sets them as it walks */
#define PD_ENTRIES 2048 /* four directories of 2 MiB pages: the first 4 GiB */
#define FLOOD_ETHERTYPE_HI 0x88
#define FLOOD_ETHERTYPE_LO 0xb5

/* entry.S's tables. */
extern uint64_t boot_pml4[512], boot_pdpt[512], boot_pd[PD_ENTRIES];

static void dump(const char *table, unsigned int index, const uint64_t *entry, uint64_t want)
{
	const uint8_t *line = (const uint8_t *)((uintptr_t)entry & ~63ULL);
	bool frame = false;

	for (unsigned int i = 0; i + 1 < 64; i++)
		frame |= line[i] == FLOOD_ETHERTYPE_HI && line[i + 1] == FLOOD_ETHERTYPE_LO;
	serial_printf("not ok - the payload's %s[%u] at GPA %#llx is %#llx, not %#llx%s; the 64 "
		      "bytes there:",
		      table, index, (unsigned long long)(uintptr_t)entry,
		      (unsigned long long)*entry, (unsigned long long)want,
		      frame ? " (they hold the flood's ethertype: a NIC frame landed there)" : "");
	for (unsigned int i = 0; i < 64; i++)
		serial_printf(" %02x", line[i]);
	serial_puts("\n");
}

static bool check(const char *table, const uint64_t *entries, unsigned int n, uint64_t first,
		  uint64_t step, unsigned int valid)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t want = i < valid ? first + i * step : 0;

		if ((entries[i] & ~PTE_AD) != want) {
			dump(table, i, &entries[i], want);
			return false;
		}
	}
	return true;
}

bool selfcheck_tables(void)
{
	static bool failed;

	if (failed)
		return false;
	failed = !check("PML4", boot_pml4, 512, (uintptr_t)boot_pdpt | PTE_P | PTE_RW, 0, 1) ||
		 !check("PDPT", boot_pdpt, 512, (uintptr_t)boot_pd | PTE_P | PTE_RW, 4096, 4) ||
		 !check("PD", boot_pd, PD_ENTRIES, PTE_P | PTE_RW | PTE_PS, 1ULL << 21, PD_ENTRIES);
	return !failed;
}
