/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-mmio devices described on the guest kernel's command line
 * (virtio_mmio.device=<size>@<base>:<irq>, CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES), for kernels
 * that have no ACPI to find them in the DSDT.
 */
#ifndef NESTVM_VIRTIO_CMDLINE_H
#define NESTVM_VIRTIO_CMDLINE_H

#include <stdint.h>

struct virtio_cmdline_dev {
	uint64_t base, size; /* the device's MMIO window */
	unsigned int irq; /* the Linux IRQ number request_irq() takes */
};

/*
 * A new command line (malloc'd; NULL when out of memory): one virtio_mmio.device= per
 * device, in order (the guest numbers them virtio-mmio.0, .1, ...), then @cmdline.
 */
char *virtio_cmdline_build(const char *cmdline, const struct virtio_cmdline_dev *devs,
			   unsigned int n);

#endif
