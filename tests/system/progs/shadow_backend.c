// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow table backend on a real VFIO device behind a host IOMMU that cannot nest (the test
 * host's emulated VT-d): a virtio-iommu model whose VFIO endpoint is the device, a VT-d
 * first-stage table in a fake guest RAM, ATTACH_TABLE / INVALIDATE / DETACH sent through
 * viommu_handle_request(), every effect read back from the kernel:
 *  - an area is there: IOMMU_IOAS_MAP of a page at its IOVA fails with EEXIST;
 *  - nothing is there: that IOMMU_IOAS_MAP succeeds (and is undone exactly);
 *  - what it maps and how: an iommufd access on the IOAS (selftest IOMMU_TEST_OP_ACCESS_RW,
 *    which goes through the same area the IOMMU domain was mapped from) reads the fake guest
 *    page's bytes, writes into it, and gets EPERM writing where the area lacks IOMMU_WRITE.
 *
 * Usage: shadow_backend BDF
 */
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommu/backend_ioas.h"
#include "iommu/backend_shadow.h"
#include "iommu/iommufd.h"
#include "iommu/uapi_compat.h"
#include "iommu/viommu.h"
#include "iommu/viommu_nested.h"
#include "vfio/vfio_cdev.h"
#include "vfio/vfio_sysfs.h"
#include "expect.h"
#include "viommu_reqs.h"

#define KB4 0x1000ULL
#define MB2 0x200000ULL
#define RAM_SIZE (8ULL << 20) /* fake guest RAM at GPA 0 */
#define ROOT 0x1000ULL /* tables from here */
#define PG_A 0x400000ULL /* data pages */
#define PG_B 0x402000ULL
#define PG_B2 0x403000ULL
#define PG_C 0x600000ULL /* a 2 MiB page */
#define PG_C2 0x200000ULL
#define IOVA_A 0x10000000ULL /* two 4 KiB pages, RW */
#define IOVA_B 0x10010000ULL /* one 4 KiB page, read-only */
#define IOVA_C 0x10200000ULL /* one 2 MiB page, RW */
#define IOVA_D 0x20000000ULL /* a page outside guest RAM */
#define IOVA_E (1ULL << 40) /* above the host's 39 bits */
#define P (1ULL << 0)
#define RW (1ULL << 1)
#define US (1ULL << 2)
#define PS (1ULL << 7)
#define ADDR 0x000ffffffffff000ULL

static int fd;
static struct viommu *v;
static uint8_t *ram;
static struct gmem mem;
static uint64_t next_table = ROOT + KB4;
static uint8_t *scratch; /* a page for the presence checks */

static uint8_t attach_table(uint32_t domain, uint32_t ep, uint64_t root)
{
	return vreq_attach_table(v, domain, ep, VIRTIO_IOMMU_FORMAT_VTD_S1, root, 0, 0, 0);
}

/* PROBE of @ep: its TABLE_FORMAT property into *@tf; false when there is none. */
static bool probe_format(uint32_t ep, struct virtio_iommu_probe_table_format *tf)
{
	struct virtio_iommu_req_probe r = { .head.type = VIRTIO_IOMMU_T_PROBE };
	uint8_t out[256 + 4];
	size_t rl = 0, at = 0;

	r.endpoint = htole32(ep);
	if (viommu_handle_request(v, &r, sizeof(r), out, sizeof(out), &rl) || out[256])
		return false;
	while (at + sizeof(struct virtio_iommu_probe_property) <= 256) {
		struct virtio_iommu_probe_property h;

		memcpy(&h, out + at, sizeof(h));
		if (!h.type)
			break;
		if (le16toh(h.type) == VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT &&
		    at + sizeof(*tf) <= 256) {
			memcpy(tf, out + at, sizeof(*tf));
			return true;
		}
		at += sizeof(h) + le16toh(h.length);
	}
	return false;
}

/* ---- the guest's table, 4-level, in the fake RAM ---- */

static unsigned int idx(uint64_t iova, unsigned int level)
{
	return (iova >> (12 + 9 * (level - 1))) & 511;
}

static uint64_t *entry(uint64_t table, unsigned int i)
{
	return (uint64_t *)(ram + table) + i;
}

static uint64_t table_for(uint64_t iova, unsigned int level)
{
	uint64_t table = ROOT, *e;

	for (unsigned int l = 4; l > level; l--) {
		e = entry(table, idx(iova, l));
		if (!(le64toh(*e) & P)) {
			*e = htole64(next_table | P | RW | US);
			next_table += KB4;
		}
		table = le64toh(*e) & ADDR;
	}
	return table;
}

static void leaf(uint64_t iova, uint64_t gpa, unsigned int level, uint64_t flags)
{
	uint64_t e = flags ? gpa | flags | US | (level > 1 ? PS : 0) : 0;

	*entry(table_for(iova, level), idx(iova, level)) = htole64(e);
}

/* ---- what the kernel holds ---- */

/* Whether the IOAS has an area at @iova: a page mapped there would collide. */
static bool present(uint32_t ioas, uint64_t iova)
{
	int ret = iommufd_ioas_map(fd, ioas, scratch, KB4, iova, false);

	if (!ret)
		iommufd_ioas_unmap(fd, ioas, iova, KB4, NULL);
	return ret == -EEXIST;
}

static bool absent(uint32_t ioas, uint64_t iova)
{
	int ret = iommufd_ioas_map(fd, ioas, scratch, KB4, iova, false);

	if (ret)
		return false;
	return !iommufd_ioas_unmap(fd, ioas, iova, KB4, NULL);
}

static int test_cmd(struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOMMU_TEST_CMD, cmd) < 0 ? -errno : 0;
}

/* An in-kernel access on @ioas (as an emulated mdev would have): its fd, or -errno. */
static int access_create(uint32_t ioas)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = ioas };
	int ret = test_cmd(&cmd);

	return ret ? ret : (int)cmd.create_access.out_access_fd;
}

/* Reads or writes @len bytes at @iova through the access's IOAS. 0 or -errno. */
static int access_rw(int afd, uint64_t iova, void *buf, uint64_t len, bool write)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_RW, .id = afd };

	cmd.access_rw.iova = iova;
	cmd.access_rw.length = len;
	cmd.access_rw.uptr = (uintptr_t)buf;
	cmd.access_rw.flags = write ? MOCK_ACCESS_RW_WRITE : 0;
	return test_cmd(&cmd);
}

/* Whether @len bytes at @iova read through the access are the fake guest RAM at @gpa. */
static bool reads_as(int afd, uint64_t iova, uint64_t gpa, uint64_t len)
{
	uint8_t buf[64];

	if (len > sizeof(buf) || access_rw(afd, iova, buf, len, false))
		return false;
	return !memcmp(buf, ram + gpa, len);
}

/* Writes a marker at @iova through the access; whether it landed in the fake RAM at @gpa. */
static int writes_to(int afd, uint64_t iova, uint64_t gpa)
{
	uint8_t mark[8] = { 0x5a, 0xa5, 0x11, 0x22, 0x33, 0x44, (uint8_t)iova, (uint8_t)gpa };
	int ret = access_rw(afd, iova, mark, sizeof(mark), true);

	if (ret)
		return ret;
	return memcmp(ram + gpa, mark, sizeof(mark)) ? -EIO : 0;
}

static void fill_pattern(void)
{
	for (uint64_t i = PG_C2; i < RAM_SIZE; i++)
		ram[i] = (uint8_t)(i * 7 + (i >> 12));
}

static void stats(struct viommu_backend *sbe, struct shadow_stats *st)
{
	shadow_backend_stats(sbe, st);
	printf("stats: maps %lu unmaps %lu leaves %lu outside_ram %lu walk_errors %lu "
	       "host_errors %lu syncs %lu areas %lu\n",
	       st->maps, st->unmaps, st->leaves, st->outside_ram, st->walk_errors, st->host_errors,
	       st->syncs, st->areas);
}

int main(int argc, char **argv)
{
	int fds_before = count_open_fds(), devfd, afd, ret, width;
	const char *bdf = argc > 1 ? argv[1] : "";
	struct ioas_endpoint ep = { .attach_pt = vfio_cdev_attach_pt, .name = "passthrough" };
	struct virtio_iommu_probe_table_format tf;
	struct viommu_backend *ibe, *sbe;
	struct shadow_stats st;
	struct viommu_params p;
	uint32_t dev_id, shadow_ioas, identity = 0;
	char cdev[PATH_MAX];
	uint8_t buf[16];

	setvbuf(stdout, NULL, _IOLBF, 0);
	REQUIRE(pci_bdf_valid(bdf), "'%s' is a PCI address (usage: shadow_backend BDF)", bdf);
	ret = vfio_pci_take("/sys", bdf);
	REQUIRE(!ret, "%s handed to vfio-pci (%s)", bdf, strerror(-ret));
	ret = vfio_cdev_path_of("/sys", bdf, cdev, sizeof(cdev));
	REQUIRE(!ret, "%s has a VFIO cdev (%s)", bdf, strerror(-ret));
	devfd = vfio_cdev_open(cdev);
	REQUIRE(devfd >= 0, "open %s", cdev);
	fd = iommufd_open(NULL);
	REQUIRE(fd >= 0, "open %s", IOMMUFD_PATH);
	ret = vfio_cdev_bind_iommufd(devfd, fd, &dev_id);
	REQUIRE(!ret, "VFIO_DEVICE_BIND_IOMMUFD (%s), dev_id %u", strerror(-ret), dev_id);
	ep.dev = &devfd;

	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	scratch = mmap(NULL, KB4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(ram != MAP_FAILED && scratch != MAP_FAILED, "8 MiB of fake guest RAM");
	fill_pattern();
	mem.regions[0] = (struct gmem_region){ .gpa = 0, .size = RAM_SIZE, .hva = ram };
	mem.count = 1;

	/* The VMM's setup: ioas backend for MAP domains, shadow for tables. */
	ibe = ioas_backend_create(fd, &mem, 4096);
	sbe = shadow_backend_create(fd, &mem, NULL);
	REQUIRE(ibe && sbe, "ioas and shadow backends");
	width = shadow_backend_add_device(sbe, dev_id);
	EXPECT(width == 39, "the host IOMMU maps %d bits (the emulated VT-d: 39)", width);
	viommu_default_params(&p);
	v = viommu_create(&p, &mem);
	REQUIRE(v, "viommu");
	viommu_set_backend(v, VIOMMU_EP_VFIO, ibe);
	viommu_set_table_backend(v, VIOMMU_EP_VFIO, sbe);
	REQUIRE(viommu_add_endpoint(v, 1, VIOMMU_EP_VFIO, &ep), "the device is endpoint 1");
	REQUIRE(viommu_features(v) & (1ULL << VIRTIO_IOMMU_F_ATTACH_TABLE), "ATTACH_TABLE offered");
	viommu_set_features(v, viommu_features(v));
	ret = ioas_backend_identity(ibe, &identity);
	EXPECT(!ret && ep.cur_ioas == identity, "unattached: on the identity IOAS %u", identity);

	EXPECT(probe_format(1, &tf) && le16toh(tf.format) == VIRTIO_IOMMU_FORMAT_VTD_S1 &&
		   tf.address_bits == 39 && tf.pasid_bits == 0 &&
		   !(le32toh(tf.format_caps) & VIRTIO_IOMMU_VTD_CAP_5LEVEL),
	       "PROBE: TABLE_FORMAT VT-d first stage, 39 address bits, 4-level, no PASIDs");
	EXPECT(le32toh(tf.format_caps) & VIRTIO_IOMMU_VTD_CAP_CM,
	       "PROBE: caching mode (caps %#x): the guest must invalidate what it maps",
	       le32toh(tf.format_caps));

	/* The guest's table. */
	leaf(IOVA_A, PG_A, 1, P | RW);
	leaf(IOVA_A + KB4, PG_A + KB4, 1, P | RW);
	leaf(IOVA_B, PG_B, 1, P);
	leaf(IOVA_C, PG_C, 2, P | RW);
	leaf(IOVA_D, 1ULL << 32, 1, P | RW);
	leaf(IOVA_E, PG_A, 1, P | RW);
	EXPECT(attach_table(1, 1, ROOT) == VIRTIO_IOMMU_S_OK, "ATTACH_TABLE domain 1");
	shadow_ioas = ep.cur_ioas;
	EXPECT(shadow_ioas && shadow_ioas != identity, "the device is on the shadow IOAS %u",
	       shadow_ioas);
	stats(sbe, &st);
	EXPECT(st.leaves == 5 && st.outside_ram == 1 && st.areas == 4 && st.maps == 4,
	       "mirrored: 5 leaves below 2^39, 1 outside RAM skipped, 4 areas (one per leaf, so "
	       "each can change alone)");
	EXPECT(present(shadow_ioas, IOVA_A) && present(shadow_ioas, IOVA_A + KB4) &&
		   present(shadow_ioas, IOVA_B) && present(shadow_ioas, IOVA_C) &&
		   present(shadow_ioas, IOVA_C + MB2 - KB4),
	       "the kernel holds A, B and all of C (IOAS_MAP there: EEXIST)");
	EXPECT(absent(shadow_ioas, IOVA_A + 2 * KB4) && absent(shadow_ioas, IOVA_B + KB4) &&
		   absent(shadow_ioas, IOVA_C + MB2) && absent(shadow_ioas, IOVA_D),
	       "and nothing next to them, nor the page outside guest RAM");
	ret = iommufd_ioas_unmap(fd, shadow_ioas, IOVA_E, KB4, NULL);
	EXPECT(ret == -ENOENT, "nothing above the host's width (%s)", strerror(-ret));

	afd = access_create(shadow_ioas);
	REQUIRE(afd >= 0, "an iommufd access on the shadow IOAS (%s)",
		afd < 0 ? strerror(-afd) : "ok");
	EXPECT(reads_as(afd, IOVA_A + 0x10, PG_A + 0x10, 32) &&
		   reads_as(afd, IOVA_A + KB4 + 8, PG_A + KB4 + 8, 32) &&
		   reads_as(afd, IOVA_B, PG_B, 64) &&
		   reads_as(afd, IOVA_C + 0x12345, PG_C + 0x12345, 64),
	       "reads through the IOAS see the fake guest pages the table names");
	EXPECT(!writes_to(afd, IOVA_A + 0x100, PG_A + 0x100) &&
		   !writes_to(afd, IOVA_C + MB2 - 8, PG_C + MB2 - 8),
	       "writes through the IOAS land in the fake guest RAM");
	ret = access_rw(afd, IOVA_B, buf, 8, true);
	EXPECT(ret == -EPERM,
	       "a write to the read-only leaf: EPERM, the area lacks IOMMU_WRITE (%s)",
	       strerror(-ret));

	/* The guest unmaps A's second page and invalidates it. */
	leaf(IOVA_A + KB4, 0, 1, 0);
	EXPECT(vreq_invalidate(v, 1, VIRTIO_IOMMU_INVAL_S_RANGE, IOVA_A + KB4, KB4) ==
		   VIRTIO_IOMMU_S_OK,
	       "INVALIDATE A's second page after unmapping it");
	EXPECT(absent(shadow_ioas, IOVA_A + KB4) && present(shadow_ioas, IOVA_A) &&
		   reads_as(afd, IOVA_A, PG_A, 64),
	       "it is gone; the first page (same area before) is still mapped");
	ret = access_rw(afd, IOVA_A + KB4, buf, 8, false);
	EXPECT(ret, "a read there fails (%s)", strerror(-ret));

	/* B becomes writable on another page. */
	leaf(IOVA_B, PG_B2, 1, P | RW);
	EXPECT(vreq_invalidate(v, 1, VIRTIO_IOMMU_INVAL_S_RANGE, IOVA_B, KB4) == VIRTIO_IOMMU_S_OK,
	       "INVALIDATE B after remapping it read-write elsewhere");
	EXPECT(reads_as(afd, IOVA_B, PG_B2, 64) && !writes_to(afd, IOVA_B + 8, PG_B2 + 8),
	       "B moved: reads and writes reach the new page");

	/* C moves; the guest invalidates one 4 KiB page inside it: all of C is re-synced. */
	leaf(IOVA_C, PG_C2, 2, P);
	EXPECT(vreq_invalidate(v, 1, VIRTIO_IOMMU_INVAL_S_RANGE, IOVA_C + 0x5000, KB4) ==
		   VIRTIO_IOMMU_S_OK,
	       "INVALIDATE 4 KiB inside the 2 MiB leaf after moving it");
	EXPECT(reads_as(afd, IOVA_C, PG_C2, 64) &&
		   reads_as(afd, IOVA_C + MB2 - 64, PG_C2 + MB2 - 64, 64),
	       "all of C reads the new 2 MiB page");
	ret = access_rw(afd, IOVA_C, buf, 8, true);
	EXPECT(ret == -EPERM, "C is read-only now (%s)", strerror(-ret));

	/* A hostile entry: the invalidate fails and changes nothing. */
	*entry(table_for(IOVA_C, 2), idx(IOVA_C, 2)) = htole64(PG_C2 | (2 * KB4) | P | PS);
	EXPECT(vreq_invalidate(v, 1, VIRTIO_IOMMU_INVAL_S_RANGE, IOVA_C, MB2) ==
		   VIRTIO_IOMMU_S_IOERR,
	       "INVALIDATE over a misaligned 2 MiB leaf: IOERR");
	EXPECT(reads_as(afd, IOVA_C + 64, PG_C2 + 64, 64) && present(shadow_ioas, IOVA_A) &&
		   present(shadow_ioas, IOVA_B),
	       "IOERR left the IOAS as it was: C still reads its last good page, A and B are "
	       "there");
	leaf(IOVA_C, PG_C, 2, P | RW);
	EXPECT(vreq_invalidate(v, 1, VIRTIO_IOMMU_INVAL_S_PASID, 0, 0) == VIRTIO_IOMMU_S_OK &&
		   reads_as(afd, IOVA_C + 64, PG_C + 64, 64) && present(shadow_ioas, IOVA_A) &&
		   present(shadow_ioas, IOVA_B),
	       "fixed, INVALIDATE of the whole address space: all there again");
	stats(sbe, &st);
	EXPECT(st.walk_errors == 1 && st.host_errors == 0 && st.areas == 3,
	       "one walk error, no host error, 3 areas");

	/* The access holds the IOAS: it goes before DETACH frees the domain. */
	close(afd);
	EXPECT(vreq_detach(v, 1, 1) == VIRTIO_IOMMU_S_OK && ep.cur_ioas == identity,
	       "DETACH: the device is back on the identity IOAS");
	ret = iommufd_destroy(fd, shadow_ioas);
	EXPECT(ret == -ENOENT, "the shadow IOAS went with the domain (%s)", strerror(-ret));
	stats(sbe, &st);
	EXPECT(st.areas == 0, "the backend holds no area");

	/* A table whose root entries all point at the root: bounded, refused. */
	for (unsigned int i = 0; i < 512; i++)
		*entry(ROOT, i) = htole64(ROOT | P | RW | US);
	ret = attach_table(2, 1, ROOT);
	EXPECT(ret == VIRTIO_IOMMU_S_NOMEM, "ATTACH_TABLE of a self-referencing table: NOMEM (%d)",
	       ret);
	EXPECT(ep.cur_ioas == identity, "the device stayed on the identity IOAS");
	stats(sbe, &st);
	EXPECT(st.areas == 0 && st.walk_errors == 2, "nothing left behind");

	viommu_destroy(v);
	close(devfd);
	ioas_backend_destroy(ibe);
	shadow_backend_destroy(sbe);
	close(fd);
	munmap(ram, RAM_SIZE);
	munmap(scratch, KB4);
	EXPECT(count_open_fds() == fds_before, "no fd leaked");
	return expect_exit();
}
