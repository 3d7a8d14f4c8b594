/* SPDX-License-Identifier: GPL-2.0 */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

/*
 * Installs an IDT for exceptions 0-31: an exception (or an NMI) prints "not ok - ..." with
 * the vector, rip, error code and cr2, then powers off. Without it the CPU would triple
 * fault, and on AMD KVM resets the vCPU before nestvm can say where the payload was.
 */
void trap_init(void);

#endif
