// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI tables and the AML builder. The tables are checked field by field here and, since
 * a second opinion is worth more than our own reading of the spec, disassembled by iasl
 * (acpica-tools); the DSDT is then compiled back and must give the very same AML.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot/acpi.h"
#include "boot/aml.h"
#include "vmm/layout.h"
#include "unit.h"

#define CANARY 64
#define CANARY_BYTE 0x5a
#define EXEC_FAILED 127

static const struct acpi_device_desc devices[] = {
	{ .name = "COM1", .hid = "PNP0501", .io_base = 0x3f8, .io_size = 8, .irq = 4 },
	{ .name = "VIO0",
	  .hid = "LNRO0005",
	  .mmio_base = 0xd0000000,
	  .mmio_size = 0x200,
	  .irq = 5,
	  .irq_level = true },
	{ .name = "PEVT", .hid = "QEMU0001", .io_base = 0x505, .io_size = 1, .irq = -1 },
	/* above 4 GiB: a QWordMemory resource */
	{ .name = "VIO1",
	  .hid = "LNRO0005",
	  .uid = 1,
	  .mmio_base = 0x100000000ULL,
	  .mmio_size = 0x1000,
	  .irq = 40,
	  .irq_level = true },
};

static struct acpi_device_desc devs[4];
static struct acpi_config cfg;
static uint8_t tables[ACPI_TABLES_SIZE];

static void reset_config(void)
{
	memcpy(devs, devices, sizeof(devs));
	cfg = (struct acpi_config){
		.ncpus = 2,
		.lapic_addr = LAPIC_GPA,
		.ioapic_addr = IOAPIC_GPA,
		.sleep_control_port = ACPI_SLEEP_CONTROL_PORT,
		.sleep_status_port = ACPI_SLEEP_STATUS_PORT,
		.reset_port = ACPI_RESET_PORT,
		.reset_value = ACPI_RESET_VALUE,
		.s5_sleep_type = ACPI_S5_SLEEP_TYPE,
		.devices = devs,
		.ndevices = 4,
		.pci = {
			.ecam_base = 0xe0000000,
			.io_base = 0xc000,
			.io_size = 0x4000,
			.mmio32_base = 0xc0000000,
			.mmio32_size = 0x10000000,
			.mmio64_base = 0x800000000ULL,
			.mmio64_size = 0x800000000ULL,
			.intx_gsi = { 5, 9, 10, 11 },
		},
	};
}

static long build(void)
{
	uint64_t rsdp = 0;
	long len = acpi_build(tables, sizeof(tables), ACPI_TABLES_GPA, &cfg, &rsdp);

	ck_assert_int_gt(len, 0);
	ck_assert_uint_eq(rsdp, ACPI_TABLES_GPA);
	return len;
}

static uint64_t le(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* The table at @gpa, after checking that it lies in the buffer, is @sig and sums to 0. */
static const uint8_t *table_at(uint64_t gpa, long used, const char *sig)
{
	const uint8_t *t;
	uint64_t len;

	ck_assert_msg(gpa >= ACPI_TABLES_GPA && gpa + 36 <= ACPI_TABLES_GPA + (uint64_t)used,
		      "%s at %#llx is outside the tables", sig, (unsigned long long)gpa);
	t = tables + (gpa - ACPI_TABLES_GPA);
	len = le(t + 4, 4);
	ck_assert_msg(!memcmp(t, sig, 4), "expected %s at %#llx", sig, (unsigned long long)gpa);
	ck_assert_uint_le(gpa + len, ACPI_TABLES_GPA + (uint64_t)used);
	ck_assert_msg(sum(t, len) == 0, "%s checksum", sig);
	ck_assert(!memcmp(t + 10, "NESTVM", 6));
	ck_assert(!memcmp(t + 16, "NESTVM  ", 8));
	ck_assert(!memcmp(t + 28, "NSTV", 4));
	return t;
}

static const uint8_t *xsdt(long used)
{
	const uint8_t *rsdp = tables;

	ck_assert(!memcmp(rsdp, "RSD PTR ", 8));
	ck_assert_uint_eq(rsdp[15], 2);
	ck_assert_uint_eq(le(rsdp + 20, 4), 36);
	ck_assert_msg(sum(rsdp, 20) == 0, "RSDP checksum");
	ck_assert_msg(sum(rsdp, 36) == 0, "RSDP extended checksum");
	return table_at(le(rsdp + 24, 8), used, "XSDT");
}

/* The table the XSDT lists with signature @sig. */
static const uint8_t *xsdt_find(long used, const char *sig)
{
	const uint8_t *x = xsdt(used);
	unsigned int n = (le(x + 4, 4) - 36) / 8;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t gpa = le(x + 36 + 8 * i, 8);

		if (!memcmp(tables + (gpa - ACPI_TABLES_GPA), sig, 4))
			return table_at(gpa, used, sig);
	}
	ck_abort_msg("no %s in the XSDT", sig);
	return NULL;
}

static const uint8_t *dsdt(long used)
{
	return table_at(le(xsdt_find(used, "FACP") + 140, 8), used, "DSDT");
}

START_TEST(viot_names_the_iommu_and_its_endpoints)
{
	static const struct acpi_viot_mmio_endpoint eps[] = { { 3, 0xd0000200 },
							      { 7, 0xd0000400 } };
	const uint8_t *v, *n;
	long used;

	reset_config();
	cfg.viot = (struct acpi_viot){ .iommu_base = 0xd0000000,
				       .mmio_endpoints = eps,
				       .n_mmio_endpoints = 2 };
	used = build();
	v = xsdt_find(used, "VIOT");
	ck_assert_uint_eq(le(v + 4, 4), 48 + 16 + 2 * 24);
	ck_assert_uint_eq(le(v + 36, 2), 3); /* node count */
	ck_assert_uint_eq(le(v + 38, 2), 48); /* node offset */
	n = v + 48;
	ck_assert_uint_eq(n[0], 4); /* virtio-mmio IOMMU */
	ck_assert_uint_eq(le(n + 2, 2), 16);
	ck_assert_uint_eq(le(n + 8, 8), 0xd0000000);
	for (int i = 0; i < 2; i++) {
		n = v + 64 + 24 * i;
		ck_assert_uint_eq(n[0], 2); /* single MMIO endpoint */
		ck_assert_uint_eq(le(n + 2, 2), 24);
		ck_assert_uint_eq(le(n + 4, 4), eps[i].endpoint_id);
		ck_assert_uint_eq(le(n + 8, 8), eps[i].base);
		ck_assert_uint_eq(le(n + 16, 2), 48); /* output node: the IOMMU node's offset */
	}
}
END_TEST

START_TEST(viot_pci_range_points_at_the_iommu)
{
	static const struct acpi_viot_mmio_endpoint ep = { 1, 0xd0000200 };
	const uint8_t *v, *n;

	reset_config();
	cfg.viot = (struct acpi_viot){ .iommu_base = 0xd0000000,
				       .mmio_endpoints = &ep,
				       .n_mmio_endpoints = 1,
				       .pci_range = true,
				       .pci_bdf_start = 0x08,
				       .pci_bdf_end = 0xff,
				       .pci_endpoint_start = 0x10008 };
	v = xsdt_find(build(), "VIOT");
	ck_assert_uint_eq(le(v + 4, 4), 48 + 16 + 24 + 24);
	ck_assert_uint_eq(le(v + 36, 2), 3);
	n = v + 48 + 16 + 24;
	ck_assert_uint_eq(n[0], 1); /* PCI range */
	ck_assert_uint_eq(le(n + 2, 2), 24);
	ck_assert_uint_eq(le(n + 4, 4), 0x10008);
	ck_assert_uint_eq(le(n + 8, 2), 0); /* segment 0 to 0 */
	ck_assert_uint_eq(le(n + 10, 2), 0);
	ck_assert_uint_eq(le(n + 12, 2), 0x08);
	ck_assert_uint_eq(le(n + 14, 2), 0xff);
	ck_assert_uint_eq(le(n + 16, 2), 48);
	ck_assert_uint_eq(le(n + 18, 4) | le(n + 22, 2), 0);
}
END_TEST

START_TEST(no_viot_without_an_iommu)
{
	const uint8_t *x;
	unsigned int n;

	reset_config();
	x = xsdt(build());
	n = (le(x + 4, 4) - 36) / 8;
	for (unsigned int i = 0; i < n; i++)
		ck_assert(memcmp(tables + (le(x + 36 + 8 * i, 8) - ACPI_TABLES_GPA), "VIOT", 4));
}
END_TEST

START_TEST(pointer_chain_and_checksums)
{
	long used;

	reset_config();
	used = build();
	ck_assert_uint_eq(le(xsdt(used) + 4, 4), 36 + 3 * 8); /* FADT, MADT and MCFG */
	xsdt_find(used, "FACP");
	xsdt_find(used, "APIC");
	dsdt(used);
	ck_assert_uint_eq(le(tables + 16, 4), 0); /* no RSDT */
}
END_TEST

START_TEST(mcfg_has_bus_0_of_segment_0)
{
	const uint8_t *m;

	reset_config();
	m = xsdt_find(build(), "MCFG");
	ck_assert_uint_eq(le(m + 4, 4), 44 + 16);
	ck_assert_uint_eq(m[8], 1); /* revision */
	ck_assert_uint_eq(le(m + 36, 8), 0); /* reserved */
	ck_assert_uint_eq(le(m + 44, 8), 0xe0000000);
	ck_assert_uint_eq(le(m + 52, 2), 0); /* segment */
	ck_assert_uint_eq(m[54], 0); /* start bus */
	ck_assert_uint_eq(m[55], 0); /* end bus */
}
END_TEST

START_TEST(no_mcfg_or_pci0_without_a_host_bridge)
{
	const uint8_t *x, *d;
	long used;
	unsigned int n;

	reset_config();
	cfg.pci.ecam_base = 0;
	used = build();
	x = xsdt(used);
	n = (le(x + 4, 4) - 36) / 8;
	ck_assert_uint_eq(n, 2);
	for (unsigned int i = 0; i < n; i++)
		ck_assert(memcmp(tables + (le(x + 36 + 8 * i, 8) - ACPI_TABLES_GPA), "MCFG", 4));
	d = dsdt(used);
	ck_assert_ptr_null(memmem(d, le(d + 4, 4), "PCI0", 4));
}
END_TEST

static void assert_gas_io8(const uint8_t *gas, uint16_t port)
{
	ck_assert_uint_eq(gas[0], 1); /* System I/O */
	ck_assert_uint_eq(gas[1], 8);
	ck_assert_uint_eq(gas[2], 0);
	ck_assert_uint_eq(gas[3], 1); /* byte access */
	ck_assert_uint_eq(le(gas + 4, 8), port);
}

START_TEST(fadt_is_hardware_reduced)
{
	const uint8_t *f;

	reset_config();
	f = xsdt_find(build(), "FACP");
	ck_assert_uint_eq(le(f + 4, 4), 276);
	ck_assert_uint_eq(f[8], 6);
	ck_assert_uint_eq(f[131], 3);
	ck_assert_uint_eq(le(f + 112, 4) & (1 << 20), 1 << 20); /* HW_REDUCED_ACPI */
	ck_assert_uint_eq(le(f + 112, 4) & (1 << 10), 1 << 10); /* RESET_REG_SUP */
	ck_assert_uint_eq(le(f + 109, 2), 1 << 2); /* VGA not present, nothing else */
	assert_gas_io8(f + 116, ACPI_RESET_PORT);
	ck_assert_uint_eq(f[128], ACPI_RESET_VALUE);
	assert_gas_io8(f + 244, ACPI_SLEEP_CONTROL_PORT);
	assert_gas_io8(f + 256, ACPI_SLEEP_STATUS_PORT);
	ck_assert_uint_eq(le(f + 40, 4), 0); /* only X_DSDT */
	ck_assert_uint_eq(le(f + 36, 4), 0); /* no FACS */
	ck_assert_uint_eq(le(f + 132, 8), 0);
	ck_assert(!memcmp(f + 268, "NESTVM\0\0", 8));
}
END_TEST

/* Counts the MADT's entries of each type; they must tile the table exactly. */
static void madt_count(const uint8_t *m, unsigned int count[3])
{
	uint32_t len = le(m + 4, 4), off = 44;

	memset(count, 0, 3 * sizeof(count[0]));
	while (off < len) {
		ck_assert_uint_ge(m[off + 1], 2);
		ck_assert_uint_le(off + m[off + 1], len);
		if (m[off] < 3)
			count[m[off]]++;
		off += m[off + 1];
	}
}

START_TEST(madt_has_each_cpu_and_the_ioapic)
{
	const uint8_t *m, *e;
	unsigned int count[3];

	reset_config();
	m = xsdt_find(build(), "APIC");
	ck_assert_uint_eq(m[8], 5);
	ck_assert_uint_eq(le(m + 36, 4), LAPIC_GPA);
	ck_assert_uint_eq(le(m + 40, 4), 0); /* no PCAT_COMPAT */
	madt_count(m, count);
	ck_assert_uint_eq(count[0], 2);
	ck_assert_uint_eq(count[1], 1);
	ck_assert_uint_eq(count[2], 1);
	for (unsigned int cpu = 0; cpu < 2; cpu++) {
		e = m + 44 + 8 * cpu;
		ck_assert_uint_eq(e[2], cpu); /* processor UID */
		ck_assert_uint_eq(e[3], cpu); /* APIC id */
		ck_assert_uint_eq(le(e + 4, 4), 1);
	}
	e = m + 44 + 16;
	ck_assert_uint_eq(le(e + 4, 4), IOAPIC_GPA);
	ck_assert_uint_eq(le(e + 8, 4), 0);
	e += 12; /* IRQ 0 -> GSI 2, edge, active high */
	ck_assert_uint_eq(e[3], 0);
	ck_assert_uint_eq(le(e + 4, 4), 2);
	ck_assert_uint_eq(le(e + 8, 2), 0x5);
}
END_TEST

START_TEST(most_cpus)
{
	unsigned int count[3];

	reset_config();
	cfg.ncpus = 254;
	madt_count(xsdt_find(build(), "APIC"), count);
	ck_assert_uint_eq(count[0], 254);
}
END_TEST

/* Runs iasl in @dir with its output in @dir/@log; returns its exit status. */
static int run_iasl(const char *dir, const char *log, char *const argv[])
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd;

		if (chdir(dir) < 0)
			_exit(EXEC_FAILED);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(EXEC_FAILED);
		execvp("iasl", argv);
		_exit(EXEC_FAILED);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "iasl died");
	ck_assert_msg(WEXITSTATUS(status) != EXEC_FAILED,
		      "iasl not found: run tools/deps to install acpica-tools");
	return WEXITSTATUS(status);
}

static void read_file(const char *dir, const char *name, char *buf, size_t size)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	ck_assert_msg(f, "%s is missing", path);
	n = fread(buf, 1, size - 1, f);
	ck_assert_msg(feof(f), "%s is too long", path);
	buf[n] = 0;
	fclose(f);
}

/* iasl reports bad checksums and malformed tables in these words, and still exits 0. */
static void assert_no_complaints(const char *dir, const char *name)
{
	static const char *const words[] = { "Error", "Warning", "Incorrect", "Invalid",
					     "should be" };
	static char text[64 << 10];

	read_file(dir, name, text, sizeof(text));
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			ck_assert_msg(!strstr(line, words[i]), "%s/%s: %s", dir, name, line);
	}
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Writes @t as <sig>.dat and has iasl disassemble it into <sig>.dsl. */
static void disassemble(const char *dir, const uint8_t *t)
{
	char base[5] = { 0 }, dat[16], log[16], dsl[16];

	for (int i = 0; i < 4; i++)
		base[i] = t[i] | 0x20; /* lower case */
	snprintf(dat, sizeof(dat), "%s.dat", base);
	snprintf(log, sizeof(log), "%s.log", base);
	snprintf(dsl, sizeof(dsl), "%s.dsl", base);
	write_file(dir, dat, t, le(t + 4, 4));
	ck_assert_msg(run_iasl(dir, log, (char *[]){ "iasl", "-d", dat, NULL }) == 0,
		      "iasl -d %s/%s failed; see %s/%s", dir, dat, dir, log);
	assert_no_complaints(dir, log);
	assert_no_complaints(dir, dsl);
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] != '.')
			ck_assert_int_eq(unlinkat(dirfd(d), e->d_name, 0), 0);
	}
	closedir(d);
	ck_assert_int_eq(rmdir(dir), 0);
}

/* Compiles the disassembled DSDT back, unoptimised: the AML must be ours byte for byte. */
static void assert_dsdt_round_trip(const char *dir, const uint8_t *t)
{
	static char aml[64 << 10], log[16 << 10];
	uint32_t len = le(t + 4, 4);
	char path[256];
	FILE *f;

	ck_assert_msg(
	    run_iasl(dir, "rt.log", (char *[]){ "iasl", "-oa", "-p", "rt", "dsdt.dsl", NULL }) == 0,
	    "iasl could not compile %s/dsdt.dsl; see %s/rt.log", dir, dir);
	read_file(dir, "rt.log", log, sizeof(log));
	ck_assert_msg(strstr(log, " 0 Errors, 0 Warnings, 0 Remarks"), "%s/rt.log: %s", dir, log);
	snprintf(path, sizeof(path), "%s/rt.aml", dir);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(aml, 1, sizeof(aml), f), len);
	fclose(f);
	ck_assert_msg(!memcmp(aml + 36, t + 36, len - 36), "iasl compiles %s/dsdt.dsl differently",
		      dir);
}

START_TEST(iasl_accepts_every_table)
{
	static char dsl[64 << 10];
	static const char *const expect[] = {
		"EisaId (\"PNP0501\")",
		"\"LNRO0005\"",
		"\"QEMU0001\"",
		"Name (\\_S5, Package (0x04)",
		"Device (PEVT)",
		"QWordMemory (ResourceConsumer",
		"Memory32Fixed (ReadWrite",
		"Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive",
		"Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive",
		"Device (PCI0)",
		"Name (_HID, EisaId (\"PNP0A08\")",
		"Name (_CID, EisaId (\"PNP0A03\")",
		"WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,",
		"0x0CF8,             // Range Minimum",
		"WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,",
		"DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,",
		"QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,",
		"Name (_PRT, Package (0x80)",
		"Method (_OSC, 4, NotSerialized)",
		"ToUUID (\"33db4d5b-1ff7-401c-9657-7441c03dd766\")",
		"Name (_HID, EisaId (\"PNP0C02\")",
	};
	char dir[] = "/tmp/nestvm-acpi-XXXXXX";
	long used;

	reset_config();
	used = build();
	ck_assert_ptr_nonnull(mkdtemp(dir));
	disassemble(dir, xsdt(used));
	disassemble(dir, xsdt_find(used, "FACP"));
	disassemble(dir, xsdt_find(used, "APIC"));
	disassemble(dir, xsdt_find(used, "MCFG"));
	disassemble(dir, dsdt(used));
	read_file(dir, "dsdt.dsl", dsl, sizeof(dsl));
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		ck_assert_msg(strstr(dsl, expect[i]), "%s/dsdt.dsl lacks %s", dir, expect[i]);
	assert_dsdt_round_trip(dir, dsdt(used));
	remove_dir(dir); /* kept when a check fails, to look at */
}
END_TEST

static bool canary_intact(const uint8_t *p)
{
	for (int i = 0; i < CANARY; i++) {
		if (p[i] != CANARY_BYTE)
			return false;
	}
	return true;
}

START_TEST(too_small_buffer)
{
	uint64_t rsdp = 1;
	long need;

	reset_config();
	need = build();
	for (size_t size = 0; size <= (size_t)need; size++) {
		uint8_t *buf = malloc(size + CANARY);
		long ret;

		ck_assert_ptr_nonnull(buf);
		memset(buf + size, CANARY_BYTE, CANARY);
		ret = acpi_build(buf, size, ACPI_TABLES_GPA, &cfg, &rsdp);
		ck_assert_int_eq(ret, size == (size_t)need ? need : -ENOSPC);
		ck_assert_msg(canary_intact(buf + size), "wrote past %zu bytes", size);
		if (size < (size_t)need)
			ck_assert_uint_eq(rsdp, 1);
		free(buf);
	}
	ck_assert_uint_eq(rsdp, ACPI_TABLES_GPA);
}
END_TEST

static long build_bad(void)
{
	return acpi_build(tables, sizeof(tables), ACPI_TABLES_GPA, &cfg, NULL);
}

START_TEST(bad_configs)
{
	static const char *const bad_names[] = { "", "com1", "1COM", "COM12", "CO-M" };
	static const char *const bad_hids[] = { "",	   "PNP050",	"pnp0501",  "PNP050G",
						"LNRO000", "LNRO00055", "LNRO 005", "LNRO000g" };

	reset_config();
	cfg.ncpus = 0;
	ck_assert_int_eq(build_bad(), -EINVAL);
	cfg.ncpus = 255;
	ck_assert_int_eq(build_bad(), -EINVAL);
	/* a bad config is -EINVAL even when the buffer is also too small */
	ck_assert_int_eq(acpi_build(tables, 1, ACPI_TABLES_GPA, &cfg, NULL), -EINVAL);

	reset_config();
	devs[1].name = NULL;
	ck_assert_int_eq(build_bad(), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		devs[1].name = bad_names[i];
		ck_assert_msg(build_bad() == -EINVAL, "name '%s'", bad_names[i]);
	}
	devs[1].name = "COM1"; /* twice */
	ck_assert_int_eq(build_bad(), -EINVAL);
	devs[1].name = "COM";
	devs[2].name = "COM_"; /* the same once padded */
	ck_assert_int_eq(build_bad(), -EINVAL);

	reset_config();
	devs[2].hid = NULL;
	ck_assert_int_eq(build_bad(), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_hids) / sizeof(bad_hids[0]); i++) {
		devs[2].hid = bad_hids[i];
		ck_assert_msg(build_bad() == -EINVAL, "hid '%s'", bad_hids[i]);
	}

	reset_config();
	devs[0].io_base = 0xfffc; /* 8 ports from there wrap */
	ck_assert_int_eq(build_bad(), -EINVAL);
	devs[0].io_base = 0x100;
	devs[0].io_size = 0x100; /* more than an IO descriptor holds */
	ck_assert_int_eq(build_bad(), -EINVAL);
	reset_config();
	devs[1].mmio_base = UINT64_MAX - 0xff; /* wraps */
	ck_assert_int_eq(build_bad(), -EINVAL);
	reset_config();
	devs[0].irq = -2;
	ck_assert_int_eq(build_bad(), -EINVAL);

	reset_config();
	cfg.devices = NULL;
	ck_assert_int_eq(build_bad(), -EINVAL);

	/* PCI: the bridge's own names are taken; windows must be non-empty and not wrap. */
	reset_config();
	devs[0].name = "PCI0";
	ck_assert_int_eq(build_bad(), -EINVAL);
	devs[0].name = "PRES";
	ck_assert_int_eq(build_bad(), -EINVAL);
	cfg.pci.ecam_base = 0; /* no bridge: the names are free */
	ck_assert_int_gt(build_bad(), 0);
	reset_config();
	cfg.pci.ecam_base = 0xe0080000; /* not 1 MiB aligned */
	ck_assert_int_eq(build_bad(), -EINVAL);
	reset_config();
	cfg.pci.ecam_base = 0x100000000ULL;
	ck_assert_int_eq(build_bad(), -EINVAL);
	reset_config();
	cfg.pci.io_size = 0;
	ck_assert_int_eq(build_bad(), -EINVAL);
	reset_config();
	cfg.pci.io_base = 0xf000; /* 0x4000 ports from there wrap */
	ck_assert_int_eq(build_bad(), -EINVAL);
	reset_config();
	cfg.pci.mmio32_base = 0xf0000000;
	cfg.pci.mmio32_size = 0x20000000;
	ck_assert_int_eq(build_bad(), -EINVAL);
	reset_config();
	cfg.pci.mmio64_base = UINT64_MAX - 0xfff;
	ck_assert_int_eq(build_bad(), -EINVAL);
	cfg.pci.mmio64_size = 0; /* no 64-bit window at all is fine */
	ck_assert_int_gt(build_bad(), 0);

	reset_config();
	ck_assert_int_eq(acpi_build(tables, sizeof(tables), ACPI_TABLES_GPA + 8, &cfg, NULL),
			 -EINVAL); /* the RSDP must be 16-byte aligned */
	ck_assert_int_eq(acpi_build(NULL, sizeof(tables), ACPI_TABLES_GPA, &cfg, NULL), -EINVAL);
	ck_assert_int_eq(acpi_build(tables, sizeof(tables), ACPI_TABLES_GPA, NULL, NULL), -EINVAL);
	ck_assert_int_gt(build_bad(), 0); /* and the config was fine all along */
}
END_TEST

/* An AML PkgLength at @p: the length it gives (its own bytes included); *@bytes its size. */
static uint32_t pkg_length(const uint8_t *p, unsigned int *bytes)
{
	unsigned int follow = p[0] >> 6;
	uint32_t len = follow ? p[0] & 0x0f : p[0] & 0x3f;

	for (unsigned int i = 1; i <= follow; i++)
		len |= (uint32_t)p[i] << (4 + 8 * (i - 1));
	*bytes = follow + 1;
	return len;
}

#define SB_MAX 8

/*
 * Walks the DSDT @d as acpi_build() lays it out: Name (\_S5, Package) and Scope (\_SB), nothing
 * else; in the scope only Device objects. Writes their names into @names; returns how many.
 */
static unsigned int sb_devices(const uint8_t *d, char names[SB_MAX][5])
{
	const uint8_t *p = d + 36, *end = d + le(d + 4, 4), *scope_end;
	unsigned int n = 0, nb;

	ck_assert_msg(p[0] == 0x08 && p[1] == '\\' && !memcmp(p + 2, "_S5_", 4) && p[6] == 0x12,
		      "the DSDT does not start with Name (\\_S5, Package)");
	p += 7 + pkg_length(p + 7, &nb);
	ck_assert_msg(p < end && p[0] == 0x10, "no Scope after \\_S5");
	scope_end = p + 1 + pkg_length(p + 1, &nb);
	ck_assert_msg(scope_end == end, "the DSDT has more than \\_S5 and \\_SB");
	p += 1 + nb;
	ck_assert_msg(!memcmp(p, "\\_SB_", 5), "the Scope is not \\_SB");
	for (p += 5; p < scope_end; n++) {
		uint32_t len;

		ck_assert_msg(p[0] == 0x5b && p[1] == 0x82,
			      "\\_SB holds an object other than a Device (opcode %#x)", p[0]);
		ck_assert_uint_lt(n, SB_MAX);
		len = pkg_length(p + 2, &nb);
		memcpy(names[n], p + 2 + nb, 4);
		names[n][4] = '\0';
		p += 2 + len;
	}
	ck_assert_msg(p == scope_end, "\\_SB's last Device runs past the scope");
	return n;
}

static void assert_sb_devices(long used, const char *const *want, unsigned int nwant)
{
	char names[SB_MAX][5];
	unsigned int n = sb_devices(dsdt(used), names);

	ck_assert_uint_eq(n, nwant);
	for (unsigned int i = 0; i < n; i++)
		ck_assert_str_eq(names[i], want[i]);
}

/* The signatures the XSDT lists, in order, as one string: "FACPAPICMCFG". */
static void xsdt_signatures(long used, char *out, size_t size)
{
	const uint8_t *x = xsdt(used);
	unsigned int n = (le(x + 4, 4) - 36) / 8;

	ck_assert_uint_lt(4 * n, size);
	for (unsigned int i = 0; i < n; i++)
		memcpy(out + 4 * i, tables + (le(x + 36 + 8 * i, 8) - ACPI_TABLES_GPA), 4);
	out[4 * n] = '\0';
}

/*
 * With no devices the DSDT describes none: \_SB holds the PCI host bridge's two devices or,
 * without one, nothing; and there is no VIOT. The walk is checked on the full config first.
 */
START_TEST(no_devices)
{
	static const char *const all[] = { "COM1", "VIO0", "PEVT", "VIO1", "PCI0", "PRES" };
	static const char *const bridge[] = { "PCI0", "PRES" };
	char sigs[64];
	long used;

	reset_config();
	assert_sb_devices(build(), all, 6);

	cfg.devices = NULL;
	cfg.ndevices = 0;
	used = build();
	assert_sb_devices(used, bridge, 2);
	xsdt_signatures(used, sigs, sizeof(sigs));
	ck_assert_str_eq(sigs, "FACPAPICMCFG");

	cfg.pci.ecam_base = 0;
	used = build();
	assert_sb_devices(used, NULL, 0);
	xsdt_signatures(used, sigs, sizeof(sigs));
	ck_assert_str_eq(sigs, "FACPAPIC");
}
END_TEST

/* AML builder */

static uint8_t amlbuf[8192];
static struct aml a;

#define ASSERT_AML(...)                                                                       \
	do {                                                                                  \
		const uint8_t expect_[] = { __VA_ARGS__ };                                    \
		ck_assert_int_eq(aml_finish(&a), sizeof(expect_));                            \
		ck_assert_msg(!memcmp(amlbuf, expect_, sizeof(expect_)), "AML bytes differ"); \
		aml_init(&a, amlbuf, sizeof(amlbuf));                                         \
	} while (0)

START_TEST(aml_integers)
{
	aml_init(&a, amlbuf, sizeof(amlbuf));
	aml_integer(&a, 0);
	ASSERT_AML(0x00);
	aml_integer(&a, 1);
	ASSERT_AML(0x01);
	aml_integer(&a, 2);
	ASSERT_AML(0x0a, 0x02);
	aml_integer(&a, 0xff);
	ASSERT_AML(0x0a, 0xff);
	aml_integer(&a, 0x100);
	ASSERT_AML(0x0b, 0x00, 0x01);
	aml_integer(&a, 0x12345678);
	ASSERT_AML(0x0c, 0x78, 0x56, 0x34, 0x12);
	aml_integer(&a, 0x100000000ULL);
	ASSERT_AML(0x0e, 0, 0, 0, 0, 1, 0, 0, 0);
	aml_string(&a, "Hi");
	ASSERT_AML(0x0d, 'H', 'i', 0);
}
END_TEST

START_TEST(aml_ids)
{
	aml_init(&a, amlbuf, sizeof(amlbuf));
	aml_eisaid(&a, "PNP0501");
	ASSERT_AML(0x0c, 0x41, 0xd0, 0x05, 0x01);
	aml_hid(&a, "PNP0A03");
	ASSERT_AML(0x0c, 0x41, 0xd0, 0x0a, 0x03);
	aml_hid(&a, "QEMU0001");
	ASSERT_AML(0x0d, 'Q', 'E', 'M', 'U', '0', '0', '0', '1', 0);
	ck_assert_int_eq(aml_hid(&a, "QEMU001"), -EINVAL);
	ck_assert_int_eq(aml_integer(&a, 5), -EINVAL); /* the error sticks */
	ck_assert_int_eq(aml_finish(&a), -EINVAL);
}
END_TEST

START_TEST(aml_names)
{
	aml_init(&a, amlbuf, sizeof(amlbuf));
	aml_name_path(&a, "\\_SB.PCI0");
	ASSERT_AML('\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
	aml_name_path(&a, "^^A.B.C");
	ASSERT_AML('^', '^', 0x2f, 3, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C', '_', '_', '_');
	aml_name_path(&a, "\\");
	ASSERT_AML('\\', 0x00);
	aml_name_integer(&a, "_UID", 7);
	ASSERT_AML(0x08, '_', 'U', 'I', 'D', 0x0a, 7);
	ck_assert(aml_name_seg_valid("_S5"));
	ck_assert(!aml_name_seg_valid("_S5__"));
	ck_assert(!aml_name_seg_valid(NULL));
	ck_assert_int_eq(aml_name_path(&a, "\\_SB."), -EINVAL);
	aml_init(&a, amlbuf, sizeof(amlbuf));
	ck_assert_int_eq(aml_name_path(&a, "A..B"), -EINVAL);
	aml_init(&a, amlbuf, sizeof(amlbuf));
	ck_assert_int_eq(aml_name_path(&a, "\\^A"), -EINVAL);
}
END_TEST

/* A Package whose body (NumElements and @filler bytes) is 1 + @filler long. */
static void package_of(size_t filler)
{
	aml_init(&a, amlbuf, sizeof(amlbuf));
	aml_package_begin(&a, 0);
	for (size_t i = 0; i < filler; i++)
		aml_byte(&a, i);
	aml_byte(&a, 0xee);
	ck_assert_int_eq(aml_end(&a), 0);
}

START_TEST(aml_package_lengths)
{
	/* a body of 62 bytes: 63 with the length, the most one byte holds */
	package_of(60);
	ck_assert_int_eq(aml_finish(&a), 1 + 1 + 62);
	ck_assert_uint_eq(amlbuf[1], 0x3f);
	/* 63: two bytes, lead byte 0x4 | low nibble, then the rest */
	package_of(61);
	ck_assert_int_eq(aml_finish(&a), 1 + 2 + 63);
	ck_assert_uint_eq(amlbuf[1], 0x41);
	ck_assert_uint_eq(amlbuf[2], 0x04);
	ck_assert_uint_eq(amlbuf[3], 0); /* NumElements, moved intact */
	ck_assert_uint_eq(amlbuf[1 + 2 + 62], 0xee);
	/* 4093 + 2 = 0xfff, the most two bytes hold; one more needs three */
	package_of(4091);
	ck_assert_uint_eq(amlbuf[1], 0x4f);
	ck_assert_uint_eq(amlbuf[2], 0xff);
	package_of(4092);
	ck_assert_int_eq(aml_finish(&a), 1 + 3 + 4094);
	ck_assert_uint_eq(amlbuf[1], 0x81);
	ck_assert_uint_eq(amlbuf[2], 0x00);
	ck_assert_uint_eq(amlbuf[3], 0x01);
	ck_assert_uint_eq(amlbuf[1 + 3 + 4093], 0xee);
}
END_TEST

START_TEST(aml_resource_template)
{
	aml_init(&a, amlbuf, sizeof(amlbuf));
	aml_resources_begin(&a);
	aml_res_io(&a, 0x3f8, 8);
	aml_end(&a);
	ASSERT_AML(0x11, 13, 0x0a, 10, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x79, 0);
	aml_resources_begin(&a);
	aml_res_memory(&a, 0xfed00000, 0x400, true);
	aml_res_ext_irq(&a, 9, true, true);
	aml_end(&a);
	ASSERT_AML(0x11, 26, 0x0a, 23, 0x86, 9, 0, 1, 0, 0, 0xd0, 0xfe, 0, 4, 0, 0, 0x89, 6, 0,
		   0x05, 1, 9, 0, 0, 0, 0x79, 0);
	/* descriptors only inside a template */
	ck_assert_int_eq(aml_res_io(&a, 0x3f8, 8), -EINVAL);
}
END_TEST

START_TEST(aml_bridge_windows)
{
	aml_init(&a, amlbuf, sizeof(amlbuf));
	aml_resources_begin(&a);
	aml_res_word_bus_number(&a, 0, 0);
	aml_res_word_io(&a, 0xc000, 0xffff);
	aml_end(&a);
	ASSERT_AML(0x11, 37, 0x0a, 34,
		   /* WordBusNumber: producer, MinFixed, MaxFixed; 0 to 0, length 1 */
		   0x88, 13, 0, 2, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
		   /* WordIO, EntireRange: 0xc000 to 0xffff, length 0x4000 */
		   0x88, 13, 0, 1, 0x0c, 3, 0, 0, 0, 0xc0, 0xff, 0xff, 0, 0, 0, 0x40, 0x79, 0);
	aml_resources_begin(&a);
	aml_res_dword_memory(&a, 0xc0000000, 0xcfffffff);
	aml_end(&a);
	ASSERT_AML(0x11, 31, 0x0a, 28, 0x87, 23, 0, 0, 0x0c, 1, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff,
		   0xff, 0xff, 0xcf, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x79, 0);
	/* A length that does not fit its field, an inverted range. */
	aml_resources_begin(&a);
	ck_assert_int_eq(aml_res_word_io(&a, 0, 0xffff), -EINVAL);
	aml_init(&a, amlbuf, sizeof(amlbuf));
	aml_resources_begin(&a);
	ck_assert_int_eq(aml_res_dword_memory(&a, 2, 1), -EINVAL);
	aml_init(&a, amlbuf, sizeof(amlbuf));
	aml_resources_begin(&a);
	ck_assert_int_eq(aml_res_qword_memory_window(&a, 0, UINT64_MAX), -EINVAL);
}
END_TEST

START_TEST(aml_methods)
{
	aml_init(&a, amlbuf, sizeof(amlbuf));
	aml_method_begin(&a, "_OSC", 4);
	aml_if_begin(&a);
	aml_op(&a, AML_OP_LEQUAL);
	aml_arg(&a, 0);
	aml_uuid(&a, "33db4d5b-1FF7-401C-9657-7441C03DD766");
	aml_end(&a);
	aml_else_begin(&a);
	aml_end(&a);
	aml_op(&a, AML_OP_RETURN);
	aml_arg(&a, 3);
	aml_end(&a);
	ASSERT_AML(0x14, 34, '_', 'O', 'S', 'C', 4, 0xa0, 23, 0x93, 0x68, 0x11, 19, 0x0a, 16, 0x5b,
		   0x4d, 0xdb, 0x33, 0xf7, 0x1f, 0x1c, 0x40, 0x96, 0x57, 0x74, 0x41, 0xc0, 0x3d,
		   0xd7, 0x66, 0xa1, 1, 0xa4, 0x6b);
	ck_assert_int_eq(aml_method_begin(&a, "_OSC", 8), -EINVAL);
	aml_init(&a, amlbuf, sizeof(amlbuf));
	ck_assert_int_eq(aml_arg(&a, 7), -EINVAL);
	aml_init(&a, amlbuf, sizeof(amlbuf));
	ck_assert_int_eq(aml_uuid(&a, "33db4d5b-1ff7-401c-9657-7441c03dd76"), -EINVAL);
	aml_init(&a, amlbuf, sizeof(amlbuf));
	ck_assert_int_eq(aml_uuid(&a, "33db4d5b-1ff7-401c-9657_7441c03dd766"), -EINVAL);
	aml_init(&a, amlbuf, sizeof(amlbuf));
	ck_assert_int_eq(aml_uuid(&a, "33db4d5g-1ff7-401c-9657-7441c03dd766"), -EINVAL);
}
END_TEST

START_TEST(aml_misuse)
{
	aml_init(&a, amlbuf, sizeof(amlbuf));
	ck_assert_int_eq(aml_end(&a), -EINVAL);
	aml_init(&a, amlbuf, sizeof(amlbuf));
	aml_scope_begin(&a, "\\_SB");
	ck_assert_int_eq(aml_finish(&a), -EINVAL); /* still open */
	aml_init(&a, amlbuf, sizeof(amlbuf));
	for (int i = 0; i < AML_MAX_DEPTH; i++)
		ck_assert_int_eq(aml_scope_begin(&a, "A"), 0);
	ck_assert_int_eq(aml_scope_begin(&a, "A"), -E2BIG);
}
END_TEST

START_TEST(aml_never_writes_past_the_end)
{
	for (size_t size = 0; size < 32; size++) {
		memset(amlbuf, CANARY_BYTE, sizeof(amlbuf));
		aml_init(&a, amlbuf, size);
		aml_device_begin(&a, "DEV0");
		aml_name_string(&a, "_HID", "LNRO0005");
		aml_end(&a);
		ck_assert_int_eq(aml_finish(&a), size < 22 ? -ENOSPC : 22);
		ck_assert_msg(canary_intact(amlbuf + size), "wrote past %zu bytes", size);
	}
}
END_TEST

Suite *acpi_suite(void)
{
	Suite *s = suite_create("acpi");
	TCase *tables_tc = tcase_create("tables");
	TCase *aml_tc = tcase_create("aml");

	tcase_add_test(tables_tc, pointer_chain_and_checksums);
	tcase_add_test(tables_tc, viot_names_the_iommu_and_its_endpoints);
	tcase_add_test(tables_tc, viot_pci_range_points_at_the_iommu);
	tcase_add_test(tables_tc, no_viot_without_an_iommu);
	tcase_add_test(tables_tc, fadt_is_hardware_reduced);
	tcase_add_test(tables_tc, madt_has_each_cpu_and_the_ioapic);
	tcase_add_test(tables_tc, most_cpus);
	tcase_add_test(tables_tc, iasl_accepts_every_table);
	tcase_add_test(tables_tc, too_small_buffer);
	tcase_add_test(tables_tc, bad_configs);
	tcase_add_test(tables_tc, no_devices);
	tcase_add_test(tables_tc, mcfg_has_bus_0_of_segment_0);
	tcase_add_test(tables_tc, no_mcfg_or_pci0_without_a_host_bridge);
	tcase_set_timeout(tables_tc, 30);
	suite_add_tcase(s, tables_tc);
	tcase_add_test(aml_tc, aml_integers);
	tcase_add_test(aml_tc, aml_ids);
	tcase_add_test(aml_tc, aml_names);
	tcase_add_test(aml_tc, aml_package_lengths);
	tcase_add_test(aml_tc, aml_resource_template);
	tcase_add_test(aml_tc, aml_bridge_windows);
	tcase_add_test(aml_tc, aml_methods);
	tcase_add_test(aml_tc, aml_misuse);
	tcase_add_test(aml_tc, aml_never_writes_past_the_end);
	suite_add_tcase(s, aml_tc);
	return s;
}
