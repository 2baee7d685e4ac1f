// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap: the shared dma-buf exporter for page-backed heap buffers.
 *
 * Upstream repeats this code in every heap.  Here heaps describe their
 * memory as an sg_table of pages and this file does the rest: one sg_table
 * copy per attachment, DMA mapping, cache maintenance around CPU access,
 * mmap, vmap and release.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <dmaheap/buffer.h>
#include <dmaheap/compat.h>
#include <dmaheap/dma.h>
#include <dmaheap/heap.h>

/**
 * struct dmaheap_attachment - one device's view of a buffer
 * @dev:	The attached device.
 * @sgt:	Private copy of the buffer's sg_table, DMA-mapped for @dev
 *		while @mapped.
 * @list:	Entry in dmaheap_buffer::attachments.
 * @mapped:	Set between map and unmap; protected by the buffer's lock.
 * @dir:	Direction of the current mapping; CPU-access syncs use it, as
 *		the DMA API requires syncs to match the mapping.
 */
struct dmaheap_attachment {
	struct device *dev;
	struct sg_table sgt;
	struct list_head list;
	bool mapped;
	enum dma_data_direction dir;
};

/*
 * Longest piece an attachment's table holds for @dev: what the DMA layer
 * maps in one go (a run of bounce slots under swiotlb) and what the device
 * says one segment may be, in whole pages, and no more than an sg entry's
 * length can hold.
 */
static size_t dmaheap_seg_max(struct device *dev)
{
	size_t max = min_t(size_t, dma_max_mapping_size(dev),
			   dma_get_max_seg_size(dev));

	max = min_t(size_t, max, SZ_1G);
	return max_t(size_t, round_down(max, PAGE_SIZE), PAGE_SIZE);
}

/* Copy @src for one device, in pieces of at most @seg_max bytes. */
static int dmaheap_copy_sgt(struct sg_table *dst, const struct sg_table *src,
			    size_t seg_max)
{
	struct scatterlist *from, *to;
	unsigned int i, nents = 0;
	int ret;

	for_each_sgtable_sg(src, from, i)
		nents += DIV_ROUND_UP(from->length, seg_max);
	ret = sg_alloc_table(dst, nents, DMAHEAP_GFP);
	if (ret)
		return ret;
	to = dst->sgl;
	for_each_sgtable_sg(src, from, i) {
		size_t off, len;

		for (off = 0; off < from->length; off += len) {
			len = min_t(size_t, from->length - off, seg_max);
			sg_set_page(to, nth_page(sg_page(from),
						 off >> PAGE_SHIFT),
				    len, from->offset);
			to = sg_next(to);
		}
	}
	return 0;
}

static int dmaheap_buffer_attach(struct dma_buf *dmabuf,
				 struct dma_buf_attachment *attachment)
{
	struct dmaheap_buffer *buf = dmabuf->priv;
	struct dmaheap_attachment *a;
	int ret;

	a = kzalloc(sizeof(*a), DMAHEAP_GFP);
	if (!a)
		return -ENOMEM;
	ret = dmaheap_copy_sgt(&a->sgt, &buf->sgt,
			       dmaheap_seg_max(attachment->dev));
	if (ret)
		goto free_attachment;
	a->dev = attachment->dev;
	INIT_LIST_HEAD(&a->list);
	attachment->priv = a;

	mutex_lock(&buf->lock);
	list_add(&a->list, &buf->attachments);
	mutex_unlock(&buf->lock);
	return 0;

free_attachment:
	kfree(a);
	return ret;
}

static void dmaheap_buffer_detach(struct dma_buf *dmabuf,
				  struct dma_buf_attachment *attachment)
{
	struct dmaheap_buffer *buf = dmabuf->priv;
	struct dmaheap_attachment *a = attachment->priv;

	mutex_lock(&buf->lock);
	list_del(&a->list);
	mutex_unlock(&buf->lock);

	sg_free_table(&a->sgt);
	kfree(a);
}

/* Every page of @sgt lies within @dev's DMA mask (and bus limit). */
static bool dmaheap_pages_reachable(struct device *dev,
				    const struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(sgt, sg, i)
		if (!dma_capable(dev, phys_to_dma(dev, sg_phys(sg)),
				 sg->length, true))
			return false;
	return true;
}

/*
 * Can @dev map @buf, as @a describes it?  The answer is an errno the map op
 * returns quietly, without the DMA layer's warnings:
 *
 *  - A device without a DMA mask does no DMA: -EINVAL.
 *  - Behind a translating IOMMU every page is reachable.
 *  - Where the DMA layer bounces every mapping through swiotlb (swiotlb=force,
 *    as confidential-computing guests run), cached buffers work: the CPU
 *    access syncs copy between the buffer and the bounce slots.  Bouncing
 *    cannot be correct for a write-combined buffer (its mappings skip the
 *    CPU syncs that would copy), for memory outside the linear map (swiotlb
 *    copies through it), or when the bounce pool itself lies beyond the
 *    device's reach: -EIO.
 *  - Otherwise the device sees bus addresses, and a page beyond its DMA
 *    mask is -EIO rather than a bounced mapping: a dma-buf stays mapped
 *    while devices share it, which bouncing cannot serve.  The dma32 heaps
 *    exist for such devices.
 */
static int dmaheap_check_reach(const struct dmaheap_buffer *buf,
			       const struct dmaheap_attachment *a)
{
	struct device *dev = a->dev;
	phys_addr_t pool_end;

	if (!dev->dma_mask || !*dev->dma_mask)
		return -EINVAL;
	if (dmaheap_dev_translated(dev))
		return 0;
	if (dmaheap_swiotlb_forced(dev, &pool_end)) {
		if (buf->flags & (DMAHEAP_BUF_UNCACHED |
				  DMAHEAP_BUF_NO_LINEAR_MAP))
			return -EIO;
		if (!dma_capable(dev, phys_to_dma(dev, pool_end - 1), 1, true))
			return -EIO;
		return 0;
	}
	return dmaheap_pages_reachable(dev, &a->sgt) ? 0 : -EIO;
}

/*
 * A write-combined buffer may also be mapped cacheable by the kernel (the
 * linear map on arm64), and that alias can hold clean lines fetched before
 * the CPU last wrote through a write-combined mapping.  Devices that do not
 * snoop the CPU caches never see them; a DMA-coherent one could be served
 * one instead of memory.  Have the heap drop those lines before such a
 * device maps the buffer.
 */
static int dmaheap_buffer_drop_alias_for(struct dmaheap_buffer *buf,
					 struct device *dev)
{
	if (!buf->ops->drop_cpu_alias || !dev_is_dma_coherent(dev))
		return 0;
	dev_dbg(dev, "DMA-coherent importer of write-combined %s buffer: dropping cached lines\n",
		dmaheap_name(buf->heap));
	return buf->ops->drop_cpu_alias(buf);
}

/* Has another attachment of @buf its pages mapped?  Under buf->lock. */
static bool dmaheap_buffer_mapped_elsewhere(struct dmaheap_buffer *buf,
					    struct dmaheap_attachment *self)
{
	struct dmaheap_attachment *a;

	lockdep_assert_held(&buf->lock);
	list_for_each_entry(a, &buf->attachments, list)
		if (a != self && a->mapped)
			return true;
	return false;
}

/*
 * A cached buffer is synced for the device as it is mapped.  When another
 * device has it mapped already, the mapping is made with
 * DMA_ATTR_SKIP_CPU_SYNC and synced explicitly right after: the caches
 * see the same maintenance (and swiotlb the same bounce), but DMA-API
 * debugging, which takes a second mapping of the same cache lines for a
 * driver bug, knows that this one is shared on purpose.  Sharing a buffer
 * between devices is what a dma-buf is for; begin_cpu_access and
 * end_cpu_access sync every mapping, so none goes stale.
 */
static struct sg_table *
dmaheap_buffer_map(struct dma_buf_attachment *attachment,
		   enum dma_data_direction dir)
{
	struct dmaheap_buffer *buf = attachment->dmabuf->priv;
	struct dmaheap_attachment *a = attachment->priv;
	unsigned long attrs = DMA_ATTR_NO_WARN;
	bool shared;
	int ret;

	ret = dmaheap_check_reach(buf, a);
	if (ret)
		return ERR_PTR(ret);
	if (buf->flags & DMAHEAP_BUF_UNCACHED) {
		attrs |= DMA_ATTR_SKIP_CPU_SYNC;
		ret = dmaheap_buffer_drop_alias_for(buf, a->dev);
		if (ret)
			return ERR_PTR(ret);
	}

	/* Held across the mapping, so two importers cannot both be first. */
	mutex_lock(&buf->lock);
	shared = !(buf->flags & DMAHEAP_BUF_UNCACHED) &&
		 dmaheap_buffer_mapped_elsewhere(buf, a);
	if (shared)
		attrs |= DMA_ATTR_SKIP_CPU_SYNC;
	ret = dma_map_sgtable(a->dev, &a->sgt, dir, attrs);
	if (ret) {
		mutex_unlock(&buf->lock);
		return ERR_PTR(ret == -EIO ? -ENOMEM : ret);
	}
	if (shared)
		dma_sync_sgtable_for_device(a->dev, &a->sgt, dir);
	a->mapped = true;
	a->dir = dir;
	mutex_unlock(&buf->lock);
	return &a->sgt;
}

static void dmaheap_buffer_unmap(struct dma_buf_attachment *attachment,
				 struct sg_table *sgt,
				 enum dma_data_direction dir)
{
	struct dmaheap_buffer *buf = attachment->dmabuf->priv;
	struct dmaheap_attachment *a = attachment->priv;
	unsigned long attrs = DMA_ATTR_NO_WARN;

	if (buf->flags & DMAHEAP_BUF_UNCACHED)
		attrs |= DMA_ATTR_SKIP_CPU_SYNC;
	mutex_lock(&buf->lock);
	a->mapped = false;
	mutex_unlock(&buf->lock);

	dma_unmap_sgtable(a->dev, sgt, dir, attrs);
}

/*
 * Write-combined buffers have no CPU cache lines to maintain, except the
 * clean lines of a cacheable alias that a DMA-coherent device could read
 * (see dmaheap_buffer_drop_alias_for()); for cached ones, hand ownership to
 * the CPU (or back to the devices) for every device that has the buffer
 * mapped, in the direction it mapped it, and for the kernel mapping if
 * there is one.
 */
static int dmaheap_buffer_begin_cpu_access(struct dma_buf *dmabuf,
					   enum dma_data_direction dir)
{
	struct dmaheap_buffer *buf = dmabuf->priv;
	struct dmaheap_attachment *a;

	if (buf->flags & DMAHEAP_BUF_UNCACHED)
		return 0;

	mutex_lock(&buf->lock);
	if (buf->vmap_cnt)
		invalidate_kernel_vmap_range(buf->vaddr, buf->len);
	list_for_each_entry(a, &buf->attachments, list)
		if (a->mapped)
			dma_sync_sgtable_for_cpu(a->dev, &a->sgt, a->dir);
	mutex_unlock(&buf->lock);
	return 0;
}

/*
 * After the CPU may have written a write-combined buffer (anything but a
 * read-only access), drop the alias's lines if a DMA-coherent device has
 * the buffer mapped: they may predate the writes.
 */
static int dmaheap_buffer_end_uncached(struct dmaheap_buffer *buf,
				       enum dma_data_direction dir)
{
	struct dmaheap_attachment *a;
	bool snooped = false;

	if (!buf->ops->drop_cpu_alias || dir == DMA_FROM_DEVICE)
		return 0;
	mutex_lock(&buf->lock);
	list_for_each_entry(a, &buf->attachments, list)
		snooped |= a->mapped && dev_is_dma_coherent(a->dev);
	mutex_unlock(&buf->lock);
	if (!snooped)
		return 0;
	pr_debug("end of CPU access to write-combined %s buffer mapped by a DMA-coherent device: dropping cached lines\n",
		 dmaheap_name(buf->heap));
	return buf->ops->drop_cpu_alias(buf);
}

static int dmaheap_buffer_end_cpu_access(struct dma_buf *dmabuf,
					 enum dma_data_direction dir)
{
	struct dmaheap_buffer *buf = dmabuf->priv;
	struct dmaheap_attachment *a;

	if (buf->flags & DMAHEAP_BUF_UNCACHED)
		return dmaheap_buffer_end_uncached(buf, dir);

	mutex_lock(&buf->lock);
	if (buf->vmap_cnt)
		flush_kernel_vmap_range(buf->vaddr, buf->len);
	list_for_each_entry(a, &buf->attachments, list)
		if (a->mapped)
			dma_sync_sgtable_for_device(a->dev, &a->sgt, a->dir);
	mutex_unlock(&buf->lock);
	return 0;
}

static int dmaheap_buffer_mmap(struct dma_buf *dmabuf,
			       struct vm_area_struct *vma)
{
	struct dmaheap_buffer *buf = dmabuf->priv;
	unsigned long npages = buf->len >> PAGE_SHIFT;
	unsigned long skip = vma->vm_pgoff << PAGE_SHIFT;
	unsigned long addr = vma->vm_start;
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	/*
	 * A private copy-on-write view of shared device memory has no use.
	 * Test VM_MAYSHARE: a MAP_SHARED mapping of a read-only fd lacks
	 * VM_SHARED.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_pgoff > npages || vma_pages(vma) > npages - vma->vm_pgoff)
		return -EINVAL;

	if (buf->flags & DMAHEAP_BUF_UNCACHED)
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);

	for_each_sgtable_sg(&buf->sgt, sg, i) {
		if (skip >= sg->length) {
			skip -= sg->length;
			continue;
		}
		while (skip < sg->length && addr < vma->vm_end) {
			unsigned long chunk = min_t(unsigned long,
						    sg->length - skip,
						    vma->vm_end - addr);

			/*
			 * When one call covers the whole VMA, x86 PAT
			 * reserves a memory type for all of it and cannot
			 * release part of that after a partial munmap() or
			 * mremap() ("freeing invalid memtype" for memory
			 * outside System RAM, such as a carveout).  Mapping
			 * the first page on its own keeps multi-page VMAs on
			 * PAT's per-page lookup path, which reserves nothing.
			 */
			if (addr == vma->vm_start && chunk > PAGE_SIZE &&
			    chunk == vma->vm_end - vma->vm_start)
				chunk = PAGE_SIZE;
			ret = remap_pfn_range(vma, addr,
					      page_to_pfn(sg_page(sg)) +
					      ((sg->offset + skip) >> PAGE_SHIFT),
					      chunk, vma->vm_page_prot);
			if (ret)
				return ret;
			addr += chunk;
			skip += chunk;
		}
		if (addr >= vma->vm_end)
			break;
		skip = 0;
	}
	return 0;
}

static void *dmaheap_buffer_vmap_pages(struct dmaheap_buffer *buf)
{
	unsigned int npages = buf->len >> PAGE_SHIFT;
	pgprot_t prot = PAGE_KERNEL;
	struct sg_page_iter piter;
	struct page **pages;
	unsigned int i = 0;
	void *vaddr;

	pages = kvmalloc_array(npages, sizeof(*pages), DMAHEAP_GFP);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	for_each_sgtable_page(&buf->sgt, &piter, 0) {
		if (WARN_ON(i >= npages))
			break;
		pages[i++] = sg_page_iter_page(&piter);
	}
	if (buf->flags & DMAHEAP_BUF_UNCACHED)
		prot = pgprot_writecombine(prot);
	vaddr = vmap(pages, i, VM_MAP, prot);
	kvfree(pages);
	return vaddr ?: ERR_PTR(-ENOMEM);
}

static int dmaheap_buffer_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct dmaheap_buffer *buf = dmabuf->priv;
	void *vaddr;
	int ret = 0;

	mutex_lock(&buf->lock);
	if (!buf->vmap_cnt) {
		vaddr = dmaheap_buffer_vmap_pages(buf);
		if (IS_ERR(vaddr)) {
			ret = PTR_ERR(vaddr);
			goto out_unlock;
		}
		buf->vaddr = vaddr;
	}
	buf->vmap_cnt++;
	iosys_map_set_vaddr(map, buf->vaddr);
out_unlock:
	mutex_unlock(&buf->lock);
	return ret;
}

static void dmaheap_buffer_vunmap(struct dma_buf *dmabuf,
				  struct iosys_map *map)
{
	struct dmaheap_buffer *buf = dmabuf->priv;

	mutex_lock(&buf->lock);
	if (!WARN_ON(!buf->vmap_cnt) && !--buf->vmap_cnt) {
		vunmap(buf->vaddr);
		buf->vaddr = NULL;
	}
	mutex_unlock(&buf->lock);
	iosys_map_clear(map);
}

static void dmaheap_buffer_release(struct dma_buf *dmabuf)
{
	struct dmaheap_buffer *buf = dmabuf->priv;
	struct dmaheap_charge *charge = buf->charge;
	struct dmaheap *heap = buf->heap;

	WARN_ON(buf->vmap_cnt || !list_empty(&buf->attachments));
	mutex_destroy(&buf->lock);
	buf->ops->free(buf);

	dmaheap_uncharge(charge);
	dmaheap_put(heap);
}

static const struct dma_buf_ops dmaheap_buffer_ops = {
	.attach			= dmaheap_buffer_attach,
	.detach			= dmaheap_buffer_detach,
	.map_dma_buf		= dmaheap_buffer_map,
	.unmap_dma_buf		= dmaheap_buffer_unmap,
	.begin_cpu_access	= dmaheap_buffer_begin_cpu_access,
	.end_cpu_access		= dmaheap_buffer_end_cpu_access,
	.mmap			= dmaheap_buffer_mmap,
	.vmap			= dmaheap_buffer_vmap,
	.vunmap			= dmaheap_buffer_vunmap,
	.release		= dmaheap_buffer_release,
};

/**
 * dmaheap_buffer_export() - export a heap buffer as a dma-buf
 * @buf: buffer embedded in the heap's per-buffer struct, with @buf->sgt
 *	filled in and @buf->flags set
 * @req: the request the buffer serves
 * @ops: heap callbacks
 *
 * Sets up the rest of @buf and exports it.  On success the dma-buf owns
 * @buf: its release op calls @ops->free and gives the request's charge
 * back (dmaheap_uncharge()).  The dma-buf also holds a reference on the heap's owner
 * module, so that module cannot be unloaded while the buffer is alive.  On
 * failure nothing has been taken over and nothing is left to undo here: the
 * caller frees its memory, the sg_table and @buf itself.
 *
 * Return: the dma-buf, or an ERR_PTR.
 */
struct dma_buf *dmaheap_buffer_export(struct dmaheap_buffer *buf,
				      const struct dmaheap_request *req,
				      const struct dmaheap_buffer_ops *ops)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dma_buf *dmabuf;

	buf->heap = req->heap;
	buf->charge = req->charge;
	buf->ops = ops;
	buf->len = req->len;
	mutex_init(&buf->lock);
	INIT_LIST_HEAD(&buf->attachments);
	buf->vmap_cnt = 0;
	buf->vaddr = NULL;

	exp_info.exp_name = dmaheap_name(buf->heap);
	exp_info.owner = dmaheap_owner(buf->heap);
	exp_info.ops = &dmaheap_buffer_ops;
	exp_info.size = buf->len;
	exp_info.flags = req->fd_flags;
	exp_info.priv = buf;

	dmaheap_get(buf->heap);
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		dmaheap_put(buf->heap);
		mutex_destroy(&buf->lock);
	}
	return dmabuf;
}
DMAHEAP_EXPORT(dmaheap_buffer_export);
