/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI configuration space of bus 0 through configuration mechanism #1 (a dword address at
 * 0xCF8, the data at 0xCFC-0xCFF): both nestvm's host bridge and QEMU's q35 answer it.
 */
#ifndef GUEST_PCI_CFG_H
#define GUEST_PCI_CFG_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_HEADER_TYPE 0x0e
#define PCI_HEADER_MULTI 0x80
#define PCI_BAR0 0x10
#define PCI_CAPABILITY_LIST 0x34
#define PCI_CAP_ID_VNDR 0x09

/* A function on bus 0: device 0-31, function 0-7. */
struct pci_fn {
	uint8_t dev, fn;
};

uint32_t pci_read32(struct pci_fn f, unsigned int off);
uint16_t pci_read16(struct pci_fn f, unsigned int off);
uint8_t pci_read8(struct pci_fn f, unsigned int off);
void pci_write32(struct pci_fn f, unsigned int off, uint32_t val);
void pci_write16(struct pci_fn f, unsigned int off, uint16_t val);
void pci_write8(struct pci_fn f, unsigned int off, uint8_t val);

/* The first function on bus 0 with @vendor:@device; false when there is none. */
bool pci_find(uint16_t vendor, uint16_t device, struct pci_fn *f);

/*
 * The address of memory BAR @bar (32- or 64-bit) of @f. One the firmware left unassigned, or
 * put above 4 GiB where the payload's page tables do not reach, is moved to a free place in
 * the 32-bit hole first. Returns 0 for an I/O BAR or when no place is free.
 */
uint64_t pci_bar_addr(struct pci_fn f, unsigned int bar);

#endif
