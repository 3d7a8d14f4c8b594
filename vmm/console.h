/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host side of the guest console: stdin, in raw mode when it is a terminal (restored on
 * every exit path), fed to a device through @input on the io loop thread. Ctrl-A x stops the
 * VM; Ctrl-A Ctrl-A sends one Ctrl-A.
 */
#ifndef NESTVM_CONSOLE_H
#define NESTVM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

struct console {
	int fd;
	bool escape; /* the previous byte was Ctrl-A */
	void (*input)(void *opaque, const uint8_t *buf, size_t len);
	void *opaque;
	struct vm *vm;
};

/*
 * Puts @fd in raw mode if it is a terminal, and from then on restores it before a fatal
 * signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGQUIT) takes the process.
 */
int console_init(struct console *con, int fd, struct vm *vm,
		 void (*input)(void *opaque, const uint8_t *buf, size_t len), void *opaque);
/* The io loop callback for con->fd. */
bool console_readable(void *opaque, int fd);
/* Restores the terminal; async-signal-safe, so fatal paths may call it too. */
void console_restore(void);

#endif
