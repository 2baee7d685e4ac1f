/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaheap: the shared lifecycle of physically contiguous buffers.
 *
 * A contiguous heap (the contiguous heap, the carveout heap) only says how
 * it takes a run of page frames and how it gives one back.  This helper does
 * the rest: the request's size in pages, zeroing, the one-run sg_table, the
 * export through the shared exporter, and giving the frames back when the
 * last user of the buffer is gone.  It also implements the sysfs files that
 * describe a heap's managed range (struct dmaheap_range).
 *
 * Register the heap with priv pointing at its struct dmaheap_contig and with
 * dmaheap_contig_allocate() as its allocate op.
 */
#ifndef _DMAHEAP_CONTIG_H
#define _DMAHEAP_CONTIG_H

#include <linux/device.h>
#include <linux/kthread.h>
#include <linux/types.h>

#include <dmaheap/heap.h>

struct dma_buf;
struct dmaheap;
struct dmaheap_contig;
struct dmaheap_range;
struct dmaheap_request;

/**
 * struct dmaheap_contig_ops - how a contiguous heap gets and returns frames
 * @take:	Take @npages physically contiguous page frames.  Return the
 *		first frame, or -ENOMEM (nothing fits) or -EINTR (a fatal
 *		signal is pending).  Store in *@cookie whatever @give will
 *		need (for example which allocator served the request) and set
 *		*@zeroed when the frames are known to be zero already.
 * @give:	Give back frames that @take returned, with its cookie.
 */
struct dmaheap_contig_ops {
	long (*take)(struct dmaheap_contig *c, unsigned long npages,
		     unsigned long *cookie, bool *zeroed);
	void (*give)(struct dmaheap_contig *c, unsigned long pfn,
		     unsigned long npages, unsigned long cookie);
};

/**
 * struct dmaheap_contig - a contiguous heap, as the helper sees it
 * @ops:	The heap's take and give operations.
 * @range:	The range the heap manages, described by the usage
 *		attributes; NULL if it has none (the files then read 0).
 * @vaddr:	Kernel mapping of memory that is not in the linear map,
 *		starting at page frame @map_pfn, for zeroing; NULL when every
 *		frame is in the linear map.
 * @map_pfn:	First page frame covered by @vaddr.
 * @buf_flags:	DMAHEAP_BUF_* flags every buffer of the heap gets.
 * @scrub_work:	Zeroes @range's free frames in the background
 *		(dmaheap_contig_scrub_start()).
 * @scrub:	The thread and timer @scrub_work runs with.
 */
struct dmaheap_contig {
	const struct dmaheap_contig_ops *ops;
	struct dmaheap_range *range;
	void *vaddr;
	unsigned long map_pfn;
	unsigned int buf_flags;
	struct kthread_work scrub_work;
	struct dmaheap_pool scrub;
};

struct dma_buf *dmaheap_contig_allocate(struct dmaheap *heap,
					struct dmaheap_request *req);
int dmaheap_contig_scrub_start(struct dmaheap_contig *c, const char *name);
void dmaheap_contig_scrub_stop(struct dmaheap_contig *c);
long dmaheap_contig_range_take(struct dmaheap_contig *c, unsigned long npages,
			       bool *zeroed);
void dmaheap_contig_range_give(struct dmaheap_contig *c, unsigned long pfn,
			       unsigned long npages);

/* What a usage attribute reports about the heap's range, in bytes. */
enum dmaheap_contig_usage {
	DMAHEAP_CONTIG_SIZE,		/* the whole range */
	DMAHEAP_CONTIG_FREE,		/* free in all */
	DMAHEAP_CONTIG_LARGEST_FREE,	/* longest free run */
	DMAHEAP_CONTIG_LARGEST_ALLOC,	/* largest request that fits now */
	DMAHEAP_CONTIG_ZEROED,		/* free and zeroed already */
};

ssize_t dmaheap_contig_usage_show(struct device *dev, char *buf,
				  enum dmaheap_contig_usage what);

/*
 * Define a read-only device attribute @_name (dev_attr_<_name>) reporting
 * @_what about the range of the heap behind the device.
 */
#define DMAHEAP_CONTIG_USAGE_ATTR(_name, _what)				\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return dmaheap_contig_usage_show(dev, buf, _what);		\
}									\
static DEVICE_ATTR_RO(_name)

#endif /* _DMAHEAP_CONTIG_H */
