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
 *  2. The pool, if pool=SIZE reserved one at load: a range taken once and
 *     carved up with a bitmap, so that SIZE bytes stay available however
 *     fragmented memory becomes.
 *  3. Migration, CMA's idea without a boot-time reservation: find a run of
 *     pageblocks that hold only free and movable pages, and let
 *     alloc_contig_range() move the used pages elsewhere and hand the range
 *     over.  The 6.1 kernel isolates whole pageblocks, so a candidate range
 *     is judged pageblock by pageblock.
 *
 * largest_alloc in sysfs (root only: each read walks the memory map)
 * reports the largest request expected to succeed now: the larger of the
 * pool's largest aligned free span and the longest run of movable
 * pageblocks (bounded by the memory the kernel considers available).  It is
 * a snapshot and leaves out the page allocator's own free blocks, so it
 * errs on the small side.  The heap's cap in limit_bytes applies on top of
 * it.  pool_bytes, pool_free_bytes and pool_largest_free describe the pool
 * (all 0 without one).
 *
 * Names: the heap describes its memory (system RAM) and the property it
 * guarantees, as upstream's naming rules ask: "system-contiguous".  Clients
 * that look for the names of upstream's CMA heap ("linux,cma", "reserved")
 * find it through aliases=: each alias is a second node backed by the same
 * memory, with statistics and a cap of its own (upstream's legacy CMA node
 * does the same).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/kernel.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/page-isolation.h>
#include <linux/pageblock-flags.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <dmaheap/buffer.h>
#include <dmaheap/compat.h>
#include <dmaheap/heap.h>

#include "pfn_range.h"

/* Most alias nodes. */
#define CONTIG_MAX_ALIASES	4

/* Migration attempts per request before giving up with -ENOMEM. */
#define CONTIG_MAX_ATTEMPTS	16

/* Pages zeroed between checks for rescheduling and fatal signals. */
#define CONTIG_ZERO_BATCH	256

static char *name = "system-contiguous";
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "Heap name (default system-contiguous)");

static char *aliases;
module_param(aliases, charp, 0444);
MODULE_PARM_DESC(aliases,
		 "Extra node names for the same heap, separated by ':' (e.g. linux,cma:reserved)");

static char *pool;
module_param(pool, charp, 0444);
MODULE_PARM_DESC(pool,
		 "Bytes to reserve at load and keep for this heap (K/M/G suffixes; default none)");

static unsigned int align_max = 8;
module_param(align_max, uint, 0444);
MODULE_PARM_DESC(align_max,
		 "Buffers are aligned to their own order, at most this order (default 8: 1 MiB with 4 KiB pages)");

/* Where a buffer's pages came from, and so how they go back. */
enum contig_source {
	CONTIG_BUDDY,
	CONTIG_POOL,
	CONTIG_MIGRATED,
};

/**
 * struct contig_heap_buffer - a contiguous buffer
 * @buf:	The common part, handed to the shared exporter.
 * @pfn:	First page frame.
 * @npages:	Number of page frames.
 * @source:	Which allocator the frames came from.
 */
struct contig_heap_buffer {
	struct dmaheap_buffer buf;
	unsigned long pfn;
	unsigned long npages;
	enum contig_source source;
};

/**
 * struct contig_heap - the heap's state, shared by its nodes
 * @pool:	The reserved pool, if @pool_npages.
 * @pool_npages: Size of the pool in pages, 0 without one.
 * @migrate_lock: Serialises migration, so that two requests never isolate
 *		the same pageblocks and fail each other.  Protects no data.
 * @heaps:	The primary node, then the aliases.
 * @nheaps:	Registered nodes.
 */
struct contig_heap {
	struct pfn_range pool;
	unsigned long pool_npages;
	struct mutex migrate_lock;
	struct dmaheap *heaps[1 + CONTIG_MAX_ALIASES];
	unsigned int nheaps;
};

static struct contig_heap contig;

/* Page frames: scanning system memory for movable ranges ----------------- */

static const enum zone_type contig_zones[] = {
	ZONE_MOVABLE,
	ZONE_NORMAL,
#ifdef CONFIG_ZONE_DMA32
	ZONE_DMA32,
#endif
};

/*
 * Could alloc_contig_range() take this page frame?  The same tests the
 * kernel applies when it isolates a pageblock: free pages and pages on an
 * LRU list or otherwise movable qualify; reserved, hugetlb, offline and
 * other in-use pages (slab, page tables, other drivers' pages, our own
 * buffers) do not.  Reads are racy; alloc_contig_range() has the final
 * word.  *@next is set past the frames this answer covers.
 */
static bool contig_pfn_movable(struct zone *zone, unsigned long pfn,
			       unsigned long *next)
{
	struct page *page = pfn_to_online_page(pfn), *head;

	*next = pfn + 1;
	if (!page || page_zone(page) != zone || PageReserved(page))
		return false;
	if (PageCompound(page)) {
		if (PageHuge(page))
			return false;
		head = compound_head(page);
		if (!PageLRU(head) && !__PageMovable(head))
			return false;
		*next = page_to_pfn(head) + compound_nr(head);
		return true;
	}
	if (!page_ref_count(page)) {
		/* A free block's order sits in page_private(). */
		if (PageBuddy(page) && page_private(page) < BITS_PER_LONG)
			*next = pfn + (1UL << page_private(page));
		return true;
	}
	return PageLRU(page) || __PageMovable(page);
}

static bool contig_pageblock_movable(struct zone *zone, unsigned long start)
{
	unsigned long end = start + pageblock_nr_pages;
	unsigned long pfn = start, next;

	while (pfn < end) {
		if (!contig_pfn_movable(zone, pfn, &next))
			return false;
		/* Racy orders can be anything: never skip backwards. */
		pfn = max(next, pfn + 1);
	}
	return true;
}

/* Called for a run of movable page frames; returns true to stop the walk. */
typedef bool (*contig_run_fn)(unsigned long start, unsigned long end,
			      void *data);

/* contig_walk_runs() for one zone, from its end down. */
static bool contig_walk_zone(struct zone *zone, contig_run_fn fn, void *data)
{
	unsigned long first = ALIGN(zone->zone_start_pfn, pageblock_nr_pages);
	unsigned long pfn = ALIGN_DOWN(zone_end_pfn(zone), pageblock_nr_pages);
	unsigned long run_end = 0;
	bool in_run = false;

	while (pfn >= first + pageblock_nr_pages) {
		pfn -= pageblock_nr_pages;
		cond_resched();
		if (contig_pageblock_movable(zone, pfn)) {
			if (!in_run)
				run_end = pfn + pageblock_nr_pages;
			in_run = true;
			continue;
		}
		if (in_run && fn(pfn + pageblock_nr_pages, run_end, data))
			return true;
		in_run = false;
	}
	return in_run && fn(pfn, run_end, data);
}

/*
 * Call @fn for every run [start, end) of movable pageblocks, highest
 * addresses first: zones from the top, and each zone from its end down, so
 * that low memory, which devices with small DMA masks need, goes last.
 * @fn returns true to stop the walk; so does this function then.
 */
static bool contig_walk_runs(contig_run_fn fn, void *data)
{
	int nid;
	size_t i;

	for_each_online_node(nid) {
		for (i = 0; i < ARRAY_SIZE(contig_zones); i++) {
			struct zone *zone =
				&NODE_DATA(nid)->node_zones[contig_zones[i]];

			if (populated_zone(zone) &&
			    contig_walk_zone(zone, fn, data))
				return true;
		}
	}
	return false;
}

/* Pages the kernel can hand out without swapping out others' memory. */
static unsigned long contig_available_pages(void)
{
	long avail = si_mem_available();

	return avail > 0 ? avail : 0;
}

/**
 * struct contig_estimate - state of contig_migrate_largest()'s walk
 * @largest:	Largest request, in pages, that fits a run seen so far.
 */
struct contig_estimate {
	unsigned long largest;
};

static bool contig_estimate_run(unsigned long start, unsigned long end,
				void *data)
{
	struct contig_estimate *e = data;

	e->largest = max(e->largest,
			 pfn_run_largest_alloc(start, end, align_max));
	return false;
}

/*
 * Largest request migration should satisfy now: the longest movable run,
 * bounded by available memory less a margin (1/16 of it) for what changes
 * between this estimate and the request.
 */
static unsigned long contig_migrate_largest(void)
{
	struct contig_estimate e = { 0 };
	unsigned long avail = contig_available_pages();

	contig_walk_runs(contig_estimate_run, &e);
	return min(e.largest, avail - avail / 16);
}

/**
 * struct contig_attempt - state of contig_migrate_alloc()'s walk
 * @npages:	Pages wanted.
 * @align:	Alignment of the first page frame, in pages.
 * @attempts:	alloc_contig_range() calls so far.
 * @pfn:	Out: first page frame, once @ret is 0.
 * @ret:	Result of the last attempt (-ENOMEM before any).
 */
struct contig_attempt {
	unsigned long npages;
	unsigned long align;
	unsigned int attempts;
	unsigned long pfn;
	int ret;
};

/* Try the aligned candidates of one run, from its top down. */
static bool contig_try_run(unsigned long start, unsigned long end, void *data)
{
	struct contig_attempt *a = data;
	unsigned long step = max(a->align, pageblock_nr_pages);
	unsigned long s;

	if (end - start < a->npages)
		return false;
	for (s = ALIGN_DOWN(end - a->npages, a->align); s >= start;
	     s = ALIGN_DOWN(s, step) - step) {
		a->ret = alloc_contig_range(s, s + a->npages, MIGRATE_MOVABLE,
					    GFP_KERNEL | __GFP_NOWARN);
		if (!a->ret) {
			a->pfn = s;
			return true;
		}
		if (a->ret == -EINTR || ++a->attempts >= CONTIG_MAX_ATTEMPTS)
			return true;
		if (s < step)
			break;
	}
	return false;
}

/*
 * Take @npages contiguous page frames from movable memory.  Return the first
 * frame, or -ENOMEM or -EINTR.
 */
static long contig_migrate_alloc(unsigned long npages)
{
	struct contig_attempt a = {
		.npages = npages,
		.align = 1UL << pfn_range_align_order(npages, align_max),
		.ret = -ENOMEM,
	};

	if (npages > contig_available_pages())
		return -ENOMEM;

	mutex_lock(&contig.migrate_lock);
	contig_walk_runs(contig_try_run, &a);
	mutex_unlock(&contig.migrate_lock);

	if (!a.ret)
		return a.pfn;
	return a.ret == -EINTR ? -EINTR : -ENOMEM;
}

/* Buffers ------------------------------------------------------------------- */

static void contig_release_frames(enum contig_source source,
				  unsigned long pfn, unsigned long npages)
{
	switch (source) {
	case CONTIG_BUDDY:
		__free_pages(pfn_to_page(pfn),
			     get_order(npages << PAGE_SHIFT));
		break;
	case CONTIG_POOL:
		pfn_range_free(&contig.pool, pfn, npages);
		break;
	case CONTIG_MIGRATED:
		free_contig_range(pfn, npages);
		break;
	}
}

static void contig_heap_free(struct dmaheap_buffer *dbuf)
{
	struct contig_heap_buffer *buffer =
		container_of(dbuf, struct contig_heap_buffer, buf);

	sg_free_table(&dbuf->sgt);
	contig_release_frames(buffer->source, buffer->pfn, buffer->npages);
	kfree(buffer);
}

static const struct dmaheap_buffer_ops contig_heap_buffer_ops = {
	.free = contig_heap_free,
};

static int contig_zero(unsigned long pfn, unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++) {
		if (!(i % CONTIG_ZERO_BATCH)) {
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
		clear_highpage(pfn_to_page(pfn + i));
	}
	return 0;
}

/*
 * The page allocator's naturally aligned block for buffers up to a
 * pageblock, zeroed.  Like every path, it never takes what others need to
 * keep going, and it gives up rather than reclaim hard.
 */
static bool contig_buddy_alloc(struct contig_heap_buffer *buffer)
{
	unsigned int order = get_order(buffer->npages << PAGE_SHIFT);
	struct page *page;

	if (buffer->npages > pageblock_nr_pages ||
	    1UL << order > contig_available_pages())
		return false;
	page = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN |
			   __GFP_NORETRY, order);
	if (!page)
		return false;
	buffer->source = CONTIG_BUDDY;
	buffer->pfn = page_to_pfn(page);
	return true;
}

/* Try the page allocator, the pool, then migration.  Frames are zeroed. */
static int contig_get_frames(struct contig_heap_buffer *buffer)
{
	unsigned long npages = buffer->npages;
	long pfn;
	int ret;

	if (contig_buddy_alloc(buffer))
		return 0;

	pfn = -ENOMEM;
	if (contig.pool_npages) {
		pfn = pfn_range_alloc(&contig.pool, npages);
		buffer->source = CONTIG_POOL;
	}
	if (pfn == -ENOMEM) {
		pfn = contig_migrate_alloc(npages);
		buffer->source = CONTIG_MIGRATED;
	}
	if (pfn < 0)
		return pfn;
	buffer->pfn = pfn;

	ret = contig_zero(buffer->pfn, npages);
	if (ret)
		contig_release_frames(buffer->source, buffer->pfn, npages);
	return ret;
}

static struct dma_buf *contig_heap_allocate(struct dmaheap *heap, size_t len,
					    u32 fd_flags, u64 heap_flags)
{
	struct contig_heap_buffer *buffer;
	struct dma_buf *dmabuf;
	int ret;

	buffer = kzalloc(sizeof(*buffer), GFP_KERNEL);
	if (!buffer)
		return ERR_PTR(-ENOMEM);
	buffer->npages = len >> PAGE_SHIFT;

	ret = contig_get_frames(buffer);
	if (ret)
		goto free_buffer;

	ret = pfn_range_fill_sgt(&buffer->buf.sgt, buffer->pfn,
				 buffer->npages);
	if (ret)
		goto release_frames;

	dmaheap_buffer_init(&buffer->buf, heap, &contig_heap_buffer_ops, len);

	dmabuf = dmaheap_buffer_export(&buffer->buf, fd_flags);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto free_table;
	}
	return dmabuf;

free_table:
	sg_free_table(&buffer->buf.sgt);
release_frames:
	contig_release_frames(buffer->source, buffer->pfn, buffer->npages);
free_buffer:
	kfree(buffer);
	return ERR_PTR(ret);
}

static const struct dmaheap_ops contig_heap_ops = {
	.allocate = contig_heap_allocate,
};

/* sysfs: /sys/class/dmaheap/<name>/{largest_alloc,pool_*} ----------------- */

static void contig_pool_usage(struct pfn_range_usage *u)
{
	if (contig.pool_npages)
		pfn_range_usage(&contig.pool, u);
	else
		memset(u, 0, sizeof(*u));
}

/*
 * Root only: every read walks the memory map of all of RAM, which is no
 * job to hand to anybody in a loop (like /proc/pagetypeinfo).
 */
static ssize_t largest_alloc_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct pfn_range_usage u;
	unsigned long pages;

	contig_pool_usage(&u);
	pages = max(u.largest_alloc, contig_migrate_largest());
	return sysfs_emit(buf, "%llu\n", (u64)pages << PAGE_SHIFT);
}
static DEVICE_ATTR_ADMIN_RO(largest_alloc);

static ssize_t pool_bytes_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", (u64)contig.pool_npages << PAGE_SHIFT);
}
static DEVICE_ATTR_RO(pool_bytes);

static ssize_t pool_free_bytes_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct pfn_range_usage u;

	contig_pool_usage(&u);
	return sysfs_emit(buf, "%llu\n", (u64)u.free << PAGE_SHIFT);
}
static DEVICE_ATTR_RO(pool_free_bytes);

static ssize_t pool_largest_free_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	struct pfn_range_usage u;

	contig_pool_usage(&u);
	return sysfs_emit(buf, "%llu\n", (u64)u.largest_free << PAGE_SHIFT);
}
static DEVICE_ATTR_RO(pool_largest_free);

static struct attribute *contig_heap_attrs[] = {
	&dev_attr_largest_alloc.attr,
	&dev_attr_pool_bytes.attr,
	&dev_attr_pool_free_bytes.attr,
	&dev_attr_pool_largest_free.attr,
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

static int contig_pool_create(void)
{
	unsigned long long bytes;
	char *end;
	long pfn;
	int ret;

	bytes = memparse(pool, &end);
	if (end == pool || *end) {
		pr_err("bad pool size '%s'\n", pool);
		return -EINVAL;
	}
	if (!bytes)
		return 0;
	/* Not DIV_ROUND_UP_ULL(): it wraps to 0 pages within a page of 2^64. */
	contig.pool_npages = (bytes >> PAGE_SHIFT) + !!offset_in_page(bytes);

	pfn = contig_migrate_alloc(contig.pool_npages);
	if (pfn < 0) {
		pr_err("cannot reserve a pool of %llu bytes: %ld\n", bytes, pfn);
		ret = pfn;
		goto no_pool;
	}
	ret = pfn_range_init(&contig.pool, pfn, contig.pool_npages,
			     align_max);
	if (ret) {
		free_contig_range(pfn, contig.pool_npages);
		goto no_pool;
	}
	pr_info("pool of %lu KiB at pfn %#lx\n",
		contig.pool_npages << (PAGE_SHIFT - 10), pfn);
	return 0;

no_pool:
	contig.pool_npages = 0;
	return ret;
}

static void contig_pool_destroy(void)
{
	unsigned long pfn = contig.pool.base_pfn;

	if (!contig.pool_npages)
		return;
	pfn_range_destroy(&contig.pool);
	free_contig_range(pfn, contig.pool_npages);
	contig.pool_npages = 0;
}

static int contig_register(const char *node_name)
{
	struct dmaheap_info info = {
		.name = node_name,
		.ops = &contig_heap_ops,
		.priv = &contig,
		.props = DMAHEAP_PROP_CONTIGUOUS,
		.groups = contig_heap_groups,
	};
	struct dmaheap *heap;

	if (contig.nheaps == ARRAY_SIZE(contig.heaps)) {
		pr_err("at most %d aliases\n", CONTIG_MAX_ALIASES);
		return -EINVAL;
	}
	heap = dmaheap_register(&info);
	if (IS_ERR(heap)) {
		pr_err("cannot register node '%s': %ld\n", node_name,
		       PTR_ERR(heap));
		return PTR_ERR(heap);
	}
	contig.heaps[contig.nheaps++] = heap;
	return 0;
}

static void contig_unregister_all(void)
{
	while (contig.nheaps)
		dmaheap_unregister(contig.heaps[--contig.nheaps]);
}

static int contig_register_aliases(void)
{
	char *copy, *cur, *alias;
	int ret = 0;

	if (!aliases || !*aliases)
		return 0;
	copy = kstrdup(aliases, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	while ((alias = strsep(&cur, ":")) != NULL) {
		if (!*alias)
			continue;
		ret = contig_register(alias);
		if (ret)
			break;
	}
	kfree(copy);
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
	if (pool) {
		ret = contig_pool_create();
		if (ret)
			goto destroy_lock;
	}
	ret = contig_register(name);
	if (ret)
		goto destroy_pool;
	ret = contig_register_aliases();
	if (ret)
		goto unregister;
	return 0;

unregister:
	contig_unregister_all();
destroy_pool:
	contig_pool_destroy();
destroy_lock:
	mutex_destroy(&contig.migrate_lock);
	return ret;
}

static void __exit contig_heap_exit(void)
{
	contig_unregister_all();
	contig_pool_destroy();
	mutex_destroy(&contig.migrate_lock);
}

module_init(contig_heap_init);
module_exit(contig_heap_exit);

MODULE_DESCRIPTION("dmaheap system-contiguous heap: physically contiguous buffers without CMA");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMAHEAP_NS(DMAHEAP));
MODULE_IMPORT_NS(DMAHEAP_NS(DMA_BUF));
