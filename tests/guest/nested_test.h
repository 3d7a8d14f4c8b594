/* SPDX-License-Identifier: GPL-2.0 */
/* Checks of the virtio-iommu nesting extension (docs/virtio-iommu-nested.md) from a guest. */
#ifndef GUEST_NESTED_TEST_H
#define GUEST_NESTED_TEST_H

#include <stdint.h>

#define NESTED_ANY_EP UINT64_MAX

/*
 * Runs every check against endpoint @endpoint (NESTED_ANY_EP: the virtio-rng's window);
 * returns the number that failed. @ram_end: the end of guest RAM. When the endpoint is the
 * virtio-rng, its DMA is checked end to end through a table the payload builds.
 */
unsigned int nested_test(uint64_t ram_end, uint64_t endpoint);

#endif
