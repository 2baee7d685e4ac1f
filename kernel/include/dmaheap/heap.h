/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaheap: in-kernel API between the framework core and heap modules.
 *
 * A heap module fills a struct dmaheap_info and calls dmaheap_register().  The
 * core creates /dev/dma_heap/<name> (and one node per alias), the sysfs
 * directory /sys/class/dmaheap/<name>/ with statistics and the live-bytes
 * cap, and routes DMA_HEAP_IOCTL_ALLOC to the heap's allocate op after
 * validating the request and charging it.
 */
#ifndef _DMAHEAP_HEAP_H
#define _DMAHEAP_HEAP_H

#include <linux/device.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/timer.h>
#include <linux/types.h>

#include <dmaheap/compat.h>

struct dma_buf;
struct kthread_worker;
struct dmaheap;
struct dmaheap_charge;

/* Longest heap name, not counting the terminating NUL. */
#define DMAHEAP_NAME_MAX	63

/* Most device nodes (heap names and aliases) the core serves at once. */
#define DMAHEAP_MAX_NODES	128

/* Most alias names one heap may have besides its own. */
#define DMAHEAP_MAX_ALIASES	4

/* Properties of a heap; see struct dmaheap_info.  Shown in sysfs: */
#define DMAHEAP_PROP_UNCACHED	(1U << 0)	/* CPU mappings are write-combined */
#define DMAHEAP_PROP_CONTIGUOUS	(1U << 1)	/* every buffer is one physical range */
#define DMAHEAP_PROP_DMA32	(1U << 2)	/* every page lies below 4 GiB */
/* Not shown: the memory was set aside at boot and is not the kernel's RAM,
 * so the global budget (which protects RAM) does not count it. */
#define DMAHEAP_PROP_CARVEOUT	(1U << 3)

/*
 * Allocations made on behalf of a request (bookkeeping as well as buffer
 * memory) fail rather than wake the OOM killer, and quietly: running out is
 * an expected answer, -ENOMEM.
 */
#define DMAHEAP_GFP		(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/**
 * struct dmaheap_request - one allocation request, as the core hands it on
 * @heap:	The heap asked.
 * @len:	Size in bytes: page-aligned, non-zero, already charged.
 * @fd_flags:	O_CLOEXEC and the access mode the fd will get; the export
 *		flags of the dma-buf.
 * @heap_flags:	Always 0 today.
 * @charge:	Who pays for the buffer (the allocating user and memory
 *		cgroup): the returned dma-buf owns it.  The shared exporter
 *		(dmaheap_buffer_export()) takes it over; a heap with its own
 *		exporter passes it to dmaheap_uncharge() from its release op.
 * @memcg_charged: Out: bytes of the buffer the heap charged to the
 *		allocating task's memory cgroup itself, by allocating fresh
 *		pages with dmaheap_gfp_account().  The core holds the cgroup
 *		to its limit for the rest (see core/memcg.c).
 */
struct dmaheap_request {
	struct dmaheap *heap;
	size_t len;
	u32 fd_flags;
	u64 heap_flags;
	struct dmaheap_charge *charge;
	size_t memcg_charged;
};

/**
 * struct dmaheap_ops - operations a heap provides to the core
 * @allocate:	Create a buffer for @req and export it as a dma-buf.  Return
 *		the dma-buf (which now owns @req->charge) or an ERR_PTR.  The
 *		op must return promptly with -ENOMEM when memory runs out, with
 *		-EINTR when a fatal signal is pending, and must never wake the
 *		OOM killer (use DMAHEAP_GFP or stricter flags).
 */
struct dmaheap_ops {
	struct dma_buf *(*allocate)(struct dmaheap *heap,
				    struct dmaheap_request *req);
};

/**
 * struct dmaheap_info - description of a heap passed to dmaheap_register()
 * @name:	Node name under /dev/dma_heap/; unique, at most DMAHEAP_NAME_MAX
 *		characters, printable, no '/'.  The core copies it.
 * @aliases:	Optional NULL-terminated list of further names for the same
 *		heap (at most DMAHEAP_MAX_ALIASES), e.g. the names clients of
 *		upstream's CMA heap look for.  Each gets its own node and sysfs
 *		directory, which show the heap's one set of statistics and cap.
 *		A name the kernel's own heaps hold is skipped with a notice.
 * @ops:	Heap operations; must outlive the heap.
 * @priv:	Heap private data, returned by dmaheap_priv().
 * @props:	DMAHEAP_PROP_* flags, shown read-only in sysfs.
 * @limit:	Initial cap on live bytes, or 0 for the core's default (a
 *		fraction of RAM, see the core's module parameters).
 * @groups:	Optional NULL-terminated extra sysfs attribute groups for the
 *		heap's directories; attributes find the heap with
 *		dmaheap_from_dev().
 */
struct dmaheap_info {
	const char *name;
	const char *const *aliases;
	const struct dmaheap_ops *ops;
	void *priv;
	unsigned int props;
	u64 limit;
	const struct attribute_group **groups;
};

struct dmaheap *__dmaheap_register(const struct dmaheap_info *info,
				   struct module *owner);

/**
 * dmaheap_register() - register a heap with the core
 * @info: description of the heap
 *
 * Creates the device nodes and sysfs directories.  Buffers the heap exports
 * are owned by the calling module, so the module cannot be unloaded while
 * any of them is alive.
 *
 * Return: the new heap, or an ERR_PTR: -EINVAL for a bad name or missing
 * op, -EEXIST for a name in use (by another heap or by the kernel's own
 * heaps), -ENOSPC when DMAHEAP_MAX_NODES are in use.
 */
#define dmaheap_register(info) __dmaheap_register(info, THIS_MODULE)

void dmaheap_unregister(struct dmaheap *heap);
void *dmaheap_priv(const struct dmaheap *heap);
const char *dmaheap_name(const struct dmaheap *heap);
struct module *dmaheap_owner(const struct dmaheap *heap);
struct dmaheap *dmaheap_from_dev(struct device *dev);
void dmaheap_get(struct dmaheap *heap);
void dmaheap_put(struct dmaheap *heap);
void dmaheap_uncharge(struct dmaheap_charge *charge);
gfp_t dmaheap_gfp_account(void);

struct dmaheap *dmaheap_find(const char *name);
struct dma_buf *dmaheap_alloc(struct dmaheap *heap, u64 len, u32 fd_flags,
			      u64 heap_flags);
void dmaheap_alloc_abort(struct dmaheap *heap, struct dma_buf *dmabuf);
int dmaheap_for_each(int (*fn)(struct dmaheap *heap, void *data), void *data);

/**
 * struct dmaheap_pool - memory a heap keeps for reuse: its thread, its
 *	shrinker, and its place among the pools other heaps may empty
 * @count:	How many pages the shrinker could free now; NULL for a
 *		pool of memory the system cannot have back (no shrinker).
 * @scan:	Free up to @nr of them; return how many were freed.
 * @drain:	Give back to the page allocator everything kept that no
 *		buffer uses, waiting for the worker's work in progress;
 *		return the number of pages given back.  Runs in process
 *		context and may sleep.  NULL: nothing to give back.
 * @priv:	Passed to @count, @scan and @drain.
 * @work:	The pool's background work (zeroing what was released), run
 *		on @worker: dmaheap_pool_queue(), dmaheap_pool_flush().
 * @worker:	Set by dmaheap_pool_register(): the pool's thread.  It runs
 *		at nice 19, the lowest priority of the normal class, so that
 *		it does not take the CPU from the task whose release woke it.
 * @kick:	The core's: the timer of dmaheap_pool_queue().
 * @shrinker:	The core's: the shrinker that calls @count and @scan.
 * @node:	The core's: entry in its list of pools.
 *
 * Pooled pages lie anywhere in memory.  A heap that needs a long run of
 * physically contiguous frames cannot migrate them out of its way, and the
 * page allocator's shrinkers are not asked to free memory on that path:
 * such a heap calls dmaheap_pools_drain() before it gives up.
 */
struct dmaheap_pool {
	unsigned long (*count)(void *priv);
	unsigned long (*scan)(void *priv, unsigned long nr);
	unsigned long (*drain)(void *priv);
	void *priv;
	struct kthread_work *work;
	struct kthread_worker *worker;
	struct timer_list kick;
	struct dmaheap_shrinker shrinker;
	struct list_head node;
};

int dmaheap_pool_register(struct dmaheap_pool *pool, const char *name);
void dmaheap_pool_unregister(struct dmaheap_pool *pool);
void dmaheap_pool_queue(struct dmaheap_pool *pool);
void dmaheap_pool_flush(struct dmaheap_pool *pool);
unsigned long dmaheap_pools_drain(void);

#endif /* _DMAHEAP_HEAP_H */
