// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap core: per-heap statistics and caps, and the sysfs files that show
 * them in /sys/class/dmaheap/<name>/ (every node of a heap shows the same
 * numbers).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>

#include <dmaheap/compat.h>
#include <dmaheap/heap.h>
#include <dmaheap/parse.h>

#include "internal.h"

static unsigned int default_limit_pct = 50;
module_param(default_limit_pct, uint, 0444);
MODULE_PARM_DESC(default_limit_pct,
		 "Default cap on a heap's live bytes, in percent of RAM (1-100, default 50)");

/**
 * dmaheap_stats_init() - set up a new heap's statistics
 * @stats: the heap's statistics
 * @limit: its initial cap, or 0 for the default (default_limit_pct of RAM)
 */
void dmaheap_stats_init(struct dmaheap_stats *stats, u64 limit)
{
	spin_lock_init(&stats->lock);
	stats->limit = limit ?:
		dmaheap_ram_pct(clamp(default_limit_pct, 1U, 100U));
}

/**
 * dmaheap_heap_reserve() - count a request against its heap's cap
 * @heap: the heap
 * @len: the request's length
 *
 * The request counts against the cap while it is in progress but shows in
 * no statistic until dmaheap_heap_commit(); dmaheap_heap_cancel() gives
 * the room back.
 *
 * Return: 0, or -ENOMEM (counted as a failed allocation) over the cap.
 */
int dmaheap_heap_reserve(struct dmaheap *heap, size_t len)
{
	struct dmaheap_stats *s = &heap->stats;
	int ret = 0;

	spin_lock(&s->lock);
	if (len > s->limit || s->bytes + s->inflight > s->limit - len) {
		s->failed_allocs++;
		ret = -ENOMEM;
	} else {
		s->inflight += len;
	}
	spin_unlock(&s->lock);
	return ret;
}

/**
 * dmaheap_heap_commit() - a reserved request produced a buffer
 * @heap: the heap
 * @len: the request's length
 */
void dmaheap_heap_commit(struct dmaheap *heap, size_t len)
{
	struct dmaheap_stats *s = &heap->stats;

	spin_lock(&s->lock);
	s->inflight -= len;
	s->bytes += len;
	s->buffers++;
	s->peak = max(s->peak, s->bytes);
	spin_unlock(&s->lock);
}

/**
 * dmaheap_heap_cancel() - a reserved request failed
 * @heap: the heap
 * @len: the request's length
 * @failed: count it as a failed allocation
 */
void dmaheap_heap_cancel(struct dmaheap *heap, size_t len, bool failed)
{
	struct dmaheap_stats *s = &heap->stats;

	spin_lock(&s->lock);
	s->inflight -= len;
	if (failed)
		s->failed_allocs++;
	spin_unlock(&s->lock);
}

/**
 * dmaheap_heap_release() - a buffer of the heap was released
 * @heap: the heap
 * @len: its length
 */
void dmaheap_heap_release(struct dmaheap *heap, size_t len)
{
	struct dmaheap_stats *s = &heap->stats;

	spin_lock(&s->lock);
	if (!WARN_ON(s->bytes < len || !s->buffers)) {
		s->bytes -= len;
		s->buffers--;
	}
	spin_unlock(&s->lock);
}

/**
 * dmaheap_account_result() - count whether a buffer reached its user
 * @heap: the heap
 * @success: whether the buffer was handed out
 */
void dmaheap_account_result(struct dmaheap *heap, bool success)
{
	struct dmaheap_stats *s = &heap->stats;

	spin_lock(&s->lock);
	if (success)
		s->total_allocs++;
	else
		s->failed_allocs++;
	spin_unlock(&s->lock);
}

/* sysfs ------------------------------------------------------------------- */

static u64 dmaheap_read_stat(struct dmaheap *heap, const u64 *field)
{
	u64 val;

	spin_lock(&heap->stats.lock);
	val = *field;
	spin_unlock(&heap->stats.lock);
	return val;
}

/* Define <name>_show() printing one counter of the heap. */
#define DMAHEAP_STAT_SHOW(_name, _field)				\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct dmaheap *heap = dmaheap_from_dev(dev);			\
									\
	return sysfs_emit(buf, "%llu\n",				\
			  dmaheap_read_stat(heap, &heap->stats._field)); \
}

DMAHEAP_STAT_SHOW(buffers, buffers)
static DEVICE_ATTR_RO(buffers);
DMAHEAP_STAT_SHOW(bytes, bytes)
static DEVICE_ATTR_RO(bytes);
DMAHEAP_STAT_SHOW(total_allocs, total_allocs)
static DEVICE_ATTR_RO(total_allocs);
DMAHEAP_STAT_SHOW(failed_allocs, failed_allocs)
static DEVICE_ATTR_RO(failed_allocs);
DMAHEAP_STAT_SHOW(peak_bytes, peak)

/* Writing 0 restarts the watermark from the current live bytes. */
static ssize_t peak_bytes_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct dmaheap *heap = dmaheap_from_dev(dev);
	u64 val;

	if (dmaheap_parse_size(buf, &val) || val)
		return -EINVAL;
	spin_lock(&heap->stats.lock);
	heap->stats.peak = heap->stats.bytes;
	spin_unlock(&heap->stats.lock);
	return count;
}
static DEVICE_ATTR_RW(peak_bytes);

DMAHEAP_STAT_SHOW(limit_bytes, limit)

/* A new cap applies to later allocations; buffers already above it stay. */
static ssize_t limit_bytes_store(struct device *dev,
				 struct device_attribute *attr,
				 const char *buf, size_t count)
{
	struct dmaheap *heap = dmaheap_from_dev(dev);
	u64 val;

	if (dmaheap_parse_size(buf, &val))
		return -EINVAL;
	spin_lock(&heap->stats.lock);
	heap->stats.limit = val;
	spin_unlock(&heap->stats.lock);
	return count;
}
static DEVICE_ATTR_RW(limit_bytes);

/* Define <name>_show() printing whether the heap has property @_prop. */
#define DMAHEAP_PROP_SHOW(_name, _prop)					\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%d\n",					\
			  !!(dmaheap_from_dev(dev)->props & (_prop)));	\
}									\
static DEVICE_ATTR_RO(_name)

DMAHEAP_PROP_SHOW(uncached, DMAHEAP_PROP_UNCACHED);
DMAHEAP_PROP_SHOW(contiguous, DMAHEAP_PROP_CONTIGUOUS);
DMAHEAP_PROP_SHOW(dma32, DMAHEAP_PROP_DMA32);

/* The heap's own name: an alias's directory names the heap it stands for. */
static ssize_t heap_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", dmaheap_name(dmaheap_from_dev(dev)));
}
static DEVICE_ATTR_RO(heap);

static struct attribute *dmaheap_node_attrs[] = {
	&dev_attr_buffers.attr,
	&dev_attr_bytes.attr,
	&dev_attr_peak_bytes.attr,
	&dev_attr_total_allocs.attr,
	&dev_attr_failed_allocs.attr,
	&dev_attr_limit_bytes.attr,
	&dev_attr_uncached.attr,
	&dev_attr_contiguous.attr,
	&dev_attr_dma32.attr,
	&dev_attr_heap.attr,
	NULL,
};

static const struct attribute_group dmaheap_node_group = {
	.attrs = dmaheap_node_attrs,
};

const struct attribute_group *dmaheap_node_groups[] = {
	&dmaheap_node_group,
	NULL,
};
