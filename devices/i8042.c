// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "devices/i8042.h"
#include "vmm/layout.h"

#define CMD_PULSE_RESET 0xfe /* pulse output line 0, wired to the CPU's reset */

/* Ports are 1 byte wide; bytes of a wider access beyond the port are not ours. */
static void i8042_read(void *opaque, uint64_t offset, void *data, unsigned int len)
{
	(void)opaque;
	memset(data, 0xff, len);
	if (offset == 0 && len)
		*(uint8_t *)data = 0; /* data: nothing; status: empty buffers, nothing to read */
}

static void i8042_data_write(void *opaque, uint64_t offset, const void *data, unsigned int len)
{
	/* No keyboard to talk to. */
	(void)opaque;
	(void)offset;
	(void)data;
	(void)len;
}

static void i8042_command_write(void *opaque, uint64_t offset, const void *data, unsigned int len)
{
	struct i8042 *kbc = opaque;

	if (offset == 0 && len && *(const uint8_t *)data == CMD_PULSE_RESET)
		kbc->ctl->request_stop(kbc->ctl, VM_STOP_RESET);
}

const struct bus_ops i8042_data_ops = {
	.read = i8042_read,
	.write = i8042_data_write,
};

const struct bus_ops i8042_command_ops = {
	.read = i8042_read,
	.write = i8042_command_write,
};

void i8042_init(struct i8042 *kbc, struct vm_control *ctl)
{
	kbc->ctl = ctl;
}

int i8042_attach(struct bus *pio, struct i8042 *kbc)
{
	int ret = bus_register(pio, I8042_DATA_PORT, 1, &i8042_data_ops, kbc, "i8042 data");

	if (ret)
		return ret;
	return bus_register(pio, I8042_CMD_PORT, 1, &i8042_command_ops, kbc, "i8042 command");
}

void i8042_destroy(struct i8042 *kbc)
{
	kbc->ctl = NULL;
}
