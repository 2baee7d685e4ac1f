/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaheap: a bitmap allocator over one range of page frames.
 *
 * Used by the heaps whose buffers are physically contiguous: the carveout
 * heap manages its reserved range with it, and the contiguous heap its
 * optional pool.  One bit per page; a request of n pages is aligned to
 * 2^min(order(n), align_max) page frames (physical alignment, whatever the
 * range's own base), first fit.
 */
#ifndef _DMAHEAP_RANGE_H
#define _DMAHEAP_RANGE_H

#include <linux/mutex.h>
#include <linux/types.h>

/**
 * struct dmaheap_range - a managed range of page frames
 * @base_pfn:	First page frame of the range.
 * @npages:	Number of page frames.
 * @align_max:	Largest alignment order applied to a request.
 * @lock:	Protects @bitmap, @clean and @free.
 * @bitmap:	One bit per page frame, set while allocated.
 * @clean:	One bit per page frame, set while it is free and known to be
 *		zero (dmaheap_range_scrub()).
 * @free:	Number of clear bits in @bitmap.
 */
struct dmaheap_range {
	unsigned long base_pfn;
	unsigned long npages;
	unsigned int align_max;

	struct mutex lock;
	unsigned long *bitmap;
	unsigned long *clean;
	unsigned long free;
};

/**
 * struct dmaheap_range_usage - a snapshot of a range's occupancy, in pages
 * @free:	Free page frames.
 * @largest_free: Longest run of free page frames.
 * @largest_alloc: Largest request dmaheap_range_alloc() would satisfy now,
 *		alignment included.
 * @zeroed:	Free page frames known to be zero (dmaheap_range_scrub()).
 */
struct dmaheap_range_usage {
	unsigned long free;
	unsigned long zeroed;
	unsigned long largest_free;
	unsigned long largest_alloc;
};

int dmaheap_range_init(struct dmaheap_range *r, unsigned long base_pfn,
		       unsigned long npages, unsigned int align_max);
void dmaheap_range_destroy(struct dmaheap_range *r);
unsigned int dmaheap_range_align_order(unsigned long npages,
				       unsigned int align_max);
long dmaheap_range_alloc(struct dmaheap_range *r, unsigned long npages,
			 bool *zeroed);
void dmaheap_range_free(struct dmaheap_range *r, unsigned long pfn,
			unsigned long npages);
unsigned long dmaheap_range_scrub(struct dmaheap_range *r,
				  int (*zero)(void *arg, unsigned long pfn,
					      unsigned long npages),
				  void *arg, unsigned long max);
void dmaheap_range_usage(struct dmaheap_range *r,
			 struct dmaheap_range_usage *u);
unsigned long dmaheap_run_largest_alloc(unsigned long start_pfn,
					unsigned long end_pfn,
					unsigned int align_max);

#endif /* _DMAHEAP_RANGE_H */
