/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-iommu device model (virtio 1.2 §5.13), independent of the transport: it takes the
 * device-readable bytes of one request and fills the device-writable bytes of its reply. It
 * keeps domains and endpoints, asks a backend (backend.h) to hold the address spaces, answers
 * PROBE, translates DMA of emulated endpoints and queues their faults for the eventq.
 *
 * Threads: requests, config accesses, feature negotiation and reset come from one thread at a
 * time (the vCPU or queue thread that owns the requestq); viommu_translate() may be called from
 * any device thread concurrently with them. All state is behind one rwlock (translate takes the
 * read side, writer-preferring so DMA cannot starve requests); the fault queue has its own
 * mutex. An endpoint's dma_space holds the read side across a whole dma_read/dma_write (or a
 * device's zero-copy I/O), so an UNMAP or DETACH completes before or after a copy, never in the
 * middle of one, and an INVALIDATE of a table the emulated backend walks waits for the copies
 * open when it came; its faults are reported after the lock is dropped. Endpoints are
 * registered at setup, before the guest runs.
 */
#ifndef NESTVM_VIOMMU_H
#define NESTVM_VIOMMU_H

#include <linux/virtio_iommu.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/dma.h"
#include "iommu/backend.h"
#include "vmm/gmem.h"

#define VIRTIO_ID_IOMMU 23

/* x86 MSI doorbell, reported to every endpoint as RESV_MEM MSI and never mappable. */
#define VIOMMU_MSI_START 0xfee00000ULL
#define VIOMMU_MSI_END 0xfeefffffULL

enum viommu_endpoint_kind {
	VIOMMU_EP_EMULATED, /* an emulated device; DMA through viommu_translate() */
	VIOMMU_EP_VFIO, /* a VFIO device; needs a backend set with viommu_set_backend() */
	VIOMMU_EP_KINDS,
};

struct viommu_params {
	uint64_t page_size_mask; /* least significant bit: the granule */
	uint64_t input_start, input_end;
	uint32_t domain_start, domain_end;
	uint32_t probe_size; /* bytes of PROBE properties, >= 24 (one RESV_MEM) */
	bool bypass; /* initial value of config.bypass */
	unsigned int fault_queue_len; /* faults kept until the eventq takes them */
	unsigned long max_mappings; /* for the emulated backend, all domains together */
};

/*
 * Defaults: 4 KiB granule (every power of two from 4 KiB up), 48-bit input range, domains
 * 0..65535, probe_size 256, bypass 1 (emulated devices work before the guest driver runs),
 * 256 queued faults, 1 Mi mappings.
 */
void viommu_default_params(struct viommu_params *p);

struct viommu;
struct viommu_endpoint;

/*
 * Creates the model with the emulated backend for VIOMMU_EP_EMULATED endpoints. @mem is the
 * guest RAM that non-MMIO mappings must land in (kept, not copied). NULL with errno set on a
 * bad @p (EINVAL) or no memory.
 */
struct viommu *viommu_create(const struct viommu_params *p, const struct gmem *mem);
void viommu_destroy(struct viommu *v);

/*
 * Backend for endpoints of @kind (the model does not own it). Setup time only, before the
 * endpoints of @kind are added: a backend with an unattached op is told of each new endpoint.
 */
void viommu_set_backend(struct viommu *v, enum viommu_endpoint_kind kind,
			const struct viommu_backend *be);

/*
 * Registers endpoint @id (the ID the firmware tables give the guest) at setup time. @opaque is
 * the VMM's object for it, handed to the backend's attach/detach/unattached; a backend with
 * unattached puts the device in the no-domain state now (identity or blocked, per
 * config.bypass). Returns the endpoint handle (valid until viommu_destroy) or NULL with errno
 * EEXIST / EINVAL / ENOMEM, or the backend's error.
 */
struct viommu_endpoint *viommu_add_endpoint(struct viommu *v, uint32_t id,
					    enum viommu_endpoint_kind kind, void *opaque);

/*
 * Adds reserved region [@start, @end] (VIRTIO_IOMMU_RESV_MEM_T_RESERVED or _MSI) to what PROBE
 * reports for @ep after the MSI doorbell, clipped to the input range (nothing when it lies
 * outside). MAP into a domain @ep is attached to fails with INVAL where it meets the region.
 * Setup time. 0, -EINVAL (end < start, unknown subtype), -ENOSPC (probe_size has no room for
 * one more property), -ENOMEM.
 */
int viommu_endpoint_add_resv(struct viommu_endpoint *ep, uint64_t start, uint64_t end,
			     uint8_t subtype);

/*
 * dma_space.translate for an emulated endpoint: @opaque is its struct viommu_endpoint *.
 * Bypass gives identity; a miss or forbidden access queues a fault and returns -EFAULT.
 */
int viommu_translate(void *opaque, uint64_t addr, uint64_t len, bool write, uint64_t *gpa,
		     uint64_t *contig);
/* The DMA view of @ep over @mem, for an emulated device behind the vIOMMU. */
struct dma_space viommu_endpoint_dma(struct viommu_endpoint *ep, const struct gmem *mem);

void viommu_set_table_backend(struct viommu *v, enum viommu_endpoint_kind kind,
			      const struct viommu_backend *be);

/*
 * INVALIDATE requests from the invalq, handled as one batch: @reqs[i] is the device-readable
 * part of request i (@lens[i] bytes); its status goes to @status[i]. Consecutive requests for
 * the same address space reach the backend as one invalidate call. Takes the read lock.
 */
void viommu_invalidate_batch(struct viommu *v, const void *const *reqs, const size_t *lens,
			     unsigned int n, uint8_t *status);

/* Device feature bits offered (bits 0-63 of the device-specific range; no transport bits). */
uint64_t viommu_features(const struct viommu *v);
/*
 * What the driver accepted, at FEATURES_OK (the transport glue calls it then, and with 0 at
 * reset). A model used without a transport (tests) counts every offered feature until then.
 */
void viommu_set_features(struct viommu *v, uint64_t negotiated);

/* Config space (struct virtio_iommu_config, little-endian). Out-of-range bytes read as 0. */
void viommu_config_read(struct viommu *v, uint64_t offset, void *buf, size_t len);
/* Only a 1-byte write of 0 or 1 to bypass, with BYPASS_CONFIG negotiated, has any effect. */
void viommu_config_write(struct viommu *v, uint64_t offset, const void *buf, size_t len);

/* Device reset: every endpoint detached, every domain gone, faults dropped; bypass kept. */
void viommu_reset(struct viommu *v);

/*
 * Handles one request: @req/@req_len the device-readable bytes, @reply/@reply_cap the
 * device-writable ones. The tail is the last 4 bytes of @reply; for PROBE the bytes before it
 * are the property buffer, for other types @reply must be exactly the tail. Returns 0 with
 * *@reply_len bytes written (the whole of @reply); or -EINVAL (no room for the tail) or
 * -EOPNOTSUPP (unknown type, spec: used length 0) with *@reply_len = 0 and nothing written.
 */
int viommu_handle_request(struct viommu *v, const void *req, size_t req_len, void *reply,
			  size_t reply_cap, size_t *reply_len);

/*
 * Queues a fault for the eventq (backends of hardware endpoints report theirs here too). A full
 * queue drops the fault (counted). Calls the notify hook, if set, after queuing.
 */
void viommu_report_fault(struct viommu *v, uint8_t reason, uint32_t flags, uint32_t endpoint,
			 uint64_t address);
/* Takes the oldest queued fault, ready for the eventq (little-endian). */
bool viommu_pop_fault(struct viommu *v, struct virtio_iommu_fault *out);
/* Faults dropped because the queue was full. */
unsigned long viommu_faults_dropped(struct viommu *v);
/* Called (from the faulting thread, no lock held) after a fault is queued. */
void viommu_set_fault_notify(struct viommu *v, void (*notify)(void *ctx), void *ctx);

/* Requests served since creation, by type; INVALIDATE by the queue it came on. */
struct viommu_stats {
	unsigned long attach, attach_table, detach, map, unmap, probe;
	unsigned long inval_requestq, inval_invalq;
	unsigned long errors; /* requests answered with a status other than OK */
};
/* Any thread, any time: the counters are relaxed atomics (vCPUs and the invalq count). */
void viommu_get_stats(struct viommu *v, struct viommu_stats *out);
/*
 * The invalq's chains answered without the model (viommu_invalq.c): @invalidates malformed
 * INVALIDATEs (INVAL) and @others of another type (UNSUPP). All are errors.
 */
void viommu_count_invalq_refused(struct viommu *v, unsigned int invalidates, unsigned int others);

#endif
