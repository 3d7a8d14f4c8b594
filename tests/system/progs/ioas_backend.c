// SPDX-License-Identifier: GPL-2.0
/*
 * The ioas backend on the iommufd selftest mock: a virtio-iommu model whose VFIO endpoints are
 * two mock devices, driven by real requests through viommu_handle_request(), with every effect
 * read back from the kernel (IOMMU_TEST_OP_MD_CHECK_MAP on the device's HWPT, UNMAP answers,
 * IOAS ids), and IOMMU_IOAS_MAP/UNMAP/ALLOC failures injected (vmm/fault_inject.h) each
 * answered with its status and nothing left half done. Then MAP+UNMAP of 4 KiB through the
 * model against the raw ioctls, same IOAS.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "iommu/backend_ioas.h"
#include "iommu/iommufd.h"
#include "iommu/iommufd_mock.h"
#include "iommu/uapi_compat.h"
#include "iommu/viommu.h"
#include "vmm/fault_inject.h"
#include "viommu_reqs.h"
#include "expect.h"

#define PAGE 0x1000ULL
#define RAM_SIZE (2ULL << 20)
#define GPA0 (1ULL << 24) /* guest RAM inside the mock aperture [16 MiB, 2 GiB) */
#define GPA1 (GPA0 + RAM_SIZE) /* a second region right after it, elsewhere in our memory */
#define IOVA 0x40000000ULL
#define RW (VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)
#define BENCH_ROUNDS 2000

static int fd;
static struct viommu *v;

/* A mock device as the VMM would hold a VFIO device. */
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

/* PROBE of @ep: the RESV_MEM properties into @m (up to 10); returns the status. */
static uint8_t probe(uint32_t ep, struct virtio_iommu_probe_resv_mem *m)
{
	struct virtio_iommu_req_probe r = { .head.type = VIRTIO_IOMMU_T_PROBE };
	uint8_t out[256 + 4];
	size_t rl = 0;

	r.endpoint = htole32(ep);
	if (viommu_handle_request(v, &r, sizeof(r), out, sizeof(out), &rl))
		return 0xff;
	memcpy(m, out, 10 * sizeof(*m));
	return out[256];
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bench(uint32_t domain, uint32_t ioas, uint8_t *ram)
{
	double t0, t_model, t_raw;
	int bad = 0, ret;

	t0 = now();
	for (int i = 0; i < BENCH_ROUNDS; i++) {
		bad += vreq_map(v, domain, IOVA, IOVA + PAGE - 1, GPA0, RW) != VIRTIO_IOMMU_S_OK;
		bad += vreq_unmap(v, domain, IOVA, IOVA + PAGE - 1) != VIRTIO_IOMMU_S_OK;
	}
	t_model = now() - t0;
	t0 = now();
	for (int i = 0; i < BENCH_ROUNDS; i++) {
		ret = iommufd_ioas_map(fd, ioas, ram, PAGE, IOVA + (1ULL << 20), true);
		bad += ret != 0;
		ret = iommufd_ioas_unmap(fd, ioas, IOVA + (1ULL << 20), PAGE, NULL);
		bad += ret != 0;
	}
	t_raw = now() - t0;
	EXPECT(!bad, "benchmark: %d rounds each way, every request succeeded", BENCH_ROUNDS);
	printf("bench: MAP+UNMAP 4 KiB, same IOAS, %d rounds each\n", BENCH_ROUNDS);
	printf("bench:   through viommu_handle_request: %8.0f pairs/s  %6.2f us/pair\n",
	       BENCH_ROUNDS / t_model, t_model / BENCH_ROUNDS * 1e6);
	printf("bench:   raw IOMMU_IOAS_MAP/UNMAP:      %8.0f pairs/s  %6.2f us/pair\n",
	       BENCH_ROUNDS / t_raw, t_raw / BENCH_ROUNDS * 1e6);
	printf("bench:   model overhead: %.2f us/pair (%.0f%%)\n",
	       (t_model - t_raw) / BENCH_ROUNDS * 1e6, (t_model / t_raw - 1) * 100);
}

int main(void)
{
	const size_t off_bypass = offsetof(struct virtio_iommu_config, bypass);
	struct test_dev da = { 0 }, db = { 0 };
	struct ioas_endpoint ea = { .attach_pt = mock_attach_pt, .dev = &da, .name = "mock A" };
	struct ioas_endpoint eb = { .attach_pt = mock_attach_pt, .dev = &db, .name = "mock B" };
	struct virtio_iommu_probe_resv_mem m[10];
	int fds_before = count_open_fds(), ret;
	uint32_t tmp, identity = 0, dom1_ioas, blocked;
	struct viommu_endpoint *va, *vb;
	struct viommu_backend *be;
	struct ioas_stats st;
	struct viommu_params p;
	struct gmem mem = { 0 };
	uint8_t *ram0, *ram1;
	char err[512];

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = iommufd_open(NULL);
	REQUIRE(fd >= 0, "open %s (%s)", IOMMUFD_PATH, fd < 0 ? strerror(-fd) : "ok");
	ram0 = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ram1 = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(ram0 != MAP_FAILED && ram1 != MAP_FAILED, "2 x 2 MiB of fake guest RAM");
	memset(ram0, 1, RAM_SIZE);
	memset(ram1, 2, RAM_SIZE);
	mem.regions[0] = (struct gmem_region){ .gpa = GPA0, .size = RAM_SIZE, .hva = ram0 };
	mem.regions[1] = (struct gmem_region){ .gpa = GPA1, .size = RAM_SIZE, .hva = ram1 };
	mem.count = 2;

	/* Two mock devices, born on a temporary IOAS, as a VFIO device is bound before use. */
	ret = iommufd_ioas_alloc(fd, &tmp);
	REQUIRE(!ret, "IOMMU_IOAS_ALLOC (%s)", strerror(-ret));
	ret = mock_dev_create(fd, tmp, &da.md) ?: mock_dev_create(fd, tmp, &db.md);
	REQUIRE(!ret, "two selftest mock devices (%s)", strerror(-ret));
	da.pt = db.pt = tmp;

	be = ioas_backend_create(fd, &mem, 4096);
	REQUIRE(be, "ioas backend");
	viommu_default_params(&p);
	v = viommu_create(&p, &mem);
	REQUIRE(v, "viommu");
	viommu_set_backend(v, VIOMMU_EP_VFIO, be);
	va = viommu_add_endpoint(v, 1, VIOMMU_EP_VFIO, &ea);
	vb = viommu_add_endpoint(v, 2, VIOMMU_EP_VFIO, &eb);
	REQUIRE(va && vb, "two VFIO endpoints registered");
	ret = ioas_backend_identity(be, &identity);
	EXPECT(!ret && da.pt == identity && db.pt == identity,
	       "config.bypass 1: unattached devices are on the identity IOAS %u", identity);
	EXPECT(!mock_check_map(fd, da.md.hwpt_id, GPA0, RAM_SIZE, ram0) &&
		   !mock_check_map(fd, da.md.hwpt_id, GPA1, RAM_SIZE, ram1),
	       "identity: all of guest RAM at IOVA = GPA in the device's HWPT");
	ret = iommufd_destroy(fd, tmp);
	EXPECT(!ret, "the temporary IOAS is free once the devices left it (%s)", strerror(-ret));

	/* Reserved regions from the mock's aperture. */
	ret = ioas_backend_add_resv(be, &ea, va);
	EXPECT(!ret && da.pt == identity, "holes of device A read and reported (%s)",
	       strerror(-ret));
	EXPECT(probe(1, m) == VIRTIO_IOMMU_S_OK && m[0].subtype == VIRTIO_IOMMU_RESV_MEM_T_MSI &&
		   m[1].subtype == VIRTIO_IOMMU_RESV_MEM_T_RESERVED && le64toh(m[1].start) == 0 &&
		   le64toh(m[1].end) == MOCK_APERTURE_START - 1 &&
		   le64toh(m[2].start) == MOCK_APERTURE_LAST + 1ULL &&
		   le64toh(m[2].end) == VIOMMU_MSI_START - 1 &&
		   le64toh(m[3].start) == VIOMMU_MSI_END + 1 &&
		   le64toh(m[3].end) == (1ULL << 48) - 1 && m[4].head.type == 0,
	       "PROBE: MSI doorbell, then RESERVED [0, %#llx], [%#llx, %#llx], [%#llx, 2^48-1]",
	       (unsigned long long)MOCK_APERTURE_START - 1,
	       (unsigned long long)MOCK_APERTURE_LAST + 1, VIOMMU_MSI_START - 1,
	       VIOMMU_MSI_END + 1);

	/* ATTACH: both endpoints in domain 1 share one IOAS. */
	EXPECT(vreq_attach(v, 1, 1, 0) == VIRTIO_IOMMU_S_OK, "ATTACH endpoint 1 to domain 1");
	dom1_ioas = da.pt;
	EXPECT(dom1_ioas && dom1_ioas != identity, "device A is on domain 1's IOAS %u", dom1_ioas);
	EXPECT(mock_check_map(fd, da.md.hwpt_id, GPA0, PAGE, ram0) == -EINVAL,
	       "a fresh domain maps nothing (identity gone from the device)");
	EXPECT(vreq_attach(v, 1, 2, 0) == VIRTIO_IOMMU_S_OK && db.pt == dom1_ioas,
	       "ATTACH endpoint 2 to domain 1: the same IOAS");

	/* MAP across the two RAM regions: two kernel maps, one mapping. */
	EXPECT(vreq_map(v, 1, IOVA, IOVA + 2 * PAGE - 1, GPA1 - PAGE, RW) == VIRTIO_IOMMU_S_OK,
	       "MAP 8 KiB over the boundary of the two RAM regions");
	EXPECT(!mock_check_map(fd, da.md.hwpt_id, IOVA, PAGE, ram0 + RAM_SIZE - PAGE) &&
		   !mock_check_map(fd, da.md.hwpt_id, IOVA + PAGE, PAGE, ram1),
	       "device A translates both pages to the right host pages");
	EXPECT(!mock_check_map(fd, db.md.hwpt_id, IOVA, PAGE, ram0 + RAM_SIZE - PAGE) &&
		   !mock_check_map(fd, db.md.hwpt_id, IOVA + PAGE, PAGE, ram1),
	       "so does device B");
	EXPECT(ioas_backend_count(be) == 1, "one mapping held");
	ioas_backend_stats(be, &st);
	EXPECT(st.maps == 2 && st.unmaps == 0, "counted: %lu IOMMU_IOAS_MAPs (want 2), %lu unmaps",
	       st.maps, st.unmaps);

	/* Errors. */
	EXPECT(vreq_map(v, 1, IOVA + PAGE, IOVA + 3 * PAGE - 1, GPA0, RW) == VIRTIO_IOMMU_S_INVAL,
	       "MAP overlapping a mapping: INVAL");
	EXPECT(vreq_map(v, 1, 0x1000, 0x1fff, GPA0, RW) == VIRTIO_IOMMU_S_INVAL,
	       "MAP into device A's reserved hole: INVAL");
	EXPECT(vreq_map(v, 1, IOVA + 16 * PAGE, IOVA + 17 * PAGE - 1, GPA0,
			RW | VIRTIO_IOMMU_MAP_F_MMIO) == VIRTIO_IOMMU_S_UNSUPP,
	       "MAP with MMIO for VFIO endpoints: UNSUPP");
	EXPECT(vreq_map(v, 1, IOVA + 16 * PAGE, IOVA + 17 * PAGE - 1, GPA1 + RAM_SIZE, RW) ==
		   VIRTIO_IOMMU_S_RANGE,
	       "MAP of memory that is not guest RAM: RANGE");
	EXPECT(vreq_unmap(v, 1, IOVA, IOVA + PAGE - 1) == VIRTIO_IOMMU_S_RANGE,
	       "UNMAP splitting the mapping: RANGE");
	EXPECT(!mock_check_map(fd, da.md.hwpt_id, IOVA, PAGE, ram0 + RAM_SIZE - PAGE),
	       "and it is still mapped in the kernel");

	/* UNMAP. */
	EXPECT(vreq_unmap(v, 1, IOVA - PAGE, IOVA + 4 * PAGE - 1) == VIRTIO_IOMMU_S_OK,
	       "UNMAP a range holding the mapping");
	EXPECT(mock_check_map(fd, da.md.hwpt_id, IOVA, PAGE, ram0 + RAM_SIZE - PAGE) == -EINVAL &&
		   mock_check_map(fd, da.md.hwpt_id, IOVA + PAGE, PAGE, ram1) == -EINVAL,
	       "the device no longer translates it");
	ret = iommufd_ioas_unmap(fd, dom1_ioas, IOVA, 2 * PAGE, NULL);
	EXPECT(ret == -ENOENT, "the IOAS holds nothing there (IOMMU_IOAS_UNMAP: %s)",
	       strerror(-ret));
	EXPECT(ioas_backend_count(be) == 0, "no mapping held");
	ioas_backend_stats(be, &st);
	EXPECT(st.maps == 2 && st.unmaps == 1,
	       "counted: the errors cost no IOMMU_IOAS_MAP (%lu), the UNMAP one unmap (%lu)",
	       st.maps, st.unmaps);
	EXPECT(vreq_unmap(v, 1, IOVA, IOVA + PAGE - 1) == VIRTIO_IOMMU_S_OK,
	       "UNMAP of nothing: OK");
	/* Several mappings, one with no access (never in the kernel), gone in one UNMAP. */
	EXPECT(vreq_map(v, 1, IOVA, IOVA + PAGE - 1, GPA0, VIRTIO_IOMMU_MAP_F_READ) ==
		       VIRTIO_IOMMU_S_OK &&
		   vreq_map(v, 1, IOVA + PAGE, IOVA + 2 * PAGE - 1, GPA0, 0) == VIRTIO_IOMMU_S_OK &&
		   vreq_map(v, 1, IOVA + 4 * PAGE, IOVA + 8 * PAGE - 1, GPA1, RW) ==
		       VIRTIO_IOMMU_S_OK,
	       "three MAPs (read-only, no access, read-write)");
	EXPECT(!mock_check_map(fd, da.md.hwpt_id, IOVA, PAGE, ram0) &&
		   mock_check_map(fd, da.md.hwpt_id, IOVA + PAGE, PAGE, ram0) == -EINVAL &&
		   !mock_check_map(fd, da.md.hwpt_id, IOVA + 4 * PAGE, 4 * PAGE, ram1),
	       "the kernel maps the two with access, not the one without");
	EXPECT(vreq_unmap(v, 1, 0, (1ULL << 48) - 1) == VIRTIO_IOMMU_S_OK &&
		   ioas_backend_count(be) == 0 &&
		   mock_check_map(fd, da.md.hwpt_id, IOVA, PAGE, ram0) == -EINVAL &&
		   mock_check_map(fd, da.md.hwpt_id, IOVA + 4 * PAGE, PAGE, ram1) == -EINVAL,
	       "UNMAP of the whole input range takes them all");

	/* Kernel failures, injected (vmm/fault_inject.h): each reaches the guest as a status. */
	EXPECT(!fault_inject_parse("ioas_map:ENOMEM:after=1:times=1", err, sizeof(err)) &&
		   vreq_map(v, 1, IOVA, IOVA + 2 * PAGE - 1, GPA1 - PAGE, RW) ==
		       VIRTIO_IOMMU_S_NOMEM &&
		   ioas_backend_count(be) == 0 &&
		   mock_check_map(fd, da.md.hwpt_id, IOVA, PAGE, ram0 + RAM_SIZE - PAGE) == -EINVAL,
	       "IOMMU_IOAS_MAP of a MAP's second region failing (ENOMEM): NOMEM, the first "
	       "region's map undone, nothing held");
	EXPECT(vreq_map(v, 1, IOVA, IOVA + 2 * PAGE - 1, GPA1 - PAGE, RW) == VIRTIO_IOMMU_S_OK &&
		   !mock_check_map(fd, da.md.hwpt_id, IOVA + PAGE, PAGE, ram1),
	       "the same MAP again: OK, mapped");
	EXPECT(!fault_inject_parse("ioas_unmap:EIO:times=1", err, sizeof(err)) &&
		   vreq_unmap(v, 1, IOVA, IOVA + 2 * PAGE - 1) == VIRTIO_IOMMU_S_DEVERR &&
		   ioas_backend_count(be) == 1 &&
		   !mock_check_map(fd, da.md.hwpt_id, IOVA + PAGE, PAGE, ram1),
	       "IOMMU_IOAS_UNMAP failing (EIO): DEVERR, the mapping still held and mapped");
	EXPECT(vreq_unmap(v, 1, IOVA, IOVA + 2 * PAGE - 1) == VIRTIO_IOMMU_S_OK &&
		   ioas_backend_count(be) == 0 &&
		   mock_check_map(fd, da.md.hwpt_id, IOVA + PAGE, PAGE, ram1) == -EINVAL,
	       "the same UNMAP again: OK, gone");
	EXPECT(!fault_inject_parse("ioas_map:EFAULT:times=1", err, sizeof(err)) &&
		   vreq_map(v, 1, IOVA, IOVA + PAGE - 1, GPA0, RW) == VIRTIO_IOMMU_S_DEVERR &&
		   ioas_backend_count(be) == 0,
	       "IOMMU_IOAS_MAP failing otherwise (EFAULT): DEVERR, nothing held");
	EXPECT(!fault_inject_parse("ioas_alloc:ENOMEM:times=1", err, sizeof(err)) &&
		   vreq_attach(v, 5, 2, 0) == VIRTIO_IOMMU_S_NOMEM && db.pt == dom1_ioas,
	       "IOMMU_IOAS_ALLOC failing: ATTACH to a new domain is NOMEM, device B stays put");
	fault_inject_parse(NULL, err, sizeof(err));

	/* Kernel refusal: endpoint 2 has no reserved regions reported, its aperture still holds. */
	EXPECT(vreq_attach(v, 2, 2, 0) == VIRTIO_IOMMU_S_OK && db.pt != dom1_ioas,
	       "ATTACH endpoint 2 to domain 2 (out of domain 1)");
	EXPECT(vreq_map(v, 2, 0x1000, 0x1fff, GPA0, RW) == VIRTIO_IOMMU_S_INVAL &&
		   vreq_map(v, 2, 0x2000, 0x2fff, GPA0, RW) == VIRTIO_IOMMU_S_INVAL,
	       "MAP outside the mock aperture, refused by the kernel: INVAL (logged once)");
	EXPECT(ioas_backend_count(be) == 0, "nothing held after the refusals");

	/* DETACH follows config.bypass. */
	EXPECT(vreq_detach(v, 1, 1) == VIRTIO_IOMMU_S_OK && da.pt == identity,
	       "DETACH with config.bypass 1: device A back on the identity IOAS");
	ret = iommufd_destroy(fd, dom1_ioas);
	EXPECT(ret == -ENOENT, "domain 1 died with its last endpoint, and its IOAS (%s)",
	       strerror(-ret));
	viommu_config_write(v, off_bypass, &(uint8_t){ 0 }, 1);
	blocked = da.pt;
	/* (iommufd may reuse domain 1's freed id for it) */
	EXPECT(
	    blocked != identity && mock_check_map(fd, da.md.hwpt_id, GPA0, PAGE, ram0) == -EINVAL,
	    "config.bypass 0: the unattached device A is blocked (IOAS %u maps nothing)", blocked);
	EXPECT(vreq_detach(v, 2, 2) == VIRTIO_IOMMU_S_OK && db.pt == blocked,
	       "DETACH with config.bypass 0: device B blocked too");
	EXPECT(vreq_detach(v, 2, 2) == VIRTIO_IOMMU_S_INVAL, "DETACH again: INVAL");

	/* A bypass domain is the identity IOAS. */
	EXPECT(vreq_attach(v, 3, 1, VIRTIO_IOMMU_ATTACH_F_BYPASS) == VIRTIO_IOMMU_S_OK &&
		   da.pt == identity,
	       "ATTACH to a bypass domain: the identity IOAS");
	EXPECT(!mock_check_map(fd, da.md.hwpt_id, GPA0, RAM_SIZE, ram0) &&
		   !mock_check_map(fd, da.md.hwpt_id, GPA1, RAM_SIZE, ram1),
	       "the bypass domain maps all fake guest RAM at IOVA = GPA");
	EXPECT(vreq_map(v, 3, IOVA, IOVA + PAGE - 1, GPA0, RW) == VIRTIO_IOMMU_S_INVAL,
	       "MAP into a bypass domain: INVAL");
	EXPECT(vreq_attach(v, 3, 9, VIRTIO_IOMMU_ATTACH_F_BYPASS) == VIRTIO_IOMMU_S_NOENT,
	       "ATTACH of an unknown endpoint: NOENT");

	/* Benchmark on domain 4 (device B's own IOAS). */
	EXPECT(vreq_attach(v, 4, 2, 0) == VIRTIO_IOMMU_S_OK, "ATTACH endpoint 2 to domain 4");
	bench(4, db.pt, ram0);

	/* Reset: everything unattached, blocked (bypass 0 kept). */
	viommu_reset(v);
	EXPECT(da.pt == blocked && db.pt == blocked, "reset: both devices blocked");

	/* Teardown: the model, then the devices, then the backend's shared IOASes. */
	viommu_destroy(v);
	ret = iommufd_destroy(fd, da.md.stdev_id) ?: iommufd_destroy(fd, db.md.stdev_id);
	EXPECT(!ret, "mock devices destroyed (%s)", strerror(-ret));
	ioas_backend_destroy(be);
	EXPECT(iommufd_destroy(fd, identity) == -ENOENT && iommufd_destroy(fd, blocked) == -ENOENT,
	       "the backend destroyed its identity and blocked IOASes");
	close(fd);
	munmap(ram0, RAM_SIZE);
	munmap(ram1, RAM_SIZE);
	EXPECT(count_open_fds() == fds_before, "no fd leaked");
	return expect_exit();
}
