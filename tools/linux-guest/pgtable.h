/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The domain's I/O page table (pgtable.c). Apart from nvi.h so that nestvm's unit tests can
 * build pgtable.c in user space against its own walker (tests/unit/test_guest_pgtable.c).
 */
#ifndef NVI_PGTABLE_H
#define NVI_PGTABLE_H

#include <linux/types.h>

/* The x86-64 4-level table of a domain; pages come from the buddy allocator. */
struct nvi_pgtable {
	u64 *root;
};

int nvi_pt_init(struct nvi_pgtable *pt, gfp_t gfp);
void nvi_pt_free(struct nvi_pgtable *pt);
int nvi_pt_map(struct nvi_pgtable *pt, unsigned long iova, phys_addr_t paddr, size_t pgsize,
	       size_t pgcount, int prot, gfp_t gfp, size_t *mapped);
size_t nvi_pt_unmap(struct nvi_pgtable *pt, unsigned long iova, size_t size);
phys_addr_t nvi_pt_iova_to_phys(struct nvi_pgtable *pt, unsigned long iova);
typedef int (*nvi_leaf_fn)(void *opaque, unsigned long iova, phys_addr_t paddr, size_t size,
			   bool writable);
int nvi_pt_for_each_leaf(struct nvi_pgtable *pt, nvi_leaf_fn fn, void *opaque);

#endif
