/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSHIM_LINUX_SIZES_H
#define KSHIM_LINUX_SIZES_H
#define SZ_4K 0x1000UL
#define SZ_2M 0x200000UL
#define SZ_1G 0x40000000UL
#endif
