// SPDX-License-Identifier: GPL-2.0
/*
 * The nested backend without /dev/iommu: the translations of nested_entries.c, and the backend
 * itself over a fake kernel (struct nested_host_ops) that records every call and fails where
 * told, alone and under the virtio-iommu model. The system test nested_backend runs the same
 * paths on the selftest mock.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "iommu/backend_nested.h"
#include "iommu/nested_entries.h"
#include "iommu/viommu.h"
#include "iommu/viommu_nested.h"
#include "unit.h"

/* ---- translations ---- */

START_TEST(vtd_entries)
{
	struct iommu_hwpt_vtd_s1_invalidate e;
	struct viommu_inval in = { .start = 0x200000, .end = 0x203fff, .leaf = true };

	nested_vtd_inval_entry(&in, &e);
	ck_assert_uint_eq(e.addr, 0x200000);
	ck_assert_uint_eq(e.npages, 4);
	ck_assert_uint_eq(e.flags, IOMMU_VTD_INV_FLAGS_LEAF);
	ck_assert_uint_eq(e.__reserved, 0);

	in = (struct viommu_inval){ .all = true };
	nested_vtd_inval_entry(&in, &e);
	ck_assert_uint_eq(e.addr, 0);
	ck_assert_uint_eq(e.npages, UINT64_MAX);
	ck_assert_uint_eq(e.flags, 0);

	/* The largest range the model lets through: up to the top, no wrap in the count. */
	in = (struct viommu_inval){ .start = 0x1000, .end = UINT64_MAX };
	nested_vtd_inval_entry(&in, &e);
	ck_assert_uint_eq(e.npages, (UINT64_MAX >> 12));
}
END_TEST

START_TEST(selftest_entries)
{
	struct iommu_hwpt_invalidate_selftest e;
	struct viommu_inval in = { .start = 0x3000, .end = 0x3fff };

	nested_selftest_inval_entry(&in, &e);
	ck_assert_uint_eq(e.flags, 0);
	ck_assert_uint_eq(e.iotlb_id, 3);
	/* only the first page counts, and the slot wraps every four pages */
	in = (struct viommu_inval){ .start = 0x14000, .end = 0x1ffff, .leaf = true };
	nested_selftest_inval_entry(&in, &e);
	ck_assert_uint_eq(e.iotlb_id, 0);
	in = (struct viommu_inval){ .all = true, .start = 0x3000 };
	nested_selftest_inval_entry(&in, &e);
	ck_assert_uint_eq(e.flags, IOMMU_TEST_INVALIDATE_FLAG_ALL);
	ck_assert_uint_eq(e.iotlb_id, 0);
}
END_TEST

START_TEST(table_data)
{
	struct viommu_table t = { .format = VIRTIO_IOMMU_FORMAT_VTD_S1,
				  .root = 0x123000,
				  .flags = VIRTIO_IOMMU_VTD_S1_SRE | VIRTIO_IOMMU_VTD_S1_WPE |
					   VIRTIO_IOMMU_VTD_S1_5LEVEL };
	struct iommu_hwpt_vtd_s1 vtd;
	struct iommu_hwpt_selftest st;

	nested_vtd_s1_data(&t, &vtd);
	ck_assert_uint_eq(vtd.flags, IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_WPE);
	ck_assert_uint_eq(vtd.pgtbl_addr, 0x123000);
	ck_assert_uint_eq(vtd.addr_width, 57);
	t.flags = VIRTIO_IOMMU_VTD_S1_EAFE;
	nested_vtd_s1_data(&t, &vtd);
	ck_assert_uint_eq(vtd.flags, IOMMU_VTD_S1_EAFE);
	ck_assert_uint_eq(vtd.addr_width, 48);

	t = (struct viommu_table){ .format = VIRTIO_IOMMU_FORMAT_SELFTEST, .flags = 0xcafe };
	nested_selftest_data(&t, &st);
	ck_assert_uint_eq(st.iotlb, 0xcafe);
}
END_TEST

START_TEST(mock_iotlb_model)
{
	uint32_t slot[4] = { 7, 7, 7, 7 };
	const struct iommu_hwpt_invalidate_selftest e[] = {
		{ .iotlb_id = 2 },
		{ .iotlb_id = 9 }, /* refused by the mock: no effect */
		{ .flags = 2, .iotlb_id = 0 }, /* unknown flag: refused too */
		{ .flags = IOMMU_TEST_INVALIDATE_FLAG_ALL },
	};

	nested_mock_iotlb_apply(slot, e, 3);
	ck_assert(slot[0] == 7 && slot[1] == 7 && slot[2] == 0 && slot[3] == 7);
	nested_mock_iotlb_apply(slot, e + 3, 1);
	ck_assert(!slot[0] && !slot[1] && !slot[2] && !slot[3]);
}
END_TEST

static struct iommufd_hw_info vtd_info(uint64_t cap, uint64_t ecap)
{
	struct iommufd_hw_info info = { .type = IOMMU_HW_INFO_TYPE_INTEL_VTD };
	struct iommu_hw_info_vtd vtd = { .cap_reg = cap, .ecap_reg = ecap };

	memcpy(info.data, &vtd, sizeof(vtd));
	info.data_len = sizeof(vtd);
	return info;
}

START_TEST(formats_from_hw_info)
{
	struct iommufd_hw_info info = vtd_info(0, 0);
	struct viommu_table_format f[2];

	ck_assert_uint_eq(nested_formats_from_hw_info(&info, f, 2), 1);
	ck_assert_uint_eq(f[0].format, VIRTIO_IOMMU_FORMAT_VTD_S1);
	ck_assert_uint_eq(f[0].address_bits, 48);
	ck_assert_uint_eq(f[0].caps, 0);
	ck_assert_uint_eq(f[0].pasid_bits, 0);
	ck_assert_uint_eq(f[0].page_sizes, 0x1000 | 0x200000);

	info = vtd_info(VTD_CAP_FL5LP | VTD_CAP_FL1GP, VTD_ECAP_SRS | VTD_ECAP_EAFS);
	ck_assert_uint_eq(nested_formats_from_hw_info(&info, f, 2), 1);
	ck_assert_uint_eq(f[0].address_bits, 57);
	ck_assert_uint_eq(f[0].caps, VIRTIO_IOMMU_VTD_CAP_5LEVEL | VIRTIO_IOMMU_VTD_CAP_1G |
					 VIRTIO_IOMMU_VTD_CAP_SRE | VIRTIO_IOMMU_VTD_CAP_EAFE);
	ck_assert_uint_eq(f[0].page_sizes, 0x1000 | 0x200000 | 0x40000000);

	/* a short VT-d answer, an unknown IOMMU, no room: no format */
	info.data_len = 8;
	ck_assert_uint_eq(nested_formats_from_hw_info(&info, f, 2), 0);
	info = (struct iommufd_hw_info){ .type = 77 };
	ck_assert_uint_eq(nested_formats_from_hw_info(&info, f, 2), 0);
	info = (struct iommufd_hw_info){ .type = IOMMU_HW_INFO_TYPE_SELFTEST };
	ck_assert_uint_eq(nested_formats_from_hw_info(&info, f, 0), 0);
	ck_assert_uint_eq(nested_formats_from_hw_info(&info, f, 2), 1);
	ck_assert_uint_eq(f[0].format, VIRTIO_IOMMU_FORMAT_SELFTEST);
}
END_TEST

/* ---- a fake kernel ---- */

static struct fake {
	uint32_t next_id;
	uint32_t hw_type;
	int parent_err; /* what NEST_PARENT answers */
	int fail_at; /* entry of each HWPT_INVALIDATE that fails with -EINVAL; -1: none */
	unsigned int parents, nested, destroyed, inval_calls;
	uint32_t last_destroyed, last_type, last_len, last_num, last_dev;
	struct iommu_hwpt_invalidate_selftest st[64];
	struct iommu_hwpt_selftest last_data;
} fk;

static int fake_parent_ioas(void *ctx, uint32_t *id)
{
	(void)ctx;
	*id = 1;
	return 0;
}

static int fake_hw_info(void *ctx, uint32_t dev_id, struct iommufd_hw_info *info)
{
	(void)ctx;
	(void)dev_id;
	memset(info, 0, sizeof(*info));
	info->type = fk.hw_type;
	return 0;
}

static int fake_alloc_parent(void *ctx, uint32_t dev_id, uint32_t ioas, uint32_t *id)
{
	(void)ctx;
	(void)dev_id;
	ck_assert_uint_eq(ioas, 1);
	if (fk.parent_err)
		return fk.parent_err;
	fk.parents++;
	*id = fk.next_id++;
	return 0;
}

static int fake_alloc_nested(void *ctx, uint32_t dev_id, uint32_t parent, uint32_t type,
			     const void *data, uint32_t len, uint32_t *id)
{
	(void)ctx;
	(void)parent;
	ck_assert_uint_eq(type, IOMMU_HWPT_DATA_SELFTEST);
	ck_assert_uint_eq(len, sizeof(fk.last_data));
	memcpy(&fk.last_data, data, len);
	fk.last_dev = dev_id;
	fk.nested++;
	*id = fk.next_id++;
	return 0;
}

static int fake_invalidate(void *ctx, uint32_t hwpt, uint32_t type, const void *entries,
			   uint32_t len, uint32_t *num)
{
	(void)ctx;
	(void)hwpt;
	fk.inval_calls++;
	fk.last_type = type;
	fk.last_len = len;
	fk.last_num = *num;
	ck_assert_uint_le(*num, 64);
	memcpy(fk.st, entries, *num * len);
	if (fk.fail_at >= 0 && (uint32_t)fk.fail_at < *num) {
		*num = fk.fail_at;
		fk.fail_at = -1; /* once */
		return -EINVAL;
	}
	return 0;
}

static int fake_destroy(void *ctx, uint32_t id)
{
	(void)ctx;
	fk.destroyed++;
	fk.last_destroyed = id;
	return 0;
}

static const struct nested_host_ops fake_ops = {
	.parent_ioas = fake_parent_ioas,
	.get_hw_info = fake_hw_info,
	.alloc_parent = fake_alloc_parent,
	.alloc_nested = fake_alloc_nested,
	.invalidate = fake_invalidate,
	.destroy = fake_destroy,
};

static uint32_t on_pt; /* where fake_attach_pt last put the device */

static int fake_attach_pt(void *dev, uint32_t pt)
{
	(void)dev;
	on_pt = pt;
	return 0;
}

static void fake_reset(void)
{
	memset(&fk, 0, sizeof(fk));
	fk.next_id = 10;
	fk.hw_type = IOMMU_HW_INFO_TYPE_SELFTEST;
	fk.fail_at = -1;
	on_pt = 0;
}

START_TEST(backend_over_a_fake_kernel)
{
	struct ioas_endpoint ep = { .attach_pt = fake_attach_pt, .dev_id = 5, .name = "fake" };
	struct ioas_endpoint other = { .attach_pt = fake_attach_pt, .dev_id = 6 };
	struct viommu_table t = { .format = VIRTIO_IOMMU_FORMAT_SELFTEST, .flags = 0xbeef };
	struct viommu_inval inv[70];
	struct viommu_table_format f[4];
	struct viommu_backend *be;
	const struct viommu_backend_ops *ops;
	struct nested_stats st;
	unsigned int done;
	void *dom;
	char why[128];

	fake_reset();
	be = nested_backend_create_host(&fake_ops, NULL);
	ck_assert_ptr_nonnull(be);
	ops = be->ops;
	/* Not probed: no formats, so the model refuses its tables. */
	ck_assert_uint_eq(ops->table_formats(be->ctx, &ep, f, 4), 0);
	ck_assert_int_eq(nested_backend_probe(be, &ep, why, sizeof(why)), 0);
	ck_assert_uint_eq(fk.parents, 1);
	ck_assert_uint_eq(ops->table_formats(be->ctx, &ep, f, 4), 1);
	ck_assert_uint_eq(f[0].format, VIRTIO_IOMMU_FORMAT_SELFTEST);
	ck_assert_uint_eq(ops->table_formats(be->ctx, &other, f, 4), 0);

	/* With a parent, set_table allocates at once; attach only moves the device. */
	ck_assert_int_eq(ops->domain_alloc(be->ctx, true, &dom), -EOPNOTSUPP);
	ck_assert_int_eq(ops->domain_alloc(be->ctx, false, &dom), 0);
	ck_assert_int_eq(ops->set_table(be->ctx, dom, &t), 0);
	ck_assert_uint_eq(fk.nested, 1);
	ck_assert_uint_eq(fk.last_data.iotlb, 0xbeef);
	ck_assert_uint_eq(fk.last_dev, 5);
	ck_assert_int_eq(ops->attach(be->ctx, dom, &ep), 0);
	ck_assert_uint_eq(on_pt, 11);
	ck_assert_uint_eq(ep.cur_ioas, 11);

	/* Five entries, one call, the kernel stops at entry 3. */
	for (int i = 0; i < 5; i++)
		inv[i] =
		    (struct viommu_inval){ .start = i * 0x1000ULL, .end = i * 0x1000ULL + 0xfff };
	inv[4].all = true;
	fk.fail_at = 3;
	ck_assert_int_eq(ops->invalidate(be->ctx, dom, inv, 5, &done), -EINVAL);
	ck_assert_uint_eq(done, 3);
	ck_assert_uint_eq(fk.inval_calls, 1);
	ck_assert_uint_eq(fk.last_type, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST);
	ck_assert_uint_eq(fk.last_len, sizeof(struct iommu_hwpt_invalidate_selftest));
	ck_assert_uint_eq(fk.last_num, 5);
	ck_assert_uint_eq(fk.st[2].iotlb_id, 2);
	ck_assert_uint_eq(fk.st[4].flags, IOMMU_TEST_INVALIDATE_FLAG_ALL);

	/* More than one call's worth goes in chunks of 64. */
	for (int i = 0; i < 70; i++)
		inv[i] = (struct viommu_inval){ .all = true };
	ck_assert_int_eq(ops->invalidate(be->ctx, dom, inv, 70, &done), 0);
	ck_assert_uint_eq(done, 70);
	ck_assert_uint_eq(fk.inval_calls, 3);
	ck_assert_uint_eq(fk.last_num, 6);
	nested_backend_stats(be, &st);
	ck_assert_uint_eq(st.invalidate_calls, 3);
	ck_assert_uint_eq(st.invalidate_entries, 75);
	ck_assert_uint_eq(st.hwpts, 1);
	ck_assert_uint_eq(st.parent_id, 10);

	ops->domain_free(be->ctx, dom);
	ck_assert_uint_eq(fk.last_destroyed, 11);
	nested_backend_destroy(be);
	ck_assert_uint_eq(fk.last_destroyed, 10);
	ck_assert_uint_eq(fk.destroyed, 2);
}
END_TEST

START_TEST(probe_reports_refusals)
{
	struct ioas_endpoint ep = { .attach_pt = fake_attach_pt, .dev_id = 5 };
	struct viommu_table t = { .format = VIRTIO_IOMMU_FORMAT_SELFTEST };
	struct viommu_backend *be;
	void *dom;
	char why[128];

	fake_reset();
	be = nested_backend_create_host(&fake_ops, NULL);
	fk.parent_err = -EOPNOTSUPP; /* the emulated VT-d */
	ck_assert_int_eq(nested_backend_probe(be, &ep, why, sizeof(why)), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(why, "NEST_PARENT"));
	fk.parent_err = 0;
	fk.hw_type = 77;
	ck_assert_int_eq(nested_backend_probe(be, &ep, why, sizeof(why)), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(why, "no table format"));

	/* No parent yet: the HWPT waits for the first attach and its dev_id; a refusal there. */
	ck_assert_int_eq(be->ops->domain_alloc(be->ctx, false, &dom), 0);
	ck_assert_int_eq(be->ops->set_table(be->ctx, dom, &t), 0);
	ck_assert_uint_eq(fk.nested, 0);
	fk.parent_err = -EOPNOTSUPP;
	ck_assert_int_eq(be->ops->attach(be->ctx, dom, &ep), -EOPNOTSUPP);
	ck_assert_uint_eq(on_pt, 0);
	fk.parent_err = 0;
	ck_assert_int_eq(be->ops->attach(be->ctx, dom, &ep), 0);
	ck_assert_uint_eq(fk.nested, 1);
	ck_assert_uint_eq(fk.last_dev, 5);
	be->ops->domain_free(be->ctx, dom);
	nested_backend_destroy(be);
	ck_assert_uint_eq(fk.destroyed, 2);
}
END_TEST

/* ---- under the model ---- */

static uint8_t send(struct viommu *v, const void *req, size_t len)
{
	uint8_t tail[4] = { 0xff };
	size_t rl = 0;

	ck_assert_int_eq(viommu_handle_request(v, req, len, tail, sizeof(tail), &rl), 0);
	return tail[0];
}

START_TEST(model_batch_with_a_failed_entry)
{
	struct ioas_endpoint ep = { .attach_pt = fake_attach_pt, .dev_id = 5 };
	struct virtio_iommu_req_attach_table at = { .head.type = VIRTIO_IOMMU_T_ATTACH_TABLE };
	struct virtio_iommu_req_invalidate r[8];
	const void *reqs[8];
	size_t lens[8];
	uint8_t status[8];
	struct viommu_backend *be;
	struct viommu_params p;
	static uint8_t ram[0x1000]; /* the table's root page: guest RAM in every format */
	struct gmem mem = { .regions = { { 0, sizeof(ram), ram } }, .count = 1 };
	struct nested_stats st;
	struct viommu_stats vs;
	struct viommu *v;
	char why[128];

	fake_reset();
	viommu_default_params(&p);
	v = viommu_create(&p, &mem);
	be = nested_backend_create_host(&fake_ops, NULL);
	ck_assert_int_eq(nested_backend_probe(be, &ep, why, sizeof(why)), 0);
	viommu_set_table_backend(v, VIOMMU_EP_VFIO, be);
	ck_assert_ptr_nonnull(viommu_add_endpoint(v, 0x200, VIOMMU_EP_VFIO, &ep));
	viommu_set_features(v, viommu_features(v));
	ck_assert(viommu_features(v) & 1ULL << VIRTIO_IOMMU_F_ATTACH_TABLE);

	at.domain = htole32(3);
	at.endpoint = htole32(0x200);
	at.format = htole16(VIRTIO_IOMMU_FORMAT_SELFTEST);
	at.format_flags = htole64(0x77);
	ck_assert_uint_eq(send(v, &at, sizeof(at) - 4), VIRTIO_IOMMU_S_OK);
	ck_assert_uint_eq(on_pt, 11);

	for (int i = 0; i < 8; i++) {
		r[i] = (struct virtio_iommu_req_invalidate){ .head.type = VIRTIO_IOMMU_T_INVALIDATE,
							     .domain = htole32(3),
							     .scope = VIRTIO_IOMMU_INVAL_S_RANGE,
							     .address = htole64(i * 0x1000ULL),
							     .size = htole64(0x1000) };
		reqs[i] = &r[i];
		lens[i] = sizeof(r[i]) - 4;
	}
	r[6].domain = htole32(9); /* no such domain: NOENT, and it splits nothing */
	fk.fail_at = 2;
	viommu_invalidate_batch(v, reqs, lens, 8, status);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(status[i], i == 2   ? VIRTIO_IOMMU_S_IOERR
					     : i == 6 ? VIRTIO_IOMMU_S_NOENT
						      : VIRTIO_IOMMU_S_OK);
	/* one call for the seven, then one for the four after the failed entry */
	ck_assert_uint_eq(fk.inval_calls, 2);
	ck_assert_uint_eq(fk.last_num, 4);
	ck_assert_uint_eq(fk.st[0].iotlb_id, 3);
	nested_backend_stats(be, &st);
	ck_assert_uint_eq(st.invalidate_entries, 11);
	/* The counters line's: 8 from the invalq, 2 answered with an error; 1 on the requestq. */
	ck_assert_uint_eq(send(v, &r[0], sizeof(r[0]) - 4), VIRTIO_IOMMU_S_OK);
	viommu_get_stats(v, &vs);
	ck_assert_uint_eq(vs.attach_table, 1);
	ck_assert_uint_eq(vs.inval_invalq, 8);
	ck_assert_uint_eq(vs.inval_requestq, 1);
	ck_assert_uint_eq(vs.errors, 2);
	ck_assert_uint_eq(vs.map + vs.unmap + vs.attach, 0);

	viommu_destroy(v); /* the domain goes, and its HWPT */
	ck_assert_uint_eq(fk.last_destroyed, 11);
	nested_backend_destroy(be);
}
END_TEST

Suite *nested_suite(void)
{
	Suite *s = suite_create("nested");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, vtd_entries);
	tcase_add_test(tc, selftest_entries);
	tcase_add_test(tc, table_data);
	tcase_add_test(tc, mock_iotlb_model);
	tcase_add_test(tc, formats_from_hw_info);
	tcase_add_test(tc, backend_over_a_fake_kernel);
	tcase_add_test(tc, probe_reports_refusals);
	tcase_add_test(tc, model_batch_with_a_failed_entry);
	suite_add_tcase(s, tc);
	return s;
}
