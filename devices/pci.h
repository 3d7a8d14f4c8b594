/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One PCI function's configuration space, as the host bridge sees it: a function is a pair
 * of callbacks (struct pci_function) that an emulated device or, later, a VFIO passthrough
 * function implements. For emulated type-0 functions, struct pci_cfg keeps the 4 KiB of
 * config space with a mask of the bits the guest may write, which gives BAR sizing for free:
 * a BAR's address bits below its size are read-only zero, so writing all ones reads back the
 * size mask with the flag bits (I/O, 64-bit, prefetchable) that are read-only too.
 */
#ifndef NESTVM_PCI_H
#define NESTVM_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_CFG_SIZE 256 /* what CONFIG_ADDRESS (0xCF8) reaches */
#define PCI_CFG_EXT_SIZE 4096 /* what ECAM reaches */

/* Type-0 header offsets (PCI Local Bus 3.0, 6.1). */
#define PCI_CFG_VENDOR_ID 0x00
#define PCI_CFG_DEVICE_ID 0x02
#define PCI_CFG_COMMAND 0x04
#define PCI_CFG_STATUS 0x06
#define PCI_CFG_REVISION 0x08
#define PCI_CFG_CLASS_PROG 0x09 /* then subclass at 0x0a, base class at 0x0b */
#define PCI_CFG_HEADER_TYPE 0x0e
#define PCI_CFG_BAR0 0x10
#define PCI_CFG_SUBSYS_VENDOR_ID 0x2c
#define PCI_CFG_SUBSYS_ID 0x2e
#define PCI_CFG_CAP_PTR 0x34
#define PCI_CFG_INTERRUPT_LINE 0x3c
#define PCI_CFG_INTERRUPT_PIN 0x3d

#define PCI_BAR_COUNT 6
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST 0x10

/* The low bits of a BAR: read-only, they say what the BAR decodes. */
#define PCI_BAR_IO 0x1
#define PCI_BAR_MEM64 0x4
#define PCI_BAR_PREFETCH 0x8

struct pci_function;

/*
 * @offset is below PCI_CFG_EXT_SIZE and a multiple of @size, which is 1, 2 or 4: the host
 * bridge splits or refuses anything else. Reads return the value in the low @size bytes.
 * The host bridge serialises all calls to one function.
 */
struct pci_function_ops {
	uint32_t (*cfg_read)(struct pci_function *fn, unsigned int offset, unsigned int size);
	void (*cfg_write)(struct pci_function *fn, unsigned int offset, unsigned int size,
			  uint32_t value);
};

struct pci_function {
	const struct pci_function_ops *ops;
	const char *name; /* for messages */
};

/* An emulated type-0 function's config space. */
struct pci_cfg {
	uint8_t data[PCI_CFG_EXT_SIZE];
	uint8_t wmask[PCI_CFG_EXT_SIZE]; /* 1: the guest may write this bit */
	uint8_t next_cap; /* where pci_cfg_add_cap() puts the next capability; 0: full */
};

/*
 * A type-0 header: the IDs, @class_code (base class, subclass, prog-if: 0x060000 is a host
 * bridge), revision 0, no BARs, no capabilities, no interrupt pin. The guest may write the
 * command register's I/O, memory, bus master and INTx-disable bits and the interrupt line;
 * the status register is read-only (no error bits are ever set, so none need clearing).
 */
void pci_cfg_init(struct pci_cfg *cfg, uint16_t vendor, uint16_t device, uint32_t class_code);

/*
 * BAR @index: @size is a power of two (I/O at least 4 bytes, memory at least 16), @flags a
 * mix of PCI_BAR_*. A 64-bit BAR takes @index and @index + 1. Returns 0 or -EINVAL.
 */
int pci_cfg_set_bar(struct pci_cfg *cfg, unsigned int index, uint64_t size, uint32_t flags);

/* The address the guest programmed in BAR @index (both halves of a 64-bit one). */
uint64_t pci_cfg_bar_address(const struct pci_cfg *cfg, unsigned int index);

/*
 * Appends a capability of @len bytes (ID and next pointer included) to the list, in the
 * first 256 bytes. Returns its offset, or 0 when it does not fit. The caller fills in the
 * body and its writable bits.
 */
unsigned int pci_cfg_add_cap(struct pci_cfg *cfg, uint8_t id, unsigned int len);

/* Little-endian access to @size bytes (1, 2, 4) at @offset; out of range reads all ones. */
uint32_t pci_cfg_read(const struct pci_cfg *cfg, unsigned int offset, unsigned int size);
/* Changes only the writable bits; out of range is ignored. */
void pci_cfg_write(struct pci_cfg *cfg, unsigned int offset, unsigned int size, uint32_t value);

/*
 * Walks @fn's capability list (standard, in the first 256 bytes) through its ops and
 * returns the offset of the first capability @id at or after the one at @from (0: from the
 * start), or 0 if there is none. A list that loops or points into the header ends the walk.
 */
unsigned int pci_find_cap(struct pci_function *fn, uint8_t id, unsigned int from);

#endif
