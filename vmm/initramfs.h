/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The initramfs nestvm gives a guest booted without --initrd: the host's static busybox and
 * vmm/guest-init.sh as /init, so `nestvm run -k bzImage` reaches a shell. Built in memory on
 * each start (a 2 MB copy: milliseconds, cheaper than reading a cached file back).
 */
#ifndef NESTVM_INITRAMFS_H
#define NESTVM_INITRAMFS_H

#include <stddef.h>

/* Returns a malloc'd newc cpio archive in *out; 0 or -errno with a reason in @err. */
int initramfs_build(void **out, size_t *size, char *err, size_t errlen);

#endif
