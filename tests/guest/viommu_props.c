// SPDX-License-Identifier: GPL-2.0
#include "lib.h"
#include "viommu_props.h"

#define TABLE_FORMAT_LEN                                  \
	(sizeof(struct virtio_iommu_probe_table_format) - \
	 sizeof(struct virtio_iommu_probe_property))

void viommu_table_formats(const struct viommu_req *r, struct viommu_formats *out)
{
	uint32_t off = 0, end = r->out_len - VIOMMU_TAIL;

	memset(out, 0, sizeof(*out));
	while (off + sizeof(struct virtio_iommu_probe_property) <= end) {
		const struct virtio_iommu_probe_property *p = (const void *)(r->out + off);
		uint16_t type = p->type & VIRTIO_IOMMU_PROBE_T_MASK;

		if (type == VIRTIO_IOMMU_PROBE_T_NONE)
			break;
		if (type == VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT) {
			if (p->length != TABLE_FORMAT_LEN || off + sizeof(*p) + p->length > end)
				out->bad_length++;
			else if (out->n < VIOMMU_MAX_FORMATS)
				memcpy(&out->f[out->n++], p, sizeof(out->f[0]));
		}
		off += sizeof(*p) + p->length;
	}
}

const struct virtio_iommu_probe_table_format *viommu_find_format(const struct viommu_formats *f,
								 uint16_t format)
{
	for (unsigned int i = 0; i < f->n; i++)
		if (f->f[i].format == format)
			return &f->f[i];
	return NULL;
}
