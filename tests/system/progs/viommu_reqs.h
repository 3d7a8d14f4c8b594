/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-iommu requests for the system test programs that drive the model directly
 * (viommu_handle_request, no guest): each builds one request, sends it and returns the
 * tail's status, 0xff when the model wrote no tail.
 */
#ifndef NESTVM_TEST_VIOMMU_REQS_H
#define NESTVM_TEST_VIOMMU_REQS_H

#include <endian.h>
#include <stdint.h>

#include "iommu/viommu.h"
#include "iommu/viommu_nested.h"

static inline uint8_t vreq_send(struct viommu *v, const void *req, size_t len)
{
	uint8_t tail[4] = { 0xff };
	size_t rl = 0;

	if (viommu_handle_request(v, req, len, tail, sizeof(tail), &rl) || rl != 4)
		return 0xff;
	return tail[0];
}

/* Sends @r without its tail, the device-writable part. */
#define vreq_send_req(v, r) vreq_send((v), &(r), sizeof(r) - sizeof((r).tail))

static inline uint8_t vreq_attach(struct viommu *v, uint32_t domain, uint32_t ep, uint32_t flags)
{
	struct virtio_iommu_req_attach r = { .head.type = VIRTIO_IOMMU_T_ATTACH };

	r.domain = htole32(domain);
	r.endpoint = htole32(ep);
	r.flags = htole32(flags);
	return vreq_send_req(v, r);
}

static inline uint8_t vreq_detach(struct viommu *v, uint32_t domain, uint32_t ep)
{
	struct virtio_iommu_req_detach r = { .head.type = VIRTIO_IOMMU_T_DETACH };

	r.domain = htole32(domain);
	r.endpoint = htole32(ep);
	return vreq_send_req(v, r);
}

static inline uint8_t vreq_map(struct viommu *v, uint32_t domain, uint64_t start, uint64_t end,
			       uint64_t phys, uint32_t flags)
{
	struct virtio_iommu_req_map r = { .head.type = VIRTIO_IOMMU_T_MAP };

	r.domain = htole32(domain);
	r.virt_start = htole64(start);
	r.virt_end = htole64(end);
	r.phys_start = htole64(phys);
	r.flags = htole32(flags);
	return vreq_send_req(v, r);
}

static inline uint8_t vreq_unmap(struct viommu *v, uint32_t domain, uint64_t start, uint64_t end)
{
	struct virtio_iommu_req_unmap r = { .head.type = VIRTIO_IOMMU_T_UNMAP };

	r.domain = htole32(domain);
	r.virt_start = htole64(start);
	r.virt_end = htole64(end);
	return vreq_send_req(v, r);
}

static inline uint8_t vreq_attach_table(struct viommu *v, uint32_t domain, uint32_t ep,
					uint16_t format, uint64_t root, uint64_t format_flags,
					uint16_t flags, uint32_t pasid)
{
	struct virtio_iommu_req_attach_table r = { .head.type = VIRTIO_IOMMU_T_ATTACH_TABLE };

	r.domain = htole32(domain);
	r.endpoint = htole32(ep);
	r.pasid = htole32(pasid);
	r.table = htole64(root);
	r.format_flags = htole64(format_flags);
	r.format = htole16(format);
	r.flags = htole16(flags);
	return vreq_send_req(v, r);
}

static inline struct virtio_iommu_req_invalidate
vreq_invalidate_req(uint32_t domain, uint8_t scope, uint64_t address, uint64_t size)
{
	struct virtio_iommu_req_invalidate r = { .head.type = VIRTIO_IOMMU_T_INVALIDATE };

	r.domain = htole32(domain);
	r.scope = scope;
	r.address = htole64(address);
	r.size = htole64(size);
	return r;
}

static inline uint8_t vreq_invalidate(struct viommu *v, uint32_t domain, uint8_t scope,
				      uint64_t address, uint64_t size)
{
	struct virtio_iommu_req_invalidate r = vreq_invalidate_req(domain, scope, address, size);

	return vreq_send_req(v, r);
}

#endif
