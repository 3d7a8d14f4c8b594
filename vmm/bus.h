/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O buses: devices register an address range (port I/O or MMIO) with read/write
 * callbacks; the vCPU exit loop dispatches guest accesses to them. Devices never see KVM.
 *
 * Registration happens only while the VM is being built, before any vCPU runs; after that a
 * bus is read-only and dispatch needs no lock. Each device serialises its own state.
 */
#ifndef NESTVM_BUS_H
#define NESTVM_BUS_H

#include <stdbool.h>
#include <stdint.h>

struct bus_ops {
	/* @offset is relative to the region's base; @len is 1, 2, 4 or 8. Fill all of @data. */
	void (*read)(void *opaque, uint64_t offset, void *data, unsigned int len);
	void (*write)(void *opaque, uint64_t offset, const void *data, unsigned int len);
};

struct bus_region {
	uint64_t base, size;
	const struct bus_ops *ops;
	void *opaque;
	const char *name;
};

struct bus {
	const char *name; /* "pio" or "mmio", for messages */
	struct bus_region *regions; /* sorted by base, never overlapping */
	unsigned int count, capacity;
};

/* Adds [base, base + size). Returns 0, -EEXIST if it overlaps a region, -EINVAL, -ENOMEM. */
int bus_register(struct bus *bus, uint64_t base, uint64_t size, const struct bus_ops *ops,
		 void *opaque, const char *name);

/*
 * Dispatches an access. Returns false when no device claims @addr (or the access straddles
 * a region's end): then a read returns all ones and a write is dropped, as on real buses.
 */
bool bus_read(const struct bus *bus, uint64_t addr, void *data, unsigned int len);
bool bus_write(const struct bus *bus, uint64_t addr, const void *data, unsigned int len);

void bus_free(struct bus *bus);

/*
 * How devices raise interrupts and ask the machine to stop, without knowing KVM: the VM
 * hands each device the sinks it needs. Both may be called from any thread.
 */
struct irq_sink {
	void (*set_level)(struct irq_sink *sink, unsigned int gsi, bool level);
};

enum vm_stop_reason {
	VM_STOP_POWEROFF, /* the guest powered off: nestvm exits 0 */
	VM_STOP_RESET, /* the guest rebooted (reset register, i8042, triple fault) */
	VM_STOP_PANIC, /* the guest reported a panic (pvpanic) */
	VM_STOP_ERROR, /* nestvm or KVM failed */
	VM_STOP_SIGNAL, /* SIGINT/SIGTERM to nestvm */
};

struct vm_control {
	void (*request_stop)(struct vm_control *ctl, enum vm_stop_reason reason);
};

#endif
