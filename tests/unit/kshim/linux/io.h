/* SPDX-License-Identifier: GPL-2.0 */
/* A table entry holds a guest-physical address: offsets into the test's fake guest RAM. */
#ifndef KSHIM_LINUX_IO_H
#define KSHIM_LINUX_IO_H
#include <linux/types.h>
phys_addr_t virt_to_phys(const void *va);
void *phys_to_virt(phys_addr_t pa);
#endif
