/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's once-accesses and cmpxchg, as C11-style builtins (so TSan sees them). READ_ONCE
 * orders the loads that depend on its value (a table address read, then the table): that is
 * consume ordering, which C11 compilers and TSan only know as acquire.
 */
#ifndef KSHIM_LINUX_MM_H
#define KSHIM_LINUX_MM_H
#include <linux/types.h>
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
static inline u64 cmpxchg64(u64 *p, u64 old, u64 new)
{
	__atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return old;
}
#endif
