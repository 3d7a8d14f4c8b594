/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MC146818 CMOS RTC at ports 0x70 (index; bit 7 masks NMIs on PCs, ignored here) and 0x71
 * (data). The clock registers show the host's wall clock (UTC) at the moment they are read,
 * in the format register B asks for; writes to them are ignored, so the guest cannot set the
 * clock. The other bytes of the 128-byte CMOS are RAM. Alarm, periodic and update-ended
 * interrupts are not implemented: register C always reads 0.
 */
#ifndef NESTVM_RTC_H
#define NESTVM_RTC_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "vmm/bus.h"

#define RTC_CMOS_SIZE 128

struct rtc {
	pthread_mutex_t lock; /* the index and the data a vCPU reaches through it */
	time_t (*now)(void);
	uint8_t index;
	uint8_t cmos[RTC_CMOS_SIZE];
};

/*
 * Sets up @rtc with register A and B at their usual firmware settings (32.768 kHz time base,
 * 24-hour BCD) and returns the callbacks for its 2-port region. @now gives the time (NULL:
 * the host's wall clock), a parameter so tests can stop the clock.
 */
const struct bus_ops *rtc_init(struct rtc *rtc, time_t (*now)(void));

/* Registers ports RTC_PORT and RTC_PORT + 1 on @pio. Returns 0 or a negative errno. */
int rtc_attach(struct bus *pio, struct rtc *rtc);

void rtc_destroy(struct rtc *rtc);

#endif
