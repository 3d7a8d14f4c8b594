// SPDX-License-Identifier: GPL-2.0
/* MC146818 RTC: register layout and formats from the MC146818A datasheet. */
#include <stdbool.h>
#include <string.h>

#include "devices/rtc.h"
#include "vmm/layout.h"

#define PORT_INDEX 0
#define PORT_DATA 1
#define INDEX_MASK 0x7f /* bit 7 is the PC's NMI mask, not part of the index */

#define REG_SECONDS 0x00
#define REG_MINUTES 0x02
#define REG_HOURS 0x04
#define REG_DAY_OF_WEEK 0x06
#define REG_DAY_OF_MONTH 0x07
#define REG_MONTH 0x08
#define REG_YEAR 0x09
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define REG_CENTURY 0x32 /* where the PC (and ACPI's FADT here) keeps the century */

#define A_UIP 0x80 /* update in progress: never, as the time is computed at each read */
#define A_RESET 0x26 /* 32.768 kHz time base, 1024 Hz periodic rate */
#define B_24H 0x02
#define B_BINARY 0x04 /* DM: binary instead of BCD */
#define B_RESET B_24H
#define D_VRT 0x80 /* valid RAM and time: the battery is fine */
#define HOUR_PM 0x80 /* in 12-hour mode */

static uint8_t encode(const struct rtc *rtc, unsigned int val)
{
	val %= 100; /* every field fits two BCD digits */
	if (rtc->cmos[REG_B] & B_BINARY)
		return val;
	return (val / 10) << 4 | (val % 10);
}

static uint8_t encode_hours(const struct rtc *rtc, unsigned int hours)
{
	bool pm = hours >= 12;

	if (rtc->cmos[REG_B] & B_24H)
		return encode(rtc, hours);
	hours %= 12;
	return encode(rtc, hours ? hours : 12) | (pm ? HOUR_PM : 0);
}

static bool is_clock(unsigned int reg)
{
	switch (reg) {
	case REG_SECONDS:
	case REG_MINUTES:
	case REG_HOURS:
	case REG_DAY_OF_WEEK:
	case REG_DAY_OF_MONTH:
	case REG_MONTH:
	case REG_YEAR:
	case REG_CENTURY:
		return true;
	}
	return false;
}

static uint8_t read_clock(const struct rtc *rtc, unsigned int reg)
{
	time_t t = rtc->now();
	unsigned int year;
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm)); /* a clock beyond struct tm: show 1900 */
	year = (unsigned int)tm.tm_year + 1900; /* unsigned: no overflow for absurd clocks */
	switch (reg) {
	case REG_SECONDS:
		return encode(rtc, tm.tm_sec);
	case REG_MINUTES:
		return encode(rtc, tm.tm_min);
	case REG_HOURS:
		return encode_hours(rtc, tm.tm_hour);
	case REG_DAY_OF_WEEK:
		return encode(rtc, tm.tm_wday + 1); /* Sunday is 1 */
	case REG_DAY_OF_MONTH:
		return encode(rtc, tm.tm_mday);
	case REG_MONTH:
		return encode(rtc, tm.tm_mon + 1);
	case REG_YEAR:
		return encode(rtc, year);
	default:
		return encode(rtc, year / 100);
	}
}

static uint8_t read_data(struct rtc *rtc)
{
	unsigned int reg = rtc->index;

	if (is_clock(reg))
		return read_clock(rtc, reg);
	switch (reg) {
	case REG_A:
		return rtc->cmos[REG_A] & ~A_UIP;
	case REG_C:
		return 0; /* no interrupt flags: interrupts are not implemented */
	case REG_D:
		return D_VRT;
	default:
		return rtc->cmos[reg];
	}
}

static void write_data(struct rtc *rtc, uint8_t val)
{
	unsigned int reg = rtc->index;

	if (is_clock(reg))
		return; /* the host's clock is the only clock */
	switch (reg) {
	case REG_A:
		rtc->cmos[REG_A] = val & ~A_UIP;
		break;
	case REG_C:
	case REG_D:
		break; /* read-only */
	default:
		rtc->cmos[reg] = val;
		break;
	}
}

static void rtc_read(void *opaque, uint64_t offset, void *data, unsigned int len)
{
	struct rtc *rtc = opaque;
	uint8_t *bytes = data;
	unsigned int i;

	pthread_mutex_lock(&rtc->lock);
	for (i = 0; i < len; i++) {
		/* The index port is write-only. */
		if (offset <= PORT_DATA && i == PORT_DATA - offset)
			bytes[i] = read_data(rtc);
		else
			bytes[i] = 0xff;
	}
	pthread_mutex_unlock(&rtc->lock);
}

static void rtc_write(void *opaque, uint64_t offset, const void *data, unsigned int len)
{
	struct rtc *rtc = opaque;
	const uint8_t *bytes = data;
	unsigned int i;

	pthread_mutex_lock(&rtc->lock);
	for (i = 0; i < len && offset <= PORT_DATA && i <= PORT_DATA - offset; i++) {
		if (offset + i == PORT_INDEX)
			rtc->index = bytes[i] & INDEX_MASK;
		else
			write_data(rtc, bytes[i]);
	}
	pthread_mutex_unlock(&rtc->lock);
}

static const struct bus_ops rtc_ops = {
	.read = rtc_read,
	.write = rtc_write,
};

static time_t wall_clock(void)
{
	return time(NULL);
}

const struct bus_ops *rtc_init(struct rtc *rtc, time_t (*now)(void))
{
	memset(rtc, 0, sizeof(*rtc));
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->now = now ? now : wall_clock;
	/* gmtime_r() loads the time zone data on first use (it opens /etc/localtime): do it
	 * now, before the vCPU threads run under seccomp filters that forbid open. */
	tzset();
	rtc->cmos[REG_A] = A_RESET;
	rtc->cmos[REG_B] = B_RESET;
	return &rtc_ops;
}

int rtc_attach(struct bus *pio, struct rtc *rtc)
{
	return bus_register(pio, RTC_PORT, 2, &rtc_ops, rtc, "rtc");
}

void rtc_destroy(struct rtc *rtc)
{
	pthread_mutex_destroy(&rtc->lock);
}
