/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal, polled driver for the Intel 82574 (e1000e, 8086:10d3): reset, link up, one
 * legacy TX ring (8 descriptors) and one legacy RX ring (64 descriptors, 2 KiB buffers: room for
 * a burst while the payload is busy elsewhere), no interrupts. The
 * rings and buffers live in one page-aligned block whose device-visible base the caller
 * picks: its guest-physical address (no IOMMU), or an IOVA its own stage-1 table maps to it.
 */
#ifndef GUEST_E1000E_H
#define GUEST_E1000E_H

#include <stdbool.h>
#include <stdint.h>

#include "pci_cfg.h"

#define E1000E_VENDOR 0x8086
#define E1000E_DEVICE 0x10d3
#define E1000E_RING 8 /* TX descriptors: 128 bytes, the granule of xDLEN */
#define E1000E_RX_RING 64 /* RX descriptors: 1 KiB, a multiple of that granule */
#define E1000E_BUF 2048 /* RCTL.BSIZE 00b */

/* Legacy descriptors (82574 datasheet §7.1.4.1 receive, §7.2.10.2 transmit). */
struct e1000e_rx_desc {
	uint64_t addr;
	uint16_t length;
	uint16_t csum;
	uint8_t status;
	uint8_t errors;
	uint16_t special;
};

struct e1000e_tx_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso;
	uint8_t cmd;
	uint8_t status;
	uint8_t css;
	uint16_t special;
};

/* Everything the NIC reaches by DMA, page by page so a table can map each part on its own. */
struct e1000e_mem {
	struct e1000e_tx_desc tx[E1000E_RING] __attribute__((aligned(4096)));
	struct e1000e_rx_desc rx[E1000E_RX_RING] __attribute__((aligned(4096)));
	uint8_t tx_buf[E1000E_BUF] __attribute__((aligned(4096)));
	uint8_t rx_buf[E1000E_RX_RING][E1000E_BUF] __attribute__((aligned(4096)));
};

struct e1000e {
	struct pci_fn fn;
	uint64_t bar0;
	struct e1000e_mem *mem;
	uint64_t dma_base; /* the device's address of *mem */
	uint8_t mac[6];
	unsigned int tx_tail, rx_next;
};

/* Finds the NIC on bus 0, places/reads BAR0, enables memory decoding and bus mastering. */
bool e1000e_find(struct e1000e *nic);
/*
 * Resets the NIC, masks its interrupts, reads its MAC, sets the link up and programs both
 * rings in @mem with addresses relative to @dma_base (where the device sees @mem). Does not
 * wait for the link.
 */
void e1000e_init(struct e1000e *nic, struct e1000e_mem *mem, uint64_t dma_base);
bool e1000e_link_up(const struct e1000e *nic);
/* Copies @len bytes into the TX buffer and hands one descriptor to the NIC; its index. */
unsigned int e1000e_send(struct e1000e *nic, const void *frame, uint16_t len);
/* Whether TX descriptor @i has DD (the NIC is done with it). */
bool e1000e_tx_done(const struct e1000e *nic, unsigned int i);
/*
 * The next received frame, when the NIC wrote one back (DD): its buffer and length; the
 * descriptor goes back to the NIC. NULL when nothing came.
 */
const uint8_t *e1000e_recv(struct e1000e *nic, uint16_t *len);
/* The descriptor e1000e_recv() looks at next: whether the NIC wrote it back (DD). */
bool e1000e_rx_pending(const struct e1000e *nic);
/*
 * Whether the NIC has gone past the descriptor e1000e_recv() looks at next without writing it
 * back: no DD there, yet RDH has moved on (what a faulted write-back DMA leaves). Reads RDH.
 */
bool e1000e_rx_lost(const struct e1000e *nic);
/* Gives that descriptor back to the NIC as it is and moves on to the next. */
void e1000e_rx_skip(struct e1000e *nic);
/* Good packets received / transmitted since the last call (the counters clear on read). */
uint32_t e1000e_rx_count(const struct e1000e *nic);
uint32_t e1000e_tx_count(const struct e1000e *nic);
/* Frames the NIC missed (MPC) and times it found no free RX descriptor (RNBC), likewise. */
uint32_t e1000e_rx_missed(const struct e1000e *nic);
uint32_t e1000e_rx_no_buf(const struct e1000e *nic);
/* Stops the NIC's DMA: a full reset. */
void e1000e_reset(const struct e1000e *nic);

#endif
