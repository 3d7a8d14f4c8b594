// SPDX-License-Identifier: GPL-2.0
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_init.h" /* generated from vmm/guest-init.sh: guest_init_script[] */
#include "initramfs.h"
#include "util.h"

struct cpio {
	char *buf;
	size_t len, cap;
	unsigned int ino;
};

static int cpio_append(struct cpio *c, const void *data, size_t len)
{
	if (c->len + len + 3 > c->cap) {
		size_t cap = (c->cap + len + 3) * 2;
		char *n = realloc(c->buf, cap);

		if (!n)
			return -ENOMEM;
		c->buf = n;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, data, len);
	c->len += len;
	return 0;
}

/* newc pads the header+name, and the data, each to 4 bytes (room reserved by append). */
static void cpio_align(struct cpio *c)
{
	while (c->len % 4)
		c->buf[c->len++] = 0;
}

/* One newc entry: the 110-byte ASCII header, the name with its NUL, the data. */
static int cpio_add(struct cpio *c, const char *name, unsigned int mode, const void *data,
		    size_t size)
{
	char hdr[128];
	int ret;

	if (size > UINT32_MAX)
		return -EFBIG;
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ++c->ino, mode, 0, 0, 1, 0, (unsigned int)size, 0, 0, 0, 0,
		 (unsigned int)strlen(name) + 1, 0);
	ret = cpio_append(c, hdr, 110);
	if (!ret)
		ret = cpio_append(c, name, strlen(name) + 1);
	if (ret)
		return ret;
	cpio_align(c);
	if (size) {
		ret = cpio_append(c, data, size);
		cpio_align(c);
	}
	return ret;
}

/* A static binary: an ELF file without a program interpreter. */
static bool is_static_elf(const char *buf, size_t size)
{
	const Elf64_Ehdr *eh = (const void *)buf;

	if (size < sizeof(*eh) || memcmp(buf, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phoff > size ||
	    eh->e_phnum > (size - eh->e_phoff) / sizeof(Elf64_Phdr))
		return false;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(buf + eh->e_phoff + i * sizeof(Elf64_Phdr));

		if (ph->p_type == PT_INTERP)
			return false;
	}
	return true;
}

static char *read_file(const char *path, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;

	if (fd < 0)
		return NULL;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && (buf = malloc(st.st_size ? st.st_size : 1)) &&
	    read(fd, buf, st.st_size) == st.st_size) {
		*size = st.st_size;
	} else {
		free(buf);
		buf = NULL;
	}
	close(fd);
	return buf;
}

static char *find_busybox(size_t *size)
{
	static const char *const paths[] = { "/bin/busybox", "/usr/bin/busybox", "/sbin/busybox" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char *buf = read_file(paths[i], size);

		if (buf && is_static_elf(buf, *size))
			return buf;
		free(buf);
	}
	return NULL;
}

int initramfs_build(void **out, size_t *size, char *err, size_t errlen)
{
	struct cpio c = { 0 };
	size_t bb_size = 0;
	char *bb = find_busybox(&bb_size);
	int ret;

	if (!bb)
		return errmsg(err, errlen, -ENOENT,
			      "no --initrd, and no static busybox to build one (apt install "
			      "busybox-static, or pass --initrd)");
	ret = cpio_add(&c, "bin", 040755, NULL, 0);
	if (!ret)
		ret = cpio_add(&c, "bin/busybox", 0100755, bb, bb_size);
	if (!ret)
		ret = cpio_add(&c, "bin/sh", 0120777, "busybox", 7);
	for (const char *d = "dev\0proc\0sys\0tmp\0root\0"; *d && !ret; d += strlen(d) + 1)
		ret = cpio_add(&c, d, 040755, NULL, 0);
	if (!ret)
		ret = cpio_add(&c, "init", 0100755, guest_init_script, strlen(guest_init_script));
	if (!ret)
		ret = cpio_add(&c, "TRAILER!!!", 0, NULL, 0);
	free(bb);
	if (ret) {
		free(c.buf);
		return errmsg(err, errlen, ret, "building the initramfs: %s", strerror(-ret));
	}
	*out = c.buf;
	*size = c.len;
	return 0;
}
