// SPDX-License-Identifier: GPL-2.0
/*
 * edu_importer: a test-only PCI driver that makes qemu's "edu" device a
 * dma-buf importer, so that a real DMA master reads and writes heap buffers.
 *
 * The edu device (qemu hw/misc/edu.c, PCI 1234:11e8) has one BAR of
 * registers and a DMA engine that copies up to 4 KiB at a time between
 * system memory and a buffer inside the device.  The engine sees the device
 * buffer at address 0x40000 and masks every system-memory address with its
 * DMA mask (28 bits by default; qemu's dma_mask property changes it, and the
 * dma_bits parameter must then say the same): it silently wraps instead of
 * failing, so the driver must never hand it an address beyond the mask.
 *
 * The driver follows the dma-buf importer rules:
 *  - it attaches before mapping, and maps before the device touches the
 *    buffer; the mapping stays until UNMAP, DETACH or close;
 *  - the device is programmed only with the DMA addresses of that mapping:
 *    the driver never looks at the pages behind it (no sg_page(), no kmap)
 *    and leaves CPU cache maintenance to the exporter's begin/end_cpu_access;
 *  - it unmaps before detaching and detaches before dropping its reference,
 *    so a buffer whose fd userspace closed lives until the device lets go.
 *
 * See edu_importer_uapi.h for the ioctl interface and its errors.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iopoll.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <dmaheap/compat.h>
#include <dmaheap/dma.h>

#include "edu_importer_uapi.h"
#include "kmod_util.h"

#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8

/* Registers in BAR 0. */
#define EDU_REG_ID		0x00	/* 0xMMmm00ed: version, then magic */
#define EDU_ID_MAGIC		0xed
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_CMD_RUN		BIT(0)	/* start; the device clears it when done */
#define EDU_DMA_CMD_TO_RAM	BIT(1)	/* device buffer -> system memory */

/*
 * Where the engine sees the device's own buffer, and how much of it is
 * used (not the last byte: see EDU_IMPORTER_DEV_BUF_SIZE).
 */
#define EDU_DEV_BUF_ADDR	0x40000
#define EDU_DEV_BUF_SIZE	EDU_IMPORTER_DEV_BUF_SIZE

/* qemu's default edu DMA mask: 28 bits. */
static unsigned int dma_bits = 28;
module_param(dma_bits, uint, 0444);
MODULE_PARM_DESC(dma_bits,
		 "Address bits of the device's DMA engine, as qemu's dma_mask property set them (default 28; tests/vm/run --edu-dma-bits sets both, and uses 32 on arm64, whose RAM starts at 1 GiB)");

/*
 * The driver splits transfers at segment ends itself, so the DMA layer may
 * merge a mapping into segments this long (an IOMMU then gives one IOVA
 * range for a whole scattered buffer).
 */
#define EDU_MAX_SEG_SIZE	SZ_1G

/*
 * qemu completes a transfer about 100 ms (virtual time) after it starts;
 * allow plenty for a slow, emulated host.
 */
#define EDU_DMA_POLL_US		2000
#define EDU_DMA_TIMEOUT_S	10
#define EDU_DMA_TIMEOUT_US	(EDU_DMA_TIMEOUT_S * USEC_PER_SEC)

/*
 * Locks, outermost first: edu_importer::files_lock, edu_file::lock,
 * edu_importer::engine_lock.  The dma-buf calls (attach, map, unmap,
 * detach) are made with edu_file::lock held, never engine_lock.
 */

/**
 * struct edu_importer - one edu device
 * @pdev:	The PCI device (a reference is held).
 * @regs:	BAR 0.
 * @misc:	The /dev/edu-importer<N> node.
 * @name:	Node name.
 * @id:		<N>, from edu_ida.
 * @ref:	Held by the bound driver and by every open file.
 * @engine_lock: Protects the DMA engine registers, @bounce and @wedged.
 * @bounce:	DMA-coherent page the CPU side of DEV_WRITE/DEV_READ uses.
 * @bounce_dma:	Its DMA address.
 * @wedged:	A transfer timed out; the engine is no longer used.
 * @files_lock:	Protects @files.
 * @files:	Open files (struct edu_file), so removal can release them.
 */
struct edu_importer {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct miscdevice misc;
	char name[32];
	int id;
	struct kref ref;

	struct mutex engine_lock;
	void *bounce;
	dma_addr_t bounce_dma;
	bool wedged;

	struct mutex files_lock;
	struct list_head files;
};

/**
 * struct edu_file - an open /dev/edu-importer<N>
 * @edu:	The device (a reference is held).
 * @node:	Entry in edu_importer::files.
 * @lock:	Protects @attachments (and each attachment's fields),
 *		@count, @last_id and @dead; held across DMA so that removal
 *		waits for transfers in flight, but never while user memory
 *		is read or written.
 * @attachments: Handle -> struct edu_attachment.
 * @count:	Entries in @attachments.
 * @last_id:	Last id given to an attachment or a mapping.
 * @dead:	The device was removed; every ioctl fails with -ENODEV.
 */
struct edu_file {
	struct edu_importer *edu;
	struct list_head node;
	struct mutex lock;
	struct xarray attachments;
	unsigned int count;
	u64 last_id;
	bool dead;
};

/**
 * struct edu_attachment - the device's attachment to one dma-buf
 * @dmabuf:	The buffer (a reference is held).
 * @attach:	The attachment.
 * @sgt:	The mapping for the device, or NULL while unmapped.
 * @dir:	Direction of @sgt.
 * @mapped_len:	Bytes covered by the DMA segments of @sgt.
 * @id:		Unique in the file: a handle can be reused once detached, an
 *		id never, so an ioctl that must undo its work after dropping
 *		the lock finds out whether the work is still its own.
 * @map_id:	The same for the current mapping.
 */
struct edu_attachment {
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	enum dma_data_direction dir;
	u64 mapped_len;
	u64 id;
	u64 map_id;
};

static DEFINE_IDA(edu_ida);

static void edu_release(struct kref *ref)
{
	struct edu_importer *edu = container_of(ref, struct edu_importer, ref);

	mutex_destroy(&edu->files_lock);
	mutex_destroy(&edu->engine_lock);
	pci_dev_put(edu->pdev);
	kfree(edu);
}

/* The DMA engine ----------------------------------------------------------- */

/*
 * Copy @len bytes between system memory at DMA address @ram and the device
 * buffer at @dev_off, and wait for the engine to finish.
 */
static int edu_dma_transfer(struct edu_importer *edu, dma_addr_t ram,
			    u32 dev_off, u32 len, bool to_ram)
{
	u64 dev_addr = EDU_DEV_BUF_ADDR + dev_off;
	u64 cmd = EDU_DMA_CMD_RUN;
	int ret;

	lockdep_assert_held(&edu->engine_lock);
	if (edu->wedged)
		return -EIO;
	if (WARN_ON(!len || dev_off + len > EDU_DEV_BUF_SIZE))
		return -EINVAL;

	if (to_ram) {
		writeq(dev_addr, edu->regs + EDU_REG_DMA_SRC);
		writeq(ram, edu->regs + EDU_REG_DMA_DST);
		cmd |= EDU_DMA_CMD_TO_RAM;
	} else {
		writeq(ram, edu->regs + EDU_REG_DMA_SRC);
		writeq(dev_addr, edu->regs + EDU_REG_DMA_DST);
	}
	writeq(len, edu->regs + EDU_REG_DMA_COUNT);
	writeq(cmd, edu->regs + EDU_REG_DMA_CMD);

	ret = readq_poll_timeout(edu->regs + EDU_REG_DMA_CMD, cmd,
				 !(cmd & EDU_DMA_CMD_RUN), EDU_DMA_POLL_US,
				 EDU_DMA_TIMEOUT_US);
	if (ret) {
		/*
		 * The engine cannot be stopped and may still finish later,
		 * after the caller has unmapped and freed the target: cut
		 * off its bus mastering and never trust it again.
		 */
		pci_clear_master(edu->pdev);
		edu->wedged = true;
		dev_err(&edu->pdev->dev, "DMA did not finish in %d s\n",
			EDU_DMA_TIMEOUT_S);
		return ret;
	}
	/* Reads of what the device wrote come after its completion. */
	dma_rmb();
	return 0;
}

/* Mapping a dma-buf for the device ----------------------------------------- */

static void edu_unmap_attachment(struct edu_attachment *a)
{
	kmod_unmap_attachment(a->attach, a->sgt, a->dir);
	a->sgt = NULL;
	a->mapped_len = 0;
}

/* Every DMA segment of @sgt must be reachable with the device's DMA mask. */
static int edu_check_reachable(struct edu_importer *edu, struct sg_table *sgt)
{
	u64 mask = dma_get_mask(&edu->pdev->dev);
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t addr = sg_dma_address(sg);
		u64 last = (u64)addr + sg_dma_len(sg) - 1;

		if (!sg_dma_len(sg) || last < addr || last > mask) {
			dev_dbg(&edu->pdev->dev,
				"segment %pad+%u beyond DMA mask %#llx\n",
				&addr, sg_dma_len(sg), mask);
			return -ERANGE;
		}
	}
	return 0;
}

static void edu_attachment_release(struct edu_attachment *a)
{
	if (a->sgt)
		edu_unmap_attachment(a);
	dma_buf_detach(a->dmabuf, a->attach);
	dma_buf_put(a->dmabuf);
	kfree(a);
}

static void edu_file_release_all(struct edu_file *f)
{
	struct edu_attachment *a;
	unsigned long handle;

	lockdep_assert_held(&f->lock);
	xa_for_each(&f->attachments, handle, a) {
		xa_erase(&f->attachments, handle);
		edu_attachment_release(a);
	}
	f->count = 0;
}

/* Look up @handle; the caller holds f->lock. */
static struct edu_attachment *edu_lookup(struct edu_file *f, u32 handle)
{
	struct edu_attachment *a;

	if (f->dead)
		return ERR_PTR(-ENODEV);
	a = xa_load(&f->attachments, handle);
	return a ?: ERR_PTR(-ENOENT);
}

/* ioctls ------------------------------------------------------------------- */

static int edu_ioc_info(struct edu_file *f, void __user *uarg)
{
	struct device *dev = &f->edu->pdev->dev;
	struct edu_importer_info info = {};
	phys_addr_t pool_end;

	mutex_lock(&f->lock);
	if (f->dead) {
		mutex_unlock(&f->lock);
		return -ENODEV;
	}
	info.dma_mask = dma_get_mask(dev);
	info.dev_buf_size = EDU_DEV_BUF_SIZE;
	info.max_seg_size = dma_get_max_seg_size(dev);
	if (dmaheap_dev_translated(dev))
		info.flags |= EDU_IMPORTER_INFO_TRANSLATED;
	else if (dmaheap_swiotlb_forced(dev, &pool_end))
		info.flags |= EDU_IMPORTER_INFO_BOUNCED;
	mutex_unlock(&f->lock);

	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static int edu_detach_handle(struct edu_file *f, u32 handle)
{
	struct edu_attachment *a;

	mutex_lock(&f->lock);
	a = edu_lookup(f, handle);
	if (IS_ERR(a)) {
		mutex_unlock(&f->lock);
		return PTR_ERR(a);
	}
	xa_erase(&f->attachments, handle);
	f->count--;
	edu_attachment_release(a);
	mutex_unlock(&f->lock);
	return 0;
}

/*
 * Undo an attachment whose handle could not be reported: only if @handle
 * still holds the attachment with @id (another thread may have detached it
 * and reused the handle meanwhile).
 */
static void edu_detach_if_same(struct edu_file *f, u32 handle, u64 id)
{
	struct edu_attachment *a;

	mutex_lock(&f->lock);
	a = edu_lookup(f, handle);
	if (!IS_ERR(a) && a->id == id) {
		xa_erase(&f->attachments, handle);
		f->count--;
		edu_attachment_release(a);
	}
	mutex_unlock(&f->lock);
}

static int edu_ioc_attach(struct edu_file *f, void __user *uarg)
{
	struct edu_importer_attach req;
	struct edu_attachment *a;
	u32 handle;
	u64 id;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	a->dmabuf = dma_buf_get(req.fd);
	if (IS_ERR(a->dmabuf)) {
		ret = PTR_ERR(a->dmabuf);
		goto free_attachment;
	}

	mutex_lock(&f->lock);
	if (f->dead) {
		ret = -ENODEV;
		goto put_dmabuf;
	}
	if (f->count >= EDU_IMPORTER_MAX_ATTACHMENTS) {
		ret = -ENOSPC;
		goto put_dmabuf;
	}
	a->attach = dma_buf_attach(a->dmabuf, &f->edu->pdev->dev);
	if (IS_ERR(a->attach)) {
		ret = PTR_ERR(a->attach);
		goto put_dmabuf;
	}
	ret = xa_alloc(&f->attachments, &handle, a, xa_limit_32b, GFP_KERNEL);
	if (ret)
		goto detach;
	a->id = ++f->last_id;
	id = a->id;
	f->count++;
	req.handle = handle;
	req.size = a->dmabuf->size;
	mutex_unlock(&f->lock);

	if (copy_to_user(uarg, &req, sizeof(req))) {
		edu_detach_if_same(f, handle, id);
		return -EFAULT;
	}
	return 0;

detach:
	dma_buf_detach(a->dmabuf, a->attach);
put_dmabuf:
	mutex_unlock(&f->lock);
	dma_buf_put(a->dmabuf);
free_attachment:
	kfree(a);
	return ret;
}

static int edu_dir_from_uapi(u32 dir, enum dma_data_direction *out)
{
	switch (dir) {
	case EDU_IMPORTER_DIR_BIDIRECTIONAL:
		*out = DMA_BIDIRECTIONAL;
		return 0;
	case EDU_IMPORTER_DIR_TO_DEVICE:
		*out = DMA_TO_DEVICE;
		return 0;
	case EDU_IMPORTER_DIR_FROM_DEVICE:
		*out = DMA_FROM_DEVICE;
		return 0;
	}
	return -EINVAL;
}

/*
 * Copy the first @max DMA segments of a->sgt into a kernel array, to be
 * reported once the file lock is dropped.
 */
static struct edu_importer_segment *edu_collect_segments(struct edu_attachment *a,
							 u32 max)
{
	struct edu_importer_segment *segs;
	struct scatterlist *sg;
	unsigned int i;

	max = min_t(u32, max, a->sgt->nents);
	segs = kvcalloc(max ?: 1, sizeof(*segs), GFP_KERNEL);
	if (!segs)
		return NULL;
	for_each_sgtable_dma_sg(a->sgt, sg, i) {
		if (i >= max)
			break;
		segs[i].addr = sg_dma_address(sg);
		segs[i].len = sg_dma_len(sg);
	}
	return segs;
}

/* Undo a mapping that could not be reported, if it is still this one. */
static void edu_unmap_if_same(struct edu_file *f, u32 handle, u64 id,
			      u64 map_id)
{
	struct edu_attachment *a;

	mutex_lock(&f->lock);
	a = edu_lookup(f, handle);
	if (!IS_ERR(a) && a->id == id && a->sgt && a->map_id == map_id)
		edu_unmap_attachment(a);
	mutex_unlock(&f->lock);
}

static int edu_ioc_map(struct edu_file *f, void __user *uarg)
{
	struct edu_importer_segment *segs = NULL;
	struct edu_importer_map req;
	enum dma_data_direction dir;
	struct edu_attachment *a;
	struct scatterlist *sg;
	struct sg_table *sgt;
	u64 id, map_id;
	unsigned int i;
	u32 nsegs;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (edu_dir_from_uapi(req.dir, &dir) || (req.max_segs && !req.segs))
		return -EINVAL;

	mutex_lock(&f->lock);
	a = edu_lookup(f, req.handle);
	if (IS_ERR(a)) {
		ret = PTR_ERR(a);
		goto unlock;
	}
	if (a->sgt) {
		ret = -EINVAL;
		goto unlock;
	}

	sgt = kmod_map_attachment(a->attach, dir);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto unlock;
	}
	a->sgt = sgt;
	a->dir = dir;
	for_each_sgtable_dma_sg(sgt, sg, i)
		a->mapped_len += sg_dma_len(sg);

	ret = edu_check_reachable(f->edu, sgt);
	if (ret)
		goto unmap;
	segs = edu_collect_segments(a, req.max_segs);
	if (!segs) {
		ret = -ENOMEM;
		goto unmap;
	}
	req.nsegs = sgt->nents;
	req.mapped_len = a->mapped_len;
	a->map_id = ++f->last_id;
	id = a->id;
	map_id = a->map_id;
	mutex_unlock(&f->lock);

	/* User memory only now: a fault that never ends holds no lock. */
	nsegs = min_t(u32, req.max_segs, req.nsegs);
	if (copy_to_user(u64_to_user_ptr(req.segs), segs,
			 nsegs * sizeof(*segs)) ||
	    copy_to_user(uarg, &req, sizeof(req))) {
		edu_unmap_if_same(f, req.handle, id, map_id);
		ret = -EFAULT;
	}
	kvfree(segs);
	return ret;

unmap:
	edu_unmap_attachment(a);
unlock:
	mutex_unlock(&f->lock);
	return ret;
}

static int edu_ioc_unmap(struct edu_file *f, void __user *uarg)
{
	struct edu_importer_handle req;
	struct edu_attachment *a;
	int ret = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.pad)
		return -EINVAL;

	mutex_lock(&f->lock);
	a = edu_lookup(f, req.handle);
	if (IS_ERR(a))
		ret = PTR_ERR(a);
	else if (!a->sgt)
		ret = -EINVAL;
	else
		edu_unmap_attachment(a);
	mutex_unlock(&f->lock);
	return ret;
}

static int edu_ioc_detach(struct edu_file *f, void __user *uarg)
{
	struct edu_importer_handle req;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.pad)
		return -EINVAL;
	return edu_detach_handle(f, req.handle);
}

/*
 * Move [req->offset, req->offset + req->len) of the mapped buffer to or from
 * the device buffer, one engine transfer per DMA segment it touches.
 */
static int edu_dma_segments(struct edu_importer *edu, struct edu_attachment *a,
			    struct edu_importer_dma *req)
{
	u64 start = req->offset, end = req->offset + req->len, pos = 0;
	bool to_ram = req->dir == EDU_IMPORTER_DIR_FROM_DEVICE;
	struct scatterlist *sg;
	unsigned int i;
	int ret = 0;

	mutex_lock(&edu->engine_lock);
	for_each_sgtable_dma_sg(a->sgt, sg, i) {
		u64 seg_end = pos + sg_dma_len(sg);
		u64 from = max(start, pos), to = min(end, seg_end);

		if (from < to) {
			ret = edu_dma_transfer(edu,
					       sg_dma_address(sg) + (from - pos),
					       req->dev_offset + (from - start),
					       to - from, to_ram);
			if (ret)
				break;
			req->transfers++;
		}
		pos = seg_end;
		if (pos >= end)
			break;
	}
	mutex_unlock(&edu->engine_lock);
	return ret;
}

static int edu_ioc_dma(struct edu_file *f, void __user *uarg)
{
	struct edu_importer_dma req;
	struct edu_attachment *a;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.pad || req.transfers ||
	    (req.dir != EDU_IMPORTER_DIR_TO_DEVICE &&
	     req.dir != EDU_IMPORTER_DIR_FROM_DEVICE) ||
	    !req.len || req.len > EDU_DEV_BUF_SIZE ||
	    req.dev_offset > EDU_DEV_BUF_SIZE - req.len)
		return -EINVAL;

	mutex_lock(&f->lock);
	a = edu_lookup(f, req.handle);
	if (IS_ERR(a)) {
		ret = PTR_ERR(a);
		goto unlock;
	}
	if (!a->sgt || req.offset >= a->mapped_len ||
	    req.len > a->mapped_len - req.offset) {
		ret = -EINVAL;
		goto unlock;
	}
	if (a->dir != DMA_BIDIRECTIONAL &&
	    a->dir != (req.dir == EDU_IMPORTER_DIR_TO_DEVICE ?
		       DMA_TO_DEVICE : DMA_FROM_DEVICE)) {
		ret = -EINVAL;
		goto unlock;
	}
	ret = edu_dma_segments(f->edu, a, &req);
unlock:
	mutex_unlock(&f->lock);
	if (ret)
		return ret;
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}

/* DEV_WRITE (@write) or DEV_READ through the driver's coherent page. */
static int edu_ioc_devbuf(struct edu_file *f, void __user *uarg, bool write)
{
	struct edu_importer *edu = f->edu;
	struct edu_importer_devbuf req;
	void __user *data;
	void *tmp;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (!req.len || req.offset >= EDU_DEV_BUF_SIZE ||
	    req.len > EDU_DEV_BUF_SIZE - req.offset)
		return -EINVAL;
	data = u64_to_user_ptr(req.data);

	/*
	 * Touch user memory only outside the locks: a fault that never ends
	 * (userfaultfd, a hung FUSE mmap) must not hold the engine, which
	 * every file shares, or the file lock that removal waits for.
	 */
	tmp = kmalloc(req.len, GFP_KERNEL);
	if (!tmp)
		return -ENOMEM;
	if (write && copy_from_user(tmp, data, req.len)) {
		ret = -EFAULT;
		goto free_tmp;
	}

	mutex_lock(&f->lock);
	if (f->dead) {
		ret = -ENODEV;
		goto unlock_file;
	}
	mutex_lock(&edu->engine_lock);
	if (write) {
		memcpy(edu->bounce, tmp, req.len);
		ret = edu_dma_transfer(edu, edu->bounce_dma, req.offset,
				       req.len, false);
	} else {
		ret = edu_dma_transfer(edu, edu->bounce_dma, req.offset,
				       req.len, true);
		if (!ret)
			memcpy(tmp, edu->bounce, req.len);
	}
	mutex_unlock(&edu->engine_lock);
unlock_file:
	mutex_unlock(&f->lock);
	if (!ret && !write && copy_to_user(data, tmp, req.len))
		ret = -EFAULT;
free_tmp:
	kfree(tmp);
	return ret;
}

static long edu_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct edu_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case EDU_IMPORTER_IOC_INFO:
		return edu_ioc_info(f, uarg);
	case EDU_IMPORTER_IOC_ATTACH:
		return edu_ioc_attach(f, uarg);
	case EDU_IMPORTER_IOC_MAP:
		return edu_ioc_map(f, uarg);
	case EDU_IMPORTER_IOC_UNMAP:
		return edu_ioc_unmap(f, uarg);
	case EDU_IMPORTER_IOC_DMA:
		return edu_ioc_dma(f, uarg);
	case EDU_IMPORTER_IOC_DETACH:
		return edu_ioc_detach(f, uarg);
	case EDU_IMPORTER_IOC_DEV_WRITE:
		return edu_ioc_devbuf(f, uarg, true);
	case EDU_IMPORTER_IOC_DEV_READ:
		return edu_ioc_devbuf(f, uarg, false);
	}
	return -ENOTTY;
}

/* The char device ---------------------------------------------------------- */

static int edu_open(struct inode *inode, struct file *file)
{
	struct edu_importer *edu =
		container_of(file->private_data, struct edu_importer, misc);
	struct edu_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	xa_init_flags(&f->attachments, XA_FLAGS_ALLOC1);
	f->edu = edu;
	kref_get(&edu->ref);

	/* misc_open() runs this under misc_mtx: removal cannot miss @f. */
	mutex_lock(&edu->files_lock);
	list_add(&f->node, &edu->files);
	mutex_unlock(&edu->files_lock);

	file->private_data = f;
	return nonseekable_open(inode, file);
}

static int edu_file_release(struct inode *inode, struct file *file)
{
	struct edu_file *f = file->private_data;
	struct edu_importer *edu = f->edu;

	mutex_lock(&edu->files_lock);
	list_del(&f->node);
	mutex_unlock(&edu->files_lock);

	mutex_lock(&f->lock);
	edu_file_release_all(f);
	mutex_unlock(&f->lock);

	xa_destroy(&f->attachments);
	mutex_destroy(&f->lock);
	kfree(f);
	kref_put(&edu->ref, edu_release);
	return 0;
}

static const struct file_operations edu_fops = {
	.owner		= THIS_MODULE,
	.open		= edu_open,
	.release	= edu_file_release,
	.unlocked_ioctl	= edu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/* The PCI driver ----------------------------------------------------------- */

static int edu_setup_dma(struct edu_importer *edu)
{
	struct device *dev = &edu->pdev->dev;
	int ret;

	/* The engine's own buffer sits at 0x40000: 19 bits at the least. */
	if (dma_bits < 19 || dma_bits > 64) {
		dev_err(dev, "dma_bits=%u is not between 19 and 64\n", dma_bits);
		return -EINVAL;
	}
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(dma_bits));
	if (ret)
		return ret;
	/* PCI devices have dma_parms; returns an error only without them. */
	dma_set_max_seg_size(dev, EDU_MAX_SEG_SIZE);
	edu->bounce = dma_alloc_coherent(dev, EDU_DEV_BUF_SIZE,
					 &edu->bounce_dma, GFP_KERNEL);
	return edu->bounce ? 0 : -ENOMEM;
}

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_importer *edu;
	u32 ident;
	int ret;

	edu = kzalloc(sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pci_dev_get(pdev);
	kref_init(&edu->ref);
	mutex_init(&edu->engine_lock);
	mutex_init(&edu->files_lock);
	INIT_LIST_HEAD(&edu->files);

	ret = pci_enable_device_mem(pdev);
	if (ret)
		goto put_edu;
	ret = pci_request_region(pdev, 0, KBUILD_MODNAME);
	if (ret)
		goto disable_device;
	edu->regs = pci_iomap(pdev, 0, 0);
	if (!edu->regs) {
		ret = -ENOMEM;
		goto release_region;
	}
	ident = readl(edu->regs + EDU_REG_ID);
	if ((ident & 0xff) != EDU_ID_MAGIC) {
		dev_err(&pdev->dev, "unexpected identification %#x\n", ident);
		ret = -ENODEV;
		goto unmap_regs;
	}

	pci_set_master(pdev);
	ret = edu_setup_dma(edu);
	if (ret)
		goto clear_master;

	ret = ida_alloc(&edu_ida, GFP_KERNEL);
	if (ret < 0)
		goto free_bounce;
	edu->id = ret;
	snprintf(edu->name, sizeof(edu->name), "edu-importer%d", edu->id);
	edu->misc.minor = MISC_DYNAMIC_MINOR;
	edu->misc.name = edu->name;
	edu->misc.fops = &edu_fops;
	edu->misc.parent = &pdev->dev;
	edu->misc.mode = 0600;
	pci_set_drvdata(pdev, edu);
	ret = misc_register(&edu->misc);
	if (ret)
		goto free_id;

	dev_info(&pdev->dev, "edu v%u.%u: dma-buf importer /dev/%s, %u-bit DMA%s\n",
		 ident >> 24, (ident >> 16) & 0xff, edu->name, dma_bits,
		 dmaheap_dev_translated(&pdev->dev) ? " through an IOMMU" : "");
	return 0;

free_id:
	ida_free(&edu_ida, edu->id);
free_bounce:
	dma_free_coherent(&pdev->dev, EDU_DEV_BUF_SIZE, edu->bounce,
			  edu->bounce_dma);
clear_master:
	pci_clear_master(pdev);
unmap_regs:
	pci_iounmap(pdev, edu->regs);
release_region:
	pci_release_region(pdev, 0);
disable_device:
	pci_disable_device(pdev);
put_edu:
	kref_put(&edu->ref, edu_release);
	return ret;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu_importer *edu = pci_get_drvdata(pdev);
	struct edu_file *f;

	/* No new opens after this; files already open are on edu->files. */
	misc_deregister(&edu->misc);

	mutex_lock(&edu->files_lock);
	list_for_each_entry(f, &edu->files, node) {
		mutex_lock(&f->lock);
		edu_file_release_all(f);
		f->dead = true;
		mutex_unlock(&f->lock);
	}
	mutex_unlock(&edu->files_lock);

	/* Every file is dead: nothing can reach the engine any more. */
	ida_free(&edu_ida, edu->id);
	dma_free_coherent(&pdev->dev, EDU_DEV_BUF_SIZE, edu->bounce,
			  edu->bounce_dma);
	pci_clear_master(pdev);
	pci_iounmap(pdev, edu->regs);
	pci_release_region(pdev, 0);
	pci_disable_device(pdev);
	kref_put(&edu->ref, edu_release);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR_ID, EDU_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name		= KBUILD_MODNAME,
	.id_table	= edu_ids,
	.probe		= edu_probe,
	.remove		= edu_remove,
};
module_pci_driver(edu_driver);

MODULE_DESCRIPTION("dmaheap test: qemu edu PCI device as a dma-buf importer");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMAHEAP_NS(DMA_BUF));
