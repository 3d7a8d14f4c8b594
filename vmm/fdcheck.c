// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdcheck.h"
#include "log.h"

#define FDCHECK_MAX_INHERITED 64

static bool enabled;
static int inherited[FDCHECK_MAX_INHERITED];
static unsigned int ninherited;

static pthread_t thread;
static bool armed, go;
static int leaks;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

static bool was_inherited(int fd)
{
	for (unsigned int i = 0; i < ninherited; i++) {
		if (inherited[i] == fd)
			return true;
	}
	return false;
}

/*
 * Calls @fn for every open fd but 0, 1, 2 and the directory's own; -errno when
 * /proc/self/fd cannot be read.
 */
static int for_each_fd(void (*fn)(int dir, int fd, const char *name))
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd <= 2 || fd == dirfd(d))
			continue;
		fn(dirfd(d), fd, de->d_name);
	}
	closedir(d);
	return 0;
}

static void note_inherited(int dir, int fd, const char *name)
{
	(void)dir;
	(void)name;
	if (ninherited < FDCHECK_MAX_INHERITED)
		inherited[ninherited++] = fd;
}

static void report_leak(int dir, int fd, const char *name)
{
	char target[256];
	ssize_t len;

	if (was_inherited(fd))
		return;
	len = readlinkat(dir, name, target, sizeof(target) - 1);
	if (len >= 0)
		target[len] = '\0';
	else
		snprintf(target, sizeof(target), "? (readlink: %s)", strerror(errno));
	pr_err("NESTVM_CHECK_FDS: fd %d left open after teardown: %s", fd, target);
	leaks++;
}

static void check(void)
{
	int ret = for_each_fd(report_leak);

	if (ret) {
		pr_err("NESTVM_CHECK_FDS: cannot list /proc/self/fd: %s", strerror(-ret));
		leaks++;
	} else if (!leaks) {
		/* Said aloud, so a test can tell the check ran from the check not running. */
		pr_info("NESTVM_CHECK_FDS: no fd left open after teardown");
	}
}

static void *fdcheck_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	while (!go)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	check();
	return NULL;
}

void fdcheck_init(void)
{
	const char *env = getenv("NESTVM_CHECK_FDS");

	enabled = env && *env && strcmp(env, "0");
	if (enabled)
		for_each_fd(note_inherited);
}

int fdcheck_arm(void)
{
	int ret;

	if (!enabled)
		return 0;
	ret = pthread_create(&thread, NULL, fdcheck_thread, NULL);
	if (ret) {
		pr_err("NESTVM_CHECK_FDS: cannot start the fd check's thread: %s", strerror(ret));
		return -ret;
	}
	armed = true;
	return 0;
}

int fdcheck_finish(void)
{
	if (!enabled)
		return 0;
	if (!armed) {
		check();
		return leaks;
	}
	pthread_mutex_lock(&lock);
	go = true;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
	armed = false;
	return leaks;
}
