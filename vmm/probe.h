/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NESTVM_PROBE_H
#define NESTVM_PROBE_H

/* Prints what the host offers (KVM, iommufd, nesting, VFIO); 0 when KVM is usable. */
int probe_host(void);

#endif
