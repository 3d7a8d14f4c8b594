/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MSI-X table of a passthrough function, emulated (PCI 3.0 §6.8.2): the guest's vector
 * addresses and data become KVM MSI routes, and the enable and mask bits decide which vectors
 * VFIO signals. A vector fires through its eventfd and KVM irqfd straight into the guest; a
 * masked vector has no eventfd in VFIO, so the host keeps it masked in the device and the
 * device's own Pending Bit Array holds what it raised until the guest unmasks it.
 *
 * The model knows nothing of VFIO or KVM: it asks @ops to apply its decisions, so it can be
 * tested alone. All calls under the owner's lock.
 */
#ifndef NESTVM_VFIO_MSIX_H
#define NESTVM_VFIO_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#define MSIX_MAX_VECTORS 64
#define MSIX_ENTRY_SIZE 16
#define MSIX_CTRL_ENABLE 0x8000 /* Message Control bits */
#define MSIX_CTRL_MASKALL 0x4000
#define MSIX_CTRL_SIZE_MASK 0x07ff
#define MSIX_VECTOR_MASKED 0x1 /* Vector Control bit 0 */

struct msix_ops {
	/* The route of vector @v is now (@address, @data). */
	int (*route)(void *opaque, unsigned int v, uint64_t address, uint32_t data);
	/*
	 * Vectors [@first, @first + @count) are now live (signalled) or not per @live[]. @enable:
	 * MSI-X goes on (every vector given) / stays on; !@enable: off (count 0).
	 */
	int (*signal)(void *opaque, bool enable, unsigned int first, unsigned int count,
		      const bool *live);
};

struct msix {
	const struct msix_ops *ops;
	void *opaque;
	unsigned int nvec;
	uint16_t ctrl; /* the guest's Message Control: ENABLE and MASKALL */
	bool enabled; /* what we told @ops */
	bool live[MSIX_MAX_VECTORS]; /* what we told @ops, per vector */
	struct {
		uint32_t addr_lo, addr_hi, data, ctrl;
	} table[MSIX_MAX_VECTORS];
};

/* A table of @nvec vectors (1..MSIX_MAX_VECTORS), all masked, MSI-X off. -EINVAL otherwise. */
int msix_init(struct msix *m, unsigned int nvec, const struct msix_ops *ops, void *opaque);

/* Message Control as the guest reads it (table size N-1 in the low bits). */
uint16_t msix_ctrl_read(const struct msix *m);
/* The guest writes Message Control: only ENABLE and MASKALL are writable. */
void msix_ctrl_write(struct msix *m, uint16_t val);

/*
 * Accesses at byte @off of the table (size 4 or 8, naturally aligned, as the spec allows;
 * other accesses read as all ones and are dropped). Outside the table: false, untouched.
 */
bool msix_table_read(const struct msix *m, uint64_t off, void *data, unsigned int len);
bool msix_table_write(struct msix *m, uint64_t off, const void *data, unsigned int len);

/* Back to reset state (MSI-X off, vectors masked), telling @ops. */
void msix_reset(struct msix *m);

#endif
