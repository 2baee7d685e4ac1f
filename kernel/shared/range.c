// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap: a bitmap allocator over one range of page frames (see
 * dmaheap/range.h), part of the core module and shared by the contiguous
 * heaps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/err.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include <dmaheap/compat.h>
#include <dmaheap/range.h>

/**
 * dmaheap_range_init() - start managing a range of page frames
 * @r: the range
 * @base_pfn: first page frame
 * @npages: number of page frames, at least 1
 * @align_max: largest alignment order applied to requests
 *
 * Return: 0, -EINVAL for an empty range, one of more than UINT_MAX pages
 * or an alignment order too large, or -ENOMEM.
 */
int dmaheap_range_init(struct dmaheap_range *r, unsigned long base_pfn,
		       unsigned long npages, unsigned int align_max)
{
	/* bitmap_zalloc() takes an unsigned int count of bits. */
	if (!npages || npages > UINT_MAX || align_max >= BITS_PER_LONG - 1)
		return -EINVAL;
	r->bitmap = bitmap_zalloc(npages, GFP_KERNEL);
	if (!r->bitmap)
		return -ENOMEM;
	/* Nothing is known to be zero until scrubbed. */
	r->clean = bitmap_zalloc(npages, GFP_KERNEL);
	if (!r->clean) {
		bitmap_free(r->bitmap);
		r->bitmap = NULL;
		return -ENOMEM;
	}
	r->base_pfn = base_pfn;
	r->npages = npages;
	r->align_max = align_max;
	r->free = npages;
	mutex_init(&r->lock);
	return 0;
}
DMAHEAP_EXPORT(dmaheap_range_init);

/**
 * dmaheap_range_destroy() - stop managing a range
 * @r: the range; every allocation must have been freed
 */
void dmaheap_range_destroy(struct dmaheap_range *r)
{
	WARN_ON(r->free != r->npages);
	bitmap_free(r->clean);
	r->clean = NULL;
	bitmap_free(r->bitmap);
	r->bitmap = NULL;
	mutex_destroy(&r->lock);
}
DMAHEAP_EXPORT(dmaheap_range_destroy);

/**
 * dmaheap_range_align_order() - alignment order of a request
 * @npages: request size in pages, at least 1
 * @align_max: cap on the order
 *
 * Return: the order of @npages (rounded up to a power of two), at most
 * @align_max.
 */
unsigned int dmaheap_range_align_order(unsigned long npages,
				       unsigned int align_max)
{
	unsigned int order = npages > 1 ? order_base_2(npages) : 0;

	return min(order, align_max);
}
DMAHEAP_EXPORT(dmaheap_range_align_order);

/**
 * dmaheap_range_alloc() - take @npages page frames out of the range
 * @r: the range
 * @npages: number of page frames, at least 1
 * @zeroed: out, or NULL: whether every frame taken is known to be zero
 *	(dmaheap_range_scrub() zeroed it and nobody used it since)
 *
 * The frames are aligned as dmaheap_range_align_order() says, the first fit
 * from the start of the range.
 *
 * Return: the first page frame, or -ENOMEM when no free span fits.
 */
long dmaheap_range_alloc(struct dmaheap_range *r, unsigned long npages,
			 bool *zeroed)
{
	unsigned long mask, idx;

	if (!npages || npages > r->npages || npages > UINT_MAX)
		return -ENOMEM;
	mask = (1UL << dmaheap_range_align_order(npages, r->align_max)) - 1;

	mutex_lock(&r->lock);
	idx = bitmap_find_next_zero_area_off(r->bitmap, r->npages, 0, npages,
					     mask, r->base_pfn & mask);
	if (idx > r->npages - npages) {
		mutex_unlock(&r->lock);
		return -ENOMEM;
	}
	bitmap_set(r->bitmap, idx, npages);
	r->free -= npages;
	if (zeroed)
		*zeroed = find_next_zero_bit(r->clean, idx + npages, idx) >=
			  idx + npages;
	/* Whoever has them now may write them. */
	bitmap_clear(r->clean, idx, npages);
	mutex_unlock(&r->lock);
	return r->base_pfn + idx;
}
DMAHEAP_EXPORT(dmaheap_range_alloc);

/**
 * dmaheap_range_free() - give page frames back to the range
 * @r: the range
 * @pfn: first page frame, as returned by dmaheap_range_alloc()
 * @npages: the size passed to dmaheap_range_alloc()
 */
void dmaheap_range_free(struct dmaheap_range *r, unsigned long pfn,
			unsigned long npages)
{
	unsigned long idx = pfn - r->base_pfn;

	if (WARN_ON(pfn < r->base_pfn || idx >= r->npages ||
		    npages > r->npages - idx))
		return;
	mutex_lock(&r->lock);
	/* Freeing frames that are not allocated would corrupt @free. */
	if (!WARN_ON(find_next_zero_bit(r->bitmap, idx + npages, idx) <
		     idx + npages)) {
		bitmap_clear(r->bitmap, idx, npages);
		r->free += npages;
	}
	mutex_unlock(&r->lock);
}
DMAHEAP_EXPORT(dmaheap_range_free);

/**
 * dmaheap_range_scrub() - zero free frames not known to be zero, a run at
 *	a time
 * @r: the range
 * @zero: zeroes @npages frames from @pfn; returns 0 or -errno
 * @arg: passed to @zero
 * @max: most frames to zero in this call, at least 1
 *
 * Zeroes the first run of free frames not known to be zero (at most @max
 * of them) and marks them zero, so that the next allocation that gets
 * them need not.  The range stays locked meanwhile: no allocation can
 * take frames while they are zeroed, and one waits for at most @max
 * frames' zeroing.  May sleep.
 *
 * Return: the number of frames zeroed; 0 when every free frame is known
 * to be zero, or @zero failed.
 */
unsigned long dmaheap_range_scrub(struct dmaheap_range *r,
				  int (*zero)(void *arg, unsigned long pfn,
					      unsigned long npages),
				  void *arg, unsigned long max)
{
	unsigned long idx = 0, end, n = 0;

	mutex_lock(&r->lock);
	/* The first frame that is free (bit clear) and not clean. */
	for (;;) {
		idx = find_next_zero_bit(r->bitmap, r->npages, idx);
		if (idx >= r->npages || !test_bit(idx, r->clean))
			break;
		idx = find_next_zero_bit(r->clean, r->npages, idx);
	}
	if (idx >= r->npages)
		goto unlock;
	end = min3(find_next_bit(r->bitmap, r->npages, idx),
		   find_next_bit(r->clean, r->npages, idx), idx + max);
	if (!zero(arg, r->base_pfn + idx, end - idx)) {
		bitmap_set(r->clean, idx, end - idx);
		n = end - idx;
	}
unlock:
	mutex_unlock(&r->lock);
	return n;
}
DMAHEAP_EXPORT(dmaheap_range_scrub);

/**
 * dmaheap_run_largest_alloc() - largest request that fits a free run
 * @start_pfn: first free page frame of the run
 * @end_pfn: one past the last free page frame
 * @align_max: cap on the alignment order
 *
 * A request of n pages needs its first frame aligned to
 * 2^min(order(n), @align_max).  For each order k up to the cap, the best
 * request of that order starts at the run's first 2^k-aligned frame; for
 * k < @align_max it is also at most 2^k pages long.  The largest of these
 * is exact: any larger request needs at least as much alignment and so
 * cannot fit either.
 *
 * Return: the largest number of pages, or 0.
 */
unsigned long dmaheap_run_largest_alloc(unsigned long start_pfn,
					unsigned long end_pfn,
					unsigned int align_max)
{
	unsigned long best = 0;
	unsigned int k;

	for (k = 0; k <= align_max; k++) {
		unsigned long s = ALIGN(start_pfn, 1UL << k);
		unsigned long n;

		if (s < start_pfn || s >= end_pfn)
			break;
		n = end_pfn - s;
		if (k < align_max)
			n = min(n, 1UL << k);
		best = max(best, n);
	}
	return best;
}
DMAHEAP_EXPORT(dmaheap_run_largest_alloc);

/**
 * dmaheap_range_usage() - snapshot of a range's occupancy
 * @r: the range
 * @u: filled in, in pages
 */
void dmaheap_range_usage(struct dmaheap_range *r,
			 struct dmaheap_range_usage *u)
{
	unsigned long start = 0, end, run;

	memset(u, 0, sizeof(*u));
	mutex_lock(&r->lock);
	u->free = r->free;
	u->zeroed = bitmap_weight(r->clean, r->npages);
	for (;;) {
		start = find_next_zero_bit(r->bitmap, r->npages, start);
		if (start >= r->npages)
			break;
		end = find_next_bit(r->bitmap, r->npages, start);
		u->largest_free = max(u->largest_free, end - start);
		run = dmaheap_run_largest_alloc(r->base_pfn + start,
						r->base_pfn + end, r->align_max);
		u->largest_alloc = max(u->largest_alloc, run);
		start = end;
	}
	mutex_unlock(&r->lock);
}
DMAHEAP_EXPORT(dmaheap_range_usage);
