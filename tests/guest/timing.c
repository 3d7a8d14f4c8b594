// SPDX-License-Identifier: GPL-2.0
#include "arch.h"
#include "timing.h"

#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define RTC_SECONDS 0x00
#define RTC_WAIT_LIMIT 100000000ULL /* reads before we decide the RTC is stopped */

static uint64_t tsc_hz;

static uint8_t rtc_seconds(void)
{
	outb(RTC_INDEX, RTC_SECONDS);
	return inb(RTC_DATA);
}

/* Spins until the seconds register changes; the TSC at that moment, or 0 on a stuck RTC. */
static uint64_t next_second_edge(void)
{
	uint8_t s = rtc_seconds();

	for (uint64_t i = 0; i < RTC_WAIT_LIMIT; i++)
		if (rtc_seconds() != s)
			return rdtsc_ordered();
	return 0;
}

uint64_t tsc_calibrate(void)
{
	uint64_t a, b;

	/* The first edge aligns us to a second boundary; the next one is a whole second later. */
	a = next_second_edge();
	b = a ? next_second_edge() : 0;
	tsc_hz = b > a ? b - a : 0;
	return tsc_hz;
}

uint64_t tsc_to_ns(uint64_t ticks)
{
	if (!tsc_hz)
		return 0;
	/* In two parts: ticks * 1e9 overflows 64 bits after ~18 s at 1 GHz (no libgcc here). */
	return ticks / tsc_hz * 1000000000ULL + ticks % tsc_hz * 1000000000ULL / tsc_hz;
}

uint64_t percentile(const uint64_t *sorted, size_t n, unsigned int pct)
{
	size_t rank;

	if (!n)
		return 0;
	rank = (n * pct + 99) / 100; /* nearest rank, 1-based */
	return sorted[rank ? rank - 1 : 0];
}
