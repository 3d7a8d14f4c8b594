// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "iommu/iommufd.h"
#include "vfio/vfio_cdev.h"
#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/passthrough.h"

/* All guest RAM at IOVA = GPA: what a device sees when nothing translates its DMA. */
static int identity_ioas(struct passthrough *pt, const struct gmem *mem)
{
	int ret = iommufd_ioas_alloc(pt->iommufd, &pt->identity_ioas);

	for (unsigned int i = 0; i < mem->count && !ret; i++)
		ret = iommufd_ioas_map(pt->iommufd, pt->identity_ioas, mem->regions[i].hva,
				       mem->regions[i].size, mem->regions[i].gpa, true);
	if (ret)
		pr_err("iommufd: cannot map guest RAM for passthrough DMA: %s%s", strerror(-ret),
		       ret == -ENOMEM ? " (RLIMIT_MEMLOCK too low? guest RAM is pinned)" : "");
	return ret;
}

static int add_function(struct passthrough *pt, struct vm *vm, struct pci_host *host,
			struct pci_bar_space *space, const char *spec, unsigned int slot)
{
	struct vfio_pci *vp = &pt->fns[pt->nfns];
	char err[512];
	int ret;

	ret = vfio_pci_create(vp, vm, space, spec, pt->iommufd, err, sizeof(err));
	if (ret) {
		pr_err("%s", err);
		vfio_pci_destroy(vp);
		return ret;
	}
	pt->nfns++;
	ret = vfio_cdev_attach(vp->dev.fd, pt->identity_ioas);
	if (ret) {
		pr_err("--vfio %s: cannot attach it to its I/O address space: %s", spec,
		       strerror(-ret));
		return ret;
	}
	ret = pci_host_add(host, slot, &vp->fn);
	if (ret)
		pr_err("--vfio %s: no PCI slot %u: %s", spec, slot, strerror(-ret));
	else
		pr_debug("--vfio %s: in slot %u, %u MSI-X vectors", spec, slot, vp->msix.nvec);
	return ret;
}

int passthrough_setup(struct passthrough *pt, struct vm *vm, struct pci_host *host,
		      struct viommu *viommu, const struct vm_opts *opts, struct acpi_viot *viot)
{
	struct pci_bar_space space = {
		.mmio32 = PCI_MMIO32_GPA,
		.mmio32_end = PCI_MMIO32_GPA + PCI_MMIO32_SIZE - 1,
		.io = PCI_IO_WINDOW_BASE,
		.io_end = PCI_IO_WINDOW_BASE + PCI_IO_WINDOW_SIZE - 1,
	};
	int ret;

	memset(pt, 0, sizeof(*pt));
	pt->iommufd = -1;
	if (!opts->nvfio)
		return 0;
	space.mmio64 = pci_mmio64_base(vm->mem.regions[vm->mem.count - 1].gpa +
				       vm->mem.regions[vm->mem.count - 1].size);
	space.mmio64_end = space.mmio64 + PCI_MMIO64_SIZE - 1;
	if (viommu) {
		pr_err("--vfio with --viommu: not yet; run without --viommu (the device then "
		       "sees guest RAM at its physical addresses)");
		return -ENOTSUP;
	}
	(void)viot;
	pt->iommufd = iommufd_open(NULL);
	if (pt->iommufd < 0) {
		ret = pt->iommufd;
		pr_err("--vfio: %s: %s (passthrough needs iommufd: CONFIG_IOMMUFD and an IOMMU "
		       "enabled on the host, e.g. intel_iommu=on)",
		       IOMMUFD_PATH, strerror(-ret));
		return ret;
	}
	ret = identity_ioas(pt, &vm->mem);
	for (unsigned int i = 0; i < opts->nvfio && !ret; i++)
		ret = add_function(pt, vm, host, &space, opts->vfio[i], PASSTHROUGH_FIRST_SLOT + i);
	return ret;
}

void passthrough_destroy(struct passthrough *pt)
{
	for (unsigned int i = 0; i < pt->nfns; i++)
		vfio_pci_destroy(&pt->fns[i]);
	pt->nfns = 0;
	if (pt->iommufd >= 0) {
		if (pt->identity_ioas)
			iommufd_destroy(pt->iommufd, pt->identity_ioas);
		close(pt->iommufd);
	}
	pt->iommufd = -1;
}
