// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap system heaps: pools of zeroed pages.
 *
 * A released buffer's pages do not go straight back to the page allocator.
 * They wait on their pool's dirty lists for its worker (queued by a timer
 * at the next tick, not by the release), which zeroes them and puts them on
 * per-order free lists; the next allocation takes them from there without
 * zeroing (or, when the worker is behind, takes a dirty block and zeroes it
 * itself, which is no more work than a new page) and,
 * for a write-combined heap, without changing page attributes (pooled pages
 * keep them: no memtype reservation, no TLB flush, no cache flush).  The
 * worker zeroes a write-combined page through its linear mapping.  On x86
 * set_pages_array_wc() made that mapping write-combined, so the zeroes need
 * no flush.  On arm64 the linear mapping stays cacheable: the zeroes may sit
 * in the CPU caches, so the variant's zeroed op cleans and invalidates the
 * block before it goes on a free list, and a block that op fails on goes
 * back to the page allocator.
 *
 * Pages go back to the page allocator instead when they do not fit under
 * the pool's ceiling (pool_bytes_max, per heap), unzeroed; when they are
 * still charged to a memory cgroup (a module cannot move a charge: freeing
 * the page is what releases it); and when the shrinker asks, under memory
 * pressure.  Zeroing happens outside the pool's lock, so an allocation
 * never waits for it; a page on a free list is always zero.
 *
 * The worker is a thread of the lowest priority (dmaheap_pool_register())
 * so that it zeroes in idle time, not inside the close() that woke it.
 * Blocks that would not fit under the ceiling go back when they are
 * released, rather than wait for a worker that may be slow to come.
 *
 * So that the pool fills whichever cgroup allocates, a ceiling's worth of
 * pages circulates uncharged (system_pool_room()): the core holds their
 * cgroup to its memory.max by its own count instead (core/memcg.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/vmstat.h>
#include <linux/spinlock.h>

#include <dmaheap/compat.h>
#include <dmaheap/heap.h>
#include <dmaheap/parse.h>

#include "system_pool.h"

const unsigned int system_orders[SYSTEM_NR_ORDERS] = { 8, 4, 0 };

/* Pages whose attributes change in one call when they leave a pool. */
#define SYSTEM_RESTORE_BATCH	32

static u64 pool_bytes_max;
static bool pool_bytes_max_given;

static unsigned long system_pool_max_pages(void)
{
	return READ_ONCE(pool_bytes_max) >> PAGE_SHIFT;
}

/* Every pool, so that a new ceiling reaches them all. */
static DEFINE_MUTEX(system_pools_lock);	/* protects system_pools */
static LIST_HEAD(system_pools);

/*
 * Pages on a pool's free lists are reclaimable memory as far as the rest of
 * the kernel is concerned (MemAvailable counts them, as it counts
 * reclaimable slab), since the shrinker gives them back on demand.
 */
static void system_pool_reclaimable(struct page *page, unsigned int order,
				    bool add)
{
	long nr = 1L << order;

	mod_node_page_state(page_pgdat(page), NR_KERNEL_MISC_RECLAIMABLE,
			    add ? nr : -nr);
}

static unsigned int system_order_index(unsigned int order)
{
	unsigned int i;

	for (i = 0; i < SYSTEM_NR_ORDERS - 1; i++)
		if (system_orders[i] == order)
			break;
	return i;
}

/* Base pages on the free lists; locked. */
static unsigned long system_pool_free_pages(struct system_pool *p)
{
	unsigned long n = 0;
	unsigned int i;

	lockdep_assert_held(&p->lock);
	for (i = 0; i < SYSTEM_NR_ORDERS; i++)
		n += p->nr_free[i] << system_orders[i];
	return n;
}

/*
 * Give the attributes of a 2^@order block back; false (and a message) if
 * that failed, in which case the block must be leaked.
 */
static bool system_restore_block(const struct system_attr_ops *attr,
				 struct page *page, unsigned int order)
{
	struct page *batch[SYSTEM_RESTORE_BATCH];
	unsigned long i, n = 1UL << order;
	unsigned int k = 0;
	int ret = 0;

	for (i = 0; i < n && !ret; i++) {
		batch[k++] = nth_page(page, i);
		if (k == SYSTEM_RESTORE_BATCH || i == n - 1) {
			ret = attr->restore(batch, k);
			k = 0;
		}
	}
	if (ret)
		pr_err("cannot restore write-back caching of %lu pages at pfn %#lx (%d); leaking them\n",
		       n, page_to_pfn(page), ret);
	return !ret;
}

/**
 * system_pages_release() - give pages back to the page allocator
 * @attr: the heap variant's attribute changes, or NULL
 * @pages: list of blocks (linked through lru, order in page_private());
 *	emptied
 *
 * Write-combined blocks get write-back attributes first; a block whose
 * attributes cannot be restored is leaked rather than reused.
 */
void system_pages_release(const struct system_attr_ops *attr,
			  struct list_head *pages)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, pages, lru) {
		unsigned int order = page_private(page);

		list_del(&page->lru);
		set_page_private(page, 0);
		if (attr && attr->restore &&
		    !system_restore_block(attr, page, order))
			continue;
		__free_pages(page, order);
		cond_resched();
	}
}

/* Zero a 2^@order block through whatever mapping the page has. */
static void system_zero_block(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < 1UL << order; i++) {
		clear_highpage(nth_page(page, i));
		if (!(i % 64))
			cond_resched();
	}
}

/*
 * Zero a released 2^@order block for reuse, and leave none of its lines in
 * the CPU caches where the linear mapping is cacheable.  False if the block
 * is not fit for the pool (it must go back to the page allocator).
 */
static bool system_pool_zero(struct system_pool *p, struct page *page,
			     unsigned int order)
{
	system_zero_block(page, order);
	return !p->attr || !p->attr->zeroed || !p->attr->zeroed(page, order);
}

/* Give one block back to the page allocator. */
static void system_pool_release_one(struct system_pool *p, struct page *page,
				    unsigned int order)
{
	LIST_HEAD(one);

	set_page_private(page, order);
	list_add(&page->lru, &one);
	system_pages_release(p->attr, &one);
}

/* Take one dirty block of order index @idx, or NULL; locked. */
static struct page *system_pool_take_dirty(struct system_pool *p,
					   unsigned int idx)
{
	struct page *page;

	lockdep_assert_held(&p->lock);
	if (list_empty(&p->dirty[idx]))
		return NULL;
	page = list_first_entry(&p->dirty[idx], struct page, lru);
	list_del(&page->lru);
	return page;
}

/* The worker: zero released blocks into the free lists, or give them back. */
static void system_pool_work(struct kthread_work *work)
{
	struct system_pool *p = container_of(work, struct system_pool, work);
	unsigned long max = system_pool_max_pages();
	unsigned int idx;

	for (idx = 0; idx < SYSTEM_NR_ORDERS; idx++) {
		unsigned int order = system_orders[idx];

		for (;;) {
			struct page *page;
			bool keep;

			spin_lock(&p->lock);
			page = system_pool_take_dirty(p, idx);
			keep = system_pool_free_pages(p) + (1UL << order) <= max;
			spin_unlock(&p->lock);
			if (!page)
				break;

			/* Past the ceiling, or unfit: to the page allocator. */
			keep = keep && system_pool_zero(p, page, order);
			if (keep)
				system_pool_reclaimable(page, order, true);
			else
				system_pool_release_one(p, page, order);
			/* Counted as pooled until on a free list or freed. */
			spin_lock(&p->lock);
			if (keep) {
				list_add(&page->lru, &p->free[idx]);
				p->nr_free[idx]++;
			}
			p->nr_dirty -= 1UL << order;
			spin_unlock(&p->lock);
		}
	}
}

/**
 * system_pool_get() - a zeroed block from the pool
 * @p: the pool
 * @idx: index of the order in system_orders
 *
 * Return: the block, with the pool's attributes, or NULL if none is ready
 * (or the one found could not be made ready).
 */
struct page *system_pool_get(struct system_pool *p, unsigned int idx)
{
	unsigned int order = system_orders[idx];
	struct page *page = NULL;
	bool dirty = false;

	spin_lock(&p->lock);
	if (!list_empty(&p->free[idx])) {
		page = list_first_entry(&p->free[idx], struct page, lru);
		list_del(&page->lru);
		p->nr_free[idx]--;
	} else {
		/* The worker is behind: zero one here rather than anew. */
		page = system_pool_take_dirty(p, idx);
		dirty = page;
	}
	spin_unlock(&p->lock);
	if (!page)
		return NULL;
	if (dirty) {
		bool ready = system_pool_zero(p, page, order);

		if (!ready)
			system_pool_release_one(p, page, order);
		spin_lock(&p->lock);
		p->nr_dirty -= 1UL << order;
		spin_unlock(&p->lock);
		if (!ready)
			return NULL;
	} else {
		system_pool_reclaimable(page, order, false);
	}
	atomic_long_add(1L << order, &p->nr_lent);
	set_page_private(page, 0);
	return page;
}

/**
 * system_pool_put() - a block of a released buffer
 * @p: the pool of the buffer's heap
 * @page: the block, with the pool's attributes
 * @order: its order
 *
 * The worker zeroes and keeps it, from the next tick on
 * (dmaheap_pool_queue(); an allocation that finds no zeroed block zeroes
 * it first).  A block still charged to a memory
 * cgroup, one that does not fit under the ceiling beside what the pool
 * holds already (zeroed or not), or any block while pools are off, goes
 * back to the page allocator at once.
 */
void system_pool_put(struct system_pool *p, struct page *page,
		     unsigned int order)
{
	bool room;

	if (dmaheap_page_charged(page)) {
		system_pool_release_one(p, page, order);
		return;
	}
	atomic_long_sub(1L << order, &p->nr_lent);
	if (!system_pool_max_pages()) {
		system_pool_release_one(p, page, order);
		return;
	}
	spin_lock(&p->lock);
	room = system_pool_free_pages(p) + p->nr_dirty + (1UL << order) <=
	       system_pool_max_pages();
	if (room) {
		set_page_private(page, order);
		list_add_tail(&page->lru, &p->dirty[system_order_index(order)]);
		p->nr_dirty += 1UL << order;
	}
	spin_unlock(&p->lock);
	if (!room)
		system_pool_release_one(p, page, order);
	else
		dmaheap_pool_queue(&p->pool);
}

/**
 * system_pool_room() - may a new block join the pool's circulation?
 * @p: the pool
 * @order: the block's order
 *
 * A block allocated without a memory cgroup charge can come back to the
 * pool when its buffer is freed; a charged one cannot (only freeing the
 * page releases the charge).  The heap takes a fresh block uncharged while
 * the pool, the uncharged blocks out in live buffers and this block fit
 * under the ceiling, so that the pool can fill whoever allocates; beyond
 * that it charges the block to the allocating task's cgroup.
 *
 * Return: true if the block fits.
 */
bool system_pool_room(struct system_pool *p, unsigned int order)
{
	unsigned long in_pool;

	spin_lock(&p->lock);
	in_pool = system_pool_free_pages(p) + p->nr_dirty;
	spin_unlock(&p->lock);
	return in_pool + atomic_long_read(&p->nr_lent) + (1UL << order) <=
	       system_pool_max_pages();
}

/**
 * system_pool_lend() - count a fresh block that may come back to the pool
 * @p: the pool
 * @page: the block, just allocated
 * @order: its order
 *
 * Blocks without a memory cgroup charge (taken so by system_pool_room(),
 * or allocated by a task of the root cgroup) are counted until they come
 * back through system_pool_put() or system_pool_unlend().
 */
void system_pool_lend(struct system_pool *p, struct page *page,
		      unsigned int order)
{
	if (!dmaheap_page_charged(page))
		atomic_long_add(1L << order, &p->nr_lent);
}

/**
 * system_pool_unlend() - stop counting a block that will not come back
 * @p: the pool
 * @page: a block counted by system_pool_lend() or system_pool_get(), or
 *	a charged one (not counted)
 * @order: its order
 *
 * For blocks given back to the page allocator without system_pool_put().
 */
void system_pool_unlend(struct system_pool *p, struct page *page,
			unsigned int order)
{
	if (!dmaheap_page_charged(page))
		atomic_long_sub(1L << order, &p->nr_lent);
}

/**
 * system_pool_pages() - base pages a pool holds
 * @p: the pool
 *
 * Return: zeroed pages and pages waiting to be zeroed, in base pages.
 */
unsigned long system_pool_pages(struct system_pool *p)
{
	unsigned long n;

	spin_lock(&p->lock);
	n = system_pool_free_pages(p) + p->nr_dirty;
	spin_unlock(&p->lock);
	return n;
}

/* Zeroed pages, and released ones not yet zeroed: the shrinker frees both. */
static unsigned long system_pool_count(void *priv)
{
	return system_pool_pages(priv);
}

/* Move blocks worth up to @nr base pages off the free lists, largest first. */
static unsigned long system_pool_take_free(struct system_pool *p,
					   unsigned long nr,
					   struct list_head *out)
{
	unsigned long taken = 0;
	unsigned int i;

	spin_lock(&p->lock);
	for (i = 0; i < SYSTEM_NR_ORDERS && taken < nr; i++) {
		while (taken < nr && !list_empty(&p->free[i])) {
			struct page *page = list_first_entry(&p->free[i],
							     struct page, lru);

			list_move(&page->lru, out);
			set_page_private(page, system_orders[i]);
			p->nr_free[i]--;
			system_pool_reclaimable(page, system_orders[i], false);
			taken += 1UL << system_orders[i];
		}
	}
	spin_unlock(&p->lock);
	return taken;
}

/*
 * Move released blocks worth up to @nr base pages off the dirty lists,
 * largest first: they go back to the page allocator unzeroed.
 */
static unsigned long system_pool_take_released(struct system_pool *p,
						unsigned long nr,
						struct list_head *out)
{
	unsigned long taken = 0;
	unsigned int i;

	spin_lock(&p->lock);
	for (i = 0; i < SYSTEM_NR_ORDERS && taken < nr; i++) {
		while (taken < nr && !list_empty(&p->dirty[i])) {
			/* page_private() holds the order already. */
			list_move(p->dirty[i].next, out);
			taken += 1UL << system_orders[i];
		}
	}
	p->nr_dirty -= taken;
	spin_unlock(&p->lock);
	return taken;
}

static unsigned long system_pool_scan(void *priv, unsigned long nr)
{
	struct system_pool *p = priv;
	unsigned long taken;
	LIST_HEAD(out);

	taken = system_pool_take_free(p, nr, &out);
	if (taken < nr)
		taken += system_pool_take_released(p, nr - taken, &out);
	system_pages_release(p->attr, &out);
	dmaheap_account_reclaimed(taken);
	return taken;
}

/* dmaheap_pool::drain: every pooled page, once the worker is done. */
static unsigned long system_pool_drain(void *priv)
{
	struct system_pool *p = priv;
	unsigned long taken;
	LIST_HEAD(out);

	kthread_flush_work(&p->work);
	taken = system_pool_take_free(p, ULONG_MAX, &out);
	taken += system_pool_take_released(p, ULONG_MAX, &out);
	system_pages_release(p->attr, &out);
	return taken;
}

/*
 * Bring every pool under the ceiling, once every released page is zeroed
 * (those whose tick has not come yet included).
 */
static void system_pools_trim(void)
{
	struct system_pool *p;

	mutex_lock(&system_pools_lock);
	list_for_each_entry(p, &system_pools, node) {
		unsigned long have, max = system_pool_max_pages();
		LIST_HEAD(out);

		dmaheap_pool_flush(&p->pool);
		spin_lock(&p->lock);
		have = system_pool_free_pages(p);
		spin_unlock(&p->lock);
		if (have > max) {
			system_pool_take_free(p, have - max, &out);
			system_pages_release(p->attr, &out);
		}
	}
	mutex_unlock(&system_pools_lock);
}

static int pool_bytes_max_set(const char *val, const struct kernel_param *kp)
{
	u64 bytes;

	if (dmaheap_parse_size(val, &bytes))
		return -EINVAL;
	WRITE_ONCE(pool_bytes_max, bytes);
	pool_bytes_max_given = true;
	system_pools_trim();
	return 0;
}

static int pool_bytes_max_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(pool_bytes_max));
}

static const struct kernel_param_ops pool_bytes_max_ops = {
	.set = pool_bytes_max_set,
	.get = pool_bytes_max_get,
};
module_param_cb(pool_bytes_max, &pool_bytes_max_ops, NULL, 0644);
MODULE_PARM_DESC(pool_bytes_max,
		 "Most bytes of zeroed pages each heap keeps for reuse (K/M/G suffixes; default 1/16 of RAM; 0: no pools)");

/**
 * system_pool_init() - set up a heap's pool and its shrinker
 * @p: the pool
 * @name: the heap's name
 * @attr: the heap's attribute changes, or NULL
 *
 * Return: 0 or -errno.
 */
int system_pool_init(struct system_pool *p, const char *name,
		     const struct system_attr_ops *attr)
{
	unsigned int i;
	int ret;

	if (!pool_bytes_max_given)
		pool_bytes_max = (u64)totalram_pages() * PAGE_SIZE / 16;
	p->attr = attr;
	spin_lock_init(&p->lock);
	atomic_long_set(&p->nr_lent, 0);
	for (i = 0; i < SYSTEM_NR_ORDERS; i++) {
		INIT_LIST_HEAD(&p->free[i]);
		INIT_LIST_HEAD(&p->dirty[i]);
	}
	kthread_init_work(&p->work, system_pool_work);
	p->pool.count = system_pool_count;
	p->pool.scan = system_pool_scan;
	p->pool.drain = system_pool_drain;
	p->pool.priv = p;
	p->pool.work = &p->work;
	ret = dmaheap_pool_register(&p->pool, name);
	if (ret)
		return ret;
	mutex_lock(&system_pools_lock);
	list_add(&p->node, &system_pools);
	mutex_unlock(&system_pools_lock);
	return 0;
}

/**
 * system_pool_destroy() - give every pooled page back
 * @p: the pool; no buffer of its heap is alive any more
 */
void system_pool_destroy(struct system_pool *p)
{
	mutex_lock(&system_pools_lock);
	list_del(&p->node);
	mutex_unlock(&system_pools_lock);
	dmaheap_pool_unregister(&p->pool);
	WARN_ON(p->nr_dirty);
	WARN_ON(atomic_long_read(&p->nr_lent));
}
