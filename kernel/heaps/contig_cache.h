/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaheap contiguous heap: a cache of released ranges, zeroed in the
 * background for the next request of the same size (contig_cache.c).
 */
#ifndef _DMAHEAP_CONTIG_CACHE_H
#define _DMAHEAP_CONTIG_CACHE_H

#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <dmaheap/compat.h>
#include <dmaheap/heap.h>

/**
 * struct contig_cache - released ranges kept for reuse
 * @release:	Gives a range back to where it came from (its cookie says).
 * @lock:	Protects @clean, @dirty, @nr_clean, @nr_dirty and @zeroing.
 * @clean:	Zeroed ranges, ready (struct contig_cache_range).
 * @dirty:	Released ranges waiting to be zeroed.
 * @nr_clean:	Pages in @clean.
 * @nr_dirty:	Pages in @dirty and on their way off it.
 * @zeroing:	Size in pages of the range the worker is zeroing, or 0.
 * @work:	The work of @pool's thread: zeroes @dirty into @clean, or
 *		gives back what does not fit under the ceiling.
 * @pool:	The cache's thread, its shrinker (gives @clean back under
 *		memory pressure) and its drain (gives it all back when
 *		migration finds no room): dmaheap_pool_register().
 */
struct contig_cache {
	void (*release)(unsigned long pfn, unsigned long npages,
			unsigned long cookie);
	spinlock_t lock;
	struct list_head clean;
	struct list_head dirty;
	unsigned long nr_clean;
	unsigned long nr_dirty;
	unsigned long zeroing;
	struct kthread_work work;
	struct dmaheap_pool pool;
};

int contig_cache_init(struct contig_cache *cc, const char *name,
		      void (*release)(unsigned long pfn, unsigned long npages,
				      unsigned long cookie));
void contig_cache_destroy(struct contig_cache *cc);
long contig_cache_take(struct contig_cache *cc, unsigned long npages,
		       unsigned long *cookie, bool *zeroed);
bool contig_cache_put(struct contig_cache *cc, unsigned long pfn,
		      unsigned long npages, unsigned long cookie);
unsigned long contig_cache_pages(struct contig_cache *cc);

#endif /* _DMAHEAP_CONTIG_CACHE_H */
