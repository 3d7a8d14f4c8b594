/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSHIM_LINUX_BITS_H
#define KSHIM_LINUX_BITS_H
#define BIT_ULL(n) (1ULL << (n))
#define GENMASK_ULL(h, l) ((~0ULL << (l)) & (~0ULL >> (63 - (h))))
#endif
