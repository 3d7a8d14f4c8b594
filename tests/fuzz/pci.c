// SPDX-License-Identifier: GPL-2.0
/*
 * PCI config space through the host bridge's bus callbacks, as the vCPUs reach it: ECAM and
 * CONFIG_ADDRESS/CONFIG_DATA, any size and offset. Slot 3 is an emulated function with BARs
 * and a capability list; slot 5 stands for a passthrough function whose MSI-X capability and
 * table are the MSI-X model, with fake ops that check what the model asks of them.
 *
 * Input: u8 MSI-X vectors (1 + n mod 64), then records, each a u8 op and a u32 where:
 * op bits 0-1: ECAM read, ECAM write, port read, port write; bits 2-3: size 1, 2, 4, 8;
 * bit 4: MSI-X table access instead (bit 0: write; sizes as above). Writes add a u64 value.
 */
#include <errno.h>
#include <stdint.h>

#include "devices/pci.h"
#include "devices/pci_host.h"
#include "fuzz.h"
#include "vfio/msix.h"

#define ECAM 0xe0000000ULL
#define MSIX_CAP_ID 0x11

struct fn {
	struct pci_function fn;
	struct pci_cfg cfg;
	struct msix *msix;
	unsigned int msix_cap;
};

static struct fn emu, pt;
static struct msix msix;

static void check_access(unsigned int offset, unsigned int size)
{
	/* The host bridge's promise to every function (pci.h). */
	FUZZ_ASSERT(size == 1 || size == 2 || size == 4);
	FUZZ_ASSERT(offset % size == 0 && offset < PCI_CFG_EXT_SIZE);
}

static uint32_t fn_read(struct pci_function *f, unsigned int offset, unsigned int size)
{
	struct fn *d = (struct fn *)f;
	uint32_t v;

	check_access(offset, size);
	v = pci_cfg_read(&d->cfg, offset, size);
	/* Message Control (cap + 2) comes from the model, as the VFIO function does. */
	if (d->msix && offset <= d->msix_cap + 2 && offset + size > d->msix_cap + 2) {
		unsigned int sh = 8 * (d->msix_cap + 2 - offset);

		v &= ~(0xffffULL << sh);
		v |= (uint32_t)msix_ctrl_read(d->msix) << sh;
		if (size < 4)
			v &= (1ULL << (8 * size)) - 1;
	}
	return v;
}

static void fn_write(struct pci_function *f, unsigned int offset, unsigned int size, uint32_t value)
{
	struct fn *d = (struct fn *)f;

	check_access(offset, size);
	if (d->msix && offset <= d->msix_cap + 2 && offset + size >= d->msix_cap + 4)
		msix_ctrl_write(d->msix, value >> (8 * (d->msix_cap + 2 - offset)));
	pci_cfg_write(&d->cfg, offset, size, value);
}

static const struct pci_function_ops fn_ops = { .cfg_read = fn_read, .cfg_write = fn_write };

static int fake_route(void *opaque, unsigned int v, uint64_t address, uint32_t data)
{
	FUZZ_ASSERT(v < ((struct msix *)opaque)->nvec);
	(void)address;
	(void)data;
	return 0;
}

static int fake_signal(void *opaque, bool enable, unsigned int first, unsigned int count,
		       const bool *live)
{
	FUZZ_ASSERT(first <= ((struct msix *)opaque)->nvec &&
		    count <= ((struct msix *)opaque)->nvec - first);
	FUZZ_ASSERT(enable || count == 0);
	for (unsigned int i = 0; i < count; i++)
		FUZZ_ASSERT(live[i] == 0 || live[i] == 1);
	return 0;
}

static const struct msix_ops msix_ops = { .route = fake_route, .signal = fake_signal };

static void setup_fn(struct fn *d, uint16_t device)
{
	memset(d, 0, sizeof(*d));
	d->fn = (struct pci_function){ .ops = &fn_ops, .name = "fuzz" };
	pci_cfg_init(&d->cfg, 0x1234, device, 0x020000);
	pci_cfg_set_bar(&d->cfg, 0, 0x4000, 0);
	pci_cfg_set_bar(&d->cfg, 2, 1ULL << 33, PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
	pci_cfg_set_bar(&d->cfg, 4, 0x20, PCI_BAR_IO);
	pci_cfg_add_cap(&d->cfg, 0x05, 14);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int sizes[] = { 1, 2, 4, 8 };
	struct fuzz_in in = { data, size };
	struct bus pio = { .name = "pio" }, mmio = { .name = "mmio" };
	struct pci_host host;
	uint64_t val;

	pci_host_init(&host);
	FUZZ_ASSERT(pci_host_attach(&host, &pio, &mmio, ECAM) == 0);
	setup_fn(&emu, 0x5678);
	setup_fn(&pt, 0x9abc);
	FUZZ_ASSERT(msix_init(&msix, 1 + fuzz_u8(&in) % MSIX_MAX_VECTORS, &msix_ops, &msix) == 0);
	pt.msix = &msix;
	pt.msix_cap = pci_cfg_add_cap(&pt.cfg, MSIX_CAP_ID, 12);
	FUZZ_ASSERT(pt.msix_cap);
	FUZZ_ASSERT(pci_host_add(&host, 3, &emu.fn) == 0);
	FUZZ_ASSERT(pci_host_add(&host, 5, &pt.fn) == 0);

	while (in.left) {
		uint8_t op = fuzz_u8(&in);
		uint32_t where = fuzz_u32(&in);
		unsigned int len = sizes[(op >> 2) & 3];
		bool write = op & 1;

		val = write ? fuzz_u64(&in) : 0;
		if (op & 16) {
			/* Past the 64-entry table too: the model must leave those alone. */
			if (write)
				msix_table_write(&msix, where % 0x500, &val, len);
			else
				msix_table_read(&msix, where % 0x500, &val, len);
		} else if (!(op & 2)) {
			/* The window and a page past it, which no one claims. */
			uint64_t addr = ECAM + where % (PCI_HOST_ECAM_SIZE + 0x1000);

			if (write)
				bus_write(&mmio, addr, &val, len);
			else
				bus_read(&mmio, addr, &val, len);
		} else {
			uint64_t port = 0xcf0 + where % 0x18;

			if (write)
				bus_write(&pio, port, &val, len);
			else
				bus_read(&pio, port, &val, len);
		}
	}
	msix_reset(&msix);
	pci_host_destroy(&host);
	bus_free(&pio);
	bus_free(&mmio);
	return 0;
}
