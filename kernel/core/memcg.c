// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap core: holding memory cgroups to their memory.max for memory the
 * kernel cannot charge to them.
 *
 * A module can charge a memory cgroup only by allocating pages with
 * __GFP_ACCOUNT (the charge and uncharge functions are not exported on
 * 6.1), which the system heaps do.  Memory that does not come fresh from the
 * page allocator cannot be charged that way: ranges from
 * alloc_contig_range() and from the contiguous heap's pool, carveout
 * memory, and pooled pages.  For those, this file keeps a "shadow" count per
 * memory cgroup and refuses a request that would take the cgroup, or any
 * cgroup above it, over its memory.max: its charged usage (memory.current)
 * plus the shadow bytes of it and its descendants.  memory.current itself
 * does not show shadow bytes; the limit holds all the same.
 *
 * The root cgroup has no limit and is never shadow-charged.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/memcontrol.h>
#include <linux/mutex.h>
#include <linux/page_counter.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include <dmaheap/heap.h>

#include "internal.h"

/**
 * struct dmaheap_memcg - shadow bytes of one memory cgroup
 * @memcg:	The cgroup; a css reference is held while the entry exists.
 * @node:	Entry in dmaheap_memcgs.
 * @pages:	Shadow pages charged to it and to its descendants.
 */
struct dmaheap_memcg {
	struct mem_cgroup *memcg;
	struct hlist_node node;
	unsigned long pages;
};

/* Protects dmaheap_memcgs and every entry's @pages. */
static DEFINE_MUTEX(dmaheap_memcg_lock);
static DEFINE_HASHTABLE(dmaheap_memcgs, 6);

static struct dmaheap_memcg *dmaheap_memcg_find(struct mem_cgroup *memcg)
{
	struct dmaheap_memcg *e;

	lockdep_assert_held(&dmaheap_memcg_lock);
	hash_for_each_possible(dmaheap_memcgs, e, node, hash_ptr(memcg, 6))
		if (e->memcg == memcg)
			return e;
	return NULL;
}

/* Iterate over @memcg and every cgroup above it but the root. */
#define for_each_memcg_level(pos, memcg) \
	for (pos = (memcg); pos && parent_mem_cgroup(pos); \
	     pos = parent_mem_cgroup(pos))

/* Would @pages more go over memory.max here or above?  Locked. */
static bool dmaheap_memcg_over(struct mem_cgroup *memcg, unsigned long pages)
{
	struct mem_cgroup *pos;

	for_each_memcg_level(pos, memcg) {
		struct dmaheap_memcg *e = dmaheap_memcg_find(pos);
		unsigned long used = page_counter_read(&pos->memory);
		unsigned long max = READ_ONCE(pos->memory.max);

		used += e ? e->pages : 0;
		if (used > max || pages > max - used)
			return true;
	}
	return false;
}

/* Free the entries without pages at @memcg and above.  Locked. */
static void dmaheap_memcg_prune(struct mem_cgroup *memcg)
{
	struct mem_cgroup *pos;

	for_each_memcg_level(pos, memcg) {
		struct dmaheap_memcg *e = dmaheap_memcg_find(pos);

		if (e && !e->pages) {
			hash_del(&e->node);
			css_put(&e->memcg->css);
			kfree(e);
		}
	}
}

/* Give @memcg and every level above an entry.  Locked. */
static int dmaheap_memcg_prepare(struct mem_cgroup *memcg)
{
	struct mem_cgroup *pos;

	for_each_memcg_level(pos, memcg) {
		struct dmaheap_memcg *e = dmaheap_memcg_find(pos);

		if (e)
			continue;
		e = kzalloc(sizeof(*e), DMAHEAP_GFP);
		if (!e) {
			dmaheap_memcg_prune(memcg);
			return -ENOMEM;
		}
		e->memcg = pos;
		css_get(&pos->css);
		hash_add(dmaheap_memcgs, &e->node, hash_ptr(pos, 6));
	}
	return 0;
}

/* Add @pages (negative: remove) at @memcg and above; entries exist. */
static void dmaheap_memcg_add(struct mem_cgroup *memcg, long pages)
{
	struct mem_cgroup *pos;

	for_each_memcg_level(pos, memcg) {
		struct dmaheap_memcg *e = dmaheap_memcg_find(pos);

		if (!WARN_ON(!e))
			e->pages += pages;
	}
}

/**
 * dmaheap_memcg_get() - the allocating task's memory cgroup, if limits apply
 *
 * Return: the cgroup with a css reference held, or NULL for the root
 * cgroup, or when memory cgroups are disabled.
 */
struct mem_cgroup *dmaheap_memcg_get(void)
{
	struct mem_cgroup *memcg = get_mem_cgroup_from_mm(current->mm);

	if (memcg && !parent_mem_cgroup(memcg)) {
		css_put(&memcg->css);
		memcg = NULL;
	}
	return memcg;
}

/**
 * dmaheap_memcg_put() - drop the reference dmaheap_memcg_get() took
 * @memcg: the cgroup, or NULL
 */
void dmaheap_memcg_put(struct mem_cgroup *memcg)
{
	if (memcg)
		css_put(&memcg->css);
}

/**
 * dmaheap_memcg_reserve() - shadow-charge @pages to @memcg if they fit
 * @memcg: from dmaheap_memcg_get()
 * @pages: pages to charge
 *
 * Return: 0, -ENOMEM over memory.max somewhere up the hierarchy, or -ENOMEM
 * without memory for the bookkeeping.
 */
int dmaheap_memcg_reserve(struct mem_cgroup *memcg, unsigned long pages)
{
	int ret;

	if (!memcg || !pages)
		return 0;
	mutex_lock(&dmaheap_memcg_lock);
	if (dmaheap_memcg_over(memcg, pages)) {
		ret = -ENOMEM;
	} else {
		ret = dmaheap_memcg_prepare(memcg);
		if (!ret)
			dmaheap_memcg_add(memcg, pages);
	}
	mutex_unlock(&dmaheap_memcg_lock);
	return ret;
}

/**
 * dmaheap_memcg_unreserve() - give shadow pages back
 * @memcg: the cgroup they were charged to
 * @pages: how many
 */
void dmaheap_memcg_unreserve(struct mem_cgroup *memcg, unsigned long pages)
{
	if (!memcg || !pages)
		return;
	mutex_lock(&dmaheap_memcg_lock);
	dmaheap_memcg_add(memcg, -(long)pages);
	dmaheap_memcg_prune(memcg);
	mutex_unlock(&dmaheap_memcg_lock);
}
