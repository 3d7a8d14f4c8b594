// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-iommu request parser with the nesting extension negotiated, its emulated
 * backend walking guest tables in RAM the fuzzer writes, the INVALIDATE batch path of the
 * invalq and DMA through the emulated endpoints.
 *
 * Input: u8 setup (bit 0: config.bypass), then records until the input ends, each a u8 op:
 *  0 request:    u16 reply size, u16 request size, the request bytes
 *  1 invalidate: u8 count (mod 17), then per request u8 size and its bytes
 *  2 DMA:        u8 endpoint (mod 4), u8 bit 0 write, u64 address, u16 length (max 8 KiB)
 *  3 RAM:        u16 offset, u16 length, the bytes written to guest RAM there
 *  4 config:     u8 offset, u8 length (mod 16); then a 1-byte write of the next u8; faults drained
 *  5 features:   u64 mask of the offered features (0: device reset instead)
 * Endpoints 1, 2, 3 are emulated (2 with a reserved region), 8 is VFIO with no backend.
 */
#include <errno.h>
#include <stdint.h>

#include "fuzz.h"
#include "iommu/viommu.h"
#include "iommu/viommu_nested.h"

#define RAM_SIZE 0x10000
#define MAX_DMA 0x2000

static uint8_t dma_buf[MAX_DMA];

static void request(struct viommu *v, struct fuzz_in *in)
{
	size_t cap = fuzz_u16(in), len, got = 0;
	uint8_t *req, *reply;
	int rc;

	len = fuzz_u16(in);
	req = fuzz_bytes(in, len, &len);
	reply = malloc(cap ? cap : 1);
	if (!reply)
		abort();
	rc = viommu_handle_request(v, req, len, reply, cap, &got);
	FUZZ_ASSERT(rc == 0 ? got == cap : got == 0);
	free(reply);
	free(req);
}

static void invalidate(struct viommu *v, struct fuzz_in *in)
{
	unsigned int n = fuzz_u8(in) % 17;
	const void *reqs[16];
	uint8_t *bufs[16];
	size_t lens[16];
	uint8_t status[16];

	for (unsigned int i = 0; i < n; i++) {
		bufs[i] = fuzz_bytes(in, fuzz_u8(in), &lens[i]);
		reqs[i] = bufs[i];
	}
	viommu_invalidate_batch(v, reqs, lens, n, status);
	for (unsigned int i = 0; i < n; i++)
		free(bufs[i]);
}

static void dma(struct viommu_endpoint **eps, const struct gmem *mem, struct fuzz_in *in)
{
	struct viommu_endpoint *ep = eps[fuzz_u8(in) % 4];
	bool write = fuzz_u8(in) & 1;
	uint64_t addr = fuzz_u64(in), len = fuzz_u16(in) % (MAX_DMA + 1);
	struct dma_space d = viommu_endpoint_dma(ep, mem);
	uint64_t gpa, contig;

	if (write)
		dma_write(&d, addr, dma_buf, len);
	else
		dma_read(&d, addr, dma_buf, len);
	if (len && viommu_translate(ep, addr, len, write, &gpa, &contig) == 0)
		FUZZ_ASSERT(contig >= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct viommu_endpoint *eps[4];
	struct virtio_iommu_fault fault;
	struct viommu_params p;
	struct gmem mem = { .count = 1 };
	struct viommu *v;
	uint8_t cfg[16];
	uint64_t off, len;

	mem.regions[0] =
	    (struct gmem_region){ .gpa = 0, .size = RAM_SIZE, .hva = calloc(1, RAM_SIZE) };
	if (!mem.regions[0].hva)
		abort();
	viommu_default_params(&p);
	p.bypass = fuzz_u8(&in) & 1;
	p.fault_queue_len = 16;
	p.max_mappings = 4096; /* bounds memory: MAP past it is NOMEM */
	v = viommu_create(&p, &mem);
	FUZZ_ASSERT(v);
	for (unsigned int i = 0; i < 3; i++) {
		eps[i] = viommu_add_endpoint(v, i + 1, VIOMMU_EP_EMULATED, NULL);
		FUZZ_ASSERT(eps[i]);
	}
	FUZZ_ASSERT(viommu_endpoint_add_resv(eps[1], 0x8000, 0x8fff,
					     VIRTIO_IOMMU_RESV_MEM_T_RESERVED) == 0);
	eps[3] = viommu_add_endpoint(v, 8, VIOMMU_EP_VFIO, NULL);
	FUZZ_ASSERT(eps[3]);
	FUZZ_ASSERT(viommu_features(v) & (1ULL << VIRTIO_IOMMU_F_ATTACH_TABLE));
	viommu_set_features(v, viommu_features(v));

	while (in.left) {
		switch (fuzz_u8(&in) % 6) {
		case 0:
			request(v, &in);
			break;
		case 1:
			invalidate(v, &in);
			break;
		case 2:
			dma(eps, &mem, &in);
			break;
		case 3:
			off = fuzz_u16(&in);
			len = fuzz_u16(&in);
			if (len > in.left)
				len = in.left;
			if (len > RAM_SIZE - off)
				len = RAM_SIZE - off;
			memcpy(mem.regions[0].hva + off, in.p, len);
			in.p += len;
			in.left -= len;
			break;
		case 4:
			off = fuzz_u8(&in);
			len = fuzz_u8(&in) % sizeof(cfg);
			viommu_config_read(v, off, cfg, len);
			cfg[0] = fuzz_u8(&in);
			viommu_config_write(v, off, cfg, 1);
			while (viommu_pop_fault(v, &fault))
				;
			break;
		case 5:
			off = fuzz_u64(&in);
			if (off)
				viommu_set_features(v, viommu_features(v) & off);
			else
				viommu_reset(v);
			break;
		}
	}
	viommu_destroy(v);
	free(mem.regions[0].hva);
	return 0;
}
