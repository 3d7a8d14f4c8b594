// SPDX-License-Identifier: GPL-2.0
/*
 * The counters line at exit (--viommu-stats, -d): what the guest asked of the virtio-iommu and
 * what that cost the host, one line of "NAME N" pairs that scenarios and benchmarks grep.
 */
#include <stdio.h>

#include "iommu/backend_ioas.h"
#include "iommu/backend_nested.h"
#include "iommu/backend_shadow.h"
#include "machine_internal.h"

/* The host calls of the backends behind VFIO endpoints: --vfio's, or the mock endpoint's. */
struct host_calls {
	unsigned long hwpt_invalidate, shadow_maps, shadow_unmaps, ioas_maps, ioas_unmaps;
};

static void add_backends(struct host_calls *h, const struct viommu_backend *ioas,
			 const struct viommu_backend *nested, const struct viommu_backend *shadow)
{
	struct ioas_stats i;
	struct nested_stats n;
	struct shadow_stats s;

	if (ioas) {
		ioas_backend_stats(ioas, &i);
		h->ioas_maps += i.maps;
		h->ioas_unmaps += i.unmaps;
	}
	if (nested) {
		nested_backend_stats(nested, &n);
		h->hwpt_invalidate += n.invalidate_calls;
	}
	if (shadow) {
		shadow_backend_stats(shadow, &s);
		h->shadow_maps += s.maps;
		h->shadow_unmaps += s.unmaps;
	}
}

void machine_print_viommu_stats(struct machine *m)
{
	struct viommu_stats s;
	struct invalq_stats q = { 0 };
	struct host_calls h = { 0 };

	if (!m->viommu)
		return;
	viommu_get_stats(m->viommu, &s);
	if (m->invalq_fd >= 0)
		invalq_stats(&m->invalq, &q);
	add_backends(&h, m->pt.ioas, m->pt.nested, m->pt.shadow);
	add_backends(&h, m->pt.test.ioas, m->pt.test.nested, NULL);
	fprintf(
	    stderr,
	    "nestvm: viommu: ATTACH %lu ATTACH_TABLE %lu DETACH %lu MAP %lu UNMAP %lu PROBE %lu "
	    "INVALIDATE %lu INVALIDATE_REQUESTQ %lu INVALIDATE_INVALQ %lu INVALQ_BATCHES %lu "
	    "ERRORS %lu HWPT_INVALIDATE %lu SHADOW_IOAS_MAP %lu SHADOW_IOAS_UNMAP %lu "
	    "IOAS_MAP %lu IOAS_UNMAP %lu\n",
	    s.attach, s.attach_table, s.detach, s.map, s.unmap, s.probe,
	    s.inval_requestq + s.inval_invalq, s.inval_requestq, s.inval_invalq, q.drains, s.errors,
	    h.hwpt_invalidate, h.shadow_maps, h.shadow_unmaps, h.ioas_maps, h.ioas_unmaps);
}
