// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cli.h"
#include "vmm/virtio_cmdline.h"
#include "unit.h"

static enum cli_command cmd;
static struct vm_opts opts;
static char err[256];

#define PARSE(...)                                                                       \
	({                                                                               \
		char *argv_[] = { "nestvm", __VA_ARGS__, NULL };                         \
		cli_parse(sizeof(argv_) / sizeof(argv_[0]) - 1, argv_, &cmd, &opts, err, \
			  sizeof(err));                                                  \
	})

START_TEST(sizes)
{
	uint64_t v;

	ck_assert_int_eq(parse_size("512M", &v), 0);
	ck_assert_uint_eq(v, 512ULL << 20);
	ck_assert_int_eq(parse_size("2g", &v), 0);
	ck_assert_uint_eq(v, 2ULL << 30);
	ck_assert_int_eq(parse_size("4096", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(parse_size("1T", &v), 0);
	ck_assert_uint_eq(v, 1ULL << 40);
	ck_assert_int_eq(parse_size("", &v), -EINVAL);
	ck_assert_int_eq(parse_size("M", &v), -EINVAL);
	ck_assert_int_eq(parse_size("-1M", &v), -EINVAL);
	ck_assert_int_eq(parse_size("12X", &v), -EINVAL);
	ck_assert_int_eq(parse_size("12MM", &v), -EINVAL);
	ck_assert_int_eq(parse_size("99999999999999999999", &v), -ERANGE);
	ck_assert_int_eq(parse_size("17179869184G", &v), -ERANGE);
}
END_TEST

START_TEST(commands)
{
	ck_assert_int_eq(PARSE("--help"), 0);
	ck_assert_int_eq(cmd, CLI_HELP);
	ck_assert_int_eq(PARSE("-h"), 0);
	ck_assert_int_eq(cmd, CLI_HELP);
	ck_assert_int_eq(PARSE("--version"), 0);
	ck_assert_int_eq(cmd, CLI_VERSION);
	ck_assert_int_eq(PARSE("probe"), 0);
	ck_assert_int_eq(cmd, CLI_PROBE);
	ck_assert_int_eq(PARSE("probe", "x"), -EINVAL);
	ck_assert_int_eq(PARSE("--seccomp-list"), 0);
	ck_assert_int_eq(cmd, CLI_SECCOMP_LIST);
	ck_assert_int_eq(PARSE("--seccomp-list", "main"), -EINVAL);
	ck_assert_int_eq(PARSE("boot"), -EINVAL);
	ck_assert_str_eq(err, "unknown command 'boot'; commands are run, probe, help, version");
}
END_TEST

START_TEST(run_defaults)
{
	ck_assert_int_eq(PARSE("run", "-k", "bzImage"), 0);
	ck_assert_int_eq(cmd, CLI_RUN);
	ck_assert_str_eq(opts.kernel, "bzImage");
	ck_assert_ptr_null(opts.initrd);
	ck_assert_str_eq(opts.cmdline, "console=ttyS0");
	ck_assert_uint_eq(opts.mem, 256ULL << 20);
	ck_assert_uint_eq(opts.cpus, 1);
	ck_assert(!opts.debug);
}
END_TEST

START_TEST(run_options)
{
	ck_assert_int_eq(PARSE("run", "--kernel", "k", "--initrd", "i", "--cmdline", "quiet",
			       "--mem", "1G", "--cpus", "4", "--debug"),
			 0);
	ck_assert_str_eq(opts.initrd, "i");
	ck_assert_str_eq(opts.cmdline, "quiet");
	ck_assert_uint_eq(opts.mem, 1ULL << 30);
	ck_assert_uint_eq(opts.cpus, 4);
	ck_assert(opts.debug);
	/* kvmtool's short forms */
	ck_assert_int_eq(PARSE("run", "-k", "k", "-i", "i", "-p", "x", "-m", "64M", "-c", "2"), 0);
	ck_assert_uint_eq(opts.mem, 64ULL << 20);
	ck_assert_uint_eq(opts.cpus, 2);
}
END_TEST

START_TEST(run_bad_input)
{
	ck_assert_int_eq(PARSE("run"), -EINVAL);
	ck_assert_str_eq(err, "run needs a kernel: nestvm run -k PATH/TO/bzImage");
	ck_assert_int_eq(PARSE("run", "-k", "k", "--cpus", "0"), -EINVAL);
	ck_assert_str_eq(err, "--cpus 0: give a number from 1 to 254");
	ck_assert_int_eq(PARSE("run", "-k", "k", "--cpus", "999"), -EINVAL);
	ck_assert_int_eq(PARSE("run", "-k", "k", "--cpus", "2x"), -EINVAL);
	ck_assert_int_eq(PARSE("run", "-k", "k", "--mem", "0"), -EINVAL);
	ck_assert_str_eq(err, "--mem 0: too small; a Linux guest needs at least 32M");
	ck_assert_int_eq(PARSE("run", "-k", "k", "--mem", "lots"), -EINVAL);
	ck_assert_str_eq(err, "--mem lots: not a size; write it like 512M or 2G");
	ck_assert_int_eq(PARSE("run", "-k", "k", "--frobnicate"), -EINVAL);
	ck_assert_str_eq(err, "unknown option --frobnicate; see nestvm --help");
	ck_assert_int_eq(PARSE("run", "-k"), -EINVAL);
	ck_assert_str_eq(err, "-k needs a value; see nestvm --help");
	ck_assert_int_eq(PARSE("run", "-k", "k", "extra"), -EINVAL);
	ck_assert_str_eq(err, "unexpected argument 'extra'; see nestvm --help");
}
END_TEST

START_TEST(run_devices)
{
	ck_assert_int_eq(
	    PARSE("run", "-k", "k", "--disk", "a.img", "--disk", "b.img,ro", "--rng", "--viommu"),
	    0);
	ck_assert_uint_eq(opts.ndisks, 2);
	ck_assert_str_eq(opts.disks[0].path, "a.img");
	ck_assert(!opts.disks[0].readonly);
	ck_assert_str_eq(opts.disks[1].path, "b.img");
	ck_assert(opts.disks[1].readonly);
	ck_assert(opts.rng && opts.viommu);
	ck_assert_str_eq(opts.tap, "");
	ck_assert_int_eq(PARSE("run", "-k", "k", "--net", "tap=tap0"), 0);
	ck_assert_str_eq(opts.tap, "tap0");
	ck_assert_int_eq(PARSE("run", "-k", "k", "--console", "virtio"), 0);
	ck_assert(opts.virtio_console);
	ck_assert_int_eq(PARSE("run", "-k", "k", "--console", "vga"), -EINVAL);
	ck_assert_str_eq(err, "--console vga: choose serial (ttyS0) or virtio (hvc0)");
	ck_assert_int_eq(PARSE("run", "-k", "k", "--net", "user"), -EINVAL);
	ck_assert_str_eq(err,
			 "--net user: write it as --net tap=NAME (a name of 1 to 15 characters)");
	ck_assert_int_eq(PARSE("run", "-k", "k", "--net", "tap=0123456789abcdef"), -EINVAL);
	ck_assert_int_eq(PARSE("run", "-k", "k", "--disk", ",ro"), -EINVAL);
	ck_assert_str_eq(err, "--disk needs a path: --disk PATH[,ro]");
	ck_assert_int_eq(PARSE("run", "-k", "k", "--disk", "1", "--disk", "2", "--disk", "3",
			       "--disk", "4", "--disk", "5"),
			 -EINVAL);
	ck_assert_str_eq(err, "--disk 5: at most 4 disks");
}
END_TEST

START_TEST(run_virtio_cmdline)
{
	ck_assert_int_eq(PARSE("run", "-k", "k", "--disk", "a.img", "--rng"), 0);
	ck_assert(!opts.virtio_cmdline);
	ck_assert_int_eq(PARSE("run", "-k", "k", "--disk", "a.img", "--virtio-cmdline"), 0);
	ck_assert(opts.virtio_cmdline);
	ck_assert_int_eq(PARSE("run", "-k", "k", "--virtio-cmdline", "--viommu"), -EINVAL);
	ck_assert_str_eq(err, "--viommu needs ACPI (the guest finds the virtio-iommu in the VIOT "
			      "table), which --virtio-cmdline leaves out: drop one of them");
	ck_assert_int_eq(PARSE("run", "-k", "k", "--viommu", "--virtio-cmdline"), -EINVAL);
	ck_assert_int_eq(PARSE("run", "-k", "k", "--virtio-cmdline=1"), -EINVAL);
}
END_TEST

/* The devices come before the user's command line: after a bare "--" they would be init's. */
START_TEST(virtio_cmdline_strings)
{
	static const struct virtio_cmdline_dev devs[] = {
		{ .base = 0xd0000000, .size = 0x200, .irq = 16 },
		{ .base = 0xd0000200, .size = 0x200, .irq = 17 },
	};
	char *s = virtio_cmdline_build("console=ttyS0 quiet -- sh -c 'echo hi'", devs, 2);

	ck_assert_str_eq(s, "virtio_mmio.device=0x200@0xd0000000:16 "
			    "virtio_mmio.device=0x200@0xd0000200:17 "
			    "console=ttyS0 quiet -- sh -c 'echo hi'");
	free(s);
	s = virtio_cmdline_build("console=ttyS0", devs, 0);
	ck_assert_str_eq(s, "console=ttyS0");
	free(s);
	s = virtio_cmdline_build("", devs, 1);
	ck_assert_str_eq(s, "virtio_mmio.device=0x200@0xd0000000:16 ");
	free(s);
	/* the widest numbers fit */
	{
		struct virtio_cmdline_dev big = { UINT64_MAX, UINT64_MAX, 4294967295u };

		s = virtio_cmdline_build("x", &big, 1);
		ck_assert_str_eq(s, "virtio_mmio.device=0xffffffffffffffff@0xffffffffffffffff:"
				    "4294967295 x");
		free(s);
	}
}
END_TEST

START_TEST(host_memory)
{
	struct vm_opts o = { .mem = 1ULL << 40 };

	ck_assert_int_eq(vm_opts_check_host(&o, 24ULL << 30, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "more than this host can give (18432 MiB of 24576 MiB"));
	o.mem = 16ULL << 30;
	ck_assert_int_eq(vm_opts_check_host(&o, 24ULL << 30, err, sizeof(err)), 0);
	o.mem = 256ULL << 20;
	ck_assert_int_eq(vm_opts_check_host(&o, 256ULL << 20, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(help_mentions_every_option)
{
	static const char *const names[] = {
		"--kernel",	   "--initrd", "--cmdline", "--mem",	    "--cpus",
		"--debug",	   "probe",    "run",	    "--no-seccomp", "--seccomp-selftest",
		"--disk",	   "--net",    "--rng",	    "--console",    "--viommu",
		"--virtio-cmdline"
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg(strstr(cli_help_text, names[i]), "--help lacks %s", names[i]);
}
END_TEST

Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, sizes);
	tcase_add_test(tc, commands);
	tcase_add_test(tc, run_defaults);
	tcase_add_test(tc, run_options);
	tcase_add_test(tc, run_bad_input);
	tcase_add_test(tc, run_devices);
	tcase_add_test(tc, run_virtio_cmdline);
	tcase_add_test(tc, virtio_cmdline_strings);
	tcase_add_test(tc, host_memory);
	tcase_add_test(tc, help_mentions_every_option);
	suite_add_tcase(s, tc);
	return s;
}
