// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Calls on dma-buf fds: size, map, CPU access brackets, debug name.  They
 * need no context and work on any dma-buf, whoever exported it.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "internal.h"

/* Headers older than Linux 5.x lack these; the values are ABI. */
#ifndef DMA_BUF_SET_NAME
#define DMA_BUF_SET_NAME	_IOW(DMA_BUF_BASE, 1, const char *)
#endif

/* Give up on a kernel that keeps answering EAGAIN after this many tries. */
#define SYNC_EAGAIN_TRIES	1000

DMAHEAP_EXPORT
int dmaheap_buf_size(int buf_fd, size_t *sizep)
{
	off_t end;

	if (buf_fd < 0)
		return -EBADF;
	if (!sizep)
		return -EINVAL;
	end = lseek(buf_fd, 0, SEEK_END);
	if (end < 0)
		return -errno;
	if ((uint64_t)end > SIZE_MAX)
		return -EOVERFLOW;
	/* A dma-buf keeps no file position that matters; rewind anyway. */
	(void)lseek(buf_fd, 0, SEEK_SET);
	*sizep = (size_t)end;
	return 0;
}

DMAHEAP_EXPORT
int dmaheap_buf_map(int buf_fd, int prot, void **addrp, size_t *lenp)
{
	size_t len;
	void *addr;
	int err;

	if (!addrp)
		return -EINVAL;
	if (prot == 0 || (prot & ~(PROT_READ | PROT_WRITE)))
		return -EINVAL;
	err = dmaheap_buf_size(buf_fd, &len);
	if (err)
		return err;
	if (len == 0)
		return -EINVAL;
	addr = mmap(NULL, len, prot, MAP_SHARED, buf_fd, 0);
	if (addr == MAP_FAILED)
		return -errno;
	*addrp = addr;
	if (lenp)
		*lenp = len;
	return 0;
}

DMAHEAP_EXPORT
int dmaheap_buf_unmap(void *addr, size_t len)
{
	if (!addr || len == 0)
		return -EINVAL;
	if (munmap(addr, len))
		return -errno;
	return 0;
}

static int buf_sync(int buf_fd, unsigned int access, uint64_t phase)
{
	struct dma_buf_sync sync;
	int tries = 0;

	if (buf_fd < 0)
		return -EBADF;
	if (access == 0 || (access & ~DMAHEAP_ACCESS_RW))
		return -EINVAL;

	memset(&sync, 0, sizeof(sync));
	sync.flags = phase;
	if (access & DMAHEAP_ACCESS_READ)
		sync.flags |= DMA_BUF_SYNC_READ;
	if (access & DMAHEAP_ACCESS_WRITE)
		sync.flags |= DMA_BUF_SYNC_WRITE;

	while (ioctl(buf_fd, DMA_BUF_IOCTL_SYNC, &sync) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN && ++tries < SYNC_EAGAIN_TRIES)
			continue;
		return -errno;
	}
	return 0;
}

DMAHEAP_EXPORT
int dmaheap_buf_begin(int buf_fd, unsigned int access)
{
	return buf_sync(buf_fd, access, DMA_BUF_SYNC_START);
}

DMAHEAP_EXPORT
int dmaheap_buf_end(int buf_fd, unsigned int access)
{
	return buf_sync(buf_fd, access, DMA_BUF_SYNC_END);
}

DMAHEAP_EXPORT
int dmaheap_buf_set_name(int buf_fd, const char *name)
{
	if (buf_fd < 0)
		return -EBADF;
	if (!name || strnlen(name, DMAHEAP_BUF_NAME_MAX + 1) > DMAHEAP_BUF_NAME_MAX)
		return -EINVAL;
	/* The argument is the string's address, not a pointer to it. */
	if (ioctl(buf_fd, DMA_BUF_SET_NAME, name) < 0)
		return errno == ENOTTY ? -EOPNOTSUPP : -errno;
	return 0;
}
