// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap core: the heap registry, the /dev/dma_heap/<name> nodes, the
 * DMA_HEAP_IOCTL_ALLOC ioctl, and per-heap statistics and caps in sysfs.
 *
 * The core never touches buffer memory.  It validates a request, charges its
 * length against the heap's cap, asks the heap for a dma-buf and installs the
 * fd.  Buffers give their charge back when they are released.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/ctype.h>
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <dmaheap/compat.h>
#include <dmaheap/heap.h>
#include "../include/uapi/linux/dma-heap.h"

/* Size of struct dma_heap_allocation_data before heap_flags was added. */
#define DMAHEAP_ALLOC_DATA_V1_SIZE	16

/* Most extra attribute groups a heap may pass in dmaheap_info::groups. */
#define DMAHEAP_MAX_EXTRA_GROUPS	4

static unsigned int default_limit_pct = 50;
module_param(default_limit_pct, uint, 0444);
MODULE_PARM_DESC(default_limit_pct,
		 "Default cap on a heap's live bytes, in percent of RAM (1-100, default 50)");

/**
 * struct dmaheap - a registered heap
 * @dev:	The heap's device; its refcount keeps the struct alive for open
 *		heap fds and for every live buffer.
 * @cdev:	Char device behind /dev/dma_heap/<name>.
 * @name:	Heap name, also the device name.
 * @ops:	Heap operations; only called under @ops_lock held for read
 *		while @dead is false.
 * @priv:	Heap private data.
 * @props:	DMAHEAP_PROP_* flags.
 * @owner:	Module that registered the heap and owns its buffers.
 * @list:	Entry in dmaheap_list.
 * @ops_lock:	Protects @dead.  Held for read across each allocate op and
 *		for write while unregistering, so that no op runs after
 *		dmaheap_unregister() returns.
 * @dead:	Set once the heap is unregistered.
 * @stats_lock:	Protects @bytes, @peak, @limit, @buffers, @total_allocs
 *		and @failed_allocs.
 * @bytes:	Live bytes, including allocations in progress.
 * @peak:	Highest @bytes seen.
 * @limit:	Cap on @bytes.
 * @buffers:	Live buffers, including allocations in progress.
 * @total_allocs: Allocations handed to userspace.
 * @failed_allocs: Well-formed requests that failed.
 * @groups:	Extra sysfs groups from the heap, NULL-terminated.
 */
struct dmaheap {
	struct device dev;
	struct cdev cdev;
	char name[DMAHEAP_NAME_MAX + 1];
	const struct dmaheap_ops *ops;
	void *priv;
	unsigned int props;
	struct module *owner;
	struct list_head list;

	struct rw_semaphore ops_lock;
	bool dead;

	spinlock_t stats_lock;
	u64 bytes;
	u64 peak;
	u64 limit;
	u64 buffers;
	u64 total_allocs;
	u64 failed_allocs;

	const struct attribute_group *groups[DMAHEAP_MAX_EXTRA_GROUPS + 1];
};

/* Protects dmaheap_list. */
static DEFINE_MUTEX(dmaheap_list_lock);
static LIST_HEAD(dmaheap_list);
static DEFINE_IDA(dmaheap_minors);
static dev_t dmaheap_devt;

static inline struct dmaheap *to_dmaheap(struct device *dev)
{
	return container_of(dev, struct dmaheap, dev);
}

/* Statistics and caps ---------------------------------------------------- */

static int dmaheap_charge(struct dmaheap *heap, size_t len)
{
	int ret = 0;

	spin_lock(&heap->stats_lock);
	if (len > heap->limit || heap->bytes > heap->limit - len) {
		heap->failed_allocs++;
		ret = -ENOMEM;
	} else {
		heap->bytes += len;
		heap->buffers++;
		heap->peak = max(heap->peak, heap->bytes);
	}
	spin_unlock(&heap->stats_lock);
	return ret;
}

static void dmaheap_account_result(struct dmaheap *heap, bool success)
{
	spin_lock(&heap->stats_lock);
	if (success)
		heap->total_allocs++;
	else
		heap->failed_allocs++;
	spin_unlock(&heap->stats_lock);
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
	spin_lock(&heap->stats_lock);
	if (!WARN_ON(heap->bytes < len || !heap->buffers)) {
		heap->bytes -= len;
		heap->buffers--;
	}
	spin_unlock(&heap->stats_lock);
}
DMAHEAP_EXPORT(dmaheap_uncharge);

static u64 dmaheap_default_limit(void)
{
	unsigned int pct = clamp(default_limit_pct, 1U, 100U);

	return div_u64((u64)totalram_pages() * PAGE_SIZE * pct, 100);
}

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
	struct dma_buf *dmabuf;

	down_read(&heap->ops_lock);
	if (heap->dead) {
		dmabuf = ERR_PTR(-ENODEV);
		goto out_unlock;
	}
	/*
	 * A node is visible as soon as its heap registers, but the module's
	 * init may still fail and unregister it; a buffer made in between
	 * would outlive the module's code.  Serve nothing until the owner has
	 * finished loading (unregistering waits for us under ops_lock).
	 */
	if (heap->owner && heap->owner->state == MODULE_STATE_COMING) {
		dmabuf = ERR_PTR(-EAGAIN);
		goto out_unlock;
	}
	if (dmaheap_charge(heap, len)) {
		dmabuf = ERR_PTR(-ENOMEM);
		goto out_unlock;
	}
	dmabuf = heap->ops->allocate(heap, len, data->fd_flags,
				     data->heap_flags);
	if (IS_ERR(dmabuf)) {
		dmaheap_uncharge(heap, len);
		dmaheap_account_result(heap, false);
	}
out_unlock:
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
	struct dmaheap *heap = file->private_data;

	if (_IOC_TYPE(cmd) != DMA_HEAP_IOC_MAGIC)
		return -ENOTTY;
	if (_IOC_NR(cmd) != _IOC_NR(DMA_HEAP_IOCTL_ALLOC))
		return -EINVAL;
	if (_IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE) ||
	    _IOC_SIZE(cmd) < DMAHEAP_ALLOC_DATA_V1_SIZE)
		return -EINVAL;

	return dmaheap_ioctl_alloc(heap, (void __user *)arg, _IOC_SIZE(cmd));
}

static int dmaheap_open(struct inode *inode, struct file *file)
{
	struct dmaheap *heap = container_of(inode->i_cdev, struct dmaheap,
					    cdev);

	/* The open file keeps the struct (not the heap's module) alive. */
	get_device(&heap->dev);
	file->private_data = heap;
	return nonseekable_open(inode, file);
}

static int dmaheap_release(struct inode *inode, struct file *file)
{
	struct dmaheap *heap = file->private_data;

	put_device(&heap->dev);
	return 0;
}

static const struct file_operations dmaheap_fops = {
	.owner		= THIS_MODULE,
	.open		= dmaheap_open,
	.release	= dmaheap_release,
	.unlocked_ioctl	= dmaheap_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/* sysfs ------------------------------------------------------------------- */

static u64 dmaheap_read_stat(struct dmaheap *heap, const u64 *field)
{
	u64 val;

	spin_lock(&heap->stats_lock);
	val = *field;
	spin_unlock(&heap->stats_lock);
	return val;
}

/* Define <name>_show() printing one counter of the heap. */
#define DMAHEAP_STAT_SHOW(_name, _field)				\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct dmaheap *heap = to_dmaheap(dev);				\
									\
	return sysfs_emit(buf, "%llu\n",				\
			  dmaheap_read_stat(heap, &heap->_field));	\
}

DMAHEAP_STAT_SHOW(buffers, buffers)
static DEVICE_ATTR_RO(buffers);
DMAHEAP_STAT_SHOW(bytes, bytes)
static DEVICE_ATTR_RO(bytes);
DMAHEAP_STAT_SHOW(total_allocs, total_allocs)
static DEVICE_ATTR_RO(total_allocs);
DMAHEAP_STAT_SHOW(failed_allocs, failed_allocs)
static DEVICE_ATTR_RO(failed_allocs);

static int dmaheap_parse_size(const char *buf, u64 *val)
{
	char *end;

	/* memparse() alone would take a bare suffix such as "M" as 0. */
	if (!isdigit(*buf))
		return -EINVAL;
	*val = memparse(buf, &end);
	if (*end == '\n')
		end++;
	return *end ? -EINVAL : 0;
}

DMAHEAP_STAT_SHOW(peak_bytes, peak)

/* Writing 0 restarts the watermark from the current live bytes. */
static ssize_t peak_bytes_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct dmaheap *heap = to_dmaheap(dev);
	u64 val;

	if (dmaheap_parse_size(buf, &val) || val)
		return -EINVAL;
	spin_lock(&heap->stats_lock);
	heap->peak = heap->bytes;
	spin_unlock(&heap->stats_lock);
	return count;
}
static DEVICE_ATTR_RW(peak_bytes);

DMAHEAP_STAT_SHOW(limit_bytes, limit)

/*
 * A new cap applies to later allocations; buffers already above it stay.
 */
static ssize_t limit_bytes_store(struct device *dev,
				 struct device_attribute *attr,
				 const char *buf, size_t count)
{
	struct dmaheap *heap = to_dmaheap(dev);
	u64 val;

	if (dmaheap_parse_size(buf, &val))
		return -EINVAL;
	spin_lock(&heap->stats_lock);
	heap->limit = val;
	spin_unlock(&heap->stats_lock);
	return count;
}
static DEVICE_ATTR_RW(limit_bytes);

static ssize_t uncached_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  !!(to_dmaheap(dev)->props & DMAHEAP_PROP_UNCACHED));
}
static DEVICE_ATTR_RO(uncached);

static ssize_t contiguous_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  !!(to_dmaheap(dev)->props & DMAHEAP_PROP_CONTIGUOUS));
}
static DEVICE_ATTR_RO(contiguous);

static struct attribute *dmaheap_attrs[] = {
	&dev_attr_buffers.attr,
	&dev_attr_bytes.attr,
	&dev_attr_peak_bytes.attr,
	&dev_attr_total_allocs.attr,
	&dev_attr_failed_allocs.attr,
	&dev_attr_limit_bytes.attr,
	&dev_attr_uncached.attr,
	&dev_attr_contiguous.attr,
	NULL,
};
ATTRIBUTE_GROUPS(dmaheap);

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
	.dev_groups	= dmaheap_groups,
};

/* Registry ---------------------------------------------------------------- */

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

static struct dmaheap *dmaheap_find_locked(const char *name)
{
	struct dmaheap *heap;

	lockdep_assert_held(&dmaheap_list_lock);
	list_for_each_entry(heap, &dmaheap_list, list)
		if (!strcmp(heap->name, name))
			return heap;
	return NULL;
}

static void dmaheap_dev_release(struct device *dev)
{
	struct dmaheap *heap = to_dmaheap(dev);

	ida_free(&dmaheap_minors, MINOR(heap->dev.devt));
	kfree(heap);
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
	size_t i, ngroups = 0;
	int minor, ret;

	if (!info || !info->name || !info->ops || !info->ops->allocate ||
	    !dmaheap_name_valid(info->name))
		return ERR_PTR(-EINVAL);
	if (dmaheap_name_owned_by_kernel(info->name)) {
		pr_err("heap name '%s' belongs to the kernel's own DMA-BUF heaps; register under another name\n",
		       info->name);
		return ERR_PTR(-EEXIST);
	}
	while (info->groups && info->groups[ngroups])
		ngroups++;
	if (ngroups > DMAHEAP_MAX_EXTRA_GROUPS)
		return ERR_PTR(-EINVAL);

	heap = kzalloc(sizeof(*heap), GFP_KERNEL);
	if (!heap)
		return ERR_PTR(-ENOMEM);
	strscpy(heap->name, info->name, sizeof(heap->name));
	heap->ops = info->ops;
	heap->priv = info->priv;
	heap->props = info->props;
	heap->owner = owner;
	heap->limit = info->limit ?: dmaheap_default_limit();
	init_rwsem(&heap->ops_lock);
	spin_lock_init(&heap->stats_lock);
	for (i = 0; i < ngroups; i++)
		heap->groups[i] = info->groups[i];

	minor = ida_alloc_max(&dmaheap_minors, DMAHEAP_MAX_HEAPS - 1,
			      GFP_KERNEL);
	if (minor < 0) {
		ret = minor;
		goto free_heap;
	}

	device_initialize(&heap->dev);
	heap->dev.class = &dmaheap_class;
	heap->dev.devt = MKDEV(MAJOR(dmaheap_devt), minor);
	heap->dev.groups = heap->groups;
	heap->dev.release = dmaheap_dev_release;
	dev_set_drvdata(&heap->dev, heap);
	/* From here on, put_device() frees the minor and the struct. */
	ret = dev_set_name(&heap->dev, "%s", heap->name);
	if (ret)
		goto put_device;

	cdev_init(&heap->cdev, &dmaheap_fops);
	heap->cdev.owner = THIS_MODULE;

	mutex_lock(&dmaheap_list_lock);
	if (dmaheap_find_locked(heap->name)) {
		ret = -EEXIST;
		goto unlock_list;
	}
	ret = cdev_device_add(&heap->cdev, &heap->dev);
	if (ret)
		goto unlock_list;
	list_add_tail(&heap->list, &dmaheap_list);
	mutex_unlock(&dmaheap_list_lock);

	pr_info("heap '%s' registered, cap %llu bytes\n", heap->name,
		heap->limit);
	return heap;

unlock_list:
	mutex_unlock(&dmaheap_list_lock);
put_device:
	put_device(&heap->dev);
	return ERR_PTR(ret);
free_heap:
	kfree(heap);
	return ERR_PTR(ret);
}
DMAHEAP_EXPORT(__dmaheap_register);

/**
 * dmaheap_unregister() - remove a heap
 * @heap: heap returned by dmaheap_register()
 *
 * Removes the device node and sysfs directory and waits for allocations in
 * progress to finish.  Afterwards the heap's ops are never called again;
 * allocation through an fd that is still open fails with -ENODEV.  Buffers
 * that are still alive keep the struct (and, through dma-buf's module
 * reference, the owner module) until they are released.
 */
void dmaheap_unregister(struct dmaheap *heap)
{
	mutex_lock(&dmaheap_list_lock);
	list_del(&heap->list);
	mutex_unlock(&dmaheap_list_lock);

	cdev_device_del(&heap->cdev, &heap->dev);

	down_write(&heap->ops_lock);
	heap->dead = true;
	up_write(&heap->ops_lock);

	pr_info("heap '%s' unregistered\n", heap->name);
	put_device(&heap->dev);
}
DMAHEAP_EXPORT(dmaheap_unregister);

/**
 * dmaheap_find() - look up a registered heap by name
 * @name: heap name
 *
 * Return: the heap with a reference held (drop it with dmaheap_put()), or
 * NULL if no heap of that name is registered.
 */
struct dmaheap *dmaheap_find(const char *name)
{
	struct dmaheap *heap;

	mutex_lock(&dmaheap_list_lock);
	heap = dmaheap_find_locked(name);
	if (heap)
		dmaheap_get(heap);
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
	spin_lock(&heap->stats_lock);
	if (!WARN_ON(!heap->total_allocs))
		heap->total_allocs--;
	heap->failed_allocs++;
	spin_unlock(&heap->stats_lock);
	/* The release op gives the charge back. */
	dma_buf_put(dmabuf);
}
DMAHEAP_EXPORT(dmaheap_alloc_abort);

/**
 * dmaheap_for_each() - call a function for every registered heap
 * @fn: called with each heap; a non-zero return stops the walk
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
	list_for_each_entry(heap, &dmaheap_list, list) {
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
 * dmaheap_name() - a heap's name
 * @heap: the heap
 *
 * Return: the name, valid while the caller holds a reference to the heap.
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
 * dmaheap_from_dev() - the heap behind a heap's sysfs device
 * @dev: device passed to an attribute's show or store callback
 *
 * Return: the heap.
 */
struct dmaheap *dmaheap_from_dev(struct device *dev)
{
	return to_dmaheap(dev);
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
	get_device(&heap->dev);
}
DMAHEAP_EXPORT(dmaheap_get);

/**
 * dmaheap_put() - drop a reference taken with dmaheap_get()
 * @heap: the heap
 */
void dmaheap_put(struct dmaheap *heap)
{
	put_device(&heap->dev);
}
DMAHEAP_EXPORT(dmaheap_put);

static int __init dmaheap_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&dmaheap_devt, 0, DMAHEAP_MAX_HEAPS,
				  "dmaheap");
	if (ret)
		return ret;
	ret = class_register(&dmaheap_class);
	if (ret)
		goto unregister_chrdev;
	return 0;

unregister_chrdev:
	unregister_chrdev_region(dmaheap_devt, DMAHEAP_MAX_HEAPS);
	return ret;
}

static void __exit dmaheap_exit(void)
{
	class_unregister(&dmaheap_class);
	unregister_chrdev_region(dmaheap_devt, DMAHEAP_MAX_HEAPS);
	ida_destroy(&dmaheap_minors);
}

module_init(dmaheap_init);
module_exit(dmaheap_exit);

MODULE_DESCRIPTION("DMA-BUF heaps framework core (out of tree)");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMAHEAP_NS(DMA_BUF));
