/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one io_uring event loop thread for device back-ends: it waits on every watched fd at
 * once (multishot poll) and calls the watcher when one is readable. Watches are added before
 * the loop starts; the loop owns them afterwards, so they need no lock.
 */
#ifndef NESTVM_IOLOOP_H
#define NESTVM_IOLOOP_H

#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>

#define IOLOOP_MAX_WATCHES 32

/* Called on the loop thread when @fd is readable; return false to stop watching it. */
typedef bool (*ioloop_fn)(void *opaque, int fd);

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
	int wake_fd; /* eventfd: ioloop_stop() writes it */
	pthread_t thread;
	bool started;
};

int ioloop_init(struct ioloop *loop);
int ioloop_watch(struct ioloop *loop, int fd, ioloop_fn fn, void *opaque);
int ioloop_start(struct ioloop *loop);
/* Asks the loop to end and waits for its thread. */
void ioloop_stop(struct ioloop *loop);
void ioloop_destroy(struct ioloop *loop);

#endif
