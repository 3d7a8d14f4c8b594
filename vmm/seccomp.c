// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <malloc.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "console.h"
#include "log.h"
#include "seccomp.h"
#include "util.h"

/* Every entry says why the thread needs the call; a new one is a visible, reviewed change. */
static const struct seccomp_rule vcpu_rules[] = {
	{ "ioctl", "KVM_RUN; KVM_IRQ_LINE; register reads for error reports; MSI-X: "
		   "KVM_SET_GSI_ROUTING and VFIO_DEVICE_SET_IRQS; a passthrough BAR's memory "
		   "slot leaves and returns with memory decoding (KVM_SET_USER_MEMORY_REGION); "
		   "TCSETS from the SIGSYS report; virtio-iommu requests: IOMMU_IOAS_MAP/UNMAP, "
		   "HWPT allocation" },
	{ "write", "UART output to the console; log lines; virtio-net transmits to its tap" },
	{ "read", "virtio-net reads its tap when the driver posts receive buffers" },
	{ "poll", "UART output waits (100 ms at most) for room on a blocking console" },
	{ "pread64", "VFIO config space and trapped BARs" },
	{ "pwrite64", "VFIO config space and trapped BARs" },
	{ "preadv", "virtio-blk reads its image when a kick misses the ioeventfd (synchronous)" },
	{ "pwritev", "virtio-blk writes its image, same path" },
	{ "fdatasync", "virtio-blk FLUSH, same path" },
	{ "getrandom", "virtio-rng fills the guest's buffers" },
	{ "brk", "malloc: the virtio-iommu's mapping tree grows on MAP" },
	{ "mmap", "malloc: the virtio-iommu's mapping tree grows on MAP" },
	{ "munmap", "free: the mapping tree shrinks on UNMAP" },
	{ "futex", "device locks and the stop lock" },
	{ "rt_sigreturn", "return from the SIGUSR1 kick and SIGSYS handlers" },
	{ "clock_gettime", "the RTC reads wall time (vDSO fallback)" },
	{ "gettid", "abort() on a failed assertion" },
	{ "getpid", "abort() on a failed assertion" },
	{ "tgkill", "abort() on a failed assertion" },
	{ "madvise", "glibc frees the thread's stack on exit" },
	{ "rt_sigprocmask", "glibc blocks signals while the thread exits" },
	{ "exit", "the thread ends" },
	{ "exit_group", "fatal errors and the SIGSYS report" },
};

static const struct seccomp_rule ioloop_rules[] = {
	{ "io_uring_enter",
	  "waiting for events; submitting virtio-blk I/O (no pread/pwrite here)" },
	{ "read", "stdin and eventfds when they are ready" },
	{ "write", "UART echo, tap transmit and log lines; waking threads through eventfds" },
	{ "poll", "UART output waits (100 ms at most) for room on a blocking console" },
	{ "ioctl", "KVM_IRQ_LINE when input reaches the UART or a virtio device completes; "
		   "TCSETS from the SIGSYS report" },
	{ "getrandom", "virtio-rng fills the guest's buffers" },
	{ "brk", "malloc: the virtio-iommu's mapping tree grows on MAP" },
	{ "mmap", "malloc: the virtio-iommu's mapping tree grows on MAP" },
	{ "munmap", "free: the mapping tree shrinks on UNMAP" },
	{ "futex", "device locks and the stop lock" },
	{ "rt_sigreturn", "return from the SIGSYS handler" },
	{ "clock_gettime", "timestamps (vDSO fallback)" },
	{ "gettid", "abort() on a failed assertion" },
	{ "getpid", "abort() on a failed assertion" },
	{ "tgkill", "abort() on a failed assertion; kicking vCPUs on stop" },
	{ "madvise", "glibc frees the thread's stack on exit" },
	{ "rt_sigprocmask", "glibc blocks signals while the thread exits" },
	{ "exit", "the thread ends" },
	{ "exit_group", "fatal errors and the SIGSYS report" },
};

/*
 * The invalidation queue's thread (iommu/invalq.c): its ring and registered files are set up
 * before the filter, so io_uring_setup and io_uring_register are not here.
 */
static const struct seccomp_rule invalq_rules[] = {
	{ "io_uring_enter", "sleeping on the queue's notify eventfd and the stop eventfd" },
	{ "read", "emptying the notify eventfd after a busy-poll window" },
	{ "write", "the used-buffer interrupt through the KVM irqfd; log lines" },
	{ "ioctl", "IOMMU_HWPT_INVALIDATE on a nesting host; IOAS_MAP/UNMAP of a shadowing one; "
		   "TCSETS from the SIGSYS report" },
	{ "futex", "the transport's lock, the model's rwlock" },
	{ "clock_gettime", "the busy-poll window (vDSO fallback)" },
	{ "brk", "malloc: a table backend may allocate while it invalidates" },
	{ "mmap", "malloc: a table backend may allocate while it invalidates" },
	{ "munmap", "free: a table backend's memory goes back" },
	{ "rt_sigreturn", "return from the SIGSYS handler" },
	{ "gettid", "abort() on a failed assertion" },
	{ "getpid", "abort() on a failed assertion" },
	{ "tgkill", "abort() on a failed assertion" },
	{ "madvise", "glibc frees the thread's stack on exit" },
	{ "rt_sigprocmask", "glibc blocks signals while the thread exits" },
	{ "exit", "the thread ends" },
	{ "exit_group", "fatal errors and the SIGSYS report" },
};

static const struct seccomp_rule main_rules[] = {
	{ "read", "the stop signals' signalfd, while waiting for the stop" },
	{ "poll", "waiting for the stop eventfd and the stop signals' signalfd" },
	{ "ppoll", "waiting for the stop eventfd and the signalfd (poll's modern form)" },
	{ "write", "log lines and the exit report" },
	{ "futex", "joining threads; locks" },
	{ "tgkill", "kicking vCPU threads out of KVM_RUN on stop" },
	{ "getpid", "pthread_kill and abort()" },
	{ "gettid", "abort() on a failed assertion" },
	{ "ioctl", "restoring the terminal (TCSETS), also from the SIGSYS report" },
	{ "close", "releasing fds on shutdown" },
	{ "munmap", "unmapping guest RAM, kvm_run pages and thread stacks on shutdown" },
	{ "madvise", "free() returning memory" },
	{ "brk", "free() trimming the heap" },
	{ "mmap", "malloc() while shutting down" },
	{ "rt_sigprocmask", "signal masks around shutdown" },
	{ "rt_sigreturn", "return from the SIGSYS handler" },
	{ "clock_gettime", "timestamps (vDSO fallback)" },
	{ "exit", "pthread bookkeeping" },
	{ "exit_group", "the process ends" },
};

static const struct {
	const char *name;
	const struct seccomp_rule *rules;
	unsigned int n;
} kinds[SECCOMP_THREAD_KINDS] = {
	[SECCOMP_MAIN] = { "main", main_rules, ARRAY_SIZE(main_rules) },
	[SECCOMP_VCPU] = { "vcpu", vcpu_rules, ARRAY_SIZE(vcpu_rules) },
	[SECCOMP_IOLOOP] = { "io", ioloop_rules, ARRAY_SIZE(ioloop_rules) },
	[SECCOMP_INVALQ] = { "invalq", invalq_rules, ARRAY_SIZE(invalq_rules) },
};

/* Written once in seccomp_setup() before any thread starts; read-only afterwards. */
static bool seccomp_enabled;
static int seccomp_selftest = -1;
#define MAX_SYSCALL_NR 512
static char *syscall_names[MAX_SYSCALL_NR];

static __thread const char *thread_name = "main";

static void append(char *buf, size_t size, size_t *len, const char *s)
{
	while (*s && *len < size - 1)
		buf[(*len)++] = *s++;
}

/*
 * Async-signal-safe: no stdio, no allocation. The terminal goes back to cooked mode after the
 * report is out: every thread kind's allowlist has ioctl for that TCSETS (without it the
 * process would die of a second SIGSYS, the report already written).
 */
static void sigsys_handler(int sig, siginfo_t *info, void *ctx)
{
	char line[256], num[12];
	int nr = info->si_syscall, i = sizeof(num) - 1;
	size_t len = 0;
	unsigned int v = nr < 0 ? 0 : nr;

	(void)sig;
	(void)ctx;
	num[i] = '\0';
	do {
		num[--i] = '0' + v % 10;
		v /= 10;
	} while (v && i > 0);

	append(line, sizeof(line), &len, "nestvm: seccomp: thread '");
	append(line, sizeof(line), &len, thread_name);
	append(line, sizeof(line), &len, "' made a forbidden system call: ");
	append(line, sizeof(line), &len,
	       nr >= 0 && nr < MAX_SYSCALL_NR && syscall_names[nr] ? syscall_names[nr] : "?");
	append(line, sizeof(line), &len, " (");
	append(line, sizeof(line), &len, num + i);
	append(line, sizeof(line), &len, "); killing nestvm\n");
	if (write(STDERR_FILENO, line, len) < 0) {
		/* nothing more we can do */
	}
	console_restore();
	_exit(SECCOMP_KILL_STATUS);
}

int seccomp_setup(bool enabled, int selftest)
{
	struct sigaction sa = { .sa_sigaction = sigsys_handler, .sa_flags = SA_SIGINFO };

	seccomp_enabled = enabled;
	seccomp_selftest = selftest;
	if (!enabled) {
		pr_warn("--no-seccomp: running WITHOUT syscall filters; a compromised device "
			"model could do anything nestvm's user can. Use this for debugging only.");
		return 0;
	}
	/*
	 * One malloc arena: glibc makes each thread an arena of its own, whose heap it grows
	 * with mprotect, and no thread's list has mprotect (it would let code change page
	 * permissions). The main arena grows with brk and mmap, which the lists have.
	 */
	mallopt(M_ARENA_MAX, 1);
	for (int nr = 0; nr < MAX_SYSCALL_NR; nr++)
		syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	return 0;
}

int seccomp_install(enum seccomp_thread kind, const char *name)
{
	scmp_filter_ctx ctx;
	int ret = 0;

	thread_name = name;
	if (!seccomp_enabled)
		return 0;
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return -ENOMEM;
	for (unsigned int i = 0; i < kinds[kind].n && !ret; i++) {
		int nr = seccomp_syscall_resolve_name(kinds[kind].rules[i].name);

		/* A name this architecture lacks (e.g. poll on some) is skipped, not fatal. */
		if (nr != __NR_SCMP_ERROR)
			ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	if (ret)
		pr_err("seccomp: cannot install the %s thread's filter: %s (run with --no-seccomp "
		       "to debug)",
		       name, strerror(-ret));
	return ret;
}

void seccomp_selftest_point(enum seccomp_thread kind)
{
	if (seccomp_selftest == (int)kind) {
		pr_info("seccomp self-test: thread '%s' now calls socket(), which it may not",
			thread_name);
		if (socket(AF_UNIX, SOCK_STREAM, 0) >= 0)
			pr_err(
			    "seccomp self-test: socket() was allowed: the filter is not working");
	}
}

int seccomp_thread_by_name(const char *name)
{
	for (int i = 0; i < SECCOMP_THREAD_KINDS; i++) {
		if (!strcmp(name, kinds[i].name))
			return i;
	}
	return -1;
}

const struct seccomp_rule *seccomp_rules(enum seccomp_thread kind, unsigned int *n)
{
	*n = kinds[kind].n;
	return kinds[kind].rules;
}

const char *seccomp_thread_kind_name(enum seccomp_thread kind)
{
	return kinds[kind].name;
}

void seccomp_print_rules(void)
{
	for (int k = 0; k < SECCOMP_THREAD_KINDS; k++) {
		printf("%s: %u system calls\n", kinds[k].name, kinds[k].n);
		for (unsigned int i = 0; i < kinds[k].n; i++)
			printf("  %-16s %s\n", kinds[k].rules[i].name, kinds[k].rules[i].why);
	}
}
