/* SPDX-License-Identifier: GPL-2.0 */
/* Pages come from the test's fake guest RAM (test_guest_pgtable.c defines these). */
#ifndef KSHIM_LINUX_GFP_H
#define KSHIM_LINUX_GFP_H
#include <linux/types.h>
#define GFP_KERNEL 0u
unsigned long get_zeroed_page(gfp_t gfp);
void free_page(unsigned long addr);
#endif
