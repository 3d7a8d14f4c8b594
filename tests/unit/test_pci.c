// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI config space model and the host bridge, through the same bus callbacks the vCPUs
 * use: ECAM on an MMIO bus and CONFIG_ADDRESS/CONFIG_DATA on a port bus.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "devices/pci.h"
#include "devices/pci_host.h"
#include "unit.h"

#define ECAM 0xe0000000ULL
#define CF8 0xcf8
#define CFC 0xcfc

static struct pci_host host;
static struct bus pio = { .name = "pio" }, mmio = { .name = "mmio" };

/* An emulated function with BARs and capabilities, in slot 3. */
struct test_fn {
	struct pci_function fn;
	struct pci_cfg cfg;
};
static struct test_fn dev;

static uint32_t test_read(struct pci_function *fn, unsigned int offset, unsigned int size)
{
	ck_assert_uint_eq(offset % size, 0);
	ck_assert_uint_lt(offset, PCI_CFG_EXT_SIZE);
	return pci_cfg_read(&((struct test_fn *)fn)->cfg, offset, size);
}

static void test_write(struct pci_function *fn, unsigned int offset, unsigned int size,
		       uint32_t value)
{
	ck_assert_uint_eq(offset % size, 0);
	ck_assert_uint_lt(offset, PCI_CFG_EXT_SIZE);
	pci_cfg_write(&((struct test_fn *)fn)->cfg, offset, size, value);
}

static const struct pci_function_ops test_ops = { .cfg_read = test_read, .cfg_write = test_write };

static void setup(void)
{
	memset(&pio, 0, sizeof(pio));
	memset(&mmio, 0, sizeof(mmio));
	pio.name = "pio";
	mmio.name = "mmio";
	pci_host_init(&host);
	ck_assert_int_eq(pci_host_attach(&host, &pio, &mmio, ECAM), 0);
	dev.fn = (struct pci_function){ .ops = &test_ops, .name = "test" };
	pci_cfg_init(&dev.cfg, 0x1234, 0x5678, 0x020000);
	ck_assert_int_eq(pci_host_add(&host, 3, &dev.fn), 0);
}

static void teardown(void)
{
	pci_host_destroy(&host);
	bus_free(&pio);
	bus_free(&mmio);
}

static uint64_t ecam_addr(unsigned int bus, unsigned int slot, unsigned int fn, unsigned int off)
{
	return ECAM + ((uint64_t)bus << 20) + (slot << 15) + (fn << 12) + off;
}

static uint64_t mmio_rd(uint64_t addr, unsigned int len)
{
	uint64_t v = 0;

	bus_read(&mmio, addr, &v, len);
	return v;
}

static void mmio_wr(uint64_t addr, unsigned int len, uint64_t v)
{
	bus_write(&mmio, addr, &v, len);
}

static uint32_t pio_rd(uint16_t port, unsigned int len)
{
	uint32_t v = 0;

	bus_read(&pio, port, &v, len);
	return v;
}

static void pio_wr(uint16_t port, unsigned int len, uint32_t v)
{
	bus_write(&pio, port, &v, len);
}

static uint32_t cf8_addr(unsigned int bus, unsigned int slot, unsigned int fn, unsigned int reg)
{
	return 0x80000000U | bus << 16 | slot << 11 | fn << 8 | reg;
}

static uint32_t cf8_rd(unsigned int slot, unsigned int off, unsigned int len)
{
	pio_wr(CF8, 4, cf8_addr(0, slot, 0, off & 0xfc));
	return pio_rd(CFC + (off & 3), len);
}

static void cf8_wr(unsigned int slot, unsigned int off, unsigned int len, uint32_t v)
{
	pio_wr(CF8, 4, cf8_addr(0, slot, 0, off & 0xfc));
	pio_wr(CFC + (off & 3), len, v);
}

START_TEST(host_bridge_identity)
{
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 0, 0, 0), 4), 0x00081b36);
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 0, 0, PCI_CFG_REVISION), 4), 0x06000000);
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 0, 0, PCI_CFG_HEADER_TYPE), 1), 0);
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 0, 0, PCI_CFG_INTERRUPT_PIN), 1), 0);
	/* What Linux's pci_sanity_check() looks for on a BIOS-less machine. */
	ck_assert_uint_eq(cf8_rd(0, 0x0a, 2), 0x0600);
}
END_TEST

/* Every size at every offset of the first 256 bytes, both ways, of both functions. */
START_TEST(ecam_and_cf8_see_the_same_bytes)
{
	static const unsigned int slots[] = { 0, 3 };

	pci_cfg_set_bar(&dev.cfg, 0, 0x1000, 0);
	pci_cfg_add_cap(&dev.cfg, 0x05, 14);
	for (unsigned int s = 0; s < 2; s++) {
		for (unsigned int off = 0; off < PCI_CFG_SIZE; off++) {
			for (unsigned int len = 1; len <= 4; len <<= 1) {
				if (off % 4 + len > 4)
					continue;
				ck_assert_uint_eq(mmio_rd(ecam_addr(0, slots[s], 0, off), len),
						  cf8_rd(slots[s], off, len));
			}
		}
	}
	/* A write one way reads back the other way. */
	cf8_wr(3, PCI_CFG_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 3, 0, PCI_CFG_COMMAND), 2), 0x6);
	mmio_wr(ecam_addr(0, 3, 0, PCI_CFG_INTERRUPT_LINE), 1, 0x2a);
	ck_assert_uint_eq(cf8_rd(3, PCI_CFG_INTERRUPT_LINE, 1), 0x2a);
}
END_TEST

START_TEST(bar_sizing)
{
	ck_assert_int_eq(pci_cfg_set_bar(&dev.cfg, 0, 0x4000, 0), 0);
	ck_assert_int_eq(pci_cfg_set_bar(&dev.cfg, 2, 1ULL << 33, PCI_BAR_MEM64 | PCI_BAR_PREFETCH),
			 0);
	ck_assert_int_eq(pci_cfg_set_bar(&dev.cfg, 4, 0x20, PCI_BAR_IO), 0);
	for (unsigned int i = 0; i < PCI_BAR_COUNT; i++)
		cf8_wr(3, PCI_CFG_BAR0 + 4 * i, 4, 0xffffffff);
	ck_assert_uint_eq(cf8_rd(3, PCI_CFG_BAR0, 4), 0xffffc000);
	ck_assert_uint_eq(cf8_rd(3, PCI_CFG_BAR0 + 8, 4), 0x0000000c);
	ck_assert_uint_eq(cf8_rd(3, PCI_CFG_BAR0 + 12, 4), 0xfffffffe);
	ck_assert_uint_eq(cf8_rd(3, PCI_CFG_BAR0 + 16, 4), 0xffffffe1);
	ck_assert_uint_eq(cf8_rd(3, PCI_CFG_BAR0 + 4, 4), 0); /* not implemented */
	ck_assert_uint_eq(cf8_rd(3, PCI_CFG_BAR0 + 20, 4), 0);

	/* Programming addresses: the flags stay, the low bits stay zero. */
	mmio_wr(ecam_addr(0, 3, 0, PCI_CFG_BAR0), 4, 0xc0004321);
	mmio_wr(ecam_addr(0, 3, 0, PCI_CFG_BAR0 + 8), 4, 0);
	mmio_wr(ecam_addr(0, 3, 0, PCI_CFG_BAR0 + 12), 4, 0x4);
	mmio_wr(ecam_addr(0, 3, 0, PCI_CFG_BAR0 + 16), 4, 0xc040);
	ck_assert_uint_eq(cf8_rd(3, PCI_CFG_BAR0, 4), 0xc0004000);
	ck_assert_uint_eq(pci_cfg_bar_address(&dev.cfg, 0), 0xc0004000);
	ck_assert_uint_eq(pci_cfg_bar_address(&dev.cfg, 2), 0x400000000ULL);
	ck_assert_uint_eq(pci_cfg_bar_address(&dev.cfg, 4), 0xc040);
	ck_assert_uint_eq(cf8_rd(3, PCI_CFG_BAR0 + 16, 4), 0xc041);

	/* Bad BARs. */
	ck_assert_int_eq(pci_cfg_set_bar(&dev.cfg, 5, 0x1000, PCI_BAR_MEM64), -EINVAL);
	ck_assert_int_eq(pci_cfg_set_bar(&dev.cfg, 6, 0x1000, 0), -EINVAL);
	ck_assert_int_eq(pci_cfg_set_bar(&dev.cfg, 1, 0x1800, 0), -EINVAL);
	ck_assert_int_eq(pci_cfg_set_bar(&dev.cfg, 1, 8, 0), -EINVAL);
	ck_assert_int_eq(pci_cfg_set_bar(&dev.cfg, 1, 2, PCI_BAR_IO), -EINVAL);
	ck_assert_int_eq(pci_cfg_set_bar(&dev.cfg, 1, 16, PCI_BAR_IO | PCI_BAR_PREFETCH), -EINVAL);
	ck_assert_int_eq(pci_cfg_set_bar(&dev.cfg, 1, 1ULL << 32, 0), -EINVAL);
}
END_TEST

START_TEST(read_only_fields)
{
	mmio_wr(ecam_addr(0, 0, 0, 0), 4, 0);
	mmio_wr(ecam_addr(0, 0, 0, PCI_CFG_REVISION), 4, 0);
	mmio_wr(ecam_addr(0, 0, 0, PCI_CFG_STATUS), 2, 0xffff);
	cf8_wr(0, PCI_CFG_COMMAND, 2, 0xffff);
	ck_assert_uint_eq(cf8_rd(0, 0, 4), 0x00081b36);
	ck_assert_uint_eq(cf8_rd(0, PCI_CFG_REVISION, 4), 0x06000000);
	ck_assert_uint_eq(cf8_rd(0, PCI_CFG_STATUS, 2), 0);
	ck_assert_uint_eq(cf8_rd(0, PCI_CFG_COMMAND, 2), 0x407);
}
END_TEST

START_TEST(empty_slots_and_other_functions_read_all_ones)
{
	for (unsigned int slot = 0; slot < PCI_HOST_SLOTS; slot++) {
		uint32_t want = slot == 0 || slot == 3 ? 0 : 0xffffffff;

		ck_assert_uint_eq(mmio_rd(ecam_addr(0, slot, 0, 0), 4) == 0xffffffff,
				  want == 0xffffffff);
		ck_assert_uint_eq(cf8_rd(slot, 0, 4) == 0xffffffff, want == 0xffffffff);
		for (unsigned int fn = 1; fn < 8; fn++) {
			ck_assert_uint_eq(mmio_rd(ecam_addr(0, slot, fn, 0), 4), 0xffffffff);
			pio_wr(CF8, 4, cf8_addr(0, slot, fn, 0));
			ck_assert_uint_eq(pio_rd(CFC, 4), 0xffffffff);
		}
	}
	/* Bus 1 through CF8 (ECAM has only bus 0: nothing answers past 1 MiB). */
	pio_wr(CF8, 4, cf8_addr(1, 0, 0, 0));
	ck_assert_uint_eq(pio_rd(CFC, 4), 0xffffffff);
	ck_assert_uint_eq(mmio_rd(ecam_addr(1, 0, 0, 0), 4), 0xffffffff);
	/* Writes to an empty slot go nowhere and do no harm. */
	mmio_wr(ecam_addr(0, 7, 0, 4), 4, 0);
	cf8_wr(7, 4, 4, 0);
	ck_assert_uint_eq(cf8_rd(7, 4, 4), 0xffffffff);
}
END_TEST

START_TEST(config_address_register)
{
	/* What Linux's pci_check_type1() does. */
	pio_wr(0xcfb, 1, 0x01);
	ck_assert_uint_eq(pio_rd(CF8, 4), 0);
	pio_wr(CF8, 4, 0x80000000);
	ck_assert_uint_eq(pio_rd(CF8, 4), 0x80000000);
	/* Reserved bits read as zero: no AMD extended register bits, no type bits. */
	pio_wr(CF8, 4, 0xffffffff);
	ck_assert_uint_eq(pio_rd(CF8, 4), 0x80fffffc);
	/* Bytes and words at 0xCF8-0xCFB are not CONFIG_ADDRESS. */
	pio_wr(CF8, 4, cf8_addr(0, 0, 0, 0));
	pio_wr(CF8, 2, 0);
	pio_wr(0xcf9, 1, 0x6);
	ck_assert_uint_eq(pio_rd(CF8, 4), 0x80000000);
	ck_assert_uint_eq(pio_rd(CF8, 1), 0xff);
	ck_assert_uint_eq(pio_rd(0xcfa, 2), 0xffff);
	/* With the enable bit clear, CONFIG_DATA is not a config cycle. */
	pio_wr(CF8, 4, 0x00000000);
	ck_assert_uint_eq(pio_rd(CFC, 4), 0xffffffff);
	pio_wr(CFC + 2, 2, 0);
	ck_assert_uint_eq(cf8_rd(0, 0, 4), 0x00081b36);
}
END_TEST

START_TEST(odd_sizes_and_alignments)
{
	cf8_wr(3, PCI_CFG_INTERRUPT_LINE, 1, 0x11);
	/* A word at 0xCFD is bytes 1-2 of the dword: split, not refused. */
	pio_wr(CF8, 4, cf8_addr(0, 0, 0, 0));
	ck_assert_uint_eq(pio_rd(CFC + 1, 2), 0x081b);
	ck_assert_uint_eq(pio_rd(CFC + 3, 1), 0x00);
	mmio_wr(ecam_addr(0, 3, 0, PCI_CFG_INTERRUPT_LINE + 1), 2, 0xaaaa);
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 3, 0, PCI_CFG_INTERRUPT_LINE), 4), 0x00000011);
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 0, 0, 1), 2), 0x081b);
	/* Crossing a dword: all ones, write dropped. */
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 0, 0, 2), 4), 0xffffffff);
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 0, 0, 3), 2), 0xffff);
	mmio_wr(ecam_addr(0, 3, 0, PCI_CFG_INTERRUPT_LINE - 1), 2, 0x2222);
	ck_assert_uint_eq(cf8_rd(3, PCI_CFG_INTERRUPT_LINE, 1), 0x11);
	/* 8-byte ECAM accesses are refused whole. */
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 0, 0, 0), 8), UINT64_MAX);
	mmio_wr(ecam_addr(0, 3, 0, PCI_CFG_INTERRUPT_LINE - 4), 8, 0);
	ck_assert_uint_eq(cf8_rd(3, PCI_CFG_INTERRUPT_LINE, 1), 0x11);
	/* CONFIG_DATA accesses that run past 0xCFF never reach us: the bus refuses them. */
	ck_assert_uint_eq(pio_rd(CFC + 2, 4), 0xffffffff);
}
END_TEST

START_TEST(offsets_past_256_and_4k)
{
	/* ECAM reaches the extended space: zeros for these functions, read-only. */
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 0, 0, 0x100), 4), 0);
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 3, 0, 0xffc), 4), 0);
	mmio_wr(ecam_addr(0, 3, 0, 0xffc), 4, 0xffffffff);
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 3, 0, 0xffc), 4), 0);
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 3, 0, 0xfff), 1), 0);
	/* 4 KiB further is the next function (absent), not the same one wrapped. */
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 3, 0, 0x1000), 4), 0xffffffff);
	/* CF8's register field stops at 0xfc; bits 27:24 (AMD's extension) are ignored. */
	pio_wr(CF8, 4, cf8_addr(0, 3, 0, 0xfc) | 0x0f000000);
	pio_wr(CFC + 3, 1, 0x5a);
	ck_assert_uint_eq(pio_rd(CFC, 4), 0);
	ck_assert_uint_eq(mmio_rd(ecam_addr(0, 3, 0, 0xfff), 1), 0);
	/* The model refuses out-of-range offsets itself too. */
	ck_assert_uint_eq(pci_cfg_read(&dev.cfg, 0x1000, 1), 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(&dev.cfg, 0xffe, 4), 0xffffffff);
	ck_assert_uint_eq(pci_cfg_read(&dev.cfg, 0, 3), 0xffffffff);
	pci_cfg_write(&dev.cfg, 0xfff, 2, 0xffff);
}
END_TEST

START_TEST(capability_list)
{
	unsigned int a = pci_cfg_add_cap(&dev.cfg, 0x05, 14);
	unsigned int b = pci_cfg_add_cap(&dev.cfg, 0x09, 6);
	unsigned int c = pci_cfg_add_cap(&dev.cfg, 0x05, 8);

	ck_assert_uint_eq(a, 0x40);
	ck_assert_uint_eq(b, 0x50);
	ck_assert_uint_eq(c, 0x58);
	ck_assert_uint_eq(cf8_rd(3, PCI_CFG_STATUS, 2) & PCI_STATUS_CAP_LIST, PCI_STATUS_CAP_LIST);
	ck_assert_uint_eq(cf8_rd(3, PCI_CFG_CAP_PTR, 1), 0x40);
	ck_assert_uint_eq(cf8_rd(3, 0x40, 2), 0x5005);
	ck_assert_uint_eq(pci_find_cap(&dev.fn, 0x05, 0), a);
	ck_assert_uint_eq(pci_find_cap(&dev.fn, 0x05, a), c);
	ck_assert_uint_eq(pci_find_cap(&dev.fn, 0x05, c), 0);
	ck_assert_uint_eq(pci_find_cap(&dev.fn, 0x09, 0), b);
	ck_assert_uint_eq(pci_find_cap(&dev.fn, 0x10, 0), 0);
	ck_assert_uint_eq(pci_find_cap(&host.bridge, 0x05, 0), 0);
	/* The pointers are read-only to the guest. */
	cf8_wr(3, PCI_CFG_CAP_PTR, 1, 0);
	cf8_wr(3, 0x41, 1, 0x40);
	ck_assert_uint_eq(pci_find_cap(&dev.fn, 0x09, 0), b);
	/* Fill the rest: the last one ends at 256, then there is no room. */
	ck_assert_uint_eq(pci_cfg_add_cap(&dev.cfg, 0x11, 256 - 0x60), 0x60);
	ck_assert_uint_eq(pci_cfg_add_cap(&dev.cfg, 0x11, 4), 0);
	ck_assert_uint_eq(pci_find_cap(&dev.fn, 0x11, 0), 0x60);
}
END_TEST

START_TEST(capability_walk_survives_bad_lists)
{
	pci_cfg_add_cap(&dev.cfg, 0x05, 8);
	pci_cfg_add_cap(&dev.cfg, 0x09, 8);
	/* A loop (a device's own bytes can say anything): 0x48 points back to 0x40. */
	dev.cfg.data[0x49] = 0x40;
	ck_assert_uint_eq(pci_find_cap(&dev.fn, 0x10, 0), 0);
	/* A pointer into the header ends the walk; the low two bits are ignored. */
	dev.cfg.data[0x49] = 0x10;
	ck_assert_uint_eq(pci_find_cap(&dev.fn, 0x10, 0), 0);
	dev.cfg.data[PCI_CFG_CAP_PTR] = 0x4b;
	ck_assert_uint_eq(pci_find_cap(&dev.fn, 0x09, 0), 0x48);
}
END_TEST

START_TEST(slots_are_checked)
{
	struct test_fn other = { .fn = { .ops = &test_ops } };

	ck_assert_int_eq(pci_host_add(&host, 0, &other.fn), -EINVAL);
	ck_assert_int_eq(pci_host_add(&host, 32, &other.fn), -EINVAL);
	ck_assert_int_eq(pci_host_add(&host, 3, &other.fn), -EBUSY);
	ck_assert_int_eq(pci_host_add(&host, 4, NULL), -EINVAL);
	ck_assert_int_eq(pci_host_add(&host, 31, &other.fn), 0);
	host.slots[31] = NULL;
}
END_TEST

Suite *pci_suite(void)
{
	Suite *s = suite_create("pci");
	TCase *tc = tcase_create("host bridge");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, host_bridge_identity);
	tcase_add_test(tc, ecam_and_cf8_see_the_same_bytes);
	tcase_add_test(tc, bar_sizing);
	tcase_add_test(tc, read_only_fields);
	tcase_add_test(tc, empty_slots_and_other_functions_read_all_ones);
	tcase_add_test(tc, config_address_register);
	tcase_add_test(tc, odd_sizes_and_alignments);
	tcase_add_test(tc, offsets_past_256_and_4k);
	tcase_add_test(tc, capability_list);
	tcase_add_test(tc, capability_walk_survives_bad_lists);
	tcase_add_test(tc, slots_are_checked);
	suite_add_tcase(s, tc);
	return s;
}
