/* SPDX-License-Identifier: GPL-2.0 */
/*
 * "nic-flood [ep=ID] [secs=N] [control=1] [viommu=0]": the passed-through e1000e receives a
 * flood from the test host (tests/system/progs/flood: broadcast frames of ethertype 0x88b5,
 * each with a sequence number) through the payload's own VT-d first-stage table, for N seconds
 * three times: idle, while the payload keeps changing other pages of that table and INVALIDATE-ing
 * them (and now and then the whole domain), idle again. Each phase prints one "flood-result" line
 * with what arrived and what was lost, for the scenario (87) to compare. With control=1 only pages
 * away from the NIC's (1 MiB and 2 MiB further) change, with RANGE INVALIDATEs and no DOMAIN-wide
 * ones: the same load, without the cases a shadow gets wrong by unmapping more than changed.
 * With viommu=0 (nestvm run without --viommu) the NIC reaches guest RAM 1:1 and nothing
 * changes in any phase: the flood, the NIC and the test host alone, with no vIOMMU at all.
 */
#ifndef GUEST_NIC_FLOOD_H
#define GUEST_NIC_FLOOD_H

#include <stdbool.h>
#include <stdint.h>

#define NIC_FLOOD_SECS 6 /* per phase */

/* Returns the number of checks that failed. */
unsigned int nic_flood(uint64_t endpoint, uint64_t secs, bool control, bool viommu);

#endif
