/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A 16550A UART (8250 family) as Linux's 8250 driver probes and drives it: eight port I/O
 * registers, a receive FIFO fed by an input thread, transmit straight to an output fd, and a
 * level-computed interrupt line.
 *
 * Transmission takes no time: THR and the transmitter are always empty, so LSR always shows
 * THRE and TEMT, and a byte written to THR is on the output fd (or, in loopback mode, in the
 * receive FIFO) before the access returns.
 */
#ifndef NESTVM_SERIAL_H
#define NESTVM_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/console_out.h"
#include "vmm/bus.h"

#define SERIAL_NR_REGS 8
/* More than a real 16550A's 16 bytes: a paste arrives in fewer, larger chunks. */
#define SERIAL_RX_FIFO_SIZE 64
/* How long a transmit may wait for room on the output fd before output is dropped. */
#define SERIAL_OUT_WAIT_MS 100

struct serial {
	pthread_mutex_t lock; /* vCPU threads and the input thread call in */

	struct console_out out;

	struct irq_sink *irq;
	unsigned int gsi;
	bool irq_level; /* the level last given to @irq, so we only call it on changes */

	uint8_t ier, lcr, mcr, scr;
	uint8_t fcr; /* FIFO enable and receive trigger bits; 0 when the FIFOs are off */
	uint8_t dll, dlm;
	uint8_t lsr_errors; /* overrun; cleared by reading LSR */
	uint8_t msr; /* modem inputs (high nibble) and their deltas (low nibble) */
	bool thri_pending; /* THR-empty interrupt not yet acknowledged */

	uint8_t rx[SERIAL_RX_FIFO_SIZE];
	unsigned int rx_head, rx_count;
};

/*
 * Sets up @s in its reset state and returns the callbacks for its 8-port region. Transmitted
 * bytes go to @out_fd (not closed by the UART; -1 discards them). A vCPU never blocks for
 * long on it: when it has no room for SERIAL_OUT_WAIT_MS the output is dropped until it
 * drains. The process should ignore SIGPIPE, or a vanished reader kills it.
 * The interrupt goes to @gsi through @irq, called with the UART's lock held: it must not call
 * back into the UART.
 */
const struct bus_ops *serial_init(struct serial *s, int out_fd, struct irq_sink *irq,
				  unsigned int gsi);

/* Registers the UART's 8 ports at @base on @pio. Returns 0 or a negative errno. */
int serial_attach(struct bus *pio, uint64_t base, struct serial *s);

/*
 * Queues bytes the guest will read from RBR; callable from any thread. Returns how many were
 * accepted: fewer than @len when the FIFO fills (the caller keeps the rest and retries later)
 * and 0 in loopback mode, where the UART's input is disconnected.
 */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);

void serial_destroy(struct serial *s);

#endif
