/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The invalidation queue's own thread (DESIGN §1: not the device back-end loop). It owns the
 * virtio-iommu's queue 2: it sleeps in a small io_uring of its own on the queue's notify
 * eventfd (a KVM ioeventfd on QueueNotify, datamatch 2), drains every available chain in
 * bounded batches (viommu_invalq.h: one model call, one host flush, one interrupt each), and
 * optionally polls the avail ring a few microseconds before sleeping again.
 *
 * Knobs (struct invalq_opts; nestvm reads them from $NESTVM_INVALQ, e.g.
 * "poll_us=20,files=1,single_issuer=1,defer_taskrun=0"; tests/system/progs/invalq_bench
 * measures each):
 * - poll_us: after a drain, look at the avail ring for up to this many microseconds before
 *   sleeping; work found there is served without a wake-up;
 * - files: the two eventfds are io_uring registered files (no fd lookup per wait);
 * - single_issuer: IORING_SETUP_SINGLE_ISSUER; defer_taskrun: with it, DEFER_TASKRUN (both
 *   probed: a kernel without them gets fewer flags, quietly).
 *
 * Threads: invalq_start/stop from the thread that sets the machine up and tears it down;
 * the thread installs its seccomp filter (kind "invalq") before it reads any ring.
 */
#ifndef NESTVM_INVALQ_H
#define NESTVM_INVALQ_H

#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "iommu/viommu_invalq.h"
#include "vmm/bus.h"

#define INVALQ_ENV "NESTVM_INVALQ"
#define INVALQ_POLL_US_MAX 10000
#define INVALQ_POLL_US_DEFAULT 20 /* when the host has a CPU to spare; see invalq.c */

struct invalq_opts {
	unsigned int poll_us; /* busy-poll window after a drain, 0..INVALQ_POLL_US_MAX */
	bool files; /* registered files for the eventfds */
	bool single_issuer; /* IORING_SETUP_SINGLE_ISSUER */
	bool defer_taskrun; /* and IORING_SETUP_DEFER_TASKRUN (only with single_issuer) */
};

/* What the thread did; read with invalq_stats(). */
struct invalq_stats {
	unsigned long wakeups; /* notify completions that were served */
	unsigned long drains; /* batches popped (non-empty) */
	unsigned long requests; /* chains served */
	unsigned long polled; /* batches found by the busy poll, without a wake-up */
	unsigned long max_batch;
};

struct invalq {
	struct viommu_virtio *dev;
	int notify_fd; /* not owned */
	int stop_fd;
	struct invalq_opts opts;
	struct io_uring ring;
	bool ring_ready;
	unsigned int ring_flags; /* the IORING_SETUP_* flags the ring got */
	bool files_registered;
	uint64_t notify_buf, stop_buf; /* eventfd counters read by the ring */
	struct viommu_invalq_batch *batch;
	struct invalq_stats stats; /* written by the thread, read atomically */
	int stopping; /* atomic: invalq_stop() asked */
	struct vm_control *stop_ctl; /* stopped (VM_STOP_ERROR) should the thread die */
	pthread_t thread;
	bool started;
	/* Start handshake: the thread reports its ring and filter setup. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool start_done;
	int start_ret;
};

/* The defaults, chosen from invalq_bench's measurements (README). */
/* The defaults: registered files, single issuer, and a poll window when @spare_cpu. */
void invalq_default_opts(struct invalq_opts *o, bool spare_cpu);
/*
 * Parses "key=value,..." (poll_us=N, files=, single_issuer=, defer_taskrun= 0|1) over @o. 0, or
 * -EINVAL with a message naming the bad part in @err.
 */
int invalq_parse_opts(struct invalq_opts *o, const char *s, char *err, size_t errlen);

/*
 * Starts the thread on @dev's queue 2, woken by @notify_fd (an eventfd: KVM's ioeventfd, or
 * one the device's own QueueNotify path writes, see viommu_virtio_set_invalq_fd). Returns
 * once the thread runs under its filter: 0, or a negative errno (printed). Should the thread
 * die later (its io_uring fails), it says why in one error line and stops @ctl's VM with
 * VM_STOP_ERROR (@ctl may be NULL: nothing to stop), for the guest's INVALIDATEs would
 * wait for it forever.
 */
int invalq_start(struct invalq *q, struct viommu_virtio *dev, int notify_fd,
		 const struct invalq_opts *o, struct vm_control *ctl);
/* Stops the thread (a batch in flight is finished first) and frees what start took. */
void invalq_stop(struct invalq *q);
void invalq_stats(struct invalq *q, struct invalq_stats *out);

#endif
