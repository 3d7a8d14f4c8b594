/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nestvm's nesting extension to virtio-iommu, on the wire: the guest hands the device its own
 * stage-1 page tables (ATTACH_TABLE) and asks for their caches to be flushed (INVALIDATE).
 * docs/virtio-iommu-nested.md says why each number and field is what it is.
 *
 * Little-endian, as the rest of virtio-iommu; a request is a head, the body below, a tail.
 */
#ifndef NESTVM_VIOMMU_NESTED_H
#define NESTVM_VIOMMU_NESTED_H

#include <linux/types.h>
#include <linux/virtio_iommu.h>

/* Feature bit: ATTACH_TABLE, INVALIDATE, DETACH with a PASID, the TABLE_FORMAT property. */
#define VIRTIO_IOMMU_F_ATTACH_TABLE 8

/* With the feature, a third virtqueue carries INVALIDATE requests only. */
#define VIRTIO_IOMMU_INVALQ 2

#define VIRTIO_IOMMU_T_ATTACH_TABLE 6
#define VIRTIO_IOMMU_T_INVALIDATE 7

/* Table formats: the numbers of the matching iommufd nested HWPT data types. */
#define VIRTIO_IOMMU_FORMAT_VTD_S1 1 /* VT-d first stage: x86-64 4- or 5-level paging */
#define VIRTIO_IOMMU_FORMAT_SELFTEST 0xdead /* the iommufd selftest mock's (test hosts) */

/* ATTACH_TABLE and DETACH flags. */
#define VIRTIO_IOMMU_TABLE_F_PASID (1 << 0) /* @pasid is valid; else the table is PASID-less */

/* VT-d first stage format flags (ATTACH_TABLE.format_flags). */
#define VIRTIO_IOMMU_VTD_S1_SRE (1ULL << 0) /* supervisor requests (iommufd VTD_S1_SRE) */
#define VIRTIO_IOMMU_VTD_S1_EAFE (1ULL << 1) /* extended access flag (VTD_S1_EAFE) */
#define VIRTIO_IOMMU_VTD_S1_WPE (1ULL << 2) /* write protect for supervisor (VTD_S1_WPE) */
#define VIRTIO_IOMMU_VTD_S1_5LEVEL (1ULL << 8) /* 5-level paging (57-bit input); else 4 */
#define VIRTIO_IOMMU_VTD_S1_KNOWN                                                       \
	(VIRTIO_IOMMU_VTD_S1_SRE | VIRTIO_IOMMU_VTD_S1_EAFE | VIRTIO_IOMMU_VTD_S1_WPE | \
	 VIRTIO_IOMMU_VTD_S1_5LEVEL)

struct virtio_iommu_req_attach_table {
	struct virtio_iommu_req_head head;
	__le32 domain;
	__le32 endpoint;
	__le32 pasid;
	__le64 table; /* guest-physical address of the root table, 4 KiB aligned */
	__le64 format_flags;
	__le16 format;
	__le16 flags;
	__u8 reserved[8];
	struct virtio_iommu_req_tail tail;
};

/* INVALIDATE scope. */
#define VIRTIO_IOMMU_INVAL_S_DOMAIN 0 /* everything the domain caches, every PASID */
#define VIRTIO_IOMMU_INVAL_S_PASID 1 /* everything of (domain, PASID) */
#define VIRTIO_IOMMU_INVAL_S_RANGE 2 /* [address, address + size) of (domain, PASID) */

/* INVALIDATE flags. */
#define VIRTIO_IOMMU_INVAL_F_PASID (1 << 0) /* @pasid is valid; else the PASID-less table */
#define VIRTIO_IOMMU_INVAL_F_LEAF (1 << 1) /* only leaf entries changed: walk caches may stay */

struct virtio_iommu_req_invalidate {
	struct virtio_iommu_req_head head;
	__le32 domain;
	__le32 pasid;
	__u8 scope;
	__u8 flags;
	__u8 reserved[2];
	__le64 address;
	__le64 size;
	__u8 reserved2[4];
	struct virtio_iommu_req_tail tail;
};

/*
 * DETACH with the feature: the first 8 reserved bytes become flags and a PASID, so that one
 * PASID's table can be detached and the endpoint's others stay.
 */
struct virtio_iommu_req_detach_pasid {
	struct virtio_iommu_req_head head;
	__le32 domain;
	__le32 endpoint;
	__le32 flags; /* VIRTIO_IOMMU_TABLE_F_PASID */
	__le32 pasid;
	struct virtio_iommu_req_tail tail;
};

/* PROBE property: one per table format the endpoint can use. */
#define VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT 6

/* format_caps of a VT-d first stage format. */
#define VIRTIO_IOMMU_VTD_CAP_5LEVEL (1 << 0)
#define VIRTIO_IOMMU_VTD_CAP_1G (1 << 1)
#define VIRTIO_IOMMU_VTD_CAP_SRE (1 << 2)
#define VIRTIO_IOMMU_VTD_CAP_EAFE (1 << 3)
/* Caching mode: the device mirrors the table, so entries made present need an INVALIDATE too. */
#define VIRTIO_IOMMU_VTD_CAP_CM (1 << 4)

struct virtio_iommu_probe_table_format {
	struct virtio_iommu_probe_property head; /* length: sizeof(*this) - sizeof(head) */
	__le16 format;
	__u8 pasid_bits; /* PASIDs the endpoint can have tables for: 0 = PASID-less only */
	__u8 address_bits; /* input address width: 48 or 57 for VT-d */
	__le32 format_caps;
	__u8 reserved[4];
	__le64 page_sizes; /* leaf sizes the walker may meet, as page_size_mask */
};

#endif
