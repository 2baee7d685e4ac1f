// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap system-uncached heap: the system heap's zeroed pages, mapped
 * write-combined for userspace (mmap) and for the kernel (vmap), and
 * mapped for devices without CPU cache maintenance.
 *
 * The allocator is system_heap.c, built a second time into this module;
 * this file adds what changes the memory type of the pages.
 *
 * x86 and PAT.  A page must not be mapped with two different cache types at
 * once: the CPU's behaviour is undefined if the linear mapping says
 * write-back while a user mapping says write-combined, and the kernel's PAT
 * code enforces the rule.  When a RAM page is mapped into userspace with
 * remap_pfn_range(), PAT looks up the type recorded for that page: if it is
 * not the requested write-combined type it complains in the kernel log and
 * maps write-back instead (or, for a partial remap, silently follows the
 * recorded type).  So before export every page goes through
 * set_pages_array_wc(), which records write-combined for the page and
 * switches its linear mapping to it; at free, set_pages_array_wb() switches
 * it back and drops the record, and only then does the page return to the
 * page allocator.
 *
 * Flushing.  The pages are zeroed through the cached linear mapping, so the
 * zeroes may still sit in the CPU caches.  set_pages_array_wc() changes the
 * linear mapping's cache bits through the kernel's change_page_attr code,
 * which, whenever the cache type changes, writes back and invalidates every
 * page it changed (clflush per line, or wbinvd without CLFLUSH) after
 * flushing the TLBs.  That is the one flush at allocation: afterwards no
 * cacheable mapping of the pages exists, and devices read zeroes.
 */
#define SYSTEM_HEAP_UNCACHED

#include "system_heap.c"

#include <linux/mm.h>
#include <linux/slab.h>
#ifdef CONFIG_X86
#include <asm/set_memory.h>
#endif

static int system_heap_variant_init(void)
{
	if (!IS_ENABLED(CONFIG_X86)) {
		pr_err("write-combined page attributes are only implemented for x86\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

#ifdef CONFIG_X86
static int system_heap_set_wc(struct page **pages, unsigned int npages)
{
	return set_pages_array_wc(pages, npages);
}

static int system_heap_set_wb(struct page **pages, unsigned int npages)
{
	return set_pages_array_wb(pages, npages);
}
#else
static int system_heap_set_wc(struct page **pages, unsigned int npages)
{
	return -EOPNOTSUPP;
}

static int system_heap_set_wb(struct page **pages, unsigned int npages)
{
	return 0;
}
#endif

static int system_heap_prepare(struct system_heap_buffer *buffer)
{
	unsigned long npages = buffer->buf.len >> PAGE_SHIFT;
	struct sg_page_iter piter;
	unsigned int i = 0;
	int ret;

	/* The page attribute API counts pages in an int. */
	if (npages > INT_MAX)
		return -ENOMEM;
	buffer->pages = kvmalloc_array(npages, sizeof(*buffer->pages),
				       GFP_KERNEL);
	if (!buffer->pages)
		return -ENOMEM;
	for_each_sgtable_page(&buffer->buf.sgt, &piter, 0) {
		if (WARN_ON(i >= npages))
			break;
		buffer->pages[i++] = sg_page_iter_page(&piter);
	}
	buffer->npages = i;

	/* Also flushes the zeroed pages out of the CPU caches. */
	ret = system_heap_set_wc(buffer->pages, buffer->npages);
	if (ret)
		return ret;
	buffer->buf.uncached = true;
	return 0;
}

/*
 * Back to write-back before the pages are freed.  Run also after a failed
 * prepare (set_pages_array_wb() is safe on pages that never became
 * write-combined).  If the linear mapping cannot be restored the pages
 * must never be reused, so they are leaked.
 */
static int system_heap_restore(struct system_heap_buffer *buffer)
{
	int ret;

	if (!buffer->pages)
		return 0;
	ret = system_heap_set_wb(buffer->pages, buffer->npages);
	if (ret)
		pr_err("cannot restore write-back caching of %u pages (%d); leaking them\n",
		       buffer->npages, ret);
	kvfree(buffer->pages);
	buffer->pages = NULL;
	return ret;
}
