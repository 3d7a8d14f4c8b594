// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "iommu/iommufd.h"
#include "iommu/nested_entries.h"
#include "vmm/log.h"
#include "vmm/test_endpoint.h"

#define NSLOTS MOCK_NESTED_DOMAIN_IOTLB_NUM

static int test_attach_pt(void *dev, uint32_t pt_id)
{
	struct test_endpoint *te = dev;

	return mock_dev_replace(te->iommufd, &te->md, pt_id);
}

/* Guest RAM seen through the mock: only what lies inside its aperture. */
static void clip_to_aperture(const struct gmem *in, struct gmem *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < in->count && i < GMEM_MAX_REGIONS; i++) {
		const struct gmem_region *r = &in->regions[i];
		uint64_t lo = r->gpa > MOCK_APERTURE_START ? r->gpa : MOCK_APERTURE_START;
		uint64_t end = r->gpa + r->size - 1, hi;

		hi = end < MOCK_APERTURE_LAST ? end : MOCK_APERTURE_LAST;
		if (!r->size || !r->hva || lo > hi)
			continue;
		out->regions[out->count++] = (struct gmem_region){ .gpa = lo,
								   .size = hi - lo + 1,
								   .hva = r->hva + (lo - r->gpa) };
	}
}

static struct test_iotlb *find_iotlb(struct test_endpoint *te, uint32_t hwpt)
{
	for (int i = 0; i < TEST_ENDPOINT_HWPTS; i++)
		if (te->iotlb[i].hwpt == hwpt)
			return &te->iotlb[i];
	return NULL;
}

/* Checks every slot against what it must hold; MD_CHECK_IOTLB can only compare. */
static void verify(struct test_endpoint *te, const struct test_iotlb *t)
{
	for (int i = 0; i < NSLOTS; i++) {
		int ret = mock_check_iotlb(te->iommufd, t->hwpt, i, t->slot[i]);
		/* Which of the two values a slot can have is it? */
		uint32_t other = t->slot[i] ? 0 : t->initial;

		if (!ret)
			continue;
		if (!mock_check_iotlb(te->iommufd, t->hwpt, i, other))
			pr_err("mock iotlb: hwpt %u slot %d holds %#x, want %#x", t->hwpt, i, other,
			       t->slot[i]);
		else
			pr_err("mock iotlb: hwpt %u slot %d is not %#x: %s", t->hwpt, i, t->slot[i],
			       strerror(-ret));
		return;
	}
	pr_debug("mock iotlb: hwpt %u [%#x %#x %#x %#x] verified", t->hwpt, t->slot[0], t->slot[1],
		 t->slot[2], t->slot[3]);
}

static void on_created(void *arg, uint32_t hwpt, const struct viommu_table *t)
{
	struct test_endpoint *te = arg;
	struct test_iotlb *e = find_iotlb(te, 0);
	struct iommu_hwpt_selftest data;

	if (!e) {
		pr_warn("mock iotlb: more than %d HWPTs at once; hwpt %u is not tracked",
			TEST_ENDPOINT_HWPTS, hwpt);
		return;
	}
	nested_selftest_data(t, &data);
	e->hwpt = hwpt;
	e->initial = data.iotlb;
	for (int i = 0; i < NSLOTS; i++)
		e->slot[i] = data.iotlb;
	verify(te, e);
}

static void on_destroyed(void *arg, uint32_t hwpt)
{
	struct test_iotlb *e = find_iotlb(arg, hwpt);

	if (e)
		memset(e, 0, sizeof(*e));
}

static void on_invalidated(void *arg, uint32_t hwpt, uint32_t type, const void *entries, uint32_t n,
			   uint32_t done, int ret)
{
	struct test_endpoint *te = arg;
	struct test_iotlb *e = find_iotlb(te, hwpt);

	(void)n;
	(void)ret;
	if (!e || type != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST)
		return;
	/* The kernel handled the first @done entries, in order. */
	nested_mock_iotlb_apply(e->slot, entries, done);
	verify(te, e);
}

int test_endpoint_setup(struct test_endpoint *te, struct viommu *v, const struct gmem *mem)
{
	struct viommu_params params;
	struct viommu_endpoint *vep;
	uint32_t identity;
	char why[128];
	int ret;

	memset(te, 0, sizeof(*te));
	te->active = true;
	te->iommufd = iommufd_open(NULL);
	if (te->iommufd < 0) {
		ret = te->iommufd;
		pr_err("--viommu-test-endpoint: %s: %s (needs iommufd and CONFIG_IOMMUFD_TEST)",
		       IOMMUFD_PATH, strerror(-ret));
		return ret;
	}
	clip_to_aperture(mem, &te->mem);
	viommu_default_params(&params);
	te->ioas = ioas_backend_create(te->iommufd, &te->mem, params.max_mappings);
	te->nested = te->ioas ? nested_backend_create(te->iommufd, te->ioas) : NULL;
	if (!te->nested) {
		pr_err("--viommu-test-endpoint: out of memory");
		return -ENOMEM;
	}
	ret = ioas_backend_identity(te->ioas, &identity);
	if (ret)
		return ret; /* reported */
	ret = mock_dev_create(te->iommufd, identity, &te->md);
	if (ret) {
		pr_err("--viommu-test-endpoint: no iommufd selftest mock device: %s (the host "
		       "kernel needs CONFIG_IOMMUFD_TEST, and no IOMMU driver active)",
		       strerror(-ret));
		return ret;
	}
	te->has_md = true;
	te->ep = (struct ioas_endpoint){ .attach_pt = test_attach_pt,
					 .dev = te,
					 .name = "viommu test endpoint",
					 .dev_id = te->md.idev_id,
					 .cur_ioas = identity };
	ret = nested_backend_probe(te->nested, &te->ep, why, sizeof(why));
	if (ret) {
		pr_err("--viommu-test-endpoint: the mock device cannot nest: %s", why);
		return ret;
	}
	te->obs = (struct nested_observer){ .created = on_created,
					    .destroyed = on_destroyed,
					    .invalidated = on_invalidated,
					    .arg = te };
	nested_backend_set_observer(te->nested, &te->obs);
	viommu_set_backend(v, VIOMMU_EP_VFIO, te->ioas);
	viommu_set_table_backend(v, VIOMMU_EP_VFIO, te->nested);
	vep = viommu_add_endpoint(v, TEST_ENDPOINT_ID, VIOMMU_EP_VFIO, &te->ep);
	if (!vep) {
		ret = -errno;
		pr_err("--viommu-test-endpoint: cannot put it behind the virtio-iommu: %s",
		       strerror(-ret));
		return ret;
	}
	ret = ioas_backend_add_resv(te->ioas, &te->ep, vep);
	if (ret)
		return ret;
	pr_info("viommu test endpoint: id %#x, an iommufd selftest mock device (idev %u, "
		"stdev %u); with -d its nested HWPTs and, after each INVALIDATE, \"mock iotlb: "
		"hwpt H [s0 s1 s2 s3] verified\" are logged",
		TEST_ENDPOINT_ID, te->md.idev_id, te->md.stdev_id);
	return 0;
}

void test_endpoint_destroy(struct test_endpoint *te)
{
	int ret;

	if (!te->active)
		return;
	/* The device goes first: the IOASes and HWPTs below it cannot go while it is there. */
	if (te->has_md) {
		ret = iommufd_destroy(te->iommufd, te->md.stdev_id);
		if (ret)
			pr_err("--viommu-test-endpoint: destroying the mock device: %s",
			       strerror(-ret));
	}
	nested_backend_destroy(te->nested);
	if (te->ioas)
		ioas_backend_destroy(te->ioas);
	if (te->iommufd >= 0)
		close(te->iommufd);
	te->active = false;
}
