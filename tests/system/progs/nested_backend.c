// SPDX-License-Identifier: GPL-2.0
/*
 * The nested table backend on the iommufd selftest mock: a virtio-iommu model whose VFIO
 * endpoints are two mock devices with the ioas backend (MAP/UNMAP, no-domain state) and the
 * nested backend (tables), driven by real requests through viommu_handle_request() and
 * viommu_invalidate_batch(). Every effect is read back from the kernel: the HWPT the device is
 * on, the mock IOTLB slots (IOMMU_TEST_OP_MD_CHECK_IOTLB), HWPT ids that are gone.
 *
 * Then nestvm's --viommu-test-endpoint as nestvm builds it (vmm/test_endpoint.c), with debug
 * logging on: its "mock iotlb: ... verified" lines on stderr are what the scenario checks.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommu/backend_ioas.h"
#include "iommu/backend_nested.h"
#include "iommu/iommufd.h"
#include "iommu/iommufd_mock.h"
#include "iommu/uapi_compat.h"
#include "iommu/viommu.h"
#include "iommu/viommu_nested.h"
#include "vmm/log.h"
#include "vmm/test_endpoint.h"
#include "expect.h"
#include "viommu_reqs.h"

#define PAGE 0x1000ULL
#define RAM_SIZE (2ULL << 20)
#define GPA0 (1ULL << 24) /* guest RAM inside the mock aperture [16 MiB, 2 GiB) */
#define TAG 0x5eed
#define TAG2 0xcafe
#define NSLOTS MOCK_NESTED_DOMAIN_IOTLB_NUM

static int fd;
static struct viommu *v;
static struct viommu_backend *nested;

struct test_dev {
	struct mock_dev md;
	uint32_t pt; /* what attach_pt last put it on */
};

static int mock_attach_pt(void *dev, uint32_t pt_id)
{
	struct test_dev *d = dev;
	int ret = mock_dev_replace(fd, &d->md, pt_id);

	if (!ret)
		d->pt = pt_id;
	return ret;
}

/* ---- the kernel, with one entry made bad on request ---- */

static struct nested_iommufd host;
static struct nested_host_ops inject_ops;
static int fail_entry = -1; /* entry of the next SELFTEST HWPT_INVALIDATE the mock must refuse */

static int inject_invalidate(void *ctx, uint32_t hwpt_id, uint32_t type, const void *entries,
			     uint32_t entry_len, uint32_t *num)
{
	struct iommu_hwpt_invalidate_selftest e[64];

	if (fail_entry < 0 || type != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST ||
	    (uint32_t)fail_entry >= *num || *num > 64)
		return nested_iommufd_ops.invalidate(ctx, hwpt_id, type, entries, entry_len, num);
	memcpy(e, entries, *num * sizeof(e[0]));
	/* The mock refuses an iotlb_id above its last slot (EINVAL) and stops there. */
	e[fail_entry].iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
	fail_entry = -1;
	return nested_iommufd_ops.invalidate(ctx, hwpt_id, type, e, entry_len, num);
}

/* ---- watching the backend's HWPTs ---- */

static uint32_t last_created, last_destroyed;
static unsigned int nr_created, nr_destroyed;

static void on_created(void *arg, uint32_t id, const struct viommu_table *t)
{
	(void)arg;
	(void)t;
	last_created = id;
	nr_created++;
}

static void on_destroyed(void *arg, uint32_t id)
{
	(void)arg;
	last_destroyed = id;
	nr_destroyed++;
}

static const struct nested_observer observer = { .created = on_created, .destroyed = on_destroyed };

/* ---- requests ---- */

static uint8_t mock_table(uint32_t domain, uint32_t ep, uint32_t iotlb)
{
	return vreq_attach_table(v, domain, ep, VIRTIO_IOMMU_FORMAT_SELFTEST, GPA0, iotlb, 0, 0);
}

/* A RANGE of one page that names mock IOTLB slot @slot. */
static struct virtio_iommu_req_invalidate slot_req(uint32_t domain, unsigned int slot)
{
	return vreq_invalidate_req(domain, VIRTIO_IOMMU_INVAL_S_RANGE, 0x100000 + slot * PAGE,
				   PAGE);
}

/* Sends @n INVALIDATEs as one invalq batch; statuses into @status. */
static void batch(const struct virtio_iommu_req_invalidate *r, unsigned int n, uint8_t *status)
{
	const void *reqs[64];
	size_t lens[64];

	for (unsigned int i = 0; i < n; i++) {
		reqs[i] = &r[i];
		lens[i] = sizeof(r[i]) - sizeof(r[i].tail);
	}
	viommu_invalidate_batch(v, reqs, lens, n, status);
}

/* True when every mock IOTLB slot of @hwpt holds what @want[slot] says. */
static bool iotlb_is(uint32_t hwpt, const uint32_t want[NSLOTS])
{
	for (int i = 0; i < NSLOTS; i++)
		if (mock_check_iotlb(fd, hwpt, i, want[i]))
			return false;
	return true;
}

/* PROBE of @ep: the first TABLE_FORMAT property into @f; returns the status, 0xfe if none. */
static uint8_t probe_format(uint32_t ep, struct virtio_iommu_probe_table_format *f)
{
	struct virtio_iommu_req_probe r = { .head.type = VIRTIO_IOMMU_T_PROBE };
	uint8_t out[256 + 4];
	size_t rl = 0, at = 0;

	r.endpoint = htole32(ep);
	if (viommu_handle_request(v, &r, sizeof(r), out, sizeof(out), &rl) || out[256])
		return 0xff;
	while (at + 4 <= 256) {
		struct virtio_iommu_probe_property h;

		memcpy(&h, out + at, sizeof(h));
		if (!h.type)
			break;
		if (le16toh(h.type) == VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT) {
			memcpy(f, out + at, sizeof(*f));
			return 0;
		}
		at += sizeof(h) + le16toh(h.length);
	}
	return 0xfe;
}

static unsigned long calls(void)
{
	struct nested_stats s;

	nested_backend_stats(nested, &s);
	return s.invalidate_calls;
}

static unsigned long hwpts(void)
{
	struct nested_stats s;

	nested_backend_stats(nested, &s);
	return s.hwpts;
}

/* The test endpoint: ATTACH_TABLE and INVALIDATEs; its log says what the mock IOTLB holds. */
static void test_endpoint_phase(const struct gmem *mem)
{
	struct virtio_iommu_req_invalidate reqs[2] = { slot_req(20, 0), slot_req(20, 1) };
	struct viommu_params p;
	struct test_endpoint te;
	uint8_t status[2];
	int ret;

	log_debug_enabled = true;
	viommu_default_params(&p);
	v = viommu_create(&p, mem);
	REQUIRE(v, "viommu for the test endpoint");
	ret = test_endpoint_setup(&te, v, mem);
	REQUIRE(!ret, "test endpoint %#x set up (%s)", TEST_ENDPOINT_ID, strerror(-ret));
	viommu_set_features(v, viommu_features(v));
	EXPECT(mock_table(20, TEST_ENDPOINT_ID, TAG2) == VIRTIO_IOMMU_S_OK,
	       "test endpoint: ATTACH_TABLE to domain 20: OK");
	EXPECT(vreq_invalidate(v, 20, VIRTIO_IOMMU_INVAL_S_RANGE, 0x3000, PAGE) ==
		   VIRTIO_IOMMU_S_OK,
	       "test endpoint: INVALIDATE RANGE of slot 3: OK");
	viommu_invalidate_batch(v, (const void *[]){ &reqs[0], &reqs[1] },
				(size_t[]){ sizeof(reqs[0]) - 4, sizeof(reqs[1]) - 4 }, 2, status);
	EXPECT(!status[0] && !status[1], "test endpoint: a batch for slots 0 and 1: OK");
	EXPECT(vreq_invalidate(v, 20, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0) == VIRTIO_IOMMU_S_OK,
	       "test endpoint: INVALIDATE DOMAIN: OK");
	EXPECT(vreq_detach(v, 20, TEST_ENDPOINT_ID) == VIRTIO_IOMMU_S_OK,
	       "test endpoint: DETACH: OK");
	viommu_destroy(v);
	test_endpoint_destroy(&te);
	log_debug_enabled = false;
}

int main(void)
{
	const uint32_t tagged[NSLOTS] = { TAG, TAG, TAG, TAG };
	struct test_dev da = { 0 }, db = { 0 };
	struct ioas_endpoint ea = { .attach_pt = mock_attach_pt, .dev = &da, .name = "mock A" };
	struct ioas_endpoint eb = { .attach_pt = mock_attach_pt, .dev = &db, .name = "mock B" };
	struct virtio_iommu_req_invalidate reqs[32];
	struct virtio_iommu_probe_table_format f;
	int fds_before = count_open_fds(), ret;
	uint32_t tmp, identity = 0, h10, h12, h13;
	uint8_t status[32];
	struct viommu_backend *ioas;
	struct viommu_params p;
	struct nested_stats st;
	struct gmem mem = { 0 };
	unsigned long c0;
	char why[128];
	uint8_t *ram;
	bool ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = iommufd_open(NULL);
	REQUIRE(fd >= 0, "open %s (%s)", IOMMUFD_PATH, fd < 0 ? strerror(-fd) : "ok");
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(ram != MAP_FAILED, "2 MiB of fake guest RAM");
	mem.regions[0] = (struct gmem_region){ .gpa = GPA0, .size = RAM_SIZE, .hva = ram };
	mem.count = 1;

	ret = iommufd_ioas_alloc(fd, &tmp);
	REQUIRE(!ret, "IOMMU_IOAS_ALLOC (%s)", strerror(-ret));
	ret = mock_dev_create(fd, tmp, &da.md) ?: mock_dev_create(fd, tmp, &db.md);
	REQUIRE(!ret, "two selftest mock devices (%s)", strerror(-ret));
	da.pt = db.pt = tmp;
	ea.dev_id = da.md.idev_id;
	eb.dev_id = db.md.idev_id;

	ioas = ioas_backend_create(fd, &mem, 4096);
	REQUIRE(ioas, "ioas backend");
	host = (struct nested_iommufd){ .fd = fd, .ioas = ioas };
	inject_ops = nested_iommufd_ops;
	inject_ops.invalidate = inject_invalidate;
	nested = nested_backend_create_host(&inject_ops, &host);
	REQUIRE(nested, "nested backend");
	nested_backend_set_observer(nested, &observer);
	viommu_default_params(&p);
	v = viommu_create(&p, &mem);
	REQUIRE(v, "viommu");
	viommu_set_backend(v, VIOMMU_EP_VFIO, ioas);
	REQUIRE(viommu_add_endpoint(v, 1, VIOMMU_EP_VFIO, &ea) &&
		    viommu_add_endpoint(v, 2, VIOMMU_EP_VFIO, &eb),
		"two VFIO endpoints registered");
	ret = ioas_backend_identity(ioas, &identity);
	REQUIRE(!ret, "identity IOAS %u", identity);
	ret = iommufd_destroy(fd, tmp);
	EXPECT(!ret, "the devices left their first IOAS (%s)", strerror(-ret));

	/* Offered already: the model's emulated backend takes tables for emulated devices. */
	EXPECT(viommu_features(v) & 1ULL << VIRTIO_IOMMU_F_ATTACH_TABLE,
	       "ATTACH_TABLE offered (emulated endpoints walk tables)");
	ret = nested_backend_probe(nested, &ea, why, sizeof(why));
	EXPECT(!ret, "probe: mock A nests (%s)", why);
	nested_backend_stats(nested, &st);
	EXPECT(st.parent_id && st.hwpts == 0, "probe made the NEST_PARENT HWPT %u", st.parent_id);
	ret = nested_backend_probe(nested, &eb, why, sizeof(why));
	EXPECT(!ret, "probe: mock B nests too (%s), on a scratch parent", why);
	nested_backend_stats(nested, &st);
	viommu_set_table_backend(v, VIOMMU_EP_VFIO, nested);
	EXPECT(viommu_features(v) & 1ULL << VIRTIO_IOMMU_F_ATTACH_TABLE,
	       "with the nested backend the device offers ATTACH_TABLE");
	viommu_set_features(v, viommu_features(v));

	/* PROBE */
	ret = probe_format(1, &f);
	EXPECT(!ret && le16toh(f.format) == VIRTIO_IOMMU_FORMAT_SELFTEST && f.pasid_bits == 0,
	       "PROBE: a TABLE_FORMAT property, format SELFTEST, no PASIDs (status %#x, format "
	       "%#x)",
	       ret, ret ? 0 : le16toh(f.format));

	/* ATTACH_TABLE: nested HWPT on the parent, the device on it, its IOTLB the table's. */
	EXPECT(mock_table(10, 1, TAG) == VIRTIO_IOMMU_S_OK, "ATTACH_TABLE A to domain 10: OK");
	h10 = last_created;
	EXPECT(nr_created == 1 && hwpts() == 1, "one nested HWPT made: %u", h10);
	EXPECT(da.pt == h10, "mock A is on HWPT %u (on %u)", h10, da.pt);
	EXPECT(iotlb_is(h10, tagged), "its mock IOTLB holds the table's value %#x in all slots",
	       TAG);
	ret = iommufd_destroy(fd, st.parent_id);
	EXPECT(ret == -EBUSY, "the NEST_PARENT is in use under it (%s)", strerror(-ret));

	/* INVALIDATE */
	EXPECT(vreq_invalidate(v, 10, VIRTIO_IOMMU_INVAL_S_RANGE, 0x7000 + 0x2000, PAGE) ==
		   VIRTIO_IOMMU_S_OK,
	       "INVALIDATE RANGE [0x9000, +4K): OK");
	EXPECT(iotlb_is(h10, (uint32_t[]){ TAG, 0, TAG, TAG }),
	       "it flushed exactly slot (0x9000 >> 12) & 3 = 1");
	EXPECT(vreq_invalidate(v, 10, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0) == VIRTIO_IOMMU_S_OK,
	       "INVALIDATE DOMAIN: OK");
	EXPECT(iotlb_is(h10, (uint32_t[]){ 0, 0, 0, 0 }), "it flushed every slot");

	/* Two endpoints, one domain: one HWPT. */
	EXPECT(mock_table(10, 2, TAG) == VIRTIO_IOMMU_S_OK, "ATTACH_TABLE B to domain 10: OK");
	EXPECT(nr_created == 1 && hwpts() == 1 && db.pt == h10,
	       "B joined A on HWPT %u, no new HWPT (B on %u)", h10, db.pt);
	EXPECT(mock_table(10, 2, TAG2) == VIRTIO_IOMMU_S_INVAL,
	       "another table for domain 10: INVAL");

	/* A batch of 32 on a fresh HWPT: one HWPT_INVALIDATE. */
	EXPECT(mock_table(12, 1, TAG) == VIRTIO_IOMMU_S_OK, "ATTACH_TABLE A to domain 12: OK");
	h12 = last_created;
	EXPECT(h12 != h10 && da.pt == h12 && db.pt == h10 && hwpts() == 2,
	       "A moved to its own HWPT %u, B stayed on %u", h12, h10);
	for (int i = 0; i < 32; i++)
		reqs[i] = slot_req(12, i % 3);
	c0 = calls();
	batch(reqs, 32, status);
	ok = true;
	for (int i = 0; i < 32; i++)
		ok &= status[i] == VIRTIO_IOMMU_S_OK;
	EXPECT(ok, "a batch of 32 INVALIDATE RANGEs: all OK");
	EXPECT(calls() - c0 == 1, "it was one IOMMU_HWPT_INVALIDATE call (%lu)", calls() - c0);
	EXPECT(iotlb_is(h12, (uint32_t[]){ 0, 0, 0, TAG }), "slots 0-2 flushed, slot 3 kept");

	/* A batch whose entry 5 the kernel refuses: IOERR for request 5 alone. */
	EXPECT(mock_table(13, 1, TAG) == VIRTIO_IOMMU_S_OK, "ATTACH_TABLE A to domain 13: OK");
	h13 = last_created;
	EXPECT(nr_destroyed == 1 && last_destroyed == h12 && hwpts() == 2 &&
		   mock_check_iotlb(fd, h12, 0, 0) == -ENOENT,
	       "domain 12 lost its last endpoint: HWPT %u destroyed", h12);
	{
		const unsigned int slots[8] = { 0, 1, 2, 0, 1, 3, 2, 0 };

		for (int i = 0; i < 8; i++)
			reqs[i] = slot_req(13, slots[i]);
	}
	fail_entry = 5;
	c0 = calls();
	batch(reqs, 8, status);
	ok = status[5] == VIRTIO_IOMMU_S_IOERR;
	for (int i = 0; i < 8; i++)
		ok &= i == 5 || status[i] == VIRTIO_IOMMU_S_OK;
	EXPECT(ok, "the kernel failed entry 5 of 8: IOERR for request 5, OK for the others");
	EXPECT(calls() - c0 == 2, "two calls: the batch up to the failure, then the rest (%lu)",
	       calls() - c0);
	EXPECT(iotlb_is(h13, (uint32_t[]){ 0, 0, 0, TAG }),
	       "slot 3 (only request 5 named it) kept, the others flushed");

	/* Bad inputs. */
	EXPECT(vreq_attach_table(v, 14, 1, 0x42, GPA0, 0, 0, 0) == VIRTIO_IOMMU_S_INVAL,
	       "ATTACH_TABLE with a format nobody knows: INVAL");
	EXPECT(vreq_attach_table(v, 14, 1, VIRTIO_IOMMU_FORMAT_VTD_S1, GPA0, 0, 0, 0) ==
		   VIRTIO_IOMMU_S_UNSUPP,
	       "ATTACH_TABLE VT-d S1 to the mock, which did not report it: UNSUPP");
	EXPECT(vreq_attach_table(v, 14, 1, VIRTIO_IOMMU_FORMAT_SELFTEST, GPA0, TAG,
				 VIRTIO_IOMMU_TABLE_F_PASID, 1) == VIRTIO_IOMMU_S_RANGE,
	       "ATTACH_TABLE with a PASID (pasid_bits 0): RANGE");
	EXPECT(vreq_attach_table(v, 99, 7, VIRTIO_IOMMU_FORMAT_SELFTEST, GPA0, TAG, 0, 0) ==
		   VIRTIO_IOMMU_S_NOENT,
	       "ATTACH_TABLE of an unknown endpoint: NOENT");
	EXPECT(vreq_invalidate(v, 77, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0) == VIRTIO_IOMMU_S_NOENT,
	       "INVALIDATE of an unknown domain: NOENT");
	EXPECT(vreq_invalidate(v, 13, VIRTIO_IOMMU_INVAL_S_RANGE, 0x1000, 0) ==
		   VIRTIO_IOMMU_S_INVAL,
	       "INVALIDATE RANGE of size 0: INVAL");
	EXPECT(da.pt == h13 && nr_created == 3 && hwpts() == 2,
	       "no bad request moved A or made a HWPT");

	/* DETACH: the domain and its HWPT go away, the devices go back to identity. */
	EXPECT(vreq_detach(v, 13, 1) == VIRTIO_IOMMU_S_OK, "DETACH A from domain 13: OK");
	EXPECT(da.pt == identity && last_destroyed == h13 &&
		   mock_check_iotlb(fd, h13, 0, 0) == -ENOENT,
	       "A is back on the identity IOAS and HWPT %u is gone", h13);
	EXPECT(vreq_invalidate(v, 13, VIRTIO_IOMMU_INVAL_S_DOMAIN, 0, 0) == VIRTIO_IOMMU_S_NOENT,
	       "INVALIDATE of the detached domain: NOENT");
	EXPECT(vreq_detach(v, 10, 2) == VIRTIO_IOMMU_S_OK && db.pt == identity && hwpts() == 0 &&
		   nr_destroyed == 3,
	       "DETACH B: domain 10 and HWPT %u gone too", h10);

	/* Teardown: nothing the backends made is left. */
	viommu_destroy(v);
	ret = iommufd_destroy(fd, da.md.stdev_id) ?: iommufd_destroy(fd, db.md.stdev_id);
	EXPECT(!ret, "mock devices destroyed (%s)", strerror(-ret));
	nested_backend_destroy(nested);
	EXPECT(iommufd_destroy(fd, st.parent_id) == -ENOENT,
	       "the backend destroyed its NEST_PARENT");
	ioas_backend_destroy(ioas);
	EXPECT(iommufd_destroy(fd, identity) == -ENOENT, "and the ioas backend its identity IOAS");
	close(fd);
	test_endpoint_phase(&mem);
	munmap(ram, RAM_SIZE);
	EXPECT(count_open_fds() == fds_before, "no fd leaked");
	return expect_exit();
}
