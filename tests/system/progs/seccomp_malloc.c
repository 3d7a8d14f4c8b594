// SPDX-License-Identifier: GPL-2.0
/*
 * Every thread kind's seccomp allowlist lets it allocate as much as it likes: a thread under
 * each filter churns 256 MiB through malloc in blocks of up to 64 KiB (glibc gives a thread
 * arena room with mprotect, which no filter allows: seccomp_setup() keeps one arena). A kill
 * ends the process with status 159 and the SIGSYS report naming the call.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/seccomp.h"
#include "expect.h"

#define LIVE 512
#define ROUNDS 8192

static void *churn(void *arg)
{
	enum seccomp_thread kind = (enum seccomp_thread)(uintptr_t)arg;
	static __thread void *live[LIVE];
	uint32_t seed = 12345 + kind;
	int ret = seccomp_install(kind, seccomp_thread_kind_name(kind));

	if (ret)
		return (void *)(intptr_t)ret;
	for (unsigned int i = 0; i < ROUNDS; i++) {
		unsigned int slot;
		size_t size;

		seed = seed * 1103515245 + 12345;
		slot = (seed >> 8) % LIVE;
		size = 16 + (seed >> 4) % (64 << 10);
		free(live[slot]);
		live[slot] = malloc(size);
		if (!live[slot])
			return (void *)(intptr_t)-1;
		memset(live[slot], 0x5a, size);
	}
	for (unsigned int i = 0; i < LIVE; i++)
		free(live[i]);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	REQUIRE(!seccomp_setup(true, -1), "seccomp_setup");
	for (int kind = 0; kind < SECCOMP_THREAD_KINDS; kind++) {
		pthread_t t;
		void *res = (void *)1;

		REQUIRE(!pthread_create(&t, NULL, churn, (void *)(uintptr_t)kind), "a thread");
		pthread_join(t, &res);
		EXPECT(!res, "%s: 256 MiB through malloc and free under its filter",
		       seccomp_thread_kind_name(kind));
	}
	return expect_exit();
}
