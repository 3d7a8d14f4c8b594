// SPDX-License-Identifier: GPL-2.0
/* The invalq thread: one small io_uring, two eventfds, the batches of viommu_invalq.c. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "invalq.h"
#include "vmm/fault_inject.h"
#include "vmm/log.h"
#include "vmm/seccomp.h"

#define RING_ENTRIES 8
#define TAG_NOTIFY 0 /* also the registered-file index */
#define TAG_STOP 1
#define TAG_POLL 2 /* a poll linked before a read that found nothing ready */

/*
 * From invalq_bench (README): registered files and SINGLE_ISSUER never cost anything beyond
 * the noise; DEFER_TASKRUN gained nothing; polling halves a round trip only while the thread
 * has a CPU to itself, and sharing one it adds the whole window to each request. From
 * tools/bench/nested (a guest's INVALIDATEs on the mock's nested HWPT, README): with a CPU to
 * spare, a 20 us window cut the median round trip 4x, to below a null MMIO exit, and tripled
 * the batched rate. So: poll when the host has more CPUs than the guest has vCPUs.
 */
void invalq_default_opts(struct invalq_opts *o, bool spare_cpu)
{
	o->poll_us = spare_cpu ? INVALQ_POLL_US_DEFAULT : 0;
	o->files = true;
	o->single_issuer = true;
	o->defer_taskrun = false;
}

/* One "key=value" of @s, @len bytes long. */
static int parse_one(struct invalq_opts *o, const char *s, size_t len, char *err, size_t errlen)
{
	const char *eq = memchr(s, '=', len);
	unsigned long val;
	char num[16], *end;
	size_t klen;

	if (!eq || (size_t)(s + len - eq - 1) >= sizeof(num) || eq + 1 == s + len)
		goto bad;
	klen = eq - s;
	memcpy(num, eq + 1, s + len - eq - 1);
	num[s + len - eq - 1] = '\0';
	errno = 0;
	val = strtoul(num, &end, 10);
	if (*end || errno || num[0] == '-')
		goto bad;
	if (klen == 7 && !memcmp(s, "poll_us", 7) && val <= INVALQ_POLL_US_MAX)
		o->poll_us = val;
	else if (klen == 5 && !memcmp(s, "files", 5) && val <= 1)
		o->files = val;
	else if (klen == 13 && !memcmp(s, "single_issuer", 13) && val <= 1)
		o->single_issuer = val;
	else if (klen == 13 && !memcmp(s, "defer_taskrun", 13) && val <= 1)
		o->defer_taskrun = val;
	else
		goto bad;
	return 0;
bad:
	snprintf(err, errlen,
		 "%s: '%.*s' is not one of poll_us=0..%d, files=0|1, single_issuer=0|1, "
		 "defer_taskrun=0|1 (comma-separated)",
		 INVALQ_ENV, (int)len, s, INVALQ_POLL_US_MAX);
	return -EINVAL;
}

int invalq_parse_opts(struct invalq_opts *o, const char *s, char *err, size_t errlen)
{
	while (*s) {
		size_t len = strcspn(s, ",");
		int ret = parse_one(o, s, len, err, errlen);

		if (ret)
			return ret;
		s += len;
		if (*s)
			s++;
	}
	return 0;
}

/* The ring, with the strongest setup flags this kernel takes; then the registered files. */
static int ring_setup(struct invalq *q)
{
	static const unsigned int tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_SINGLE_ISSUER,
		0,
	};
	int ret = -EINVAL;

	for (unsigned int i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		struct io_uring_params p = { .flags = tries[i] };

		if ((tries[i] && !q->opts.single_issuer) ||
		    ((tries[i] & IORING_SETUP_DEFER_TASKRUN) && !q->opts.defer_taskrun))
			continue;
		/* An older kernel says EINVAL to flags it does not know: try fewer. */
		ret = io_uring_queue_init_params(RING_ENTRIES, &q->ring, &p);
		if (!ret) {
			q->ring_flags = tries[i];
			break;
		}
		if (ret != -EINVAL)
			break;
	}
	if (ret) {
		pr_err("invalq: cannot set up its io_uring: %s (a kernel without CONFIG_IO_URING, "
		       "or io_uring disabled by sysctl kernel.io_uring_disabled?)",
		       strerror(-ret));
		return ret;
	}
	q->ring_ready = true;
	if (q->opts.files) {
		int fds[2] = { [TAG_NOTIFY] = q->notify_fd, [TAG_STOP] = q->stop_fd };

		q->files_registered = !io_uring_register_files(&q->ring, fds, 2);
		if (!q->files_registered)
			pr_debug("invalq: no registered files on this kernel; plain fds");
	}
	return 0;
}

static void prep_fd(struct invalq *q, struct io_uring_sqe *sqe, unsigned int which)
{
	if (q->files_registered) {
		sqe->fd = which;
		sqe->flags |= IOSQE_FIXED_FILE;
	}
}

/* Reads eventfd @which through the ring; @poll_first when a read found it not ready. */
static int arm(struct invalq *q, unsigned int which, bool poll_first)
{
	int fd = which == TAG_STOP ? q->stop_fd : q->notify_fd;
	uint64_t *buf = which == TAG_STOP ? &q->stop_buf : &q->notify_buf;
	struct io_uring_sqe *sqe;

	if (poll_first) {
		sqe = io_uring_get_sqe(&q->ring);
		if (!sqe)
			return -EBUSY;
		io_uring_prep_poll_add(sqe, fd, POLLIN);
		prep_fd(q, sqe, which);
		sqe->flags |= IOSQE_IO_LINK;
		io_uring_sqe_set_data64(sqe, TAG_POLL);
	}
	sqe = io_uring_get_sqe(&q->ring);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, fd, buf, sizeof(*buf), 0);
	prep_fd(q, sqe, which);
	io_uring_sqe_set_data64(sqe, which);
	return 0;
}

static bool stopping(struct invalq *q)
{
	return __atomic_load_n(&q->stopping, __ATOMIC_ACQUIRE);
}

static void count(unsigned long *stat, unsigned long n)
{
	__atomic_fetch_add(stat, n, __ATOMIC_RELAXED);
}

/* Every available chain, a bounded batch at a time (the lock is free between batches). */
static unsigned int drain_all(struct invalq *q)
{
	unsigned int n, total = 0;

	do {
		n = viommu_invalq_drain(q->dev, q->batch, VIOMMU_INVALQ_BATCH_MAX);
		if (!n)
			break;
		total += n;
		count(&q->stats.drains, 1);
		count(&q->stats.requests, n);
		if (n > __atomic_load_n(&q->stats.max_batch, __ATOMIC_RELAXED))
			__atomic_store_n(&q->stats.max_batch, n, __ATOMIC_RELAXED);
	} while (n == VIOMMU_INVALQ_BATCH_MAX && !stopping(q));
	return total;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Between looks at the ring. Not sched_yield(): a driver that shares our CPU spins on the used
 * ring (Linux's virtio-iommu does) and would keep it for a whole time slice, milliseconds
 * (invalq_bench on one CPU); a pause bounds the harm to the window.
 */
static void poll_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/*
 * The busy-poll window: back-to-back invalidations are served without a sleep and a
 * wake-up each. Kicks that came meanwhile found their work done: empty the eventfd, then
 * drain once more for what came before it was emptied.
 */
static void poll_window(struct invalq *q)
{
	uint64_t window = q->opts.poll_us * 1000ULL, end = now_ns() + window;
	bool found = false;
	uint64_t kicks;

	while (!stopping(q)) {
		if (viommu_invalq_pending(q->dev)) {
			if (drain_all(q))
				count(&q->stats.polled, 1);
			found = true;
			end = now_ns() + window;
			continue;
		}
		if (now_ns() >= end)
			break;
		poll_relax();
	}
	if (found && read(q->notify_fd, &kicks, sizeof(kicks)) == sizeof(kicks))
		drain_all(q);
}

/* Says, in one error line, why the thread cannot go on; the caller stops the VM. */
static int die(const char *what, int err)
{
	pr_err("invalq: %s: %s; the thread dies and the VM stops", what, strerror(-err));
	return err;
}

/* Until invalq_stop() asks (0), or until the thread cannot go on (a negative errno, said). */
static int invalq_loop(struct invalq *q)
{
	int ret = arm(q, TAG_NOTIFY, false);

	if (!ret)
		ret = arm(q, TAG_STOP, false);
	if (ret)
		return die("cannot queue its first reads", ret);
	for (;;) {
		bool kicked = false, stop = false;
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		ret = fault_inject(FAULT_INVALQ_ENTER);
		if (!ret)
			ret = io_uring_submit_and_wait(&q->ring, 1);
		if (ret < 0 && ret != -EINTR)
			return die("io_uring_enter failed", ret);
		ret = 0;
		io_uring_for_each_cqe(&q->ring, head, cqe)
		{
			uint64_t tag = io_uring_cqe_get_data64(cqe);

			seen++;
			if (tag == TAG_STOP) {
				stop = true;
			} else if (tag == TAG_NOTIFY && cqe->res == -EAGAIN) {
				/* A read of a non-blocking eventfd on an older kernel: poll first.
				 */
				if (!ret)
					ret = arm(q, TAG_NOTIFY, true);
			} else if (tag == TAG_NOTIFY && cqe->res < 0 && !ret) {
				ret = cqe->res;
			} else if (tag == TAG_NOTIFY) {
				kicked = true;
			}
		}
		io_uring_cq_advance(&q->ring, seen);
		if (stop || stopping(q))
			return 0;
		if (ret)
			return die("waiting on the notify eventfd", ret);
		if (!kicked)
			continue;
		count(&q->stats.wakeups, 1);
		drain_all(q);
		if (q->opts.poll_us)
			poll_window(q);
		ret = arm(q, TAG_NOTIFY, false);
		if (ret)
			return die("cannot queue the next read", ret);
	}
}

static void report_start(struct invalq *q, int ret)
{
	pthread_mutex_lock(&q->lock);
	q->start_ret = ret;
	q->start_done = true;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

static void *invalq_thread(void *arg)
{
	struct invalq *q = arg;
	/* The ring is made here: a SINGLE_ISSUER ring belongs to the task that creates it. */
	int ret = ring_setup(q);

	if (!ret)
		ret = seccomp_install(SECCOMP_INVALQ, "invalq");
	report_start(q, ret);
	if (ret)
		return NULL;
	seccomp_selftest_point(SECCOMP_INVALQ);
	if (invalq_loop(q) && q->stop_ctl)
		q->stop_ctl->request_stop(q->stop_ctl, VM_STOP_ERROR);
	return NULL;
}

static void release(struct invalq *q)
{
	if (q->ring_ready)
		io_uring_queue_exit(&q->ring);
	q->ring_ready = false;
	if (q->stop_fd >= 0)
		close(q->stop_fd);
	q->stop_fd = -1;
	free(q->batch);
	q->batch = NULL;
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
}

int invalq_start(struct invalq *q, struct viommu_virtio *dev, int notify_fd,
		 const struct invalq_opts *o, struct vm_control *ctl)
{
	int ret;

	memset(q, 0, sizeof(*q));
	q->dev = dev;
	q->stop_ctl = ctl;
	q->notify_fd = notify_fd;
	q->opts = *o;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->stop_fd = eventfd(0, EFD_CLOEXEC);
	q->batch = malloc(sizeof(*q->batch));
	if (q->stop_fd < 0 || !q->batch) {
		ret = q->stop_fd < 0 ? -errno : -ENOMEM;
		pr_err("invalq: cannot set up: %s", strerror(-ret));
		release(q);
		return ret;
	}
	ret = -pthread_create(&q->thread, NULL, invalq_thread, q);
	if (ret) {
		pr_err("invalq: cannot start its thread: %s", strerror(-ret));
		release(q);
		return ret;
	}
	pthread_mutex_lock(&q->lock);
	while (!q->start_done)
		pthread_cond_wait(&q->cond, &q->lock);
	ret = q->start_ret;
	pthread_mutex_unlock(&q->lock);
	if (ret) {
		pthread_join(q->thread, NULL);
		release(q);
		return ret;
	}
	q->started = true;
	pr_debug("invalq: thread up (ring flags %#x, registered files %s, poll %u us)",
		 q->ring_flags, q->files_registered ? "yes" : "no", q->opts.poll_us);
	return 0;
}

void invalq_stop(struct invalq *q)
{
	uint64_t one = 1;

	if (!q->started)
		return;
	__atomic_store_n(&q->stopping, 1, __ATOMIC_RELEASE);
	if (write(q->stop_fd, &one, sizeof(one)) < 0)
		pr_err("invalq: cannot wake it to stop: %s", strerror(errno));
	pthread_join(q->thread, NULL);
	q->started = false;
	release(q);
}

void invalq_stats(struct invalq *q, struct invalq_stats *out)
{
	out->wakeups = __atomic_load_n(&q->stats.wakeups, __ATOMIC_RELAXED);
	out->drains = __atomic_load_n(&q->stats.drains, __ATOMIC_RELAXED);
	out->requests = __atomic_load_n(&q->stats.requests, __ATOMIC_RELAXED);
	out->polled = __atomic_load_n(&q->stats.polled, __ATOMIC_RELAXED);
	out->max_batch = __atomic_load_n(&q->stats.max_batch, __ATOMIC_RELAXED);
}
