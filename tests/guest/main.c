// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-iommu guest payload, booted by nestvm through PVH. Its command line (nestvm -p)
 * picks the program: "test" (checks, then a summary) or "bench [iters=N] [ep=ID]" (a table;
 * ID, decimal or 0x-hex, is the endpoint to map for, e.g. a passthrough function); "nested
 * [ep=ID]" (or "test nested ...") checks the nesting extension; "nic-plain" and "nic [ep=ID]"
 * drive a passed-through e1000e, plainly or through the payload's own table; "nic-flood
 * [ep=ID] [secs=N] [control=1]" counts a flood it receives through that table while other pages of
 * the table change and are invalidated; "bench-inval [iters=N] [ep=ID]" times INVALIDATEs;
 * "hostile" feeds every device malformed input and checks each answer. Every program powers off, so
 * the VMM exits 0; a failed test says so in its output.
 */
#include <stdint.h>

#include "hostile.h"
#include "inval_bench.h"
#include "lib.h"
#include "nested_test.h"
#include "nic_flood.h"
#include "nic_test.h"
#include "platform.h"
#include "serial.h"
#include "trap.h"
#include "viommu_test.h"

#define DEFAULT_ITERS 5000
#define NIC_IP 0xc0a84d02 /* 192.168.77.2 */
#define NIC_PEER 0xc0a84d01 /* 192.168.77.1: the test host */

void guest_main(uint32_t start_info);

void guest_main(uint32_t start_info)
{
	const char *cmdline = pvh_cmdline(start_info);

	trap_init();
	serial_printf("viommu-guest: cmdline \"%s\"\n", cmdline);
	if (cmdline_starts_with(cmdline, "nested") ||
	    (cmdline_starts_with(cmdline, "test") && cmdline_second_is(cmdline, "nested")))
		nested_test(pvh_ram_end(start_info), cmdline_u64(cmdline, "ep", NESTED_ANY_EP));
	else if (cmdline_starts_with(cmdline, "nic-flood"))
		nic_flood(cmdline_u64(cmdline, "ep", NIC_DEFAULT_EP),
			  cmdline_u64(cmdline, "secs", NIC_FLOOD_SECS),
			  cmdline_u64(cmdline, "control", 0), cmdline_u64(cmdline, "viommu", 1));
	else if (cmdline_starts_with(cmdline, "nic") || cmdline_starts_with(cmdline, "nic-plain"))
		nic_test(cmdline_starts_with(cmdline, "nic"),
			 cmdline_u64(cmdline, "ep", NIC_DEFAULT_EP), NIC_IP, NIC_PEER);
	else if (cmdline_starts_with(cmdline, "trap"))
		__asm__ volatile("ud2"); /* shows what an exception prints */
	else if (cmdline_starts_with(cmdline, "hostile"))
		hostile_test(pvh_ram_end(start_info));
	else if (cmdline_starts_with(cmdline, "test"))
		viommu_test(pvh_ram_end(start_info));
	else if (cmdline_starts_with(cmdline, "bench-inval"))
		inval_bench(cmdline_u64(cmdline, "iters", DEFAULT_ITERS),
			    cmdline_u64(cmdline, "ep", INVAL_BENCH_ANY_EP));
	else if (cmdline_starts_with(cmdline, "bench"))
		viommu_bench(cmdline_u64(cmdline, "iters", DEFAULT_ITERS),
			     cmdline_u64(cmdline, "ep", VIOMMU_BENCH_ANY_EP));
	else
		serial_puts("viommu-guest: usage: -p \"test\", \"bench [iters=N] [ep=ID]\" or "
			    "\"nested [ep=ID]\", \"nic [ep=ID]\", \"nic-plain\", "
			    "\"nic-flood [ep=ID] [secs=N] [control=1] [viommu=0]\", "
			    "\"bench-inval [iters=N] [ep=ID]\", \"hostile\", \"trap\"\n");
	poweroff();
}
