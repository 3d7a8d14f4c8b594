/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel's types for tools/linux-guest/pgtable.c to build in user space
 * (tests/unit/test_guest_pgtable.c); the uapi header keeps its own meaning.
 */
#ifndef KSHIM_LINUX_TYPES_H
#define KSHIM_LINUX_TYPES_H
#include_next <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
typedef uint64_t u64;
typedef uint32_t u32;
typedef uint64_t phys_addr_t;
typedef unsigned int gfp_t;
#endif
