/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NESTVM_UNIT_H
#define NESTVM_UNIT_H

#include <check.h>

Suite *acpi_suite(void);
Suite *cli_suite(void);
Suite *devices_suite(void);
Suite *fault_inject_suite(void);
Suite *guest_pgtable_suite(void);
Suite *inval_race_suite(void);
Suite *invalq_suite(void);
Suite *ioas_suite(void);
Suite *ioloop_suite(void);
Suite *kconfig_suite(void);
Suite *kvm_suite(void);
Suite *msix_suite(void);
Suite *memmap_suite(void);
Suite *pci_suite(void);
Suite *mptable_suite(void);
Suite *maptree_suite(void);
Suite *nested_suite(void);
Suite *vfio_sysfs_suite(void);
Suite *virtio_suite(void);
Suite *virtio_blk_suite(void);
Suite *virtio_console_suite(void);
Suite *virtio_net_suite(void);
Suite *viommu_suite(void);
Suite *viommu_nested_suite(void);
Suite *pgtable_x86_suite(void);
Suite *seccomp_suite(void);
Suite *shadow_suite(void);

#endif
