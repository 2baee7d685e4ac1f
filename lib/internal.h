/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libdmaheap internals shared by the source files.  Nothing here is part of
 * the ABI.
 */
#ifndef DMAHEAP_INTERNAL_H
#define DMAHEAP_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "dmaheap.h"

/* A heap fd the context opened.  Entries are never freed before the context. */
struct heap_entry {
	struct heap_entry *next;
	int fd;
	/*
	 * Set when the heap behind @fd was unregistered (-ENODEV).  The fd
	 * stays open until dmaheap_ctx_free() so that a caller still holding
	 * it never sees the number reused for an unrelated file.
	 */
	bool stale;
	char name[DMAHEAP_NAME_MAX + 1];
};

struct dmaheap_ctx {
	char *dev_dir;			/* immutable after creation */
	char *sysfs_dir;		/* immutable after creation */
	pthread_mutex_t lock;		/* protects @heaps and every entry's @stale */
	struct heap_entry *heaps;	/* open heap fds, newest first */
};

#define DMAHEAP_EXPORT __attribute__((visibility("default")))

/* Largest sysfs value we keep; sysfs attributes are at most a page. */
#define DMAHEAP__VALUE_MAX	4096

int dmaheap__check_name(const char *name);
int dmaheap__path(char *buf, size_t size, const char *dir, const char *name);
void dmaheap__mark_stale(struct dmaheap_ctx *ctx, int fd);
/* Read a small file relative to @dirfd into @buf, without the trailing newline. */
int dmaheap__read_text(int dirfd, const char *file, char *buf, size_t size);
/* Parse a whole decimal number, as sysfs prints it. */
int dmaheap__parse_u64(const char *s, uint64_t *val);

#endif /* DMAHEAP_INTERNAL_H */
