// SPDX-License-Identifier: GPL-2.0
/*
 * The seccomp audit: every thread kind's allowlist has a reason per entry, names only calls
 * libseccomp knows, no duplicates, and matches tests/unit/seccomp_allowlist.txt, so a new
 * syscall is a change in two places that a reviewer sees together with its reason.
 */
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "vmm/seccomp.h"
#include "unit.h"

#define MIN_REASON 12 /* long enough to say what for, not just "needed" */
#define MAX_GOLDEN 256

/* Next to this file; the unit tests run from the top of the tree (make check does). */
static const char golden_path[] = "tests/unit/seccomp_allowlist.txt";

struct entry {
	char kind[16];
	char name[48];
	bool seen;
};

START_TEST(every_rule_has_reason_and_known_name)
{
	int bad = 0;

	for (int k = 0; k < SECCOMP_THREAD_KINDS; k++) {
		const char *kind = seccomp_thread_kind_name(k);
		const struct seccomp_rule *r;
		unsigned int n;

		ck_assert_ptr_nonnull(kind);
		ck_assert_int_eq(seccomp_thread_by_name(kind), k);
		r = seccomp_rules(k, &n);
		ck_assert_uint_gt(n, 0);
		for (unsigned int i = 0; i < n; i++) {
			if (!r[i].why || strlen(r[i].why) < MIN_REASON) {
				fprintf(stderr, "seccomp audit: %s %s: reason '%s' is too short\n",
					kind, r[i].name, r[i].why ? r[i].why : "");
				bad++;
			}
			if (seccomp_syscall_resolve_name(r[i].name) == __NR_SCMP_ERROR) {
				fprintf(stderr,
					"seccomp audit: %s %s: libseccomp does not know it\n", kind,
					r[i].name);
				bad++;
			}
			for (unsigned int j = 0; j < i; j++) {
				if (!strcmp(r[i].name, r[j].name)) {
					fprintf(stderr, "seccomp audit: %s %s: listed twice\n",
						kind, r[i].name);
					bad++;
				}
			}
		}
	}
	ck_assert_msg(!bad, "%d seccomp allowlist entries fail the audit (see above)", bad);
}
END_TEST

static unsigned int read_golden(struct entry *e, unsigned int max)
{
	FILE *f = fopen(golden_path, "r");
	char line[128];
	unsigned int n = 0;

	ck_assert_msg(f, "%s: cannot open it (run the unit tests from the top of the tree)",
		      golden_path);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		ck_assert_uint_lt(n, max);
		ck_assert_msg(sscanf(line, "%15s %47s", e[n].kind, e[n].name) == 2,
			      "%s: '%s' is not a 'KIND SYSCALL' line", golden_path, line);
		e[n++].seen = false;
	}
	fclose(f);
	return n;
}

START_TEST(allowlists_match_golden_list)
{
	static struct entry golden[MAX_GOLDEN];
	unsigned int ngolden = read_golden(golden, MAX_GOLDEN);
	int diff = 0;

	for (int k = 0; k < SECCOMP_THREAD_KINDS; k++) {
		const char *kind = seccomp_thread_kind_name(k);
		const struct seccomp_rule *r;
		unsigned int n;

		r = seccomp_rules(k, &n);
		for (unsigned int i = 0; i < n; i++) {
			unsigned int g;

			for (g = 0; g < ngolden; g++) {
				if (!strcmp(golden[g].kind, kind) &&
				    !strcmp(golden[g].name, r[i].name))
					break;
			}
			if (g < ngolden) {
				golden[g].seen = true;
				continue;
			}
			fprintf(stderr,
				"seccomp allowlist: + %s %s (%s): in vmm/seccomp.c, not in %s\n",
				kind, r[i].name, r[i].why, golden_path);
			diff++;
		}
	}
	for (unsigned int g = 0; g < ngolden; g++) {
		if (golden[g].seen)
			continue;
		fprintf(stderr, "seccomp allowlist: - %s %s: in %s, not in vmm/seccomp.c\n",
			golden[g].kind, golden[g].name, golden_path);
		diff++;
	}
	ck_assert_msg(!diff,
		      "the allowlists differ from %s in %d entries (see above): change both, "
		      "with the reason in vmm/seccomp.c",
		      golden_path, diff);
}
END_TEST

/* The SIGSYS handler restores the terminal (TCSETS) in whichever thread was caught. */
START_TEST(every_kind_may_restore_the_terminal)
{
	for (int k = 0; k < SECCOMP_THREAD_KINDS; k++) {
		const struct seccomp_rule *r;
		unsigned int n, i;

		r = seccomp_rules(k, &n);
		for (i = 0; i < n && strcmp(r[i].name, "ioctl"); i++)
			;
		ck_assert_msg(i < n,
			      "the %s thread's allowlist lacks ioctl: its SIGSYS report "
			      "could not restore the terminal",
			      seccomp_thread_kind_name(k));
	}
}
END_TEST

Suite *seccomp_suite(void)
{
	Suite *s = suite_create("seccomp");
	TCase *tc = tcase_create("audit");

	tcase_add_test(tc, every_rule_has_reason_and_known_name);
	tcase_add_test(tc, allowlists_match_golden_list);
	tcase_add_test(tc, every_kind_may_restore_the_terminal);
	suite_add_tcase(s, tc);
	return s;
}
