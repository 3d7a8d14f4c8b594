// SPDX-License-Identifier: GPL-2.0
/*
 * The nested backend (backend_nested.h). A domain is the guest's table and, once a device
 * gave a dev_id to allocate it with, the nested HWPT built from it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_nested.h"
#include "nested_entries.h"
#include "viommu_nested.h"
#include "vmm/log.h"

#define MAX_EPS 8 /* --vfio devices and the test endpoint */
#define MAX_FORMATS 2
#define INVAL_CHUNK 64 /* entries per HWPT_INVALIDATE; the model sends at most this many */

struct nested_domain {
	struct viommu_table t;
	uint32_t hwpt_id; /* 0 until made */
};

struct nested_ep_info {
	uint32_t dev_id;
	struct viommu_table_format f[MAX_FORMATS];
	unsigned int n;
};

struct nested_backend {
	struct viommu_backend be; /* first: handed out as the public object */
	const struct nested_host_ops *ops;
	void *ctx;
	struct nested_iommufd own; /* ctx of nested_backend_create() */
	uint32_t parent_id, parent_dev;
	struct nested_ep_info eps[MAX_EPS]; /* written at setup only: PROBE reads them locklessly */
	unsigned int neps;
	const struct nested_observer *obs;
	unsigned long hwpts, calls, entries;
	bool alloc_failed_logged;
};

static struct nested_backend *to_nb(const struct viommu_backend *be)
{
	return (struct nested_backend *)be;
}

static const char *format_name(uint16_t format)
{
	return format == VIRTIO_IOMMU_FORMAT_VTD_S1 ? "VT-d S1" : "selftest";
}

/* The shared NEST_PARENT on the identity IOAS, made with @dev_id the first time. */
static int ensure_parent(struct nested_backend *nb, uint32_t dev_id)
{
	uint32_t ioas, id;
	int ret;

	if (nb->parent_id)
		return 0;
	ret = nb->ops->parent_ioas(nb->ctx, &ioas);
	if (ret)
		return ret;
	ret = nb->ops->alloc_parent(nb->ctx, dev_id, ioas, &id);
	if (ret)
		return ret;
	nb->parent_id = id;
	nb->parent_dev = dev_id;
	pr_debug("nested: NEST_PARENT HWPT %u on IOAS %u (dev %u)", id, ioas, dev_id);
	return 0;
}

/* The nested HWPT of @d, allocated for @dev_id. -ENOMEM or -EOPNOTSUPP (refused). */
static int alloc_hwpt(struct nested_backend *nb, struct nested_domain *d, uint32_t dev_id)
{
	struct iommu_hwpt_vtd_s1 vtd;
	struct iommu_hwpt_selftest st;
	uint32_t type, len, id;
	const void *data;
	int ret;

	if (d->t.format == VIRTIO_IOMMU_FORMAT_VTD_S1) {
		nested_vtd_s1_data(&d->t, &vtd);
		type = IOMMU_HWPT_DATA_VTD_S1;
		data = &vtd;
		len = sizeof(vtd);
	} else {
		nested_selftest_data(&d->t, &st);
		type = IOMMU_HWPT_DATA_SELFTEST;
		data = &st;
		len = sizeof(st);
	}
	ret = ensure_parent(nb, dev_id);
	if (!ret)
		ret = nb->ops->alloc_nested(nb->ctx, dev_id, nb->parent_id, type, data, len, &id);
	if (ret) {
		/* The guest can repeat a refused table at will: say it once. */
		if (!nb->alloc_failed_logged)
			pr_warn("nested: no HWPT for the guest's %s table at %#llx (dev %u): %s "
				"(ATTACH_TABLE answered UNSUPP; further refusals are not logged)",
				format_name(d->t.format), (unsigned long long)d->t.root, dev_id,
				strerror(-ret));
		nb->alloc_failed_logged = true;
		return ret == -ENOMEM ? ret : -EOPNOTSUPP;
	}
	d->hwpt_id = id;
	nb->hwpts++;
	pr_debug("nested: HWPT %u for %s table %#llx flags %#llx on parent %u (dev %u)", id,
		 format_name(d->t.format), (unsigned long long)d->t.root,
		 (unsigned long long)d->t.flags, nb->parent_id, dev_id);
	if (nb->obs && nb->obs->created)
		nb->obs->created(nb->obs->arg, id, &d->t);
	return 0;
}

static int nested_domain_alloc(void *ctx, bool bypass, void **domain)
{
	struct nested_domain *d;

	(void)ctx;
	if (bypass)
		return -EOPNOTSUPP; /* the model makes table domains only here */
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	*domain = d;
	return 0;
}

static void nested_domain_free(void *ctx, void *domain)
{
	struct nested_backend *nb = ctx;
	struct nested_domain *d = domain;
	int ret;

	if (!d)
		return;
	if (d->hwpt_id) {
		if (nb->obs && nb->obs->destroyed)
			nb->obs->destroyed(nb->obs->arg, d->hwpt_id);
		ret = nb->ops->destroy(nb->ctx, d->hwpt_id);
		if (ret)
			pr_err("nested: destroying HWPT %u: %s (a device still on it?)", d->hwpt_id,
			       strerror(-ret));
		else
			pr_debug("nested: HWPT %u destroyed", d->hwpt_id);
		nb->hwpts--;
	}
	free(d);
}

static int nested_set_table(void *ctx, void *domain, const struct viommu_table *t)
{
	struct nested_backend *nb = ctx;
	struct nested_domain *d = domain;

	d->t = *t;
	/* With a parent there is a dev_id to allocate with: refuse a bad table now. */
	return nb->parent_id ? alloc_hwpt(nb, d, nb->parent_dev) : 0;
}

static int nested_attach(void *ctx, void *domain, void *ep_opaque)
{
	struct nested_backend *nb = ctx;
	struct nested_domain *d = domain;
	struct ioas_endpoint *ep = ep_opaque;
	int ret;

	if (!d->hwpt_id) {
		ret = alloc_hwpt(nb, d, ep->dev_id);
		if (ret)
			return ret;
	}
	if (ep->cur_ioas == d->hwpt_id)
		return 0;
	ret = ep->attach_pt(ep->dev, d->hwpt_id);
	if (ret) {
		pr_warn("nested: %s: attach to HWPT %u: %s", ep->name ? ep->name : "endpoint",
			d->hwpt_id, strerror(-ret));
		return ret;
	}
	ep->cur_ioas = d->hwpt_id;
	return 0;
}

/* Entries for one HWPT_INVALIDATE, in the data type of the domain's format. */
union inval_entries {
	struct iommu_hwpt_vtd_s1_invalidate vtd[INVAL_CHUNK];
	struct iommu_hwpt_invalidate_selftest st[INVAL_CHUNK];
};

static uint32_t build_entries(const struct nested_domain *d, const struct viommu_inval *inv,
			      unsigned int n, union inval_entries *e, uint32_t *len)
{
	bool vtd = d->t.format == VIRTIO_IOMMU_FORMAT_VTD_S1;

	for (unsigned int i = 0; i < n; i++) {
		if (vtd)
			nested_vtd_inval_entry(&inv[i], &e->vtd[i]);
		else
			nested_selftest_inval_entry(&inv[i], &e->st[i]);
	}
	*len = vtd ? sizeof(e->vtd[0]) : sizeof(e->st[0]);
	return vtd ? IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 : IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
}

static int nested_invalidate(void *ctx, void *domain, const struct viommu_inval *inv,
			     unsigned int n, unsigned int *done)
{
	struct nested_backend *nb = ctx;
	struct nested_domain *d = domain;
	union inval_entries e;
	int ret = 0;

	*done = 0;
	if (!d->hwpt_id) {
		*done = n; /* nothing made, nothing cached */
		return 0;
	}
	while (*done < n && !ret) {
		uint32_t cnt = n - *done < INVAL_CHUNK ? n - *done : INVAL_CHUNK, num = cnt, len;
		uint32_t type = build_entries(d, inv + *done, cnt, &e, &len);

		ret = nb->ops->invalidate(nb->ctx, d->hwpt_id, type, &e, len, &num);
		if (ret && num >= cnt)
			num = cnt - 1; /* failed, yet says all were done: blame the last */
		__atomic_add_fetch(&nb->calls, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&nb->entries, cnt, __ATOMIC_RELAXED);
		pr_debug("nested: HWPT_INVALIDATE hwpt %u: %u entries, %u done: %s", d->hwpt_id,
			 cnt, num, ret ? strerror(-ret) : "ok");
		if (nb->obs && nb->obs->invalidated)
			nb->obs->invalidated(nb->obs->arg, d->hwpt_id, type, &e, cnt, num, ret);
		*done += num;
	}
	return ret;
}

static unsigned int nested_table_formats(void *ctx, void *ep_opaque,
					 struct viommu_table_format *out, unsigned int max)
{
	const struct nested_backend *nb = ctx;
	const struct ioas_endpoint *ep = ep_opaque;

	for (unsigned int i = 0; i < nb->neps; i++) {
		const struct nested_ep_info *info = &nb->eps[i];
		unsigned int n = info->n < max ? info->n : max;

		if (info->dev_id != ep->dev_id)
			continue;
		memcpy(out, info->f, n * sizeof(*out));
		return n;
	}
	return 0;
}

static const struct viommu_backend_ops nested_ops = {
	.name = "nested",
	.domain_alloc = nested_domain_alloc,
	.domain_free = nested_domain_free,
	.attach = nested_attach,
	/* no detach: the ioas backend's unattached moves the device off first */
	.table_formats = nested_table_formats,
	.set_table = nested_set_table,
	.invalidate = nested_invalidate,
};

/* ---- the real host ---- */

static int host_parent_ioas(void *ctx, uint32_t *ioas_id)
{
	return ioas_backend_identity(((struct nested_iommufd *)ctx)->ioas, ioas_id);
}

static int host_get_hw_info(void *ctx, uint32_t dev_id, struct iommufd_hw_info *info)
{
	return iommufd_get_hw_info(((struct nested_iommufd *)ctx)->fd, dev_id, info);
}

static int host_alloc_parent(void *ctx, uint32_t dev_id, uint32_t ioas_id, uint32_t *hwpt_id)
{
	return iommufd_hwpt_alloc(((struct nested_iommufd *)ctx)->fd, dev_id, ioas_id,
				  IOMMU_HWPT_ALLOC_NEST_PARENT, hwpt_id);
}

static int host_alloc_nested(void *ctx, uint32_t dev_id, uint32_t parent_id, uint32_t type,
			     const void *data, uint32_t len, uint32_t *hwpt_id)
{
	return iommufd_hwpt_alloc_nested(((struct nested_iommufd *)ctx)->fd, dev_id, parent_id,
					 type, data, len, hwpt_id);
}

static int host_invalidate(void *ctx, uint32_t hwpt_id, uint32_t type, const void *entries,
			   uint32_t entry_len, uint32_t *num)
{
	return iommufd_hwpt_invalidate(((struct nested_iommufd *)ctx)->fd, hwpt_id, type, entries,
				       entry_len, num);
}

static int host_destroy(void *ctx, uint32_t id)
{
	return iommufd_destroy(((struct nested_iommufd *)ctx)->fd, id);
}

const struct nested_host_ops nested_iommufd_ops = {
	.parent_ioas = host_parent_ioas,
	.get_hw_info = host_get_hw_info,
	.alloc_parent = host_alloc_parent,
	.alloc_nested = host_alloc_nested,
	.invalidate = host_invalidate,
	.destroy = host_destroy,
};

struct viommu_backend *nested_backend_create_host(const struct nested_host_ops *ops, void *ctx)
{
	struct nested_backend *nb = calloc(1, sizeof(*nb));

	if (!nb)
		return NULL;
	nb->be.ops = &nested_ops;
	nb->be.ctx = nb;
	nb->ops = ops;
	nb->ctx = ctx;
	return &nb->be;
}

struct viommu_backend *nested_backend_create(int fd, struct viommu_backend *ioas)
{
	struct viommu_backend *be = nested_backend_create_host(&nested_iommufd_ops, NULL);

	if (be) {
		to_nb(be)->own = (struct nested_iommufd){ .fd = fd, .ioas = ioas };
		to_nb(be)->ctx = &to_nb(be)->own;
	}
	return be;
}

void nested_backend_destroy(struct viommu_backend *be)
{
	struct nested_backend *nb = to_nb(be);
	int ret;

	if (!nb)
		return;
	if (nb->hwpts)
		pr_err("nested: %lu nested HWPTs still alive at teardown", nb->hwpts);
	if (nb->parent_id) {
		ret = nb->ops->destroy(nb->ctx, nb->parent_id);
		if (ret)
			pr_err("nested: destroying NEST_PARENT HWPT %u: %s", nb->parent_id,
			       strerror(-ret));
		else
			pr_debug("nested: NEST_PARENT HWPT %u destroyed", nb->parent_id);
	}
	free(nb);
}

int nested_backend_probe(struct viommu_backend *be, struct ioas_endpoint *ep, char *why,
			 size_t whylen)
{
	struct nested_backend *nb = to_nb(be);
	struct nested_ep_info info = { .dev_id = ep->dev_id };
	struct iommufd_hw_info hw;
	uint32_t ioas, scratch;
	int ret;

	snprintf(why, whylen, "?");
	if (nb->neps == MAX_EPS) {
		snprintf(why, whylen, "more than %d nesting endpoints", MAX_EPS);
		return -ENOSPC;
	}
	ret = nb->ops->get_hw_info(nb->ctx, ep->dev_id, &hw);
	if (ret) {
		snprintf(why, whylen, "IOMMU_GET_HW_INFO: %s", strerror(-ret));
		return ret;
	}
	info.n = nested_formats_from_hw_info(&hw, info.f, MAX_FORMATS);
	if (!info.n) {
		snprintf(why, whylen, "its IOMMU (type %#x) has no table format nestvm knows",
			 hw.type);
		return -EOPNOTSUPP;
	}
	if (!nb->parent_id) {
		ret = ensure_parent(nb, ep->dev_id);
	} else {
		/* The shared parent exists: a scratch one says whether this device nests too. */
		ret = nb->ops->parent_ioas(nb->ctx, &ioas);
		if (!ret)
			ret = nb->ops->alloc_parent(nb->ctx, ep->dev_id, ioas, &scratch);
		if (!ret)
			nb->ops->destroy(nb->ctx, scratch);
	}
	if (ret) {
		snprintf(why, whylen, "the host IOMMU refuses a NEST_PARENT HWPT: %s",
			 strerror(-ret));
		return ret;
	}
	nb->eps[nb->neps++] = info;
	snprintf(why, whylen, "ok");
	return 0;
}

void nested_backend_set_observer(struct viommu_backend *be, const struct nested_observer *obs)
{
	to_nb(be)->obs = obs;
}

void nested_backend_stats(const struct viommu_backend *be, struct nested_stats *out)
{
	const struct nested_backend *nb = to_nb(be);

	*out = (struct nested_stats){
		.hwpts = nb->hwpts,
		.invalidate_calls = __atomic_load_n(&nb->calls, __ATOMIC_RELAXED),
		.invalidate_entries = __atomic_load_n(&nb->entries, __ATOMIC_RELAXED),
		.parent_id = nb->parent_id,
	};
}
