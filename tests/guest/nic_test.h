/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An e1000e passed through to the payload: "nic-plain" (DMA at guest-physical addresses, no
 * vIOMMU) or "nic" (rings and buffers reachable only through the payload's own VT-d
 * first-stage table, ATTACH_TABLE'd for the NIC's endpoint; then the RX buffers are unmapped
 * and another frame is provoked: the host's IOMMU must refuse it).
 */
#ifndef GUEST_NIC_TEST_H
#define GUEST_NIC_TEST_H

#include <stdbool.h>
#include <stdint.h>

#define NIC_DEFAULT_EP 0x108 /* nestvm: 0x100 + the requester ID of slot 1 (--vfio) */

/*
 * @table: through the vIOMMU's nesting extension for endpoint @endpoint, else plain. @ip and
 * @peer: our IPv4 address and the one the ARP request asks for (host byte order). Returns
 * the number of checks that failed.
 */
unsigned int nic_test(bool table, uint64_t endpoint, uint32_t ip, uint32_t peer);

#endif
