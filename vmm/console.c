// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"
#include "log.h"
#include "vm.h"

#define CTRL_A 0x01

/* The terminal's state before raw mode; set once by console_init() on the main thread. */
static struct termios saved;
static int saved_fd = -1;

/*
 * Signals that end the process without our teardown: the terminal comes back first, then
 * whoever handled them before (ASan's report) or their default action.
 */
static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGQUIT };
static struct sigaction fatal_previous[sizeof(fatal_signals) / sizeof(fatal_signals[0])];

static void fatal_signal(int sig, siginfo_t *info, void *ctx)
{
	console_restore();
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		const struct sigaction *old = &fatal_previous[i];

		if (fatal_signals[i] != sig)
			continue;
		if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction)
			old->sa_sigaction(sig, info, ctx);
		else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN)
			old->sa_handler(sig);
	}
	/* SA_RESETHAND made it the default again: delivered when this handler returns. */
	raise(sig);
}

static void catch_fatal_signals(void)
{
	struct sigaction sa = { .sa_sigaction = fatal_signal,
				.sa_flags = SA_SIGINFO | SA_RESETHAND };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, &fatal_previous[i]);
}

int console_init(struct console *con, int fd, struct vm *vm,
		 void (*input)(void *opaque, const uint8_t *buf, size_t len), void *opaque)
{
	struct termios raw;

	*con = (struct console){ .fd = fd, .input = input, .opaque = opaque, .vm = vm };
	if (!isatty(fd))
		return 0;
	if (tcgetattr(fd, &saved) < 0)
		return -errno;
	raw = saved;
	cfmakeraw(&raw);
	raw.c_oflag |= OPOST | ONLCR; /* keep "\n" -> "\r\n" so host-side logs stay readable */
	if (tcsetattr(fd, TCSANOW, &raw) < 0)
		return -errno;
	saved_fd = fd;
	catch_fatal_signals();
	return 0;
}

void console_restore(void)
{
	if (saved_fd >= 0)
		tcsetattr(saved_fd, TCSANOW, &saved);
	saved_fd = -1;
}

bool console_readable(void *opaque, int fd)
{
	struct console *con = opaque;
	uint8_t buf[64], out[64];
	size_t n = 0;
	ssize_t len = read(fd, buf, sizeof(buf));

	if (len <= 0)
		return len < 0 && (errno == EAGAIN || errno == EINTR); /* EOF: stop watching */
	for (ssize_t i = 0; i < len; i++) {
		if (con->escape) {
			con->escape = false;
			if (buf[i] == 'x') {
				pr_info("Ctrl-A x: stopping the guest");
				vm_request_stop(con->vm, VM_STOP_SIGNAL);
				return false;
			}
			if (buf[i] != CTRL_A)
				out[n++] = CTRL_A;
			out[n++] = buf[i];
		} else if (buf[i] == CTRL_A) {
			con->escape = true;
		} else {
			out[n++] = buf[i];
		}
		if (n >= sizeof(out) - 1) {
			con->input(con->opaque, out, n);
			n = 0;
		}
	}
	if (n)
		con->input(con->opaque, out, n);
	return true;
}
