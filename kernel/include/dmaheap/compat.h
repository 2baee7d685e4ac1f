/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaheap: the one place where kernel-version differences are handled.
 *
 * compat_generated.h is written at build time by kernel/compat/probe.sh,
 * which compiles a small test for each feature against the target kernel's
 * headers.  Nothing else in the tree tests kernel versions.
 */
#ifndef _DMAHEAP_COMPAT_H
#define _DMAHEAP_COMPAT_H

#include <linux/device.h>
#include <linux/kconfig.h>
#include <linux/mm_types.h>
#include <linux/sched.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/swap.h>
#include <linux/swiotlb.h>

#include "compat_generated.h"

/*
 * Symbol namespaces are named by a bare identifier up to 6.12 and by a
 * string literal from 6.13.  Spell them DMAHEAP_NS(NAME) everywhere.
 */
#ifdef HAVE_NS_IDENTIFIER
#define DMAHEAP_NS(ns)	ns
#else
#define DMAHEAP_NS(ns)	#ns
#endif

/* Export an in-kernel API symbol in the project's own namespace. */
#define DMAHEAP_EXPORT(sym)	EXPORT_SYMBOL_NS_GPL(sym, DMAHEAP_NS(DMAHEAP))

/* The device argument of struct class's devnode callback became const. */
#ifdef HAVE_CLASS_DEVNODE_CONST_DEV
#define dmaheap_devnode_dev	const struct device
#else
#define dmaheap_devnode_dev	struct device
#endif

/*
 * Newer kernels have a built-in framework whose heaps already own some
 * /dev/dma_heap/<name> nodes; a second node of the same name cannot be
 * created.  Which heaps exist is a configuration difference, so it is read
 * from the kernel's config rather than probed: the system heap is
 * "system"; the CMA heap is named after the default CMA area ("reserved"
 * when sized on the command line or by Kconfig, "linux,cma" when described
 * by the device tree, "default_cma_region" from 6.17 on, which keeps the
 * older names as well).
 */
static inline bool dmaheap_name_owned_by_kernel(const char *name)
{
	if (IS_ENABLED(CONFIG_DMABUF_HEAPS_SYSTEM) && !strcmp(name, "system"))
		return true;
	return IS_ENABLED(CONFIG_DMABUF_HEAPS_CMA) &&
	       (!strcmp(name, "reserved") || !strcmp(name, "linux,cma") ||
		!strcmp(name, "default_cma_region"));
}

/*
 * Does the DMA layer bounce every mapping of @dev through swiotlb
 * (swiotlb=force, confidential-computing guests)?  If so, *@pool_end is
 * where its default bounce pool ends.  The pool's bounds moved from struct
 * io_tlb_mem into its default pool in 6.6.
 */
static inline bool dmaheap_swiotlb_forced(struct device *dev,
					  phys_addr_t *pool_end)
{
#if defined(HAVE_IO_TLB_MEM_DEFPOOL) || defined(HAVE_IO_TLB_MEM_END)
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;

	if (!is_swiotlb_force_bounce(dev))
		return false;
#ifdef HAVE_IO_TLB_MEM_DEFPOOL
	*pool_end = mem->defpool.end;
#else
	*pool_end = mem->end;
#endif
	return true;
#else
	return false;
#endif
}

/*
 * Is the page (a block's head) charged to a memory cgroup?  Such a page
 * must go back to the page allocator, the only way to release the charge.
 */
static inline bool dmaheap_page_charged(struct page *page)
{
#ifdef CONFIG_MEMCG
	return READ_ONCE(page->memcg_data) != 0;
#else
	return false;
#endif
}

/*
 * Tell reclaim that a shrinker freed @pages pages that are not slab: without
 * it reclaim sees no progress and may wake the OOM killer although the
 * shrinker gave back plenty.
 */
static inline void dmaheap_account_reclaimed(unsigned long pages)
{
#ifdef HAVE_MM_ACCOUNT_RECLAIMED_PAGES
	mm_account_reclaimed_pages(pages);
#else
	if (current->reclaim_state)
		current->reclaim_state->reclaimed_slab += pages;
#endif
}

/**
 * struct dmaheap_shrinker - a shrinker, however the kernel wants it made
 * @count:	How many objects could be freed now.
 * @scan:	Free up to @nr of them; return how many were freed.
 * @priv:	Passed to @count and @scan.
 * @shrinker:	The kernel's shrinker: allocated by the kernel from 6.7 on
 *		(shrinker_alloc()), embedded here before.
 */
struct dmaheap_shrinker {
	unsigned long (*count)(void *priv);
	unsigned long (*scan)(void *priv, unsigned long nr);
	void *priv;
#ifdef HAVE_SHRINKER_ALLOC
	struct shrinker *shrinker;
#else
	struct shrinker shrinker;
#endif
};

static inline struct dmaheap_shrinker *
dmaheap_shrinker_of(struct shrinker *s)
{
#ifdef HAVE_SHRINKER_ALLOC
	return s->private_data;
#else
	return container_of(s, struct dmaheap_shrinker, shrinker);
#endif
}

static inline unsigned long dmaheap_shrinker_count(struct shrinker *s,
						   struct shrink_control *sc)
{
	struct dmaheap_shrinker *ds = dmaheap_shrinker_of(s);
	unsigned long n = ds->count(ds->priv);

	return n ?: SHRINK_EMPTY;
}

static inline unsigned long dmaheap_shrinker_scan(struct shrinker *s,
						  struct shrink_control *sc)
{
	struct dmaheap_shrinker *ds = dmaheap_shrinker_of(s);
	unsigned long freed = ds->scan(ds->priv, sc->nr_to_scan);

	return freed ?: SHRINK_STOP;
}

/* Register @ds (its callbacks and private data set) under @name. */
static inline int dmaheap_shrinker_register(struct dmaheap_shrinker *ds,
					    const char *name)
{
#ifdef HAVE_SHRINKER_ALLOC
	ds->shrinker = shrinker_alloc(0, "%s", name);
	if (!ds->shrinker)
		return -ENOMEM;
	ds->shrinker->count_objects = dmaheap_shrinker_count;
	ds->shrinker->scan_objects = dmaheap_shrinker_scan;
	ds->shrinker->private_data = ds;
	shrinker_register(ds->shrinker);
	return 0;
#else
	ds->shrinker.count_objects = dmaheap_shrinker_count;
	ds->shrinker.scan_objects = dmaheap_shrinker_scan;
	ds->shrinker.seeks = DEFAULT_SEEKS;
	return register_shrinker(&ds->shrinker, "%s", name);
#endif
}

static inline void dmaheap_shrinker_unregister(struct dmaheap_shrinker *ds)
{
#ifdef HAVE_SHRINKER_ALLOC
	shrinker_free(ds->shrinker);
#else
	unregister_shrinker(&ds->shrinker);
#endif
}

#endif /* _DMAHEAP_COMPAT_H */
