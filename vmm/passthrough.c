// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "iommu/iommufd.h"
#include "vfio/vfio_cdev.h"
#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/passthrough.h"

/*
 * Can the guest's tables for this function be nested HWPTs? Where the host refuses, nestvm
 * walks them in software and mirrors them into an IOAS (shadowing): say so and why.
 */
static void probe_nesting(struct passthrough *pt, struct ioas_endpoint *ep)
{
	char why[160];
	int ret = nested_backend_probe(pt->nested, ep, why, sizeof(why));

	if (!ret) {
		pt->nnested++;
		pr_debug("--vfio %s: nested tables: yes", ep->name);
		return;
	}
	ret = shadow_backend_add_device(pt->shadow, ep->dev_id);
	if (ret < 0) {
		pr_info(
		    "--vfio %s: nesting unavailable (%s), and shadowing too (%s): the guest gets "
		    "MAP/UNMAP only for it",
		    ep->name, why, strerror(-ret));
		return;
	}
	pt->nshadowed++;
	pr_info("--vfio %s: nesting unavailable (%s): falling back to shadowing the guest's tables "
		"(%u-bit input addresses)",
		ep->name, why, ret);
}

/*
 * Where the function's DMA goes: the identity IOAS without a vIOMMU; with one, it becomes an
 * endpoint (the backend parks it on identity or blocked until the guest attaches it), the
 * host's IOVA holes for it become RESV_MEM in PROBE, and its host IOMMU is asked whether it
 * nests.
 */
static int attach_dma(struct passthrough *pt, struct viommu *viommu, unsigned int slot)
{
	struct vfio_pci *vp = &pt->fns[pt->nfns - 1];
	struct ioas_endpoint *ep = &pt->eps[pt->nfns - 1];
	struct viommu_endpoint *vep;
	uint32_t ioas;
	int ret;

	*ep = (struct ioas_endpoint){ .attach_pt = vfio_cdev_attach_pt,
				      .dev = &vp->dev.fd,
				      .name = vp->dev.name,
				      .dev_id = vp->dev.dev_id };
	if (!viommu) {
		ret = ioas_backend_identity(pt->ioas, &ioas);
		if (!ret)
			ret = ep->attach_pt(ep->dev, ioas);
		if (ret)
			pr_err("--vfio %s: cannot attach it to guest RAM's I/O address space: %s",
			       vp->dev.name, strerror(-ret));
		return ret;
	}
	vep = viommu_add_endpoint(viommu, PASSTHROUGH_ENDPOINT_BASE + (slot << 3), VIOMMU_EP_VFIO,
				  ep);
	if (!vep) {
		pr_err("--vfio %s: cannot put it behind the virtio-iommu: %s", vp->dev.name,
		       strerror(errno));
		return -errno;
	}
	ret = ioas_backend_add_resv(pt->ioas, ep, vep);
	if (!ret)
		probe_nesting(pt, ep);
	return ret;
}

static int add_function(struct passthrough *pt, struct vm *vm, struct pci_host *host,
			struct viommu *viommu, struct pci_bar_space *space, const char *spec,
			unsigned int slot)
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
	ret = attach_dma(pt, viommu, slot);
	if (ret)
		return ret;
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
	struct viommu_params params;
	struct pci_bar_space space = {
		.mmio32 = PCI_MMIO32_GPA,
		.mmio32_end = PCI_MMIO32_GPA + PCI_MMIO32_SIZE - 1,
		.io = PCI_IO_WINDOW_BASE,
		.io_end = PCI_IO_WINDOW_BASE + PCI_IO_WINDOW_SIZE - 1,
	};
	int ret = 0;

	memset(pt, 0, sizeof(*pt));
	pt->iommufd = -1;
	if (opts->viommu_test_endpoint && viommu)
		return test_endpoint_setup(&pt->test, viommu, &vm->mem);
	if (!opts->nvfio)
		return 0;
	space.mmio64 = pci_mmio64_base(vm->mem.regions[vm->mem.count - 1].gpa +
				       vm->mem.regions[vm->mem.count - 1].size);
	space.mmio64_end = space.mmio64 + PCI_MMIO64_SIZE - 1;
	pt->iommufd = iommufd_open(NULL);
	if (pt->iommufd < 0) {
		ret = pt->iommufd;
		pr_err("--vfio: %s: %s (passthrough needs iommufd: CONFIG_IOMMUFD and an IOMMU "
		       "enabled on the host, e.g. intel_iommu=on)",
		       IOMMUFD_PATH, strerror(-ret));
		return ret;
	}
	viommu_default_params(&params);
	pt->ioas = ioas_backend_create(pt->iommufd, &vm->mem, params.max_mappings);
	pt->nested = pt->ioas ? nested_backend_create(pt->iommufd, pt->ioas) : NULL;
	pt->shadow = pt->nested ? shadow_backend_create(pt->iommufd, &vm->mem, NULL) : NULL;
	if (!pt->shadow) {
		pr_err("--vfio: out of memory");
		return -ENOMEM;
	}
	if (viommu) {
		viommu_set_backend(viommu, VIOMMU_EP_VFIO, pt->ioas);
		viot->pci_range = true;
		viot->pci_bdf_start = PASSTHROUGH_FIRST_SLOT << 3;
		viot->pci_bdf_end = ((PASSTHROUGH_FIRST_SLOT + opts->nvfio - 1) << 3) | 7;
		viot->pci_endpoint_start = PASSTHROUGH_ENDPOINT_BASE + viot->pci_bdf_start;
	}
	for (unsigned int i = 0; i < opts->nvfio && !ret; i++)
		ret = add_function(pt, vm, host, viommu, &space, opts->vfio[i],
				   PASSTHROUGH_FIRST_SLOT + i);
	/* One table backend per kind of endpoint: shadowing serves any host, nesting only its own.
	 */
	if (!ret && pt->nshadowed)
		viommu_set_table_backend(viommu, VIOMMU_EP_VFIO, pt->shadow);
	else if (!ret && pt->nnested)
		viommu_set_table_backend(viommu, VIOMMU_EP_VFIO, pt->nested);
	if (!ret && pt->nshadowed && pt->nnested)
		pr_info("--vfio: some functions cannot nest: all of them get shadowed tables");
	return ret;
}

void passthrough_destroy(struct passthrough *pt)
{
	for (unsigned int i = 0; i < pt->nfns; i++)
		vfio_pci_destroy(&pt->fns[i]);
	pt->nfns = 0;
	test_endpoint_destroy(&pt->test);
	nested_backend_destroy(pt->nested);
	pt->nested = NULL;
	if (pt->ioas)
		ioas_backend_destroy(pt->ioas);
	pt->ioas = NULL;
	if (pt->shadow)
		shadow_backend_destroy(pt->shadow);
	pt->shadow = NULL;
	if (pt->iommufd >= 0)
		close(pt->iommufd);
	pt->iommufd = -1;
}
