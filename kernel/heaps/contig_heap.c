// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap system-contiguous heap: physically contiguous buffers from system
 * memory, on kernels without CMA.
 *
 * Every buffer is one physically contiguous range of page frames, zeroed,
 * and aligned to its own order up to align_max.  A request is served by the
 * first of these that succeeds:
 *
 *  1. Up to one pageblock (2 MiB on x86-64): the page allocator, which hands
 *     out naturally aligned blocks and compacts a little if it has to.  As
 *     dma_alloc_coherent() does, the buffer gets the whole power-of-two
 *     block that holds it and gives it back in one piece: splitting off
 *     the tail would feed single pages to the per-CPU free lists on every
 *     allocation and free.
 *  2. The reserve, if reserve=SIZE (or its old name pool=) asked for one:
 *     a range taken once at load and carved up with a bitmap (struct dmaheap_range), so that SIZE bytes
 *     stay available however fragmented memory becomes.
 *  3. Migration, CMA's idea without a boot-time reservation: find a run of
 *     pageblocks that hold only free and movable pages (contig_scan.c), and
 *     let alloc_contig_range() move the used pages elsewhere and hand the
 *     range over.  The 6.1 kernel isolates whole pageblocks, so a candidate
 *     range is judged pageblock by pageblock.
 *
 * Released ranges (but the reserve's) go to the heap's pool of zeroed
 * ranges (contig_cache.c), which zeroes them in the background for the next
 * request of the same size, which then needs neither migration nor zeroing.
 *
 * The buffer lifecycle (zeroing, sg_table, export, release) is the shared
 * contiguous-buffer helper's (dmaheap/contig.h); this file only takes and
 * gives back page frames.
 *
 * largest_alloc in sysfs (root only: each read walks the memory map)
 * reports the largest request expected to succeed now: the larger of the
 * reserve's largest aligned free span and the longest run of movable
 * pageblocks (bounded by the memory the kernel considers available).  It is
 * a snapshot and leaves out the page allocator's own free blocks, so it
 * errs on the small side.  The heap's cap in limit_bytes applies on top of
 * it.  reserved_bytes, reserved_free_bytes and reserved_largest_free
 * describe the reserve (all 0 without one); pool_bytes is what the pool of
 * zeroed ranges holds.
 *
 * Names: the heap describes its memory (system RAM) and the property it
 * guarantees, as upstream's naming rules ask: "system-contiguous".  Clients
 * that look for the names of upstream's CMA heap ("linux,cma", "reserved")
 * find it through aliases=: each alias is another node of the same heap,
 * with the same statistics and cap.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/page_ref.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <dmaheap/compat.h>
#include <dmaheap/contig.h>
#include <dmaheap/heap.h>
#include <dmaheap/parse.h>
#include <dmaheap/range.h>

#include "contig_cache.h"
#include "contig_scan.h"

/* Migration attempts per request before giving up with -ENOMEM. */
#define CONTIG_MAX_ATTEMPTS	16

static char *name = "system-contiguous";
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "Heap name (default system-contiguous)");

static char *aliases;
module_param(aliases, charp, 0444);
MODULE_PARM_DESC(aliases,
		 "Further names for the same heap, separated by ':' (e.g. linux,cma:reserved)");

static char *reserve_size;
module_param_named(reserve, reserve_size, charp, 0444);
MODULE_PARM_DESC(reserve,
		 "Bytes to reserve at load and keep for this heap (K/M/G suffixes; default none)");
module_param_named(pool, reserve_size, charp, 0444);
MODULE_PARM_DESC(pool, "Old name of reserve=");

static unsigned int align_max = 8;
module_param(align_max, uint, 0444);
MODULE_PARM_DESC(align_max,
		 "Buffers are aligned to their own order, at most this order (default 8: 1 MiB with 4 KiB pages)");

/* Where a buffer's frames came from, and so how they go back. */
enum contig_source {
	CONTIG_BUDDY,
	CONTIG_RESERVE,
	CONTIG_MIGRATED,
};

/**
 * struct contig_heap - the heap's state
 * @contig:	What the shared contiguous-buffer helper needs; the heap's
 *		private data.
 * @reserve:	The range reserved at load, if @reserve_npages.
 * @reserve_npages: Size of the reserved range in pages, 0 without one.
 * @migrate_lock: Serialises migration, so that two requests never isolate
 *		the same pageblocks and fail each other.  Protects no data.
 * @cache:	Released ranges, zeroed in the background for reuse.
 * @heap:	The registered heap.
 */
struct contig_heap {
	struct dmaheap_contig contig;
	struct dmaheap_range reserve;
	unsigned long reserve_npages;
	struct mutex migrate_lock;
	struct contig_cache cache;
	struct dmaheap *heap;
};

static struct contig_heap contig;

/* Migration ---------------------------------------------------------------- */

/* Pages the kernel can hand out without swapping out others' memory. */
static unsigned long contig_available_pages(void)
{
	long avail = si_mem_available();

	return avail > 0 ? avail : 0;
}

/*
 * Largest request migration should satisfy now: the longest movable run,
 * bounded by available memory less a margin (1/16 of it) for what changes
 * between this estimate and the request.
 */
static unsigned long contig_migrate_largest(void)
{
	unsigned long avail = contig_available_pages();
	unsigned long largest = 0, start, end;
	struct contig_scan scan;

	contig_scan_start(&scan);
	while (contig_scan_next(&scan, &start, &end))
		largest = max(largest,
			      dmaheap_run_largest_alloc(start, end, align_max));
	return min(largest, avail - avail / 16);
}

/*
 * Try the aligned candidates of one run, from its top down.  Return 0 with
 * *@pfn set, -ENOMEM to go on with the next run, or -EINTR or -EAGAIN (the
 * attempts are used up) to stop.
 */
static int contig_try_run(unsigned long start, unsigned long end,
			  unsigned long npages, unsigned long align,
			  unsigned int *attempts, unsigned long *pfn)
{
	unsigned long step = max(align, pageblock_nr_pages);
	unsigned long s;
	int ret;

	if (end - start < npages)
		return -ENOMEM;
	for (s = ALIGN_DOWN(end - npages, align); s >= start;
	     s = ALIGN_DOWN(s, step) - step) {
		/*
		 * The range's pageblocks stay MIGRATE_MOVABLE, as for the
		 * kernel's own alloc_contig_pages().  Typed UNMOVABLE, they
		 * would draw the kernel's unmovable allocations once the
		 * buffer is freed, and a few slab pages scattered over them
		 * would keep any later large buffer from being assembled
		 * there.
		 */
		ret = alloc_contig_range(s, s + npages, MIGRATE_MOVABLE,
					 GFP_KERNEL | __GFP_NOWARN);
		if (!ret) {
			*pfn = s;
			return 0;
		}
		if (ret == -EINTR)
			return ret;
		if (++*attempts >= CONTIG_MAX_ATTEMPTS)
			return -EAGAIN;
		if (s < step)
			break;
	}
	return -ENOMEM;
}

/* Take @npages frames from movable memory: the first frame, or -errno. */
static long contig_migrate_alloc(unsigned long npages)
{
	unsigned long align = 1UL << dmaheap_range_align_order(npages,
								align_max);
	unsigned long start, end, pfn = 0;
	struct contig_scan scan;
	unsigned int attempts = 0;
	int ret = -ENOMEM;

	if (npages > contig_available_pages())
		return -ENOMEM;

	/* The holder may be migrating hundreds of megabytes: stay killable. */
	if (mutex_lock_killable(&contig.migrate_lock))
		return -EINTR;
	contig_scan_start(&scan);
	while (ret == -ENOMEM && contig_scan_next(&scan, &start, &end))
		ret = contig_try_run(start, end, npages, align, &attempts,
				     &pfn);
	mutex_unlock(&contig.migrate_lock);

	if (!ret)
		return pfn;
	return ret == -EINTR ? -EINTR : -ENOMEM;
}

/* Frames for the shared helper ---------------------------------------------- */

/*
 * The page allocator's naturally aligned block for buffers up to a
 * pageblock, zeroed.  Like every path, it never takes what others need to
 * keep going, and it gives up rather than reclaim hard.
 */
static long contig_buddy_alloc(unsigned long npages)
{
	unsigned int order = get_order(npages << PAGE_SHIFT);
	struct page *page;

	if (npages > pageblock_nr_pages ||
	    1UL << order > contig_available_pages())
		return -ENOMEM;
	/* Compound, so that importers may take references on any page. */
	page = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN |
			   __GFP_NORETRY | __GFP_COMP, order);
	return page ? page_to_pfn(page) : -ENOMEM;
}

static long contig_take(struct dmaheap_contig *c, unsigned long npages,
			unsigned long *cookie, bool *zeroed)
{
	long pfn;

	pfn = contig_cache_take(&contig.cache, npages, cookie, zeroed);
	if (pfn >= 0)
		return pfn;
	pfn = contig_buddy_alloc(npages);
	if (pfn >= 0) {
		*cookie = CONTIG_BUDDY;
		*zeroed = true;
		return pfn;
	}
	if (contig.reserve_npages) {
		pfn = dmaheap_contig_range_take(c, npages, zeroed);
		if (pfn >= 0) {
			*cookie = CONTIG_RESERVE;
			return pfn;
		}
	}
	*cookie = CONTIG_MIGRATED;
	pfn = contig_migrate_alloc(npages);
	/*
	 * Pooled pages, ours and the system heaps', lie anywhere and cannot
	 * be migrated: before giving up, have every pool give its pages
	 * back, and try once more.  The second pass also gets past pages
	 * that were only held for a moment (alloc_contig_range() fails with
	 * -EBUSY on them), which can sink a request whose size leaves just
	 * one candidate position.
	 */
	if (pfn == -ENOMEM) {
		dmaheap_pools_drain();
		pfn = contig_migrate_alloc(npages);
	}
	return pfn;
}

/*
 * Drop the counts of the pages after @pfn in a block of 2^@order, which the
 * first page's count then stands for.  Each must be exactly one (nobody
 * else holds the page); if one is not, the block is left as it was.
 */
static bool contig_freeze_tails(unsigned long pfn, unsigned int order)
{
	unsigned long i, j;

	for (i = 1; i < 1UL << order; i++)
		if (!page_ref_freeze(pfn_to_page(pfn + i), 1))
			break;
	if (i == 1UL << order)
		return true;
	for (j = 1; j < i; j++)
		page_ref_unfreeze(pfn_to_page(pfn + j), 1);
	return false;
}

/*
 * Give migrated frames back to the page allocator in naturally aligned
 * blocks it keeps on its free lists rather than on the per-CPU lists.
 * free_contig_range() frees page by page, and single pages park on the
 * per-CPU lists, which MemAvailable does not count: after a large buffer
 * the machine looked short of memory it had.  Orders above
 * PAGE_ALLOC_COSTLY_ORDER and below pageblock_order bypass those lists
 * (a pageblock-order block would be cached for THP).  Every page came from
 * alloc_contig_range() with a count of one.
 */
static void contig_free_frames(unsigned long pfn, unsigned long npages)
{
	const unsigned int order_max = pageblock_order - 1;
	unsigned long end = pfn + npages;

	while (pfn < end) {
		unsigned int order = pfn ? min_t(unsigned int, __ffs(pfn),
						 order_max) : order_max;

		while (pfn + (1UL << order) > end)
			order--;
		if (order > PAGE_ALLOC_COSTLY_ORDER &&
		    contig_freeze_tails(pfn, order))
			__free_pages(pfn_to_page(pfn), order);
		else
			free_contig_range(pfn, 1UL << order);
		pfn += 1UL << order;
	}
}

/* Give frames back to where they came from. */
static void contig_release(unsigned long pfn, unsigned long npages,
			   unsigned long cookie)
{
	switch (cookie) {
	case CONTIG_BUDDY:
		__free_pages(pfn_to_page(pfn), get_order(npages << PAGE_SHIFT));
		break;
	case CONTIG_RESERVE:
		dmaheap_contig_range_give(&contig.contig, pfn, npages);
		break;
	case CONTIG_MIGRATED:
		contig_free_frames(pfn, npages);
		break;
	}
}

/* Reserved frames go straight back to the reserve; others to the pool first. */
static void contig_give(struct dmaheap_contig *c, unsigned long pfn,
			unsigned long npages, unsigned long cookie)
{
	if (cookie == CONTIG_RESERVE ||
	    !contig_cache_put(&contig.cache, pfn, npages, cookie))
		contig_release(pfn, npages, cookie);
}

static const struct dmaheap_contig_ops contig_ops = {
	.take = contig_take,
	.give = contig_give,
};

static const struct dmaheap_ops contig_heap_ops = {
	.allocate = dmaheap_contig_allocate,
};

/* sysfs: /sys/class/dmaheap/<name>/{largest_alloc,pool_bytes,reserved_*} ---- */

/*
 * Root only: every read walks the memory map of all of RAM, which is no
 * job to hand to anybody in a loop (like /proc/pagetypeinfo).
 */
static ssize_t largest_alloc_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct dmaheap_range_usage u = { 0 };
	unsigned long pages;

	if (contig.reserve_npages)
		dmaheap_range_usage(&contig.reserve, &u);
	pages = max(u.largest_alloc, contig_migrate_largest());
	return sysfs_emit(buf, "%llu\n", (u64)pages << PAGE_SHIFT);
}
static DEVICE_ATTR_ADMIN_RO(largest_alloc);

/* Released ranges the pool holds, zeroed or waiting to be. */
static ssize_t pool_bytes_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (u64)contig_cache_pages(&contig.cache) << PAGE_SHIFT);
}
static DEVICE_ATTR_RO(pool_bytes);

DMAHEAP_CONTIG_USAGE_ATTR(reserved_bytes, DMAHEAP_CONTIG_SIZE);
DMAHEAP_CONTIG_USAGE_ATTR(reserved_free_bytes, DMAHEAP_CONTIG_FREE);
DMAHEAP_CONTIG_USAGE_ATTR(reserved_largest_free, DMAHEAP_CONTIG_LARGEST_FREE);
DMAHEAP_CONTIG_USAGE_ATTR(reserved_zeroed_bytes, DMAHEAP_CONTIG_ZEROED);

static struct attribute *contig_heap_attrs[] = {
	&dev_attr_largest_alloc.attr,
	&dev_attr_pool_bytes.attr,
	&dev_attr_reserved_bytes.attr,
	&dev_attr_reserved_free_bytes.attr,
	&dev_attr_reserved_largest_free.attr,
	&dev_attr_reserved_zeroed_bytes.attr,
	NULL,
};

static const struct attribute_group contig_heap_group = {
	.attrs = contig_heap_attrs,
};

static const struct attribute_group *contig_heap_groups[] = {
	&contig_heap_group,
	NULL,
};

/* Setup -------------------------------------------------------------------- */

static int contig_reserve_create(void)
{
	u64 bytes;
	long pfn;
	int ret;

	if (dmaheap_parse_bytes(reserve_size, NULL, 0, &bytes)) {
		pr_err("bad reserve size '%s'\n", reserve_size);
		return -EINVAL;
	}
	if (!bytes)
		return 0;
	/* Not DIV_ROUND_UP_ULL(): it wraps to 0 pages within a page of 2^64. */
	contig.reserve_npages = (bytes >> PAGE_SHIFT) + !!offset_in_page(bytes);

	pfn = contig_migrate_alloc(contig.reserve_npages);
	if (pfn < 0) {
		pr_err("cannot reserve %llu bytes: %ld\n", bytes, pfn);
		ret = pfn;
		goto no_reserve;
	}
	ret = dmaheap_range_init(&contig.reserve, pfn, contig.reserve_npages,
				 align_max);
	if (ret)
		goto free_range;
	contig.contig.range = &contig.reserve;
	/* Zeroed in the background, now and whenever a buffer gives some back. */
	ret = dmaheap_contig_scrub_start(&contig.contig, name);
	if (ret)
		goto destroy_range;
	pr_info("reserved %lu KiB at pfn %#lx\n",
		contig.reserve_npages << (PAGE_SHIFT - 10), pfn);
	return 0;

destroy_range:
	contig.contig.range = NULL;
	dmaheap_range_destroy(&contig.reserve);
free_range:
	contig_free_frames(pfn, contig.reserve_npages);
no_reserve:
	contig.reserve_npages = 0;
	return ret;
}

static void contig_reserve_destroy(void)
{
	unsigned long pfn = contig.reserve.base_pfn;

	if (!contig.reserve_npages)
		return;
	dmaheap_contig_scrub_stop(&contig.contig);
	contig.contig.range = NULL;
	dmaheap_range_destroy(&contig.reserve);
	contig_free_frames(pfn, contig.reserve_npages);
	contig.reserve_npages = 0;
}

/**
 * struct contig_alias_list - the aliases= names, for dmaheap_register()
 * @names:	Copies of the names, NULL-terminated.
 * @n:		Entries in @names.
 */
struct contig_alias_list {
	const char *names[DMAHEAP_MAX_ALIASES + 1];
	unsigned int n;
};

static int contig_add_alias(char *alias, unsigned int index, void *data)
{
	struct contig_alias_list *list = data;

	if (list->n == DMAHEAP_MAX_ALIASES) {
		pr_err("at most %d aliases\n", DMAHEAP_MAX_ALIASES);
		return -EINVAL;
	}
	list->names[list->n] = kstrdup(alias, GFP_KERNEL);
	if (!list->names[list->n])
		return -ENOMEM;
	list->n++;
	return 0;
}

static int contig_register(void)
{
	struct contig_alias_list list = { };
	struct dmaheap_info info = {
		.name = name,
		.aliases = list.names,
		.ops = &contig_heap_ops,
		.priv = &contig.contig,
		.props = DMAHEAP_PROP_CONTIGUOUS,
		.groups = contig_heap_groups,
	};
	int ret;

	ret = dmaheap_parse_list(aliases, ':', contig_add_alias, &list);
	if (!ret) {
		contig.heap = dmaheap_register(&info);
		ret = PTR_ERR_OR_ZERO(contig.heap);
		if (ret)
			pr_err("cannot register heap '%s': %d\n", name, ret);
	}
	while (list.n)
		kfree(list.names[--list.n]);
	return ret;
}

static int __init contig_heap_init(void)
{
	int ret;

	if (align_max >= BITS_PER_LONG - 1) {
		pr_err("align_max %u is too large\n", align_max);
		return -EINVAL;
	}
	mutex_init(&contig.migrate_lock);
	contig.contig.ops = &contig_ops;
	if (reserve_size) {
		ret = contig_reserve_create();
		if (ret)
			goto destroy_lock;
	}
	ret = contig_cache_init(&contig.cache, name, contig_release);
	if (ret)
		goto destroy_reserve;
	ret = contig_register();
	if (ret)
		goto destroy_cache;
	return 0;

destroy_cache:
	contig_cache_destroy(&contig.cache);
destroy_reserve:
	contig_reserve_destroy();
destroy_lock:
	mutex_destroy(&contig.migrate_lock);
	return ret;
}

static void __exit contig_heap_exit(void)
{
	dmaheap_unregister(contig.heap);
	contig_cache_destroy(&contig.cache);
	contig_reserve_destroy();
	mutex_destroy(&contig.migrate_lock);
}

module_init(contig_heap_init);
module_exit(contig_heap_exit);

MODULE_DESCRIPTION("dmaheap system-contiguous heap: physically contiguous buffers without CMA");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMAHEAP_NS(DMAHEAP));
MODULE_IMPORT_NS(DMAHEAP_NS(DMA_BUF));
