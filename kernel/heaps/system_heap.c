// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap system heap: zeroed pages from the page allocator.
 *
 * A buffer is built from the largest chunks the buddy allocator can hand out
 * cheaply (order 8, then 4), topped up with single pages.  Order 8 is tried
 * without any reclaim and order 4 with one light pass (__GFP_NORETRY: no
 * retries), so a busy system falls back to small pages instead of stalling;
 * single pages may reclaim harder but never wake the OOM killer, so an
 * unsatisfiable request ends in -ENOMEM.
 *
 * system_uncached_heap.c builds this file a second time, with
 * SYSTEM_HEAP_UNCACHED defined, as the "system-uncached" heap: the same
 * pages, mapped write-combined.  That variant supplies the hooks declared
 * below; for this heap they do nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include <dmaheap/buffer.h>
#include <dmaheap/compat.h>
#include <dmaheap/heap.h>

#ifdef SYSTEM_HEAP_UNCACHED
#define SYSTEM_HEAP_NAME	"system-uncached"
/* The kernel mapping of every page changes type, so it needs one. */
#define SYSTEM_HEAP_GFP		GFP_USER
#define SYSTEM_HEAP_PROPS	DMAHEAP_PROP_UNCACHED
#define SYSTEM_HEAP_DESC	"write-combined zeroed pages from the page allocator"
#else
#define SYSTEM_HEAP_NAME	"system"
#define SYSTEM_HEAP_GFP		GFP_HIGHUSER
#define SYSTEM_HEAP_PROPS	0
#define SYSTEM_HEAP_DESC	"zeroed pages from the page allocator"
#endif

/**
 * struct system_heap_buffer - a system heap buffer
 * @buf: the common part, handed to the shared exporter
 * @pages: system-uncached: every page of the buffer, for the page
 *	attribute calls at allocation and free
 * @npages: system-uncached: number of entries in @pages
 */
struct system_heap_buffer {
	struct dmaheap_buffer buf;
	struct page **pages;
	unsigned int npages;
};

#ifdef SYSTEM_HEAP_UNCACHED
static int system_heap_variant_init(void);
static int system_heap_prepare(struct system_heap_buffer *buffer);
static int system_heap_restore(struct system_heap_buffer *buffer);
#else
static inline int system_heap_variant_init(void)
{
	return 0;
}

/*
 * Called once the sg_table is complete, before export.  Whether it succeeds
 * or fails, system_heap_restore() runs before the pages are freed.
 */
static inline int system_heap_prepare(struct system_heap_buffer *buffer)
{
	return 0;
}

/* Called before the pages go back; on failure they are leaked instead. */
static inline int system_heap_restore(struct system_heap_buffer *buffer)
{
	return 0;
}
#endif

struct system_heap_order {
	unsigned int order;
	gfp_t gfp;
};

/* Largest first; each order is given up for good once it fails. */
static const struct system_heap_order system_heap_orders[] = {
	{ 8, (SYSTEM_HEAP_GFP | __GFP_ZERO | __GFP_NOWARN | __GFP_NORETRY) &
	     ~__GFP_RECLAIM },
	{ 4, SYSTEM_HEAP_GFP | __GFP_ZERO | __GFP_NOWARN | __GFP_NORETRY },
	{ 0, SYSTEM_HEAP_GFP | __GFP_ZERO | __GFP_NOWARN | __GFP_RETRY_MAYFAIL },
};

static char *name = SYSTEM_HEAP_NAME;
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "Heap node name under /dev/dma_heap (default \"" SYSTEM_HEAP_NAME "\")");

static struct dmaheap *system_heap;

static void system_heap_free_pages(struct list_head *pages)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, pages, lru) {
		list_del(&page->lru);
		__free_pages(page, page_private(page));
	}
}

static void system_heap_free(struct dmaheap_buffer *dbuf)
{
	struct system_heap_buffer *buffer =
		container_of(dbuf, struct system_heap_buffer, buf);
	struct scatterlist *sg;
	unsigned int i;

	if (!system_heap_restore(buffer))
		for_each_sgtable_sg(&dbuf->sgt, sg, i)
			__free_pages(sg_page(sg), get_order(sg->length));
	sg_free_table(&dbuf->sgt);
	kfree(buffer);
}

static const struct dmaheap_buffer_ops system_heap_buffer_ops = {
	.free = system_heap_free,
};

/*
 * Collect pages for @len bytes on @pages, largest orders first.  Each page's
 * order is kept in page_private() until the sg_table is built.
 */
static int system_heap_collect(struct list_head *pages, size_t len,
			       unsigned int *count)
{
	size_t left = len;
	unsigned int i = 0;

	while (left) {
		const struct system_heap_order *o = &system_heap_orders[i];
		size_t chunk = PAGE_SIZE << o->order;
		struct page *page;

		if (fatal_signal_pending(current))
			return -EINTR;
		if (chunk > left) {
			i++;
			continue;
		}
		page = alloc_pages(o->gfp, o->order);
		if (!page) {
			if (i == ARRAY_SIZE(system_heap_orders) - 1)
				return -ENOMEM;
			i++;
			continue;
		}
		set_page_private(page, o->order);
		list_add_tail(&page->lru, pages);
		left -= chunk;
		(*count)++;
		cond_resched();
	}
	return 0;
}

static struct dma_buf *system_heap_allocate(struct dmaheap *heap, size_t len,
					    u32 fd_flags, u64 heap_flags)
{
	struct system_heap_buffer *buffer;
	struct page *page, *tmp;
	struct dma_buf *dmabuf;
	struct scatterlist *sg;
	unsigned int count = 0, i;
	LIST_HEAD(pages);
	int ret;

	/* Do not even start what cannot finish without pushing others out. */
	if (len >> PAGE_SHIFT > si_mem_available())
		return ERR_PTR(-ENOMEM);

	buffer = kzalloc(sizeof(*buffer), GFP_KERNEL);
	if (!buffer)
		return ERR_PTR(-ENOMEM);
	dmaheap_buffer_init(&buffer->buf, heap, &system_heap_buffer_ops, len);

	ret = system_heap_collect(&pages, len, &count);
	if (ret)
		goto free_pages;

	ret = sg_alloc_table(&buffer->buf.sgt, count, GFP_KERNEL);
	if (ret)
		goto free_pages;
	sg = buffer->buf.sgt.sgl;
	list_for_each_entry_safe(page, tmp, &pages, lru) {
		sg_set_page(sg, page, PAGE_SIZE << page_private(page), 0);
		set_page_private(page, 0);
		list_del(&page->lru);
		sg = sg_next(sg);
	}

	/* On failure restore() still decides whether the pages can go back. */
	ret = system_heap_prepare(buffer);
	if (ret)
		goto restore_pages;

	dmabuf = dmaheap_buffer_export(&buffer->buf, fd_flags);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto restore_pages;
	}
	return dmabuf;

restore_pages:
	if (system_heap_restore(buffer))
		goto free_table;
	for_each_sgtable_sg(&buffer->buf.sgt, sg, i)
		__free_pages(sg_page(sg), get_order(sg->length));
free_table:
	sg_free_table(&buffer->buf.sgt);
free_pages:
	system_heap_free_pages(&pages);
	kfree(buffer);
	return ERR_PTR(ret);
}

static const struct dmaheap_ops system_heap_ops = {
	.allocate = system_heap_allocate,
};

static int __init system_heap_init(void)
{
	struct dmaheap_info info = {
		.name = name,
		.ops = &system_heap_ops,
		.props = SYSTEM_HEAP_PROPS,
	};
	int ret;

	ret = system_heap_variant_init();
	if (ret)
		return ret;
	system_heap = dmaheap_register(&info);
	return PTR_ERR_OR_ZERO(system_heap);
}

static void __exit system_heap_exit(void)
{
	dmaheap_unregister(system_heap);
}

module_init(system_heap_init);
module_exit(system_heap_exit);

MODULE_DESCRIPTION("dmaheap " SYSTEM_HEAP_NAME " heap: " SYSTEM_HEAP_DESC);
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMAHEAP_NS(DMAHEAP));
MODULE_IMPORT_NS(DMAHEAP_NS(DMA_BUF));
