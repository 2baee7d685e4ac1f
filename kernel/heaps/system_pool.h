/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaheap system heaps: page pools (system_pool.c), shared by the heap
 * variants in system_heap.c.
 */
#ifndef _DMAHEAP_SYSTEM_POOL_H
#define _DMAHEAP_SYSTEM_POOL_H

#include <linux/atomic.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <dmaheap/compat.h>
#include <dmaheap/heap.h>

/* The orders a system heap allocates, largest first. */
#define SYSTEM_NR_ORDERS	3
extern const unsigned int system_orders[SYSTEM_NR_ORDERS];

/**
 * struct system_attr_ops - page attribute changes of a heap variant
 * @prepare:	Give @npages pages the variant's attributes (write-combined)
 *		after they are zeroed, and leave none of their lines in the
 *		CPU caches; whether it succeeds or fails, @restore runs
 *		before the pages go back to the page allocator.
 * @restore:	Give them their normal attributes back, or NULL where
 *		@prepare changes no attribute.  If that fails the pages must
 *		never be reused and are leaked.
 * @zeroed:	Or NULL: the pool zeroed a 2^@order block through the
 *		kernel's linear mapping, which is cacheable on this
 *		architecture; leave none of its lines in the CPU caches.  If
 *		that fails the block goes back to the page allocator instead
 *		of into the pool.
 */
struct system_attr_ops {
	int (*prepare)(struct page **pages, unsigned int npages);
	int (*restore)(struct page **pages, unsigned int npages);
	int (*zeroed)(struct page *page, unsigned int order);
};

/**
 * struct system_pool - zeroed pages a heap variant keeps for reuse
 * @attr:	The variant's attribute changes, or NULL (cached pages).
 *		Pooled pages keep the variant's attributes.
 * @lock:	Protects @free, @nr_free, @dirty and @nr_dirty.
 * @free:	Per order (index into system_orders): zeroed pages, ready.
 * @nr_free:	Per order: entries in @free.
 * @dirty:	Per order: blocks of released buffers, waiting to be zeroed
 *		(by the worker, or by an allocation that finds @free empty)
 *		or freed (by the shrinker, or a drain).
 * @nr_dirty:	Base pages on @dirty, and on their way off it.
 * @nr_lent:	Base pages of uncharged blocks in live buffers: blocks from
 *		the pool, and fresh ones taken without a memory cgroup
 *		charge.  They come back to the pool when their buffer is
 *		freed, so together with the pool they are what the pool
 *		can hold at most (system_pool_room()).
 * @work:	The work of @pool's thread: zeroes @dirty into @free, or
 *		frees what does not fit under the ceiling.
 * @pool:	The pool's thread, its shrinker (gives pooled pages back
 *		under memory pressure) and its drain (gives them all back
 *		when a contiguous heap needs the room):
 *		dmaheap_pool_register().
 * @node:	Entry in the list of every pool.
 */
struct system_pool {
	const struct system_attr_ops *attr;

	spinlock_t lock;
	struct list_head free[SYSTEM_NR_ORDERS];
	unsigned long nr_free[SYSTEM_NR_ORDERS];
	struct list_head dirty[SYSTEM_NR_ORDERS];
	unsigned long nr_dirty;
	atomic_long_t nr_lent;

	struct kthread_work work;
	struct dmaheap_pool pool;
	struct list_head node;
};

int system_pool_init(struct system_pool *p, const char *name,
		     const struct system_attr_ops *attr);
void system_pool_destroy(struct system_pool *p);
struct page *system_pool_get(struct system_pool *p, unsigned int idx);
void system_pool_put(struct system_pool *p, struct page *page,
		     unsigned int order);
bool system_pool_room(struct system_pool *p, unsigned int order);
void system_pool_lend(struct system_pool *p, struct page *page,
		      unsigned int order);
void system_pool_unlend(struct system_pool *p, struct page *page,
			unsigned int order);
unsigned long system_pool_pages(struct system_pool *p);
void system_pages_release(const struct system_attr_ops *attr,
			  struct list_head *pages);

#endif /* _DMAHEAP_SYSTEM_POOL_H */
