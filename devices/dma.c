// SPDX-License-Identifier: GPL-2.0
#include <errno.h>

#include "dma.h"

static int dma_copy(const struct dma_space *dma, uint64_t addr, void *buf, uint64_t len, bool write)
{
	uint8_t *p = buf;

	if (!dma->translate)
		return write ? gmem_write(dma->mem, addr, buf, len)
			     : gmem_read(dma->mem, addr, buf, len);
	while (len) {
		uint64_t gpa, contig;
		int ret = dma->translate(dma->opaque, addr, len, write, &gpa, &contig);

		if (ret)
			return ret;
		if (!contig || contig > len)
			contig = len;
		ret = write ? gmem_write(dma->mem, gpa, p, contig)
			    : gmem_read(dma->mem, gpa, p, contig);
		if (ret)
			return ret;
		addr += contig;
		p += contig;
		len -= contig;
	}
	return 0;
}

int dma_read(const struct dma_space *dma, uint64_t addr, void *buf, uint64_t len)
{
	return dma_copy(dma, addr, buf, len, false);
}

int dma_write(const struct dma_space *dma, uint64_t addr, const void *buf, uint64_t len)
{
	return dma_copy(dma, addr, (void *)buf, len, true);
}
