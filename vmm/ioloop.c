// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ioloop.h"
#include "log.h"
#include "seccomp.h"

#define WAKE_TAG UINT64_MAX
#define RING_ENTRIES 64

int ioloop_init(struct ioloop *loop)
{
	int ret;

	memset(loop, 0, sizeof(*loop));
	loop->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->wake_fd < 0)
		return -errno;
	ret = io_uring_queue_init(RING_ENTRIES, &loop->ring, 0);
	if (ret) {
		pr_err("io_uring: cannot set up a ring: %s (a kernel without CONFIG_IO_URING, or "
		       "io_uring disabled by sysctl kernel.io_uring_disabled?)",
		       strerror(-ret));
		return ret;
	}
	loop->ring_ready = true;
	return 0;
}

int ioloop_watch(struct ioloop *loop, int fd, ioloop_fn fn, void *opaque)
{
	if (loop->started || loop->count == IOLOOP_MAX_WATCHES)
		return -EBUSY;
	loop->watches[loop->count].fd = fd;
	loop->watches[loop->count].fn = fn;
	loop->watches[loop->count].opaque = opaque;
	loop->watches[loop->count].active = true;
	loop->count++;
	return 0;
}

static int arm(struct ioloop *loop, int fd, uint64_t tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&loop->ring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_multishot(sqe, fd, POLLIN);
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

/* Handles one completion; returns false when the loop must end. */
static bool ioloop_complete(struct ioloop *loop, struct io_uring_cqe *cqe)
{
	uint64_t tag = io_uring_cqe_get_data64(cqe);
	bool more = cqe->flags & IORING_CQE_F_MORE;

	if (tag == WAKE_TAG)
		return false;
	if (tag >= loop->count || !loop->watches[tag].active)
		return true;
	if (cqe->res < 0) {
		pr_err("io loop: poll on fd %d failed: %s", loop->watches[tag].fd,
		       strerror(-cqe->res));
		loop->watches[tag].active = false;
		return true;
	}
	if (!loop->watches[tag].fn(loop->watches[tag].opaque, loop->watches[tag].fd)) {
		loop->watches[tag].active = false;
		if (more) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&loop->ring);

			if (sqe)
				io_uring_prep_poll_remove(sqe, tag);
		}
		return true;
	}
	/* The kernel may end a multishot poll (e.g. on overflow): arm it again. */
	if (!more)
		arm(loop, loop->watches[tag].fd, tag);
	return true;
}

static void *ioloop_thread(void *arg)
{
	struct ioloop *loop = arg;
	bool running = true;

	if (seccomp_install(SECCOMP_IOLOOP, "io"))
		return NULL;
	seccomp_selftest_point(SECCOMP_IOLOOP);

	while (running) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;
		int ret = io_uring_submit_and_wait(&loop->ring, 1);

		if (ret < 0 && ret != -EINTR) {
			pr_err("io loop: io_uring_enter: %s", strerror(-ret));
			break;
		}
		io_uring_for_each_cqe(&loop->ring, head, cqe)
		{
			seen++;
			if (!ioloop_complete(loop, cqe))
				running = false;
		}
		io_uring_cq_advance(&loop->ring, seen);
	}
	return NULL;
}

int ioloop_start(struct ioloop *loop)
{
	int ret = arm(loop, loop->wake_fd, WAKE_TAG);

	for (unsigned int i = 0; i < loop->count && !ret; i++)
		ret = arm(loop, loop->watches[i].fd, i);
	if (ret)
		return ret;
	ret = pthread_create(&loop->thread, NULL, ioloop_thread, loop);
	if (ret) {
		pr_err("io loop: cannot start its thread: %s", strerror(ret));
		return -ret;
	}
	loop->started = true;
	return 0;
}

void ioloop_stop(struct ioloop *loop)
{
	uint64_t one = 1;

	if (!loop->started)
		return;
	if (write(loop->wake_fd, &one, sizeof(one)) < 0)
		pr_err("io loop: cannot wake it: %s", strerror(errno));
	pthread_join(loop->thread, NULL);
	loop->started = false;
}

void ioloop_destroy(struct ioloop *loop)
{
	ioloop_stop(loop);
	if (loop->ring_ready)
		io_uring_queue_exit(&loop->ring);
	if (loop->wake_fd >= 0)
		close(loop->wake_fd);
	loop->ring_ready = false;
	loop->wake_fd = -1;
}
