// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap core: the heap registry, the /dev/dma_heap/<name> nodes, the
 * DMA_HEAP_IOCTL_ALLOC ioctl and the in-kernel allocation API.
 *
 * The core never touches buffer memory.  It validates a request, charges it
 * (account.c: the heap's cap, the budget, the user's quota, the memory
 * cgroup), asks the heap for a dma-buf and installs the fd.  Buffers give
 * their charge back when they are released.
 *
 * A heap has one node per name: its own and each alias.  Every node leads to
 * the same struct dmaheap, so aliases share the heap's statistics and cap.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/ctype.h>
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/uaccess.h>

#include <dmaheap/compat.h>
#include <dmaheap/heap.h>
#include "../../include/uapi/linux/dma-heap.h"

#include "internal.h"

/* Size of struct dma_heap_allocation_data before heap_flags was added. */
#define DMAHEAP_ALLOC_DATA_V1_SIZE	16

/**
 * struct dmaheap_node - one /dev/dma_heap/<name> node of a heap
 * @dev:	The node's device in class "dmaheap"; its drvdata is the heap.
 * @cdev:	Char device behind the node.
 * @heap:	The heap; the node holds a reference on it.
 * @list:	Entry in dmaheap_nodes.
 */
struct dmaheap_node {
	struct device dev;
	struct cdev cdev;
	struct dmaheap *heap;
	struct list_head list;
};

/* Protects dmaheap_heaps and dmaheap_nodes. */
static DEFINE_MUTEX(dmaheap_list_lock);
static LIST_HEAD(dmaheap_heaps);
static LIST_HEAD(dmaheap_nodes);
static DEFINE_IDA(dmaheap_minors);
static dev_t dmaheap_devt;

/* The ioctl --------------------------------------------------------------- */

static int dmaheap_validate(struct dma_heap_allocation_data *data, size_t *len)
{
	if (data->fd)
		return -EINVAL;
	if (data->fd_flags & ~DMA_HEAP_VALID_FD_FLAGS)
		return -EINVAL;
	if (data->heap_flags & ~DMA_HEAP_VALID_HEAP_FLAGS)
		return -EINVAL;
	/* Reject 0 and anything that wraps when rounded up to a page. */
	if (!data->len || data->len > (SIZE_MAX & PAGE_MASK))
		return -EINVAL;
	*len = PAGE_ALIGN(data->len);
	return 0;
}

static struct dma_buf *dmaheap_call_allocate(struct dmaheap *heap,
					     size_t len,
					     struct dma_heap_allocation_data *data)
{
	struct dmaheap_request req = {
		.heap = heap,
		.len = len,
		.fd_flags = data->fd_flags,
		.heap_flags = data->heap_flags,
	};
	struct dma_buf *dmabuf;
	struct dmaheap_charge *charge;

	/* Unregistering can wait behind a long allocation: stay killable. */
	if (down_read_killable(&heap->ops_lock))
		return ERR_PTR(-EINTR);
	if (heap->dead) {
		dmabuf = ERR_PTR(-ENODEV);
		goto unlock;
	}
	/* A module on its way out serves nothing; its heap is going too. */
	if (!try_module_get(heap->owner)) {
		dmabuf = ERR_PTR(-ENODEV);
		goto unlock;
	}
	/*
	 * A node is visible as soon as its heap registers, but the module's
	 * init may still fail and unregister it; a buffer made in between
	 * would outlive the module's code.  Serve nothing until the owner has
	 * finished loading (unregistering waits for us under ops_lock).
	 */
	if (heap->owner && heap->owner->state == MODULE_STATE_COMING) {
		dmabuf = ERR_PTR(-EAGAIN);
		goto put_module;
	}
	charge = dmaheap_charge(heap, len);
	if (IS_ERR(charge)) {
		dmabuf = ERR_CAST(charge);
		goto put_module;
	}
	req.charge = charge;
	dmabuf = heap->ops->allocate(heap, &req);
	if (IS_ERR(dmabuf))
		dmaheap_charge_cancel(charge);
	else
		dmaheap_charge_commit(charge, req.memcg_charged);
put_module:
	module_put(heap->owner);
unlock:
	up_read(&heap->ops_lock);
	return dmabuf;
}

static long dmaheap_ioctl_alloc(struct dmaheap *heap, void __user *uarg,
				size_t usize)
{
	struct dma_heap_allocation_data data = {};
	size_t ksize = min(usize, sizeof(data));
	struct dma_buf *dmabuf;
	size_t len;
	int fd, ret;

	/*
	 * Older callers pass a shorter struct and newer ones a longer one:
	 * copy what both sides know, leave the rest zero, ignore the excess.
	 */
	if (copy_from_user(&data, uarg, ksize))
		return -EFAULT;
	ret = dmaheap_validate(&data, &len);
	if (ret)
		return ret;

	dmabuf = dmaheap_call_allocate(heap, len, &data);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);

	/*
	 * Reserve the fd but publish it only once the caller has been told
	 * its number, so a bad output pointer leaves nothing behind.
	 */
	fd = get_unused_fd_flags(data.fd_flags);
	if (fd < 0) {
		ret = fd;
		goto put_dmabuf;
	}
	data.fd = fd;
	if (copy_to_user(uarg, &data, ksize)) {
		ret = -EFAULT;
		goto put_fd;
	}
	fd_install(fd, dmabuf->file);
	dmaheap_account_result(heap, true);
	return 0;

put_fd:
	put_unused_fd(fd);
put_dmabuf:
	dmaheap_account_result(heap, false);
	/* The release op gives the charge back. */
	dma_buf_put(dmabuf);
	return ret;
}

static long dmaheap_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct dmaheap_node *node = file->private_data;

	if (_IOC_TYPE(cmd) != DMA_HEAP_IOC_MAGIC)
		return -ENOTTY;
	if (_IOC_NR(cmd) != _IOC_NR(DMA_HEAP_IOCTL_ALLOC))
		return -EINVAL;
	if (_IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE) ||
	    _IOC_SIZE(cmd) < DMAHEAP_ALLOC_DATA_V1_SIZE)
		return -EINVAL;

	return dmaheap_ioctl_alloc(node->heap, (void __user *)arg,
				   _IOC_SIZE(cmd));
}

static int dmaheap_open(struct inode *inode, struct file *file)
{
	struct dmaheap_node *node = container_of(inode->i_cdev,
						 struct dmaheap_node, cdev);

	/* The open file keeps the node (not the heap's module) alive. */
	get_device(&node->dev);
	file->private_data = node;
	return nonseekable_open(inode, file);
}

static int dmaheap_release(struct inode *inode, struct file *file)
{
	struct dmaheap_node *node = file->private_data;

	put_device(&node->dev);
	return 0;
}

static const struct file_operations dmaheap_fops = {
	.owner		= THIS_MODULE,
	.open		= dmaheap_open,
	.release	= dmaheap_release,
	.unlocked_ioctl	= dmaheap_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static char *dmaheap_devnode(dmaheap_devnode_dev *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "dma_heap/%s", dev_name(dev));
}

/*
 * Our own class name, so that the module can sit beside the in-tree
 * framework (class "dma_heap") of newer kernels.
 */
static struct class dmaheap_class = {
	.name		= "dmaheap",
	.devnode	= dmaheap_devnode,
	.dev_groups	= dmaheap_node_groups,
};

/* Nodes -------------------------------------------------------------------- */

static bool dmaheap_name_valid(const char *name)
{
	size_t len = strnlen(name, DMAHEAP_NAME_MAX + 1);
	size_t i;

	if (!len || len > DMAHEAP_NAME_MAX)
		return false;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (i = 0; i < len; i++)
		if (!isgraph(name[i]) || name[i] == '/')
			return false;
	return true;
}

static struct dmaheap_node *dmaheap_find_node_locked(const char *name)
{
	struct dmaheap_node *node;

	lockdep_assert_held(&dmaheap_list_lock);
	list_for_each_entry(node, &dmaheap_nodes, list)
		if (!strcmp(dev_name(&node->dev), name))
			return node;
	return NULL;
}

static void dmaheap_free(struct kref *ref)
{
	kfree(container_of(ref, struct dmaheap, ref));
}

static void dmaheap_node_release(struct device *dev)
{
	struct dmaheap_node *node = container_of(dev, struct dmaheap_node, dev);

	ida_free(&dmaheap_minors, MINOR(node->dev.devt));
	dmaheap_put(node->heap);
	kfree(node);
}

/* Create and publish the node @name of @heap; called with the lists locked. */
static int dmaheap_node_add(struct dmaheap *heap, const char *name)
{
	struct dmaheap_node *node;
	int minor, ret;

	lockdep_assert_held(&dmaheap_list_lock);
	if (dmaheap_find_node_locked(name))
		return -EEXIST;
	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		return -ENOMEM;
	minor = ida_alloc_max(&dmaheap_minors, DMAHEAP_MAX_NODES - 1,
			      GFP_KERNEL);
	if (minor < 0) {
		kfree(node);
		return minor;
	}

	dmaheap_get(heap);
	node->heap = heap;
	device_initialize(&node->dev);
	node->dev.class = &dmaheap_class;
	node->dev.devt = MKDEV(MAJOR(dmaheap_devt), minor);
	node->dev.groups = heap->groups;
	node->dev.release = dmaheap_node_release;
	dev_set_drvdata(&node->dev, heap);
	/* From here on, put_device() frees the minor, the ref and the node. */
	ret = dev_set_name(&node->dev, "%s", name);
	if (ret)
		goto put_node;

	cdev_init(&node->cdev, &dmaheap_fops);
	node->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&node->cdev, &node->dev);
	if (ret)
		goto put_node;
	list_add_tail(&node->list, &dmaheap_nodes);
	heap->nodes[heap->nnodes++] = node;
	return 0;

put_node:
	put_device(&node->dev);
	return ret;
}

/* Unpublish and drop every node of @heap. */
static void dmaheap_nodes_remove(struct dmaheap *heap)
{
	unsigned int i;

	mutex_lock(&dmaheap_list_lock);
	for (i = 0; i < heap->nnodes; i++)
		list_del(&heap->nodes[i]->list);
	mutex_unlock(&dmaheap_list_lock);

	for (i = 0; i < heap->nnodes; i++)
		cdev_device_del(&heap->nodes[i]->cdev, &heap->nodes[i]->dev);
}

static void dmaheap_nodes_put(struct dmaheap *heap)
{
	while (heap->nnodes)
		put_device(&heap->nodes[--heap->nnodes]->dev);
}

/* Registry ---------------------------------------------------------------- */

/* Check @info's names and count its aliases and groups. */
static int dmaheap_check_info(const struct dmaheap_info *info,
			      size_t *ngroups)
{
	size_t i;

	if (!info || !info->name || !info->ops || !info->ops->allocate ||
	    !dmaheap_name_valid(info->name))
		return -EINVAL;
	for (i = 0; info->aliases && info->aliases[i]; i++)
		if (i == DMAHEAP_MAX_ALIASES ||
		    !dmaheap_name_valid(info->aliases[i]))
			return -EINVAL;
	if (dmaheap_name_owned_by_kernel(info->name)) {
		pr_err("heap name '%s' belongs to the kernel's own DMA-BUF heaps; register under another name\n",
		       info->name);
		return -EEXIST;
	}
	*ngroups = 0;
	while (info->groups && info->groups[*ngroups])
		(*ngroups)++;
	return *ngroups > DMAHEAP_MAX_EXTRA_GROUPS ? -EINVAL : 0;
}

/**
 * __dmaheap_register() - register a heap; use dmaheap_register()
 * @info: description of the heap
 * @owner: module that owns the heap's buffers
 *
 * Return: the heap, or an ERR_PTR (see dmaheap_register()).
 */
struct dmaheap *__dmaheap_register(const struct dmaheap_info *info,
				   struct module *owner)
{
	struct dmaheap *heap;
	size_t i, ngroups;
	int ret;

	ret = dmaheap_check_info(info, &ngroups);
	if (ret)
		return ERR_PTR(ret);

	heap = kzalloc(sizeof(*heap), GFP_KERNEL);
	if (!heap)
		return ERR_PTR(-ENOMEM);
	kref_init(&heap->ref);
	strscpy(heap->name, info->name, sizeof(heap->name));
	heap->ops = info->ops;
	heap->priv = info->priv;
	heap->props = info->props;
	heap->owner = owner;
	init_rwsem(&heap->ops_lock);
	dmaheap_stats_init(&heap->stats, info->limit);
	for (i = 0; i < ngroups; i++)
		heap->groups[i] = info->groups[i];

	mutex_lock(&dmaheap_list_lock);
	ret = dmaheap_node_add(heap, heap->name);
	for (i = 0; !ret && info->aliases && info->aliases[i]; i++) {
		if (dmaheap_name_owned_by_kernel(info->aliases[i])) {
			pr_notice("heap '%s': alias '%s' belongs to the kernel's own DMA-BUF heaps; skipped\n",
				  heap->name, info->aliases[i]);
			continue;
		}
		ret = dmaheap_node_add(heap, info->aliases[i]);
	}
	if (ret)
		goto remove_nodes;
	list_add_tail(&heap->list, &dmaheap_heaps);
	mutex_unlock(&dmaheap_list_lock);

	pr_info("heap '%s' registered, cap %llu bytes\n", heap->name,
		heap->stats.limit);
	return heap;

remove_nodes:
	mutex_unlock(&dmaheap_list_lock);
	dmaheap_nodes_remove(heap);
	dmaheap_nodes_put(heap);
	dmaheap_put(heap);
	return ERR_PTR(ret);
}
DMAHEAP_EXPORT(__dmaheap_register);

/**
 * dmaheap_unregister() - remove a heap
 * @heap: heap returned by dmaheap_register()
 *
 * Removes the device nodes and sysfs directories and waits for allocations
 * in progress to finish.  Afterwards the heap's ops are never called again;
 * allocation through an fd that is still open fails with -ENODEV.  Buffers
 * that are still alive keep the struct (and, through dma-buf's module
 * reference, the owner module) until they are released.
 */
void dmaheap_unregister(struct dmaheap *heap)
{
	mutex_lock(&dmaheap_list_lock);
	list_del(&heap->list);
	mutex_unlock(&dmaheap_list_lock);
	dmaheap_nodes_remove(heap);

	down_write(&heap->ops_lock);
	heap->dead = true;
	up_write(&heap->ops_lock);

	pr_info("heap '%s' unregistered\n", heap->name);
	dmaheap_nodes_put(heap);
	dmaheap_put(heap);
}
DMAHEAP_EXPORT(dmaheap_unregister);

/**
 * dmaheap_find() - look up a registered heap by one of its names
 * @name: heap name or alias
 *
 * Return: the heap with a reference held (drop it with dmaheap_put()), or
 * NULL if no heap has that name.
 */
struct dmaheap *dmaheap_find(const char *name)
{
	struct dmaheap_node *node;
	struct dmaheap *heap = NULL;

	mutex_lock(&dmaheap_list_lock);
	node = dmaheap_find_node_locked(name);
	if (node) {
		heap = node->heap;
		dmaheap_get(heap);
	}
	mutex_unlock(&dmaheap_list_lock);
	return heap;
}
DMAHEAP_EXPORT(dmaheap_find);

/**
 * dmaheap_alloc() - allocate a buffer from a heap inside the kernel
 * @heap: heap, e.g. from dmaheap_find()
 * @len: length in bytes; rounded up to whole pages
 * @fd_flags: O_CLOEXEC and access mode, as in struct dma_heap_allocation_data
 * @heap_flags: must be 0
 *
 * Applies the same checks, cap and statistics as DMA_HEAP_IOCTL_ALLOC, for
 * front-ends that give buffers to userspace through another interface.  The
 * allocation counts as successful; a caller that cannot hand the buffer out
 * after all releases it with dmaheap_alloc_abort().
 *
 * Return: the dma-buf, or an ERR_PTR: -EINVAL for bad arguments, -ENOMEM
 * over the cap or out of memory, -ENODEV if the heap was unregistered.
 */
struct dma_buf *dmaheap_alloc(struct dmaheap *heap, u64 len, u32 fd_flags,
			      u64 heap_flags)
{
	struct dma_heap_allocation_data data = {
		.len = len,
		.fd_flags = fd_flags,
		.heap_flags = heap_flags,
	};
	struct dma_buf *dmabuf;
	size_t alen;
	int ret;

	ret = dmaheap_validate(&data, &alen);
	if (ret)
		return ERR_PTR(ret);
	dmabuf = dmaheap_call_allocate(heap, alen, &data);
	if (!IS_ERR(dmabuf))
		dmaheap_account_result(heap, true);
	return dmabuf;
}
DMAHEAP_EXPORT(dmaheap_alloc);

/**
 * dmaheap_alloc_abort() - drop a buffer from dmaheap_alloc() never handed out
 * @heap: the heap it came from
 * @dmabuf: the buffer
 *
 * For front-ends that fail to give the buffer to userspace after all (for
 * example a bad pointer for the result): the request counts as failed, not
 * successful, and the buffer is released.
 */
void dmaheap_alloc_abort(struct dmaheap *heap, struct dma_buf *dmabuf)
{
	spin_lock(&heap->stats.lock);
	if (!WARN_ON(!heap->stats.total_allocs))
		heap->stats.total_allocs--;
	heap->stats.failed_allocs++;
	spin_unlock(&heap->stats.lock);
	/* The release op gives the charge back. */
	dma_buf_put(dmabuf);
}
DMAHEAP_EXPORT(dmaheap_alloc_abort);

/**
 * dmaheap_for_each() - call a function for every registered heap
 * @fn: called with each heap (once, whatever its aliases); a non-zero
 *	return stops the walk
 * @data: passed to @fn
 *
 * @fn runs with the registry locked: it must not register or unregister
 * heaps.  It may take a reference with dmaheap_get() to keep one.
 *
 * Return: the first non-zero value returned by @fn, or 0.
 */
int dmaheap_for_each(int (*fn)(struct dmaheap *heap, void *data), void *data)
{
	struct dmaheap *heap;
	int ret = 0;

	mutex_lock(&dmaheap_list_lock);
	list_for_each_entry(heap, &dmaheap_heaps, list) {
		ret = fn(heap, data);
		if (ret)
			break;
	}
	mutex_unlock(&dmaheap_list_lock);
	return ret;
}
DMAHEAP_EXPORT(dmaheap_for_each);

/**
 * dmaheap_priv() - a heap's private data
 * @heap: the heap
 *
 * Return: dmaheap_info::priv as given at registration.
 */
void *dmaheap_priv(const struct dmaheap *heap)
{
	return heap->priv;
}
DMAHEAP_EXPORT(dmaheap_priv);

/**
 * dmaheap_name() - a heap's own name
 * @heap: the heap
 *
 * Return: the name given at registration (not an alias), valid while the
 * caller holds a reference to the heap.
 */
const char *dmaheap_name(const struct dmaheap *heap)
{
	return heap->name;
}
DMAHEAP_EXPORT(dmaheap_name);

/**
 * dmaheap_owner() - the module that owns a heap's buffers
 * @heap: the heap
 *
 * Return: the module that called dmaheap_register().
 */
struct module *dmaheap_owner(const struct dmaheap *heap)
{
	return heap->owner;
}
DMAHEAP_EXPORT(dmaheap_owner);

/**
 * dmaheap_from_dev() - the heap behind one of a heap's sysfs devices
 * @dev: device passed to an attribute's show or store callback
 *
 * Return: the heap (the same for its own node and its aliases).
 */
struct dmaheap *dmaheap_from_dev(struct device *dev)
{
	return dev_get_drvdata(dev);
}
DMAHEAP_EXPORT(dmaheap_from_dev);

/**
 * dmaheap_get() - take a reference on a heap's struct
 * @heap: the heap
 *
 * Keeps the struct (name, statistics) valid after dmaheap_unregister().
 */
void dmaheap_get(struct dmaheap *heap)
{
	kref_get(&heap->ref);
}
DMAHEAP_EXPORT(dmaheap_get);

/**
 * dmaheap_put() - drop a reference taken with dmaheap_get()
 * @heap: the heap
 */
void dmaheap_put(struct dmaheap *heap)
{
	kref_put(&heap->ref, dmaheap_free);
}
DMAHEAP_EXPORT(dmaheap_put);

/* Pools ------------------------------------------------------------------- */

/* Protects dmaheap_pools; held across every drain. */
static DEFINE_MUTEX(dmaheap_pools_lock);
static LIST_HEAD(dmaheap_pools);

/* A tick after dmaheap_pool_queue(): the pool's thread gets the work. */
static void dmaheap_pool_kick(struct timer_list *t)
{
	struct dmaheap_pool *pool = from_timer(pool, t, kick);

	kthread_queue_work(pool->worker, pool->work);
}

/**
 * dmaheap_pool_register() - start a pool's thread and shrinker, and let
 *	other heaps ask for its memory back
 * @pool: the pool, with @priv and @work set, and @count, @scan and @drain
 *	or NULL (memory the system cannot have back: no shrinker, no drain)
 * @name: the pool's heap, for the names of the thread (dmaheap-<name>)
 *	and the shrinker
 *
 * Zeroing released pages is work for idle time.  The thread runs at the
 * lowest priority of the normal scheduling class (nice 19), so that it
 * does not take the CPU from the task whose release woke it: a worker of
 * normal priority runs at that task's next preemption point, which on a
 * busy CPU is still inside its close(), and zeroes the whole buffer there.
 * At nice 19 it still makes progress on a busy CPU, only slowly, and a
 * pool that finds only released pages zeroes one itself.
 *
 * Return: 0, or -errno with nothing left registered.
 */
int dmaheap_pool_register(struct dmaheap_pool *pool, const char *name)
{
	char sname[DMAHEAP_NAME_MAX + 16];
	int ret;

	pool->worker = kthread_create_worker(0, "dmaheap-%s", name);
	if (IS_ERR(pool->worker))
		return PTR_ERR(pool->worker);
	sched_set_normal(pool->worker->task, MAX_NICE);
	timer_setup(&pool->kick, dmaheap_pool_kick, 0);

	if (pool->count) {
		pool->shrinker.count = pool->count;
		pool->shrinker.scan = pool->scan;
		pool->shrinker.priv = pool->priv;
		snprintf(sname, sizeof(sname), "dmaheap-%s", name);
		ret = dmaheap_shrinker_register(&pool->shrinker, sname);
		if (ret)
			goto destroy_worker;
	}

	mutex_lock(&dmaheap_pools_lock);
	list_add_tail(&pool->node, &dmaheap_pools);
	mutex_unlock(&dmaheap_pools_lock);
	return 0;

destroy_worker:
	kthread_destroy_worker(pool->worker);
	return ret;
}
DMAHEAP_EXPORT(dmaheap_pool_register);

/**
 * dmaheap_pool_unregister() - stop a pool and give its memory back
 * @pool: a pool registered with dmaheap_pool_register(); no buffer of its
 *	heap is alive any more
 *
 * Takes the pool off the list (waiting for a drain in progress), stops its
 * shrinker and its timer, drains it and ends its thread.  Work the heap queued after the
 * drain is flushed when the thread ends.
 */
void dmaheap_pool_unregister(struct dmaheap_pool *pool)
{
	mutex_lock(&dmaheap_pools_lock);
	list_del(&pool->node);
	mutex_unlock(&dmaheap_pools_lock);
	if (pool->count)
		dmaheap_shrinker_unregister(&pool->shrinker);
	/* Nothing is released any more: stop the timer, then its thread. */
	timer_delete_sync(&pool->kick);
	if (pool->drain)
		pool->drain(pool->priv);
	kthread_destroy_worker(pool->worker);
}
DMAHEAP_EXPORT(dmaheap_pool_unregister);

/**
 * dmaheap_pool_queue() - have the pool's work run, from the next tick on
 * @pool: a registered pool
 *
 * For a release: it arms a timer (when none is pending) rather than wake
 * the thread.  Waking a thread costs the releasing task more than zeroing
 * a small buffer, and on a busy CPU the scheduler may hand the woken
 * thread the CPU before the release returns.  Callable in any context.
 */
void dmaheap_pool_queue(struct dmaheap_pool *pool)
{
	if (!timer_pending(&pool->kick))
		mod_timer(&pool->kick, jiffies + 1);
}
DMAHEAP_EXPORT(dmaheap_pool_queue);

/**
 * dmaheap_pool_flush() - run the pool's work now, and wait for it
 * @pool: a registered pool
 *
 * What was released before the call has been dealt with on return.  May
 * sleep.
 */
void dmaheap_pool_flush(struct dmaheap_pool *pool)
{
	timer_delete(&pool->kick);
	kthread_queue_work(pool->worker, pool->work);
	kthread_flush_work(pool->work);
}
DMAHEAP_EXPORT(dmaheap_pool_flush);

/**
 * dmaheap_pools_drain() - empty every heap's pool
 *
 * For a heap about to fail a request for lack of contiguous memory.
 *
 * Return: the number of pages given back to the page allocator.
 */
unsigned long dmaheap_pools_drain(void)
{
	struct dmaheap_pool *pool;
	unsigned long pages = 0;

	mutex_lock(&dmaheap_pools_lock);
	list_for_each_entry(pool, &dmaheap_pools, node)
		if (pool->drain)
			pages += pool->drain(pool->priv);
	mutex_unlock(&dmaheap_pools_lock);
	return pages;
}
DMAHEAP_EXPORT(dmaheap_pools_drain);

static int __init dmaheap_init(void)
{
	int ret;

	ret = dmaheap_account_init();
	if (ret)
		return ret;
	ret = alloc_chrdev_region(&dmaheap_devt, 0, DMAHEAP_MAX_NODES,
				  "dmaheap");
	if (ret)
		goto exit_account;
	ret = class_register(&dmaheap_class);
	if (ret)
		goto unregister_chrdev;
	return 0;

unregister_chrdev:
	unregister_chrdev_region(dmaheap_devt, DMAHEAP_MAX_NODES);
exit_account:
	dmaheap_account_exit();
	return ret;
}

static void __exit dmaheap_exit(void)
{
	class_unregister(&dmaheap_class);
	unregister_chrdev_region(dmaheap_devt, DMAHEAP_MAX_NODES);
	ida_destroy(&dmaheap_minors);
	dmaheap_account_exit();
}

module_init(dmaheap_init);
module_exit(dmaheap_exit);

MODULE_DESCRIPTION("DMA-BUF heaps framework core (out of tree)");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMAHEAP_NS(DMA_BUF));
