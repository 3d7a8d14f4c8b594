/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nestvm_viommu: a virtio-iommu driver that speaks nestvm's nesting extension
 * (docs/virtio-iommu-nested.md). Without VIRTIO_IOMMU_F_ATTACH_TABLE it is a MAP/UNMAP driver;
 * with it, every paging domain is an x86-64 (VT-d first-stage) page table in guest memory,
 * handed to the device with ATTACH_TABLE, and unmaps become INVALIDATE requests on the invalq.
 *
 * Files: main.c (the virtio driver and iommu_ops), request.c (requests on a virtqueue, polled),
 * endpoint.c (PROBE, reserved regions), domain.c (domains, map/unmap, invalidations),
 * pgtable.c (the table itself), event.c (fault events).
 */
#ifndef NVI_H
#define NVI_H

#include <linux/atomic.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <linux/virtio_iommu.h>

#include "pgtable.h"
#include "viommu_nested.h"

struct nvi_queue {
	struct virtqueue *vq;
	spinlock_t lock; /* the ring: add, kick and harvest of used buffers */
	bool broken; /* timed out, or the device needs a reset: fail fast */
	atomic_t inflight; /* requests added and not yet answered or abandoned: the load */
	const char *name;
};

/* What the driver sent, for /sys/class/iommu/<dev>/nestvm/stats. */
enum nvi_stat {
	NVI_ATTACH,
	NVI_ATTACH_TABLE,
	NVI_MAP,
	NVI_UNMAP,
	NVI_PROBE,
	NVI_INVAL_RANGE,
	NVI_INVAL_DOMAIN,
	NVI_INVAL_ON_INVALQ, /* of the INVALIDATEs above, those sent on the invalq */
	NVI_REQ_ERRORS,
	NVI_FAULTS,
	NVI_NR_STATS
};

struct nvi_dev {
	struct iommu_device iommu;
	struct virtio_device *vdev;
	struct device *dev;
	struct fwnode_handle *fwnode; /* the transport's: what VIOT and the fwspec name */
	struct list_head node; /* in nvi_devices */

	struct nvi_queue requestq;
	struct nvi_queue invalq; /* vq NULL without ATTACH_TABLE: INVALIDATEs go to requestq */
	struct virtqueue *eventq;
	struct virtio_iommu_fault *events;
	unsigned int nr_events;

	struct ida domain_ids;
	u32 first_domain, last_domain; /* for paging domains */
	u32 blocked_id, identity_id; /* reserved at the top of the device's domain range */
	u64 input_start, input_end;
	u64 pgsize_bitmap; /* config page_size_mask */
	u32 probe_size;
	bool tables; /* ATTACH_TABLE negotiated */
	bool bypass_flag; /* BYPASS_CONFIG negotiated: identity through ATTACH_F_BYPASS */
	bool mmio_flag;
	atomic_t needs_reset; /* the device asked for a reset: every request fails at once */

	atomic64_t stats[NVI_NR_STATS];

	/* test_hooks=1 only: debugfs unmap_next (see domain.c) */
	struct dentry *debugfs;
	atomic_t unmap_next;
	unsigned long unmapped_iova; /* the buffer it took, so its real unmap is not a hole */
};

/* An endpoint: a device the vIOMMU translates, named by its VIOT endpoint id. */
struct nvi_endpoint {
	struct nvi_dev *nvi;
	struct device *dev;
	u32 id;
	struct list_head resv; /* iommu_resv_region, from PROBE */
	bool msi_reported;
	/* PROBE's VT-d first-stage TABLE_FORMAT, if any */
	bool vtd;
	u8 address_bits;
	u32 format_caps;
	u64 page_sizes;
	struct nvi_domain *domain; /* paging domain it is attached to, or NULL */
};

struct nvi_domain {
	struct iommu_domain domain;
	struct nvi_dev *nvi;
	u32 id;
	/* Table mode: the device walks @pt; MAP mode: @pt only records what was MAPped. */
	bool table_mode;
	bool caching_mode; /* the endpoint's device mirrors the table: invalidate after a map */
	struct nvi_pgtable pt;
	/*
	 * @lock orders MAP-mode map/unmap against attach's replay and guards @nr_endpoints.
	 * Table mode takes it only in attach/detach: map and unmap write the table locklessly.
	 */
	spinlock_t lock;
	unsigned int nr_endpoints; /* the device holds the domain while this is not 0 */
};

static inline struct nvi_domain *to_nvi_domain(struct iommu_domain *d)
{
	return container_of(d, struct nvi_domain, domain);
}

static inline void nvi_count(struct nvi_dev *nvi, enum nvi_stat s)
{
	atomic64_inc(&nvi->stats[s]);
}

extern const struct iommu_ops nvi_ops;
extern struct iommu_domain nvi_identity_domain, nvi_blocked_domain;

/* request.c */
void nvi_queue_init(struct nvi_queue *q, struct virtqueue *vq, const char *name);
void nvi_device_needs_reset(struct nvi_dev *nvi);
int nvi_send(struct nvi_dev *nvi, struct nvi_queue *q, void *buf, size_t out_len, size_t in_len);
/* Where INVALIDATEs go (the invalq= parameter), for the log. */
const char *nvi_inval_queues(void);
int nvi_status_to_errno(u8 status);

/* endpoint.c */
struct iommu_device *nvi_probe_device(struct device *dev);
void nvi_release_device(struct device *dev);
void nvi_get_resv_regions(struct device *dev, struct list_head *head);
struct nvi_dev *nvi_find_by_fwnode(struct fwnode_handle *fwnode);
void nvi_register(struct nvi_dev *nvi);
void nvi_unregister(struct nvi_dev *nvi);

/* domain.c */
extern bool nvi_test_hooks;
struct iommu_domain *nvi_domain_alloc_paging(struct device *dev);
void nvi_debugfs_init(struct nvi_dev *nvi, struct dentry *root);
extern const struct iommu_domain_ops nvi_paging_ops;

/* event.c */
int nvi_events_init(struct nvi_dev *nvi);
void nvi_event_handler(struct virtqueue *vq);

#endif
