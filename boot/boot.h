/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading a guest kernel into guest memory: a bzImage through the Linux x86 boot protocol
 * (64-bit entry), or an ELF image with a Xen PVH note (32-bit PVH entry). The loaders write
 * only through the guest-memory API and hand back the state the boot vCPU must start in.
 */
#ifndef NESTVM_BOOT_H
#define NESTVM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/gmem.h"

struct boot_mem_range;

struct boot_config {
	const char *cmdline;
	const void *initrd; /* NULL: none */
	size_t initrd_size;
	uint64_t rsdp_gpa; /* 0: none */
	/* Ranges outside RAM to report as reserved (a PCI ECAM window, say); up to 2. */
	const struct boot_mem_range *reserved;
	unsigned int nreserved;
};

enum boot_mode {
	BOOT_LINUX_64, /* long mode, paging on (identity map), rsi = zero page */
	BOOT_PVH_32, /* protected mode, paging off, ebx = hvm_start_info */
};

struct boot_entry {
	enum boot_mode mode;
	uint64_t rip;
	uint64_t arg; /* rsi (zero page) or rbx (start info) */
	uint64_t cr3; /* BOOT_LINUX_64: the identity map's PML4 */
	uint64_t gdt_gpa; /* the GDT the loader wrote */
	uint16_t gdt_limit;
	uint16_t code_sel, data_sel;
};

/* Kinds of image, by their magic. */
enum boot_image_kind { IMAGE_UNKNOWN, IMAGE_BZIMAGE, IMAGE_ELF };
enum boot_image_kind boot_image_kind(const void *image, size_t size);

/*
 * Each loader returns 0 or a negative errno with a one-line reason in @err that names the
 * fix (e.g. "initrd of 900 MiB does not fit below 512 MiB of RAM: give the guest more --mem").
 */
int bzimage_load(const struct gmem *mem, const void *image, size_t size,
		 const struct boot_config *cfg, struct boot_entry *entry, char *err, size_t errlen);
int pvh_load(const struct gmem *mem, const void *image, size_t size, const struct boot_config *cfg,
	     struct boot_entry *entry, char *err, size_t errlen);

/*
 * The guest's memory map (E820 types) from the RAM regions (low RAM, the legacy hole, high)
 * and @cfg's reserved ranges, in address order. Returns the count or a negative errno.
 */
struct boot_mem_range {
	uint64_t addr, size;
	uint32_t type; /* 1 RAM, 2 reserved */
};
#define BOOT_MEM_RAM 1
#define BOOT_MEM_RESERVED 2
#define BOOT_MEM_MAX 8
int boot_memmap(const struct gmem *mem, const struct boot_config *cfg, struct boot_mem_range *out);

/* Helpers the loaders share. */
uint64_t boot_low_ram_end(const struct gmem *mem);
/* Copies the initrd as high as possible below @max_addr and low RAM's end, above @kernel_end. */
int boot_place_initrd(const struct gmem *mem, const struct boot_config *cfg, uint64_t kernel_end,
		      uint64_t max_addr, uint64_t *addr, char *err, size_t errlen);

/* Writes the GDT both entries use (flat 32-bit code, 64-bit code, flat data). */
int boot_write_gdt(const struct gmem *mem, struct boot_entry *entry, int mode);

#endif
