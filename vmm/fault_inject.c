// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/fault_inject.h"
#include "vmm/log.h"
#include "vmm/util.h"

const char *const fault_op_names[FAULT_NOPS] = {
	[FAULT_IOAS_ALLOC] = "ioas_alloc",
	[FAULT_IOAS_MAP] = "ioas_map",
	[FAULT_IOAS_UNMAP] = "ioas_unmap",
	[FAULT_HWPT_ALLOC] = "hwpt_alloc",
	[FAULT_NEST_PARENT] = "nest_parent",
	[FAULT_HWPT_NESTED] = "hwpt_nested",
	[FAULT_HWPT_INVALIDATE] = "hwpt_invalidate",
	[FAULT_GET_HW_INFO] = "get_hw_info",
	[FAULT_VFIO_REGION_READ] = "vfio_region_read",
	[FAULT_VFIO_REGION_WRITE] = "vfio_region_write",
	[FAULT_VFIO_SET_IRQS] = "vfio_set_irqs",
	[FAULT_KVM_IRQFD] = "kvm_irqfd",
	[FAULT_KVM_GSI_ROUTING] = "kvm_gsi_routing",
	[FAULT_IOLOOP_ENTER] = "ioloop_enter",
	[FAULT_INVALQ_ENTER] = "invalq_enter",
	[FAULT_VIOMMU_ATTACH_TABLE] = "viommu_attach_table",
	[FAULT_VIOMMU_INVALIDATE] = "viommu_invalidate",
	[FAULT_VIOMMU_TABLE_FORMAT] = "viommu_table_format",
	[FAULT_VIOMMU_NEEDS_RESET] = "viommu_needs_reset",
};

struct fault_rule {
	bool on;
	int err; /* positive errno */
	unsigned long after, times; /* times 0: every call after the first @after */
	unsigned long calls; /* atomic: the invalq thread calls too */
};

bool fault_inject_active;
static struct fault_rule rules[FAULT_NOPS];

/* The errnos the wrappers' callers tell apart; any other can be given as a number. */
static const struct {
	const char *name;
	int err;
} errnos[] = {
	{ "EPERM", EPERM },	{ "ENOENT", ENOENT },	    { "EINTR", EINTR },
	{ "EIO", EIO },		{ "ENXIO", ENXIO },	    { "EBADF", EBADF },
	{ "EAGAIN", EAGAIN },	{ "ENOMEM", ENOMEM },	    { "EACCES", EACCES },
	{ "EFAULT", EFAULT },	{ "EBUSY", EBUSY },	    { "EEXIST", EEXIST },
	{ "ENODEV", ENODEV },	{ "EINVAL", EINVAL },	    { "ENOSPC", ENOSPC },
	{ "ERANGE", ERANGE },	{ "ENOSYS", ENOSYS },	    { "EOPNOTSUPP", EOPNOTSUPP },
	{ "ENOTSUP", ENOTSUP }, { "EOVERFLOW", EOVERFLOW }, { "EMSGSIZE", EMSGSIZE },
};

static const char *errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].err == err)
			return errnos[i].name;
	return "errno";
}

static bool parse_ulong(const char *s, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && !*end;
}

static int parse_errno(const char *s)
{
	unsigned long v;

	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (!strcmp(s, errnos[i].name))
			return errnos[i].err;
	if (parse_ulong(s, &v) && v >= 1 && v <= 4095)
		return (int)v;
	return 0;
}

static int bad(char *err, size_t errlen, const char *rule, const char *why)
{
	char ops[512];
	size_t n = 0;

	ops[0] = '\0';
	for (int i = 0; i < FAULT_NOPS && n < sizeof(ops); i++)
		n += snprintf(ops + n, sizeof(ops) - n, "%s%s", i ? ", " : "", fault_op_names[i]);
	memset(rules, 0, sizeof(rules));
	fault_inject_active = false;
	return errmsg(err, errlen, -EINVAL,
		      "%s: \"%s\": %s (want OP:ERRNO[:after=N][:times=M], comma-separated; OP is "
		      "one of %s)",
		      FAULT_ENV, rule, why, ops);
}

/* One OP:ERRNO[:after=N][:times=M], NUL-terminated in @rule (which it cuts up). */
static int parse_rule(char *rule, char *err, size_t errlen)
{
	char copy[128], *save = NULL, *tok;
	struct fault_rule r = { .on = true };
	int op = -1;

	snprintf(copy, sizeof(copy), "%s", rule);
	tok = strtok_r(rule, ":", &save);
	for (int i = 0; tok && i < FAULT_NOPS; i++)
		if (!strcmp(tok, fault_op_names[i]))
			op = i;
	if (op < 0)
		return bad(err, errlen, copy, "unknown op");
	if (rules[op].on)
		return bad(err, errlen, copy, "op given twice");
	tok = strtok_r(NULL, ":", &save);
	r.err = tok ? parse_errno(tok) : 0;
	if (!r.err)
		return bad(err, errlen, copy,
			   "no errno: a name such as EIO or EOPNOTSUPP, or a number 1-4095");
	while ((tok = strtok_r(NULL, ":", &save))) {
		if (!strncmp(tok, "after=", 6) && parse_ulong(tok + 6, &r.after))
			continue;
		if (!strncmp(tok, "times=", 6) && parse_ulong(tok + 6, &r.times))
			continue;
		return bad(err, errlen, copy, "unknown option (after=N or times=M)");
	}
	rules[op] = r;
	return 0;
}

int fault_inject_parse(const char *spec, char *err, size_t errlen)
{
	char buf[1024], *save = NULL, *rule;
	int ret;

	memset(rules, 0, sizeof(rules));
	fault_inject_active = false;
	if (!spec || !*spec)
		return 0;
	if (strlen(spec) >= sizeof(buf))
		return bad(err, errlen, "...", "too long");
	strcpy(buf, spec);
	/* strtok_r would skip an empty rule: ",," or a trailing comma must not pass silently. */
	if (buf[0] == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,"))
		return bad(err, errlen, spec, "empty rule");
	for (rule = strtok_r(buf, ",", &save); rule; rule = strtok_r(NULL, ",", &save)) {
		if (strstr(rule, "::") || rule[strlen(rule) - 1] == ':')
			return bad(err, errlen, rule, "empty field");
		ret = parse_rule(rule, err, errlen);
		if (ret)
			return ret;
	}
	fault_inject_active = true;
	return 0;
}

int fault_inject_init_from_env(char *err, size_t errlen)
{
	const char *spec = getenv(FAULT_ENV);
	int ret = fault_inject_parse(spec, err, errlen);

	char what[32];

	if (ret || !fault_inject_active)
		return ret;
	for (int i = 0; i < FAULT_NOPS; i++) {
		if (!rules[i].on)
			continue;
		if (rules[i].times)
			snprintf(what, sizeof(what), "the next %lu", rules[i].times);
		else
			snprintf(what, sizeof(what), "all the others");
		pr_warn("fault injection (test only): %s: the first %lu calls pass, then "
			"%s fail with %s (%d)",
			fault_op_names[i], rules[i].after, what, errno_name(rules[i].err),
			rules[i].err);
	}
	return 0;
}

int fault_inject_fire(enum fault_op op)
{
	struct fault_rule *r = &rules[op];
	unsigned long n;

	if (!r->on)
		return 0;
	n = __atomic_fetch_add(&r->calls, 1, __ATOMIC_RELAXED);
	if (n < r->after || (r->times && n - r->after >= r->times))
		return 0;
	pr_warn("fault injection: %s call %lu fails with %s", fault_op_names[op], n + 1,
		errno_name(r->err));
	return -r->err;
}
