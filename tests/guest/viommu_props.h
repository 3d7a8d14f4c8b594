/* SPDX-License-Identifier: GPL-2.0 */
/* Reading a PROBE reply's properties: the nesting extension's TABLE_FORMAT ones. */
#ifndef GUEST_VIOMMU_PROPS_H
#define GUEST_VIOMMU_PROPS_H

#include <stdbool.h>

#include "viommu.h"

#define VIOMMU_MAX_FORMATS 4

struct viommu_formats {
	unsigned int n;
	unsigned int bad_length; /* TABLE_FORMAT properties whose length is not 20 */
	struct virtio_iommu_probe_table_format f[VIOMMU_MAX_FORMATS];
};

/* Collects the TABLE_FORMAT properties of a completed PROBE @r. */
void viommu_table_formats(const struct viommu_req *r, struct viommu_formats *out);
/* The property for @format, or NULL when the endpoint did not report it. */
const struct virtio_iommu_probe_table_format *viommu_find_format(const struct viommu_formats *f,
								 uint16_t format);

#endif
