// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap carveout heap: buffers from physical ranges kept away from the
 * kernel at boot.
 *
 * Each range given in the ranges= parameter becomes one heap.  The range
 * must be reserved on the kernel command line with memmap=SIZE$BASE: the
 * kernel then never uses it, and the e820 map calls it reserved rather
 * than RAM.  The heap hands out physically contiguous, zeroed pieces of it
 * with a bitmap allocator (struct dmaheap_range); the buffer lifecycle is
 * the shared contiguous-buffer helper's (dmaheap/contig.h).
 *
 * Struct pages.  The shared exporter needs a struct page behind every page
 * of a buffer.  A reserved range has them only when its sparsemem section
 * (128 MiB on x86-64) also holds RAM: the kernel then builds the memory map
 * for the whole section and marks the pages in the hole PageReserved.  The
 * module checks pfn_valid() and PageReserved() for every page at load and
 * refuses the range otherwise, so keep carveouts inside a section that has
 * RAM around them (e.g. memmap=64M$64M: the first section always has RAM).
 *
 * Kernel access.  A reserved range is not in the kernel's linear mapping,
 * so page_address() of its pages points at nothing.  The heap maps each
 * range once at load with memremap(MEMREMAP_WB) and zeroes through that
 * mapping; on x86 this registers the range as write-back with PAT, the same
 * type the shared exporter uses for mmap and vmap, so no mapping of the
 * range ever conflicts.  Devices that would need bounce buffers for the
 * range (a DMA mask below it, without an IOMMU, or swiotlb=force) cannot
 * map it, since swiotlb copies through the linear mapping: place carveouts
 * low.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <dmaheap/buffer.h>
#include <dmaheap/compat.h>
#include <dmaheap/contig.h>
#include <dmaheap/heap.h>
#include <dmaheap/parse.h>
#include <dmaheap/range.h>

/* Most ranges (and so heaps) one module instance serves. */
#define CARVEOUT_MAX_HEAPS	8

static char *ranges;
module_param(ranges, charp, 0444);
MODULE_PARM_DESC(ranges,
		 "Reserved ranges, one heap each: [NAME=]SIZE@BASE[,...] (K/M/G suffixes, 0x for hex); reserve each at boot with memmap=SIZE$BASE");

static unsigned int align_max = 8;
module_param(align_max, uint, 0444);
MODULE_PARM_DESC(align_max,
		 "Buffers are aligned to their own order, at most this order (default 8: 1 MiB with 4 KiB pages)");

/**
 * struct carveout_heap - one reserved range and its heap
 * @contig:	What the shared contiguous-buffer helper needs; the heap's
 *		private data.
 * @name:	Heap name.
 * @base:	Physical address of the range.
 * @size:	Size of the range in bytes.
 * @range:	Allocator over the range's page frames.
 * @res:	The range claimed in the iomem resource tree.
 * @heap:	The registered heap.
 */
struct carveout_heap {
	struct dmaheap_contig contig;
	char name[DMAHEAP_NAME_MAX + 1];
	phys_addr_t base;
	u64 size;
	struct dmaheap_range range;
	struct resource *res;
	struct dmaheap *heap;
};

static struct carveout_heap *carveouts[CARVEOUT_MAX_HEAPS];
static unsigned int ncarveouts;

static long carveout_take(struct dmaheap_contig *c, unsigned long npages,
			  unsigned long *cookie, bool *zeroed)
{
	return dmaheap_contig_range_take(c, npages, zeroed);
}

static void carveout_give(struct dmaheap_contig *c, unsigned long pfn,
			  unsigned long npages, unsigned long cookie)
{
	dmaheap_contig_range_give(c, pfn, npages);
}

static const struct dmaheap_contig_ops carveout_contig_ops = {
	.take = carveout_take,
	.give = carveout_give,
};

static const struct dmaheap_ops carveout_heap_ops = {
	.allocate = dmaheap_contig_allocate,
};

/* sysfs: /sys/class/dmaheap/<name>/{base,size,free_bytes,largest_*} */

static ssize_t base_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct dmaheap_contig *c = dmaheap_priv(dmaheap_from_dev(dev));

	/* Decimal, like every other number in the heap's directory. */
	return sysfs_emit(buf, "%llu\n",
			  (u64)container_of(c, struct carveout_heap,
					    contig)->base);
}
static DEVICE_ATTR_RO(base);

DMAHEAP_CONTIG_USAGE_ATTR(size, DMAHEAP_CONTIG_SIZE);
DMAHEAP_CONTIG_USAGE_ATTR(free_bytes, DMAHEAP_CONTIG_FREE);
DMAHEAP_CONTIG_USAGE_ATTR(largest_free, DMAHEAP_CONTIG_LARGEST_FREE);
DMAHEAP_CONTIG_USAGE_ATTR(largest_alloc, DMAHEAP_CONTIG_LARGEST_ALLOC);
DMAHEAP_CONTIG_USAGE_ATTR(zeroed_bytes, DMAHEAP_CONTIG_ZEROED);

static struct attribute *carveout_heap_attrs[] = {
	&dev_attr_base.attr,
	&dev_attr_size.attr,
	&dev_attr_free_bytes.attr,
	&dev_attr_largest_free.attr,
	&dev_attr_largest_alloc.attr,
	&dev_attr_zeroed_bytes.attr,
	NULL,
};

static const struct attribute_group carveout_heap_group = {
	.attrs = carveout_heap_attrs,
};

static const struct attribute_group *carveout_heap_groups[] = {
	&carveout_heap_group,
	NULL,
};

/* Setup -------------------------------------------------------------------- */

/*
 * The range must be reserved (not System RAM), and every page must have a
 * struct page that nobody else owns.
 */
static int carveout_check_range(const char *name, phys_addr_t base, u64 size)
{
	unsigned long pfn, end_pfn;

	if (!size || !PAGE_ALIGNED(base) || !PAGE_ALIGNED(size) ||
	    base + size - 1 < base) {
		pr_err("%s: range %#llx+%#llx is empty, not page-aligned or wraps\n",
		       name, (u64)base, size);
		return -EINVAL;
	}
	if (region_intersects(base, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("%s: range %#llx+%#llx overlaps System RAM; reserve it at boot with memmap=SIZE$BASE\n",
		       name, (u64)base, size);
		return -EINVAL;
	}
	end_pfn = PHYS_PFN(base + size);
	for (pfn = PHYS_PFN(base); pfn < end_pfn; pfn++) {
		if (!pfn_valid(pfn)) {
			pr_err("%s: no struct page for pfn %#lx; place the range inside a memory section that also holds RAM\n",
			       name, pfn);
			return -EINVAL;
		}
		if (!PageReserved(pfn_to_page(pfn))) {
			pr_err("%s: page at pfn %#lx is not reserved memory\n",
			       name, pfn);
			return -EINVAL;
		}
	}
	return 0;
}

static void carveout_destroy(struct carveout_heap *ch)
{
	dmaheap_contig_scrub_stop(&ch->contig);
	memunmap(ch->contig.vaddr);
	dmaheap_range_destroy(&ch->range);
	release_mem_region(ch->base, ch->size);
	kfree(ch);
}

static int carveout_busy_found(struct resource *res, void *arg)
{
	return 1;
}

/*
 * request_mem_region() returns NULL both when the range, or part of it, is
 * claimed already and when it cannot allocate its struct resource: -EBUSY
 * when a claimed (busy) memory resource overlaps the range, else -ENOMEM.
 */
static int carveout_claim_error(phys_addr_t base, u64 size)
{
	if (walk_iomem_res_desc(IORES_DESC_NONE,
				IORESOURCE_MEM | IORESOURCE_BUSY, base,
				base + size - 1, NULL, carveout_busy_found) > 0)
		return -EBUSY;
	return -ENOMEM;
}

/* Claim, check and map one range; the heap is registered later. */
static int carveout_setup(const char *name, phys_addr_t base, u64 size)
{
	struct carveout_heap *ch;
	struct dmaheap *other;
	unsigned int i;
	int ret;

	for (i = 0; i < ncarveouts; i++) {
		if (!strcmp(carveouts[i]->name, name)) {
			pr_err("%s: name given twice\n", name);
			return -EINVAL;
		}
		if (base < carveouts[i]->base + carveouts[i]->size &&
		    carveouts[i]->base < base + size) {
			pr_err("%s: range overlaps heap %s\n", name,
			       carveouts[i]->name);
			return -EINVAL;
		}
	}
	other = dmaheap_find(name);
	if (other) {
		dmaheap_put(other);
		pr_err("%s: a heap of that name exists already\n", name);
		return -EEXIST;
	}
	ret = carveout_check_range(name, base, size);
	if (ret)
		return ret;

	ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	if (!ch)
		return -ENOMEM;
	/* A longer name would be registered cut short, not refused. */
	if (strscpy(ch->name, name, sizeof(ch->name)) < 0) {
		pr_err("%s: name longer than %d characters\n", name,
		       DMAHEAP_NAME_MAX);
		ret = -EINVAL;
		goto free_heap;
	}
	ch->base = base;
	ch->size = size;

	ch->res = request_mem_region(base, size, "dmaheap carveout");
	if (!ch->res) {
		ret = carveout_claim_error(base, size);
		if (ret == -EBUSY)
			pr_err("%s: range %#llx+%#llx is claimed by another driver\n",
			       name, (u64)base, size);
		goto free_heap;
	}
	ret = dmaheap_range_init(&ch->range, PHYS_PFN(base), PHYS_PFN(size),
				 align_max);
	if (ret)
		goto release_region;
	ch->contig.vaddr = memremap(base, size, MEMREMAP_WB);
	if (!ch->contig.vaddr) {
		pr_err("%s: cannot map range %#llx+%#llx\n", name, (u64)base,
		       size);
		ret = -ENOMEM;
		goto destroy_range;
	}
	ch->contig.ops = &carveout_contig_ops;
	ch->contig.range = &ch->range;
	ch->contig.map_pfn = PHYS_PFN(base);
	ch->contig.buf_flags = DMAHEAP_BUF_NO_LINEAR_MAP;
	/* Zeroed in the background, now and whenever a buffer gives some back. */
	ret = dmaheap_contig_scrub_start(&ch->contig, name);
	if (ret)
		goto unmap_range;
	carveouts[ncarveouts++] = ch;
	return 0;

unmap_range:
	memunmap(ch->contig.vaddr);
destroy_range:
	dmaheap_range_destroy(&ch->range);
release_region:
	release_mem_region(base, size);
free_heap:
	kfree(ch);
	return ret;
}

static int carveout_register(struct carveout_heap *ch)
{
	struct dmaheap_info info = {
		.name = ch->name,
		.ops = &carveout_heap_ops,
		.priv = &ch->contig,
		.props = DMAHEAP_PROP_CONTIGUOUS | DMAHEAP_PROP_CARVEOUT,
		.limit = ch->size,
		.groups = carveout_heap_groups,
	};

	ch->heap = dmaheap_register(&info);
	if (IS_ERR(ch->heap)) {
		pr_err("%s: cannot register the heap: %ld\n", ch->name,
		       PTR_ERR(ch->heap));
		return PTR_ERR(ch->heap);
	}
	pr_info("heap '%s': %llu KiB at %#llx\n", ch->name, ch->size >> 10,
		(u64)ch->base);
	return 0;
}

/* Parse one "[NAME=]SIZE@BASE" entry and set its range up. */
static int carveout_parse_one(char *spec, unsigned int index, void *data)
{
	char defname[DMAHEAP_NAME_MAX + 1];
	const char *end;
	char *name, *p;
	u64 size, base;

	if (index == CARVEOUT_MAX_HEAPS) {
		pr_err("at most %d ranges\n", CARVEOUT_MAX_HEAPS);
		return -EINVAL;
	}
	p = strchr(spec, '=');
	if (p) {
		*p++ = '\0';
		name = spec;
	} else {
		p = spec;
		if (index)
			snprintf(defname, sizeof(defname), "carveout%u", index);
		else
			strscpy(defname, "carveout", sizeof(defname));
		name = defname;
	}
	if (dmaheap_parse_bytes(p, &end, DMAHEAP_PARSE_HEX, &size) ||
	    *end != '@' ||
	    dmaheap_parse_bytes(end + 1, &end, DMAHEAP_PARSE_HEX, &base) || *end)
		goto bad;
	return carveout_setup(name, base, size);

bad:
	pr_err("bad range '%s': expected [NAME=]SIZE@BASE\n", spec);
	return -EINVAL;
}

/* Unregister the first @nregistered heaps, then free every range. */
static void carveout_heap_teardown(unsigned int nregistered)
{
	while (ncarveouts) {
		struct carveout_heap *ch = carveouts[--ncarveouts];

		if (ncarveouts < nregistered)
			dmaheap_unregister(ch->heap);
		carveout_destroy(ch);
	}
}

static int __init carveout_heap_init(void)
{
	unsigned int i = 0;
	int ret;

	if (!ranges || !*ranges) {
		pr_err("no ranges= given (e.g. ranges=64M@64M with memmap=64M$64M at boot)\n");
		return -EINVAL;
	}
	/* Every range is checked before any heap becomes visible. */
	ret = dmaheap_parse_list(ranges, ',', carveout_parse_one, NULL);
	if (!ret && !ncarveouts)
		ret = -EINVAL;
	if (ret)
		goto teardown;
	for (i = 0; i < ncarveouts; i++) {
		ret = carveout_register(carveouts[i]);
		if (ret)
			goto teardown;
	}
	return 0;

teardown:
	carveout_heap_teardown(i);
	return ret;
}

static void __exit carveout_heap_exit(void)
{
	carveout_heap_teardown(ncarveouts);
}

module_init(carveout_heap_init);
module_exit(carveout_heap_exit);

MODULE_DESCRIPTION("dmaheap carveout heap: contiguous buffers from reserved physical ranges");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMAHEAP_NS(DMAHEAP));
MODULE_IMPORT_NS(DMAHEAP_NS(DMA_BUF));
