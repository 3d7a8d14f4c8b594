/* SPDX-License-Identifier: GPL-2.0 */
/* TSC samples into medians, p99s and rates, and the Markdown rows the benchmarks print. */
#ifndef GUEST_BENCH_TABLE_H
#define GUEST_BENCH_TABLE_H

#include <stdint.h>

#define BENCH_LABEL_WIDTH 50

struct bench_result {
	uint64_t ops; /* operations timed */
	uint64_t total_ns;
	uint64_t median_ns, p99_ns; /* of one sample */
	unsigned int errors;
};

/* @n samples (TSC ticks, sorted in place), each covering @ops_each operations. */
struct bench_result bench_summarize(uint64_t *samples, uint64_t n, uint64_t ops_each);
uint64_t bench_per_second(const struct bench_result *r);
void bench_header(const char *title);
/* "| label | rate unit | median | p99 |", and " N errors" when there were any. */
void bench_row(const char *label, const struct bench_result *r, const char *unit);

#endif
