/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's PCI host bridge: bus 0, 32 slots, function 0 of each only (a function placed
 * in a slot answers as function 0; functions 1-7 read as absent, so Linux never scans them
 * since no header says "multi-function"). Slot 0 holds the host bridge function itself.
 *
 * Config space is reached two ways that see the same bytes:
 *  - ECAM (PCIe 5.0, 7.2.2): an MMIO window, 4 KiB per function at (bus << 20 | devfn << 12),
 *    1 MiB for bus 0;
 *  - configuration mechanism #1: a dword write to CONFIG_ADDRESS (0xCF8) with bit 31 set
 *    picks bus/device/function/register, then CONFIG_DATA (0xCFC-0xCFF) reads or writes
 *    1, 2 or 4 bytes of that dword. It reaches the first 256 bytes only.
 *
 * What odd accesses do, on both paths: an absent function, another bus, a function other
 * than 0, or CONFIG_DATA with bit 31 of CONFIG_ADDRESS clear, reads all ones and drops
 * writes. An access inside one dword but not aligned to its size (a word at offset 1) is
 * done byte by byte; one that crosses a dword boundary (an 8-byte ECAM access included)
 * reads all ones and is dropped. CONFIG_ADDRESS itself answers dword accesses only; bytes
 * and words at 0xCF8-0xCFB read all ones and are dropped (on a PC they reach other
 * registers, such as the reset control at 0xCF9, which we do not have).
 */
#ifndef NESTVM_PCI_HOST_H
#define NESTVM_PCI_HOST_H

#include <pthread.h>
#include <stdint.h>

#include "devices/pci.h"
#include "vmm/bus.h"

#define PCI_HOST_SLOTS 32
#define PCI_HOST_ECAM_SIZE (1ULL << 20) /* bus 0 only */
#define PCI_CONFIG_ADDRESS_PORT 0xcf8
#define PCI_CONFIG_PORTS 8 /* CONFIG_ADDRESS and CONFIG_DATA */

/*
 * The host bridge function's identity: Red Hat's "QEMU PCIe host bridge" (1b36:0008), the ID
 * set aside for a generic host bridge with no registers of its own, which is what this is.
 * Linux binds no driver and applies no quirk to it, and it is none of the chipsets whose
 * registers arch/x86/pci/mmconfig-shared.c would probe for an ECAM base instead of the MCFG.
 */
#define PCI_HOST_BRIDGE_VENDOR 0x1b36
#define PCI_HOST_BRIDGE_DEVICE 0x0008
#define PCI_HOST_BRIDGE_CLASS 0x060000

struct pci_host {
	/*
	 * Any vCPU may access config space: one at a time. Taken before a function's own lock
	 * (vfio_pci.lock, then msi_routes.lock); the whole order is in iommu/viommu_internal.h.
	 */
	pthread_mutex_t lock;
	uint32_t config_address; /* the CONFIG_ADDRESS latch; under @lock */
	struct pci_function *slots[PCI_HOST_SLOTS];
	struct pci_function bridge; /* in slot 0 */
	struct pci_cfg bridge_cfg;
};

void pci_host_init(struct pci_host *h);

/* Puts @fn in @slot (1-31). Returns 0, -EINVAL or -EBUSY. */
int pci_host_add(struct pci_host *h, unsigned int slot, struct pci_function *fn);

/* Registers the ECAM window at @ecam_base on @mmio and 0xCF8-0xCFF on @pio. */
int pci_host_attach(struct pci_host *h, struct bus *pio, struct bus *mmio, uint64_t ecam_base);

void pci_host_destroy(struct pci_host *h);

#endif
