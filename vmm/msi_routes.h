/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MSI routes for passthrough interrupts. KVM_SET_GSI_ROUTING replaces the whole table, so
 * this keeps it: the irqchip's 24 IOAPIC pins (and the PIC's 16 lines), as KVM_CREATE_IRQCHIP
 * set them up, plus one MSI route per GSI handed out here. A device gets its GSIs once, at
 * setup, binds an irqfd to each, and rewrites a route (address and data) whenever the guest
 * reprograms the vector; an irqfd on a GSI with no route injects nothing, which is how a
 * masked vector stays quiet. Safe from any thread.
 */
#ifndef NESTVM_MSI_ROUTES_H
#define NESTVM_MSI_ROUTES_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define MSI_ROUTES_MAX 64
#define MSI_GSI_BASE 24 /* the first GSI above the IOAPIC's pins */

struct msi_routes {
	int vm_fd;
	pthread_mutex_t lock; /* a leaf: taken under vfio_pci's lock, takes none */
	unsigned int count; /* GSIs handed out: MSI_GSI_BASE .. MSI_GSI_BASE + count - 1 */
	struct {
		bool active;
		uint64_t address;
		uint32_t data;
	} routes[MSI_ROUTES_MAX];
};

void msi_routes_init(struct msi_routes *r, int vm_fd);
void msi_routes_destroy(struct msi_routes *r);

/* Hands out @n consecutive GSIs (setup time); the first in *@gsi. 0 or -ENOSPC. */
int msi_routes_alloc(struct msi_routes *r, unsigned int n, unsigned int *gsi);

/* Routes @gsi to the MSI (@address, @data), or removes its route when !@active. 0 or -errno. */
int msi_routes_set(struct msi_routes *r, unsigned int gsi, bool active, uint64_t address,
		   uint32_t data);

#endif
