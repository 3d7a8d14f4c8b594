/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the virtio-iommu model asks of a backend. The model parses and validates every request;
 * a backend only holds the address spaces (domains) and applies changes the model has already
 * judged legal. Backends: emulated (a mapping tree per domain, for emulated devices; here),
 * ioas (backend_ioas.h: an iommufd IOAS per domain, for VFIO endpoints), later nested /
 * shadow. The model never calls iommufd itself.
 *
 * Threads: the model calls every op with its own lock held (write side for changes, read side
 * for translate), so a backend needs no lock of its own for domain state; translate may run on
 * several threads at once and must not modify anything.
 */
#ifndef NESTVM_IOMMU_BACKEND_H
#define NESTVM_IOMMU_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

/* Mapping flags, the same bits as VIRTIO_IOMMU_MAP_F_*. */
#define VIOMMU_MAP_READ (1u << 0)
#define VIOMMU_MAP_WRITE (1u << 1)
#define VIOMMU_MAP_MMIO (1u << 2)

/* A guest stage-1 table (docs/virtio-iommu-nested.md), as ATTACH_TABLE gave it, validated. */
struct viommu_table {
	uint16_t format; /* VIRTIO_IOMMU_FORMAT_* */
	uint64_t root; /* GPA of the root table, in guest RAM, 4 KiB aligned */
	uint64_t flags; /* format_flags, known bits only */
};

/* One INVALIDATE, validated: [start, end] inclusive; all: the whole address space. */
struct viommu_inval {
	uint64_t start, end;
	bool all;
	bool leaf;
};

/* A table format an endpoint can use, for PROBE's TABLE_FORMAT property. */
struct viommu_table_format {
	uint16_t format;
	uint8_t pasid_bits, address_bits;
	uint32_t caps; /* VIRTIO_IOMMU_VTD_CAP_* */
	uint64_t page_sizes;
};

struct viommu_backend_ops {
	const char *name;
	/*
	 * Creates an empty domain (@bypass: identity, never mapped). 0 and *@domain, or
	 * -ENOMEM.
	 */
	int (*domain_alloc)(void *ctx, bool bypass, void **domain);
	/* Frees a domain with whatever mappings it still holds; no endpoint is attached. */
	void (*domain_free)(void *ctx, void *domain);
	/*
	 * Optional: endpoint @ep_opaque (what the VMM registered) joins / leaves @domain.
	 * Backends that program hardware (VFIO) act here. attach replaces: the endpoint may still
	 * be in another domain of this backend, and is in @domain alone afterwards (no detach
	 * call for the old one); on failure (-errno; -ENOMEM is NOMEM, the rest UNSUPP) it stays
	 * where it was. detach is called
	 * only when the endpoint is left in no domain (DETACH, reset).
	 */
	int (*attach)(void *ctx, void *domain, void *ep_opaque);
	void (*detach)(void *ctx, void *domain, void *ep_opaque);
	/*
	 * Optional: endpoint @ep_opaque is in no domain (just registered, DETACH, reset, or
	 * config.bypass changed while it is unattached). With @bypass its DMA must reach guest
	 * RAM untranslated (identity), otherwise it must be blocked (spec: config.bypass).
	 * Backends that program hardware act here, before detach and before the old domain is
	 * freed; the emulated backend needs nothing (viommu_translate() reads config.bypass).
	 * 0, or -errno and the device keeps what it had: DETACH then fails with DEVERR and the
	 * endpoint stays attached.
	 */
	int (*unattached)(void *ctx, void *ep_opaque, bool bypass);
	/*
	 * Maps [@iova, @iova_end] (inclusive) to @gpa with VIOMMU_MAP_* @flags. The model has
	 * checked alignment, ranges and flags. -EEXIST when the range overlaps a mapping (nothing
	 * changes), -ENOMEM / -ENOSPC when out of resources (NOMEM), -EINVAL when the host
	 * refuses the range (a reserved IOVA of an attached device: INVAL), -EOPNOTSUPP for a
	 * kind of mapping the backend cannot make (UNSUPP); anything else is DEVERR.
	 */
	int (*map)(void *ctx, void *domain, uint64_t iova, uint64_t iova_end, uint64_t gpa,
		   uint32_t flags);
	/*
	 * Removes every mapping inside [@start, @end]. -ERANGE, and nothing removed, when a mapping
	 * straddles either end (the request would split it). Unmapping nothing is success.
	 */
	int (*unmap)(void *ctx, void *domain, uint64_t start, uint64_t end);
	/*
	 * Looks @iova up: 0 with *@gpa, *@contig (bytes from @iova to the mapping's end, at least
	 * 1, UINT64_MAX when that does not fit) and the mapping's *@flags; -ENOENT on a miss.
	 * Optional for backends whose endpoints the host IOMMU translates.
	 */
	int (*translate)(void *ctx, void *domain, uint64_t iova, uint64_t *gpa, uint64_t *contig,
			 uint32_t *flags);

	/*
	 * Nesting (all optional; a backend without set_table makes ATTACH_TABLE UNSUPP).
	 *
	 * table_formats: the formats endpoint @ep_opaque can use, up to @max into @out; returns
	 * how many. Setup time or PROBE.
	 *
	 * set_table: @domain (fresh from domain_alloc, no endpoint yet) becomes the guest's table
	 * @t; attach() then puts endpoints on it, and translate (if any) walks it. -EOPNOTSUPP
	 * (UNSUPP: the host refuses this table), -ENOMEM (NOMEM), -EINVAL (INVAL).
	 *
	 * invalidate: the guest changed its table as @inv[0..@n) say. Runs with the model's lock
	 * held for reading (so concurrently with translate, and with invalidate calls for other
	 * domains, but never with map/unmap/attach/detach) and the domain's own invalidation lock
	 * (so never with another invalidate of @domain), on a vCPU (requestq) or the invalq
	 * thread.
	 * *@done is how many entries took effect, in order; returns 0 when all did, else the
	 * errno of entry *@done (the caller reports it and may retry the rest).
	 */
	unsigned int (*table_formats)(void *ctx, void *ep_opaque, struct viommu_table_format *out,
				      unsigned int max);
	int (*set_table)(void *ctx, void *domain, const struct viommu_table *t);
	int (*invalidate)(void *ctx, void *domain, const struct viommu_inval *inv, unsigned int n,
			  unsigned int *done);
};

struct viommu_backend {
	const struct viommu_backend_ops *ops;
	void *ctx;
};

struct gmem;

/*
 * The emulated backend: an AVL tree of mappings per domain, O(log n) lookup, insert and delete.
 * @max_mappings bounds the mappings of all its domains together (guest memory pressure on the
 * host); map fails with -ENOSPC past it. With @mem it also takes guest VT-d first-stage tables
 * (nesting extension) and walks them in guest RAM @mem. Returns NULL when out of memory.
 */
struct viommu_backend *viommu_emulated_backend_create(unsigned long max_mappings,
						      const struct gmem *mem);
void viommu_emulated_backend_destroy(struct viommu_backend *be);
/* Mappings held now by all domains of @be, for tests and statistics. */
unsigned long viommu_emulated_backend_count(const struct viommu_backend *be);

#endif
