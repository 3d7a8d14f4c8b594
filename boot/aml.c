// SPDX-License-Identifier: GPL-2.0
/* AML byte code, as the ACPI 6.x specification encodes it: 20 (AML) and 6.4 (resources). */
#include <errno.h>
#include <string.h>

#include "vmm/bytes.h"
#include "boot/aml.h"

/* Opcodes and prefixes (ACPI 6.x, 20.2). */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_METHOD_OP 0x14
#define AML_ARG0_OP 0x68
#define AML_IF_OP 0xa0
#define AML_ELSE_OP 0xa1
#define AML_EXT_OP_PREFIX 0x5b
#define AML_DEVICE_OP 0x82 /* after AML_EXT_OP_PREFIX */
#define AML_NULL_NAME 0x00
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_ROOT_CHAR '\\'
#define AML_PARENT_PREFIX '^'

/* Resource descriptor tags and fields (ACPI 6.x, 6.4). */
#define RES_IO 0x47
#define RES_IO_DECODE16 0x01
#define RES_END_TAG 0x79
#define RES_MEMORY32_FIXED 0x86
#define RES_EXT_IRQ 0x89
#define RES_QWORD_ADDRESS 0x8a
#define RES_DWORD_ADDRESS 0x87
#define RES_WORD_ADDRESS 0x88
#define RES_RW 0x01
#define RES_ADDR_TYPE_MEMORY 0
#define RES_ADDR_TYPE_IO 1
#define RES_ADDR_TYPE_BUS 2
#define RES_IO_ENTIRE_RANGE 0x03
#define RES_ADDR_CONSUMER 0x01
#define RES_ADDR_MIN_FIXED 0x04
#define RES_ADDR_MAX_FIXED 0x08
/* A bridge's window: produced (bit 0 clear), positive decode, both ends fixed. */
#define RES_ADDR_WINDOW (RES_ADDR_MIN_FIXED | RES_ADDR_MAX_FIXED)
#define RES_IRQ_CONSUMER 0x01
#define RES_IRQ_EDGE 0x02
#define RES_IRQ_ACTIVE_LOW 0x04

/* A PkgLength counts its own bytes; these are the largest totals 1, 2, 3 and 4 bytes hold. */
static const uint32_t pkg_length_max[] = { 0x3f, 0xfff, 0xfffff, 0xfffffff };

static int fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
	return a->err;
}

int aml_init(struct aml *a, void *buf, size_t size)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->size = size;
	return 0;
}

long aml_finish(const struct aml *a)
{
	if (a->err)
		return a->err;
	if (a->depth)
		return -EINVAL;
	return a->len;
}

int aml_bytes(struct aml *a, const void *data, size_t len)
{
	if (a->err)
		return a->err;
	if (len > a->size - a->len)
		return fail(a, -ENOSPC);
	memcpy(a->buf + a->len, data, len);
	a->len += len;
	return 0;
}

int aml_byte(struct aml *a, uint8_t v)
{
	return aml_bytes(a, &v, 1);
}

/* Inserts @len bytes at @pos, moving what follows: how a block gets its length prefix. */
static int insert_bytes(struct aml *a, size_t pos, const uint8_t *data, size_t len)
{
	if (a->err)
		return a->err;
	if (len > a->size - a->len)
		return fail(a, -ENOSPC);
	memmove(a->buf + pos + len, a->buf + pos, a->len - pos);
	memcpy(a->buf + pos, data, len);
	a->len += len;
	return 0;
}

/* Fills @out with the shortest PkgLength for a body of @body bytes; returns its size. */
static int pkg_length_encode(size_t body, uint8_t out[4])
{
	for (unsigned int n = 1; n <= 4; n++) {
		size_t total = body + n;

		if (total > pkg_length_max[n - 1])
			continue;
		if (n == 1) {
			out[0] = total;
			return 1;
		}
		/* Lead byte: follow-on count in bits 7-6, the low nibble in bits 3-0. */
		out[0] = (n - 1) << 6 | (total & 0xf);
		put_le(out + 1, total >> 4, n - 1);
		return n;
	}
	return -E2BIG;
}

/* Fills @out with the shortest Integer encoding of @v; returns its size. */
static size_t integer_encode(uint64_t v, uint8_t out[9])
{
	static const struct {
		uint64_t max;
		uint8_t prefix;
		unsigned int bytes;
	} forms[] = {
		{ 0xff, AML_BYTE_PREFIX, 1 },
		{ 0xffff, AML_WORD_PREFIX, 2 },
		{ 0xffffffff, AML_DWORD_PREFIX, 4 },
		{ UINT64_MAX, AML_QWORD_PREFIX, 8 },
	};

	if (v <= 1) {
		out[0] = v ? AML_ONE_OP : AML_ZERO_OP;
		return 1;
	}
	for (unsigned int i = 0;; i++) {
		if (v <= forms[i].max) {
			out[0] = forms[i].prefix;
			put_le(out + 1, v, forms[i].bytes);
			return 1 + forms[i].bytes;
		}
	}
}

int aml_integer(struct aml *a, uint64_t v)
{
	uint8_t enc[9];

	return aml_bytes(a, enc, integer_encode(v, enc));
}

int aml_string(struct aml *a, const char *s)
{
	if (!s)
		return fail(a, -EINVAL);
	for (const char *c = s; *c; c++) {
		if (*c < 0x20 || *c > 0x7e)
			return fail(a, -EINVAL);
	}
	aml_byte(a, AML_STRING_PREFIX);
	return aml_bytes(a, s, strlen(s) + 1);
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex_upper(char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'F');
}

static bool all_hex_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!is_hex_upper(s[i]))
			return false;
	}
	return true;
}

/* PNP id: three capital letters (the EISA manufacturer code) and four hex digits. */
static bool is_pnp_id(const char *id)
{
	return strlen(id) == 7 && is_upper(id[0]) && is_upper(id[1]) && is_upper(id[2]) &&
	       all_hex_upper(id + 3, 4);
}

/* ACPI id: four capital letters or digits (the vendor) and four hex digits. */
static bool is_acpi_id(const char *id)
{
	if (strlen(id) != 8)
		return false;
	for (int i = 0; i < 4; i++) {
		if (!is_upper(id[i]) && !is_digit(id[i]))
			return false;
	}
	return all_hex_upper(id + 4, 4);
}

static unsigned int hex_value(char c)
{
	return is_digit(c) ? c - '0' : c - 'A' + 10;
}

int aml_eisaid(struct aml *a, const char *id)
{
	uint32_t letters = 0, product = 0;
	uint8_t enc[5] = { AML_DWORD_PREFIX };

	if (!id || !is_pnp_id(id))
		return fail(a, -EINVAL);
	/* Letters are 5 bits each ('A' is 1), packed big-endian in the first two bytes. */
	for (int i = 0; i < 3; i++)
		letters = letters << 5 | (id[i] - '@');
	for (int i = 3; i < 7; i++)
		product = product << 4 | hex_value(id[i]);
	enc[1] = letters >> 8;
	enc[2] = letters;
	enc[3] = product >> 8;
	enc[4] = product;
	return aml_bytes(a, enc, sizeof(enc));
}

int aml_hid(struct aml *a, const char *id)
{
	if (!id)
		return fail(a, -EINVAL);
	if (is_pnp_id(id))
		return aml_eisaid(a, id);
	if (is_acpi_id(id))
		return aml_string(a, id);
	return fail(a, -EINVAL);
}

static bool seg_valid(const char *s, size_t n)
{
	if (n < 1 || n > 4 || !(is_upper(s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++) {
		if (!is_upper(s[i]) && !is_digit(s[i]) && s[i] != '_')
			return false;
	}
	return true;
}

bool aml_name_seg_valid(const char *name)
{
	return name && seg_valid(name, strnlen(name, 5));
}

static int put_seg(struct aml *a, const char *s, size_t n)
{
	char seg[4] = { '_', '_', '_', '_' };

	memcpy(seg, s, n);
	return aml_bytes(a, seg, sizeof(seg));
}

int aml_name_seg(struct aml *a, const char *name)
{
	if (!aml_name_seg_valid(name))
		return fail(a, -EINVAL);
	return put_seg(a, name, strlen(name));
}

/* Counts the '.'-separated segments of @names, or returns -EINVAL if one is bad. */
static int count_segs(const char *names)
{
	int count = 0;

	if (!*names)
		return 0;
	for (const char *s = names;; count++) {
		size_t n = strcspn(s, ".");

		if (!seg_valid(s, n) || count == 255)
			return -EINVAL;
		if (!s[n])
			return count + 1;
		s += n + 1;
	}
}

int aml_name_path(struct aml *a, const char *path)
{
	const char *s = path;
	int count;

	if (!path)
		return fail(a, -EINVAL);
	if (*s == AML_ROOT_CHAR)
		s++;
	else
		s += strspn(s, "^");
	count = count_segs(s);
	if (count < 0)
		return fail(a, count);
	aml_bytes(a, path, s - path);
	if (count == 0)
		aml_byte(a, AML_NULL_NAME);
	else if (count == 2)
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	else if (count > 2)
		aml_bytes(a, (uint8_t[]){ AML_MULTI_NAME_PREFIX, count }, 2);
	while (count--) {
		size_t n = strcspn(s, ".");

		put_seg(a, s, n);
		s += n + (s[n] == '.');
	}
	return a->err;
}

int aml_name(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME_OP);
	return aml_name_path(a, path);
}

int aml_name_integer(struct aml *a, const char *path, uint64_t v)
{
	aml_name(a, path);
	return aml_integer(a, v);
}

int aml_name_string(struct aml *a, const char *path, const char *s)
{
	aml_name(a, path);
	return aml_string(a, s);
}

int aml_name_hid(struct aml *a, const char *path, const char *id)
{
	aml_name(a, path);
	return aml_hid(a, id);
}

/* Remembers where a block's PkgLength goes; aml_end() writes it. */
static int block_begin(struct aml *a, enum aml_block_kind kind)
{
	if (a->err)
		return a->err;
	if (a->depth == AML_MAX_DEPTH)
		return fail(a, -E2BIG);
	a->open[a->depth].kind = kind;
	a->open[a->depth].start = a->len;
	a->depth++;
	return 0;
}

int aml_scope_begin(struct aml *a, const char *path)
{
	aml_byte(a, AML_SCOPE_OP);
	block_begin(a, AML_BLOCK_PKG);
	return aml_name_path(a, path);
}

int aml_device_begin(struct aml *a, const char *path)
{
	aml_bytes(a, (uint8_t[]){ AML_EXT_OP_PREFIX, AML_DEVICE_OP }, 2);
	block_begin(a, AML_BLOCK_PKG);
	return aml_name_path(a, path);
}

int aml_package_begin(struct aml *a, uint8_t count)
{
	aml_byte(a, AML_PACKAGE_OP);
	block_begin(a, AML_BLOCK_PKG);
	return aml_byte(a, count);
}

int aml_resources_begin(struct aml *a)
{
	aml_byte(a, AML_BUFFER_OP);
	return block_begin(a, AML_BLOCK_RESOURCES);
}

int aml_method_begin(struct aml *a, const char *name, unsigned int nargs)
{
	if (nargs > 7)
		return fail(a, -EINVAL);
	aml_byte(a, AML_METHOD_OP);
	block_begin(a, AML_BLOCK_PKG);
	aml_name_seg(a, name);
	return aml_byte(a, nargs); /* flags: the count in bits 2-0, NotSerialized, SyncLevel 0 */
}

int aml_if_begin(struct aml *a)
{
	aml_byte(a, AML_IF_OP);
	return block_begin(a, AML_BLOCK_PKG);
}

int aml_else_begin(struct aml *a)
{
	aml_byte(a, AML_ELSE_OP);
	return block_begin(a, AML_BLOCK_PKG);
}

int aml_op(struct aml *a, enum aml_op op)
{
	return aml_byte(a, op);
}

int aml_arg(struct aml *a, unsigned int n)
{
	if (n > 6)
		return fail(a, -EINVAL);
	return aml_byte(a, AML_ARG0_OP + n);
}

static int hex_digit(char c)
{
	if (c >= 'a' && c <= 'f')
		c -= 'a' - 'A';
	return is_hex_upper(c) ? (int)hex_value(c) : -1;
}

int aml_uuid(struct aml *a, const char *uuid)
{
	/* Where each byte's two hex digits are in the text; the first three fields are LE. */
	static const uint8_t at[16] = { 6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34 };
	/* Buffer, PkgLength (itself, the BufferSize ByteConst and 16 bytes), BufferSize 16 */
	uint8_t enc[4 + 16] = { AML_BUFFER_OP, 1 + 2 + 16, AML_BYTE_PREFIX, 16 };

	if (!uuid || strlen(uuid) != 36)
		return fail(a, -EINVAL);
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? uuid[i] != '-' : hex_digit(uuid[i]) < 0)
			return fail(a, -EINVAL);
	}
	for (int i = 0; i < 16; i++)
		enc[4 + i] = hex_digit(uuid[at[i]]) << 4 | hex_digit(uuid[at[i] + 1]);
	return aml_bytes(a, enc, sizeof(enc));
}

int aml_end(struct aml *a)
{
	struct aml_block *b;
	uint8_t enc[9];
	int n;

	if (a->err)
		return a->err;
	if (!a->depth)
		return fail(a, -EINVAL);
	b = &a->open[a->depth - 1];
	/* An End Tag whose checksum byte is 0: "treat the template as checksummed". */
	if (b->kind == AML_BLOCK_RESOURCES)
		aml_bytes(a, (uint8_t[]){ RES_END_TAG, 0 }, 2);
	if (b->kind != AML_BLOCK_PKG)
		insert_bytes(a, b->start, enc, integer_encode(a->len - b->start, enc));
	n = pkg_length_encode(a->len - b->start, enc);
	if (n < 0)
		return fail(a, n);
	insert_bytes(a, b->start, enc, n);
	a->depth--;
	return a->err;
}

/* Descriptors belong in a resource template, nowhere else. */
static int res_put(struct aml *a, const uint8_t *desc, size_t len)
{
	if (!a->err && (!a->depth || a->open[a->depth - 1].kind != AML_BLOCK_RESOURCES))
		return fail(a, -EINVAL);
	return aml_bytes(a, desc, len);
}

int aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	uint8_t d[8] = { RES_IO, RES_IO_DECODE16 };

	if (!len || base + len - 1 > 0xffff)
		return fail(a, -EINVAL);
	put_le(d + 2, base, 2); /* minimum */
	put_le(d + 4, base, 2); /* maximum */
	d[6] = 1; /* alignment */
	d[7] = len;
	return res_put(a, d, sizeof(d));
}

int aml_res_memory32_fixed(struct aml *a, uint32_t base, uint32_t len, bool writable)
{
	uint8_t d[12] = { RES_MEMORY32_FIXED };

	if (!len || base + (uint64_t)len - 1 > UINT32_MAX)
		return fail(a, -EINVAL);
	put_le(d + 1, sizeof(d) - 3, 2);
	d[3] = writable ? RES_RW : 0;
	put_le(d + 4, base, 4);
	put_le(d + 8, len, 4);
	return res_put(a, d, sizeof(d));
}

/* Word, DWord and QWord address space descriptors (6.4.3.5): @w is the field width in bytes. */
static int res_address(struct aml *a, uint8_t tag, unsigned int w, uint8_t type, uint8_t gflags,
		       uint8_t tflags, uint64_t min, uint64_t max)
{
	uint64_t field_max = w == 8 ? UINT64_MAX : (1ULL << (8 * w)) - 1;
	uint8_t d[46] = { tag };
	size_t len = 6 + 5 * w;

	/* The length field must hold max - min + 1 too. */
	if (min > max || max > field_max || max - min >= field_max)
		return fail(a, -EINVAL);
	put_le(d + 1, len - 3, 2);
	d[3] = type;
	d[4] = gflags;
	d[5] = tflags;
	/* granularity (at 6) and translation offset (at 6 + 3w) stay 0 */
	put_le(d + 6 + w, min, w);
	put_le(d + 6 + 2 * w, max, w);
	put_le(d + 6 + 4 * w, max - min + 1, w);
	return res_put(a, d, len);
}

int aml_res_qword_memory(struct aml *a, uint64_t base, uint64_t len, bool writable)
{
	if (!len || base > UINT64_MAX - (len - 1))
		return fail(a, -EINVAL);
	/* non-cacheable, AddressRangeMemory, TypeStatic */
	return res_address(a, RES_QWORD_ADDRESS, 8, RES_ADDR_TYPE_MEMORY,
			   RES_ADDR_CONSUMER | RES_ADDR_MIN_FIXED | RES_ADDR_MAX_FIXED,
			   writable ? RES_RW : 0, base, base + len - 1);
}

int aml_res_word_bus_number(struct aml *a, uint16_t min, uint16_t max)
{
	return res_address(a, RES_WORD_ADDRESS, 2, RES_ADDR_TYPE_BUS, RES_ADDR_WINDOW, 0, min, max);
}

int aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	return res_address(a, RES_WORD_ADDRESS, 2, RES_ADDR_TYPE_IO, RES_ADDR_WINDOW,
			   RES_IO_ENTIRE_RANGE, min, max);
}

int aml_res_dword_memory(struct aml *a, uint32_t min, uint32_t max)
{
	return res_address(a, RES_DWORD_ADDRESS, 4, RES_ADDR_TYPE_MEMORY, RES_ADDR_WINDOW, RES_RW,
			   min, max);
}

int aml_res_qword_memory_window(struct aml *a, uint64_t min, uint64_t max)
{
	return res_address(a, RES_QWORD_ADDRESS, 8, RES_ADDR_TYPE_MEMORY, RES_ADDR_WINDOW, RES_RW,
			   min, max);
}

int aml_res_memory(struct aml *a, uint64_t base, uint64_t len, bool writable)
{
	if (len && base <= UINT32_MAX && len - 1 <= UINT32_MAX - base)
		return aml_res_memory32_fixed(a, base, len, writable);
	return aml_res_qword_memory(a, base, len, writable);
}

int aml_res_ext_irq(struct aml *a, uint32_t gsi, bool level, bool active_low)
{
	uint8_t d[9] = { RES_EXT_IRQ };

	put_le(d + 1, sizeof(d) - 3, 2);
	d[3] =
	    RES_IRQ_CONSUMER | (level ? 0 : RES_IRQ_EDGE) | (active_low ? RES_IRQ_ACTIVE_LOW : 0);
	d[4] = 1; /* one interrupt in the table */
	put_le(d + 5, gsi, 4);
	return res_put(a, d, sizeof(d));
}
