// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap CMA heap: buffers from the kernel's default CMA area, taken by
 * the kernel's own CMA allocator.
 *
 * Kernels built with CONFIG_DMA_CMA reserve a contiguous memory area at
 * boot (Debian's arm64 kernel: 64 MiB, or what cma= on the command line
 * says), lend it to movable allocations and migrate them out when a device
 * needs contiguous memory.  Upstream's CMA heap hands that area to
 * userspace; Debian 12's kernels have no DMA-BUF heaps, and this module
 * does the same job as the heap "default_cma_region" (upstream's name from
 * 6.17), with "linux,cma" and "reserved", the names older kernels gave it,
 * as aliases.
 *
 * Reaching the area from a module.  Debian's 6.1 kernel exports none of
 * cma_alloc(), cma_release(), cma_get_base(), cma_get_size(),
 * dma_contiguous_default_area or cma_for_each_area (docs/DESIGN.md has the
 * full list).  It does export the DMA API's dma_alloc_pages(), which for a
 * device that no IOMMU translates and that has no CMA area of its own asks
 * the kernel's CMA allocator for the default area (dma_alloc_contiguous(),
 * then cma_alloc()): the kernel's bitmap, its migration and its locking,
 * nothing of ours.  The module registers such a device, a bare platform
 * device with a 64-bit DMA mask and no firmware node, and allocates
 * through it.  dma_free_pages() gives the pages back to the area.
 *
 * Two consequences of going through the DMA API:
 *  - the kernel serves requests of one page from the page allocator rather
 *    than from the default area, so one-page requests take two pages (the
 *    second is handed back with the first);
 *  - when the area has no room, dma_alloc_pages() quietly falls back to the
 *    page allocator.  Those pages must not pass for CMA memory: the heap
 *    would then give out memory from elsewhere instead of failing.  Pages
 *    from the CMA allocator come out of alloc_contig_range() with every
 *    page referenced; a fallback allocation of two or more pages is one
 *    non-compound block whose tail pages have no reference of their own.
 *    The heap checks the second page (every request has at least two) and
 *    returns a fallback at once, failing the request with -ENOMEM.  A load-
 *    time probe allocation checks that the allocator is reached at all.
 *
 * Buffers are zeroed (dma_alloc_pages() clears them), physically
 * contiguous and aligned to their order up to the kernel's
 * CONFIG_CMA_ALIGNMENT; their lifecycle (sg_table, export, release) is the
 * shared contiguous-buffer helper's (dmaheap/contig.h).
 *
 * sysfs: size and free_bytes are the kernel's own CMA counters (CmaTotal
 * and CmaFree in /proc/meminfo).  They describe every CMA area of the
 * kernel: the default one alone unless the device tree or cma_pernuma= add
 * others.  free_bytes counts free pages of the areas; pages that movable
 * allocations borrowed are not free in it, although the CMA allocator
 * would migrate them out.  The area's base cannot be read from a module:
 * the kernel prints it at boot ("cma: Reserved 64 MiB at 0x...").
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/platform_device.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmstat.h>

#include <dmaheap/compat.h>
#include <dmaheap/contig.h>
#include <dmaheap/heap.h>
#include <dmaheap/parse.h>

/* The fewest pages the kernel takes from the default area for a device. */
#define CMA_HEAP_MIN_PAGES	2

/*
 * Only the CMA allocator's answer counts (see above): the page allocator's
 * fallback is returned at once, so it should not try hard or complain.
 */
#define CMA_HEAP_GFP		(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)

static char *name = "default_cma_region";
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "Heap name (default default_cma_region)");

static char *aliases = "linux,cma:reserved";
module_param(aliases, charp, 0444);
MODULE_PARM_DESC(aliases,
		 "Further names for the same heap, separated by ':' (default linux,cma:reserved; empty: none)");

/**
 * struct cma_heap - the heap's state
 * @contig:	What the shared contiguous-buffer helper needs; the heap's
 *		private data.
 * @pdev:	The device through whose DMA allocations the heap reaches the
 *		default CMA area.
 * @heap:	The registered heap.
 */
struct cma_heap {
	struct dmaheap_contig contig;
	struct platform_device *pdev;
	struct dmaheap *heap;
};

static struct cma_heap cma;

/* Bytes asked of the DMA API for a buffer of @npages pages. */
static size_t cma_heap_alloc_size(unsigned long npages)
{
	return (size_t)max_t(unsigned long, npages, CMA_HEAP_MIN_PAGES)
		<< PAGE_SHIFT;
}

/*
 * Did @page (at least CMA_HEAP_MIN_PAGES pages) come from the CMA
 * allocator rather than from the page allocator's fallback?  See the top
 * of the file.
 */
static bool cma_heap_from_area(struct page *page)
{
	return page_ref_count(page + 1) != 0;
}

/* Frames for the shared helper ---------------------------------------------- */

static long cma_heap_take(struct dmaheap_contig *c, unsigned long npages,
			  unsigned long *cookie, bool *zeroed)
{
	size_t size = cma_heap_alloc_size(npages);
	struct device *dev = &cma.pdev->dev;
	dma_addr_t dma;
	struct page *page;

	page = dma_alloc_pages(dev, size, &dma, DMA_BIDIRECTIONAL,
			       CMA_HEAP_GFP);
	if (page && !cma_heap_from_area(page)) {
		dma_free_pages(dev, size, page, dma, DMA_BIDIRECTIONAL);
		page = NULL;
	}
	if (!page)
		return fatal_signal_pending(current) ? -EINTR : -ENOMEM;
	/* dma_alloc_pages() clears the memory. */
	*zeroed = true;
	*cookie = dma;
	return page_to_pfn(page);
}

static void cma_heap_give(struct dmaheap_contig *c, unsigned long pfn,
			  unsigned long npages, unsigned long cookie)
{
	dma_free_pages(&cma.pdev->dev, cma_heap_alloc_size(npages),
		       pfn_to_page(pfn), cookie, DMA_BIDIRECTIONAL);
}

static const struct dmaheap_contig_ops cma_heap_contig_ops = {
	.take = cma_heap_take,
	.give = cma_heap_give,
};

static const struct dmaheap_ops cma_heap_ops = {
	.allocate = dmaheap_contig_allocate,
};

/* sysfs: /sys/class/dmaheap/<name>/{size,free_bytes} -------------------------- */

/* Pages in the kernel's CMA areas: its CmaTotal. */
static unsigned long cma_heap_total_pages(void)
{
	unsigned long pages = 0;
	int nid, z;

	for_each_online_node(nid)
		for (z = 0; z < MAX_NR_ZONES; z++)
			pages += zone_cma_pages(&NODE_DATA(nid)->node_zones[z]);
	return pages;
}

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (u64)cma_heap_total_pages() << PAGE_SHIFT);
}
static DEVICE_ATTR_RO(size);

static ssize_t free_bytes_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (u64)global_zone_page_state(NR_FREE_CMA_PAGES)
			  << PAGE_SHIFT);
}
static DEVICE_ATTR_RO(free_bytes);

static struct attribute *cma_heap_attrs[] = {
	&dev_attr_size.attr,
	&dev_attr_free_bytes.attr,
	NULL,
};

static const struct attribute_group cma_heap_group = {
	.attrs = cma_heap_attrs,
};

static const struct attribute_group *cma_heap_groups[] = {
	&cma_heap_group,
	NULL,
};

/* Setup -------------------------------------------------------------------- */

/*
 * Check once that allocations through the device reach a CMA area: without
 * a default area (CMA_SIZE_MBYTES=0 and no cma=), or with one that is full
 * already, every request would fail.
 */
static int cma_heap_probe_area(void)
{
	unsigned long cookie;
	bool zeroed;
	long pfn;

	if (!cma_heap_total_pages()) {
		pr_err("the kernel has no CMA area (boot with cma=SIZE)\n");
		return -ENODEV;
	}
	pfn = cma_heap_take(&cma.contig, 1, &cookie, &zeroed);
	if (pfn < 0) {
		pr_err("DMA allocations do not reach a CMA area: no default area, or it is full\n");
		return -ENODEV;
	}
	cma_heap_give(&cma.contig, pfn, 1, cookie);
	return 0;
}

/* A device of our own: never translated, no CMA area of its own. */
static int cma_heap_create_device(void)
{
	int ret;

	cma.pdev = platform_device_register_simple(KBUILD_MODNAME,
						   PLATFORM_DEVID_NONE,
						   NULL, 0);
	if (IS_ERR(cma.pdev))
		return PTR_ERR(cma.pdev);
	/* Any address will do: the area decides where buffers lie. */
	ret = dma_set_mask_and_coherent(&cma.pdev->dev, DMA_BIT_MASK(64));
	if (ret) {
		platform_device_unregister(cma.pdev);
		return ret;
	}
	return 0;
}

/**
 * struct cma_heap_alias_list - the aliases= names, for dmaheap_register()
 * @names:	Copies of the names, NULL-terminated.
 * @n:		Entries in @names.
 */
struct cma_heap_alias_list {
	const char *names[DMAHEAP_MAX_ALIASES + 1];
	unsigned int n;
};

static int cma_heap_add_alias(char *alias, unsigned int index, void *data)
{
	struct cma_heap_alias_list *list = data;

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

static int cma_heap_register(void)
{
	struct cma_heap_alias_list list = { };
	struct dmaheap_info info = {
		.name = name,
		.aliases = list.names,
		.ops = &cma_heap_ops,
		.priv = &cma.contig,
		.props = DMAHEAP_PROP_CONTIGUOUS,
		.limit = (u64)cma_heap_total_pages() << PAGE_SHIFT,
		.groups = cma_heap_groups,
	};
	int ret;

	ret = dmaheap_parse_list(aliases, ':', cma_heap_add_alias, &list);
	if (!ret) {
		cma.heap = dmaheap_register(&info);
		ret = PTR_ERR_OR_ZERO(cma.heap);
		if (ret)
			pr_err("cannot register heap '%s': %d\n", name, ret);
		else
			pr_info("heap '%s': the kernel's CMA areas hold %llu KiB\n",
				name, info.limit >> 10);
	}
	while (list.n)
		kfree(list.names[--list.n]);
	return ret;
}

static int __init cma_heap_init(void)
{
	int ret;

	/* The DMA handle travels in the helper's cookie. */
	BUILD_BUG_ON(sizeof(dma_addr_t) > sizeof(unsigned long));

	cma.contig.ops = &cma_heap_contig_ops;
	ret = cma_heap_create_device();
	if (ret)
		return ret;
	ret = cma_heap_probe_area();
	if (ret)
		goto unregister_device;
	ret = cma_heap_register();
	if (ret)
		goto unregister_device;
	return 0;

unregister_device:
	platform_device_unregister(cma.pdev);
	return ret;
}

static void __exit cma_heap_exit(void)
{
	dmaheap_unregister(cma.heap);
	platform_device_unregister(cma.pdev);
}

module_init(cma_heap_init);
module_exit(cma_heap_exit);

MODULE_DESCRIPTION("dmaheap CMA heap: buffers from the kernel's default CMA area");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMAHEAP_NS(DMAHEAP));
MODULE_IMPORT_NS(DMAHEAP_NS(DMA_BUF));
