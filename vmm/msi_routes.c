// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "fault_inject.h"
#include "log.h"
#include "msi_routes.h"

#define IOAPIC_PINS 24
#define PIC_LINES 16

void msi_routes_init(struct msi_routes *r, int vm_fd)
{
	memset(r, 0, sizeof(*r));
	r->vm_fd = vm_fd;
	pthread_mutex_init(&r->lock, NULL);
}

void msi_routes_destroy(struct msi_routes *r)
{
	pthread_mutex_destroy(&r->lock);
}

int msi_routes_alloc(struct msi_routes *r, unsigned int n, unsigned int *gsi)
{
	int ret = -ENOSPC;

	pthread_mutex_lock(&r->lock);
	if (n && n <= MSI_ROUTES_MAX - r->count) {
		*gsi = MSI_GSI_BASE + r->count;
		r->count += n;
		ret = 0;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static void irqchip_entry(struct kvm_irq_routing_entry *e, unsigned int gsi, unsigned int chip,
			  unsigned int pin)
{
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

/* The whole table, as KVM_CREATE_IRQCHIP's default plus our MSI routes. Under @lock. */
static int commit(struct msi_routes *r)
{
	const unsigned int max = PIC_LINES + IOAPIC_PINS + MSI_ROUTES_MAX;
	struct kvm_irq_routing *t;
	unsigned int n = 0;
	int ret = 0;

	t = calloc(1, sizeof(*t) + max * sizeof(t->entries[0]));
	if (!t)
		return -ENOMEM;
	for (unsigned int pin = 0; pin < IOAPIC_PINS; pin++) {
		/* GSIs 0-15 reach both the PIC (master 0-7, slave 8-15) and the IOAPIC. */
		if (pin < PIC_LINES)
			irqchip_entry(&t->entries[n++], pin,
				      pin < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
				      pin % 8);
		irqchip_entry(&t->entries[n++], pin, KVM_IRQCHIP_IOAPIC, pin);
	}
	for (unsigned int i = 0; i < r->count; i++) {
		struct kvm_irq_routing_entry *e = &t->entries[n];

		if (!r->routes[i].active)
			continue;
		e->gsi = MSI_GSI_BASE + i;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = (uint32_t)r->routes[i].address;
		e->u.msi.address_hi = (uint32_t)(r->routes[i].address >> 32);
		e->u.msi.data = r->routes[i].data;
		n++;
	}
	t->nr = n;
	ret = fault_inject(FAULT_KVM_GSI_ROUTING);
	if (!ret && ioctl(r->vm_fd, KVM_SET_GSI_ROUTING, t) < 0)
		ret = -errno;
	if (ret)
		pr_err("KVM_SET_GSI_ROUTING (%u routes): %s", n, strerror(-ret));
	free(t);
	return ret;
}

int msi_routes_set(struct msi_routes *r, unsigned int gsi, bool active, uint64_t address,
		   uint32_t data)
{
	unsigned int i = gsi - MSI_GSI_BASE;
	int ret;

	pthread_mutex_lock(&r->lock);
	if (gsi < MSI_GSI_BASE || i >= r->count) {
		pthread_mutex_unlock(&r->lock);
		return -EINVAL;
	}
	if (r->routes[i].active == active && r->routes[i].address == address &&
	    r->routes[i].data == data) {
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	r->routes[i].active = active;
	r->routes[i].address = address;
	r->routes[i].data = data;
	ret = commit(r);
	pthread_mutex_unlock(&r->lock);
	return ret;
}
