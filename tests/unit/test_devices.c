// SPDX-License-Identifier: GPL-2.0
/*
 * The port I/O devices through their bus callbacks, with fake interrupt and machine-control
 * sinks that record what the devices asked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices/acpi_pm.h"
#include "devices/i8042.h"
#include "devices/pvpanic.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "vmm/layout.h"
#include "unit.h"

struct fake_irq {
	struct irq_sink sink; /* first: the device hands us back this pointer */
	unsigned int gsi, changes;
	bool level;
};

static void fake_set_level(struct irq_sink *sink, unsigned int gsi, bool level)
{
	struct fake_irq *irq = (struct fake_irq *)sink;

	irq->gsi = gsi;
	irq->level = level;
	irq->changes++;
}

struct fake_ctl {
	struct vm_control ctl; /* first, as above */
	unsigned int stops;
	enum vm_stop_reason reason;
};

static void fake_request_stop(struct vm_control *ctl, enum vm_stop_reason reason)
{
	struct fake_ctl *fake = (struct fake_ctl *)ctl;

	fake->stops++;
	fake->reason = reason;
}

static struct fake_irq irq = { .sink.set_level = fake_set_level };
static struct fake_ctl ctl = { .ctl.request_stop = fake_request_stop };

static uint8_t read8(const struct bus_ops *ops, void *dev, uint64_t offset)
{
	uint8_t val;

	ops->read(dev, offset, &val, 1);
	return val;
}

static void write8(const struct bus_ops *ops, void *dev, uint64_t offset, uint8_t val)
{
	ops->write(dev, offset, &val, 1);
}

/* Accesses no device may choke on: past the registers, wide, at the very end of the space. */
static void poke_everywhere(const struct bus_ops *ops, void *dev, uint64_t size)
{
	static const uint64_t offsets[] = {
		0, 1, 2, 5, 6, 7, 8, 9, 100, UINT64_MAX - 7, UINT64_MAX - 1, UINT64_MAX
	};
	static const unsigned int lens[] = { 1, 2, 4, 8 };
	uint8_t buf[8];
	unsigned int i, j, k;

	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			memset(buf, 0xa5, sizeof(buf));
			ops->read(dev, offsets[i], buf, lens[j]);
			/* Bytes beyond the region read as a floating bus. */
			for (k = 0; k < lens[j]; k++)
				if (offsets[i] >= size || k >= size - offsets[i])
					ck_assert_uint_eq(buf[k], 0xff);
			if (offsets[i] < size)
				continue; /* writes inside the region are each device's own tests */
			memset(buf, 0xfe, sizeof(buf));
			ops->write(dev, offsets[i], buf, lens[j]);
		}
	}
}

/* ---- 16550A UART ---- */

#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

static struct serial uart;
static const struct bus_ops *uart_ops;
static int out[2]; /* the UART writes to out[1]; the test reads out[0] */

static uint8_t uart_in(unsigned int reg)
{
	return read8(uart_ops, &uart, reg);
}

static void uart_out(unsigned int reg, uint8_t val)
{
	write8(uart_ops, &uart, reg, val);
}

static void uart_setup(void)
{
	ck_assert_int_eq(pipe2(out, 0), 0);
	ck_assert_int_ne(fcntl(out[0], F_SETFL, O_NONBLOCK), -1);
	memset(&irq, 0, sizeof(irq));
	irq.sink.set_level = fake_set_level;
	uart_ops = serial_init(&uart, out[1], &irq.sink, COM1_IRQ);
	ck_assert_ptr_nonnull(uart_ops);
}

static void uart_teardown(void)
{
	serial_destroy(&uart);
	close(out[0]);
	close(out[1]);
}

static size_t drain(char *buf, size_t size)
{
	ssize_t n = read(out[0], buf, size);

	return n < 0 ? 0 : n;
}

START_TEST(uart_scratch_round_trip)
{
	unsigned int v;

	for (v = 0; v < 256; v += 0x33) {
		uart_out(SCR, v);
		ck_assert_uint_eq(uart_in(SCR), v);
	}
}
END_TEST

START_TEST(uart_divisor_latch)
{
	uart_out(LCR, 0x80 | 0x03); /* DLAB, 8N1 */
	ck_assert_uint_ne(uart_in(DLL) | uart_in(DLM) << 8, 0); /* Linux divides by it */
	uart_out(DLL, 0x01);
	uart_out(DLM, 0x02);
	ck_assert_uint_eq(uart_in(DLL), 0x01);
	ck_assert_uint_eq(uart_in(DLM), 0x02);
	ck_assert_uint_eq(uart_in(LCR), 0x83);

	uart_out(LCR, 0x03);
	ck_assert_uint_eq(uart_in(IER), 0); /* the latch hid IER, it did not change it */
	uart_out(IER, 0x05);
	uart_out(THR, 'x');
	uart_out(LCR, 0x83);
	ck_assert_uint_eq(uart_in(DLL), 0x01);
	ck_assert_uint_eq(uart_in(DLM), 0x02);
	uart_out(LCR, 0x03);
	ck_assert_uint_eq(uart_in(IER), 0x05);
}
END_TEST

START_TEST(uart_transmits_to_the_fd)
{
	const char *msg = "hello, world\n";
	char buf[64];
	size_t i;

	for (i = 0; msg[i]; i++) {
		ck_assert_uint_eq(uart_in(LSR) & 0x60, 0x60); /* THRE and TEMT: ready */
		uart_out(THR, msg[i]);
	}
	ck_assert_uint_eq(drain(buf, sizeof(buf)), strlen(msg));
	ck_assert_mem_eq(buf, msg, strlen(msg));
	ck_assert_uint_eq(uart_in(LSR), 0x60);
}
END_TEST

START_TEST(uart_full_output_never_blocks)
{
	char junk[4096], buf[8];
	struct timespec t0, t1;
	unsigned int i;

	memset(junk, 'j', sizeof(junk));
	ck_assert_int_ne(fcntl(out[1], F_SETFL, O_NONBLOCK), -1);
	while (write(out[1], junk, sizeof(junk)) > 0)
		;
	while (write(out[1], junk, 1) > 0)
		;
	ck_assert_int_ne(fcntl(out[1], F_SETFL, 0), -1); /* blocking again, as stdout may be */

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 100; i++)
		uart_out(THR, 'x'); /* one wait, then dropped at once */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 2);

	/* Once the reader catches up, output flows again. */
	while (drain(junk, sizeof(junk)) > 0)
		;
	uart_out(THR, 'y');
	ck_assert_uint_eq(drain(buf, sizeof(buf)), 1);
	ck_assert_int_eq(buf[0], 'y');
}
END_TEST

START_TEST(uart_broken_output_is_dropped)
{
	uart_teardown();
	uart_setup();
	close(out[0]);
	out[0] = open("/dev/null", O_RDONLY);
	signal(SIGPIPE, SIG_IGN);
	uart_out(THR, 'x'); /* EPIPE: warned about once, then dropped */
	uart_out(THR, 'y');
	ck_assert_uint_eq(uart_in(LSR) & 0x60, 0x60);
}
END_TEST

START_TEST(uart_loopback)
{
	char buf[8];
	const uint8_t key = 'k';

	/* Linux's probe: LOOP | OUT2 | RTS must show as DCD | CTS. */
	uart_out(MCR, 0x10 | 0x08 | 0x02);
	ck_assert_uint_eq(uart_in(MSR) & 0xf0, 0x90);
	uart_out(MCR, 0x10 | 0x01 | 0x04);
	ck_assert_uint_eq(uart_in(MSR) & 0xf0, 0x60); /* DTR -> DSR, OUT1 -> RI */

	uart_out(THR, 'a');
	uart_out(THR, 'b');
	ck_assert_uint_eq(drain(buf, sizeof(buf)), 0); /* nothing leaves the chip */
	ck_assert_uint_eq(serial_receive(&uart, &key, 1), 0); /* the input is disconnected */
	ck_assert_uint_eq(uart_in(LSR) & 0x01, 0x01);
	ck_assert_uint_eq(uart_in(RBR), 'a');
	ck_assert_uint_eq(uart_in(RBR), 'b');
	ck_assert_uint_eq(uart_in(LSR) & 0x01, 0);

	uart_out(MCR, 0x0b);
	ck_assert_uint_eq(uart_in(MSR) & 0xf0, 0xb0); /* a connected peer again */
	ck_assert_uint_eq(serial_receive(&uart, &key, 1), 1);
}
END_TEST

START_TEST(uart_modem_status_deltas)
{
	uart_out(IER, 0x08);
	ck_assert(!irq.level);
	uart_out(MCR, 0x10 | 0x04); /* loopback, RI on: DCD, DSR, CTS drop */
	ck_assert(irq.level);
	ck_assert_uint_eq(uart_in(IIR), 0x00);
	ck_assert_uint_eq(uart_in(MSR), 0x40 | 0x08 | 0x02 | 0x01);
	ck_assert(!irq.level);
	uart_out(MCR, 0x10); /* RI falls: trailing edge */
	ck_assert_uint_eq(uart_in(MSR), 0x04);
	ck_assert_uint_eq(uart_in(IIR), 0x01);
}
END_TEST

START_TEST(uart_receives_in_order_with_irq)
{
	const uint8_t msg[] = "abc";

	ck_assert_uint_eq(uart_in(LSR) & 0x01, 0);
	ck_assert_uint_eq(serial_receive(&uart, msg, 1), 1);
	ck_assert_uint_eq(irq.changes, 0); /* masked: the line never moved */
	ck_assert_uint_eq(uart_in(RBR), 'a');

	uart_out(IER, 0x01);
	ck_assert(!irq.level);
	ck_assert_uint_eq(serial_receive(&uart, msg, 3), 3);
	ck_assert(irq.level);
	ck_assert_uint_eq(irq.gsi, COM1_IRQ);
	ck_assert_uint_eq(uart_in(IIR), 0x04);
	ck_assert_uint_eq(uart_in(LSR) & 0x01, 0x01);
	ck_assert_uint_eq(uart_in(RBR), 'a');
	ck_assert_uint_eq(uart_in(RBR), 'b');
	ck_assert(irq.level);
	ck_assert_uint_eq(uart_in(RBR), 'c');
	ck_assert(!irq.level);
	ck_assert_uint_eq(uart_in(LSR) & 0x01, 0);
	ck_assert_uint_eq(uart_in(IIR), 0x01);
	ck_assert_uint_eq(irq.changes, 2);
}
END_TEST

START_TEST(uart_fifo_trigger_level)
{
	uint8_t bytes[14];

	memset(bytes, 'z', sizeof(bytes));
	uart_out(FCR, 0xc1); /* FIFOs on, trigger at 14 */
	uart_out(IER, 0x01);
	ck_assert_uint_eq(serial_receive(&uart, bytes, 3), 3);
	ck_assert(irq.level);
	ck_assert_uint_eq(uart_in(IIR), 0xc0 | 0x0c); /* below the trigger: character timeout */
	ck_assert_uint_eq(serial_receive(&uart, bytes, 11), 11);
	ck_assert_uint_eq(uart_in(IIR), 0xc0 | 0x04);

	uart_out(FCR, 0xc1 | 0x02); /* clear the receive FIFO */
	ck_assert_uint_eq(uart_in(LSR) & 0x01, 0);
	ck_assert(!irq.level);

	ck_assert_uint_eq(serial_receive(&uart, bytes, 2), 2);
	uart_out(FCR, 0x00); /* turning the FIFOs off clears them too */
	ck_assert_uint_eq(uart_in(LSR) & 0x01, 0);
	ck_assert_uint_eq(uart_in(IIR), 0x01);
}
END_TEST

START_TEST(uart_thri_on_enable_cleared_by_iir)
{
	uart_out(IER, 0x02);
	ck_assert(irq.level);
	ck_assert_uint_eq(uart_in(IIR), 0x02);
	ck_assert(!irq.level);
	ck_assert_uint_eq(uart_in(IIR), 0x01);

	/* Linux's THRE test: disabling and re-enabling ETBEI raises it again. */
	uart_out(IER, 0x00);
	uart_out(IER, 0x02);
	ck_assert(irq.level);
	ck_assert_uint_eq(uart_in(IIR), 0x02);

	/* Rewriting the same IER does not. */
	uart_out(IER, 0x02);
	ck_assert_uint_eq(uart_in(IIR), 0x01);

	/* Each byte sent empties THR again. */
	uart_out(THR, 'x');
	ck_assert(irq.level);
	ck_assert_uint_eq(uart_in(IIR), 0x02);
	ck_assert(!irq.level);
}
END_TEST

START_TEST(uart_interrupt_priority)
{
	const uint8_t byte = 'q';
	unsigned int i;

	uart_out(FCR, 0x01);
	uart_out(MCR, 0x10 | 0x02); /* loopback; CTS and others change: modem status pending */
	for (i = 0; i < SERIAL_RX_FIFO_SIZE + 1; i++)
		uart_out(THR, byte); /* the last one overruns */
	uart_out(IER, 0x0f);

	ck_assert_uint_eq(uart_in(IIR), 0xc6); /* line status first */
	ck_assert_uint_eq(uart_in(LSR) & 0x03, 0x03); /* OE, cleared by this read */
	ck_assert_uint_eq(uart_in(LSR) & 0x03, 0x01);
	ck_assert_uint_eq(uart_in(IIR), 0xc4); /* received data next */
	for (i = 0; i < SERIAL_RX_FIFO_SIZE; i++)
		ck_assert_uint_eq(uart_in(RBR), byte);
	ck_assert_uint_eq(uart_in(IIR), 0xc2); /* then THR empty, cleared by this read */
	ck_assert_uint_eq(uart_in(IIR), 0xc0); /* modem status last */
	uart_in(MSR);
	ck_assert_uint_eq(uart_in(IIR), 0xc1);
	ck_assert(!irq.level);
}
END_TEST

START_TEST(uart_probe_sequence)
{
	/* What Linux's autoconfig() and autoconfig_16550a() check, in their order. */
	uart_out(IER, 0);
	ck_assert_uint_eq(uart_in(IER), 0);
	uart_out(IER, 0x0f);
	ck_assert_uint_eq(uart_in(IER), 0x0f);
	uart_out(IER, 0xff);
	ck_assert_uint_eq(uart_in(IER), 0x0f); /* no UUE bit: not an XScale */
	uart_out(IER, 0);

	uart_out(LCR, 0xbf);
	uart_out(FCR, 0); /* EFR on chips that have one */
	uart_out(LCR, 0);
	uart_out(FCR, 0x01);
	ck_assert_uint_eq(uart_in(IIR) & 0xc0, 0xc0); /* a 16550A */
	uart_out(LCR, 0xbf);
	ck_assert_uint_ne(uart_in(IIR), 0); /* no EFR */
	uart_out(LCR, 0);
	uart_out(FCR, 0x01 | 0x20);
	ck_assert_uint_eq(uart_in(IIR) & 0xe0, 0xc0); /* no 64-byte FIFO: not a 16750 */
	uart_out(FCR, 0);
	ck_assert_uint_eq(uart_in(IIR), 0x01);
	ck_assert_uint_ne(uart_in(LSR), 0xff);
}
END_TEST

START_TEST(uart_fifo_overflow)
{
	uint8_t in[SERIAL_RX_FIFO_SIZE * 2];
	unsigned int i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = i;
	ck_assert_uint_eq(serial_receive(&uart, in, sizeof(in)), SERIAL_RX_FIFO_SIZE);
	ck_assert_uint_eq(serial_receive(&uart, in, sizeof(in)), 0);
	ck_assert_uint_eq(serial_receive(&uart, in, 0), 0);
	for (i = 0; i < SERIAL_RX_FIFO_SIZE; i++)
		ck_assert_uint_eq(uart_in(RBR), i);
	ck_assert_uint_eq(uart_in(LSR) & 0x01, 0);
	ck_assert_uint_eq(uart_in(RBR), 0); /* empty: reads are harmless */

	/* The ring wraps. */
	ck_assert_uint_eq(serial_receive(&uart, in + 7, 10), 10);
	for (i = 0; i < 10; i++)
		ck_assert_uint_eq(uart_in(RBR), 7 + i);
}
END_TEST

#define STREAM_LEN 20000

static void *feed_stream(void *arg)
{
	uint8_t chunk[7];
	size_t sent = 0, n, i;

	(void)arg;
	while (sent < STREAM_LEN) {
		n = STREAM_LEN - sent < sizeof(chunk) ? STREAM_LEN - sent : sizeof(chunk);
		for (i = 0; i < n; i++)
			chunk[i] = (sent + i) % 251;
		n = serial_receive(&uart, chunk, n);
		if (!n)
			sched_yield(); /* the FIFO is full: wait for the guest */
		sent += n;
	}
	return NULL;
}

START_TEST(uart_input_thread)
{
	pthread_t feeder;
	size_t got = 0;

	uart_out(FCR, 0x81);
	uart_out(IER, 0x01);
	ck_assert_int_eq(pthread_create(&feeder, NULL, feed_stream, NULL), 0);
	while (got < STREAM_LEN) {
		if (!(uart_in(LSR) & 0x01))
			continue;
		ck_assert_uint_eq(uart_in(RBR), got % 251);
		got++;
	}
	ck_assert_int_eq(pthread_join(feeder, NULL), 0);
	ck_assert_uint_eq(uart_in(LSR) & 0x01, 0);
	ck_assert(!irq.level);
}
END_TEST

START_TEST(uart_hostile_accesses)
{
	uint8_t buf[8] = { 0 };
	uint16_t wide = 0x4200;

	poke_everywhere(uart_ops, &uart, SERIAL_NR_REGS);

	/* A wide access is one byte access per port: MSR (ignored) then SCR. */
	uart_ops->write(&uart, MSR, &wide, 2);
	ck_assert_uint_eq(uart_in(SCR), 0x42);
	uart_ops->read(&uart, 4, buf, 8);
	ck_assert_uint_eq(buf[1], 0x60); /* LSR */
	ck_assert_uint_eq(buf[2] & 0xf0, 0xb0); /* MSR */
	ck_assert_uint_eq(buf[3], 0x42); /* SCR */
	ck_assert_uint_eq(buf[4], 0xff);
	ck_assert_uint_eq(buf[7], 0xff);
	memset(buf, 0xff, sizeof(buf));
	uart_ops->write(&uart, 0, buf, 8); /* every register gets 0xff */
	ck_assert_uint_eq(uart_in(SCR), 0xff);
	ck_assert_uint_eq(uart_in(MCR), 0x1f);
	uart_out(LCR, 0x03);
	ck_assert_uint_eq(uart_in(IER), 0x0f);
}
END_TEST

/* ---- MC146818 RTC ---- */

#define RTC_INDEX 0
#define RTC_DATA 1

static struct rtc rtc;
static const struct bus_ops *rtc_ops;
static time_t fixed_time;

static time_t fixed_clock(void)
{
	return fixed_time;
}

static void set_time(int year, int mon, int mday, int hour, int min, int sec)
{
	struct tm tm = {
		.tm_year = year - 1900,
		.tm_mon = mon - 1,
		.tm_mday = mday,
		.tm_hour = hour,
		.tm_min = min,
		.tm_sec = sec,
	};

	fixed_time = timegm(&tm);
}

static uint8_t cmos_read(uint8_t index)
{
	write8(rtc_ops, &rtc, RTC_INDEX, index);
	return read8(rtc_ops, &rtc, RTC_DATA);
}

static void cmos_write(uint8_t index, uint8_t val)
{
	write8(rtc_ops, &rtc, RTC_INDEX, index);
	write8(rtc_ops, &rtc, RTC_DATA, val);
}

static void rtc_setup(void)
{
	rtc_ops = rtc_init(&rtc, fixed_clock);
	set_time(2024, 2, 29, 13, 5, 9); /* a Thursday */
}

static void rtc_teardown(void)
{
	rtc_destroy(&rtc);
}

START_TEST(rtc_bcd_time)
{
	ck_assert_uint_eq(cmos_read(0x0b) & 0x06, 0x02); /* 24-hour BCD by default */
	ck_assert_uint_eq(cmos_read(0x00), 0x09);
	ck_assert_uint_eq(cmos_read(0x02), 0x05);
	ck_assert_uint_eq(cmos_read(0x04), 0x13);
	ck_assert_uint_eq(cmos_read(0x06), 0x05);
	ck_assert_uint_eq(cmos_read(0x07), 0x29);
	ck_assert_uint_eq(cmos_read(0x08), 0x02);
	ck_assert_uint_eq(cmos_read(0x09), 0x24);
	ck_assert_uint_eq(cmos_read(0x32), 0x20);
}
END_TEST

START_TEST(rtc_binary_time)
{
	cmos_write(0x0b, 0x06);
	ck_assert_uint_eq(cmos_read(0x00), 9);
	ck_assert_uint_eq(cmos_read(0x02), 5);
	ck_assert_uint_eq(cmos_read(0x04), 13);
	ck_assert_uint_eq(cmos_read(0x07), 29);
	ck_assert_uint_eq(cmos_read(0x08), 2);
	ck_assert_uint_eq(cmos_read(0x09), 24);
	ck_assert_uint_eq(cmos_read(0x32), 20);
	set_time(1999, 12, 31, 23, 59, 58);
	ck_assert_uint_eq(cmos_read(0x09), 99);
	ck_assert_uint_eq(cmos_read(0x32), 19);
}
END_TEST

START_TEST(rtc_twelve_hour)
{
	cmos_write(0x0b, 0x00); /* 12-hour BCD */
	ck_assert_uint_eq(cmos_read(0x04), 0x80 | 0x01); /* 1 PM */
	set_time(2024, 1, 1, 0, 30, 0);
	ck_assert_uint_eq(cmos_read(0x04), 0x12); /* 12 AM */
	set_time(2024, 1, 1, 12, 0, 0);
	ck_assert_uint_eq(cmos_read(0x04), 0x80 | 0x12); /* 12 PM */
	set_time(2024, 1, 1, 23, 0, 0);
	cmos_write(0x0b, 0x04); /* 12-hour binary */
	ck_assert_uint_eq(cmos_read(0x04), 0x80 | 11);
}
END_TEST

START_TEST(rtc_status_registers)
{
	ck_assert_uint_eq(cmos_read(0x0a) & 0x80, 0); /* UIP clear */
	cmos_write(0x0a, 0xa6);
	ck_assert_uint_eq(cmos_read(0x0a), 0x26);
	ck_assert_uint_eq(cmos_read(0x0c), 0);
	ck_assert_uint_eq(cmos_read(0x0d), 0x80); /* VRT */
	cmos_write(0x0c, 0xff);
	cmos_write(0x0d, 0x00);
	ck_assert_uint_eq(cmos_read(0x0c), 0);
	ck_assert_uint_eq(cmos_read(0x0d), 0x80);
	cmos_write(0x0b, 0x82); /* SET: the guest wants to set the clock, which it cannot */
	cmos_write(0x00, 0x42);
	cmos_write(0x32, 0x19);
	ck_assert_uint_eq(cmos_read(0x0b), 0x82);
	ck_assert_uint_eq(cmos_read(0x00), 0x09);
	ck_assert_uint_eq(cmos_read(0x32), 0x20);
}
END_TEST

START_TEST(rtc_index_ignores_nmi_bit)
{
	ck_assert_uint_eq(cmos_read(0x80 | 0x00), 0x09);
	ck_assert_uint_eq(cmos_read(0x80 | 0x0d), 0x80);
	cmos_write(0x80 | 0x40, 0x77);
	ck_assert_uint_eq(cmos_read(0x40), 0x77);
	ck_assert_uint_eq(read8(rtc_ops, &rtc, RTC_INDEX), 0xff); /* write-only */
}
END_TEST

START_TEST(rtc_ram_round_trip)
{
	unsigned int i;

	for (i = 0x0e; i < RTC_CMOS_SIZE; i++)
		if (i != 0x32)
			cmos_write(i, i ^ 0x5a);
	for (i = 0x0e; i < RTC_CMOS_SIZE; i++)
		if (i != 0x32)
			ck_assert_uint_eq(cmos_read(i), i ^ 0x5a);
	/* The alarm bytes are RAM too: nothing rings. */
	cmos_write(0x01, 0x33);
	cmos_write(0x05, 0x44);
	ck_assert_uint_eq(cmos_read(0x01), 0x33);
	ck_assert_uint_eq(cmos_read(0x05), 0x44);
}
END_TEST

START_TEST(rtc_wide_and_hostile)
{
	uint16_t pair = 0x20 << 8 | 0x50; /* index 0x50 and its data in one access */
	uint8_t buf[2];

	rtc_ops->write(&rtc, RTC_INDEX, &pair, 2);
	ck_assert_uint_eq(cmos_read(0x50), 0x20);
	write8(rtc_ops, &rtc, RTC_INDEX, 0x00);
	rtc_ops->read(&rtc, RTC_INDEX, buf, 2);
	ck_assert_uint_eq(buf[0], 0xff);
	ck_assert_uint_eq(buf[1], 0x09);
	poke_everywhere(rtc_ops, &rtc, 2);
	ck_assert_uint_eq(cmos_read(0x50), 0x20);
}
END_TEST

START_TEST(rtc_host_clock)
{
	uint8_t sec, min, hour, year;
	struct tm before, after;
	time_t t;
	int tries;

	rtc_destroy(&rtc);
	rtc_ops = rtc_init(&rtc, NULL);
	cmos_write(0x0b, 0x06);
	for (tries = 0; tries < 5; tries++) {
		t = time(NULL);
		gmtime_r(&t, &before);
		sec = cmos_read(0x00);
		min = cmos_read(0x02);
		hour = cmos_read(0x04);
		year = cmos_read(0x09);
		t = time(NULL);
		gmtime_r(&t, &after);
		if (before.tm_sec != after.tm_sec)
			continue; /* the second turned while we read */
		ck_assert_int_eq(sec, after.tm_sec);
		ck_assert_int_eq(min, after.tm_min);
		ck_assert_int_eq(hour, after.tm_hour);
		ck_assert_int_eq(year, after.tm_year % 100);
		return;
	}
	ck_abort_msg("the clock kept moving");
}
END_TEST

/* ---- i8042, ACPI power registers, pvpanic ---- */

static void ctl_setup(void)
{
	memset(&ctl, 0, sizeof(ctl));
	ctl.ctl.request_stop = fake_request_stop;
}

START_TEST(i8042_reset)
{
	static const uint8_t others[] = { 0x00, 0xaa, 0xad, 0xd1, 0xf0, 0xfd, 0xff };
	struct i8042 kbc;
	unsigned int i;

	i8042_init(&kbc, &ctl.ctl);
	ck_assert_uint_eq(read8(&i8042_command_ops, &kbc, 0), 0);
	ck_assert_uint_eq(read8(&i8042_data_ops, &kbc, 0), 0);
	for (i = 0; i < sizeof(others); i++)
		write8(&i8042_command_ops, &kbc, 0, others[i]);
	write8(&i8042_data_ops, &kbc, 0, 0xfe); /* reset is a command, not data */
	poke_everywhere(&i8042_command_ops, &kbc, 1);
	poke_everywhere(&i8042_data_ops, &kbc, 1);
	ck_assert_uint_eq(ctl.stops, 0);

	write8(&i8042_command_ops, &kbc, 0, 0xfe);
	ck_assert_uint_eq(ctl.stops, 1);
	ck_assert_int_eq(ctl.reason, VM_STOP_RESET);
	i8042_destroy(&kbc);
}
END_TEST

#define PM_CONTROL (ACPI_SLEEP_CONTROL_PORT - ACPI_PM_BASE)
#define PM_STATUS (ACPI_SLEEP_STATUS_PORT - ACPI_PM_BASE)
#define PM_RESET (ACPI_RESET_PORT - ACPI_PM_BASE)

START_TEST(acpi_pm_poweroff)
{
	struct acpi_pm pm;
	const struct bus_ops *ops = acpi_pm_init(&pm, &ctl.ctl, ACPI_S5_SLEEP_TYPE, 1);
	unsigned int type;

	for (type = 0; type < 8; type++)
		if (type != ACPI_S5_SLEEP_TYPE)
			write8(ops, &pm, PM_CONTROL, 0x20 | type << 2); /* other states: refused */
	write8(ops, &pm, PM_CONTROL, ACPI_S5_SLEEP_TYPE << 2); /* no SLP_EN */
	write8(ops, &pm, PM_STATUS, 0x80);
	ck_assert_uint_eq(read8(ops, &pm, PM_STATUS), 0);
	ck_assert_uint_eq(read8(ops, &pm, PM_CONTROL), 0);
	ck_assert_uint_eq(ctl.stops, 0);

	write8(ops, &pm, PM_CONTROL, 0x20 | ACPI_S5_SLEEP_TYPE << 2);
	ck_assert_uint_eq(ctl.stops, 1);
	ck_assert_int_eq(ctl.reason, VM_STOP_POWEROFF);
	/* Reserved bits set too: still S5. */
	write8(ops, &pm, PM_CONTROL, 0xc3 | 0x20 | ACPI_S5_SLEEP_TYPE << 2);
	ck_assert_uint_eq(ctl.stops, 2);
	acpi_pm_destroy(&pm);
}
END_TEST

START_TEST(acpi_pm_reset)
{
	struct acpi_pm pm;
	const struct bus_ops *ops = acpi_pm_init(&pm, &ctl.ctl, ACPI_S5_SLEEP_TYPE, 0x06);
	uint8_t pair[2] = { 0x80, 0x06 };
	unsigned int v;

	for (v = 0; v < 256; v++)
		if (v != 0x06)
			write8(ops, &pm, PM_RESET, v);
	poke_everywhere(ops, &pm, ACPI_PM_SIZE);
	ck_assert_uint_eq(ctl.stops, 0);

	write8(ops, &pm, PM_RESET, 0x06);
	ck_assert_uint_eq(ctl.stops, 1);
	ck_assert_int_eq(ctl.reason, VM_STOP_RESET);
	ops->write(&pm, PM_RESET - 1, pair, 2); /* one byte per port */
	ck_assert_uint_eq(ctl.stops, 2);
	acpi_pm_destroy(&pm);
}
END_TEST

START_TEST(pvpanic_events)
{
	struct pvpanic pp;
	const struct bus_ops *ops = pvpanic_init(&pp, &ctl.ctl);

	ck_assert_uint_eq(read8(ops, &pp, 0), PVPANIC_PANICKED | PVPANIC_CRASH_LOADED);
	write8(ops, &pp, 0, 0x00);
	write8(ops, &pp, 0, 0x04); /* SHUTDOWN: not offered, so not honoured */
	write8(ops, &pp, 0, 0xfc);
	poke_everywhere(ops, &pp, 1);
	ck_assert_uint_eq(ctl.stops, 0);
	ck_assert(!pvpanic_crash_loaded(&pp));

	write8(ops, &pp, 0, PVPANIC_CRASH_LOADED);
	ck_assert_uint_eq(ctl.stops, 0); /* the kdump kernel runs */
	ck_assert(pvpanic_crash_loaded(&pp));

	write8(ops, &pp, 0, PVPANIC_PANICKED);
	ck_assert_uint_eq(ctl.stops, 1);
	ck_assert_int_eq(ctl.reason, VM_STOP_PANIC);
	write8(ops, &pp, 0, 0xff);
	ck_assert_uint_eq(ctl.stops, 2);
	pvpanic_destroy(&pp);
}
END_TEST

Suite *devices_suite(void)
{
	Suite *s = suite_create("devices");
	TCase *tc = tcase_create("serial");

	tcase_add_checked_fixture(tc, uart_setup, uart_teardown);
	tcase_add_test(tc, uart_scratch_round_trip);
	tcase_add_test(tc, uart_divisor_latch);
	tcase_add_test(tc, uart_transmits_to_the_fd);
	tcase_add_test(tc, uart_full_output_never_blocks);
	tcase_add_test(tc, uart_broken_output_is_dropped);
	tcase_add_test(tc, uart_loopback);
	tcase_add_test(tc, uart_modem_status_deltas);
	tcase_add_test(tc, uart_receives_in_order_with_irq);
	tcase_add_test(tc, uart_fifo_trigger_level);
	tcase_add_test(tc, uart_thri_on_enable_cleared_by_iir);
	tcase_add_test(tc, uart_interrupt_priority);
	tcase_add_test(tc, uart_probe_sequence);
	tcase_add_test(tc, uart_fifo_overflow);
	tcase_add_test(tc, uart_input_thread);
	tcase_add_test(tc, uart_hostile_accesses);
	suite_add_tcase(s, tc);

	tc = tcase_create("rtc");
	tcase_add_checked_fixture(tc, rtc_setup, rtc_teardown);
	tcase_add_test(tc, rtc_bcd_time);
	tcase_add_test(tc, rtc_binary_time);
	tcase_add_test(tc, rtc_twelve_hour);
	tcase_add_test(tc, rtc_status_registers);
	tcase_add_test(tc, rtc_index_ignores_nmi_bit);
	tcase_add_test(tc, rtc_ram_round_trip);
	tcase_add_test(tc, rtc_wide_and_hostile);
	tcase_add_test(tc, rtc_host_clock);
	suite_add_tcase(s, tc);

	tc = tcase_create("power");
	tcase_add_checked_fixture(tc, ctl_setup, NULL);
	tcase_add_test(tc, i8042_reset);
	tcase_add_test(tc, acpi_pm_poweroff);
	tcase_add_test(tc, acpi_pm_reset);
	tcase_add_test(tc, pvpanic_events);
	suite_add_tcase(s, tc);
	return s;
}
