// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap carveout heap: buffers from physical ranges kept away from the
 * kernel at boot.
 *
 * Each range given in the ranges= parameter becomes one heap.  The range
 * must be reserved on the kernel command line with memmap=SIZE$BASE: the
 * kernel then never uses it, and the e820 map calls it reserved rather
 * than RAM.  The heap hands out physically contiguous, zeroed pieces of it
 * with a bitmap allocator (struct pfn_range).
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
 * range (a DMA mask below it, without an IOMMU) cannot use it, since
 * swiotlb copies through the linear mapping: place carveouts low.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <dmaheap/buffer.h>
#include <dmaheap/compat.h>
#include <dmaheap/heap.h>

#include "pfn_range.h"

/* Most ranges (and so heaps) one module instance serves. */
#define CARVEOUT_MAX_HEAPS	8

/* Bytes zeroed between checks for rescheduling and fatal signals. */
#define CARVEOUT_ZERO_CHUNK	SZ_1M

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
 * @name:	Heap name.
 * @base:	Physical address of the range.
 * @size:	Size of the range in bytes.
 * @range:	Allocator over the range's page frames.
 * @vaddr:	Write-back kernel mapping of the whole range.
 * @res:	The range claimed in the iomem resource tree.
 * @heap:	The registered heap.
 */
struct carveout_heap {
	char name[DMAHEAP_NAME_MAX + 1];
	phys_addr_t base;
	u64 size;
	struct pfn_range range;
	void *vaddr;
	struct resource *res;
	struct dmaheap *heap;
};

/**
 * struct carveout_heap_buffer - a carveout buffer
 * @buf:	The common part, handed to the shared exporter.
 * @ch:		The carveout it came from.
 * @pfn:	First page frame.
 * @npages:	Number of page frames.
 */
struct carveout_heap_buffer {
	struct dmaheap_buffer buf;
	struct carveout_heap *ch;
	unsigned long pfn;
	unsigned long npages;
};

static struct carveout_heap *carveouts[CARVEOUT_MAX_HEAPS];
static unsigned int ncarveouts;

static void carveout_heap_free(struct dmaheap_buffer *dbuf)
{
	struct carveout_heap_buffer *buffer =
		container_of(dbuf, struct carveout_heap_buffer, buf);

	sg_free_table(&dbuf->sgt);
	pfn_range_free(&buffer->ch->range, buffer->pfn, buffer->npages);
	kfree(buffer);
}

static const struct dmaheap_buffer_ops carveout_heap_buffer_ops = {
	.free = carveout_heap_free,
};

static int carveout_heap_zero(struct carveout_heap *ch, unsigned long pfn,
			      size_t len)
{
	u8 *p = (u8 *)ch->vaddr +
		((phys_addr_t)(pfn - PHYS_PFN(ch->base)) << PAGE_SHIFT);
	size_t done, chunk;

	for (done = 0; done < len; done += chunk) {
		if (fatal_signal_pending(current))
			return -EINTR;
		chunk = min_t(size_t, len - done, CARVEOUT_ZERO_CHUNK);
		memset(p + done, 0, chunk);
		cond_resched();
	}
	return 0;
}

static struct dma_buf *carveout_heap_allocate(struct dmaheap *heap,
					      size_t len, u32 fd_flags,
					      u64 heap_flags)
{
	struct carveout_heap *ch = dmaheap_priv(heap);
	struct carveout_heap_buffer *buffer;
	struct dma_buf *dmabuf;
	long pfn;
	int ret;

	buffer = kzalloc(sizeof(*buffer), GFP_KERNEL);
	if (!buffer)
		return ERR_PTR(-ENOMEM);
	buffer->ch = ch;
	buffer->npages = len >> PAGE_SHIFT;

	pfn = pfn_range_alloc(&ch->range, buffer->npages);
	if (pfn < 0) {
		ret = pfn;
		goto free_buffer;
	}
	buffer->pfn = pfn;

	ret = carveout_heap_zero(ch, buffer->pfn, len);
	if (ret)
		goto free_range;

	ret = pfn_range_fill_sgt(&buffer->buf.sgt, buffer->pfn,
				 buffer->npages);
	if (ret)
		goto free_range;

	dmaheap_buffer_init(&buffer->buf, heap, &carveout_heap_buffer_ops, len);

	dmabuf = dmaheap_buffer_export(&buffer->buf, fd_flags);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto free_table;
	}
	return dmabuf;

free_table:
	sg_free_table(&buffer->buf.sgt);
free_range:
	pfn_range_free(&ch->range, buffer->pfn, buffer->npages);
free_buffer:
	kfree(buffer);
	return ERR_PTR(ret);
}

static const struct dmaheap_ops carveout_heap_ops = {
	.allocate = carveout_heap_allocate,
};

/* sysfs: /sys/class/dmaheap/<name>/{base,size,free_bytes,largest_*} */

static struct carveout_heap *carveout_from_dev(struct device *dev)
{
	return dmaheap_priv(dmaheap_from_dev(dev));
}

static ssize_t base_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	/* Decimal, like every other number in the heap's directory. */
	return sysfs_emit(buf, "%llu\n", (u64)carveout_from_dev(dev)->base);
}
static DEVICE_ATTR_RO(base);

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%llu\n", carveout_from_dev(dev)->size);
}
static DEVICE_ATTR_RO(size);

enum carveout_usage_field { CARVEOUT_FREE, CARVEOUT_LARGEST_FREE,
			    CARVEOUT_LARGEST_ALLOC };

static ssize_t carveout_usage_show(struct device *dev, char *buf,
				   enum carveout_usage_field field)
{
	struct pfn_range_usage u;
	unsigned long pages;

	pfn_range_usage(&carveout_from_dev(dev)->range, &u);
	switch (field) {
	case CARVEOUT_FREE:
		pages = u.free;
		break;
	case CARVEOUT_LARGEST_FREE:
		pages = u.largest_free;
		break;
	default:
		pages = u.largest_alloc;
		break;
	}
	return sysfs_emit(buf, "%llu\n", (u64)pages << PAGE_SHIFT);
}

static ssize_t free_bytes_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return carveout_usage_show(dev, buf, CARVEOUT_FREE);
}
static DEVICE_ATTR_RO(free_bytes);

static ssize_t largest_free_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return carveout_usage_show(dev, buf, CARVEOUT_LARGEST_FREE);
}
static DEVICE_ATTR_RO(largest_free);

static ssize_t largest_alloc_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return carveout_usage_show(dev, buf, CARVEOUT_LARGEST_ALLOC);
}
static DEVICE_ATTR_RO(largest_alloc);

static struct attribute *carveout_heap_attrs[] = {
	&dev_attr_base.attr,
	&dev_attr_size.attr,
	&dev_attr_free_bytes.attr,
	&dev_attr_largest_free.attr,
	&dev_attr_largest_alloc.attr,
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
	memunmap(ch->vaddr);
	pfn_range_destroy(&ch->range);
	release_mem_region(ch->base, ch->size);
	kfree(ch);
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
		pr_err("%s: range %#llx+%#llx is claimed by another driver\n",
		       name, (u64)base, size);
		ret = -EBUSY;
		goto free_heap;
	}
	ret = pfn_range_init(&ch->range, PHYS_PFN(base), PHYS_PFN(size),
			     align_max);
	if (ret)
		goto release_region;
	ch->vaddr = memremap(base, size, MEMREMAP_WB);
	if (!ch->vaddr) {
		pr_err("%s: cannot map range %#llx+%#llx\n", name, (u64)base,
		       size);
		ret = -ENOMEM;
		goto destroy_range;
	}
	carveouts[ncarveouts++] = ch;
	return 0;

destroy_range:
	pfn_range_destroy(&ch->range);
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
		.priv = ch,
		.props = DMAHEAP_PROP_CONTIGUOUS,
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
static int carveout_parse_one(char *spec, unsigned int index)
{
	char defname[DMAHEAP_NAME_MAX + 1];
	char *name, *p, *end;
	u64 size, base;

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
	size = memparse(p, &end);
	if (end == p || *end != '@')
		goto bad;
	p = end + 1;
	base = memparse(p, &end);
	if (end == p || *end)
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

static int carveout_heap_parse(void)
{
	char *copy, *cur, *spec;
	unsigned int index = 0;
	int ret = 0;

	copy = kstrdup(ranges, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	while ((spec = strsep(&cur, ",")) != NULL) {
		if (!*spec)
			continue;
		if (index == CARVEOUT_MAX_HEAPS) {
			pr_err("at most %d ranges\n", CARVEOUT_MAX_HEAPS);
			ret = -EINVAL;
			break;
		}
		ret = carveout_parse_one(spec, index++);
		if (ret)
			break;
	}
	kfree(copy);
	return ret;
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
	ret = carveout_heap_parse();
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
