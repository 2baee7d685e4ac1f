/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The 2017 "simple allocator" RFC's interface, served by the optional
 * dmaheap_simple_alloc module for programs written against it.
 *
 * One character device per heap, /dev/<name>N (for example /dev/cma0).  A
 * single ioctl allocates a buffer and returns it as a dma-buf fd; closing
 * the fd frees it.  /sys/class/misc/<node>/heap names the dmaheap heap
 * behind a node.
 */
#ifndef _UAPI_SIMPLE_ALLOCATOR_H
#define _UAPI_SIMPLE_ALLOCATOR_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * struct simple_allocate_data - argument of SA_IOC_ALLOC
 * @version:	Must be 0.
 * @length:	In: bytes wanted.  Out: the buffer's real length, rounded up
 *		to whole pages.
 * @flags:	O_CLOEXEC and an access mode (O_RDONLY, O_WRONLY, O_RDWR)
 *		for the new fd; nothing else.
 * @reserved1:	Must be 0.
 * @fd:		Out: the dma-buf fd.  Ignored on input.
 * @reserved2:	Must be 0.
 */
struct simple_allocate_data {
	__u64 version;
	__u64 length;
	__u32 flags;
	__u32 reserved1;
	__s32 fd;
	__u32 reserved2;
};

#define SA_IOC_MAGIC	'S'

#define SA_IOC_ALLOC	_IOWR(SA_IOC_MAGIC, 0, struct simple_allocate_data)

#endif /* _UAPI_SIMPLE_ALLOCATOR_H */
