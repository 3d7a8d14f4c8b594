/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSHIM_LINUX_IOMMU_H
#define KSHIM_LINUX_IOMMU_H
#define IOMMU_READ (1 << 0)
#define IOMMU_WRITE (1 << 1)
#endif
