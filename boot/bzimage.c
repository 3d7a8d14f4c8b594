// SPDX-License-Identifier: GPL-2.0
/*
 * The Linux x86 boot protocol (Documentation/arch/x86/boot.rst), 64-bit entry: the
 * protected-mode kernel is loaded at its preferred address, the zero page (boot_params)
 * carries the setup header, the command line, the initrd and the E820 map, and the boot vCPU
 * starts in long mode at startup_64 with an identity map of the first 4 GiB.
 */
#include <asm/bootparam.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/layout.h"
#include "vmm/util.h"
#include "boot.h"

#define SETUP_HEADER_OFFSET 0x1f1
#define STARTUP_64_OFFSET 0x200
#define MIN_PROTOCOL 0x020c /* 2.12: 64-bit entry and xloadflags */
#define PAGE_2M (2ULL << 20)

/* Identity map of [0, 4 GiB) with 2 MiB pages: PML4, one PDPT, four page directories. */
static int write_identity_map(const struct gmem *mem)
{
	uint64_t pml4 = BOOT_PML4_GPA, pdpt = pml4 + 0x1000, pd = pdpt + 0x1000;
	uint64_t *t = gmem_ptr(mem, pml4, 6 * 0x1000);

	if (!t)
		return -EFAULT;
	memset(t, 0, 6 * 0x1000);
	t[0] = pdpt | 0x3; /* present, writable */
	for (int i = 0; i < 4; i++)
		t[512 + i] = (pd + i * 0x1000) | 0x3;
	for (int i = 0; i < 4 * 512; i++)
		t[1024 + i] = (i * PAGE_2M) | 0x83; /* present, writable, 2 MiB page */
	return 0;
}

static int fill_e820(const struct gmem *mem, const struct boot_config *cfg, struct boot_params *bp)
{
	struct boot_mem_range map[BOOT_MEM_MAX];
	int n = boot_memmap(mem, cfg, map);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		bp->e820_table[i] =
		    (struct boot_e820_entry){ map[i].addr, map[i].size, map[i].type };
	bp->e820_entries = n;
	return 0;
}

int bzimage_load(const struct gmem *mem, const void *image, size_t size,
		 const struct boot_config *cfg, struct boot_entry *entry, char *err, size_t errlen)
{
	const uint8_t *img = image;
	struct boot_params bp = { 0 };
	size_t hdr_len, setup_size, cmdline_len, cmdline_max;
	uint64_t load, kernel_end;
	int ret;

	if (boot_image_kind(image, size) != IMAGE_BZIMAGE)
		return errmsg(err, errlen, -ENOEXEC, "not a bzImage (no HdrS signature)");
	/* The setup header runs from 0x1f1 to 0x202 + the jump's offset at 0x201. */
	hdr_len = 0x202 + img[0x201] - SETUP_HEADER_OFFSET;
	if (hdr_len > sizeof(bp.hdr))
		hdr_len = sizeof(bp.hdr);
	memcpy(&bp.hdr, img + SETUP_HEADER_OFFSET, hdr_len);

	if (bp.hdr.version < MIN_PROTOCOL || !(bp.hdr.xloadflags & XLF_KERNEL_64))
		return errmsg(err, errlen, -ENOEXEC,
			      "kernel speaks boot protocol %u.%02u without a 64-bit entry; nestvm "
			      "needs 2.12+ (Linux 3.8 or newer, x86_64)",
			      bp.hdr.version >> 8, bp.hdr.version & 0xff);
	setup_size = ((bp.hdr.setup_sects ? bp.hdr.setup_sects : 4) + 1) * 512;
	if (setup_size >= size)
		return errmsg(err, errlen, -ENOEXEC, "bzImage truncated: %zu bytes", size);

	load = bp.hdr.pref_address >= HIGH_MEMORY_GPA ? bp.hdr.pref_address : HIGH_MEMORY_GPA;
	kernel_end =
	    load + (bp.hdr.init_size > size - setup_size ? bp.hdr.init_size : size - setup_size);
	if (!gmem_ptr(mem, load, kernel_end - load))
		return errmsg(err, errlen, -ENOSPC,
			      "the kernel needs RAM up to %llu MiB: give the guest more --mem",
			      (unsigned long long)(kernel_end >> 20) + 1);
	gmem_write(mem, load, img + setup_size, size - setup_size);

	bp.hdr.type_of_loader = 0xff;
	bp.hdr.loadflags |= CAN_USE_HEAP;
	bp.hdr.heap_end_ptr = 0xfe00 - 0x200;

	cmdline_len = strlen(cfg->cmdline);
	cmdline_max = bp.hdr.cmdline_size ? bp.hdr.cmdline_size : 255;
	if (cmdline_max > BOOT_CMDLINE_MAX - 1)
		cmdline_max = BOOT_CMDLINE_MAX - 1;
	if (cmdline_len > cmdline_max)
		return errmsg(err, errlen, -E2BIG,
			      "command line of %zu bytes is longer than this kernel takes (%zu)",
			      cmdline_len, cmdline_max);
	gmem_write(mem, BOOT_CMDLINE_GPA, cfg->cmdline, cmdline_len + 1);
	bp.hdr.cmd_line_ptr = BOOT_CMDLINE_GPA;

	if (cfg->initrd) {
		uint64_t max = bp.hdr.initrd_addr_max ? bp.hdr.initrd_addr_max : 0x37ffffff;
		uint64_t addr;

		ret = boot_place_initrd(mem, cfg, kernel_end, max, &addr, err, errlen);
		if (ret)
			return ret;
		bp.hdr.ramdisk_image = addr;
		bp.hdr.ramdisk_size = cfg->initrd_size;
	}
	if (fill_e820(mem, cfg, &bp))
		return errmsg(err, errlen, -EINVAL, "cannot describe guest memory in E820");
	if (bp.hdr.version >= 0x020e)
		bp.acpi_rsdp_addr = cfg->rsdp_gpa;

	if (gmem_write(mem, BOOT_ZERO_PAGE_GPA, &bp, sizeof(bp)) || write_identity_map(mem))
		return errmsg(err, errlen, -EFAULT, "guest RAM too small for the boot structures");

	entry->mode = BOOT_LINUX_64;
	entry->rip = load + STARTUP_64_OFFSET;
	entry->arg = BOOT_ZERO_PAGE_GPA;
	entry->cr3 = BOOT_PML4_GPA;
	return boot_write_gdt(mem, entry, BOOT_LINUX_64);
}
