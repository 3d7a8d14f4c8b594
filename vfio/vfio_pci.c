// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio/vfio_pci.h"
#include "vmm/log.h"
#include "vmm/util.h"

#define PAGE_SIZE 4096ULL
#define CAP_ID_PM 0x01
#define CAP_ID_EXP 0x10
#define CAP_ID_MSIX 0x11
#define CFG_ROM 0x30
#define CFG_BARS_END (PCI_CFG_BAR0 + 4 * PCI_BAR_COUNT)

static const char *const bar_names[PCI_BAR_COUNT] = {
	"vfio BAR0", "vfio BAR1", "vfio BAR2", "vfio BAR3", "vfio BAR4", "vfio BAR5",
};

/* ---- BARs the guest reaches through exits ---- */

/* A VFIO access the guest asked for failed: said once per device and direction. */
static void io_failed(struct vfio_pci *vp, bool write, unsigned int index, uint64_t off, int err)
{
	if (__atomic_exchange_n(&vp->io_warned[write], true, __ATOMIC_RELAXED))
		return;
	pr_warn("vfio %s: %s %s at %#llx failed: %s; the guest %s (said once)", vp->dev.name,
		write ? "write to" : "read of",
		index == VFIO_PCI_CONFIG_REGION_INDEX ? "config space" : bar_names[index] + 5,
		(unsigned long long)off, strerror(-err),
		write ? "write is dropped" : "reads all ones");
}

/* Whether BAR @index decodes now; one that does not reads all ones, as a master abort. */
static bool bar_decodes(const struct vfio_pci *vp, unsigned int index)
{
	uint16_t cmd = __atomic_load_n(&vp->command, __ATOMIC_RELAXED);

	return cmd & ((vp->bars[index].flags & PCI_BAR_IO) ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY);
}

static bool in_msix_table(const struct vfio_pci *vp, unsigned int index, uint64_t off)
{
	return index == vp->msix_bar && off >= vp->msix_table_off &&
	       off - vp->msix_table_off < (uint64_t)vp->msix.nvec * MSIX_ENTRY_SIZE;
}

static void trap_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	struct vfio_pci_trap *t = opaque;
	struct vfio_pci *vp = t->vp;

	if (in_msix_table(vp, t->index, off)) {
		pthread_mutex_lock(&vp->lock);
		msix_table_read(&vp->msix, off - vp->msix_table_off, data, len);
		pthread_mutex_unlock(&vp->lock);
		return;
	}
	memset(data, 0xff, len);
	if (bar_decodes(vp, t->index)) {
		int ret = vfio_region_read(&vp->dev, t->index, off, data, len);

		if (ret) {
			memset(data, 0xff, len);
			io_failed(vp, false, t->index, off, ret);
		}
	}
}

static void trap_write(void *opaque, uint64_t off, const void *data, unsigned int len)
{
	struct vfio_pci_trap *t = opaque;
	struct vfio_pci *vp = t->vp;

	if (in_msix_table(vp, t->index, off)) {
		pthread_mutex_lock(&vp->lock);
		msix_table_write(&vp->msix, off - vp->msix_table_off, data, len);
		pthread_mutex_unlock(&vp->lock);
		return;
	}
	if (bar_decodes(vp, t->index)) {
		int ret = vfio_region_write(&vp->dev, t->index, off, data, len);

		if (ret)
			io_failed(vp, true, t->index, off, ret);
	}
}

static const struct bus_ops trap_ops = { .read = trap_read, .write = trap_write };

/* ---- MSI-X: the model's decisions applied to KVM and VFIO ---- */

static int msix_route(void *opaque, unsigned int v, uint64_t address, uint32_t data)
{
	struct vfio_pci *vp = opaque;

	return msi_routes_set(&vp->vm->msi, vp->gsi_base + v, true, address, data);
}

static int msix_signal(void *opaque, bool enable, unsigned int first, unsigned int count,
		       const bool *live)
{
	struct vfio_pci *vp = opaque;
	int fds[MSIX_MAX_VECTORS], ret;

	for (unsigned int i = 0; i < count; i++)
		fds[i] = live[i] ? vp->vector_fds[first + i] : -1;
	ret =
	    vfio_device_set_irqs(&vp->dev, VFIO_PCI_MSIX_IRQ_INDEX, first, enable ? count : 0, fds);
	if (ret && enable)
		pr_err("vfio %s: cannot set MSI-X vectors %u-%u: %s", vp->dev.name, first,
		       first + count - 1, strerror(-ret));
	else if (ret)
		pr_err("vfio %s: cannot turn MSI-X off: %s", vp->dev.name, strerror(-ret));
	return ret;
}

static const struct msix_ops msix_ops = { .route = msix_route, .signal = msix_signal };

/* ---- config space ---- */

static uint32_t bar_dword(const struct vfio_pci *vp, unsigned int i)
{
	const struct vfio_pci_bar *b = &vp->bars[i];

	if (i > 0 && (vp->bars[i - 1].flags & PCI_BAR_MEM64) && vp->bars[i - 1].size) {
		b = &vp->bars[i - 1];
		return b->sizing_hi ? (uint32_t)(~(b->size - 1) >> 32) : (uint32_t)(b->gpa >> 32);
	}
	if (!b->size)
		return 0;
	return (b->sizing ? (uint32_t) ~(b->size - 1) : (uint32_t)b->gpa) | b->flags;
}

/* The byte at @off when nestvm answers for it, rather than the device. */
static bool emulated_byte(const struct vfio_pci *vp, unsigned int off, uint8_t *byte)
{
	if (off >= PCI_CFG_SIZE)
		*byte = 0; /* no extended capabilities */
	else if (off >= PCI_CFG_BAR0 && off < CFG_BARS_END)
		*byte = bar_dword(vp, (off - PCI_CFG_BAR0) / 4) >> (8 * (off % 4));
	else if (off >= CFG_ROM && off < CFG_ROM + 4)
		*byte = 0;
	else if (off == PCI_CFG_CAP_PTR)
		*byte = vp->first_cap;
	else if (off == PCI_CFG_INTERRUPT_LINE)
		*byte = vp->interrupt_line;
	else if (off == PCI_CFG_INTERRUPT_PIN)
		*byte = 0;
	else if (off == vp->msix_cap + 2 || off == vp->msix_cap + 3)
		*byte = msix_ctrl_read(&vp->msix) >> (8 * (off - vp->msix_cap - 2));
	else if (off > 0x40 && vp->visible_next[off - 1] != 0xff)
		*byte = vp->visible_next[off - 1]; /* a kept capability's next pointer */
	else
		return false;
	return true;
}

static uint32_t cfg_read(struct pci_function *fn, unsigned int offset, unsigned int size)
{
	struct vfio_pci *vp = container_of(fn, struct vfio_pci, fn);
	uint32_t val = 0, dword = ~0u;
	bool have = false;

	pthread_mutex_lock(&vp->lock);
	for (unsigned int i = 0; i < size; i++) {
		unsigned int off = offset + i;
		uint8_t byte;

		if (!emulated_byte(vp, off, &byte)) {
			if (!have) {
				int ret = vfio_region_read(&vp->dev, VFIO_PCI_CONFIG_REGION_INDEX,
							   off & ~3u, &dword, 4);

				if (ret) {
					dword = ~0u;
					io_failed(vp, false, VFIO_PCI_CONFIG_REGION_INDEX,
						  off & ~3u, ret);
				}
			}
			have = true;
			byte = dword >> (8 * (off % 4));
		}
		val |= (uint32_t)byte << (8 * i);
	}
	pthread_mutex_unlock(&vp->lock);
	return val;
}

static void bar_write(struct vfio_pci *vp, unsigned int i, uint32_t value)
{
	struct vfio_pci_bar *b = &vp->bars[i];
	bool hi = i > 0 && (vp->bars[i - 1].flags & PCI_BAR_MEM64) && vp->bars[i - 1].size;
	uint32_t now;

	if (hi)
		b = &vp->bars[i - 1];
	if (!b->size)
		return;
	if (hi)
		b->sizing_hi = value == ~0u;
	else
		b->sizing = value == ~0u;
	now = bar_dword(vp, i);
	if (value != ~0u && (value & ~0xfu) != (now & ~0xfu) && !vp->bar_warned) {
		vp->bar_warned = true;
		pr_warn("vfio %s: the guest moves BAR%u to %#x; nestvm keeps BARs where it placed "
			"them (the write is ignored)",
			vp->dev.name, hi ? i - 1 : i, value);
	}
}

static void cfg_forward(struct vfio_pci *vp, unsigned int off, const void *data, unsigned int len)
{
	int ret = vfio_region_write(&vp->dev, VFIO_PCI_CONFIG_REGION_INDEX, off, data, len);

	if (ret)
		io_failed(vp, true, VFIO_PCI_CONFIG_REGION_INDEX, off, ret);
}

/*
 * Applies the device's memory decoding to the BARs mapped as memory slots. With decoding off
 * vfio-pci zaps their mmap and answers a fault there with SIGBUS, which KVM would meet on the
 * guest's next access; without the slot that access exits, unclaimed, and reads all ones, as
 * on real hardware. Under vp->lock.
 */
static void update_decoding(struct vfio_pci *vp)
{
	uint16_t cmd, was = vp->command;
	bool on;

	if (vfio_region_read(&vp->dev, VFIO_PCI_CONFIG_REGION_INDEX, PCI_CFG_COMMAND, &cmd, 2))
		return; /* keep what we had */
	__atomic_store_n(&vp->command, cmd, __ATOMIC_RELAXED);
	on = cmd & PCI_COMMAND_MEMORY;
	if (on == !!(was & PCI_COMMAND_MEMORY))
		return;
	for (unsigned int i = 0; i < PCI_BAR_COUNT; i++) {
		struct vfio_pci_bar *b = &vp->bars[i];

		if (b->map)
			vm_switch_device_memory(vp->vm, b->slot, b->gpa, b->map, b->size, on);
	}
}

static void cfg_write(struct pci_function *fn, unsigned int offset, unsigned int size,
		      uint32_t value)
{
	struct vfio_pci *vp = container_of(fn, struct vfio_pci, fn);
	uint16_t ctrl;
	uint8_t byte;

	pthread_mutex_lock(&vp->lock);
	if (offset >= PCI_CFG_BAR0 && offset < CFG_BARS_END) {
		if (size == 4)
			bar_write(vp, (offset - PCI_CFG_BAR0) / 4, value);
		goto out;
	}
	ctrl = msix_ctrl_read(&vp->msix);
	for (unsigned int i = 0; i < size; i++) {
		unsigned int off = offset + i;
		uint8_t b = value >> (8 * i);

		if (off == vp->msix_cap + 2 || off == vp->msix_cap + 3) {
			unsigned int shift = 8 * (off - vp->msix_cap - 2);

			ctrl = (ctrl & ~(0xffu << shift)) | (uint16_t)b << shift;
		} else if (off == PCI_CFG_INTERRUPT_LINE) {
			vp->interrupt_line = b;
		} else if (!emulated_byte(vp, off, &byte)) {
			/* Whole accesses when nothing in them is ours (the command register). */
			if (i == 0 && size > 1 && off >= PCI_CFG_COMMAND && off + size <= 0x3c &&
			    !(off < vp->msix_cap + 4 && off + size > vp->msix_cap)) {
				cfg_forward(vp, off, &value, size);
				break;
			}
			cfg_forward(vp, off, &b, 1);
		}
	}
	if (ctrl != msix_ctrl_read(&vp->msix))
		msix_ctrl_write(&vp->msix, ctrl);
	if (offset <= PCI_CFG_COMMAND && offset + size > PCI_CFG_COMMAND)
		update_decoding(vp);
out:
	pthread_mutex_unlock(&vp->lock);
}

static const struct pci_function_ops vfio_pci_ops = { .cfg_read = cfg_read,
						      .cfg_write = cfg_write };

/* ---- setup ---- */

static uint32_t cfg32(const struct vfio_pci *vp, unsigned int off)
{
	return (uint32_t)vp->cfg[off] | (uint32_t)vp->cfg[off + 1] << 8 |
	       (uint32_t)vp->cfg[off + 2] << 16 | (uint32_t)vp->cfg[off + 3] << 24;
}

/*
 * Keeps power management, PCI Express and MSI-X, in the device's order, and records the
 * next kept one for each. A list that loops or leaves the 256 bytes ends where it goes wrong:
 * a capability seen before ends it (walking on would relink the kept ones and could leave
 * one, MSI-X even, out of the list the guest sees).
 */
static void scan_caps(struct vfio_pci *vp)
{
	unsigned int off = vp->cfg[PCI_CFG_CAP_PTR] & ~3u, prev = 0;
	bool seen[PCI_CFG_SIZE] = { false };

	memset(vp->visible_next, 0xff, sizeof(vp->visible_next));
	vp->first_cap = 0;
	for (unsigned int hops = 0;
	     off >= 0x40 && off < PCI_CFG_SIZE - 4 && !seen[off] && hops < 48; hops++) {
		uint8_t id = vp->cfg[off];

		seen[off] = true;
		if (id == CAP_ID_PM || id == CAP_ID_EXP || id == CAP_ID_MSIX) {
			if (prev)
				vp->visible_next[prev] = off;
			else
				vp->first_cap = off;
			vp->visible_next[off] = 0;
			prev = off;
			if (id == CAP_ID_MSIX)
				vp->msix_cap = off;
		}
		off = vp->cfg[off + 1] & ~3u;
	}
}

static int place_bar(struct vfio_pci_bar *b, struct pci_bar_space *space)
{
	uint64_t align = b->size, *next, end;

	if (b->flags & PCI_BAR_IO) {
		next = &space->io;
		end = space->io_end;
	} else {
		if (align < PAGE_SIZE)
			align = PAGE_SIZE; /* a page of its own: a BAR never shares a memory slot */
		next = (b->flags & PCI_BAR_MEM64) ? &space->mmio64 : &space->mmio32;
		end = (b->flags & PCI_BAR_MEM64) ? space->mmio64_end : space->mmio32_end;
	}
	b->gpa = (*next + align - 1) & ~(align - 1);
	if (b->gpa < *next || b->gpa > end || b->size > end - b->gpa)
		return -ENOSPC;
	*next = b->gpa + (b->size > align ? b->size : align);
	return 0;
}

static int setup_bar(struct vfio_pci *vp, unsigned int i, char *err, size_t errlen)
{
	struct vfio_pci_bar *b = &vp->bars[i];
	const struct vfio_region *r = &vp->dev.regions[i];
	bool trap;
	int ret;

	trap = (b->flags & PCI_BAR_IO) || i == vp->msix_bar || i == vp->pba_bar ||
	       !(r->flags & VFIO_REGION_INFO_FLAG_MMAP) || r->sparse || b->size % PAGE_SIZE;
	if (!trap) {
		b->map = vfio_region_mmap(&vp->dev, i, 0, b->size);
		if (b->map == MAP_FAILED) {
			pr_warn("vfio %s: cannot mmap BAR%u (%s); its accesses will exit to nestvm",
				vp->dev.name, i, strerror(errno));
			b->map = NULL;
			trap = true;
		} else {
			ret = vm_map_device_memory(vp->vm, b->gpa, b->map, b->size);
			if (ret < 0)
				return errmsg(err, errlen, ret, "--vfio %s: cannot map BAR%u: %s",
					      vp->dev.name, i, strerror(-ret));
			b->slot = ret;
			return 0;
		}
	}
	vp->traps[i] = (struct vfio_pci_trap){ .vp = vp, .index = i };
	ret = bus_register((b->flags & PCI_BAR_IO) ? &vp->vm->pio : &vp->vm->mmio, b->gpa, b->size,
			   &trap_ops, &vp->traps[i], bar_names[i]);
	if (ret)
		return errmsg(err, errlen, ret, "--vfio %s: BAR%u at %#llx: %s", vp->dev.name, i,
			      (unsigned long long)b->gpa, strerror(-ret));
	return 0;
}

static int setup_bars(struct vfio_pci *vp, struct pci_bar_space *space, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < PCI_BAR_COUNT; i++) {
		struct vfio_pci_bar *b = &vp->bars[i];
		uint32_t raw = cfg32(vp, PCI_CFG_BAR0 + 4 * i);
		int ret;

		b->size = vp->dev.regions[i].size;
		if (!b->size)
			continue;
		if (b->size & (b->size - 1))
			return errmsg(err, errlen, -EINVAL,
				      "--vfio %s: BAR%u is %#llx bytes, not a power of two",
				      vp->dev.name, i, (unsigned long long)b->size);
		b->flags =
		    (raw & PCI_BAR_IO) ? PCI_BAR_IO : raw & (PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
		if (b->flags & PCI_BAR_MEM64 && i == PCI_BAR_COUNT - 1)
			return errmsg(err, errlen, -EINVAL, "--vfio %s: a 64-bit BAR5",
				      vp->dev.name);
		if (place_bar(b, space))
			return errmsg(err, errlen, -ENOSPC,
				      "--vfio %s: BAR%u (%#llx bytes) does not fit the PCI windows",
				      vp->dev.name, i, (unsigned long long)b->size);
		ret = setup_bar(vp, i, err, errlen);
		if (ret)
			return ret;
		if (b->flags & PCI_BAR_MEM64)
			i++; /* the upper half */
	}
	return 0;
}

static int setup_msix(struct vfio_pci *vp, char *err, size_t errlen)
{
	unsigned int nvec, ctrl;
	uint32_t table, pba;
	int ret;

	if (!vp->msix_cap)
		return errmsg(
		    err, errlen, -ENOTSUP,
		    "--vfio %s: the device has no MSI-X capability; nestvm passes through "
		    "MSI-X devices only (INTx and MSI are not emulated)",
		    vp->dev.name);
	/* Its 12 bytes (control, table, PBA) inside the 256 the device gave us. */
	if (vp->msix_cap + 12 > PCI_CFG_SIZE)
		return errmsg(err, errlen, -EINVAL,
			      "--vfio %s: its MSI-X capability at %#x runs past config space",
			      vp->dev.name, vp->msix_cap);
	ctrl = vp->cfg[vp->msix_cap + 2] | vp->cfg[vp->msix_cap + 3] << 8;
	table = cfg32(vp, vp->msix_cap + 4);
	pba = cfg32(vp, vp->msix_cap + 8);
	nvec = (ctrl & MSIX_CTRL_SIZE_MASK) + 1;
	vp->msix_bar = table & 7;
	vp->msix_table_off = table & ~7u;
	vp->pba_bar = pba & 7;
	vp->pba_off = pba & ~7u;
	if (nvec > MSIX_MAX_VECTORS)
		nvec = MSIX_MAX_VECTORS; /* the guest sees (and may use) the first ones */
	if (vp->msix_bar >= PCI_BAR_COUNT || !vp->dev.regions[vp->msix_bar].size ||
	    vp->dev.irqs[VFIO_PCI_MSIX_IRQ_INDEX].count < nvec)
		return errmsg(err, errlen, -EINVAL,
			      "--vfio %s: its MSI-X capability and VFIO disagree (table in BAR%u, "
			      "%u vectors, VFIO offers %u)",
			      vp->dev.name, vp->msix_bar, nvec,
			      vp->dev.irqs[VFIO_PCI_MSIX_IRQ_INDEX].count);
	ret = msix_init(&vp->msix, nvec, &msix_ops, vp);
	if (!ret)
		ret = msi_routes_alloc(&vp->vm->msi, nvec, &vp->gsi_base);
	if (ret)
		return errmsg(err, errlen, ret, "--vfio %s: no GSIs left for %u MSI-X vectors",
			      vp->dev.name, nvec);
	for (unsigned int v = 0; v < nvec; v++) {
		vp->vector_fds[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vp->vector_fds[v] < 0)
			return errmsg(err, errlen, -errno, "--vfio %s: eventfd: %s", vp->dev.name,
				      strerror(errno));
		ret = vm_add_irqfd(vp->vm, vp->gsi_base + v, vp->vector_fds[v]);
		if (ret)
			return errmsg(err, errlen, ret,
				      "--vfio %s: KVM_IRQFD for MSI-X vector %u (GSI %u): %s",
				      vp->dev.name, v, vp->gsi_base + v, strerror(-ret));
	}
	return 0;
}

int vfio_pci_create(struct vfio_pci *vp, struct vm *vm, struct pci_bar_space *space,
		    const char *spec, int iommufd, char *err, size_t errlen)
{
	int ret;

	memset(vp, 0, sizeof(*vp));
	for (unsigned int v = 0; v < MSIX_MAX_VECTORS; v++)
		vp->vector_fds[v] = -1;
	vp->vm = vm;
	vp->fn.ops = &vfio_pci_ops;
	pthread_mutex_init(&vp->lock, NULL);
	ret = vfio_device_open(&vp->dev, spec, "/sys", iommufd, err, errlen);
	if (ret)
		return ret;
	vp->fn.name = vp->dev.name;
	ret = vfio_device_reset(&vp->dev);
	if (ret && ret != -ENOTSUP)
		pr_warn("vfio %s: reset: %s", vp->dev.name, strerror(-ret));
	ret = vfio_region_read(&vp->dev, VFIO_PCI_CONFIG_REGION_INDEX, 0, vp->cfg, sizeof(vp->cfg));
	if (ret)
		return errmsg(err, errlen, ret, "--vfio %s: cannot read its config space: %s",
			      vp->dev.name, strerror(-ret));
	if (vp->cfg[PCI_CFG_HEADER_TYPE] & 0x7f)
		return errmsg(err, errlen, -ENOTSUP,
			      "--vfio %s: header type %#x; only endpoints (type 0) pass through",
			      vp->dev.name, vp->cfg[PCI_CFG_HEADER_TYPE]);
	scan_caps(vp);
	ret = setup_msix(vp, err, errlen);
	if (!ret)
		ret = setup_bars(vp, space, err, errlen);
	if (!ret) {
		/* The slots are in: take them out again if the device does not decode. */
		vp->command = PCI_COMMAND_MEMORY;
		update_decoding(vp);
	}
	return ret;
}

void vfio_pci_destroy(struct vfio_pci *vp)
{
	if (vp->dev.fd >= 0) {
		if (vp->msix.enabled)
			vfio_device_set_irqs(&vp->dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL);
		vfio_device_reset(&vp->dev);
	}
	for (unsigned int i = 0; i < PCI_BAR_COUNT; i++)
		if (vp->bars[i].map)
			munmap(vp->bars[i].map, vp->bars[i].size);
	for (unsigned int v = 0; v < MSIX_MAX_VECTORS; v++)
		if (vp->vector_fds[v] >= 0)
			close(vp->vector_fds[v]);
	vfio_device_close(&vp->dev);
	pthread_mutex_destroy(&vp->lock);
}
