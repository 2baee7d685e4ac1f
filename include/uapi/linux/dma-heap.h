/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * DMA-BUF heap allocation interface.
 *
 * This header describes the same ABI as the kernel's
 * include/uapi/linux/dma-heap.h: a client built against either one works with
 * either implementation.  The include guard matches the installed kernel header so that the
 * two never both get expanded in one translation unit.
 */
#ifndef _LINUX_DMABUF_POOL_H
#define _LINUX_DMABUF_POOL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* fd_flags a client may pass; O_CLOEXEC and O_ACCMODE come from <fcntl.h>. */
#define DMA_HEAP_VALID_FD_FLAGS (O_CLOEXEC | O_ACCMODE)

/* No heap_flags are defined yet; any set bit is rejected. */
#define DMA_HEAP_VALID_HEAP_FLAGS (0ULL)

/**
 * struct dma_heap_allocation_data - argument of DMA_HEAP_IOCTL_ALLOC
 * @len:	requested size in bytes; rounded up to whole pages
 * @fd:		must be 0 on input; the new dma-buf fd on output
 * @fd_flags:	O_CLOEXEC and an access mode for the new fd
 * @heap_flags:	heap-specific flags; none are defined, must be 0
 *
 * The first version of this struct stopped after @fd_flags (16 bytes).  The
 * kernel accepts that size and any larger one: missing trailing fields read
 * as zero and bytes past the fields it knows are ignored.
 */
struct dma_heap_allocation_data {
	__u64 len;
	__u32 fd;
	__u32 fd_flags;
	__u64 heap_flags;
};

#define DMA_HEAP_IOC_MAGIC		'H'

/* Allocate a buffer from the heap behind the open /dev/dma_heap/<name>. */
#define DMA_HEAP_IOCTL_ALLOC	_IOWR(DMA_HEAP_IOC_MAGIC, 0x0,\
				      struct dma_heap_allocation_data)

#endif /* _LINUX_DMABUF_POOL_H */
