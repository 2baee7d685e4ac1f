// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Heap enumeration and sysfs statistics (docs/DESIGN.md, "sysfs").
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* The statistics the core exports, and where each one goes. */
static const struct stat_file {
	const char *file;
	unsigned int bit;
	size_t offset;
} stat_files[] = {
	{ "buffers", DMAHEAP_KNOWN_BUFFERS, offsetof(struct dmaheap_info, buffers) },
	{ "bytes", DMAHEAP_KNOWN_BYTES, offsetof(struct dmaheap_info, bytes) },
	{ "peak_bytes", DMAHEAP_KNOWN_PEAK_BYTES, offsetof(struct dmaheap_info, peak_bytes) },
	{ "total_allocs", DMAHEAP_KNOWN_TOTAL_ALLOCS, offsetof(struct dmaheap_info, total_allocs) },
	{ "failed_allocs", DMAHEAP_KNOWN_FAILED_ALLOCS, offsetof(struct dmaheap_info, failed_allocs) },
	{ "limit_bytes", DMAHEAP_KNOWN_LIMIT_BYTES, offsetof(struct dmaheap_info, limit_bytes) },
	{ "pool_bytes", DMAHEAP_KNOWN_POOL_BYTES, offsetof(struct dmaheap_info, pool_bytes) },
};

/* Files every device directory has; they say nothing about the heap. */
static const char *const device_files[] = { "dev", "uevent" };

int dmaheap__read_text(int dirfd, const char *file, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return 0;
}

int dmaheap__parse_u64(const char *s, uint64_t *val)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*val = v;
	return 0;
}

static const struct stat_file *find_stat(const char *file)
{
	size_t i;

	for (i = 0; i < sizeof(stat_files) / sizeof(stat_files[0]); i++)
		if (!strcmp(stat_files[i].file, file))
			return &stat_files[i];
	return NULL;
}

static bool is_device_file(const char *file)
{
	size_t i;

	for (i = 0; i < sizeof(device_files) / sizeof(device_files[0]); i++)
		if (!strcmp(device_files[i], file))
			return true;
	return false;
}

static int add_prop(struct dmaheap_info *info, const char *key, const char *value)
{
	struct dmaheap_prop *props;
	char *k, *v;

	props = realloc(info->props, (info->nprops + 1) * sizeof(*props));
	if (!props)
		return -ENOMEM;
	info->props = props;
	k = strdup(key);
	v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	props[info->nprops].key = k;
	props[info->nprops].value = v;
	info->nprops++;
	return 0;
}

static int cmp_prop(const void *a, const void *b)
{
	const struct dmaheap_prop *pa = a, *pb = b;

	return strcmp(pa->key, pb->key);
}

/* Take in one sysfs file of the heap's directory. */
static int read_attr(int dirfd, const char *file, struct dmaheap_info *info)
{
	const struct stat_file *sf;
	char value[DMAHEAP__VALUE_MAX];
	uint64_t v;

	/* Unreadable files (write-only, or not for us) are simply not shown. */
	if (dmaheap__read_text(dirfd, file, value, sizeof(value)))
		return 0;

	sf = find_stat(file);
	if (sf) {
		if (!dmaheap__parse_u64(value, &v)) {
			*(uint64_t *)((char *)info + sf->offset) = v;
			info->known |= sf->bit;
		}
		return 0;
	}
	if (!strcmp(file, "uncached") || !strcmp(file, "contiguous")) {
		bool unc = file[0] == 'u';

		if (!dmaheap__parse_u64(value, &v) && v <= 1) {
			if (unc) {
				info->uncached = (int)v;
				info->known |= DMAHEAP_KNOWN_UNCACHED;
			} else {
				info->contiguous = (int)v;
				info->known |= DMAHEAP_KNOWN_CONTIGUOUS;
			}
		}
		return 0;
	}
	return add_prop(info, file, value);
}

static int read_sysfs(const struct dmaheap_ctx *ctx, struct dmaheap_info *info)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int err;

	err = dmaheap__path(path, sizeof(path), ctx->sysfs_dir, info->name);
	if (err)
		return err;
	dir = opendir(path);
	if (!dir)
		return 0;	/* a heap without statistics */
	info->known |= DMAHEAP_KNOWN_SYSFS;

	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || is_device_file(de->d_name))
			continue;
		/* Only attributes: no symlinks (subsystem) or groups (power). */
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		err = read_attr(dirfd(dir), de->d_name, info);
		if (err)
			break;
	}
	closedir(dir);
	if (info->nprops > 1)
		qsort(info->props, info->nprops, sizeof(*info->props), cmp_prop);
	return err;
}

DMAHEAP_EXPORT
void dmaheap_info_clear(struct dmaheap_info *info)
{
	size_t i;

	if (!info)
		return;
	for (i = 0; i < info->nprops; i++) {
		free(info->props[i].key);
		free(info->props[i].value);
	}
	free(info->props);
	memset(info, 0, sizeof(*info));
}

/* Fill *info for heap @name, whose node is known to exist. */
static int fill_info(const struct dmaheap_ctx *ctx, const char *name,
		     struct dmaheap_info *info)
{
	int err;

	memset(info, 0, sizeof(*info));
	strcpy(info->name, name);	/* checked by dmaheap__check_name() */
	err = read_sysfs(ctx, info);
	if (err)
		dmaheap_info_clear(info);
	return err;
}

/* 0 if @name is a heap node (a character device) in the device directory. */
static int node_exists(const struct dmaheap_ctx *ctx, const char *name)
{
	char path[4096];
	struct stat st;
	int err;

	err = dmaheap__path(path, sizeof(path), ctx->dev_dir, name);
	if (err)
		return err;
	if (stat(path, &st))
		return errno == ENOTDIR ? -ENOENT : -errno;
	return S_ISCHR(st.st_mode) ? 0 : -ENODEV;
}

DMAHEAP_EXPORT
int dmaheap_heap_info(struct dmaheap_ctx *ctx, const char *name,
		      struct dmaheap_info *info)
{
	int err;

	if (!ctx || !info)
		return -EINVAL;
	err = dmaheap__check_name(name);
	if (err)
		return err;
	err = node_exists(ctx, name);
	if (err)
		return err;
	return fill_info(ctx, name, info);
}

DMAHEAP_EXPORT
void dmaheap_list_free(struct dmaheap_info *infos, size_t count)
{
	size_t i;

	if (!infos)
		return;
	for (i = 0; i < count; i++)
		dmaheap_info_clear(&infos[i]);
	free(infos);
}

static int cmp_info(const void *a, const void *b)
{
	const struct dmaheap_info *ia = a, *ib = b;

	return strcmp(ia->name, ib->name);
}

DMAHEAP_EXPORT
int dmaheap_list(struct dmaheap_ctx *ctx, struct dmaheap_info **infop,
		 size_t *countp)
{
	struct dmaheap_info *infos = NULL, *grown;
	size_t count = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int err = 0;

	if (!ctx || !infop || !countp)
		return -EINVAL;
	*infop = NULL;
	*countp = 0;

	dir = opendir(ctx->dev_dir);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;

	while ((de = readdir(dir))) {
		if (dmaheap__check_name(de->d_name) || de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, 0) || !S_ISCHR(st.st_mode))
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			grown = realloc(infos, cap * sizeof(*infos));
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			infos = grown;
		}
		err = fill_info(ctx, de->d_name, &infos[count]);
		if (err)
			break;
		count++;
	}
	closedir(dir);

	if (err) {
		dmaheap_list_free(infos, count);
		return err;
	}
	if (count > 1)
		qsort(infos, count, sizeof(*infos), cmp_info);
	if (count == 0) {
		free(infos);
		infos = NULL;
	}
	*infop = infos;
	*countp = count;
	return 0;
}
