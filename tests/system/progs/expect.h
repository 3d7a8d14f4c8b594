/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Assertions for the system test programs: each prints "ok - ..." or "not ok - ...", and a
 * program exits non-zero if any failed. Output is line-buffered so the test host's serial log
 * shows where a hang stopped.
 */
#ifndef NESTVM_TEST_EXPECT_H
#define NESTVM_TEST_EXPECT_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int expect_failures;

#define EXPECT(cond, ...)                                                   \
	({                                                                  \
		bool ok_ = (cond);                                          \
		printf("%s - ", ok_ ? "ok" : "not ok");                     \
		printf(__VA_ARGS__);                                        \
		if (!ok_)                                                   \
			printf("  [%s:%d: %s]", __FILE__, __LINE__, #cond); \
		putchar('\n');                                              \
		fflush(stdout);                                             \
		expect_failures += !ok_;                                    \
		ok_;                                                        \
	})

/* Like EXPECT, but the program cannot go on without it. */
#define REQUIRE(cond, ...)                      \
	do {                                    \
		if (!EXPECT(cond, __VA_ARGS__)) \
			exit(1);                \
	} while (0)

/* Open file descriptors of this process, to prove nothing leaks. */
static inline int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

static inline int expect_exit(void)
{
	printf("%s: %d failed\n", expect_failures ? "FAILED" : "PASSED", expect_failures);
	return expect_failures ? 1 : 0;
}

#endif
