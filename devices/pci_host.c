// SPDX-License-Identifier: GPL-2.0
/* Bus 0 of the guest's PCI: config cycles from ECAM and from 0xCF8/0xCFC to the functions. */
#include <errno.h>
#include <string.h>

#include "devices/pci_host.h"
#include "vmm/util.h"

#define CONFIG_ADDRESS_ENABLE 0x80000000U
/* Bus (23:16), device (15:11), function (10:8), dword register (7:2); the rest reads 0. */
#define CONFIG_ADDRESS_MASK 0x80fffffcU
#define CONFIG_DATA_OFFSET 4

static struct pci_function *function_at(struct pci_host *h, unsigned int bus, unsigned int devfn)
{
	if (bus != 0 || (devfn & 0x7) != 0)
		return NULL;
	return h->slots[devfn >> 3];
}

/* Splits what does not fit the function's contract; refuses what crosses a dword. */
static uint32_t cfg_read(struct pci_function *fn, unsigned int offset, unsigned int size)
{
	uint32_t v = 0;

	if (!fn || offset % 4 + size > 4)
		return 0xffffffff;
	if (offset % size == 0)
		return fn->ops->cfg_read(fn, offset, size);
	for (unsigned int i = 0; i < size; i++)
		v |= (fn->ops->cfg_read(fn, offset + i, 1) & 0xff) << (8 * i);
	return v;
}

static void cfg_write(struct pci_function *fn, unsigned int offset, unsigned int size,
		      uint32_t value)
{
	if (!fn || offset % 4 + size > 4)
		return;
	if (offset % size == 0) {
		fn->ops->cfg_write(fn, offset, size, value);
		return;
	}
	for (unsigned int i = 0; i < size; i++)
		fn->ops->cfg_write(fn, offset + i, 1, (value >> (8 * i)) & 0xff);
}

static uint32_t le_get(const void *data, unsigned int len)
{
	const uint8_t *p = data;
	uint32_t v = 0;

	for (unsigned int i = 0; i < len; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void le_put(void *data, unsigned int len, uint64_t v)
{
	uint8_t *p = data;

	for (unsigned int i = 0; i < len; i++)
		p[i] = v >> (8 * i);
}

static bool size_ok(unsigned int len)
{
	return len == 1 || len == 2 || len == 4;
}

static void ecam_read(void *opaque, uint64_t offset, void *data, unsigned int len)
{
	struct pci_host *h = opaque;
	uint32_t v = 0xffffffff;

	if (size_ok(len)) {
		pthread_mutex_lock(&h->lock);
		v = cfg_read(function_at(h, offset >> 20, (offset >> 12) & 0xff), offset & 0xfff,
			     len);
		pthread_mutex_unlock(&h->lock);
	}
	le_put(data, len, len == 8 ? UINT64_MAX : v);
}

static void ecam_write(void *opaque, uint64_t offset, const void *data, unsigned int len)
{
	struct pci_host *h = opaque;

	if (!size_ok(len))
		return;
	pthread_mutex_lock(&h->lock);
	cfg_write(function_at(h, offset >> 20, (offset >> 12) & 0xff), offset & 0xfff, len,
		  le_get(data, len));
	pthread_mutex_unlock(&h->lock);
}

/* The function and register CONFIG_ADDRESS points at, or NULL when it is disabled. */
static struct pci_function *cf8_target(struct pci_host *h, unsigned int *reg)
{
	uint32_t a = h->config_address;

	if (!(a & CONFIG_ADDRESS_ENABLE))
		return NULL;
	*reg = a & 0xfc;
	return function_at(h, (a >> 16) & 0xff, (a >> 8) & 0xff);
}

static void cf8_read(void *opaque, uint64_t offset, void *data, unsigned int len)
{
	struct pci_host *h = opaque;
	uint32_t v = 0xffffffff;
	unsigned int reg = 0;

	pthread_mutex_lock(&h->lock);
	if (offset == 0 && len == 4) {
		v = h->config_address;
	} else if (offset >= CONFIG_DATA_OFFSET && size_ok(len)) {
		struct pci_function *fn = cf8_target(h, &reg);

		v = cfg_read(fn, reg + offset - CONFIG_DATA_OFFSET, len);
	}
	pthread_mutex_unlock(&h->lock);
	le_put(data, len, v);
}

static void cf8_write(void *opaque, uint64_t offset, const void *data, unsigned int len)
{
	struct pci_host *h = opaque;
	unsigned int reg = 0;

	pthread_mutex_lock(&h->lock);
	if (offset == 0 && len == 4) {
		h->config_address = le_get(data, len) & CONFIG_ADDRESS_MASK;
	} else if (offset >= CONFIG_DATA_OFFSET && size_ok(len)) {
		struct pci_function *fn = cf8_target(h, &reg);

		cfg_write(fn, reg + offset - CONFIG_DATA_OFFSET, len, le_get(data, len));
	}
	pthread_mutex_unlock(&h->lock);
}

static const struct bus_ops ecam_ops = { .read = ecam_read, .write = ecam_write };
static const struct bus_ops cf8_ops = { .read = cf8_read, .write = cf8_write };

static uint32_t bridge_read(struct pci_function *fn, unsigned int offset, unsigned int size)
{
	struct pci_host *h = container_of(fn, struct pci_host, bridge);

	return pci_cfg_read(&h->bridge_cfg, offset, size);
}

static void bridge_write(struct pci_function *fn, unsigned int offset, unsigned int size,
			 uint32_t value)
{
	struct pci_host *h = container_of(fn, struct pci_host, bridge);

	pci_cfg_write(&h->bridge_cfg, offset, size, value);
}

static const struct pci_function_ops bridge_ops = { .cfg_read = bridge_read,
						    .cfg_write = bridge_write };

void pci_host_init(struct pci_host *h)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	pci_cfg_init(&h->bridge_cfg, PCI_HOST_BRIDGE_VENDOR, PCI_HOST_BRIDGE_DEVICE,
		     PCI_HOST_BRIDGE_CLASS);
	h->bridge = (struct pci_function){ .ops = &bridge_ops, .name = "host bridge" };
	h->slots[0] = &h->bridge;
}

int pci_host_add(struct pci_host *h, unsigned int slot, struct pci_function *fn)
{
	if (!slot || slot >= PCI_HOST_SLOTS || !fn || !fn->ops)
		return -EINVAL;
	if (h->slots[slot])
		return -EBUSY;
	h->slots[slot] = fn;
	return 0;
}

int pci_host_attach(struct pci_host *h, struct bus *pio, struct bus *mmio, uint64_t ecam_base)
{
	int ret = bus_register(mmio, ecam_base, PCI_HOST_ECAM_SIZE, &ecam_ops, h, "pci-ecam");

	if (!ret)
		ret = bus_register(pio, PCI_CONFIG_ADDRESS_PORT, PCI_CONFIG_PORTS, &cf8_ops, h,
				   "pci-cf8");
	return ret;
}

void pci_host_destroy(struct pci_host *h)
{
	pthread_mutex_destroy(&h->lock);
}
