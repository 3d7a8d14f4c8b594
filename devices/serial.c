// SPDX-License-Identifier: GPL-2.0
/*
 * 16550A UART. Register behaviour follows the 16550A datasheet; where chips differ, we do
 * what Linux's 8250 driver checks for (autoconfig, the THRE re-assert test, the loopback
 * test). Every guest access is a VM exit, so an access does a few loads and stores under the
 * lock, and calls the interrupt sink only when the line actually changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/serial.h"
#include "vmm/log.h"

/* Register offsets; with LCR.DLAB set, offsets 0 and 1 are the divisor latch. */
#define REG_RBR_THR 0
#define REG_IER 1
#define REG_IIR_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* THR empty */
#define IER_ELSI 0x04 /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
#define IER_MASK 0x0f /* the upper bits read as 0 on a 16550A; Linux's probe relies on it */

/* Interrupt identifications, highest priority first. */
#define IIR_NONE 0x01
#define IIR_LINE_STATUS 0x06
#define IIR_RX_DATA 0x04
#define IIR_RX_TIMEOUT 0x0c
#define IIR_THR_EMPTY 0x02
#define IIR_MODEM_STATUS 0x00
#define IIR_FIFOS_ON 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_TRIGGER 0xc0

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_DELTAS 0x0f
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
/* Outside loopback the UART looks cabled to a peer that is always there and ready. */
#define MSR_CONNECTED (MSR_DCD | MSR_DSR | MSR_CTS)

/* The reset divisor: 9600 baud from 1.8432 MHz. Never 0: Linux divides by it (probe_baud). */
#define RESET_DIVISOR 12

static bool fifos_on(const struct serial *s)
{
	return s->fcr & FCR_ENABLE;
}

static unsigned int rx_trigger_level(const struct serial *s)
{
	static const unsigned int levels[4] = { 1, 4, 8, 14 };

	return fifos_on(s) ? levels[s->fcr >> 6] : 1;
}

static uint8_t pending_interrupt(const struct serial *s)
{
	if ((s->ier & IER_ELSI) && s->lsr_errors)
		return IIR_LINE_STATUS;
	/*
	 * Below the trigger level a real UART reports a character timeout after four character
	 * times of silence; we have no timer and report it at once, which the guest handles alike.
	 */
	if ((s->ier & IER_ERBFI) && s->rx_count)
		return s->rx_count >= rx_trigger_level(s) ? IIR_RX_DATA : IIR_RX_TIMEOUT;
	if ((s->ier & IER_ETBEI) && s->thri_pending)
		return IIR_THR_EMPTY;
	if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTAS))
		return IIR_MODEM_STATUS;
	return IIR_NONE;
}

/*
 * The line follows the pending conditions. It is not gated by MCR.OUT2 as on PC boards:
 * Linux sets OUT2 anyway, and a guest that doesn't still gets its interrupts.
 */
static void update_irq(struct serial *s)
{
	bool level = pending_interrupt(s) != IIR_NONE;

	if (level == s->irq_level || !s->irq)
		return;
	s->irq_level = level;
	s->irq->set_level(s->irq, s->gsi, level);
}

static bool rx_push(struct serial *s, uint8_t byte)
{
	if (s->rx_count == SERIAL_RX_FIFO_SIZE)
		return false;
	s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_FIFO_SIZE] = byte;
	s->rx_count++;
	return true;
}

static uint8_t rx_pop(struct serial *s)
{
	uint8_t byte;

	if (!s->rx_count)
		return 0;
	byte = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % SERIAL_RX_FIFO_SIZE;
	s->rx_count--;
	return byte;
}

static void rx_clear(struct serial *s)
{
	s->rx_head = 0;
	s->rx_count = 0;
}

static void write_thr(struct serial *s, uint8_t byte)
{
	if (s->mcr & MCR_LOOP) {
		if (!rx_push(s, byte))
			s->lsr_errors |= LSR_OE;
	} else {
		console_out_write(&s->out, &byte, 1);
	}
	/* THR emptied again at once: the THR-empty interrupt is due again. */
	s->thri_pending = true;
}

static void write_ier(struct serial *s, uint8_t val)
{
	uint8_t old = s->ier;

	s->ier = val & IER_MASK;
	/* The 8250 rule: enabling ETBEI while THR is empty raises a THR-empty interrupt. */
	if ((s->ier & IER_ETBEI) && !(old & IER_ETBEI))
		s->thri_pending = true;
}

static void write_fcr(struct serial *s, uint8_t val)
{
	/* The other bits are only programmed with FCR0 set; changing FCR0 clears the FIFOs. */
	if ((val & FCR_ENABLE) != (s->fcr & FCR_ENABLE))
		rx_clear(s);
	if (!(val & FCR_ENABLE)) {
		s->fcr = 0;
		return;
	}
	s->fcr = val & (FCR_ENABLE | FCR_TRIGGER);
	if (val & FCR_CLEAR_RX)
		rx_clear(s); /* the transmit FIFO is always empty */
}

static uint8_t modem_inputs(uint8_t mcr)
{
	uint8_t in = 0;

	if (!(mcr & MCR_LOOP))
		return MSR_CONNECTED;
	/* Loopback wires the modem outputs back to the inputs. */
	if (mcr & MCR_RTS)
		in |= MSR_CTS;
	if (mcr & MCR_DTR)
		in |= MSR_DSR;
	if (mcr & MCR_OUT1)
		in |= MSR_RI;
	if (mcr & MCR_OUT2)
		in |= MSR_DCD;
	return in;
}

static void write_mcr(struct serial *s, uint8_t val)
{
	uint8_t old = s->msr & ~MSR_DELTAS, in, deltas = 0;

	s->mcr = val & MCR_MASK;
	in = modem_inputs(s->mcr);
	if ((old ^ in) & MSR_CTS)
		deltas |= MSR_DCTS;
	if ((old ^ in) & MSR_DSR)
		deltas |= MSR_DDSR;
	if ((old & MSR_RI) && !(in & MSR_RI))
		deltas |= MSR_TERI; /* trailing edge of ring */
	if ((old ^ in) & MSR_DCD)
		deltas |= MSR_DDCD;
	s->msr = in | (s->msr & MSR_DELTAS) | deltas;
}

static uint8_t read_reg(struct serial *s, unsigned int reg)
{
	bool dlab = s->lcr & LCR_DLAB;
	uint8_t val;

	switch (reg) {
	case REG_RBR_THR:
		return dlab ? s->dll : rx_pop(s);
	case REG_IER:
		return dlab ? s->dlm : s->ier;
	case REG_IIR_FCR:
		val = pending_interrupt(s);
		if (val == IIR_THR_EMPTY)
			s->thri_pending = false; /* reading IIR acknowledges THR empty */
		return val | (fifos_on(s) ? IIR_FIFOS_ON : 0);
	case REG_LCR:
		return s->lcr;
	case REG_MCR:
		return s->mcr;
	case REG_LSR:
		val = LSR_THRE | LSR_TEMT | s->lsr_errors | (s->rx_count ? LSR_DR : 0);
		s->lsr_errors = 0;
		return val;
	case REG_MSR:
		val = s->msr;
		s->msr &= ~MSR_DELTAS;
		return val;
	case REG_SCR:
		return s->scr;
	}
	return 0xff;
}

static void write_reg(struct serial *s, unsigned int reg, uint8_t val)
{
	bool dlab = s->lcr & LCR_DLAB;

	switch (reg) {
	case REG_RBR_THR:
		if (dlab)
			s->dll = val;
		else
			write_thr(s, val);
		break;
	case REG_IER:
		if (dlab)
			s->dlm = val;
		else
			write_ier(s, val);
		break;
	case REG_IIR_FCR:
		write_fcr(s, val);
		break;
	case REG_LCR:
		s->lcr = val;
		break;
	case REG_MCR:
		write_mcr(s, val);
		break;
	case REG_SCR:
		s->scr = val;
		break;
	default:
		break; /* LSR and MSR: writes are for factory testing; ignored */
	}
}

/* Whether byte @i of an access at @offset hits a register (no overflow for any offset). */
static bool is_reg(uint64_t offset, unsigned int i)
{
	return offset < SERIAL_NR_REGS && i < SERIAL_NR_REGS - offset;
}

/* A wide access is what the ISA bus makes of it: one byte access per port, in order. */
static void serial_read(void *opaque, uint64_t offset, void *data, unsigned int len)
{
	struct serial *s = opaque;
	uint8_t *bytes = data;
	unsigned int i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < len; i++)
		bytes[i] = is_reg(offset, i) ? read_reg(s, offset + i) : 0xff;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static void serial_write(void *opaque, uint64_t offset, const void *data, unsigned int len)
{
	struct serial *s = opaque;
	const uint8_t *bytes = data;
	unsigned int i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < len && is_reg(offset, i); i++)
		write_reg(s, offset + i, bytes[i]);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static const struct bus_ops serial_ops = {
	.read = serial_read,
	.write = serial_write,
};

/* Regular files never make a write wait for a reader; pipes, ttys and sockets can. */
const struct bus_ops *serial_init(struct serial *s, int out_fd, struct irq_sink *irq,
				  unsigned int gsi)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	console_out_init(&s->out, out_fd, SERIAL_OUT_WAIT_MS, "serial");
	s->irq = irq;
	s->gsi = gsi;
	s->dll = RESET_DIVISOR;
	s->msr = MSR_CONNECTED;
	return &serial_ops;
}

int serial_attach(struct bus *pio, uint64_t base, struct serial *s)
{
	return bus_register(pio, base, SERIAL_NR_REGS, &serial_ops, s, "serial");
}

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	if (!(s->mcr & MCR_LOOP)) {
		while (n < len && rx_push(s, buf[n]))
			n++;
		update_irq(s);
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

void serial_destroy(struct serial *s)
{
	pthread_mutex_destroy(&s->lock);
}
