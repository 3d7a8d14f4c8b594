// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/kconfig.h"
#include "unit.h"

static char err[512];

/* The state kconfig_parse_line() gives @line, and the name it found in @name ("" for none). */
static enum kconfig_state parse(const char *line, char *name, size_t size)
{
	const char *p = NULL;
	size_t len = 0;
	enum kconfig_state s = kconfig_parse_line(line, &p, &len);

	snprintf(name, size, "%.*s", p ? (int)len : 0, p ? p : "");
	return s;
}

START_TEST(parse_lines)
{
	char name[64];

	ck_assert_int_eq(parse("CONFIG_VIRTIO_MMIO=y\n", name, sizeof(name)), KCONFIG_YES);
	ck_assert_str_eq(name, "VIRTIO_MMIO");
	ck_assert_int_eq(parse("CONFIG_VIRTIO_BLK=m", name, sizeof(name)), KCONFIG_MODULE);
	ck_assert_str_eq(name, "VIRTIO_BLK");
	ck_assert_int_eq(parse("CONFIG_PCI=y\r\n", name, sizeof(name)), KCONFIG_YES);
	ck_assert_str_eq(name, "PCI");
	ck_assert_int_eq(parse("# CONFIG_STRICT_DEVMEM is not set\n", name, sizeof(name)),
			 KCONFIG_NOT_SET);
	ck_assert_str_eq(name, "STRICT_DEVMEM");
	ck_assert_int_eq(parse("CONFIG_ACPI=n\n", name, sizeof(name)), KCONFIG_NOT_SET);
	ck_assert_int_eq(parse("CONFIG_NR_CPUS=8\n", name, sizeof(name)), KCONFIG_OTHER);
	ck_assert_str_eq(name, "NR_CPUS");
	ck_assert_int_eq(parse("CONFIG_CMDLINE=\"y\"\n", name, sizeof(name)), KCONFIG_OTHER);
	ck_assert_int_eq(parse("CONFIG_X=yes\n", name, sizeof(name)), KCONFIG_OTHER);
	ck_assert_int_eq(parse("CONFIG_X=\n", name, sizeof(name)), KCONFIG_OTHER);

	/* not an option's line */
	ck_assert_int_eq(parse("", name, sizeof(name)), KCONFIG_ABSENT);
	ck_assert_int_eq(parse("\n", name, sizeof(name)), KCONFIG_ABSENT);
	ck_assert_int_eq(parse("# virtio-blk: the disks\n", name, sizeof(name)), KCONFIG_ABSENT);
	ck_assert_int_eq(parse("#\n", name, sizeof(name)), KCONFIG_ABSENT);
	ck_assert_int_eq(parse("CONFIG_=y\n", name, sizeof(name)), KCONFIG_ABSENT);
	ck_assert_int_eq(parse("CONFIG_PCI\n", name, sizeof(name)), KCONFIG_ABSENT);
	ck_assert_int_eq(parse("CONFIG_PCI y\n", name, sizeof(name)), KCONFIG_ABSENT);
	ck_assert_int_eq(parse(" CONFIG_PCI=y\n", name, sizeof(name)), KCONFIG_ABSENT);
	ck_assert_int_eq(parse("config PCI\n", name, sizeof(name)), KCONFIG_ABSENT);
	ck_assert_int_eq(parse("# CONFIG_PCI is not set, really\n", name, sizeof(name)),
			 KCONFIG_ABSENT);
	ck_assert_int_eq(parse("# CONFIG_PCI is not\n", name, sizeof(name)), KCONFIG_ABSENT);
	ck_assert_int_eq(parse("#CONFIG_PCI is not set\n", name, sizeof(name)), KCONFIG_ABSENT);
	ck_assert_int_eq(parse("# CONFIG_PCI=y\n", name, sizeof(name)), KCONFIG_ABSENT);
}
END_TEST

/* Every option once, a name kconfig accepts; a feature's rows adjacent; nothing empty. */
START_TEST(table)
{
	ck_assert_uint_gt(kconfig_noptions, 0);
	for (size_t i = 0; i < kconfig_noptions; i++) {
		const struct kconfig_option *o = &kconfig_options[i];

		ck_assert_msg(o->name[0] &&
				  strspn(o->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
				      strlen(o->name),
			      "bad option name '%s'", o->name);
		ck_assert_msg(o->feature[0] && o->used_by[0], "CONFIG_%s: no feature or user",
			      o->name);
		ck_assert_msg(!strstr(o->feature, "CONFIG_") && !strstr(o->used_by, "CONFIG_"),
			      "CONFIG_%s: its comment would look like an option", o->name);
		for (size_t j = 0; j < i; j++) {
			ck_assert_msg(strcmp(o->name, kconfig_options[j].name),
				      "CONFIG_%s twice in the table", o->name);
			if (j + 1 < i && !strcmp(o->feature, kconfig_options[j].feature))
				ck_assert_msg(!strcmp(o->feature, kconfig_options[j + 1].feature),
					      "feature '%s' in two places", o->feature);
		}
	}
}
END_TEST

/* What kconfig_print() writes, in a malloc'd string. */
static char *fragment(void)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(kconfig_print(out, err, sizeof(err)), 0);
	fclose(out);
	return buf;
}

/* kconfig_check_file() on @config; its report in *@report (malloc'd). */
static int check_text(const char *config, char **report)
{
	size_t size = 0;
	FILE *in = fmemopen((void *)config, strlen(config), "r");
	FILE *out = open_memstream(report, &size);
	int ret;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	ret = kconfig_check_file(in, "test.config", out, err, sizeof(err));
	fclose(in);
	fclose(out);
	return ret;
}

/* @config with each line "CONFIG_@name=y" replaced by @with (NULL: dropped). */
static char *replace_line(const char *config, const char *name, const char *with)
{
	char line[128], *buf = NULL;
	size_t size = 0, len;
	FILE *out = open_memstream(&buf, &size);
	const char *p;

	snprintf(line, sizeof(line), "CONFIG_%s=y\n", name);
	len = strlen(line);
	for (p = config; *p;) {
		const char *end = strchrnul(p, '\n');
		size_t n = *end ? end - p + 1 : end - p;

		if (n == len && !strncmp(p, line, len)) {
			if (with)
				fprintf(out, "%s\n", with);
		} else {
			fwrite(p, 1, n, out);
		}
		p += n;
	}
	fclose(out);
	return buf;
}

START_TEST(check_complete)
{
	char *config = fragment(), *report;

	ck_assert_int_eq(check_text(config, &report), 0);
	ck_assert_ptr_nonnull(strstr(report, "test.config: has all "));
	ck_assert_ptr_null(strstr(report, "CONFIG_"));
	free(report);
	free(config);
}
END_TEST

START_TEST(check_missing)
{
	char *config = fragment(), *a, *b, *report;

	a = replace_line(config, "VIRTIO_IOMMU", NULL);
	b = replace_line(a, "VIRTIO_BLK", "# CONFIG_VIRTIO_BLK is not set");
	ck_assert_int_eq(check_text(b, &report), 2);
	ck_assert_ptr_nonnull(
	    strstr(report, "CONFIG_VIRTIO_IOMMU is not set: --viommu needs it ("));
	ck_assert_ptr_nonnull(strstr(report, "CONFIG_VIRTIO_BLK is not set: --disk needs it ("));
	ck_assert_ptr_nonnull(strstr(report, "test.config: 2 of the "));
	ck_assert_ptr_nonnull(strstr(report, " are missing\n"));
	free(report);
	free(b);
	free(a);

	a = replace_line(config, "PCI", "CONFIG_PCI=\"y\"");
	ck_assert_int_eq(check_text(a, &report), 1);
	ck_assert_ptr_nonnull(strstr(report, "CONFIG_PCI is not =y: --vfio needs it ("));
	ck_assert_ptr_nonnull(strstr(report, " is missing\n"));
	free(report);
	free(a);

	/* the last line wins, both ways, as in kconfig */
	a = replace_line(config, "PCI", "CONFIG_PCI=y\n# CONFIG_PCI is not set");
	ck_assert_int_eq(check_text(a, &report), 1);
	free(report);
	free(a);
	a = replace_line(config, "PCI", "# CONFIG_PCI is not set\nCONFIG_PCI=y");
	ck_assert_int_eq(check_text(a, &report), 0);
	free(report);
	free(a);

	/* an option of the table's name as a prefix is another option */
	a = replace_line(config, "VIRTIO", "CONFIG_VIRTIO_FOO=y");
	ck_assert_int_eq(check_text(a, &report), 1);
	ck_assert_ptr_nonnull(strstr(report, "CONFIG_VIRTIO is not set: each virtio device"));
	free(report);
	free(a);
	free(config);
}
END_TEST

START_TEST(check_modules)
{
	char *config = fragment(), *a, *b, *report;

	/* a device driver as a module counts, with a note */
	a = replace_line(config, "VIRTIO_NET", "CONFIG_VIRTIO_NET=m");
	ck_assert_int_eq(check_text(a, &report), 0);
	ck_assert_ptr_nonnull(strstr(report, "CONFIG_VIRTIO_NET=m: counted, but as a module --net "
					     "needs an --initrd that loads it"));
	ck_assert_ptr_nonnull(strstr(report, "; 1 of them as a module (above)\n"));
	free(report);

	/* a console's does not */
	b = replace_line(a, "VIRTIO_CONSOLE", "CONFIG_VIRTIO_CONSOLE=m");
	ck_assert_int_eq(check_text(b, &report), 1);
	ck_assert_ptr_nonnull(strstr(report, "CONFIG_VIRTIO_CONSOLE=m is not enough: --console "
					     "virtio needs it built in (=y)"));
	ck_assert_ptr_nonnull(strstr(report, " is missing; 1 more as a module (above)\n"));
	free(report);
	free(b);
	free(a);
	free(config);
}
END_TEST

START_TEST(check_crlf_and_no_newline)
{
	char *config = fragment(), *crlf, *report, *q;
	size_t n = strlen(config), lines = 0;

	for (size_t i = 0; i < n; i++)
		lines += config[i] == '\n';
	crlf = malloc(n + lines + 1);
	q = crlf;
	for (size_t i = 0; i < n; i++) {
		if (config[i] == '\n')
			*q++ = '\r';
		*q++ = config[i];
	}
	*q = '\0';
	ck_assert_int_eq(check_text(crlf, &report), 0);
	free(report);
	/* the last line without its newline */
	q[-2] = '\0';
	ck_assert_int_eq(check_text(crlf, &report), 0);
	free(report);
	free(crlf);
	free(config);
}
END_TEST

START_TEST(check_not_a_config)
{
	char *report;

	ck_assert_int_eq(check_text("", &report), -ENOEXEC);
	ck_assert_str_eq(err, "kconfig --check test.config: no CONFIG_ line: not a kernel .config "
			      "(a gzipped one, such as /proc/config.gz: --check <(zcat FILE))");
	free(report);
	ck_assert_int_eq(check_text("# just a comment\nhello\n", &report), -ENOEXEC);
	free(report);
	/* one option line is a .config, one that lacks the rest */
	ck_assert_int_eq(check_text("# CONFIG_PCI is not set\n", &report), (int)kconfig_noptions);
	free(report);
}
END_TEST

START_TEST(check_files)
{
	FILE *out = fopen("/dev/null", "w");

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(kconfig_check("/nonexistent/.config", out, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "kconfig --check /nonexistent/.config: No such file or directory "
			      "(give a kernel tree's .config, or /boot/config-VERSION)");
	ck_assert_int_eq(kconfig_check("/", out, err, sizeof(err)), -EISDIR);
	ck_assert_str_eq(err, "kconfig --check /: Is a directory");
	fclose(out);
}
END_TEST

START_TEST(print_to_full_disk)
{
	FILE *out = fopen("/dev/full", "w");

	if (!out)
		return; /* no /dev/full here */
	ck_assert_int_eq(kconfig_print(out, err, sizeof(err)), -ENOSPC);
	ck_assert_str_eq(err, "kconfig: writing the output: No space left on device");
	fclose(out);
}
END_TEST

Suite *kconfig_suite(void)
{
	Suite *s = suite_create("kconfig");
	TCase *tc = tcase_create("kconfig");

	tcase_add_test(tc, parse_lines);
	tcase_add_test(tc, table);
	tcase_add_test(tc, check_complete);
	tcase_add_test(tc, check_missing);
	tcase_add_test(tc, check_modules);
	tcase_add_test(tc, check_crlf_and_no_newline);
	tcase_add_test(tc, check_not_a_config);
	tcase_add_test(tc, check_files);
	tcase_add_test(tc, print_to_full_disk);
	suite_add_tcase(s, tc);
	return s;
}
