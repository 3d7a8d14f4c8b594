/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine's passthrough devices: one iommufd, the VFIO PCI functions (--vfio) in slots
 * 1.. of the host bridge, and where their DMA goes. Without --viommu a function sits on an
 * IOAS that maps all guest RAM at IOVA = GPA. With --viommu it is an endpoint of the
 * virtio-iommu (id PASSTHROUGH_ENDPOINT_BASE + devfn, listed in the VIOT as a PCI range)
 * whose domains are IOASes (iommu/backend_ioas.h), and whose tables (ATTACH_TABLE) are nested
 * HWPTs (iommu/backend_nested.h) where the host IOMMU nests, and are shadowed (walked in software
 * and mirrored into an IOAS, iommu/backend_shadow.h) where it does not. --viommu-test-endpoint adds
 * a selftest mock device instead (vmm/test_endpoint.h).
 */
#ifndef NESTVM_PASSTHROUGH_H
#define NESTVM_PASSTHROUGH_H

#include "boot/acpi.h"
#include "devices/pci_host.h"
#include "iommu/backend_ioas.h"
#include "iommu/backend_nested.h"
#include "iommu/backend_shadow.h"
#include "iommu/viommu.h"
#include "vfio/vfio_pci.h"
#include "vmm/cli.h"
#include "vmm/test_endpoint.h"
#include "vmm/vm.h"

/* Endpoint ids above the virtio-mmio ones (window numbers 0-15). */
#define PASSTHROUGH_ENDPOINT_BASE 0x100
#define PASSTHROUGH_FIRST_SLOT 1

struct passthrough {
	int iommufd;
	struct viommu_backend *ioas; /* every IOAS the functions' DMA goes through */
	struct viommu_backend *nested; /* the guest's tables, with --viommu, where the host nests */
	struct viommu_backend *shadow; /* ... walked and mirrored, where it does not */
	unsigned int nnested, nshadowed; /* functions whose host IOMMU nests / does not */
	struct vfio_pci fns[VM_VFIO_MAX];
	struct ioas_endpoint eps[VM_VFIO_MAX];
	unsigned int nfns;
	struct test_endpoint test;
};

/*
 * Takes the devices @opts names, places them on @host, and attaches their DMA: behind @viommu
 * when not NULL. Fills the VIOT's PCI range in @viot. 0 or -errno (reported).
 */
int passthrough_setup(struct passthrough *pt, struct vm *vm, struct pci_host *host,
		      struct viommu *viommu, const struct vm_opts *opts, struct acpi_viot *viot);
/*
 * Resets and releases the functions (and the test endpoint), then their HWPTs and IOASes.
 * After viommu_destroy(): the vIOMMU moves its endpoints off their domains first.
 */
void passthrough_destroy(struct passthrough *pt);

#endif
