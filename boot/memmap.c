// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/layout.h"
#include "vmm/util.h"
#include "boot.h"

/*
 * The map both boot protocols hand the guest. Below 1 MiB, RAM stops at the EBDA and the
 * rest (EBDA, VGA hole, BIOS area with our ACPI tables) is reserved, as on a PC.
 */
int boot_memmap(const struct gmem *mem, const struct boot_config *cfg, struct boot_mem_range *out)
{
	int n = 0;

	for (unsigned int i = 0; i < mem->count; i++) {
		const struct gmem_region *r = &mem->regions[i];

		if (n + 3 > BOOT_MEM_MAX)
			return -ENOSPC;
		if (r->gpa == 0) {
			if (r->size <= HIGH_MEMORY_GPA)
				return -EINVAL;
			out[n++] = (struct boot_mem_range){ 0, EBDA_GPA, BOOT_MEM_RAM };
			out[n++] = (struct boot_mem_range){ EBDA_GPA, HIGH_MEMORY_GPA - EBDA_GPA,
							    BOOT_MEM_RESERVED };
			out[n++] =
			    (struct boot_mem_range){ HIGH_MEMORY_GPA, r->size - HIGH_MEMORY_GPA,
						     BOOT_MEM_RAM };
		} else {
			out[n++] = (struct boot_mem_range){ r->gpa, r->size, BOOT_MEM_RAM };
		}
	}
	for (unsigned int i = 0; i < cfg->nreserved; i++) {
		if (n == BOOT_MEM_MAX)
			return -ENOSPC;
		out[n] = cfg->reserved[i];
		out[n++].type = BOOT_MEM_RESERVED;
	}
	/* Insertion sort: a handful of entries, and some loaders expect them in order. */
	for (int i = 1; i < n; i++) {
		struct boot_mem_range e = out[i];
		int j = i;

		for (; j > 0 && out[j - 1].addr > e.addr; j--)
			out[j] = out[j - 1];
		out[j] = e;
	}
	return n;
}

int boot_write_gdt(const struct gmem *mem, struct boot_entry *entry, int mode)
{
	/*
	 * 0x08: flat 32-bit code (PVH), 0x10: 64-bit code and 0x18: flat data, the selectors the
	 * Linux boot protocol calls __BOOT_CS and __BOOT_DS.
	 */
	static const uint64_t gdt[] = {
		0,
		0x00cf9b000000ffffULL,
		0x00af9b000000ffffULL,
		0x00cf93000000ffffULL,
	};

	entry->gdt_gpa = BOOT_GDT_GPA;
	entry->gdt_limit = sizeof(gdt) - 1;
	entry->code_sel = mode == BOOT_PVH_32 ? 0x08 : 0x10;
	entry->data_sel = 0x18;
	return gmem_write(mem, BOOT_GDT_GPA, gdt, sizeof(gdt));
}

enum boot_image_kind boot_image_kind(const void *image, size_t size)
{
	const uint8_t *p = image;

	if (size >= 4 && !memcmp(p, "\177ELF", 4))
		return IMAGE_ELF;
	/* The setup header's "HdrS" at 0x202 and the boot flag 0xAA55 at 0x1fe. */
	if (size >= 0x206 && p[0x1fe] == 0x55 && p[0x1ff] == 0xaa && !memcmp(p + 0x202, "HdrS", 4))
		return IMAGE_BZIMAGE;
	return IMAGE_UNKNOWN;
}

uint64_t boot_low_ram_end(const struct gmem *mem)
{
	for (unsigned int i = 0; i < mem->count; i++) {
		if (mem->regions[i].gpa == 0)
			return mem->regions[i].size;
	}
	return 0;
}

int boot_place_initrd(const struct gmem *mem, const struct boot_config *cfg, uint64_t kernel_end,
		      uint64_t max_addr, uint64_t *addr, char *err, size_t errlen)
{
	uint64_t top = boot_low_ram_end(mem);

	/* As high as the kernel allows, page aligned, like bootloaders do. */
	if (max_addr + 1 < top)
		top = max_addr + 1;
	if (cfg->initrd_size > top || ((top - cfg->initrd_size) & ~0xfffULL) < kernel_end)
		return errmsg(err, errlen, -ENOSPC,
			      "initrd of %zu MiB does not fit between the kernel and %llu MiB: "
			      "give the guest more --mem",
			      cfg->initrd_size >> 20, (unsigned long long)top >> 20);
	*addr = (top - cfg->initrd_size) & ~0xfffULL;
	return gmem_write(mem, *addr, cfg->initrd, cfg->initrd_size);
}
