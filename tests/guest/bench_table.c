// SPDX-License-Identifier: GPL-2.0
#include "bench_table.h"
#include "lib.h"
#include "serial.h"
#include "timing.h"

struct bench_result bench_summarize(uint64_t *samples, uint64_t n, uint64_t ops_each)
{
	struct bench_result r = { .ops = n * ops_each };
	uint64_t total = 0;

	for (uint64_t i = 0; i < n; i++)
		total += samples[i];
	sort_u64(samples, n);
	r.total_ns = tsc_to_ns(total);
	r.median_ns = tsc_to_ns(percentile(samples, n, 50));
	r.p99_ns = tsc_to_ns(percentile(samples, n, 99));
	return r;
}

uint64_t bench_per_second(const struct bench_result *r)
{
	return r->total_ns ? r->ops * 1000000000ULL / r->total_ns : 0;
}

static void pad(int len)
{
	while (len++ < BENCH_LABEL_WIDTH)
		serial_putc(' ');
}

void bench_header(const char *title)
{
	serial_printf("| %s", title);
	pad((int)strlen(title));
	serial_printf(" | %20s | %10s | %10s |\n|", "rate", "median ns", "p99 ns");
	for (int i = 0; i < BENCH_LABEL_WIDTH + 2; i++)
		serial_putc('-');
	serial_puts("|---------------------:|-----------:|-----------:|\n");
}

void bench_row(const char *label, const struct bench_result *r, const char *unit)
{
	serial_printf("| %s", label);
	pad((int)strlen(label));
	serial_printf(" | %9llu %-10s | %10llu | %10llu |", (unsigned long long)bench_per_second(r),
		      unit, (unsigned long long)r->median_ns, (unsigned long long)r->p99_ns);
	if (r->errors)
		serial_printf(" %u errors", r->errors);
	serial_putc('\n');
}
