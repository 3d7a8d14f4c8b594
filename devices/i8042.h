/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the i8042 keyboard controller for the guest to reboot through it: command
 * 0xFE (pulse the reset line) to port 0x64 resets the machine. There is no keyboard: status
 * reads 0 (no data, input buffer empty, so the guest's wait loops end), data reads 0, and
 * every other command is ignored.
 */
#ifndef NESTVM_I8042_H
#define NESTVM_I8042_H

#include "vmm/bus.h"

struct i8042 {
	struct vm_control *ctl;
};

/* The two ports are not adjacent, so each has its own callbacks (opaque: the struct i8042). */
extern const struct bus_ops i8042_data_ops;
extern const struct bus_ops i8042_command_ops;

void i8042_init(struct i8042 *kbc, struct vm_control *ctl);

/* Registers I8042_DATA_PORT and I8042_CMD_PORT on @pio. Returns 0 or a negative errno. */
int i8042_attach(struct bus *pio, struct i8042 *kbc);

void i8042_destroy(struct i8042 *kbc);

#endif
