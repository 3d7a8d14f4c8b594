// SPDX-License-Identifier: GPL-2.0
/*
 * The passthrough function's config-space emulation (vfio/vfio_pci.c), whole: the fuzzer
 * gives the device's config space and its VFIO regions, vfio_pci_create() scans the
 * capabilities, places the BARs and sets up MSI-X, and then config reads and writes of every
 * size at every offset reach it through the host bridge (ECAM and 0xCF8/0xCFC), next to an
 * emulated function, with BAR sizing, capability walks, MSI-X control and accesses to the
 * trapped BARs (the MSI-X table, the PBA) in between.
 *
 * The device behind it is this file: the VFIO layer (vfio/vfio_device.c's functions) and
 * the three KVM calls of vfio_pci.c (vm.c, msi_routes.c) are defined here, so the linker
 * takes these instead of the library's, and each checks what vfio_pci asks of it:
 *  - config writes that reach the device never touch a byte nestvm answers for (BARs, ROM,
 *    capability pointer, interrupt line and pin, MSI-X Message Control);
 *  - region accesses stay inside their region;
 *  - the MSI-X vectors VFIO signals are exactly the live ones of the guest's table and
 *    Message Control, each with its own eventfd; each KVM route is the vector's address/data.
 * And after every access, as the guest sees it: the capability list ends, without a loop,
 * through kept capabilities only (power management, PCI Express, MSI-X) and includes MSI-X;
 * the interrupt pin, the ROM BAR and extended config space read 0; BAR sizing follows the
 * spec; Message Control reads back the model's.
 *
 * Input: 256 bytes of config space, then u8 per BAR 0-5 (0: none; else 1 << (n % 41) bytes,
 * n >= 0xf8: a size that is not a power of two), u8 BARs VFIO lets us mmap (bit per BAR),
 * u8 MSI-X vectors VFIO offers, u8 device flags (bit 0: it can reset); then records, each a
 * u8 op and a u32 where: op bits 0-1: ECAM read, ECAM write, port read, port write; bits 2-3:
 * size 1, 2, 4, 8; bit 4: an access to BAR (op >> 5) % 6 instead, at where mod its size; op
 * 0xff: a BAR sizing probe of BAR where % 6. Writes add a u64 value.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/pci_host.h"
#include "fuzz.h"
#include "vfio/vfio_pci.h"

#define ECAM 0xe0000000ULL
#define SLOT 5
#define CAP_PM 0x01
#define CAP_EXP 0x10
#define CAP_MSIX 0x11

static struct {
	uint8_t cfg[PCI_CFG_SIZE];
	bool ro[PCI_CFG_SIZE]; /* read-only in the device, as in hardware (and VFIO's filter) */
	uint64_t bar_size[PCI_BAR_COUNT];
	uint8_t mmap_mask, nvec, flags;
	bool enabled; /* VFIO's MSI-X index on */
	int fd[MSIX_MAX_VECTORS]; /* the eventfd VFIO signals each vector with, -1: none */
	bool routed[MSI_ROUTES_MAX];
	uint64_t route_addr[MSI_ROUTES_MAX];
	uint32_t route_data[MSI_ROUTES_MAX];
	unsigned int gsis;
} fake;

static struct vfio_pci vp;
static bool created;

/* ---- the VFIO device ---- */

int vfio_device_open(struct vfio_device *d, const char *spec, const char *sysfs, int iommufd,
		     char *err, size_t errlen)
{
	(void)sysfs;
	(void)iommufd;
	(void)err;
	(void)errlen;
	memset(d, 0, sizeof(*d));
	d->fd = 1000; /* never used as an fd: every call that would is here */
	snprintf(d->name, sizeof(d->name), "%s", spec);
	d->flags = VFIO_DEVICE_FLAGS_PCI | (fake.flags & 1 ? VFIO_DEVICE_FLAGS_RESET : 0);
	for (unsigned int i = 0; i < PCI_BAR_COUNT; i++) {
		d->regions[i].size = fake.bar_size[i];
		d->regions[i].offset = (uint64_t)i << 40;
		d->regions[i].flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
				      (fake.mmap_mask >> i & 1 ? VFIO_REGION_INFO_FLAG_MMAP : 0);
	}
	d->regions[VFIO_PCI_CONFIG_REGION_INDEX].size = PCI_CFG_SIZE;
	d->irqs[VFIO_PCI_MSIX_IRQ_INDEX].count = fake.nvec;
	return 0;
}

void vfio_device_close(struct vfio_device *d)
{
	d->fd = -1;
}

int vfio_device_reset(struct vfio_device *d)
{
	return d->flags & VFIO_DEVICE_FLAGS_RESET ? 0 : -ENOTSUP;
}

static void region_ok(const struct vfio_device *d, unsigned int index, uint64_t off, size_t len)
{
	FUZZ_ASSERT(index < VFIO_PCI_NUM_REGIONS && d->regions[index].size);
	FUZZ_ASSERT(len && off < d->regions[index].size && len <= d->regions[index].size - off);
}

int vfio_region_read(const struct vfio_device *d, unsigned int index, uint64_t off, void *buf,
		     size_t len)
{
	region_ok(d, index, off, len);
	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		memcpy(buf, fake.cfg + off, len);
	else
		memset(buf, 0xa0 + index, len);
	return 0;
}

/* A config byte nestvm answers for itself: the device must never see it written. */
static bool emulated(unsigned int off)
{
	if ((off >= PCI_CFG_BAR0 && off < PCI_CFG_BAR0 + 24) || (off >= 0x30 && off <= 0x34) ||
	    off == PCI_CFG_INTERRUPT_LINE || off == PCI_CFG_INTERRUPT_PIN)
		return true;
	return created && (off == vp.msix_cap + 2 || off == vp.msix_cap + 3);
}

int vfio_region_write(const struct vfio_device *d, unsigned int index, uint64_t off,
		      const void *buf, size_t len)
{
	region_ok(d, index, off, len);
	if (index != VFIO_PCI_CONFIG_REGION_INDEX)
		return 0;
	for (size_t i = 0; i < len; i++)
		FUZZ_ASSERT(!emulated(off + i));
	for (size_t i = 0; i < len; i++)
		if (!fake.ro[off + i])
			fake.cfg[off + i] = ((const uint8_t *)buf)[i];
	return 0;
}

/* IDs, class, header type, and each capability's ID and next pointer do not change. */
static void set_read_only(void)
{
	unsigned int off = fake.cfg[PCI_CFG_CAP_PTR] & ~3u;

	for (unsigned int i = 0; i < 0x10; i++)
		fake.ro[i] = i < 4 || (i >= 6 && i < 0x0c) || i == PCI_CFG_HEADER_TYPE;
	for (unsigned int hops = 0; off >= 0x40 && off < PCI_CFG_SIZE - 1 && hops < 64; hops++) {
		fake.ro[off] = fake.ro[off + 1] = true;
		off = fake.cfg[off + 1] & ~3u;
	}
}

void *vfio_region_mmap(const struct vfio_device *d, unsigned int index, uint64_t off, size_t len)
{
	region_ok(d, index, off, len);
	FUZZ_ASSERT(index < PCI_BAR_COUNT && off == 0 && len == d->regions[index].size);
	FUZZ_ASSERT(d->regions[index].flags & VFIO_REGION_INFO_FLAG_MMAP);
	if (len > 0x10000) {
		errno = ENOMEM; /* the path where the BAR is trapped instead */
		return MAP_FAILED;
	}
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

int vfio_device_set_irqs(const struct vfio_device *d, unsigned int index, unsigned int start,
			 unsigned int count, const int *fds)
{
	FUZZ_ASSERT(d == &vp.dev && index == VFIO_PCI_MSIX_IRQ_INDEX);
	if (!count) {
		fake.enabled = false;
		for (unsigned int v = 0; v < MSIX_MAX_VECTORS; v++)
			fake.fd[v] = -1;
		return 0;
	}
	FUZZ_ASSERT(start < vp.msix.nvec && count <= vp.msix.nvec - start);
	/* VFIO turns MSI-X on with the first call that sets vectors [0, n). */
	FUZZ_ASSERT(fake.enabled || start == 0);
	fake.enabled = true;
	for (unsigned int i = 0; i < count; i++) {
		FUZZ_ASSERT(fds[i] == -1 || fds[i] == vp.vector_fds[start + i]);
		fake.fd[start + i] = fds[i];
	}
	return 0;
}

/* ---- KVM ---- */

int msi_routes_alloc(struct msi_routes *r, unsigned int n, unsigned int *gsi)
{
	(void)r;
	FUZZ_ASSERT(n >= 1 && n <= MSIX_MAX_VECTORS && !fake.gsis);
	fake.gsis = n;
	*gsi = MSI_GSI_BASE;
	return 0;
}

int msi_routes_set(struct msi_routes *r, unsigned int gsi, bool active, uint64_t address,
		   uint32_t data)
{
	(void)r;
	FUZZ_ASSERT(gsi >= MSI_GSI_BASE && gsi - MSI_GSI_BASE < fake.gsis && active);
	fake.routed[gsi - MSI_GSI_BASE] = true;
	fake.route_addr[gsi - MSI_GSI_BASE] = address;
	fake.route_data[gsi - MSI_GSI_BASE] = data;
	return 0;
}

int vm_add_irqfd(struct vm *vm, unsigned int gsi, int fd)
{
	(void)vm;
	FUZZ_ASSERT(gsi >= MSI_GSI_BASE && gsi - MSI_GSI_BASE < fake.gsis && fd >= 0);
	return 0;
}

int vm_map_device_memory(struct vm *vm, uint64_t gpa, void *hva, uint64_t size)
{
	(void)vm;
	FUZZ_ASSERT(hva && size && !(size % 4096) && !(gpa % size));
	return 8;
}

int vm_switch_device_memory(struct vm *vm, int slot, uint64_t gpa, void *hva, uint64_t size,
			    bool on)
{
	(void)vm;
	(void)on;
	FUZZ_ASSERT(slot == 8 && hva && size && !(gpa % size));
	return 0;
}

/* ---- the checks, as the guest sees config space ---- */

static uint32_t cfg_rd(unsigned int off, unsigned int size)
{
	return vp.fn.ops->cfg_read(&vp.fn, off, size);
}

static void check_caps(void)
{
	bool seen[PCI_CFG_SIZE] = { false }, msix = false;
	unsigned int off = cfg_rd(PCI_CFG_CAP_PTR, 1);

	for (unsigned int hops = 0; off; hops++) {
		uint8_t id = cfg_rd(off, 1);

		FUZZ_ASSERT(hops < 48 && off >= 0x40 && off < PCI_CFG_SIZE && !(off & 3));
		FUZZ_ASSERT(!seen[off]);
		seen[off] = true;
		FUZZ_ASSERT(id == CAP_PM || id == CAP_EXP || id == CAP_MSIX);
		msix |= off == vp.msix_cap;
		off = cfg_rd(off + 1, 1);
	}
	FUZZ_ASSERT(msix);
}

static void check_msix(void)
{
	const struct msix *m = &vp.msix;
	bool on = m->ctrl & MSIX_CTRL_ENABLE;

	FUZZ_ASSERT(cfg_rd(vp.msix_cap + 2, 2) == msix_ctrl_read(m));
	FUZZ_ASSERT(fake.enabled == on);
	for (unsigned int v = 0; v < m->nvec; v++) {
		bool live = on && !(m->ctrl & MSIX_CTRL_MASKALL) &&
			    !(m->table[v].ctrl & MSIX_VECTOR_MASKED);

		FUZZ_ASSERT((fake.fd[v] >= 0) == live);
		if (fake.routed[v])
			FUZZ_ASSERT(fake.route_addr[v] == ((uint64_t)m->table[v].addr_hi << 32 |
							   m->table[v].addr_lo) &&
				    fake.route_data[v] == m->table[v].data);
	}
}

static void check(void)
{
	FUZZ_ASSERT(cfg_rd(PCI_CFG_INTERRUPT_PIN, 1) == 0);
	FUZZ_ASSERT(cfg_rd(0x30, 4) == 0);
	FUZZ_ASSERT(cfg_rd(0x100, 4) == 0 && cfg_rd(0xffc, 4) == 0);
	check_caps();
	check_msix();
}

/* The sizing dance a BIOS or Linux does on BAR @i, checked against the spec. */
static void sizing_probe(unsigned int i)
{
	unsigned int off = PCI_CFG_BAR0 + 4 * i;
	uint32_t mask, addr;
	int low = -1;

	/* Which BAR this dword belongs to: its own, or the one below as its upper half. */
	for (unsigned int b = 0; b < PCI_BAR_COUNT; b++) {
		if (!fake.bar_size[b])
			continue;
		if (b == i)
			low = b;
		if (fake.cfg[PCI_CFG_BAR0 + 4 * b] & PCI_BAR_MEM64 &&
		    !(fake.cfg[PCI_CFG_BAR0 + 4 * b] & PCI_BAR_IO)) {
			if (b + 1 == i)
				low = b + 0x10;
			b++;
		} else if (b > i) {
			break;
		}
	}
	vp.fn.ops->cfg_write(&vp.fn, off, 4, ~0u);
	mask = cfg_rd(off, 4);
	vp.fn.ops->cfg_write(&vp.fn, off, 4, 0);
	addr = cfg_rd(off, 4);
	if (low < 0) {
		FUZZ_ASSERT(mask == 0 && addr == 0);
	} else if (low >= 0x10) {
		uint64_t size = fake.bar_size[low - 0x10];

		FUZZ_ASSERT(mask == (uint32_t)(~(size - 1) >> 32));
		FUZZ_ASSERT(addr == (uint32_t)(vp.bars[low - 0x10].gpa >> 32));
	} else {
		uint64_t size = fake.bar_size[low];
		uint32_t raw = fake.cfg[off], flags = raw & PCI_BAR_IO ? PCI_BAR_IO : raw & 0xc;

		FUZZ_ASSERT(mask == ((uint32_t) ~(size - 1) | flags));
		/* Where nestvm placed it, aligned to its size, the flags kept. */
		FUZZ_ASSERT(addr == ((uint32_t)vp.bars[low].gpa | flags));
		FUZZ_ASSERT(!(vp.bars[low].gpa % size));
	}
}

/* ---- the emulated function next to it (devices/pci.c) ---- */

static struct emu {
	struct pci_function fn;
	struct pci_cfg cfg;
} emu;

static uint32_t emu_read(struct pci_function *f, unsigned int offset, unsigned int size)
{
	FUZZ_ASSERT((size == 1 || size == 2 || size == 4) && offset % size == 0);
	return pci_cfg_read(&((struct emu *)f)->cfg, offset, size);
}

static void emu_write(struct pci_function *f, unsigned int offset, unsigned int size,
		      uint32_t value)
{
	FUZZ_ASSERT((size == 1 || size == 2 || size == 4) && offset % size == 0);
	pci_cfg_write(&((struct emu *)f)->cfg, offset, size, value);
}

static const struct pci_function_ops emu_ops = { .cfg_read = emu_read, .cfg_write = emu_write };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int sizes[] = { 1, 2, 4, 8 };
	struct fuzz_in in = { data, size };
	struct pci_bar_space space = {
		0xc0000000, 0xdfffffff, 0x10000000000ULL, 0x1ffffffffffULL, 0xc000, 0xffff,
	};
	struct pci_host host;
	struct vm vm;
	char err[256];
	uint64_t val;

	memset(&fake, 0, sizeof(fake));
	for (unsigned int v = 0; v < MSIX_MAX_VECTORS; v++)
		fake.fd[v] = -1;
	for (unsigned int i = 0; i < PCI_CFG_SIZE; i++)
		fake.cfg[i] = fuzz_u8(&in);
	for (unsigned int i = 0; i < PCI_BAR_COUNT; i++) {
		uint8_t n = fuzz_u8(&in);

		fake.bar_size[i] = !n ? 0 : n >= 0xf8 ? 3ULL << (n % 16) : 1ULL << (n % 41);
	}
	fake.mmap_mask = fuzz_u8(&in);
	fake.nvec = fuzz_u8(&in);
	fake.flags = fuzz_u8(&in);
	set_read_only();

	memset(&vm, 0, sizeof(vm));
	vm.pio.name = "pio";
	vm.mmio.name = "mmio";
	created = false;
	if (vfio_pci_create(&vp, &vm, &space, "fuzz", -1, err, sizeof(err))) {
		vfio_pci_destroy(&vp);
		bus_free(&vm.pio);
		bus_free(&vm.mmio);
		return 0;
	}
	created = true;
	pci_host_init(&host);
	FUZZ_ASSERT(pci_host_attach(&host, &vm.pio, &vm.mmio, ECAM) == 0);
	emu.fn = (struct pci_function){ .ops = &emu_ops, .name = "emu" };
	pci_cfg_init(&emu.cfg, 0x1234, 0x5678, 0x020000);
	pci_cfg_set_bar(&emu.cfg, 0, 0x4000, 0);
	pci_cfg_set_bar(&emu.cfg, 2, 1ULL << 33, PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
	pci_cfg_set_bar(&emu.cfg, 4, 0x20, PCI_BAR_IO);
	pci_cfg_add_cap(&emu.cfg, 0x05, 14);
	FUZZ_ASSERT(pci_host_add(&host, 3, &emu.fn) == 0);
	FUZZ_ASSERT(pci_host_add(&host, SLOT, &vp.fn) == 0);
	check();

	while (in.left) {
		uint8_t op = fuzz_u8(&in);
		uint32_t where = fuzz_u32(&in);
		unsigned int len = sizes[(op >> 2) & 3];
		bool write = op & 1;

		val = write ? fuzz_u64(&in) : 0;
		if (op == 0xff) {
			sizing_probe(where % PCI_BAR_COUNT);
		} else if (op & 16) {
			const struct vfio_pci_bar *b = &vp.bars[(op >> 5) % PCI_BAR_COUNT];
			struct bus *bus = b->flags & PCI_BAR_IO ? &vm.pio : &vm.mmio;
			uint64_t addr = b->gpa + (b->size ? where % b->size : where);

			if (write)
				bus_write(bus, addr, &val, len);
			else
				bus_read(bus, addr, &val, len);
		} else if (!(op & 2)) {
			/* Slots 3 and 5, the rest of the window and a page past it. */
			uint64_t addr = ECAM + where % (PCI_HOST_ECAM_SIZE + 0x1000);

			if (where & 0x80000000)
				addr = ECAM + ((where & 1 ? 3 : SLOT) << 15) + where % 0x1000;
			if (write)
				bus_write(&vm.mmio, addr, &val, len);
			else
				bus_read(&vm.mmio, addr, &val, len);
		} else {
			uint64_t port = 0xcf0 + where % 0x18;

			if (write)
				bus_write(&vm.pio, port, &val, len);
			else
				bus_read(&vm.pio, port, &val, len);
		}
		check();
	}
	pci_host_destroy(&host);
	vfio_pci_destroy(&vp);
	bus_free(&vm.pio);
	bus_free(&vm.mmio);
	return 0;
}
