// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"

/* The region containing addr, by binary search over the sorted array; NULL if none. */
static const struct bus_region *bus_find(const struct bus *bus, uint64_t addr)
{
	unsigned int lo = 0, hi = bus->count;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct bus_region *r = &bus->regions[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t size, const struct bus_ops *ops,
		 void *opaque, const char *name)
{
	unsigned int i;

	if (!size || base + size - 1 < base || !ops || !ops->read || !ops->write)
		return -EINVAL;
	for (i = 0; i < bus->count; i++) {
		const struct bus_region *r = &bus->regions[i];

		if (base <= r->base + r->size - 1 && r->base <= base + size - 1)
			return -EEXIST;
		if (r->base > base)
			break;
	}
	if (bus->count == bus->capacity) {
		unsigned int cap = bus->capacity ? bus->capacity * 2 : 8;
		struct bus_region *n = realloc(bus->regions, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		bus->regions = n;
		bus->capacity = cap;
	}
	memmove(&bus->regions[i + 1], &bus->regions[i], (bus->count - i) * sizeof(bus->regions[0]));
	bus->regions[i] = (struct bus_region){ base, size, ops, opaque, name };
	bus->count++;
	return 0;
}

static const struct bus_region *bus_claim(const struct bus *bus, uint64_t addr, unsigned int len)
{
	const struct bus_region *r = bus_find(bus, addr);

	/* An access must lie wholly inside one device. */
	if (!r || len == 0 || addr - r->base + len > r->size)
		return NULL;
	return r;
}

bool bus_read(const struct bus *bus, uint64_t addr, void *data, unsigned int len)
{
	const struct bus_region *r = bus_claim(bus, addr, len);

	if (!r) {
		memset(data, 0xff, len);
		return false;
	}
	r->ops->read(r->opaque, addr - r->base, data, len);
	return true;
}

bool bus_write(const struct bus *bus, uint64_t addr, const void *data, unsigned int len)
{
	const struct bus_region *r = bus_claim(bus, addr, len);

	if (!r)
		return false;
	r->ops->write(r->opaque, addr - r->base, data, len);
	return true;
}

void bus_free(struct bus *bus)
{
	free(bus->regions);
	bus->regions = NULL;
	bus->count = bus->capacity = 0;
}
