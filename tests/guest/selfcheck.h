/* SPDX-License-Identifier: GPL-2.0 */
#ifndef GUEST_SELFCHECK_H
#define GUEST_SELFCHECK_H

#include <stdbool.h>

/*
 * Whether the payload's own identity map (entry.S: PML4, PDPT, four page directories) still
 * holds what entry.S wrote. On the first entry that does not, prints "not ok - ..." with its
 * address, its value and the 64 bytes around it (and whether they look like a flood frame,
 * i.e. a NIC's DMA landed there), once. For hunting writes into the payload's memory that
 * would otherwise end in a triple fault without a word.
 */
bool selfcheck_tables(void);

#endif
