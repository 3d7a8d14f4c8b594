// SPDX-License-Identifier: GPL-2.0
/*
 * PVH entry for ELF images (a vmlinux built with CONFIG_PVH, or our freestanding test
 * payloads): the image carries a Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY with its 32-bit entry
 * point; the boot vCPU starts there in flat protected mode, paging off, with %ebx pointing to
 * an hvm_start_info (the layout of Xen's public hvm/start_info.h, version 1).
 */
#include <elf.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/layout.h"
#include "vmm/util.h"
#include "boot.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

#define PVH_MEMMAP_GPA (BOOT_PVH_INFO_GPA + 0x100)
#define PVH_MODLIST_GPA (BOOT_PVH_INFO_GPA + 0x800)

/* True when [off, off + len) lies inside the file. */
static bool in_file(size_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

/* Scans one PT_NOTE segment for the PVH entry note. */
static bool find_pvh_note(const uint8_t *img, uint64_t off, uint64_t len, uint64_t *entry)
{
	while (len >= sizeof(Elf64_Nhdr)) {
		const Elf64_Nhdr *nh = (const void *)(img + off);
		uint64_t name = (nh->n_namesz + 3ULL) & ~3ULL, desc = (nh->n_descsz + 3ULL) & ~3ULL;
		uint64_t total = sizeof(*nh) + name + desc;
		const uint8_t *d = img + off + sizeof(*nh) + name;

		if (total > len)
			return false;
		if (nh->n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh->n_namesz == 4 &&
		    !memcmp(img + off + sizeof(*nh), "Xen", 4) &&
		    (nh->n_descsz == 4 || nh->n_descsz == 8)) {
			uint64_t v = 0;

			memcpy(&v, d, nh->n_descsz);
			*entry = v;
			return true;
		}
		off += total;
		len -= total;
	}
	return false;
}

static int load_segments(const struct gmem *mem, const uint8_t *img, size_t size,
			 const Elf64_Ehdr *eh, uint64_t *entry, uint64_t *end, char *err,
			 size_t errlen)
{
	bool found = false;

	*end = 0;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff + i * sizeof(Elf64_Phdr));
		uint8_t *dst;

		if (ph->p_type == PT_NOTE && in_file(size, ph->p_offset, ph->p_filesz) && !found)
			found = find_pvh_note(img, ph->p_offset, ph->p_filesz, entry);
		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		if (ph->p_filesz > ph->p_memsz || !in_file(size, ph->p_offset, ph->p_filesz))
			return errmsg(err, errlen, -ENOEXEC, "ELF segment %u lies outside the file",
				      i);
		dst = gmem_ptr(mem, ph->p_paddr, ph->p_memsz);
		if (!dst)
			return errmsg(
			    err, errlen, -ENOSPC,
			    "ELF segment %u at %#llx (%llu KiB) is outside guest RAM: give "
			    "the guest more --mem",
			    i, (unsigned long long)ph->p_paddr,
			    (unsigned long long)ph->p_memsz >> 10);
		memcpy(dst, img + ph->p_offset, ph->p_filesz);
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
		if (ph->p_paddr + ph->p_memsz > *end)
			*end = ph->p_paddr + ph->p_memsz;
	}
	if (!found)
		return errmsg(
		    err, errlen, -ENOEXEC,
		    "ELF image without a PVH entry note (build the kernel with CONFIG_PVH=y, "
		    "or boot its bzImage)");
	return 0;
}

static int write_start_info(const struct gmem *mem, const struct boot_config *cfg,
			    uint64_t kernel_end, char *err, size_t errlen)
{
	struct hvm_start_info si = {
		.magic = HVM_START_MAGIC,
		.version = 1,
		.cmdline_paddr = BOOT_CMDLINE_GPA,
		.rsdp_paddr = cfg->rsdp_gpa,
		.memmap_paddr = PVH_MEMMAP_GPA,
	};
	struct boot_mem_range map[BOOT_MEM_MAX];
	int n = boot_memmap(mem, cfg, map);
	size_t len = strlen(cfg->cmdline);

	if (n < 0)
		return errmsg(err, errlen, n, "cannot describe guest memory");
	for (int i = 0; i < n; i++) {
		struct hvm_memmap_entry e = { map[i].addr, map[i].size, map[i].type, 0 };

		gmem_write(mem, PVH_MEMMAP_GPA + i * sizeof(e), &e, sizeof(e));
	}
	si.memmap_entries = n;
	if (len >= BOOT_CMDLINE_MAX)
		return errmsg(err, errlen, -E2BIG, "command line longer than %d bytes",
			      BOOT_CMDLINE_MAX - 1);
	gmem_write(mem, BOOT_CMDLINE_GPA, cfg->cmdline, len + 1);

	if (cfg->initrd) {
		struct hvm_modlist_entry mod = { .size = cfg->initrd_size };
		int ret =
		    boot_place_initrd(mem, cfg, kernel_end, UINT32_MAX, &mod.paddr, err, errlen);

		if (ret)
			return ret;
		gmem_write(mem, PVH_MODLIST_GPA, &mod, sizeof(mod));
		si.nr_modules = 1;
		si.modlist_paddr = PVH_MODLIST_GPA;
	}
	return gmem_write(mem, BOOT_PVH_INFO_GPA, &si, sizeof(si));
}

int pvh_load(const struct gmem *mem, const void *image, size_t size, const struct boot_config *cfg,
	     struct boot_entry *entry, char *err, size_t errlen)
{
	const uint8_t *img = image;
	const Elf64_Ehdr *eh = image;
	uint64_t start = 0, end;
	int ret;

	if (size < sizeof(*eh) || memcmp(img, ELFMAG, SELFMAG))
		return errmsg(err, errlen, -ENOEXEC, "not an ELF image");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64)
		return errmsg(err, errlen, -ENOEXEC,
			      "not an x86-64 ELF image (ELF class %u, machine %u)",
			      eh->e_ident[EI_CLASS], eh->e_machine);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_file(size, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return errmsg(err, errlen, -ENOEXEC, "ELF program headers lie outside the file");

	ret = load_segments(mem, img, size, eh, &start, &end, err, errlen);
	if (ret)
		return ret;
	if (start >= (1ULL << 32) || !gmem_ptr(mem, start, 1))
		return errmsg(err, errlen, -ENOEXEC, "PVH entry %#llx is outside guest RAM",
			      (unsigned long long)start);
	ret = write_start_info(mem, cfg, end, err, errlen);
	if (ret)
		return ret;

	entry->mode = BOOT_PVH_32;
	entry->rip = start;
	entry->arg = BOOT_PVH_INFO_GPA;
	entry->cr3 = 0;
	return boot_write_gdt(mem, entry, BOOT_PVH_32);
}
