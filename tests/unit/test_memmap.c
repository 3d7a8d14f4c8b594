// SPDX-License-Identifier: GPL-2.0
/* The guest's E820 map: RAM around the legacy and MMIO holes, and reserved ranges in order. */
#include <errno.h>

#include "boot/boot.h"
#include "vmm/layout.h"
#include "unit.h"

START_TEST(ram_and_a_reserved_ecam_in_address_order)
{
	struct gmem mem = { .count = 2 };
	struct boot_mem_range ecam = { PCI_ECAM_GPA, 1 << 20, BOOT_MEM_RAM };
	struct boot_config cfg = { .reserved = &ecam, .nreserved = 1 };
	struct boot_mem_range map[BOOT_MEM_MAX], many[BOOT_MEM_MAX] = { { 0 } };
	int n;

	mem.regions[0] = (struct gmem_region){ .gpa = 0, .size = MMIO_HOLE_GPA };
	mem.regions[1] = (struct gmem_region){ .gpa = MMIO_HOLE_END, .size = 1ULL << 30 };
	n = boot_memmap(&mem, &cfg, map);
	ck_assert_int_eq(n, 5);
	ck_assert_uint_eq(map[0].addr, 0);
	ck_assert_uint_eq(map[2].addr, HIGH_MEMORY_GPA);
	ck_assert_uint_eq(map[3].addr, PCI_ECAM_GPA);
	ck_assert_uint_eq(map[3].size, 1 << 20);
	ck_assert_uint_eq(map[3].type, BOOT_MEM_RESERVED); /* whatever the caller said */
	ck_assert_uint_eq(map[4].addr, MMIO_HOLE_END);
	ck_assert_uint_eq(map[4].type, BOOT_MEM_RAM);
	for (int i = 1; i < n; i++)
		ck_assert_uint_le(map[i - 1].addr + map[i - 1].size, map[i].addr);

	/* No room for more than BOOT_MEM_MAX entries. */
	cfg.reserved = many;
	cfg.nreserved = BOOT_MEM_MAX;
	ck_assert_int_eq(boot_memmap(&mem, &cfg, map), -ENOSPC);
}
END_TEST

Suite *memmap_suite(void)
{
	Suite *s = suite_create("memmap");
	TCase *tc = tcase_create("e820");

	tcase_add_test(tc, ram_and_a_reserved_ecam_in_address_order);
	suite_add_tcase(s, tc);
	return s;
}
