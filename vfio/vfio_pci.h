/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VFIO PCI function passed through to the guest, on our PCI host bridge.
 *
 * What the guest sees:
 *  - BARs at addresses nestvm picks when it builds the machine (from the host bridge's
 *    windows), never moved: sizing (all ones) reads back the size; any other write of a BAR
 *    is ignored. Linux keeps firmware-placed BARs that sit inside the bridge's windows.
 *  - Memory BARs that VFIO lets us mmap are memory slots: the guest reaches the device
 *    without exits. The BAR that holds the MSI-X table (and I/O BARs, and BARs VFIO cannot
 *    mmap whole) are trapped; accesses outside the table go to the device through VFIO.
 *  - Capabilities: power management, PCI Express and MSI-X stay; MSI and the rest are
 *    unlinked, so the guest's driver takes MSI-X. No extended capabilities (offset 0x100
 *    reads 0), no expansion ROM, no INTx (interrupt pin 0): a device without MSI-X is
 *    refused at start.
 *  - The MSI-X table is emulated (vfio/msix.h); its vectors are KVM MSI routes with irqfds.
 *  - Everything else in config space goes to the device through VFIO, which filters what a
 *    user may change.
 *
 * The device is reset (VFIO_DEVICE_RESET) when nestvm takes it and when it lets it go.
 */
#ifndef NESTVM_VFIO_PCI_H
#define NESTVM_VFIO_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"
#include "vfio/msix.h"
#include "vfio/vfio_device.h"
#include "vmm/vm.h"

/* Where BARs go: the host bridge's windows, handed out in order. */
struct pci_bar_space {
	uint64_t mmio32, mmio32_end;
	uint64_t mmio64, mmio64_end;
	uint64_t io, io_end;
};

struct vfio_pci_bar {
	uint64_t size; /* 0: no BAR */
	uint64_t gpa;
	uint32_t flags; /* PCI_BAR_IO / PCI_BAR_MEM64 / PCI_BAR_PREFETCH */
	bool sizing; /* the guest wrote all ones to the (low) BAR dword */
	bool sizing_hi; /* ... and to the high dword of a 64-bit BAR */
	void *map; /* mmap of the region when it is a memory slot */
	int slot; /* ... and that slot */
};

struct vfio_pci;

/* A BAR whose accesses exit to nestvm: the bus callback's context. */
struct vfio_pci_trap {
	struct vfio_pci *vp;
	unsigned int index;
};

struct vfio_pci {
	struct pci_function fn;
	struct vfio_device dev;
	struct vm *vm;
	/* Config space and MSI-X state: vCPUs trap in any order. After pci_host's, before
	 * msi_routes'. */
	pthread_mutex_t lock;
	uint8_t cfg[PCI_CFG_SIZE]; /* the device's config space as read at start */
	uint8_t visible_next[PCI_CFG_SIZE]; /* for each kept capability, the next kept one */
	unsigned int first_cap;
	struct vfio_pci_bar bars[PCI_BAR_COUNT];
	struct vfio_pci_trap traps[PCI_BAR_COUNT];
	uint8_t interrupt_line;
	unsigned int msix_cap, msix_bar, pba_bar;
	uint64_t msix_table_off, pba_off;
	struct msix msix;
	unsigned int gsi_base;
	int vector_fds[MSIX_MAX_VECTORS];
	uint16_t command; /* the device's Command register as last read: decoding on or off */
	bool bar_warned;
	bool io_warned[2]; /* a failed access was reported: [0] read, [1] write */
};

/*
 * Takes the device @spec (cdev or PCI address) bound to @iommufd, resets it, places its BARs
 * in @space and maps or traps them on @vm, and sets up its MSI-X vectors. The caller then
 * attaches it to an IOAS (vp->dev) and puts vp->fn in a slot. 0, or -errno with the reason in
 * @err.
 */
int vfio_pci_create(struct vfio_pci *vp, struct vm *vm, struct pci_bar_space *space,
		    const char *spec, int iommufd, char *err, size_t errlen);

/* Quiets, resets and releases the device. */
void vfio_pci_destroy(struct vfio_pci *vp);

#endif
