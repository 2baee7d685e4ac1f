/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaheap: the shared exporter for page-backed heap buffers.
 *
 * Every heap in this project describes a buffer as a list of physical pages
 * (an sg_table) and lets this helper implement the dma_buf_ops: per-attachment
 * sg_tables, DMA mapping, CPU-access syncing, mmap, vmap and release.  A heap
 * only allocates and frees the memory.
 */
#ifndef _DMAHEAP_BUFFER_H
#define _DMAHEAP_BUFFER_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

struct dma_buf;
struct dmaheap;
struct dmaheap_buffer;
struct dmaheap_charge;
struct dmaheap_request;

/* CPU mappings are write-combined; devices map without CPU cache syncs. */
#define DMAHEAP_BUF_UNCACHED		(1U << 0)
/*
 * The pages are outside the kernel's linear map (reserved memory): nothing
 * may reach them through page_address(), so a device that would need
 * bounce buffers cannot map them.
 */
#define DMAHEAP_BUF_NO_LINEAR_MAP	(1U << 1)

/**
 * struct dmaheap_buffer_ops - what a heap does for the shared exporter
 * @free:	Release the backing memory, buf->sgt and the structure that
 *		embeds the buffer.  Called once, from the dma-buf release op,
 *		after every attachment and mapping is gone.  The exporter
 *		returns the buffer's charge to the heap after @free returns.
 * @drop_cpu_alias: Or NULL.  For DMAHEAP_BUF_UNCACHED buffers whose pages
 *		the kernel also maps cacheable (arm64's linear map): make
 *		sure no CPU cache holds a line of the buffer, so that a
 *		device that snoops the CPU caches reads what the
 *		write-combined mappings wrote to memory.  The heap
 *		guarantees those lines are never dirty.  Called, in process
 *		context, before a DMA-coherent device maps the buffer, and at
 *		the end of CPU access that may have written while one has it
 *		mapped.  Returns 0 or -errno, which fails that map or
 *		end_cpu_access.
 */
struct dmaheap_buffer_ops {
	void (*free)(struct dmaheap_buffer *buf);
	int (*drop_cpu_alias)(struct dmaheap_buffer *buf);
};

/**
 * struct dmaheap_buffer - common part of every heap buffer
 * @sgt:	The backing pages, in order, filled in by the heap before
 *		dmaheap_buffer_export(); every entry has a struct page.
 * @flags:	DMAHEAP_BUF_* flags, set by the heap before export.
 * @heap:	Heap the buffer came from; a reference is held until release.
 * @charge:	Who pays for the buffer; given back at release.
 * @ops:	Heap callbacks.
 * @len:	Size in bytes (page-aligned).
 * @lock:	Protects @attachments (and each attachment's mapping state),
 *		@vmap_cnt and @vaddr.
 * @attachments: List of the exporter's per-device attachments.
 * @vmap_cnt:	Number of outstanding vmap() calls sharing @vaddr.
 * @vaddr:	Kernel mapping while @vmap_cnt > 0.
 *
 * Embed this in the heap's own per-buffer struct and recover that with
 * container_of() in the @free callback.  The heap sets @sgt and @flags;
 * dmaheap_buffer_export() sets up the rest.
 */
struct dmaheap_buffer {
	struct sg_table sgt;
	unsigned int flags;

	struct dmaheap *heap;
	struct dmaheap_charge *charge;
	const struct dmaheap_buffer_ops *ops;
	size_t len;
	struct mutex lock;
	struct list_head attachments;
	unsigned int vmap_cnt;
	void *vaddr;
};

struct dma_buf *dmaheap_buffer_export(struct dmaheap_buffer *buf,
				      const struct dmaheap_request *req,
				      const struct dmaheap_buffer_ops *ops);

#endif /* _DMAHEAP_BUFFER_H */
