// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap_simple_alloc: the 2017 simple allocator RFC's interface as a
 * front-end to dmaheap heaps (include/uapi/linux/simple_allocator.h).
 *
 * Each chosen heap gets a char device /dev/<base>N, where <base> is the heap
 * name or a name given in heaps= and N counts the nodes that share a base
 * (so heaps=system-contiguous=cma:carveout=cma gives /dev/cma0 and
 * /dev/cma1, as the RFC named its CMA regions).  SA_IOC_ALLOC allocates
 * through dmaheap_alloc(), with the heap's own checks, cap and statistics,
 * and installs the dma-buf fd.
 *
 * Heaps are chosen at load: without heaps=, every heap registered by then.
 * A node names its heap and looks it up on every request, so it keeps no
 * heap module loaded and follows the heap when its module is reloaded;
 * while no heap of that name is registered it answers -ENODEV.
 *
 * Errors: -ENOTTY for any other command, -EFAULT for a bad pointer (no fd
 * is left behind), -EINVAL for a non-zero version or reserved field, flags
 * other than O_CLOEXEC and the access mode, or a length of 0 or one that
 * overflows when rounded up to pages, -ENOMEM over the heap's cap, the
 * global budget or the memory cgroup's limit, or out of memory, -EDQUOT
 * over the allocating user's quota, -EINTR when a fatal signal cut the
 * allocation short, -ENODEV once the heap is gone: the errors of
 * DMA_HEAP_IOCTL_ALLOC (docs/DESIGN.md), which this shares.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <dmaheap/compat.h>
#include <dmaheap/heap.h>
#include <dmaheap/parse.h>
#include "../../include/uapi/linux/simple_allocator.h"

/* Room for a heap name and the node number after it. */
#define SA_NODE_NAME_MAX	(DMAHEAP_NAME_MAX + 8)

static char *heaps;
module_param(heaps, charp, 0444);
MODULE_PARM_DESC(heaps,
		 "Heaps to expose, separated by ':', each HEAP or HEAP=BASE for /dev/BASE<N> (default: every heap, as /dev/<heap>0)");

/**
 * struct sa_node - one /dev/<base>N node
 * @misc:	The char device.
 * @heap:	Name of the heap behind it.
 * @base:	Base name, without the number.
 * @devname:	Device name: @base and the node number.
 */
struct sa_node {
	struct miscdevice misc;
	char heap[DMAHEAP_NAME_MAX + 1];
	char base[DMAHEAP_NAME_MAX + 1];
	char devname[SA_NODE_NAME_MAX];
};

/* The nodes, created at load and removed at unload; no locking needed. */
static struct sa_node *sa_nodes[DMAHEAP_MAX_NODES];
static unsigned int sa_nnodes;

/* The ioctl ------------------------------------------------------------------- */

static long sa_alloc(struct sa_node *node, void __user *uarg)
{
	struct simple_allocate_data data;
	struct dma_buf *dmabuf;
	struct dmaheap *heap;
	int fd, ret;

	if (copy_from_user(&data, uarg, sizeof(data)))
		return -EFAULT;
	if (data.version || data.reserved1 || data.reserved2)
		return -EINVAL;
	if (data.flags & ~(O_CLOEXEC | O_ACCMODE))
		return -EINVAL;

	heap = dmaheap_find(node->heap);
	if (!heap)
		return -ENODEV;
	dmabuf = dmaheap_alloc(heap, data.length, data.flags, 0);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto put_heap;
	}

	/* Publish the fd only once the caller has been told its number. */
	fd = get_unused_fd_flags(data.flags);
	if (fd < 0) {
		ret = fd;
		goto abort_alloc;
	}
	data.fd = fd;
	data.length = dmabuf->size;
	if (copy_to_user(uarg, &data, sizeof(data))) {
		ret = -EFAULT;
		goto put_fd;
	}
	fd_install(fd, dmabuf->file);
	dmaheap_put(heap);
	return 0;

put_fd:
	put_unused_fd(fd);
abort_alloc:
	dmaheap_alloc_abort(heap, dmabuf);
put_heap:
	dmaheap_put(heap);
	return ret;
}

static long sa_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct sa_node *node = container_of(file->private_data, struct sa_node,
					    misc);

	if (cmd != SA_IOC_ALLOC)
		return -ENOTTY;
	return sa_alloc(node, (void __user *)arg);
}

static const struct file_operations sa_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= sa_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/* sysfs: /sys/class/misc/<node>/heap ------------------------------------------ */

static ssize_t heap_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct miscdevice *misc = dev_get_drvdata(dev);
	struct sa_node *node = container_of(misc, struct sa_node, misc);

	return sysfs_emit(buf, "%s\n", node->heap);
}
static DEVICE_ATTR_RO(heap);

static struct attribute *sa_attrs[] = {
	&dev_attr_heap.attr,
	NULL,
};
ATTRIBUTE_GROUPS(sa);

/* Setup -------------------------------------------------------------------- */

/* Create a node for the heap named @heap under @base. */
static int sa_node_create(const char *heap, const char *base)
{
	struct sa_node *node;
	unsigned int i, n = 0;
	int ret;

	if (sa_nnodes == ARRAY_SIZE(sa_nodes))
		return -ENOSPC;
	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		return -ENOMEM;
	if (strscpy(node->base, base, sizeof(node->base)) < 0 ||
	    strscpy(node->heap, heap, sizeof(node->heap)) < 0) {
		ret = -EINVAL;
		goto free_node;
	}
	for (i = 0; i < sa_nnodes; i++)
		if (!strcmp(sa_nodes[i]->base, base))
			n++;
	snprintf(node->devname, sizeof(node->devname), "%s%u", base, n);
	node->misc.minor = MISC_DYNAMIC_MINOR;
	node->misc.name = node->devname;
	node->misc.fops = &sa_fops;
	node->misc.mode = 0600;
	node->misc.groups = sa_groups;

	ret = misc_register(&node->misc);
	if (ret) {
		pr_err("cannot create /dev/%s: %d\n", node->devname, ret);
		goto free_node;
	}
	sa_nodes[sa_nnodes++] = node;
	pr_info("/dev/%s serves heap '%s'\n", node->devname, node->heap);
	return 0;

free_node:
	kfree(node);
	return ret;
}

static void sa_nodes_remove(void)
{
	while (sa_nnodes) {
		struct sa_node *node = sa_nodes[--sa_nnodes];

		misc_deregister(&node->misc);
		kfree(node);
	}
}

/* One heaps= entry, "HEAP[=BASE]". */
static int sa_create_listed(char *entry, unsigned int index, void *data)
{
	char *base = strchr(entry, '=');
	struct dmaheap *heap;

	if (base)
		*base++ = '\0';
	/* A typo should fail the load, not make a dead node. */
	heap = dmaheap_find(entry);
	if (!heap) {
		pr_err("no heap named '%s'; load it first\n", entry);
		return -ENODEV;
	}
	dmaheap_put(heap);
	return sa_node_create(entry, base && *base ? base : entry);
}

/**
 * struct sa_collect - heaps found by dmaheap_for_each()
 * @heaps:	The heaps, each with a reference held.
 * @n:		Entries in @heaps.
 */
struct sa_collect {
	struct dmaheap *heaps[DMAHEAP_MAX_NODES];
	unsigned int n;
};

static int sa_collect_one(struct dmaheap *heap, void *data)
{
	struct sa_collect *c = data;

	if (c->n == ARRAY_SIZE(c->heaps))
		return -ENOSPC;
	dmaheap_get(heap);
	c->heaps[c->n++] = heap;
	return 0;
}

/* No heaps=: every heap registered now, each under its own name. */
static int sa_create_all(void)
{
	struct sa_collect *c;
	unsigned int i;
	int ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	/* Collect first: nodes are created without the registry locked. */
	ret = dmaheap_for_each(sa_collect_one, c);
	for (i = 0; i < c->n; i++) {
		if (!ret)
			ret = sa_node_create(dmaheap_name(c->heaps[i]),
					     dmaheap_name(c->heaps[i]));
		dmaheap_put(c->heaps[i]);
	}
	kfree(c);
	return ret;
}

static int __init sa_init(void)
{
	int ret;

	if (heaps && *heaps)
		ret = dmaheap_parse_list(heaps, ':', sa_create_listed, NULL);
	else
		ret = sa_create_all();
	if (ret)
		sa_nodes_remove();
	return ret;
}

static void __exit sa_exit(void)
{
	sa_nodes_remove();
}

module_init(sa_init);
module_exit(sa_exit);

MODULE_DESCRIPTION("dmaheap front-end: the simple allocator RFC's /dev/<heap>N nodes");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMAHEAP_NS(DMAHEAP));
MODULE_IMPORT_NS(DMAHEAP_NS(DMA_BUF));
