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

/*
 * The global budget: one cap on the bytes of every heap together, so that
 * exhausting all heaps at once still leaves the machine its memory.  Heaps
 * over memory set aside at boot (carveouts) are not counted: that memory
 * is not the kernel's to run short of.
 */
#define DMAHEAP_DEFAULT_BUDGET_PCT	50

/* Protects dmaheap_budget and dmaheap_budget_used. */
static DEFINE_SPINLOCK(dmaheap_budget_lock);
static u64 dmaheap_budget;
static u64 dmaheap_budget_used;
/* Whether budget_bytes was given at load (else the default applies). */
static bool dmaheap_budget_given;

static int budget_bytes_set(const char *val, const struct kernel_param *kp)
{
	u64 bytes;

	if (dmaheap_parse_size(val, &bytes))
		return -EINVAL;
	spin_lock(&dmaheap_budget_lock);
	dmaheap_budget = bytes;
	dmaheap_budget_given = true;
	spin_unlock(&dmaheap_budget_lock);
	return 0;
}

static int budget_bytes_get(char *buf, const struct kernel_param *kp)
{
	u64 bytes;

	spin_lock(&dmaheap_budget_lock);
	bytes = dmaheap_budget;
	spin_unlock(&dmaheap_budget_lock);
	return sysfs_emit(buf, "%llu\n", bytes);
}

static const struct kernel_param_ops budget_bytes_ops = {
	.set = budget_bytes_set,
	.get = budget_bytes_get,
};
module_param_cb(budget_bytes, &budget_bytes_ops, NULL, 0644);
MODULE_PARM_DESC(budget_bytes,
		 "Cap on the live bytes of all heaps together, carveouts aside (K/M/G/T suffixes; default half of RAM)");

static u64 dmaheap_ram_pct(unsigned int pct)
{
	return div_u64((u64)totalram_pages() * PAGE_SIZE * pct, 100);
}

/**
 * dmaheap_budget_init() - apply the default budget unless one was given
 */
void dmaheap_budget_init(void)
{
	spin_lock(&dmaheap_budget_lock);
	if (!dmaheap_budget_given)
		dmaheap_budget = dmaheap_ram_pct(DMAHEAP_DEFAULT_BUDGET_PCT);
	spin_unlock(&dmaheap_budget_lock);
}

static bool dmaheap_counts_in_budget(const struct dmaheap *heap)
{
	return !(heap->props & DMAHEAP_PROP_CARVEOUT);
}

static bool dmaheap_budget_take(u64 len)
{
	bool ok;

	spin_lock(&dmaheap_budget_lock);
	ok = len <= dmaheap_budget &&
	     dmaheap_budget_used <= dmaheap_budget - len;
	if (ok)
		dmaheap_budget_used += len;
	spin_unlock(&dmaheap_budget_lock);
	return ok;
}

static void dmaheap_budget_give(u64 len)
{
	spin_lock(&dmaheap_budget_lock);
	if (!WARN_ON(dmaheap_budget_used < len))
		dmaheap_budget_used -= len;
	spin_unlock(&dmaheap_budget_lock);
}

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
 * dmaheap_charge() - reserve room for a request under the caps
 * @heap: the heap
 * @len: the request's length
 *
 * The request counts against the heap's cap and the global budget while it
 * is in progress, but shows in no statistic until dmaheap_charge_commit();
 * dmaheap_charge_cancel() gives the room back.
 *
 * Return: 0, or -ENOMEM (counted as a failed allocation) over a cap.
 */
int dmaheap_charge(struct dmaheap *heap, size_t len)
{
	struct dmaheap_stats *s = &heap->stats;
	bool budget = dmaheap_counts_in_budget(heap);
	int ret = 0;

	if (budget && !dmaheap_budget_take(len)) {
		dmaheap_account_result(heap, false);
		return -ENOMEM;
	}
	spin_lock(&s->lock);
	if (len > s->limit || s->bytes + s->inflight > s->limit - len) {
		s->failed_allocs++;
		ret = -ENOMEM;
	} else {
		s->inflight += len;
	}
	spin_unlock(&s->lock);
	if (ret && budget)
		dmaheap_budget_give(len);
	return ret;
}

/**
 * dmaheap_charge_commit() - a charged request produced a buffer
 * @heap: the heap
 * @len: the request's length
 *
 * The buffer now counts as live; dmaheap_uncharge() ends that at release.
 */
void dmaheap_charge_commit(struct dmaheap *heap, size_t len)
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
 * dmaheap_charge_cancel() - a charged request failed
 * @heap: the heap
 * @len: the request's length
 *
 * Gives the room back and counts the failure.
 */
void dmaheap_charge_cancel(struct dmaheap *heap, size_t len)
{
	struct dmaheap_stats *s = &heap->stats;

	spin_lock(&s->lock);
	s->inflight -= len;
	s->failed_allocs++;
	spin_unlock(&s->lock);
	if (dmaheap_counts_in_budget(heap))
		dmaheap_budget_give(len);
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

/**
 * dmaheap_uncharge() - give a released buffer's bytes back to its heap
 * @heap: heap the buffer was allocated from
 * @len: the buffer's length, as passed to the heap's allocate op
 *
 * Called exactly once per buffer, when it is released.  Heaps built on the
 * shared exporter (struct dmaheap_buffer) never call this themselves.
 */
void dmaheap_uncharge(struct dmaheap *heap, size_t len)
{
	struct dmaheap_stats *s = &heap->stats;

	spin_lock(&s->lock);
	if (!WARN_ON(s->bytes < len || !s->buffers)) {
		s->bytes -= len;
		s->buffers--;
	}
	spin_unlock(&s->lock);
	if (dmaheap_counts_in_budget(heap))
		dmaheap_budget_give(len);
}
DMAHEAP_EXPORT(dmaheap_uncharge);

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
