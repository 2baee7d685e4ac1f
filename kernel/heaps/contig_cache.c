// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap contiguous heap: a cache of released ranges.
 *
 * Assembling a large contiguous range costs a scan, isolation and
 * migration, and then zeroing it.  A released buffer's range is therefore
 * not given back at once: it waits on the cache's dirty list for a worker
 * that zeroes it and keeps it on the clean list, and the next request of
 * the same size takes it from there, zeroed, without migrating anything.
 * A request that finds only a dirty range of its size takes that and
 * zeroes it itself, which is still cheaper than migrating a new one.
 * Ranges are matched by size alone: a range was aligned for its size when
 * it was first taken, so it suits any request of that size.
 *
 * The cache (the heap's pool: pool_bytes in sysfs) holds at most
 * pool_bytes_max bytes (default 1/16 of RAM; 0 turns it off); the rest goes
 * back at once, unzeroed.  Cached ranges count
 * as reclaimable memory (MemAvailable), and a shrinker gives them back
 * under memory pressure.  The worker is a thread of the lowest priority
 * (dmaheap_pool_register()), queued at the tick after a release
 * (dmaheap_pool_queue()): it zeroes in idle time, not inside the close()
 * that released the range.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmstat.h>

#include <dmaheap/compat.h>
#include <dmaheap/heap.h>
#include <dmaheap/parse.h>

#include "contig_cache.h"

/* Bytes zeroed between chances to reschedule. */
#define CONTIG_CACHE_ZERO_CHUNK	SZ_1M

/**
 * struct contig_cache_range - one cached range
 * @node:	Entry in contig_cache::clean or ::dirty.
 * @pfn:	First page frame.
 * @npages:	Number of page frames.
 * @cookie:	Where it came from, for contig_cache::release.
 */
struct contig_cache_range {
	struct list_head node;
	unsigned long pfn;
	unsigned long npages;
	unsigned long cookie;
};

static u64 cache_bytes_max;
static bool cache_bytes_max_given;

static unsigned long contig_cache_max_pages(void)
{
	return READ_ONCE(cache_bytes_max) >> PAGE_SHIFT;
}

/* Cached ranges are reclaimable memory for the rest of the kernel. */
static void contig_cache_reclaimable(struct contig_cache_range *r, bool add)
{
	long nr = r->npages;

	mod_node_page_state(page_pgdat(pfn_to_page(r->pfn)),
			    NR_KERNEL_MISC_RECLAIMABLE, add ? nr : -nr);
}

static void contig_cache_zero(struct contig_cache_range *r)
{
	u8 *p = page_address(pfn_to_page(r->pfn));
	size_t len = (size_t)r->npages << PAGE_SHIFT, done, chunk;

	for (done = 0; done < len; done += chunk) {
		chunk = min_t(size_t, len - done, CONTIG_CACHE_ZERO_CHUNK);
		memset(p + done, 0, chunk);
		cond_resched();
	}
}

/* Give a range back to where it came from and forget it. */
static void contig_cache_drop(struct contig_cache *cc,
			      struct contig_cache_range *r)
{
	cc->release(r->pfn, r->npages, r->cookie);
	kfree(r);
}

/* Take the first range of @npages from @list, or NULL; locked. */
static struct contig_cache_range *
contig_cache_find(struct list_head *list, unsigned long npages)
{
	struct contig_cache_range *r;

	list_for_each_entry(r, list, node) {
		if (r->npages == npages) {
			list_del(&r->node);
			return r;
		}
	}
	return NULL;
}

static void contig_cache_work(struct kthread_work *work)
{
	struct contig_cache *cc = container_of(work, struct contig_cache, work);
	unsigned long max = contig_cache_max_pages();

	for (;;) {
		struct contig_cache_range *r = NULL;
		bool room;

		spin_lock(&cc->lock);
		if (!list_empty(&cc->dirty)) {
			r = list_first_entry(&cc->dirty,
					     struct contig_cache_range, node);
			list_del(&r->node);
		}
		room = r && cc->nr_clean + r->npages <= max;
		cc->zeroing = room ? r->npages : 0;
		spin_unlock(&cc->lock);
		if (!r)
			break;

		if (room) {
			contig_cache_zero(r);
			contig_cache_reclaimable(r, true);
		}
		/* Counted as cached until on the clean list or given back. */
		spin_lock(&cc->lock);
		if (room) {
			list_add_tail(&r->node, &cc->clean);
			cc->nr_clean += r->npages;
		}
		cc->nr_dirty -= r->npages;
		cc->zeroing = 0;
		spin_unlock(&cc->lock);
		if (!room)
			contig_cache_drop(cc, r);
	}
}

/**
 * contig_cache_take() - a cached range of exactly @npages
 * @cc: the cache
 * @npages: the request's size in pages
 * @cookie: out: where the range came from
 * @zeroed: out: whether it is zero already
 *
 * Return: the first page frame, or -ENOMEM when nothing of that size is
 * cached.
 */
long contig_cache_take(struct contig_cache *cc, unsigned long npages,
		       unsigned long *cookie, bool *zeroed)
{
	struct contig_cache_range *r;
	bool clean = true, wait;
	long pfn;

	spin_lock(&cc->lock);
	/* A range of this size is being zeroed: it is worth the wait. */
	wait = cc->zeroing == npages;
	spin_unlock(&cc->lock);
	if (wait)
		kthread_flush_work(&cc->work);

	spin_lock(&cc->lock);
	r = contig_cache_find(&cc->clean, npages);
	if (r) {
		cc->nr_clean -= npages;
	} else {
		r = contig_cache_find(&cc->dirty, npages);
		clean = false;
		if (r)
			cc->nr_dirty -= npages;
	}
	spin_unlock(&cc->lock);
	if (!r)
		return -ENOMEM;
	if (clean)
		contig_cache_reclaimable(r, false);
	*cookie = r->cookie;
	*zeroed = clean;
	pfn = r->pfn;
	kfree(r);
	return pfn;
}

/**
 * contig_cache_put() - keep a released range for reuse
 * @cc: the cache
 * @pfn: first page frame
 * @npages: number of page frames
 * @cookie: where it came from
 *
 * Return: true if the cache took it; false if the caller must give it back
 * (it does not fit under the ceiling beside what the cache holds, zeroed
 * or not, or no memory for the bookkeeping).
 */
bool contig_cache_put(struct contig_cache *cc, unsigned long pfn,
		      unsigned long npages, unsigned long cookie)
{
	struct contig_cache_range *r;
	bool room;

	if (npages > contig_cache_max_pages())
		return false;
	r = kmalloc(sizeof(*r), GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	if (!r)
		return false;
	r->pfn = pfn;
	r->npages = npages;
	r->cookie = cookie;
	spin_lock(&cc->lock);
	room = cc->nr_clean + cc->nr_dirty + npages <= contig_cache_max_pages();
	if (room) {
		list_add_tail(&r->node, &cc->dirty);
		cc->nr_dirty += npages;
	}
	spin_unlock(&cc->lock);
	if (!room) {
		kfree(r);
		return false;
	}
	dmaheap_pool_queue(&cc->pool);
	return true;
}

/**
 * contig_cache_pages() - pages the cache holds, zeroed or not
 * @cc: the cache
 *
 * Return: the number of page frames.
 */
unsigned long contig_cache_pages(struct contig_cache *cc)
{
	unsigned long n;

	spin_lock(&cc->lock);
	n = cc->nr_clean + cc->nr_dirty;
	spin_unlock(&cc->lock);
	return n;
}

/* Give clean ranges back until @nr pages went (or none are left). */
static unsigned long contig_cache_shrink(struct contig_cache *cc,
					 unsigned long nr)
{
	unsigned long freed = 0;

	while (freed < nr) {
		struct contig_cache_range *r = NULL;

		spin_lock(&cc->lock);
		if (!list_empty(&cc->clean)) {
			r = list_first_entry(&cc->clean,
					     struct contig_cache_range, node);
			list_del(&r->node);
			cc->nr_clean -= r->npages;
		}
		spin_unlock(&cc->lock);
		if (!r)
			break;
		contig_cache_reclaimable(r, false);
		freed += r->npages;
		contig_cache_drop(cc, r);
	}
	return freed;
}

static unsigned long contig_cache_count(void *priv)
{
	struct contig_cache *cc = priv;
	unsigned long n;

	spin_lock(&cc->lock);
	n = cc->nr_clean;
	spin_unlock(&cc->lock);
	return n;
}

static unsigned long contig_cache_scan(void *priv, unsigned long nr)
{
	unsigned long freed = contig_cache_shrink(priv, nr);

	dmaheap_account_reclaimed(freed);
	return freed;
}

/* dmaheap_pool::drain: every cached range, once the worker is done. */
static unsigned long contig_cache_drain(void *priv)
{
	struct contig_cache *cc = priv;

	dmaheap_pool_flush(&cc->pool);
	return contig_cache_shrink(cc, ULONG_MAX);
}

/* The one cache, for the parameter's setter. */
static struct contig_cache *contig_cache_instance;

static int cache_bytes_max_set(const char *val, const struct kernel_param *kp)
{
	struct contig_cache *cc = READ_ONCE(contig_cache_instance);
	u64 bytes;

	if (dmaheap_parse_size(val, &bytes))
		return -EINVAL;
	WRITE_ONCE(cache_bytes_max, bytes);
	cache_bytes_max_given = true;
	if (cc) {
		/* Let pending ranges settle, then trim to the new ceiling. */
		dmaheap_pool_flush(&cc->pool);
		if (cc->nr_clean > contig_cache_max_pages())
			contig_cache_shrink(cc, cc->nr_clean -
					    contig_cache_max_pages());
	}
	return 0;
}

static int cache_bytes_max_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(cache_bytes_max));
}

static const struct kernel_param_ops cache_bytes_max_ops = {
	.set = cache_bytes_max_set,
	.get = cache_bytes_max_get,
};
module_param_cb(pool_bytes_max, &cache_bytes_max_ops, NULL, 0644);
MODULE_PARM_DESC(pool_bytes_max,
		 "Most bytes of released ranges kept zeroed for reuse (K/M/G suffixes; default 1/16 of RAM; 0: none)");

/**
 * contig_cache_init() - set up the cache and its shrinker
 * @cc: the cache
 * @name: the heap's name
 * @release: gives a range back to where its cookie says it came from
 *
 * Return: 0 or -errno.
 */
int contig_cache_init(struct contig_cache *cc, const char *name,
		      void (*release)(unsigned long pfn, unsigned long npages,
				      unsigned long cookie))
{
	int ret;

	if (!cache_bytes_max_given)
		cache_bytes_max = (u64)totalram_pages() * PAGE_SIZE / 16;
	cc->release = release;
	spin_lock_init(&cc->lock);
	INIT_LIST_HEAD(&cc->clean);
	INIT_LIST_HEAD(&cc->dirty);
	kthread_init_work(&cc->work, contig_cache_work);
	cc->pool.count = contig_cache_count;
	cc->pool.scan = contig_cache_scan;
	cc->pool.drain = contig_cache_drain;
	cc->pool.priv = cc;
	cc->pool.work = &cc->work;
	ret = dmaheap_pool_register(&cc->pool, name);
	if (ret)
		return ret;
	WRITE_ONCE(contig_cache_instance, cc);
	return 0;
}

/**
 * contig_cache_destroy() - give every cached range back
 * @cc: the cache; no buffer of the heap is alive any more
 */
void contig_cache_destroy(struct contig_cache *cc)
{
	/* The parameter's setter runs under this lock. */
	kernel_param_lock(THIS_MODULE);
	WRITE_ONCE(contig_cache_instance, NULL);
	kernel_param_unlock(THIS_MODULE);
	dmaheap_pool_unregister(&cc->pool);
	WARN_ON(cc->nr_dirty || cc->nr_clean);
}
