// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI tables (layouts from the ACPI 6.3 specification, chapter 5.2), written byte by byte
 * in little-endian order so the host's own layout never matters.
 *
 * In @buf they follow one another, each 16-byte aligned: RSDP, DSDT, FADT, MADT, VIOT (with a
 * virtio-iommu), MCFG (with a PCI host bridge), then the XSDT, built last from the list of the
 * tables the others made.
 */
#include <errno.h>
#include <string.h>

#include "vmm/bytes.h"
#include "boot/acpi.h"
#include "boot/acpi_pci.h"
#include "boot/aml.h"

#define ACPI_OEM_ID "NESTVM"
#define ACPI_OEM_TABLE_ID "NESTVM  "
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_ID "NSTV"
#define ACPI_CREATOR_REVISION 1
#define ACPI_TABLE_ALIGN 16
#define ACPI_MAX_CPUS 254 /* APIC ids 0..253; 255 is the broadcast id */
#define XSDT_MAX_ENTRIES 8

/* Common table header (5.2.6). */
enum {
	HDR_SIGNATURE = 0,
	HDR_LENGTH = 4,
	HDR_REVISION = 8,
	HDR_CHECKSUM = 9,
	HDR_OEM_ID = 10,
	HDR_OEM_TABLE_ID = 16,
	HDR_OEM_REVISION = 24,
	HDR_CREATOR_ID = 28,
	HDR_CREATOR_REVISION = 32,
	HDR_SIZE = 36,
};

/* Root System Description Pointer (5.2.5.3), ACPI 2.0+ form. */
enum {
	RSDP_SIGNATURE = 0,
	RSDP_CHECKSUM = 8, /* over the first 20 bytes, the ACPI 1.0 part */
	RSDP_OEM_ID = 9,
	RSDP_REVISION = 15,
	RSDP_RSDT_ADDRESS = 16,
	RSDP_V1_SIZE = 20,
	RSDP_LENGTH = 20,
	RSDP_XSDT_ADDRESS = 24,
	RSDP_EXT_CHECKSUM = 32, /* over the whole structure */
	RSDP_SIZE = 36,
};

/* Fixed ACPI Description Table, revision 6 (5.2.9): the fields we set. */
enum {
	FADT_IAPC_BOOT_ARCH = 109,
	FADT_FLAGS = 112,
	FADT_RESET_REG = 116,
	FADT_RESET_VALUE = 128,
	FADT_MINOR_REVISION = 131,
	FADT_X_DSDT = 140,
	FADT_SLEEP_CONTROL_REG = 244,
	FADT_SLEEP_STATUS_REG = 256,
	FADT_HYPERVISOR_VENDOR_ID = 268,
	FADT_SIZE = 276,
};

#define FADT_REVISION 6
#define FADT_MINOR 3 /* ACPI 6.3: Linux then also honours the MADT's online-capable bit */
#define FADT_BOOT_VGA_NOT_PRESENT (1 << 2)
#define FADT_FLAG_POWER_BUTTON (1 << 4) /* no fixed-feature power button */
#define FADT_FLAG_SLEEP_BUTTON (1 << 5) /* no fixed-feature sleep button */
#define FADT_FLAG_RESET_REG_SUP (1 << 10)
#define FADT_FLAG_HW_REDUCED_ACPI (1 << 20)

/* Generic Address Structure (5.2.3.2). */
enum {
	GAS_SPACE_ID = 0,
	GAS_BIT_WIDTH = 1,
	GAS_BIT_OFFSET = 2,
	GAS_ACCESS_SIZE = 3,
	GAS_ADDRESS = 4,
};

#define GAS_SPACE_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1

/* Multiple APIC Description Table (5.2.12), revision 5 as in ACPI 6.3. */
enum {
	MADT_LAPIC_ADDRESS = 36,
	MADT_FLAGS = 40,
	MADT_ENTRIES = 44,
};

#define MADT_REVISION 5
#define MADT_TYPE_LAPIC 0
#define MADT_TYPE_IOAPIC 1
#define MADT_TYPE_INT_SRC_OVERRIDE 2
#define MADT_LAPIC_SIZE 8
#define MADT_IOAPIC_SIZE 12
#define MADT_INT_SRC_OVERRIDE_SIZE 10
#define MADT_LAPIC_ENABLED 1
#define MADT_IOAPIC_ID 0 /* what KVM's in-kernel I/O APIC reports */
#define MPS_INTI_ACTIVE_HIGH 0x1
#define MPS_INTI_EDGE (0x1 << 2)

#define DSDT_REVISION 2 /* 2 and up: AML integers are 64 bits */
#define XSDT_REVISION 1
#define RSDP_REVISION_ACPI2 2 /* ACPI 2.0 and up: has the XSDT address */

/* The tables being laid out in the caller's buffer. */
struct table_area {
	uint8_t *buf;
	size_t size, used;
	uint64_t gpa;
	uint64_t xsdt_entries[XSDT_MAX_ENTRIES]; /* the tables the XSDT will point to */
	unsigned int nxsdt_entries;
};

/* The next 16-byte aligned offset, or @size when there is none. */
static size_t area_next(const struct table_area *t)
{
	size_t pad = -t->used % ACPI_TABLE_ALIGN;

	return pad > t->size - t->used ? t->size : t->used + pad;
}

/* Claims @len zeroed bytes at the next aligned offset, or returns NULL if they don't fit. */
static uint8_t *area_alloc(struct table_area *t, size_t len, uint64_t *gpa)
{
	size_t off = area_next(t);

	if (len > t->size - off)
		return NULL;
	memset(t->buf + off, 0, len);
	t->used = off + len;
	*gpa = t->gpa + off;
	return t->buf + off;
}

static int xsdt_add(struct table_area *t, uint64_t gpa)
{
	if (t->nxsdt_entries == XSDT_MAX_ENTRIES)
		return -E2BIG;
	t->xsdt_entries[t->nxsdt_entries++] = gpa;
	return 0;
}

static void put_header(uint8_t *p, const char *signature, uint32_t len, uint8_t revision)
{
	memcpy(p + HDR_SIGNATURE, signature, 4);
	put_le(p + HDR_LENGTH, len, 4);
	p[HDR_REVISION] = revision;
	memcpy(p + HDR_OEM_ID, ACPI_OEM_ID, 6);
	memcpy(p + HDR_OEM_TABLE_ID, ACPI_OEM_TABLE_ID, 8);
	put_le(p + HDR_OEM_REVISION, ACPI_OEM_REVISION, 4);
	memcpy(p + HDR_CREATOR_ID, ACPI_CREATOR_ID, 4);
	put_le(p + HDR_CREATOR_REVISION, ACPI_CREATOR_REVISION, 4);
}

/* Last, once every other byte of the table is final. */
static void seal_table(uint8_t *p, size_t len)
{
	p[HDR_CHECKSUM] = 0;
	p[HDR_CHECKSUM] = checksum(p, len);
}

static int check_device(const struct acpi_device_desc *d)
{
	if (!aml_name_seg_valid(d->name) || !d->hid || d->irq < -1)
		return -EINVAL;
	if (d->io_size && d->io_base + d->io_size - 1 > 0xffff)
		return -EINVAL;
	if (d->io_size > 0xff) /* the IO descriptor's length is a byte */
		return -EINVAL;
	if (d->mmio_size && d->mmio_base > UINT64_MAX - (d->mmio_size - 1))
		return -EINVAL;
	return 0;
}

/* Two devices with one name would make the guest's namespace load fail. */
static bool same_name(const char *a, const char *b)
{
	char pa[4] = { '_', '_', '_', '_' }, pb[4] = { '_', '_', '_', '_' };

	memcpy(pa, a, strlen(a));
	memcpy(pb, b, strlen(b));
	return !memcmp(pa, pb, 4);
}

static int check_config(const struct acpi_config *cfg)
{
	if (!cfg->ncpus || cfg->ncpus > ACPI_MAX_CPUS)
		return -EINVAL;
	if (cfg->ndevices && !cfg->devices)
		return -EINVAL;
	for (unsigned int i = 0; i < cfg->ndevices; i++) {
		int ret = check_device(&cfg->devices[i]);

		if (ret)
			return ret;
		for (unsigned int j = 0; j < i; j++) {
			if (same_name(cfg->devices[i].name, cfg->devices[j].name))
				return -EINVAL;
		}
		/* The PCI host bridge's own devices. */
		if (cfg->pci.ecam_base && (same_name(cfg->devices[i].name, "PCI0") ||
					   same_name(cfg->devices[i].name, "PRES")))
			return -EINVAL;
	}
	return acpi_pci_check(&cfg->pci);
}

static int dsdt_device(struct aml *a, const struct acpi_device_desc *d)
{
	aml_device_begin(a, d->name);
	aml_name_hid(a, "_HID", d->hid);
	aml_name_integer(a, "_UID", d->uid);
	if (d->io_size || d->mmio_size || d->irq >= 0) {
		aml_name(a, "_CRS");
		aml_resources_begin(a);
		if (d->io_size)
			aml_res_io(a, d->io_base, d->io_size);
		if (d->mmio_size)
			aml_res_memory(a, d->mmio_base, d->mmio_size, true);
		if (d->irq >= 0)
			aml_res_ext_irq(a, d->irq, d->irq_level, false);
		aml_end(a);
	}
	return aml_end(a);
}

/*
 * \_S5 gives the SLP_TYP that a hardware-reduced guest writes to the sleep control
 * register to power off: Package { SLP_TYPa, SLP_TYPb, reserved, reserved }.
 */
static int dsdt_s5(struct aml *a, uint8_t sleep_type)
{
	aml_name(a, "\\_S5");
	aml_package_begin(a, 4);
	aml_integer(a, sleep_type);
	aml_integer(a, sleep_type);
	aml_integer(a, 0);
	aml_integer(a, 0);
	return aml_end(a);
}

static long dsdt_body(struct aml *a, const struct acpi_config *cfg)
{
	dsdt_s5(a, cfg->s5_sleep_type);
	aml_scope_begin(a, "\\_SB");
	for (unsigned int i = 0; i < cfg->ndevices; i++)
		dsdt_device(a, &cfg->devices[i]);
	acpi_pci_dsdt(a, &cfg->pci);
	aml_end(a);
	return aml_finish(a);
}

/* The DSDT takes what it needs of the space left: its size is known once it is written. */
static int build_dsdt(struct table_area *t, const struct acpi_config *cfg, uint64_t *gpa)
{
	size_t off = area_next(t);
	uint8_t *p = t->buf + off;
	struct aml a;
	long len;

	if (t->size - off < HDR_SIZE)
		return -ENOSPC;
	aml_init(&a, p + HDR_SIZE, t->size - off - HDR_SIZE);
	len = dsdt_body(&a, cfg);
	if (len < 0)
		return len;
	len += HDR_SIZE;
	memset(p, 0, HDR_SIZE);
	put_header(p, "DSDT", len, DSDT_REVISION);
	seal_table(p, len);
	t->used = off + len;
	*gpa = t->gpa + off;
	return 0;
}

/* An 8-bit register in port I/O space. */
static void put_gas_io8(uint8_t *p, uint16_t port)
{
	p[GAS_SPACE_ID] = GAS_SPACE_SYSTEM_IO;
	p[GAS_BIT_WIDTH] = 8;
	p[GAS_BIT_OFFSET] = 0;
	p[GAS_ACCESS_SIZE] = GAS_ACCESS_BYTE;
	put_le(p + GAS_ADDRESS, port, 8);
}

/*
 * Hardware-reduced: no PM1 blocks, GPEs, SCI or FACS. Power off and reset go through the
 * sleep control and reset registers; the 32-bit DSDT pointer stays 0 since X_DSDT is set.
 */
static int build_fadt(struct table_area *t, const struct acpi_config *cfg, uint64_t dsdt_gpa)
{
	uint64_t gpa;
	uint8_t *p = area_alloc(t, FADT_SIZE, &gpa);

	if (!p)
		return -ENOSPC;
	put_header(p, "FACP", FADT_SIZE, FADT_REVISION);
	put_le(p + FADT_IAPC_BOOT_ARCH, FADT_BOOT_VGA_NOT_PRESENT, 2);
	put_le(p + FADT_FLAGS,
	       FADT_FLAG_HW_REDUCED_ACPI | FADT_FLAG_RESET_REG_SUP | FADT_FLAG_POWER_BUTTON |
		   FADT_FLAG_SLEEP_BUTTON,
	       4);
	put_gas_io8(p + FADT_RESET_REG, cfg->reset_port);
	p[FADT_RESET_VALUE] = cfg->reset_value;
	p[FADT_MINOR_REVISION] = FADT_MINOR;
	put_le(p + FADT_X_DSDT, dsdt_gpa, 8);
	put_gas_io8(p + FADT_SLEEP_CONTROL_REG, cfg->sleep_control_port);
	put_gas_io8(p + FADT_SLEEP_STATUS_REG, cfg->sleep_status_port);
	memcpy(p + FADT_HYPERVISOR_VENDOR_ID, "NESTVM", 6);
	seal_table(p, FADT_SIZE);
	return xsdt_add(t, gpa);
}

static size_t madt_size(const struct acpi_config *cfg)
{
	return MADT_ENTRIES + cfg->ncpus * MADT_LAPIC_SIZE + MADT_IOAPIC_SIZE +
	       MADT_INT_SRC_OVERRIDE_SIZE;
}

/* Processor Local APIC: ACPI processor UID and APIC id are both the CPU's index. */
static uint8_t *madt_lapic(uint8_t *p, uint8_t id)
{
	p[0] = MADT_TYPE_LAPIC;
	p[1] = MADT_LAPIC_SIZE;
	p[2] = id;
	p[3] = id;
	put_le(p + 4, MADT_LAPIC_ENABLED, 4);
	return p + MADT_LAPIC_SIZE;
}

static uint8_t *madt_ioapic(uint8_t *p, uint32_t addr)
{
	p[0] = MADT_TYPE_IOAPIC;
	p[1] = MADT_IOAPIC_SIZE;
	p[2] = MADT_IOAPIC_ID;
	put_le(p + 4, addr, 4);
	put_le(p + 8, 0, 4); /* GSI base */
	return p + MADT_IOAPIC_SIZE;
}

/* An ISA IRQ that reaches the I/O APIC on another pin. */
static uint8_t *madt_int_src_override(uint8_t *p, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	p[0] = MADT_TYPE_INT_SRC_OVERRIDE;
	p[1] = MADT_INT_SRC_OVERRIDE_SIZE;
	p[2] = 0; /* bus: ISA */
	p[3] = irq;
	put_le(p + 4, gsi, 4);
	put_le(p + 8, flags, 2);
	return p + MADT_INT_SRC_OVERRIDE_SIZE;
}

/* No PCAT_COMPAT: the guest should not expect dual 8259s. */
static int build_madt(struct table_area *t, const struct acpi_config *cfg)
{
	size_t len = madt_size(cfg);
	uint64_t gpa;
	uint8_t *p = area_alloc(t, len, &gpa), *e;

	if (!p)
		return -ENOSPC;
	put_header(p, "APIC", len, MADT_REVISION);
	put_le(p + MADT_LAPIC_ADDRESS, cfg->lapic_addr, 4);
	e = p + MADT_ENTRIES;
	for (unsigned int cpu = 0; cpu < cfg->ncpus; cpu++)
		e = madt_lapic(e, cpu);
	e = madt_ioapic(e, cfg->ioapic_addr);
	/* The PIT's IRQ 0 is wired to I/O APIC pin 2, as on PCs. */
	madt_int_src_override(e, 0, 2, MPS_INTI_ACTIVE_HIGH | MPS_INTI_EDGE);
	seal_table(p, len);
	return xsdt_add(t, gpa);
}

static int build_xsdt(struct table_area *t, uint64_t *gpa)
{
	size_t len = HDR_SIZE + 8 * t->nxsdt_entries;
	uint8_t *p = area_alloc(t, len, gpa);

	if (!p)
		return -ENOSPC;
	put_header(p, "XSDT", len, XSDT_REVISION);
	for (unsigned int i = 0; i < t->nxsdt_entries; i++)
		put_le(p + HDR_SIZE + 8 * i, t->xsdt_entries[i], 8);
	seal_table(p, len);
	return 0;
}

/* No RSDT: a revision 2 RSDP sends the guest to the XSDT. */
static void build_rsdp(uint8_t *p, uint64_t xsdt_gpa)
{
	memcpy(p + RSDP_SIGNATURE, "RSD PTR ", 8);
	memcpy(p + RSDP_OEM_ID, ACPI_OEM_ID, 6);
	p[RSDP_REVISION] = RSDP_REVISION_ACPI2;
	put_le(p + RSDP_RSDT_ADDRESS, 0, 4);
	put_le(p + RSDP_LENGTH, RSDP_SIZE, 4);
	put_le(p + RSDP_XSDT_ADDRESS, xsdt_gpa, 8);
	p[RSDP_CHECKSUM] = checksum(p, RSDP_V1_SIZE);
	p[RSDP_EXT_CHECKSUM] = checksum(p, RSDP_SIZE);
}

/* Virtual I/O Translation table (ACPI 6.4, 5.2.30). */
enum {
	VIOT_NODE_COUNT = 36,
	VIOT_NODE_OFFSET = 38,
	VIOT_NODES = 48,
	VIOT_NODE_PCI_RANGE = 1,
	VIOT_NODE_MMIO = 2,
	VIOT_NODE_VIRTIO_IOMMU_MMIO = 4,
	VIOT_IOMMU_NODE_SIZE = 16,
	VIOT_MMIO_NODE_SIZE = 24,
	VIOT_PCI_RANGE_NODE_SIZE = 24,
};

static int build_viot(struct table_area *t, const struct acpi_viot *v)
{
	unsigned int pci = v->pci_range;
	size_t len = VIOT_NODES + VIOT_IOMMU_NODE_SIZE + v->n_mmio_endpoints * VIOT_MMIO_NODE_SIZE +
		     pci * VIOT_PCI_RANGE_NODE_SIZE;
	uint64_t gpa;
	uint8_t *p, *n;

	if (!v->iommu_base)
		return 0;
	p = area_alloc(t, len, &gpa);
	if (!p)
		return -ENOSPC;
	put_header(p, "VIOT", len, 0);
	put_le(p + VIOT_NODE_COUNT, 1 + v->n_mmio_endpoints + pci, 2);
	put_le(p + VIOT_NODE_OFFSET, VIOT_NODES, 2);

	/* The IOMMU node first: endpoints name it by its offset in the table. */
	n = p + VIOT_NODES;
	n[0] = VIOT_NODE_VIRTIO_IOMMU_MMIO;
	put_le(n + 2, VIOT_IOMMU_NODE_SIZE, 2);
	put_le(n + 8, v->iommu_base, 8);
	n += VIOT_IOMMU_NODE_SIZE;
	for (unsigned int i = 0; i < v->n_mmio_endpoints; i++, n += VIOT_MMIO_NODE_SIZE) {
		n[0] = VIOT_NODE_MMIO;
		put_le(n + 2, VIOT_MMIO_NODE_SIZE, 2);
		put_le(n + 4, v->mmio_endpoints[i].endpoint_id, 4);
		put_le(n + 8, v->mmio_endpoints[i].base, 8);
		put_le(n + 16, VIOT_NODES, 2);
	}
	if (pci) {
		n[0] = VIOT_NODE_PCI_RANGE;
		put_le(n + 2, VIOT_PCI_RANGE_NODE_SIZE, 2);
		put_le(n + 4, v->pci_endpoint_start, 4);
		/* segments 0-0 at n + 8 and n + 10 */
		put_le(n + 12, v->pci_bdf_start, 2);
		put_le(n + 14, v->pci_bdf_end, 2);
		put_le(n + 16, VIOT_NODES, 2);
	}
	seal_table(p, len);
	return xsdt_add(t, gpa);
}

/* PCI Firmware 3.3, 4.1.2: the header, 8 reserved bytes, one allocation per ECAM range. */
enum {
	MCFG_ALLOCATIONS = 44,
	MCFG_ALLOC_SIZE = 16, /* le64 base, le16 segment, u8 start bus, u8 end bus, 4 reserved */
};

#define MCFG_REVISION 1

static int build_mcfg(struct table_area *t, const struct acpi_pci_host *pci)
{
	size_t len = MCFG_ALLOCATIONS + MCFG_ALLOC_SIZE;
	uint64_t gpa;
	uint8_t *p;

	if (!pci->ecam_base)
		return 0;
	p = area_alloc(t, len, &gpa);
	if (!p)
		return -ENOSPC;
	put_header(p, "MCFG", len, MCFG_REVISION);
	put_le(p + MCFG_ALLOCATIONS, pci->ecam_base, 8);
	/* segment 0, buses 0 to 0: all stay zero */
	seal_table(p, len);
	return xsdt_add(t, gpa);
}

static int build_tables(struct table_area *t, const struct acpi_config *cfg)
{
	uint64_t rsdp_gpa, dsdt_gpa = 0, xsdt_gpa = 0;
	uint8_t *rsdp = area_alloc(t, RSDP_SIZE, &rsdp_gpa);
	int ret;

	if (!rsdp)
		return -ENOSPC;
	ret = build_dsdt(t, cfg, &dsdt_gpa);
	if (!ret)
		ret = build_fadt(t, cfg, dsdt_gpa);
	if (!ret)
		ret = build_madt(t, cfg);
	if (!ret)
		ret = build_viot(t, &cfg->viot);
	if (!ret)
		ret = build_mcfg(t, &cfg->pci);
	if (!ret)
		ret = build_xsdt(t, &xsdt_gpa);
	if (ret)
		return ret;
	build_rsdp(rsdp, xsdt_gpa);
	return 0;
}

long acpi_build(void *buf, size_t size, uint64_t gpa, const struct acpi_config *cfg,
		uint64_t *rsdp_gpa)
{
	struct table_area t = { .buf = buf, .size = size, .gpa = gpa };
	int ret;

	if (!buf || !cfg || gpa % ACPI_TABLE_ALIGN || gpa > UINT64_MAX - size)
		return -EINVAL;
	ret = check_config(cfg);
	if (!ret)
		ret = build_tables(&t, cfg);
	if (ret)
		return ret;
	if (rsdp_gpa)
		*rsdp_gpa = gpa;
	return t.used;
}
