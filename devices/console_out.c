// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/log.h"
#include "console_out.h"

#define EINTR_RETRIES 8

/* A write to @fd could block: a blocking fd that is not a regular file (a tty, a pipe). */
static bool could_block(int fd)
{
	struct stat st;
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || (flags & O_NONBLOCK))
		return false;
	return fstat(fd, &st) < 0 || !S_ISREG(st.st_mode);
}

void console_out_init(struct console_out *out, int fd, unsigned int wait_ms, const char *name)
{
	*out = (struct console_out){
		.fd = fd,
		.poll = fd >= 0 && could_block(fd),
		.wait_ms = wait_ms,
		.name = name,
	};
}

/* Waits up to wait_ms for room, not at all while stalled. Returns whether there is room. */
static bool wait_for_room(struct console_out *out)
{
	struct pollfd pfd = { .fd = out->fd, .events = POLLOUT };
	int ret;

	do {
		ret = poll(&pfd, 1, out->stalled ? 0 : (int)out->wait_ms);
	} while (ret < 0 && errno == EINTR);
	out->stalled = ret <= 0 || !(pfd.revents & POLLOUT);
	return !out->stalled;
}

size_t console_out_write(struct console_out *out, const void *buf, size_t len)
{
	unsigned int eintr = 0;
	bool waited = false;
	size_t done = 0;

	if (out->fd < 0)
		return 0;
	while (done < len) {
		ssize_t n;

		if (out->poll && !wait_for_room(out))
			break;
		n = write(out->fd, (const char *)buf + done, len - done);
		if (n > 0) {
			done += n;
			out->stalled = false;
			continue;
		}
		if (n < 0 && errno == EINTR && ++eintr < EINTR_RETRIES)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Full: wait once (never for a non-blocking fd that is stalled). */
			if (waited || !wait_for_room(out))
				break;
			waited = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			break;
		pr_warn("%s: writing the output failed (%s); dropping it from now on", out->name,
			n < 0 ? strerror(errno) : "no progress");
		out->fd = -1;
		break;
	}
	return done;
}
