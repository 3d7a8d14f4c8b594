/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device's view of memory for DMA. Without an IOMMU, DMA addresses are guest-physical; a
 * device behind the virtio-iommu has its addresses translated first (iommu_translate), and a
 * miss is reported as a fault, never a wild access. Every byte still goes through gmem.
 */
#ifndef NESTVM_DMA_H
#define NESTVM_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/gmem.h"

struct dma_space {
	const struct gmem *mem;
	/*
	 * NULL: identity. Otherwise translates @addr for an access of @len bytes (@write: the
	 * device writes memory). On success *gpa is where it lands and *contig how many bytes
	 * from @addr are contiguous there (>= 1, may be < @len). Returns 0 or -EFAULT (no
	 * mapping, or the mapping forbids the access; the IOMMU reports the fault itself).
	 */
	int (*translate)(void *opaque, uint64_t addr, uint64_t len, bool write, uint64_t *gpa,
			 uint64_t *contig);
	/*
	 * Optional, with @translate: each dma_read/dma_write runs between begin and end, so
	 * that an UNMAP the guest sees completed is never followed by an access through the
	 * old mapping (the IOMMU holds its mappings still for the whole copy).
	 */
	void (*begin)(void *opaque);
	void (*end)(void *opaque);
	void *opaque;
};

/* Copy to/from DMA space; 0 or -EFAULT. Pieces that cross mapping boundaries are handled. */
int dma_read(const struct dma_space *dma, uint64_t addr, void *buf, uint64_t len);
int dma_write(const struct dma_space *dma, uint64_t addr, const void *buf, uint64_t len);

#endif
