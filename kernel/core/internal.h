/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaheap core: what core.c (registry, nodes, ioctl) and stats.c
 * (statistics, caps, sysfs) share.  Not for heap modules.
 */
#ifndef _DMAHEAP_CORE_INTERNAL_H
#define _DMAHEAP_CORE_INTERNAL_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <dmaheap/heap.h>

/* Most extra attribute groups a heap may pass in dmaheap_info::groups. */
#define DMAHEAP_MAX_EXTRA_GROUPS	4

struct dmaheap_node;

/**
 * struct dmaheap_stats - a heap's statistics and cap
 * @lock:	Protects every other field.
 * @bytes:	Live bytes: buffers the heap has made and not yet released.
 * @inflight:	Bytes of allocations in progress; they count against
 *		@limit but show nowhere until they succeed.
 * @peak:	Highest @bytes seen.
 * @limit:	Cap on @bytes + @inflight.
 * @buffers:	Live buffers.
 * @total_allocs: Allocations handed out.
 * @failed_allocs: Well-formed requests that failed.
 */
struct dmaheap_stats {
	spinlock_t lock;
	u64 bytes;
	u64 inflight;
	u64 peak;
	u64 limit;
	u64 buffers;
	u64 total_allocs;
	u64 failed_allocs;
};

/**
 * struct dmaheap - a registered heap
 * @ref:	References: the registration, every node, every live buffer,
 *		and dmaheap_get() callers.  The last put frees the struct.
 * @name:	The heap's own name (its first node's).
 * @ops:	Heap operations; only called under @ops_lock held for read
 *		while @dead is false.
 * @priv:	Heap private data.
 * @props:	DMAHEAP_PROP_* flags.
 * @owner:	Module that registered the heap and owns its buffers.
 * @list:	Entry in the core's list of heaps.
 * @ops_lock:	Protects @dead.  Held for read across each allocate op and
 *		for write while unregistering, so that no op runs after
 *		dmaheap_unregister() returns.
 * @dead:	Set once the heap is unregistered.
 * @stats:	Statistics and cap, shared by all the heap's nodes.
 * @nodes:	The heap's device nodes: its own name first, then aliases.
 * @nnodes:	Entries in @nodes.
 * @groups:	Extra sysfs groups from the heap, NULL-terminated.
 */
struct dmaheap {
	struct kref ref;
	char name[DMAHEAP_NAME_MAX + 1];
	const struct dmaheap_ops *ops;
	void *priv;
	unsigned int props;
	struct module *owner;
	struct list_head list;

	struct rw_semaphore ops_lock;
	bool dead;

	struct dmaheap_stats stats;

	struct dmaheap_node *nodes[1 + DMAHEAP_MAX_ALIASES];
	unsigned int nnodes;
	const struct attribute_group *groups[DMAHEAP_MAX_EXTRA_GROUPS + 1];
};

/* stats.c: per-heap statistics and caps */
extern const struct attribute_group *dmaheap_node_groups[];
void dmaheap_stats_init(struct dmaheap_stats *stats, u64 limit);
int dmaheap_heap_reserve(struct dmaheap *heap, size_t len);
void dmaheap_heap_commit(struct dmaheap *heap, size_t len);
void dmaheap_heap_cancel(struct dmaheap *heap, size_t len, bool failed);
void dmaheap_heap_release(struct dmaheap *heap, size_t len);
void dmaheap_account_result(struct dmaheap *heap, bool success);

/* account.c: charges, the budget, user quotas */
u64 dmaheap_ram_pct(unsigned int pct);
int dmaheap_account_init(void);
void dmaheap_account_exit(void);
struct dmaheap_charge *dmaheap_charge(struct dmaheap *heap, size_t len);
void dmaheap_charge_commit(struct dmaheap_charge *c, size_t memcg_charged);
void dmaheap_charge_cancel(struct dmaheap_charge *c);

/* memcg.c: memory cgroup limits for what the kernel cannot charge */
struct mem_cgroup;
#ifdef CONFIG_MEMCG
struct mem_cgroup *dmaheap_memcg_get(void);
void dmaheap_memcg_put(struct mem_cgroup *memcg);
int dmaheap_memcg_reserve(struct mem_cgroup *memcg, unsigned long pages);
void dmaheap_memcg_unreserve(struct mem_cgroup *memcg, unsigned long pages);
#else
static inline struct mem_cgroup *dmaheap_memcg_get(void)
{
	return NULL;
}

static inline void dmaheap_memcg_put(struct mem_cgroup *memcg)
{
}

static inline int dmaheap_memcg_reserve(struct mem_cgroup *memcg,
					unsigned long pages)
{
	return 0;
}

static inline void dmaheap_memcg_unreserve(struct mem_cgroup *memcg,
					   unsigned long pages)
{
}
#endif

#endif /* _DMAHEAP_CORE_INTERNAL_H */
