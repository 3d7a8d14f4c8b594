/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine's state, shared by its files: machine.c (the lifecycle: start, wait, teardown),
 * machine_devices.c (the device wiring) and machine_boot.c (what the guest boots with: the
 * tables, the command line, the kernel). Not for other users: they have machine.h.
 */
#ifndef NESTVM_MACHINE_INTERNAL_H
#define NESTVM_MACHINE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/acpi.h"
#include "devices/acpi_pm.h"
#include "devices/i8042.h"
#include "devices/pci_host.h"
#include "devices/pvpanic.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_console.h"
#include "devices/virtio_net.h"
#include "devices/virtio_rng.h"
#include "iommu/invalq.h"
#include "iommu/viommu_virtio.h"
#include "cli.h"
#include "console.h"
#include "ioloop.h"
#include "layout.h"
#include "passthrough.h"
#include "vm.h"

struct machine {
	struct vm vm;
	struct serial com1;
	struct rtc rtc;
	struct i8042 kbc;
	struct acpi_pm pm;
	struct pvpanic pvpanic;
	struct pci_host pci;
	struct passthrough pt;
	struct acpi_viot viot;
	bool devices_ready;

	/* virtio-mmio devices, in window order; described to the guest in the DSDT. */
	struct dma_space dma; /* identity: DMA addresses are guest-physical */
	struct dma_space dmas[VIRTIO_MMIO_MAX_DEVICES]; /* per device, behind the vIOMMU */
	struct viommu *viommu;
	struct viommu_virtio viommu_dev;
	bool has_viommu_dev;
	struct acpi_viot_mmio_endpoint viot_endpoints[VIRTIO_MMIO_MAX_DEVICES];
	/* QueueNotify of each virtio queue as a KVM ioeventfd, read by the io loop. */
	struct machine_kick {
		struct virtio_mmio_dev *dev;
		unsigned int queue;
		int fd;
	} kicks[2 * VIRTIO_GSI_COUNT];
	unsigned int nkicks;
	/* The vIOMMU's invalq: its QueueNotify ioeventfd goes to a thread of its own. */
	struct invalq invalq;
	int invalq_fd;
	unsigned int nviot;
	struct virtio_blk disks[VM_DISKS_MAX];
	unsigned int ndisks;
	struct virtio_rng rng;
	bool has_rng;
	struct virtio_net net;
	bool has_net;
	struct virtio_console vcon;
	bool has_vcon;
	struct acpi_device_desc virtio_desc[VIRTIO_MMIO_MAX_DEVICES]; /* by window */
	char acpi_names[VIRTIO_MMIO_MAX_DEVICES][5];
	unsigned int nacpi, nvirtio;
	struct virtio_mmio_dev *virtio_devs[VIRTIO_MMIO_MAX_DEVICES]; /* by window */
	struct irqfd_sink virtio_irqs[VIRTIO_MMIO_MAX_DEVICES]; /* by window */
	struct ioloop loop;
	struct console con;
	int signal_fd;
	void *kernel, *initrd;
	size_t kernel_size, initrd_size;
	char *cmdline; /* --virtio-cmdline: the user's, after the devices */
	bool print_viommu_stats; /* --viommu-stats or -d: the counters line at exit */
};

/* machine_stats.c: the counters line, at teardown before the vIOMMU goes. */
void machine_print_viommu_stats(struct machine *m);

/*
 * machine_devices.c, the device wiring. Shared because the lifecycle in machine.c calls each at
 * its own point: the buses filled before the tables are written, the notifications routed
 * around the io loop's start.
 */

/* machine_run(): the legacy devices and the PCI host bridge, on the port I/O and MMIO buses. */
int machine_add_devices(struct machine *m);
/* machine_run(): the virtio-mmio devices @o asks for (the vIOMMU first), each in its window. */
int machine_add_virtio(struct machine *m, const struct vm_opts *o);
/* machine_start(): after ioloop_init() (the loop watches the eventfds), before its start. */
int machine_add_kicks(struct machine *m);
/* machine_start(): the invalq thread, after the io loop's start and before the vCPUs'. */
int machine_add_invalq(struct machine *m);

/*
 * machine_boot.c, what the guest boots with. Shared because machine_run() writes it into guest
 * RAM between the other steps: the tables once the devices are placed (they describe them),
 * the kernel once the vCPUs exist (its entry sets the boot vCPU's registers).
 */

/* machine_run(): after the virtio devices, whose GSIs it routes. */
int machine_write_mptable(struct machine *m);
/* machine_run(): after passthrough_setup(); sets *@rsdp for machine_load_kernel(). */
int machine_write_acpi(struct machine *m, uint64_t *rsdp);
/* machine_run(): after the vCPUs; frees m->kernel and m->initrd, now in guest RAM. */
int machine_load_kernel(struct machine *m, const struct vm_opts *o, uint64_t rsdp);

#endif
