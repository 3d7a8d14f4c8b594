// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated virtio-iommu backend: each domain is an AVL tree of disjoint mappings keyed by
 * their first IOVA. Disjointness makes the containing mapping of an address the only candidate
 * on the search path, so lookup, insert and delete are all O(log n); UNMAP of k mappings is
 * O(k log n). Locking is the model's (see backend.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "backend.h"

struct emu_node {
	struct emu_node *left, *right;
	uint64_t start, end; /* inclusive */
	uint64_t gpa;
	uint32_t flags;
	int height;
};

struct emu_domain {
	struct emu_node *root;
	unsigned long count;
	bool bypass;
};

struct emu_backend {
	struct viommu_backend be; /* first: handed out as the public object */
	unsigned long max_mappings, count;
};

static int height(const struct emu_node *n)
{
	return n ? n->height : 0;
}

static void update(struct emu_node *n)
{
	int l = height(n->left), r = height(n->right);

	n->height = (l > r ? l : r) + 1;
}

static struct emu_node *rotate_right(struct emu_node *n)
{
	struct emu_node *l = n->left;

	n->left = l->right;
	l->right = n;
	update(n);
	update(l);
	return l;
}

static struct emu_node *rotate_left(struct emu_node *n)
{
	struct emu_node *r = n->right;

	n->right = r->left;
	r->left = n;
	update(n);
	update(r);
	return r;
}

static struct emu_node *rebalance(struct emu_node *n)
{
	int balance;

	update(n);
	balance = height(n->left) - height(n->right);
	if (balance > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(n->left);
		return rotate_right(n);
	}
	if (balance < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(n->right);
		return rotate_left(n);
	}
	return n;
}

/* The caller has checked that @node overlaps nothing in the tree. */
static struct emu_node *insert(struct emu_node *root, struct emu_node *node)
{
	if (!root)
		return node;
	if (node->start < root->start)
		root->left = insert(root->left, node);
	else
		root->right = insert(root->right, node);
	return rebalance(root);
}

/* Unlinks the leftmost node of @root into *@min. */
static struct emu_node *remove_min(struct emu_node *root, struct emu_node **min)
{
	if (!root->left) {
		*min = root;
		return root->right;
	}
	root->left = remove_min(root->left, min);
	return rebalance(root);
}

/* Removes and frees the node starting at @start, which exists. */
static struct emu_node *erase(struct emu_node *root, uint64_t start)
{
	struct emu_node *l, *r, *min;

	if (!root)
		return NULL;
	if (start < root->start) {
		root->left = erase(root->left, start);
		return rebalance(root);
	}
	if (start > root->start) {
		root->right = erase(root->right, start);
		return rebalance(root);
	}
	l = root->left;
	r = root->right;
	free(root);
	if (!r)
		return l;
	r = remove_min(r, &min);
	min->left = l;
	min->right = r;
	return rebalance(min);
}

/* The mapping that contains @addr, or NULL. */
static struct emu_node *find(struct emu_node *n, uint64_t addr)
{
	while (n) {
		if (addr < n->start)
			n = n->left;
		else if (addr > n->end)
			n = n->right;
		else
			return n;
	}
	return NULL;
}

/* The mapping with the greatest start <= @addr, or NULL. */
static struct emu_node *floor_node(struct emu_node *n, uint64_t addr)
{
	struct emu_node *best = NULL;

	while (n) {
		if (n->start <= addr) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

/* The mapping with the least start >= @addr, or NULL. */
static struct emu_node *ceil_node(struct emu_node *n, uint64_t addr)
{
	struct emu_node *best = NULL;

	while (n) {
		if (n->start >= addr) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

static void free_tree(struct emu_node *n)
{
	while (n) {
		struct emu_node *r = n->right;

		free_tree(n->left); /* depth is bounded by the AVL height */
		free(n);
		n = r;
	}
}

static int emu_domain_alloc(void *ctx, bool bypass, void **domain)
{
	struct emu_domain *d = calloc(1, sizeof(*d));

	(void)ctx;
	if (!d)
		return -ENOMEM;
	d->bypass = bypass;
	*domain = d;
	return 0;
}

static void emu_domain_free(void *ctx, void *domain)
{
	struct emu_backend *eb = ctx;
	struct emu_domain *d = domain;

	if (!d)
		return;
	free_tree(d->root);
	eb->count -= d->count;
	free(d);
}

static int emu_map(void *ctx, void *domain, uint64_t iova, uint64_t iova_end, uint64_t gpa,
		   uint32_t flags)
{
	struct emu_backend *eb = ctx;
	struct emu_domain *d = domain;
	struct emu_node *n;

	if (iova_end < iova)
		return -EINVAL;
	/* Anything overlapping [iova, iova_end] shows as the last mapping starting <= iova_end. */
	n = floor_node(d->root, iova_end);
	if (n && n->end >= iova)
		return -EEXIST;
	if (eb->count >= eb->max_mappings)
		return -ENOSPC;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->start = iova;
	n->end = iova_end;
	n->gpa = gpa;
	n->flags = flags;
	n->height = 1;
	d->root = insert(d->root, n);
	d->count++;
	eb->count++;
	return 0;
}

static int emu_unmap(void *ctx, void *domain, uint64_t start, uint64_t end)
{
	struct emu_backend *eb = ctx;
	struct emu_domain *d = domain;
	struct emu_node *n;

	if (end < start)
		return -EINVAL;
	n = find(d->root, start);
	if (n && n->start != start)
		return -ERANGE;
	n = find(d->root, end);
	if (n && n->end != end)
		return -ERANGE;
	/* Every mapping starting inside the range now also ends inside it. */
	while ((n = ceil_node(d->root, start)) && n->start <= end) {
		uint64_t next = n->end;

		d->root = erase(d->root, n->start);
		d->count--;
		eb->count--;
		if (next >= end)
			break;
		start = next + 1;
	}
	return 0;
}

static int emu_translate(void *ctx, void *domain, uint64_t iova, uint64_t *gpa, uint64_t *contig,
			 uint32_t *flags)
{
	const struct emu_domain *d = domain;
	const struct emu_node *n;
	uint64_t left;

	(void)ctx;
	n = find(d->root, iova);
	if (!n)
		return -ENOENT;
	left = n->end - iova; /* bytes after @iova */
	*gpa = n->gpa + (iova - n->start);
	*contig = left == UINT64_MAX ? UINT64_MAX : left + 1;
	*flags = n->flags;
	return 0;
}

static const struct viommu_backend_ops emu_ops = {
	.name = "emulated",
	.domain_alloc = emu_domain_alloc,
	.domain_free = emu_domain_free,
	.map = emu_map,
	.unmap = emu_unmap,
	.translate = emu_translate,
};

struct viommu_backend *viommu_emulated_backend_create(unsigned long max_mappings)
{
	struct emu_backend *eb = calloc(1, sizeof(*eb));

	if (!eb)
		return NULL;
	eb->be.ops = &emu_ops;
	eb->be.ctx = eb;
	eb->max_mappings = max_mappings;
	return &eb->be;
}

void viommu_emulated_backend_destroy(struct viommu_backend *be)
{
	free(be);
}

unsigned long viommu_emulated_backend_count(const struct viommu_backend *be)
{
	return ((const struct emu_backend *)be)->count;
}
