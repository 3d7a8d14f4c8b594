// SPDX-License-Identifier: GPL-2.0
/* Register offsets and bits: Intel 82574 datasheet, chapter 10 (register descriptions). */
#include <stddef.h>

#include "arch.h"
#include "e1000e.h"
#include "lib.h"

#define CTRL 0x00000
#define STATUS 0x00008
#define ICR 0x000c0
#define IMC 0x000d8
#define RCTL 0x00100
#define TCTL 0x00400
#define TIPG 0x00410
#define RDBAL 0x02800
#define RDBAH 0x02804
#define RDLEN 0x02808
#define RDH 0x02810
#define RDT 0x02818
#define TDBAL 0x03800
#define TDBAH 0x03804
#define TDLEN 0x03808
#define TDH 0x03810
#define TDT 0x03818
#define MPC 0x04010
#define GPRC 0x04074
#define GPTC 0x04080
#define RNBC 0x040a0
#define MTA 0x05200
#define MTA_ENTRIES 128
#define RFCTL 0x05008
#define RAL0 0x05400
#define RAH0 0x05404
#define GCR 0x05b00
#define MRQC 0x05818

#define CTRL_FD (1u << 0)
#define CTRL_ASDE (1u << 5)
#define CTRL_SLU (1u << 6)
#define CTRL_RST (1u << 26)
#define STATUS_LU (1u << 1)
#define RCTL_EN (1u << 1)
#define RCTL_BAM (1u << 15) /* accept broadcast */
#define RCTL_SECRC (1u << 26) /* strip the CRC */
#define TCTL_EN (1u << 1)
#define TCTL_PSP (1u << 3) /* pad short packets to 64 bytes */
#define TCTL_CT(x) ((uint32_t)(x) << 4) /* collision threshold */
#define TCTL_COLD(x) ((uint32_t)(x) << 12) /* collision distance */
#define TCTL_RTLC (1u << 24) /* retransmit on late collision */
/* IPGT 8, IPGR1 8, IPGR2 6: the values the datasheet gives for copper. */
#define TIPG_COPPER (8u | 8u << 10 | 6u << 20)
#define RAH_AV (1u << 31)
#define GCR_BIT22 (1u << 22) /* "must be set to 1b" on the 82574 */

#define TX_EOP (1u << 0)
#define TX_IFCS (1u << 1)
#define TX_RS (1u << 3)
#define DESC_DD (1u << 0)

#define RESET_SPINS 100000000ULL

static uint32_t rd(const struct e1000e *nic, unsigned int reg)
{
	return mmio_read32(nic->bar0 + reg);
}

static void wr(const struct e1000e *nic, unsigned int reg, uint32_t val)
{
	mmio_write32(nic->bar0 + reg, val);
}

bool e1000e_find(struct e1000e *nic)
{
	uint16_t cmd;

	memset(nic, 0, sizeof(*nic));
	if (!pci_find(E1000E_VENDOR, E1000E_DEVICE, &nic->fn))
		return false;
	nic->bar0 = pci_bar_addr(nic->fn, 0);
	if (!nic->bar0)
		return false;
	cmd = pci_read16(nic->fn, PCI_COMMAND);
	pci_write16(nic->fn, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return true;
}

void e1000e_reset(const struct e1000e *nic)
{
	wr(nic, IMC, ~0u);
	wr(nic, RCTL, 0);
	wr(nic, TCTL, 0);
	wr(nic, CTRL, rd(nic, CTRL) | CTRL_RST);
	/* RST self-clears when the reset is done. */
	for (uint64_t i = 0; i < RESET_SPINS && rd(nic, CTRL) & CTRL_RST; i++)
		cpu_relax();
	/* The datasheet: mask interrupts again after a reset, and clear what is pending. */
	wr(nic, IMC, ~0u);
	rd(nic, ICR);
}

static void setup_mac(struct e1000e *nic)
{
	uint32_t lo = rd(nic, RAL0), hi = rd(nic, RAH0);

	/* RAL0/RAH0 come from the NVM at reset; without one, a locally administered address. */
	if (!(hi & RAH_AV) || (!lo && !(hi & 0xffff))) {
		lo = 0x12005452; /* 52:54:00:12 */
		hi = 0x5634; /* :34:56 */
	}
	for (int i = 0; i < 4; i++)
		nic->mac[i] = (uint8_t)(lo >> (8 * i));
	nic->mac[4] = (uint8_t)hi;
	nic->mac[5] = (uint8_t)(hi >> 8);
	wr(nic, RAL0, lo);
	wr(nic, RAH0, (hi & 0xffff) | RAH_AV);
	for (unsigned int i = 0; i < MTA_ENTRIES; i++)
		wr(nic, MTA + 4 * i, 0);
}

static uint64_t dma(const struct e1000e *nic, const void *p)
{
	return nic->dma_base + (uint64_t)((const uint8_t *)p - (const uint8_t *)nic->mem);
}

static void setup_tx(struct e1000e *nic)
{
	uint64_t ring = dma(nic, nic->mem->tx);

	memset(nic->mem->tx, 0, sizeof(nic->mem->tx));
	wr(nic, TDBAL, (uint32_t)ring);
	wr(nic, TDBAH, (uint32_t)(ring >> 32));
	wr(nic, TDLEN, sizeof(nic->mem->tx));
	wr(nic, TDH, 0);
	wr(nic, TDT, 0);
	nic->tx_tail = 0;
	wr(nic, TIPG, TIPG_COPPER);
	wr(nic, TCTL, TCTL_EN | TCTL_PSP | TCTL_CT(0x0f) | TCTL_COLD(0x3f) | TCTL_RTLC);
}

static void setup_rx(struct e1000e *nic)
{
	uint64_t ring = dma(nic, nic->mem->rx);

	for (unsigned int i = 0; i < E1000E_RX_RING; i++) {
		memset(&nic->mem->rx[i], 0, sizeof(nic->mem->rx[i]));
		nic->mem->rx[i].addr = dma(nic, nic->mem->rx_buf[i]);
	}
	/*
	 * Legacy descriptors, one queue, whatever an earlier owner chose. QEMU (7.2, the test
	 * host's) keeps every register but the MAC address across CTRL.RST, and Linux's driver
	 * sets RFCTL.EXTEN: the NIC would then write extended descriptors back (no DD where we
	 * look for it, and its RSS fields over the buffer address).
	 */
	wr(nic, RFCTL, 0);
	wr(nic, MRQC, 0);
	wr(nic, RDBAL, (uint32_t)ring);
	wr(nic, RDBAH, (uint32_t)(ring >> 32));
	wr(nic, RDLEN, sizeof(nic->mem->rx));
	wr(nic, RDH, 0);
	/* Head == tail means no buffers: all but one go to the NIC. */
	wr(nic, RDT, E1000E_RX_RING - 1);
	nic->rx_next = 0;
	wr(nic, RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);
}

void e1000e_init(struct e1000e *nic, struct e1000e_mem *mem, uint64_t dma_base)
{
	nic->mem = mem;
	nic->dma_base = dma_base;
	e1000e_reset(nic);
	wr(nic, GCR, rd(nic, GCR) | GCR_BIT22);
	setup_mac(nic);
	wr(nic, CTRL, (rd(nic, CTRL) | CTRL_SLU | CTRL_ASDE | CTRL_FD) & ~CTRL_RST);
	/* The statistics clear on read: start from zero. */
	rd(nic, GPRC);
	rd(nic, GPTC);
	rd(nic, MPC);
	rd(nic, RNBC);
	setup_tx(nic);
	setup_rx(nic);
}

bool e1000e_link_up(const struct e1000e *nic)
{
	return rd(nic, STATUS) & STATUS_LU;
}

unsigned int e1000e_send(struct e1000e *nic, const void *frame, uint16_t len)
{
	unsigned int i = nic->tx_tail;
	volatile struct e1000e_tx_desc *d = &nic->mem->tx[i];

	if (len > E1000E_BUF)
		len = E1000E_BUF;
	memcpy(nic->mem->tx_buf, frame, len);
	d->addr = dma(nic, nic->mem->tx_buf);
	d->length = len;
	d->cso = 0;
	d->css = 0;
	d->special = 0;
	d->status = 0;
	d->cmd = TX_EOP | TX_IFCS | TX_RS;
	nic->tx_tail = (i + 1) % E1000E_RING;
	/* The descriptor in memory before the tail write that hands it over. */
	mb();
	wr(nic, TDT, nic->tx_tail);
	return i;
}

bool e1000e_tx_done(const struct e1000e *nic, unsigned int i)
{
	return ((volatile struct e1000e_tx_desc *)&nic->mem->tx[i])->status & DESC_DD;
}

bool e1000e_rx_pending(const struct e1000e *nic)
{
	return ((volatile struct e1000e_rx_desc *)&nic->mem->rx[nic->rx_next])->status & DESC_DD;
}

/* Descriptor @i (rx_next) back to the NIC, its buffer address written again; rx_next moves on. */
static void give_back(struct e1000e *nic, unsigned int i)
{
	volatile struct e1000e_rx_desc *d = &nic->mem->rx[i];

	d->status = 0;
	d->addr = dma(nic, nic->mem->rx_buf[i]);
	nic->rx_next = (i + 1) % E1000E_RX_RING;
	/* The descriptor in memory before the tail write that hands it over. */
	mb();
	wr(nic, RDT, i);
}

const uint8_t *e1000e_recv(struct e1000e *nic, uint16_t *len)
{
	unsigned int i = nic->rx_next;
	volatile struct e1000e_rx_desc *d = &nic->mem->rx[i];

	if (!(d->status & DESC_DD))
		return NULL;
	/* The descriptor's fields after its DD bit (x86: loads stay in order). */
	barrier();
	*len = d->length;
	give_back(nic, i);
	/*
	 * Handed back at once: the caller reads the buffer before the NIC can come round to it
	 * again (E1000E_RX_RING - 1 frames later).
	 */
	return nic->mem->rx_buf[i];
}

bool e1000e_rx_lost(const struct e1000e *nic)
{
	/* RDH first: a write-back that lands in between shows as DD below. */
	unsigned int head = rd(nic, RDH);

	barrier();
	return head != nic->rx_next && !e1000e_rx_pending(nic);
}

void e1000e_rx_skip(struct e1000e *nic)
{
	give_back(nic, nic->rx_next);
}

uint32_t e1000e_rx_count(const struct e1000e *nic)
{
	return rd(nic, GPRC);
}

uint32_t e1000e_tx_count(const struct e1000e *nic)
{
	return rd(nic, GPTC);
}

uint32_t e1000e_rx_missed(const struct e1000e *nic)
{
	return rd(nic, MPC);
}

uint32_t e1000e_rx_no_buf(const struct e1000e *nic)
{
	return rd(nic, RNBC);
}
