/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's pvpanic device, ISA flavour, at PVPANIC_PORT: reading it gives the events the host
 * handles, writing it reports one. PANICKED stops the machine; CRASH_LOADED (the guest
 * panicked with a kdump kernel loaded, which is about to run) is only remembered.
 */
#ifndef NESTVM_PVPANIC_H
#define NESTVM_PVPANIC_H

#include <stdbool.h>

#include "vmm/bus.h"

#define PVPANIC_PANICKED 0x01
#define PVPANIC_CRASH_LOADED 0x02

struct pvpanic {
	struct vm_control *ctl;
	bool crash_loaded;
};

const struct bus_ops *pvpanic_init(struct pvpanic *pp, struct vm_control *ctl);

/* Registers PVPANIC_PORT on @pio. Returns 0 or a negative errno. */
int pvpanic_attach(struct bus *pio, struct pvpanic *pp);

/* Whether the guest reported a crash with a kdump kernel loaded. */
bool pvpanic_crash_loaded(struct pvpanic *pp);

void pvpanic_destroy(struct pvpanic *pp);

#endif
