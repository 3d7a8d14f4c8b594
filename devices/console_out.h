/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a console device's output goes (the UART's, the virtio-console's): an fd written so
 * that no device thread ever blocks for long. With no room for @wait_ms the output is
 * dropped, and so is everything after it, without waiting, until the fd takes bytes again.
 * After a hard error (the reader is gone, EIO) all further output is dropped: the guest runs
 * on without a console rather than stopping.
 */
#ifndef NESTVM_CONSOLE_OUT_H
#define NESTVM_CONSOLE_OUT_H

#include <stdbool.h>
#include <stddef.h>

struct console_out {
	int fd; /* -1: output is discarded (also after a hard error) */
	bool poll; /* the fd could block a write: poll() for room first */
	bool stalled; /* a wait for room timed out: drop, without waiting */
	unsigned int wait_ms; /* the longest wait for room */
	const char *name; /* for the one warning on a hard error */
};

/* @fd is not closed by the device; -1 discards output. */
void console_out_init(struct console_out *out, int fd, unsigned int wait_ms, const char *name);
/* Writes what it can of @buf; returns how many bytes went out. */
size_t console_out_write(struct console_out *out, const void *buf, size_t len);

#endif
