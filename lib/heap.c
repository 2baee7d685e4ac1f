// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Contexts, heap lookup with a thread-safe fd cache, and allocation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-heap.h>	/* the project's copy, see the Makefile */

#include "internal.h"

int dmaheap__check_name(const char *name)
{
	size_t len;
	const char *p;

	if (!name)
		return -EINVAL;
	len = strnlen(name, DMAHEAP_NAME_MAX + 1);
	if (len == 0 || len > DMAHEAP_NAME_MAX)
		return -EINVAL;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (p = name; *p; p++)
		if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return -EINVAL;
	return 0;
}

int dmaheap__path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int dup_dir(char **dst, const char *dir, const char *def)
{
	if (!dir)
		dir = def;
	if (!*dir)
		return -EINVAL;
	*dst = strdup(dir);
	return *dst ? 0 : -ENOMEM;
}

DMAHEAP_EXPORT
int dmaheap_ctx_new_at(struct dmaheap_ctx **ctxp, const char *dev_dir,
		       const char *sysfs_dir)
{
	struct dmaheap_ctx *ctx;
	int err;

	if (!ctxp)
		return -EINVAL;
	*ctxp = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	err = dup_dir(&ctx->dev_dir, dev_dir, DMAHEAP_DEFAULT_DEV_DIR);
	if (err)
		goto free_ctx;
	err = dup_dir(&ctx->sysfs_dir, sysfs_dir, DMAHEAP_DEFAULT_SYSFS_DIR);
	if (err)
		goto free_dev_dir;
	err = -pthread_mutex_init(&ctx->lock, NULL);
	if (err)
		goto free_sysfs_dir;
	*ctxp = ctx;
	return 0;

free_sysfs_dir:
	free(ctx->sysfs_dir);
free_dev_dir:
	free(ctx->dev_dir);
free_ctx:
	free(ctx);
	return err;
}

DMAHEAP_EXPORT
int dmaheap_ctx_new(struct dmaheap_ctx **ctxp)
{
	return dmaheap_ctx_new_at(ctxp, NULL, NULL);
}

DMAHEAP_EXPORT
void dmaheap_ctx_free(struct dmaheap_ctx *ctx)
{
	struct heap_entry *e, *next;

	if (!ctx)
		return;
	for (e = ctx->heaps; e; e = next) {
		next = e->next;
		close(e->fd);
		free(e);
	}
	pthread_mutex_destroy(&ctx->lock);
	free(ctx->sysfs_dir);
	free(ctx->dev_dir);
	free(ctx);
}

/* Open the node of heap @name; returns a new fd or -errno.  No locking. */
static int open_node(const struct dmaheap_ctx *ctx, const char *name)
{
	char path[4096];
	struct stat st;
	int fd, err;

	err = dmaheap__path(path, sizeof(path), ctx->dev_dir, name);
	if (err)
		return err;
	/* Look before opening so that a FIFO standing there cannot block us. */
	if (stat(path, &st))
		return errno == ENOTDIR ? -ENOENT : -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENODEV;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISCHR(st.st_mode)) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

DMAHEAP_EXPORT
int dmaheap_open(struct dmaheap_ctx *ctx, const char *name)
{
	struct heap_entry *e;
	int fd, err;

	if (!ctx)
		return -EINVAL;
	err = dmaheap__check_name(name);
	if (err)
		return err;

	pthread_mutex_lock(&ctx->lock);
	for (e = ctx->heaps; e; e = e->next) {
		if (!e->stale && !strcmp(e->name, name)) {
			fd = e->fd;
			goto unlock;
		}
	}
	/* Opened under the lock so that racing callers share one fd. */
	fd = open_node(ctx, name);
	if (fd < 0)
		goto unlock;
	e = calloc(1, sizeof(*e));
	if (!e) {
		close(fd);
		fd = -ENOMEM;
		goto unlock;
	}
	e->fd = fd;
	strcpy(e->name, name);	/* length checked by dmaheap__check_name() */
	e->next = ctx->heaps;
	ctx->heaps = e;
unlock:
	pthread_mutex_unlock(&ctx->lock);
	return fd;
}

DMAHEAP_EXPORT
int dmaheap_open_first(struct dmaheap_ctx *ctx, const char *const *names,
		       size_t *index)
{
	int first_err = 0;
	size_t i;
	int fd;

	if (!ctx || !names || !names[0])
		return -EINVAL;
	/* Refuse a malformed list before opening anything. */
	for (i = 0; names[i]; i++)
		if (dmaheap__check_name(names[i]))
			return -EINVAL;

	for (i = 0; names[i]; i++) {
		fd = dmaheap_open(ctx, names[i]);
		if (fd >= 0) {
			if (index)
				*index = i;
			return fd;
		}
		if (fd != -ENOENT && fd != -ENODEV && !first_err)
			first_err = fd;
	}
	return first_err ? first_err : -ENOENT;
}

void dmaheap__mark_stale(struct dmaheap_ctx *ctx, int fd)
{
	struct heap_entry *e;

	pthread_mutex_lock(&ctx->lock);
	for (e = ctx->heaps; e; e = e->next)
		if (e->fd == fd)
			e->stale = true;
	pthread_mutex_unlock(&ctx->lock);
}

static int check_fd_flags(unsigned int fd_flags, unsigned int *kflags)
{
	unsigned int mode = fd_flags & O_ACCMODE;

	if (fd_flags & ~(O_ACCMODE | O_CLOEXEC | DMAHEAP_FD_NO_CLOEXEC))
		return -EINVAL;
	if (mode != O_RDONLY && mode != O_WRONLY && mode != O_RDWR)
		return -EINVAL;
	if ((fd_flags & O_CLOEXEC) && (fd_flags & DMAHEAP_FD_NO_CLOEXEC))
		return -EINVAL;
	*kflags = mode;
	if (!(fd_flags & DMAHEAP_FD_NO_CLOEXEC))
		*kflags |= O_CLOEXEC;
	return 0;
}

DMAHEAP_EXPORT
int dmaheap_alloc_fd(int heap_fd, size_t len, unsigned int fd_flags)
{
	struct dma_heap_allocation_data data;
	unsigned int kflags;
	int err;

	if (heap_fd < 0)
		return -EBADF;
	if (len == 0)
		return -EINVAL;
	err = check_fd_flags(fd_flags, &kflags);
	if (err)
		return err;

	memset(&data, 0, sizeof(data));
	data.len = len;
	data.fd_flags = kflags;
	if (ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &data) < 0)
		return -errno;
	return (int)data.fd;
}

DMAHEAP_EXPORT
int dmaheap_alloc(struct dmaheap_ctx *ctx, const char *name, size_t len,
		  unsigned int fd_flags)
{
	unsigned int kflags;
	int heap_fd, fd, err;

	if (!ctx || len == 0)
		return -EINVAL;
	err = check_fd_flags(fd_flags, &kflags);
	if (err)
		return err;
	heap_fd = dmaheap_open(ctx, name);
	if (heap_fd < 0)
		return heap_fd;
	fd = dmaheap_alloc_fd(heap_fd, len, fd_flags);
	if (fd != -ENODEV)
		return fd;

	/* The heap went away behind our cached fd; it may be back. */
	dmaheap__mark_stale(ctx, heap_fd);
	heap_fd = dmaheap_open(ctx, name);
	if (heap_fd < 0)
		return heap_fd;
	return dmaheap_alloc_fd(heap_fd, len, fd_flags);
}
