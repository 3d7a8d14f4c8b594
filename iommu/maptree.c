// SPDX-License-Identifier: GPL-2.0
/* The AVL tree behind struct maptree (maptree.h). */
#include <errno.h>
#include <stdlib.h>

#include "maptree.h"

struct maptree_node {
	struct maptree_map m; /* first: a node is handed out as its mapping */
	struct maptree_node *left, *right;
	int height;
};

static int height(const struct maptree_node *n)
{
	return n ? n->height : 0;
}

static void update(struct maptree_node *n)
{
	int l = height(n->left), r = height(n->right);

	n->height = (l > r ? l : r) + 1;
}

static struct maptree_node *rotate_right(struct maptree_node *n)
{
	struct maptree_node *l = n->left;

	n->left = l->right;
	l->right = n;
	update(n);
	update(l);
	return l;
}

static struct maptree_node *rotate_left(struct maptree_node *n)
{
	struct maptree_node *r = n->right;

	n->right = r->left;
	r->left = n;
	update(n);
	update(r);
	return r;
}

static struct maptree_node *rebalance(struct maptree_node *n)
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
static struct maptree_node *insert(struct maptree_node *root, struct maptree_node *node)
{
	if (!root)
		return node;
	if (node->m.start < root->m.start)
		root->left = insert(root->left, node);
	else
		root->right = insert(root->right, node);
	return rebalance(root);
}

/* Unlinks the leftmost node of @root into *@min. */
static struct maptree_node *remove_min(struct maptree_node *root, struct maptree_node **min)
{
	if (!root->left) {
		*min = root;
		return root->right;
	}
	root->left = remove_min(root->left, min);
	return rebalance(root);
}

/* Removes and frees the node starting at @start, which exists. */
static struct maptree_node *erase(struct maptree_node *root, uint64_t start)
{
	struct maptree_node *l, *r, *min;

	if (!root)
		return NULL;
	if (start < root->m.start) {
		root->left = erase(root->left, start);
		return rebalance(root);
	}
	if (start > root->m.start) {
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

/* The mapping with the greatest start <= @addr, or NULL. */
static struct maptree_node *floor_node(struct maptree_node *n, uint64_t addr)
{
	struct maptree_node *best = NULL;

	while (n) {
		if (n->m.start <= addr) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

/* The mapping with the least start >= @addr, or NULL. */
static struct maptree_node *ceil_node(struct maptree_node *n, uint64_t addr)
{
	struct maptree_node *best = NULL;

	while (n) {
		if (n->m.start >= addr) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

static void free_tree(struct maptree_node *n)
{
	while (n) {
		struct maptree_node *r = n->right;

		free_tree(n->left); /* depth is bounded by the AVL height */
		free(n);
		n = r;
	}
}

void maptree_clear(struct maptree *t)
{
	free_tree(t->root);
	t->root = NULL;
	t->count = 0;
}

int maptree_insert(struct maptree *t, uint64_t start, uint64_t end, uint64_t gpa, uint32_t flags)
{
	struct maptree_node *n;

	if (end < start)
		return -EINVAL;
	if (maptree_overlaps(t, start, end))
		return -EEXIST;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->m = (struct maptree_map){ .start = start, .end = end, .gpa = gpa, .flags = flags };
	n->height = 1;
	t->root = insert(t->root, n);
	t->count++;
	return 0;
}

bool maptree_overlaps(const struct maptree *t, uint64_t start, uint64_t end)
{
	/* Anything overlapping [start, end] shows as the last mapping starting <= end. */
	const struct maptree_node *n = floor_node(t->root, end);

	return n && n->m.end >= start;
}

const struct maptree_map *maptree_find(const struct maptree *t, uint64_t addr)
{
	const struct maptree_node *n = floor_node(t->root, addr);

	return n && n->m.end >= addr ? &n->m : NULL;
}

const struct maptree_map *maptree_next(const struct maptree *t, uint64_t addr)
{
	const struct maptree_node *n = ceil_node(t->root, addr);

	return n ? &n->m : NULL;
}

int maptree_check_unmap(const struct maptree *t, uint64_t start, uint64_t end)
{
	const struct maptree_map *m;

	if (end < start)
		return -EINVAL;
	m = maptree_find(t, start);
	if (m && m->start != start)
		return -ERANGE;
	m = maptree_find(t, end);
	if (m && m->end != end)
		return -ERANGE;
	return 0;
}

unsigned long maptree_remove(struct maptree *t, uint64_t start, uint64_t end)
{
	struct maptree_node *n;
	unsigned long removed = 0;

	while ((n = ceil_node(t->root, start)) && n->m.start <= end) {
		uint64_t last = n->m.end;

		t->root = erase(t->root, n->m.start);
		t->count--;
		removed++;
		if (last >= end)
			break;
		start = last + 1;
	}
	return removed;
}
