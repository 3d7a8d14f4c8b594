// SPDX-License-Identifier: GPL-2.0
/*
 * The counters line at exit (--viommu-stats, -d): what the guest asked of the virtio-iommu and
 * what that cost the host, one line of "NAME N" pairs that scenarios and benchmarks grep.
 */
#include <stdio.h>

#include "iommu/backend_nested.h"
#include "iommu/backend_shadow.h"
#include "machine_internal.h"

void machine_print_viommu_stats(struct machine *m)
{
	struct viommu_stats s;
	struct invalq_stats q = { 0 };
	struct nested_stats n = { 0 };
	struct shadow_stats sh = { 0 };

	if (!m->viommu)
		return;
	viommu_get_stats(m->viommu, &s);
	if (m->invalq_fd >= 0)
		invalq_stats(&m->invalq, &q);
	if (m->pt.nested)
		nested_backend_stats(m->pt.nested, &n);
	if (m->pt.shadow)
		shadow_backend_stats(m->pt.shadow, &sh);
	fprintf(
	    stderr,
	    "nestvm: viommu: ATTACH %lu ATTACH_TABLE %lu DETACH %lu MAP %lu UNMAP %lu PROBE %lu "
	    "INVALIDATE %lu INVALIDATE_REQUESTQ %lu INVALIDATE_INVALQ %lu INVALQ_BATCHES %lu "
	    "ERRORS %lu HWPT_INVALIDATE %lu SHADOW_IOAS_MAP %lu SHADOW_IOAS_UNMAP %lu\n",
	    s.attach, s.attach_table, s.detach, s.map, s.unmap, s.probe,
	    s.inval_requestq + s.inval_invalq, s.inval_requestq, s.inval_invalq, q.drains, s.errors,
	    n.invalidate_calls, sh.maps, sh.unmaps);
}
