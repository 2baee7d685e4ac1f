// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap system heaps: zeroed pages from the page allocator.
 *
 * One allocator, four registrations that differ only in per-heap data (a
 * struct system_heap_variant):
 *
 *   system                  cached pages from anywhere in RAM
 *   system-uncached         the same, write-combined for the CPU (x86,
 *                           arm64)
 *   system-dma32            cached pages below 4 GiB, for 32-bit DMA
 *                           masters without an IOMMU
 *   system-uncached-dma32   write-combined pages below 4 GiB
 *
 * Released buffers' pages are zeroed by a worker and kept in per-heap pools
 * for the next request (system_pool.c).  Fresh pages are charged to the
 * allocating task's memory cgroup (__GFP_ACCOUNT, unless the core's
 * memcg_charge parameter is off) once a ceiling's worth of them circulates
 * uncharged through the pool; the core holds the cgroup to its limit for
 * pooled and uncharged pages.
 *
 * A buffer is built from the largest chunks the buddy allocator can hand out
 * cheaply (order 8, then 4), topped up with single pages.  Order 8 is tried
 * without any reclaim and order 4 with one light pass (__GFP_NORETRY: no
 * retries), so a busy system falls back to small pages instead of stalling;
 * single pages may reclaim harder but never wake the OOM killer, so an
 * unsatisfiable request ends in -ENOMEM.
 *
 * Write-combined variants on x86 and PAT.  A page must not be mapped with
 * two different cache types at once: the CPU's behaviour is undefined if the
 * linear mapping says write-back while a user mapping says write-combined,
 * and the kernel's PAT code enforces the rule.  When a RAM page is mapped
 * into userspace with remap_pfn_range(), PAT looks up the type recorded for
 * that page: if it is not the requested write-combined type it complains in
 * the kernel log and maps write-back instead.  So before export every page
 * goes through set_pages_array_wc(), which records write-combined for the
 * page and switches its linear mapping to it; at free, set_pages_array_wb()
 * switches it back and drops the record, and only then does the page return
 * to the page allocator.  The pages are zeroed through the cached linear
 * mapping, so the zeroes may still sit in the CPU caches; changing the
 * linear mapping's cache type writes back and invalidates every page it
 * changes (clflush per line, or wbinvd), after flushing the TLBs.  That is
 * the one flush at allocation: afterwards no cacheable mapping of the pages
 * exists, and devices read zeroes.
 *
 * Write-combined variants on arm64.  arm64 cannot change the linear
 * mapping's memory type (no set_memory_wc()): it stays cacheable, as it
 * does for the kernel's own dma_alloc_coherent() buffers of devices that do
 * not snoop the CPU caches.  The user mapping and the vmap are Normal
 * Non-cacheable (pgprot_writecombine()), device mappings skip CPU syncs, as
 * on x86.  The rules that keep the cacheable alias harmless (docs/DESIGN.md,
 * "system-uncached on arm64", has the reasoning):
 *  - nothing writes through the alias while the buffer lives, so no line
 *    of it is ever dirty: the caches can only hold clean lines, which are
 *    never written back over what the write-combined mappings or devices
 *    put in memory, and which non-cacheable accesses and devices that do
 *    not snoop never look at;
 *  - the zeroes written through the alias (by __GFP_ZERO, or by the pool's
 *    worker) are cleaned to memory and the lines invalidated before the
 *    pages are handed out: the one flush at allocation (the attribute
 *    ops' prepare), and one after every zeroing in the pool (zeroed);
 *  - a device that does snoop the CPU caches could be served a clean line
 *    fetched (speculatively, at any time) before a write-combined CPU write:
 *    the exporter has this heap invalidate the buffer's lines before such a
 *    device maps it and after CPU access that may have written while one
 *    has it mapped (the drop_cpu_alias callback of struct
 *    dmaheap_buffer_ops).
 * No cache-maintenance function is exported to modules on arm64, so the
 * module maintains caches with the DMA API, on a platform device of its own
 * that does not snoop (nothing configures its DMA, so the DMA layer treats
 * it as non-coherent and runs dma-direct for it): dma_sync_single_for_device()
 * cleans to the point of coherency, dma_sync_single_for_cpu() invalidates.
 * The variants are not registered where that does no maintenance: when the
 * device is coherent after all, or when every mapping bounces through
 * swiotlb (the syncs would then maintain the bounce slots, not our pages).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#ifdef CONFIG_X86
#include <asm/set_memory.h>
#endif

#include <dmaheap/buffer.h>
#include <dmaheap/compat.h>
#include <dmaheap/heap.h>

#include "system_pool.h"

/**
 * struct system_heap_variant - what makes one system heap differ from another
 * @name:	The heap name (a module parameter; empty: not registered).
 * @zone_gfp:	GFP flags choosing the memory: __GFP_DMA32, or
 *		__GFP_HIGHMEM where highmem is fine, added to GFP_USER.
 * @buf_flags:	DMAHEAP_BUF_* flags of every buffer.
 * @props:	DMAHEAP_PROP_* flags of the heap.
 * @attr_ops:	Page attribute changes, or NULL for plain cached pages.
 * @heap:	The registered heap, or NULL.
 * @pool:	Zeroed pages of this variant, kept for reuse.
 */
struct system_heap_variant {
	char **name;
	gfp_t zone_gfp;
	unsigned int buf_flags;
	unsigned int props;
	const struct system_attr_ops *attr_ops;
	struct dmaheap *heap;
	struct system_pool pool;
};

/**
 * struct system_heap_buffer - a system heap buffer
 * @buf: the common part, handed to the shared exporter
 * @variant: the heap variant it came from
 */
struct system_heap_buffer {
	struct dmaheap_buffer buf;
	struct system_heap_variant *variant;
};

/*
 * High orders are compound pages, so that every page an importer finds in
 * the sg_table is refcounted: a get_page()/put_page() pair on a tail page
 * then works on the head's count instead of freeing the page under us.
 */
static gfp_t system_heap_order_gfp(unsigned int order)
{
	gfp_t gfp = GFP_USER | __GFP_ZERO | __GFP_NOWARN;

	switch (order) {
	case 8:
		return (gfp | __GFP_COMP | __GFP_NORETRY) & ~__GFP_RECLAIM;
	case 4:
		return gfp | __GFP_COMP | __GFP_NORETRY;
	default:
		return gfp | __GFP_RETRY_MAYFAIL;
	}
}

static char *name = "system";
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "Name of the cached heap (default \"system\"; empty: none)");

static char *uncached_name = "system-uncached";
module_param(uncached_name, charp, 0444);
MODULE_PARM_DESC(uncached_name,
		 "Name of the write-combined heap, x86 and arm64 only (default \"system-uncached\"; empty: none)");

static char *dma32_name = "system-dma32";
module_param(dma32_name, charp, 0444);
MODULE_PARM_DESC(dma32_name,
		 "Name of the cached heap below 4 GiB (default \"system-dma32\"; empty: none)");

static char *uncached_dma32_name = "system-uncached-dma32";
module_param(uncached_dma32_name, charp, 0444);
MODULE_PARM_DESC(uncached_dma32_name,
		 "Name of the write-combined heap below 4 GiB, x86 and arm64 only (default \"system-uncached-dma32\"; empty: none)");

#ifdef CONFIG_X86
static int system_heap_set_wc(struct page **pages, unsigned int npages)
{
	return set_pages_array_wc(pages, npages);
}

static int system_heap_set_wb(struct page **pages, unsigned int npages)
{
	return set_pages_array_wb(pages, npages);
}

static const struct system_attr_ops system_heap_wc_ops = {
	.prepare = system_heap_set_wc,
	.restore = system_heap_set_wb,
};
#define SYSTEM_HEAP_WC_OPS	(&system_heap_wc_ops)
/* The linear mapping is write-combined too: there is no cached alias. */
#define SYSTEM_HEAP_DROP_CPU_ALIAS	NULL

/* Why write-combined variants cannot be registered, or NULL. */
static const char *system_heap_wc_setup(void)
{
	return NULL;
}

static void system_heap_wc_teardown(void)
{
}
#elif defined(CONFIG_ARM64)
/* Cache maintenance covers at most this much between two reschedules. */
#define SYSTEM_MAINT_MAX	SZ_4M

/* The non-coherent device whose DMA syncs maintain the caches (above). */
static struct platform_device *system_maint_pdev;

/*
 * Clean (if @clean) the CPU caches' lines of @len bytes of physically
 * contiguous pages from @page to the point of coherency, then invalidate
 * them.  The mapping itself does nothing (dma-direct, no bouncing: checked
 * at load); the syncs do the work.  Mapping with DMA_ATTR_SKIP_CPU_SYNC and
 * syncing explicitly, rather than letting map and unmap sync, keeps DMA-API
 * debugging quiet when the pages are mapped for an importer at the same
 * time (it refuses overlapping mappings that sync).
 */
static int system_maint_range(struct page *page, size_t len, bool clean)
{
	struct device *dev = &system_maint_pdev->dev;
	dma_addr_t addr;

	addr = dma_map_page_attrs(dev, page, 0, len, DMA_BIDIRECTIONAL,
				  DMA_ATTR_SKIP_CPU_SYNC);
	if (dma_mapping_error(dev, addr)) {
		pr_err_ratelimited("cannot map %zu bytes at pfn %#lx for cache maintenance\n",
				   len, page_to_pfn(page));
		return -ENOMEM;
	}
	if (clean)
		dma_sync_single_for_device(dev, addr, len, DMA_BIDIRECTIONAL);
	dma_sync_single_for_cpu(dev, addr, len, DMA_BIDIRECTIONAL);
	dma_unmap_page_attrs(dev, addr, len, DMA_BIDIRECTIONAL,
			     DMA_ATTR_SKIP_CPU_SYNC);
	return 0;
}

/**
 * struct system_maint_run - physically adjacent pages gathered for one
 *	maintenance call
 * @page:	First page of the run.
 * @len:	Bytes in the run (0: empty).
 * @clean:	Clean before invalidating.
 */
struct system_maint_run {
	struct page *page;
	size_t len;
	bool clean;
};

static int system_maint_flush(struct system_maint_run *run)
{
	int ret;

	if (!run->len)
		return 0;
	ret = system_maint_range(run->page, run->len, run->clean);
	run->len = 0;
	cond_resched();
	return ret;
}

/* Add @len bytes from @page to the run, maintaining what came before. */
static int system_maint_add(struct system_maint_run *run, struct page *page,
			    size_t len)
{
	int ret;

	if (run->len && run->len + len <= SYSTEM_MAINT_MAX &&
	    page_to_pfn(page) ==
	    page_to_pfn(run->page) + (run->len >> PAGE_SHIFT)) {
		run->len += len;
		return 0;
	}
	ret = system_maint_flush(run);
	run->page = page;
	run->len = len;
	return ret;
}

/* @prepare: the zeroes of fresh pages to memory, no line left cached. */
static int system_heap_clean_pages(struct page **pages, unsigned int npages)
{
	struct system_maint_run run = { .clean = true };
	unsigned int i;
	int ret;

	for (i = 0; i < npages; i++) {
		ret = system_maint_add(&run, pages[i], PAGE_SIZE);
		if (ret)
			return ret;
	}
	return system_maint_flush(&run);
}

/* @zeroed: the same for a block the pool zeroed. */
static int system_heap_clean_block(struct page *page, unsigned int order)
{
	return system_maint_range(page, PAGE_SIZE << order, true);
}

/*
 * dmaheap_buffer_ops.drop_cpu_alias: invalidate the lines of the linear
 * mapping that speculation may have brought in since.  They are all clean
 * (nothing writes through the alias), so there is nothing to clean.
 */
static int system_heap_drop_cpu_alias(struct dmaheap_buffer *dbuf)
{
	struct system_maint_run run = { .clean = false };
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	/*
	 * The CPU's write-combined stores reach memory first: a line fetched
	 * after its invalidation must not hold older data.
	 */
	wmb();
	for_each_sgtable_sg(&dbuf->sgt, sg, i) {
		ret = system_maint_add(&run, sg_page(sg), sg->length);
		if (ret)
			return ret;
	}
	return system_maint_flush(&run);
}

static const struct system_attr_ops system_heap_wc_ops = {
	.prepare = system_heap_clean_pages,
	.zeroed = system_heap_clean_block,
};
#define SYSTEM_HEAP_WC_OPS	(&system_heap_wc_ops)
#define SYSTEM_HEAP_DROP_CPU_ALIAS	system_heap_drop_cpu_alias

static void system_heap_wc_teardown(void)
{
	if (system_maint_pdev)
		platform_device_unregister(system_maint_pdev);
	system_maint_pdev = NULL;
}

/*
 * Set up the maintenance device.  Return why write-combined variants cannot
 * be registered, or NULL.
 */
static const char *system_heap_wc_setup(void)
{
	struct platform_device *pdev;
	phys_addr_t pool_end;
	const char *why = NULL;

	pdev = platform_device_register_simple(KBUILD_MODNAME,
					       PLATFORM_DEVID_NONE, NULL, 0);
	if (IS_ERR(pdev))
		return "cannot register a device for cache maintenance";
	system_maint_pdev = pdev;
	if (dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64)))
		why = "its cache-maintenance device cannot take a 64-bit DMA mask";
	else if (dev_is_dma_coherent(&pdev->dev))
		why = "the DMA layer treats its device as coherent and would not maintain the caches";
	else if (dmaheap_swiotlb_forced(&pdev->dev, &pool_end))
		why = "the DMA layer bounces every mapping through swiotlb (swiotlb=force)";
	if (why)
		system_heap_wc_teardown();
	return why;
}
#else
#define SYSTEM_HEAP_WC_OPS	NULL
#define SYSTEM_HEAP_DROP_CPU_ALIAS	NULL

static const char *system_heap_wc_setup(void)
{
	return "write-combined pages are only implemented for x86 and arm64";
}

static void system_heap_wc_teardown(void)
{
}
#endif

/*
 * The kernel mapping of a write-combined page changes type, so those
 * variants take no highmem; the dma32 variants are skipped on kernels
 * without ZONE_DMA32.
 */
static struct system_heap_variant system_heap_variants[] = {
	{
		.name = &name,
		.zone_gfp = __GFP_HIGHMEM,
	},
	{
		.name = &uncached_name,
		.buf_flags = DMAHEAP_BUF_UNCACHED,
		.props = DMAHEAP_PROP_UNCACHED,
		.attr_ops = SYSTEM_HEAP_WC_OPS,
	},
	{
		.name = &dma32_name,
		.zone_gfp = __GFP_DMA32,
		.props = DMAHEAP_PROP_DMA32,
	},
	{
		.name = &uncached_dma32_name,
		.zone_gfp = __GFP_DMA32,
		.buf_flags = DMAHEAP_BUF_UNCACHED,
		.props = DMAHEAP_PROP_UNCACHED | DMAHEAP_PROP_DMA32,
		.attr_ops = SYSTEM_HEAP_WC_OPS,
	},
};

static void system_heap_free(struct dmaheap_buffer *dbuf)
{
	struct system_heap_buffer *buffer =
		container_of(dbuf, struct system_heap_buffer, buf);
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(&dbuf->sgt, sg, i)
		system_pool_put(&buffer->variant->pool, sg_page(sg),
				get_order(sg->length));
	sg_free_table(&dbuf->sgt);
	kfree(buffer);
}

static const struct dmaheap_buffer_ops system_heap_buffer_ops = {
	.free = system_heap_free,
	.drop_cpu_alias = SYSTEM_HEAP_DROP_CPU_ALIAS,
};

/**
 * struct system_collect - the blocks gathered for one buffer
 * @pooled:	Blocks from the pool: zeroed, with the variant's attributes.
 * @fresh:	Blocks from the page allocator: zeroed, normal attributes.
 * @count:	Blocks in all.
 * @fresh_bytes: Bytes in @fresh.
 * @charged_bytes: Bytes in @fresh charged to a memory cgroup.
 *
 * Blocks are linked through lru, their order in page_private().
 */
struct system_collect {
	struct list_head pooled;
	struct list_head fresh;
	unsigned int count;
	size_t fresh_bytes;
	size_t charged_bytes;
};

/*
 * Gather blocks for @len bytes, largest orders first, pool first.  Fresh
 * blocks are charged to the memory cgroup with @account unless the pool has
 * room for them once they are freed (system_pool_room()).
 */
static int system_heap_collect(struct system_heap_variant *v, gfp_t account,
			       size_t len, struct system_collect *c)
{
	size_t left = len;
	unsigned int i = 0;

	while (left) {
		unsigned int order = system_orders[i];
		size_t chunk = PAGE_SIZE << order;
		struct page *page;

		if (fatal_signal_pending(current))
			return -EINTR;
		if (chunk > left) {
			i++;
			continue;
		}
		page = system_pool_get(&v->pool, i);
		if (page) {
			list_add_tail(&page->lru, &c->pooled);
		} else {
			gfp_t charge = system_pool_room(&v->pool, order) ?
				       0 : account;

			page = alloc_pages(system_heap_order_gfp(order) |
					   v->zone_gfp | charge, order);
			if (!page) {
				if (i == SYSTEM_NR_ORDERS - 1)
					return -ENOMEM;
				i++;
				continue;
			}
			system_pool_lend(&v->pool, page, order);
			list_add_tail(&page->lru, &c->fresh);
			c->fresh_bytes += chunk;
			if (dmaheap_page_charged(page))
				c->charged_bytes += chunk;
		}
		set_page_private(page, order);
		left -= chunk;
		c->count++;
		cond_resched();
	}
	return 0;
}

/* Give the variant's attributes to the fresh blocks. */
static int system_heap_prepare(struct system_heap_variant *v,
			       struct system_collect *c)
{
	unsigned long npages = c->fresh_bytes >> PAGE_SHIFT, n = 0, i;
	struct page **pages, *page;
	int ret;

	if (!v->attr_ops || !npages)
		return 0;
	/* The page attribute API counts pages in an int. */
	if (npages > INT_MAX)
		return -ENOMEM;
	pages = kvmalloc_array(npages, sizeof(*pages), DMAHEAP_GFP);
	if (!pages)
		return -ENOMEM;
	list_for_each_entry(page, &c->fresh, lru)
		for (i = 0; i < 1UL << page_private(page); i++)
			pages[n++] = nth_page(page, i);
	/* Also flushes the zeroed pages out of the CPU caches. */
	ret = v->attr_ops->prepare(pages, n);
	kvfree(pages);
	return ret;
}

/* Move the blocks into the buffer's sg_table. */
static int system_heap_build_table(struct sg_table *sgt,
				   struct system_collect *c)
{
	struct list_head *lists[] = { &c->pooled, &c->fresh };
	struct page *page, *tmp;
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	ret = sg_alloc_table(sgt, c->count, DMAHEAP_GFP);
	if (ret)
		return ret;
	sg = sgt->sgl;
	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		list_for_each_entry_safe(page, tmp, lists[i], lru) {
			sg_set_page(sg, page, PAGE_SIZE << page_private(page),
				    0);
			set_page_private(page, 0);
			list_del(&page->lru);
			sg = sg_next(sg);
		}
	}
	return 0;
}

/* Undo a collection: pooled blocks to the pool, fresh ones back. */
static void system_heap_drop(struct system_heap_variant *v,
			     struct system_collect *c)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, &c->pooled, lru) {
		list_del(&page->lru);
		system_pool_put(&v->pool, page, page_private(page));
	}
	list_for_each_entry(page, &c->fresh, lru)
		system_pool_unlend(&v->pool, page, page_private(page));
	/* Restoring attributes that never changed is harmless. */
	system_pages_release(v->attr_ops, &c->fresh);
}

static struct dma_buf *system_heap_allocate(struct dmaheap *heap,
					    struct dmaheap_request *req)
{
	struct system_heap_variant *v = dmaheap_priv(heap);
	gfp_t account = dmaheap_gfp_account();
	struct system_heap_buffer *buffer;
	struct system_collect c = {
		.pooled = LIST_HEAD_INIT(c.pooled),
		.fresh = LIST_HEAD_INIT(c.fresh),
	};
	struct dma_buf *dmabuf;
	int ret;

	/*
	 * Do not even start what cannot finish without pushing others out.
	 * MemAvailable counts pooled pages as reclaimable already.  Up to one
	 * block of the largest order the page allocator decides alone (and
	 * fails rather than call the OOM killer); summing MemAvailable would
	 * cost a small request more than its page.
	 */
	if (req->len > PAGE_SIZE << system_orders[0] &&
	    req->len >> PAGE_SHIFT > si_mem_available())
		return ERR_PTR(-ENOMEM);

	buffer = kzalloc(sizeof(*buffer), DMAHEAP_GFP);
	if (!buffer)
		return ERR_PTR(-ENOMEM);
	buffer->variant = v;
	buffer->buf.flags = v->buf_flags;

	ret = system_heap_collect(v, account, req->len, &c);
	if (ret)
		goto drop_pages;
	ret = system_heap_prepare(v, &c);
	if (ret)
		goto drop_pages;
	/* The core holds the cgroup to its limit for the rest. */
	req->memcg_charged = c.charged_bytes;
	ret = system_heap_build_table(&buffer->buf.sgt, &c);
	if (ret)
		goto drop_pages;

	dmabuf = dmaheap_buffer_export(&buffer->buf, req,
				       &system_heap_buffer_ops);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto free_table;
	}
	return dmabuf;

free_table:
	/* Every block now has the variant's attributes: to the pool. */
	system_heap_free(&buffer->buf);
	return ERR_PTR(ret);
drop_pages:
	system_heap_drop(v, &c);
	kfree(buffer);
	return ERR_PTR(ret);
}

static const struct dmaheap_ops system_heap_ops = {
	.allocate = system_heap_allocate,
};

/* sysfs: /sys/class/dmaheap/<name>/pool_bytes ----------------------------- */

/* Zeroed pages kept for reuse, and pages of released buffers still waiting
 * to be zeroed; none of them counts in the heap's bytes. */
static ssize_t pool_bytes_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct system_heap_variant *v = dmaheap_priv(dmaheap_from_dev(dev));

	return sysfs_emit(buf, "%llu\n",
			  (u64)system_pool_pages(&v->pool) << PAGE_SHIFT);
}
static DEVICE_ATTR_RO(pool_bytes);

static struct attribute *system_heap_attrs[] = {
	&dev_attr_pool_bytes.attr,
	NULL,
};

static const struct attribute_group system_heap_group = {
	.attrs = system_heap_attrs,
};

static const struct attribute_group *system_heap_groups[] = {
	&system_heap_group,
	NULL,
};

/*
 * Why a variant cannot be registered on this kernel, or NULL; @wc_why says
 * why write-combined variants cannot (NULL: they can).
 */
static const char *system_heap_unsupported(const struct system_heap_variant *v,
					   const char *wc_why)
{
	if ((v->buf_flags & DMAHEAP_BUF_UNCACHED) && wc_why)
		return wc_why;
	if ((v->props & DMAHEAP_PROP_DMA32) && !IS_ENABLED(CONFIG_ZONE_DMA32))
		return "the kernel has no ZONE_DMA32";
	if (dmaheap_name_owned_by_kernel(*v->name))
		return "the kernel's own DMA-BUF heaps hold that name";
	return NULL;
}

static void system_heap_unregister_all(void)
{
	size_t i;

	for (i = ARRAY_SIZE(system_heap_variants); i-- > 0;) {
		struct system_heap_variant *v = &system_heap_variants[i];

		if (!v->heap)
			continue;
		dmaheap_unregister(v->heap);
		v->heap = NULL;
		system_pool_destroy(&v->pool);
	}
}

/* Is a write-combined variant asked for (has a name)? */
static bool system_heap_wants_wc(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(system_heap_variants); i++) {
		const struct system_heap_variant *v = &system_heap_variants[i];

		if ((v->buf_flags & DMAHEAP_BUF_UNCACHED) && *v->name &&
		    **v->name)
			return true;
	}
	return false;
}

static int __init system_heap_init(void)
{
	const char *wc_why = NULL;
	unsigned int registered = 0;
	size_t i;
	int ret;

	if (system_heap_wants_wc())
		wc_why = system_heap_wc_setup();
	for (i = 0; i < ARRAY_SIZE(system_heap_variants); i++) {
		struct system_heap_variant *v = &system_heap_variants[i];
		struct dmaheap_info info = {
			.name = *v->name,
			.ops = &system_heap_ops,
			.priv = v,
			.props = v->props,
			.groups = system_heap_groups,
		};
		const char *why;

		if (!*v->name || !**v->name)
			continue;
		why = system_heap_unsupported(v, wc_why);
		if (why) {
			pr_notice("heap '%s' not registered: %s\n", *v->name,
				  why);
			continue;
		}
		ret = system_pool_init(&v->pool, *v->name, v->attr_ops);
		if (ret)
			goto unregister;
		v->heap = dmaheap_register(&info);
		if (IS_ERR(v->heap)) {
			ret = PTR_ERR(v->heap);
			v->heap = NULL;
			pr_err("cannot register heap '%s': %d\n", *v->name, ret);
			system_pool_destroy(&v->pool);
			goto unregister;
		}
		registered++;
	}
	if (!registered) {
		pr_err("no heap to register\n");
		ret = -ENODEV;
		goto teardown_wc;
	}
	return 0;

unregister:
	system_heap_unregister_all();
teardown_wc:
	system_heap_wc_teardown();
	return ret;
}

static void __exit system_heap_exit(void)
{
	/* Pools first: their worker may still maintain caches. */
	system_heap_unregister_all();
	system_heap_wc_teardown();
}

module_init(system_heap_init);
module_exit(system_heap_exit);

MODULE_DESCRIPTION("dmaheap system heaps: zeroed pages, cached or write-combined, anywhere or below 4 GiB");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMAHEAP_NS(DMAHEAP));
MODULE_IMPORT_NS(DMAHEAP_NS(DMA_BUF));
