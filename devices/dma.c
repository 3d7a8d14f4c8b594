// SPDX-License-Identifier: GPL-2.0
#include <errno.h>

#include "dma.h"

static int dma_copy(const struct dma_space *dma, uint64_t addr, void *buf, uint64_t len, bool write)
{
	uint8_t *p = buf;
	int ret = 0;

	if (!dma->translate)
		return write ? gmem_write(dma->mem, addr, buf, len)
			     : gmem_read(dma->mem, addr, buf, len);
	if (dma->begin)
		dma->begin(dma->opaque);
	while (len) {
		uint64_t gpa, contig;

		ret = dma->translate(dma->opaque, addr, len, write, &gpa, &contig);
		if (ret)
			break;
		if (!contig || contig > len)
			contig = len;
		ret = write ? gmem_write(dma->mem, gpa, p, contig)
			    : gmem_read(dma->mem, gpa, p, contig);
		if (ret)
			break;
		addr += contig;
		p += contig;
		len -= contig;
	}
	if (dma->end)
		dma->end(dma->opaque);
	return ret;
}

int dma_read(const struct dma_space *dma, uint64_t addr, void *buf, uint64_t len)
{
	return dma_copy(dma, addr, buf, len, false);
}

int dma_write(const struct dma_space *dma, uint64_t addr, const void *buf, uint64_t len)
{
	return dma_copy(dma, addr, (void *)buf, len, true);
}
