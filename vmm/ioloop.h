/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one io_uring event loop thread for device back-ends: it waits on every watched fd at
 * once (multishot poll) and calls the watcher when one is readable. Watches are added before
 * the loop starts; the loop owns them afterwards, so they need no lock.
 *
 * Back-ends also submit their own operations (block I/O) on the same ring: they embed a
 * struct ioloop_op in their request, take an SQE from ioloop_sqe(), fill it with
 * io_uring_prep_*(), hand it over with ioloop_submit() and get op->done() called on the loop
 * thread with the CQE's result. Submitting is legal ONLY on the loop thread, i.e.
 * from inside a watch, an op's done() or a deferred call (liburing rings are not thread-safe);
 * ioloop_on_thread() tells a caller where it runs. The SQEs go to the kernel when the loop
 * next waits, so everything a watch or a batch of completions submits travels in one
 * io_uring_enter. ioloop_stop() waits for every op in flight and calls its done(), so an
 * owner may free its requests once the loop stopped. Ops must end on their own (file I/O
 * does): the loop never cancels them, except when it dies.
 *
 * The loop dies when its thread cannot run on: its seccomp filter does not install, or
 * io_uring_enter fails for good. It then says why in one error line, calls done() of every
 * op in flight with -ECANCELED (their owners must not wait for a loop that is gone; the kernel
 * may still finish them, into buffers that stay allocated until the owners are torn down),
 * hands out no more SQEs, and stops the VM (ioloop_stop_vm_on_death) with VM_STOP_ERROR.
 *
 * Completion tags: watches use their index (< IOLOOP_MAX_WATCHES), ops their address.
 */
#ifndef NESTVM_IOLOOP_H
#define NESTVM_IOLOOP_H

#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>

#include "bus.h"

#define IOLOOP_MAX_WATCHES 32

/* Called on the loop thread when @fd is readable; return false to stop watching it. */
typedef bool (*ioloop_fn)(void *opaque, int fd);

struct ioloop_op {
	/* On the loop thread: @res is the CQE's result (bytes, or a negative errno). */
	void (*done)(struct ioloop_op *op, int res);
	struct ioloop_op *prev, *next; /* the loop's list of ops in flight; the loop's own */
};

/* A call run once on the loop thread after the current batch of completions (interrupts). */
struct ioloop_deferred {
	void (*fn)(struct ioloop_deferred *d);
	struct ioloop_deferred *next;
	bool queued;
};

struct ioloop {
	struct io_uring ring;
	bool ring_ready;
	struct {
		int fd;
		ioloop_fn fn;
		void *opaque;
		bool active;
	} watches[IOLOOP_MAX_WATCHES];
	unsigned int count;
	unsigned long ops_in_flight; /* loop thread only */
	struct ioloop_op *ops; /* those in flight; loop thread only */
	struct ioloop_deferred *deferred; /* loop thread only */
	int wake_fd; /* eventfd: ioloop_stop() writes it */
	pthread_t thread;
	bool started;
	bool dead; /* the thread died (see above); loop thread, then whoever joined it */
	struct vm_control *stop_ctl; /* stopped when the loop dies; set before the start */
};

int ioloop_init(struct ioloop *loop);
int ioloop_watch(struct ioloop *loop, int fd, ioloop_fn fn, void *opaque);
/* The VM to stop (VM_STOP_ERROR) should the loop's thread die; after init, before start. */
void ioloop_stop_vm_on_death(struct ioloop *loop, struct vm_control *ctl);
int ioloop_start(struct ioloop *loop);
/* Asks the loop to end, waits for the ops in flight (their done() runs), then for its thread. */
void ioloop_stop(struct ioloop *loop);
void ioloop_destroy(struct ioloop *loop);

/* Whether the caller runs on @loop's thread (and may submit). */
bool ioloop_on_thread(const struct ioloop *loop);
/*
 * A free SQE; loop thread only. When the submission queue is full it is flushed first. NULL
 * when the kernel refuses that flush, and once the loop died.
 */
struct io_uring_sqe *ioloop_sqe(struct ioloop *loop);
/* Tags the filled @sqe with @op: op->done() will run exactly once. Loop thread only. */
void ioloop_submit(struct ioloop *loop, struct io_uring_sqe *sqe, struct ioloop_op *op);
/* Runs @d->fn after this batch of completions, once however often it is asked; loop thread. */
void ioloop_defer(struct ioloop *loop, struct ioloop_deferred *d);

#endif
