// SPDX-License-Identifier: GPL-2.0
/*
 * The io loop's death: when its io_uring_enter fails for good (injected with NESTVM_FAULT's
 * ioloop_enter), the thread ends its ops in flight with -ECANCELED and stops the VM once,
 * with VM_STOP_ERROR; a stop afterwards still returns.
 */
#include <check.h>
#include <errno.h>
#include <semaphore.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "vmm/fault_inject.h"
#include "vmm/ioloop.h"

#define HANG_GUARD_S 20 /* only against a hang: the tests wait for events, not for time */

static struct ioloop loop;
static int kick_fd = -1, pipe_fds[2] = { -1, -1 };
static uint64_t pipe_buf;

static struct {
	struct vm_control ctl;
	unsigned int stops; /* atomic */
	enum vm_stop_reason reason;
	sem_t stopped;
} vm = { .stops = 0 };

static struct {
	struct ioloop_op op;
	int res;
	unsigned int calls;
	bool sqe_after_death; /* ioloop_sqe() gave one once the loop died */
} pending;

static void fake_request_stop(struct vm_control *ctl, enum vm_stop_reason reason)
{
	(void)ctl;
	vm.reason = reason;
	__atomic_fetch_add(&vm.stops, 1, __ATOMIC_RELEASE);
	sem_post(&vm.stopped);
}

static void pending_done(struct ioloop_op *op, int res)
{
	(void)op;
	pending.res = res;
	pending.calls++;
	/* On the loop thread, as owners ask: once it died, it hands out nothing. */
	pending.sqe_after_death = ioloop_sqe(&loop) != NULL;
}

/*
 * On the loop thread: submits a read of an empty pipe (an op that stays in flight) and then
 * makes every later io_uring_enter of the loop fail, so the death comes with that op pending.
 */
static bool kick_readable(void *opaque, int fd)
{
	struct io_uring_sqe *sqe = ioloop_sqe(&loop);
	uint64_t v;
	char err[256];

	(void)opaque;
	ck_assert_int_eq(read(fd, &v, sizeof(v)), sizeof(v));
	ck_assert_ptr_nonnull(sqe);
	io_uring_prep_read(sqe, pipe_fds[0], &pipe_buf, sizeof(pipe_buf), 0);
	pending.op.done = pending_done;
	ioloop_submit(&loop, sqe, &pending.op);
	ck_assert_int_eq(fault_inject_parse("ioloop_enter:EIO", err, sizeof(err)), 0);
	return true;
}

static void setup(void)
{
	memset(&pending, 0, sizeof(pending));
	vm.ctl.request_stop = fake_request_stop;
	vm.stops = 0;
	vm.reason = VM_STOP_POWEROFF;
	sem_init(&vm.stopped, 0, 0);
	ck_assert_int_eq(pipe(pipe_fds), 0);
	kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(kick_fd, 0);
	ck_assert_int_eq(ioloop_init(&loop), 0);
	ioloop_stop_vm_on_death(&loop, &vm.ctl);
	ck_assert_int_eq(ioloop_watch(&loop, kick_fd, kick_readable, NULL), 0);
}

static void teardown(void)
{
	char err[64];

	ioloop_destroy(&loop);
	fault_inject_parse(NULL, err, sizeof(err));
	close(kick_fd);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	sem_destroy(&vm.stopped);
}

static void wait_for_stop(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += HANG_GUARD_S;
	ck_assert_msg(sem_timedwait(&vm.stopped, &until) == 0, "the io loop died without a stop");
}

START_TEST(ioloop_death_cancels_ops_and_stops_the_vm)
{
	uint64_t one = 1;

	ck_assert_int_eq(ioloop_start(&loop), 0);
	ck_assert_int_eq(write(kick_fd, &one, sizeof(one)), sizeof(one));
	wait_for_stop();
	ck_assert_uint_eq(__atomic_load_n(&vm.stops, __ATOMIC_ACQUIRE), 1);
	ck_assert_int_eq(vm.reason, VM_STOP_ERROR);
	/* The thread has finished with the op by then: the stop comes after the cancels. */
	ck_assert_uint_eq(pending.calls, 1);
	ck_assert_int_eq(pending.res, -ECANCELED);
	ck_assert(!pending.sqe_after_death);
	ck_assert(!ioloop_on_thread(&loop));
	/* Stopping a dead loop returns (its thread is gone), and stops nothing twice. */
	ioloop_stop(&loop);
	ck_assert_uint_eq(__atomic_load_n(&vm.stops, __ATOMIC_ACQUIRE), 1);
	ck_assert_uint_eq(pending.calls, 1);
}
END_TEST

START_TEST(ioloop_death_at_its_first_wait_stops_the_vm)
{
	char err[128];

	/* Before the thread ever waited: nothing in flight, the VM stops all the same. */
	ck_assert_int_eq(fault_inject_parse("ioloop_enter:ENXIO", err, sizeof(err)), 0);
	ck_assert_int_eq(ioloop_start(&loop), 0);
	wait_for_stop();
	ck_assert_int_eq(vm.reason, VM_STOP_ERROR);
	ioloop_stop(&loop);
	ck_assert_uint_eq(__atomic_load_n(&vm.stops, __ATOMIC_ACQUIRE), 1);
	ck_assert_uint_eq(pending.calls, 0);
}
END_TEST

START_TEST(ioloop_stop_without_a_death_stops_no_vm)
{
	/* The control: a loop asked to stop ends its thread without a VM stop. */
	ck_assert_int_eq(ioloop_start(&loop), 0);
	ioloop_stop(&loop);
	ck_assert_uint_eq(__atomic_load_n(&vm.stops, __ATOMIC_ACQUIRE), 0);
}
END_TEST

Suite *ioloop_suite(void)
{
	Suite *s = suite_create("ioloop");
	TCase *tc = tcase_create("ioloop");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, ioloop_death_cancels_ops_and_stops_the_vm);
	tcase_add_test(tc, ioloop_death_at_its_first_wait_stops_the_vm);
	tcase_add_test(tc, ioloop_stop_without_a_death_stops_no_vm);
	suite_add_tcase(s, tc);
	return s;
}
