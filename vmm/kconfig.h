/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `nestvm kconfig`: the Linux options a guest kernel needs for each nestvm feature, printed as
 * a fragment scripts/kconfig/merge_config.sh takes, and checked against a kernel's .config.
 *
 * The rule for =m in a .config: a module counts as present (with a note: the feature then
 * needs an --initrd that loads it, as nestvm's own initramfs carries no modules), except for
 * the options marked builtin, the consoles': the kernel opens init's console before any
 * module can load, so for those =m is reported as missing.
 */
#ifndef NESTVM_KCONFIG_H
#define NESTVM_KCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct kconfig_option {
	const char *name; /* without the CONFIG_ prefix; always wanted =y */
	const char *feature; /* what the guest gets from it; options of a feature are adjacent */
	const char *used_by; /* the nestvm option (or run) that uses the feature */
	bool builtin; /* =m is not enough (see above) */
};

/* The table, in the order printed; one row per option. */
extern const struct kconfig_option kconfig_options[];
extern const size_t kconfig_noptions;

/* How a .config line sets an option. */
enum kconfig_state {
	KCONFIG_ABSENT, /* no line names it */
	KCONFIG_NOT_SET, /* "# CONFIG_X is not set" (or =n) */
	KCONFIG_YES,
	KCONFIG_MODULE,
	KCONFIG_OTHER, /* another value (a number, a string) */
};

/*
 * Parses one line of a .config (its newline, or CR LF, may be there). For a "CONFIG_X=V" or a
 * "# CONFIG_X is not set" line returns its state, with the name's start and length (after
 * the prefix) in *@name and *@len; for any other line (comments, blanks, junk) KCONFIG_ABSENT.
 */
enum kconfig_state kconfig_parse_line(const char *line, const char **name, size_t *len);

/* Prints the fragment to @out. 0, or -errno (with @err) when writing fails. */
int kconfig_print(FILE *out, char *err, size_t errlen);

/*
 * Reads the .config @in (named @path in messages) and prints to @out one line per option of
 * the table that it lacks, naming the feature and the nestvm option; then a note per option
 * it has as a module, and a summary line. The last line setting an option wins, as in
 * kconfig. Returns how many options are missing, or -errno with @err: unreadable, or no
 * CONFIG_ line at all (-ENOEXEC: not a .config).
 */
int kconfig_check_file(FILE *in, const char *path, FILE *out, char *err, size_t errlen);

/* The same for the file at @path. */
int kconfig_check(const char *path, FILE *out, char *err, size_t errlen);

#endif
