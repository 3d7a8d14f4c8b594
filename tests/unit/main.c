// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "unit.h"

int main(void)
{
	SRunner *sr = srunner_create(cli_suite());
	int failed;

	srunner_add_suite(sr, kconfig_suite());
	srunner_add_suite(sr, kvm_suite());
	srunner_add_suite(sr, vfio_sysfs_suite());
	srunner_add_suite(sr, acpi_suite());
	srunner_add_suite(sr, memmap_suite());
	srunner_add_suite(sr, mptable_suite());
	srunner_add_suite(sr, devices_suite());
	srunner_add_suite(sr, pci_suite());
	srunner_add_suite(sr, virtio_suite());
	srunner_add_suite(sr, virtio_blk_suite());
	srunner_add_suite(sr, virtio_net_suite());
	srunner_add_suite(sr, virtio_console_suite());
	srunner_add_suite(sr, viommu_suite());
	srunner_add_suite(sr, viommu_nested_suite());
	srunner_add_suite(sr, invalq_suite());
	srunner_add_suite(sr, inval_race_suite());
	srunner_add_suite(sr, ioloop_suite());
	srunner_add_suite(sr, msix_suite());
	srunner_add_suite(sr, maptree_suite());
	srunner_add_suite(sr, ioas_suite());
	srunner_add_suite(sr, pgtable_x86_suite());
	srunner_add_suite(sr, guest_pgtable_suite());
	srunner_add_suite(sr, nested_suite());
	srunner_add_suite(sr, shadow_suite());
	srunner_add_suite(sr, seccomp_suite());
	srunner_add_suite(sr, fault_inject_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
