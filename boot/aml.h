/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small AML byte-code builder, enough for a DSDT that names devices and their resources.
 *
 * It writes into a fixed buffer and never past its end. The first error (-ENOSPC when the
 * buffer is full, -EINVAL for a bad name or value, -E2BIG for blocks nested too deeply or
 * too long) sticks: later calls do nothing and return it, so a caller may check each call
 * or only aml_finish().
 *
 * Blocks whose encoding starts with a PkgLength (Scope, Device, Package, Buffer) are opened
 * with aml_*_begin() and closed with aml_end(), which inserts the length in front of the
 * body once the body is known, in its shortest form.
 */
#ifndef NESTVM_AML_H
#define NESTVM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 8

enum aml_block_kind {
	AML_BLOCK_PKG, /* PkgLength, then the body */
	AML_BLOCK_BUFFER, /* PkgLength, BufferSize, then the bytes */
	AML_BLOCK_RESOURCES, /* a Buffer of resource descriptors ending in an End Tag */
};

struct aml_block {
	enum aml_block_kind kind;
	size_t start; /* where the PkgLength goes: just after the opcode */
};

struct aml {
	uint8_t *buf;
	size_t size, len;
	int err;
	struct aml_block open[AML_MAX_DEPTH];
	unsigned int depth;
};

/* Starts an empty AML stream in @buf[0..@size). Returns 0. */
int aml_init(struct aml *a, void *buf, size_t size);
/* Bytes written, or the first error; -EINVAL if a block is still open. */
long aml_finish(const struct aml *a);

/* Raw bytes, for opcodes this builder has no helper for. */
int aml_bytes(struct aml *a, const void *data, size_t len);
int aml_byte(struct aml *a, uint8_t v);

/* Data objects. An Integer takes the shortest of Zero, One, Byte, Word, DWord, QWord. */
int aml_integer(struct aml *a, uint64_t v);
/* A String of printable ASCII. */
int aml_string(struct aml *a, const char *s);
/* A 7-character PNP id ("PNP0501") compressed to an EISA id DWord. */
int aml_eisaid(struct aml *a, const char *id);
/* A _HID value: an EISA id for a PNP id, a String for an 8-character ACPI id ("LNRO0005"). */
int aml_hid(struct aml *a, const char *id);

/* True if @name is a 1-4 character name segment: [A-Z_] then [A-Z0-9_]. */
bool aml_name_seg_valid(const char *name);
/* A NameSeg, padded with '_' to 4 characters. */
int aml_name_seg(struct aml *a, const char *name);
/* A NameString: optional '\' or '^' prefixes, then segments separated by '.' ("\_SB.COM1"). */
int aml_name_path(struct aml *a, const char *path);

/* Name (@path, ...): the caller writes the one data object that follows. */
int aml_name(struct aml *a, const char *path);
int aml_name_integer(struct aml *a, const char *path, uint64_t v);
int aml_name_string(struct aml *a, const char *path, const char *s);
int aml_name_hid(struct aml *a, const char *path, const char *id);

/* Blocks, each closed by aml_end(). */
int aml_scope_begin(struct aml *a, const char *path);
int aml_device_begin(struct aml *a, const char *path);
/* Package (@count) { ... }: the caller writes exactly @count data objects. */
int aml_package_begin(struct aml *a, uint8_t count);
/* ResourceTemplate () { ... }: aml_end() adds the End Tag. */
int aml_resources_begin(struct aml *a);
/* Method (@name, @nargs, NotSerialized) { ... } */
int aml_method_begin(struct aml *a, const char *name, unsigned int nargs);
/* If (...) { ... } / Else { ... }: after aml_if_begin() the caller writes the predicate. */
int aml_if_begin(struct aml *a);
int aml_else_begin(struct aml *a);
int aml_end(struct aml *a);

/* Expression opcodes; the caller writes the operands that follow each. */
enum aml_op {
	AML_OP_OR = 0x7d, /* Or (Operand, Operand, Target) */
	AML_OP_CREATE_DWORD_FIELD = 0x8a, /* CreateDWordField (Buffer, Index, NameString) */
	AML_OP_LNOT = 0x92,
	AML_OP_LEQUAL = 0x93,
	AML_OP_LLESS = 0x95,
	AML_OP_RETURN = 0xa4,
};
int aml_op(struct aml *a, enum aml_op op);
/* Arg0..Arg6 of the enclosing method. */
int aml_arg(struct aml *a, unsigned int n);
/* ToUUID ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"): a 16-byte Buffer in the mixed-endian order. */
int aml_uuid(struct aml *a, const char *uuid);

/* Resource descriptors, inside aml_resources_begin(). */
/* IO (Decode16, @base, @base, 1, @len): a fixed range of ports. */
int aml_res_io(struct aml *a, uint16_t base, uint8_t len);
/* Memory32Fixed, or QWordMemory when the range reaches above 4 GiB. */
int aml_res_memory(struct aml *a, uint64_t base, uint64_t len, bool writable);
int aml_res_memory32_fixed(struct aml *a, uint32_t base, uint32_t len, bool writable);
int aml_res_qword_memory(struct aml *a, uint64_t base, uint64_t len, bool writable);
/*
 * Address space descriptors a bridge produces (ResourceProducer, MinFixed, MaxFixed,
 * PosDecode, granularity 0, no translation): its bus numbers, I/O and memory windows.
 */
int aml_res_word_bus_number(struct aml *a, uint16_t min, uint16_t max);
int aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
int aml_res_dword_memory(struct aml *a, uint32_t min, uint32_t max);
int aml_res_qword_memory_window(struct aml *a, uint64_t min, uint64_t max);
/* Interrupt (ResourceConsumer, ...) { @gsi }: one GSI, active high or low, never shared. */
int aml_res_ext_irq(struct aml *a, uint32_t gsi, bool level, bool active_low);

#endif
