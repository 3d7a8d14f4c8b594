// SPDX-License-Identifier: GPL-2.0
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fault_inject.h"
#include "ioloop.h"
#include "log.h"
#include "seccomp.h"

#define WAKE_TAG UINT64_MAX
#define IGNORE_TAG (UINT64_MAX - 1) /* completions nobody waits for (poll removal) */
#define RING_ENTRIES 256 /* the CQ is twice that; more in flight overflows, not lost */

/* The loop whose thread this is; set once by that thread. */
static __thread struct ioloop *current_loop;

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

struct io_uring_sqe *ioloop_sqe(struct ioloop *loop)
{
	struct io_uring_sqe *sqe;

	if (loop->dead)
		return NULL;
	sqe = io_uring_get_sqe(&loop->ring);

	if (!sqe && io_uring_submit(&loop->ring) >= 0)
		sqe = io_uring_get_sqe(&loop->ring);
	return sqe;
}

bool ioloop_on_thread(const struct ioloop *loop)
{
	return current_loop == loop;
}

void ioloop_submit(struct ioloop *loop, struct io_uring_sqe *sqe, struct ioloop_op *op)
{
	assert(ioloop_on_thread(loop));
	io_uring_sqe_set_data(sqe, op);
	op->prev = NULL;
	op->next = loop->ops;
	if (loop->ops)
		loop->ops->prev = op;
	loop->ops = op;
	loop->ops_in_flight++;
}

static void unlink_op(struct ioloop *loop, struct ioloop_op *op)
{
	if (op->prev)
		op->prev->next = op->next;
	else
		loop->ops = op->next;
	if (op->next)
		op->next->prev = op->prev;
	op->prev = op->next = NULL;
	loop->ops_in_flight--;
}

void ioloop_defer(struct ioloop *loop, struct ioloop_deferred *d)
{
	assert(ioloop_on_thread(loop));
	if (d->queued)
		return;
	d->queued = true;
	d->next = loop->deferred;
	loop->deferred = d;
}

static void run_deferred(struct ioloop *loop)
{
	while (loop->deferred) {
		struct ioloop_deferred *d = loop->deferred;

		loop->deferred = d->next;
		d->queued = false;
		d->fn(d);
	}
}

static void complete_op(struct ioloop *loop, struct io_uring_cqe *cqe)
{
	struct ioloop_op *op = io_uring_cqe_get_data(cqe);

	unlink_op(loop, op);
	op->done(op, cqe->res);
}

static int arm(struct ioloop *loop, int fd, uint64_t tag)
{
	struct io_uring_sqe *sqe = ioloop_sqe(loop);

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
	if (tag == IGNORE_TAG)
		return true;
	if (tag >= IOLOOP_MAX_WATCHES) {
		complete_op(loop, cqe);
		return true;
	}
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
			struct io_uring_sqe *sqe = ioloop_sqe(loop);

			if (sqe) {
				io_uring_prep_poll_remove(sqe, tag);
				/* prep leaves user_data as the slot's last user had it */
				io_uring_sqe_set_data64(sqe, IGNORE_TAG);
			}
		}
		return true;
	}
	/* The kernel may end a multishot poll (e.g. on overflow): arm it again. */
	if (!more)
		arm(loop, loop->watches[tag].fd, tag);
	return true;
}

/* Submits what is queued, waits for one completion at least. False on a fatal error. */
static bool ioloop_wait(struct ioloop *loop)
{
	int ret = fault_inject(FAULT_IOLOOP_ENTER);

	if (!ret)
		ret = io_uring_submit_and_wait(&loop->ring, 1);
	/* EBUSY/EAGAIN: completions overflowed; reaping them below makes room. */
	if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN) {
		pr_err("io loop: io_uring_enter failed: %s; the thread dies and the VM stops",
		       strerror(-ret));
		return false;
	}
	return true;
}

/*
 * The thread cannot go on (the reason is printed): no owner may wait for it any more, and
 * the VM must not run on without its devices' back-ends, its console and its signals.
 */
static void ioloop_die(struct ioloop *loop)
{
	loop->dead = true;
	while (loop->ops) {
		struct ioloop_op *op = loop->ops;

		unlink_op(loop, op);
		op->done(op, -ECANCELED);
		run_deferred(loop);
	}
	run_deferred(loop);
	if (loop->stop_ctl)
		loop->stop_ctl->request_stop(loop->stop_ctl, VM_STOP_ERROR);
}

/* After the stop: only ops still matter; their owners get every done() they wait for. */
static void ioloop_drain(struct ioloop *loop)
{
	while (loop->ops_in_flight) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		if (!ioloop_wait(loop)) {
			ioloop_die(loop);
			return;
		}

		io_uring_for_each_cqe(&loop->ring, head, cqe)
		{
			uint64_t tag = io_uring_cqe_get_data64(cqe);

			seen++;
			if (tag < IOLOOP_MAX_WATCHES || tag == WAKE_TAG || tag == IGNORE_TAG)
				continue;
			complete_op(loop, cqe);
		}
		io_uring_cq_advance(&loop->ring, seen);
		run_deferred(loop);
	}
	io_uring_submit(&loop->ring); /* e.g. a poll removal queued by the last callbacks */
}

static void *ioloop_thread(void *arg)
{
	struct ioloop *loop = arg;
	bool running = true;

	current_loop = loop;
	if (seccomp_install(SECCOMP_IOLOOP, "io")) { /* which says why, naming the thread */
		ioloop_die(loop);
		return NULL;
	}
	seccomp_selftest_point(SECCOMP_IOLOOP);

	while (running) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		if (!ioloop_wait(loop)) {
			ioloop_die(loop);
			return NULL;
		}
		io_uring_for_each_cqe(&loop->ring, head, cqe)
		{
			seen++;
			if (!ioloop_complete(loop, cqe))
				running = false;
		}
		io_uring_cq_advance(&loop->ring, seen);
		/* One interrupt per device for the whole batch. */
		run_deferred(loop);
	}
	ioloop_drain(loop);
	return NULL;
}

void ioloop_stop_vm_on_death(struct ioloop *loop, struct vm_control *ctl)
{
	loop->stop_ctl = ctl;
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
