// SPDX-License-Identifier: GPL-2.0
/* Event bits as in Linux's include/uapi/misc/pvpanic.h; drivers/misc/pvpanic reads, then writes. */
#include <string.h>

#include "devices/pvpanic.h"
#include "vmm/layout.h"
#include "vmm/log.h"

#define SUPPORTED_EVENTS (PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)

/* One port; bytes of a wider access beyond it are not ours. */
static void pvpanic_read(void *opaque, uint64_t offset, void *data, unsigned int len)
{
	(void)opaque;
	memset(data, 0xff, len);
	if (offset == 0 && len)
		*(uint8_t *)data = SUPPORTED_EVENTS;
}

static void pvpanic_write(void *opaque, uint64_t offset, const void *data, unsigned int len)
{
	struct pvpanic *pp = opaque;
	uint8_t events;

	if (offset != 0 || !len)
		return;
	events = *(const uint8_t *)data;
	if (events & PVPANIC_PANICKED) {
		pp->ctl->request_stop(pp->ctl, VM_STOP_PANIC);
		return;
	}
	if ((events & PVPANIC_CRASH_LOADED) &&
	    !__atomic_exchange_n(&pp->crash_loaded, true, __ATOMIC_RELAXED))
		pr_info("pvpanic: the guest panicked; its crash kernel takes over");
}

static const struct bus_ops pvpanic_ops = {
	.read = pvpanic_read,
	.write = pvpanic_write,
};

const struct bus_ops *pvpanic_init(struct pvpanic *pp, struct vm_control *ctl)
{
	memset(pp, 0, sizeof(*pp));
	pp->ctl = ctl;
	return &pvpanic_ops;
}

int pvpanic_attach(struct bus *pio, struct pvpanic *pp)
{
	return bus_register(pio, PVPANIC_PORT, 1, &pvpanic_ops, pp, "pvpanic");
}

bool pvpanic_crash_loaded(struct pvpanic *pp)
{
	return __atomic_load_n(&pp->crash_loaded, __ATOMIC_RELAXED);
}

void pvpanic_destroy(struct pvpanic *pp)
{
	pp->ctl = NULL;
}
