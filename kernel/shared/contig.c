// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap: the shared lifecycle of physically contiguous buffers (see
 * dmaheap/contig.h): take frames from the heap, zero them, describe them in
 * an sg_table, export, and give them back at release.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include <dmaheap/buffer.h>
#include <dmaheap/compat.h>
#include <dmaheap/contig.h>
#include <dmaheap/heap.h>
#include <dmaheap/range.h>

/* Longest sg entry built: 1 GiB fits an entry's unsigned int length. */
#define CONTIG_SG_MAX_PAGES	(1UL << (30 - PAGE_SHIFT))

/* Bytes zeroed between checks for rescheduling and fatal signals. */
#define CONTIG_ZERO_CHUNK	SZ_1M

/**
 * struct contig_buffer - a contiguous buffer
 * @buf:	The common part, handed to the shared exporter.
 * @c:		The heap it came from.
 * @pfn:	First page frame.
 * @npages:	Number of page frames.
 * @cookie:	What the heap's take op said its give op needs.
 */
struct contig_buffer {
	struct dmaheap_buffer buf;
	struct dmaheap_contig *c;
	unsigned long pfn;
	unsigned long npages;
	unsigned long cookie;
};

static void contig_buffer_free(struct dmaheap_buffer *dbuf)
{
	struct contig_buffer *b = container_of(dbuf, struct contig_buffer, buf);

	sg_free_table(&dbuf->sgt);
	b->c->ops->give(b->c, b->pfn, b->npages, b->cookie);
	kfree(b);
}

static const struct dmaheap_buffer_ops contig_buffer_ops = {
	.free = contig_buffer_free,
};

/* Zero frames through the linear map, or the heap's own mapping. */
static int contig_zero(struct dmaheap_contig *c, unsigned long pfn,
		       unsigned long npages)
{
	size_t len = (size_t)npages << PAGE_SHIFT, done, chunk;
	u8 *p;

	if (c->vaddr)
		p = (u8 *)c->vaddr + ((size_t)(pfn - c->map_pfn) << PAGE_SHIFT);
	else
		p = page_address(pfn_to_page(pfn));

	for (done = 0; done < len; done += chunk) {
		if (fatal_signal_pending(current))
			return -EINTR;
		chunk = min_t(size_t, len - done, CONTIG_ZERO_CHUNK);
		memset(p + done, 0, chunk);
		cond_resched();
	}
	return 0;
}

/* dmaheap_range_scrub()'s zero op. */
static int contig_scrub_zero(void *arg, unsigned long pfn,
			     unsigned long npages)
{
	return contig_zero(arg, pfn, npages);
}

static void contig_scrub_work(struct kthread_work *work)
{
	struct dmaheap_contig *c = container_of(work, struct dmaheap_contig,
						scrub_work);

	while (dmaheap_range_scrub(c->range, contig_scrub_zero, c,
				   CONTIG_ZERO_CHUNK >> PAGE_SHIFT))
		cond_resched();
}

/**
 * dmaheap_contig_scrub_start() - zero the heap's free range in the
 *	background from now on
 * @c: the heap, with @c->range set
 * @name: the heap's name, for its thread (dmaheap-<name>-scrub)
 *
 * Frames given back with dmaheap_contig_range_give(), and at the start
 * the whole range, are zeroed by a thread of the lowest priority from the
 * next tick on, so that a request that takes them
 * (dmaheap_contig_range_take()) finds them zero already.
 *
 * Return: 0 or -errno.
 */
int dmaheap_contig_scrub_start(struct dmaheap_contig *c, const char *name)
{
	char tname[DMAHEAP_NAME_MAX + 8];
	int ret;

	kthread_init_work(&c->scrub_work, contig_scrub_work);
	c->scrub.work = &c->scrub_work;
	c->scrub.priv = c;
	snprintf(tname, sizeof(tname), "%s-scrub", name);
	ret = dmaheap_pool_register(&c->scrub, tname);
	if (ret)
		return ret;
	dmaheap_pool_queue(&c->scrub);
	return 0;
}
DMAHEAP_EXPORT(dmaheap_contig_scrub_start);

/**
 * dmaheap_contig_scrub_stop() - end the background zeroing
 * @c: a heap dmaheap_contig_scrub_start() succeeded on; no buffer of it
 *	is alive any more
 */
void dmaheap_contig_scrub_stop(struct dmaheap_contig *c)
{
	dmaheap_pool_unregister(&c->scrub);
}
DMAHEAP_EXPORT(dmaheap_contig_scrub_stop);

/**
 * dmaheap_contig_range_take() - frames from the heap's range
 * @c: the heap, scrubbed (dmaheap_contig_scrub_start())
 * @npages: number of frames
 * @zeroed: out: whether they are known to be zero
 *
 * Return: the first frame, or -ENOMEM when no free run fits.
 */
long dmaheap_contig_range_take(struct dmaheap_contig *c, unsigned long npages,
			       bool *zeroed)
{
	return dmaheap_range_alloc(c->range, npages, zeroed);
}
DMAHEAP_EXPORT(dmaheap_contig_range_take);

/**
 * dmaheap_contig_range_give() - frames back to the heap's range, to be
 *	zeroed in the background
 * @c: the heap
 * @pfn: first frame, from dmaheap_contig_range_take()
 * @npages: its size
 */
void dmaheap_contig_range_give(struct dmaheap_contig *c, unsigned long pfn,
			       unsigned long npages)
{
	dmaheap_range_free(c->range, pfn, npages);
	dmaheap_pool_queue(&c->scrub);
}
DMAHEAP_EXPORT(dmaheap_contig_range_give);

static int contig_fill_sgt(struct sg_table *sgt, unsigned long pfn,
			   unsigned long npages)
{
	unsigned int nents = DIV_ROUND_UP(npages, CONTIG_SG_MAX_PAGES);
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	ret = sg_alloc_table(sgt, nents, DMAHEAP_GFP);
	if (ret)
		return ret;
	for_each_sgtable_sg(sgt, sg, i) {
		unsigned long n = min(npages, CONTIG_SG_MAX_PAGES);

		sg_set_page(sg, pfn_to_page(pfn), n << PAGE_SHIFT, 0);
		pfn += n;
		npages -= n;
	}
	return 0;
}

/**
 * dmaheap_contig_allocate() - the allocate op of every contiguous heap
 * @heap: a heap registered with priv pointing at its struct dmaheap_contig
 * @req: the request
 *
 * Return: the dma-buf, or an ERR_PTR: -ENOMEM when the heap's take op finds
 * no room (or bookkeeping memory runs out), -EINTR when a fatal signal
 * arrives while taking or zeroing the frames, or what dma_buf_export()
 * returned.
 */
struct dma_buf *dmaheap_contig_allocate(struct dmaheap *heap,
					struct dmaheap_request *req)
{
	struct dmaheap_contig *c = dmaheap_priv(heap);
	struct contig_buffer *b;
	struct dma_buf *dmabuf;
	bool zeroed = false;
	long pfn;
	int ret;

	b = kzalloc(sizeof(*b), DMAHEAP_GFP);
	if (!b)
		return ERR_PTR(-ENOMEM);
	b->c = c;
	b->npages = req->len >> PAGE_SHIFT;

	pfn = c->ops->take(c, b->npages, &b->cookie, &zeroed);
	if (pfn < 0) {
		ret = pfn;
		goto free_buffer;
	}
	b->pfn = pfn;
	if (!zeroed) {
		ret = contig_zero(c, b->pfn, b->npages);
		if (ret)
			goto give_frames;
	}
	ret = contig_fill_sgt(&b->buf.sgt, b->pfn, b->npages);
	if (ret)
		goto give_frames;
	b->buf.flags = c->buf_flags;

	dmabuf = dmaheap_buffer_export(&b->buf, req, &contig_buffer_ops);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto free_table;
	}
	return dmabuf;

free_table:
	sg_free_table(&b->buf.sgt);
give_frames:
	c->ops->give(c, b->pfn, b->npages, b->cookie);
free_buffer:
	kfree(b);
	return ERR_PTR(ret);
}
DMAHEAP_EXPORT(dmaheap_contig_allocate);

/**
 * dmaheap_contig_usage_show() - show one fact about a heap's range
 * @dev: a device of a heap registered with a struct dmaheap_contig
 * @buf: the sysfs buffer
 * @what: which fact
 *
 * For DMAHEAP_CONTIG_USAGE_ATTR(); every value is in bytes, and 0 for a
 * heap without a range.
 *
 * Return: the number of characters written.
 */
ssize_t dmaheap_contig_usage_show(struct device *dev, char *buf,
				  enum dmaheap_contig_usage what)
{
	struct dmaheap_contig *c = dmaheap_priv(dmaheap_from_dev(dev));
	struct dmaheap_range_usage u = { 0 };
	unsigned long pages = 0;

	if (c->range && what != DMAHEAP_CONTIG_SIZE)
		dmaheap_range_usage(c->range, &u);
	switch (what) {
	case DMAHEAP_CONTIG_SIZE:
		pages = c->range ? c->range->npages : 0;
		break;
	case DMAHEAP_CONTIG_FREE:
		pages = u.free;
		break;
	case DMAHEAP_CONTIG_LARGEST_FREE:
		pages = u.largest_free;
		break;
	case DMAHEAP_CONTIG_LARGEST_ALLOC:
		pages = u.largest_alloc;
		break;
	case DMAHEAP_CONTIG_ZEROED:
		pages = u.zeroed;
		break;
	}
	return sysfs_emit(buf, "%llu\n", (u64)pages << PAGE_SHIFT);
}
DMAHEAP_EXPORT(dmaheap_contig_usage_show);
