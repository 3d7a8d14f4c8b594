// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
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
	ck_assert_str_eq(err,
			 "unknown command 'boot'; commands are run, probe, kconfig, help, version");
}
END_TEST

START_TEST(kconfig_args)
{
	ck_assert_int_eq(PARSE("kconfig"), 0);
	ck_assert_int_eq(cmd, CLI_KCONFIG);
	ck_assert_ptr_null(opts.kconfig_check);
	ck_assert_int_eq(PARSE("kconfig", "--check", "linux/.config"), 0);
	ck_assert_int_eq(cmd, CLI_KCONFIG);
	ck_assert_str_eq(opts.kconfig_check, "linux/.config");
	ck_assert_int_eq(PARSE("kconfig", "--check"), -EINVAL);
	ck_assert_str_eq(err,
			 "kconfig --check needs a file: nestvm kconfig --check PATH/TO/.config");
	ck_assert_int_eq(PARSE("kconfig", "--check", ""), -EINVAL);
	ck_assert_str_eq(err,
			 "kconfig --check needs a file: nestvm kconfig --check PATH/TO/.config");
	ck_assert_int_eq(PARSE("kconfig", "--check", "a", "b"), -EINVAL);
	ck_assert_str_eq(err, "kconfig --check takes one file (got 'b' too); see nestvm --help");
	ck_assert_int_eq(PARSE("kconfig", "--check=a"), -EINVAL);
	ck_assert_str_eq(err, "kconfig: unknown option --check=a; see nestvm --help");
	ck_assert_int_eq(PARSE("kconfig", ".config"), -EINVAL);
	ck_assert_str_eq(err, "kconfig: unexpected argument '.config'; see nestvm --help");
	/* run's options are run's */
	ck_assert_int_eq(PARSE("run", "-k", "k"), 0);
	ck_assert_ptr_null(opts.kconfig_check);
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
	ck_assert(!opts.viommu_stats);
	ck_assert_int_eq(PARSE("run", "-k", "k", "--viommu", "--viommu-stats"), 0);
	ck_assert(opts.viommu && opts.viommu_stats);
	ck_assert_int_eq(PARSE("run", "-k", "k", "--viommu-stats"), -EINVAL);
	ck_assert_str_eq(err, "--viommu-stats counts the virtio-iommu's requests: add --viommu");
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

static bool option_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* The line after @line in the help, or its terminating NUL. */
static const char *next_line(const char *line)
{
	const char *end = strchrnul(line, '\n');

	return *end ? end + 1 : end;
}

/*
 * The entry of --@name in the help: a line "  --NAME..." or "  -X, --NAME..." (X returned in
 * *@short_name, else 0). Returns what follows the name on that line, or NULL when there is none.
 */
static const char *help_entry(const char *name, char *short_name)
{
	size_t len = strlen(name);

	for (const char *line = cli_help_text; *line; line = next_line(line)) {
		const char *p = line;

		if (strncmp(p, "  ", 2))
			continue;
		p += 2;
		*short_name = 0;
		if (p[0] == '-' && p[1] != '-' && p[1] && !strncmp(p + 2, ", ", 2)) {
			*short_name = p[1];
			p += 4;
		}
		if (!strncmp(p, "--", 2) && !strncmp(p + 2, name, len) && !option_char(p[2 + len]))
			return p + 2 + len;
	}
	return NULL;
}

/* Whether @word stands in the help as a word of its own. */
static bool help_has_word(const char *word)
{
	size_t len = strlen(word);

	for (const char *p = cli_help_text; (p = strstr(p, word)); p++) {
		if ((p == cli_help_text || !option_char(p[-1])) && !option_char(p[len]))
			return true;
	}
	return false;
}

/* Every option of run has its entry, showing its short form and whether it takes a value. */
START_TEST(help_mentions_every_option)
{
	const char *shortopts;
	const struct option *o = cli_run_options(&shortopts);
	unsigned int n = 0;

	for (; o->name; o++, n++) {
		bool has_short = o->val > ' ' && strchr(shortopts, o->val);
		const char *after;
		char short_name;

		after = help_entry(o->name, &short_name);
		ck_assert_msg(after, "--help has no entry for --%s", o->name);
		if (has_short)
			ck_assert_msg(short_name == o->val, "--help: --%s lacks its short form -%c",
				      o->name, o->val);
		else
			ck_assert_msg(!short_name, "--help: --%s shows -%c, which it has not",
				      o->name, short_name);
		if (o->has_arg == required_argument)
			ck_assert_msg(after[0] == ' ' && after[1] != ' ' && after[1] != '\n',
				      "--help: --%s takes a value: show it after the name",
				      o->name);
		else
			ck_assert_msg(after[0] == '\n' || !strncmp(after, "  ", 2),
				      "--help: --%s takes no value but shows one", o->name);
	}
	ck_assert_uint_gt(n, 0);
	for (unsigned int i = 0; cli_command_name(i); i++)
		ck_assert_msg(help_has_word(cli_command_name(i)), "--help lacks the command %s",
			      cli_command_name(i));
}
END_TEST

/* And the other way round: each option entry in the help is a real option. */
START_TEST(help_shows_no_stale_option)
{
	const char *line = cli_help_text;

	for (; *line; line = next_line(line)) {
		const char *p = line + 2, *o;
		const struct option *opt;
		size_t len;

		if (strncmp(line, "  -", 3))
			continue;
		if (p[1] != '-')
			p += 4; /* "-X, " */
		ck_assert_msg(!strncmp(p, "--", 2), "--help: odd entry: %.40s", line);
		p += 2;
		for (o = p; option_char(*o); o++)
			;
		len = o - p;
		for (opt = cli_run_options(NULL); opt->name; opt++) {
			if (strlen(opt->name) == len && !strncmp(opt->name, p, len))
				break;
		}
		ck_assert_msg(opt->name, "--help shows --%.*s, which run does not take", (int)len,
			      p);
	}
}
END_TEST

Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, sizes);
	tcase_add_test(tc, commands);
	tcase_add_test(tc, kconfig_args);
	tcase_add_test(tc, run_defaults);
	tcase_add_test(tc, run_options);
	tcase_add_test(tc, run_bad_input);
	tcase_add_test(tc, run_devices);
	tcase_add_test(tc, run_virtio_cmdline);
	tcase_add_test(tc, virtio_cmdline_strings);
	tcase_add_test(tc, host_memory);
	tcase_add_test(tc, help_mentions_every_option);
	tcase_add_test(tc, help_shows_no_stale_option);
	suite_add_tcase(s, tc);
	return s;
}
