/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dmaheap_inspect: a test-only window into dma-bufs, for the heap tests.
 *
 * The dmaheap_inspect module (tests/kmod/inspect.c) creates
 * /dev/dmaheap_inspect (root only).  Its ioctls take a dma-buf fd from any
 * exporter and report what userspace cannot see:
 *
 *  - where the buffer lives: the module attaches a DMA-capable platform
 *    device of its own (64-bit mask, no IOMMU translation) and maps the
 *    buffer, then reports the mapped segments with their physical and DMA
 *    addresses, adjacent entries merged;
 *  - how the CPU maps it (x86 and arm64): the cache type of a user
 *    mapping, of the kernel's linear mapping of every page, of a
 *    dma_buf_vmap() mapping, and of the linear mapping of any physical range
 *    (to check that freed pages were given back as write-back).  x86 reads
 *    the PAT bits of the page table entries; arm64 reads their MAIR
 *    attribute index: Normal (tagged or not) is write-back, Normal
 *    Non-cacheable is write-combining, Device is uncached.
 */
#ifndef _DMAHEAP_INSPECT_H
#define _DMAHEAP_INSPECT_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Cache types reported by the ioctls. */
#define DMAHEAP_CACHE_NONE	0	/* not mapped (or not present) */
#define DMAHEAP_CACHE_WB	1	/* write-back */
#define DMAHEAP_CACHE_WC	2	/* write-combining */
#define DMAHEAP_CACHE_UC_MINUS	3	/* uncached, MTRR may override */
#define DMAHEAP_CACHE_UC	4	/* strongly uncached */
#define DMAHEAP_CACHE_WT	5	/* write-through */
#define DMAHEAP_CACHE_WP	6	/* write-protect */
#define DMAHEAP_CACHE_MIXED	7	/* pages of the range differ */
#define DMAHEAP_CACHE_UNKNOWN	8	/* bits match no known type */

/**
 * struct dmaheap_inspect_segment - one physically contiguous piece
 * @phys:	Physical address, or ~0 if the entry has no struct page.
 * @dma:	DMA address for the inspector's device.
 * @len:	Length in bytes.
 */
struct dmaheap_inspect_segment {
	__u64 phys;
	__u64 dma;
	__u64 len;
};

/**
 * struct dmaheap_inspect_segments - argument of DMAHEAP_INSPECT_IOC_SEGMENTS
 * @fd:		In: the dma-buf.
 * @max:	In: room at @segs, in entries (0 to only count).
 * @segs:	In: user pointer to struct dmaheap_inspect_segment[@max].
 * @count:	Out: number of segments (may exceed @max; only @max written).
 * @flags:	Must be 0.
 * @size:	Out: the dma-buf's size in bytes.
 */
struct dmaheap_inspect_segments {
	__s32 fd;
	__u32 max;
	__u64 segs;
	__u32 count;
	__u32 flags;
	__u64 size;
};

/**
 * struct dmaheap_inspect_caching - argument of DMAHEAP_INSPECT_IOC_CACHING
 * @fd:		In: the dma-buf.
 * @flags:	Must be 0.
 * @uaddr:	In: an address inside the caller's mmap() of this dma-buf,
 *		or 0 to skip @user.
 * @user:	Out: cache type of the user mapping at @uaddr.
 * @linear:	Out: cache type of the kernel linear mapping of every page.
 * @vmap:	Out: cache type of a dma_buf_vmap() of the buffer.
 * @pad:	Set to 0.
 */
struct dmaheap_inspect_caching {
	__s32 fd;
	__u32 flags;
	__u64 uaddr;
	__u32 user;
	__u32 linear;
	__u32 vmap;
	__u32 pad;
};

/**
 * struct dmaheap_inspect_linear - argument of DMAHEAP_INSPECT_IOC_LINEAR
 * @phys:	In: physical address (page-aligned).
 * @len:	In: length in bytes (page-aligned, at most 1 GiB).
 * @type:	Out: cache type of the linear mapping over the range.
 * @pad:	Set to 0.
 */
struct dmaheap_inspect_linear {
	__u64 phys;
	__u64 len;
	__u32 type;
	__u32 pad;
};

/**
 * struct dmaheap_inspect_pages - argument of DMAHEAP_INSPECT_IOC_PAGEREF
 * @fd:		In: the dma-buf.
 * @flags:	Must be 0.
 * @pages:	Out: pages of the mapped sg_table the importer took and
 *		dropped a reference on (get_page() then put_page()), as
 *		importers that pin pages or insert them into user mappings do.
 */
struct dmaheap_inspect_pages {
	__s32 fd;
	__u32 flags;
	__u64 pages;
};

/**
 * struct dmaheap_inspect_nomask - argument of DMAHEAP_INSPECT_IOC_NOMASK
 * @fd:		In: the dma-buf.
 * @flags:	Must be 0.
 * @attach:	Out: 0 or the negative errno of attaching a device that has
 *		no DMA mask (it cannot do DMA).
 * @map:	Out: 0 or the negative errno of mapping it for that device.
 */
struct dmaheap_inspect_nomask {
	__s32 fd;
	__u32 flags;
	__s32 attach;
	__s32 map;
};

#define DMAHEAP_INSPECT_IOC_MAGIC	'I'

#define DMAHEAP_INSPECT_IOC_SEGMENTS	_IOWR(DMAHEAP_INSPECT_IOC_MAGIC, 0x30, \
					      struct dmaheap_inspect_segments)
#define DMAHEAP_INSPECT_IOC_CACHING	_IOWR(DMAHEAP_INSPECT_IOC_MAGIC, 0x31, \
					      struct dmaheap_inspect_caching)
#define DMAHEAP_INSPECT_IOC_LINEAR	_IOWR(DMAHEAP_INSPECT_IOC_MAGIC, 0x32, \
					      struct dmaheap_inspect_linear)

#define DMAHEAP_INSPECT_IOC_PAGEREF	_IOWR(DMAHEAP_INSPECT_IOC_MAGIC, 0x33, \
					      struct dmaheap_inspect_pages)
#define DMAHEAP_INSPECT_IOC_NOMASK	_IOWR(DMAHEAP_INSPECT_IOC_MAGIC, 0x34, \
					      struct dmaheap_inspect_nomask)

#endif /* _DMAHEAP_INSPECT_H */
