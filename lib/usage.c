// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The limits above the per-heap caps and the usage per user: the dmaheap
 * core's files in /sys/kernel/dmaheap and /sys/module/dmaheap/parameters.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define ALL_USAGE	(DMAHEAP_USAGE_BYTES | DMAHEAP_USAGE_BUFFERS | \
			 DMAHEAP_USAGE_FAILED_ALLOCS)

/* Drop the last path component of @path[0..*len), and the slashes before it. */
static bool strip_component(const char *path, size_t *len)
{
	size_t n = *len;

	while (n > 0 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return false;
	while (n > 0 && path[n - 1] != '/')
		n--;
	while (n > 0 && path[n - 1] == '/')
		n--;
	*len = n;
	return true;
}

/*
 * Open directory @sub of the sysfs tree the context's sysfs directory lies
 * in: two levels up from it (/sys/class/dmaheap -> /sys).
 */
static int open_core_dir(const struct dmaheap_ctx *ctx, const char *sub)
{
	const char *dir = ctx->sysfs_dir;
	size_t len = strlen(dir);
	char path[4096];
	int n, fd;

	if (!strip_component(dir, &len) || !strip_component(dir, &len))
		return -ENOENT;
	if (len == 0)	/* "/class/dmaheap" lies in "/", "class/dmaheap" in "." */
		n = snprintf(path, sizeof(path), "%s/%s", dir[0] == '/' ? "" : ".", sub);
	else
		n = snprintf(path, sizeof(path), "%.*s/%s", (int)len, dir, sub);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOTDIR ? -ENOENT : -errno;
	return fd;
}

/* Read decimal file @file of @dirfd into *val; sets @bit in *known if it parsed. */
static void read_u64(int dirfd, const char *file, uint64_t *val,
		     unsigned int *known, unsigned int bit)
{
	char text[DMAHEAP__VALUE_MAX];

	if (!dmaheap__read_text(dirfd, file, text, sizeof(text)) &&
	    !dmaheap__parse_u64(text, val))
		*known |= bit;
}

DMAHEAP_EXPORT
int dmaheap_limits(struct dmaheap_ctx *ctx, struct dmaheap_limits *limits)
{
	char text[DMAHEAP__VALUE_MAX];
	int params, core;

	if (!ctx || !limits)
		return -EINVAL;
	memset(limits, 0, sizeof(*limits));
	params = open_core_dir(ctx, "module/dmaheap/parameters");
	if (params >= 0) {
		read_u64(params, "budget_bytes", &limits->budget_bytes,
			 &limits->known, DMAHEAP_LIMITS_BUDGET_BYTES);
		read_u64(params, "user_quota_bytes", &limits->user_quota_bytes,
			 &limits->known, DMAHEAP_LIMITS_USER_QUOTA);
		/* A bool module parameter reads Y or N. */
		if (!dmaheap__read_text(params, "memcg_charge", text, sizeof(text)) &&
		    (!strcmp(text, "Y") || !strcmp(text, "N"))) {
			limits->memcg_charge = text[0] == 'Y';
			limits->known |= DMAHEAP_LIMITS_MEMCG_CHARGE;
		}
		close(params);
	}
	core = open_core_dir(ctx, "kernel/dmaheap");
	if (core >= 0) {
		read_u64(core, "bytes", &limits->budget_used, &limits->known,
			 DMAHEAP_LIMITS_BUDGET_USED);
		close(core);
	}
	return limits->known ? 0 : -ENOENT;
}

/* Read the files of one user's directory. */
static void read_usage(int dirfd, struct dmaheap_user_usage *usage)
{
	read_u64(dirfd, "bytes", &usage->bytes, &usage->known, DMAHEAP_USAGE_BYTES);
	read_u64(dirfd, "buffers", &usage->buffers, &usage->known,
		 DMAHEAP_USAGE_BUFFERS);
	read_u64(dirfd, "failed_allocs", &usage->failed_allocs, &usage->known,
		 DMAHEAP_USAGE_FAILED_ALLOCS);
}

DMAHEAP_EXPORT
int dmaheap_user_usage(struct dmaheap_ctx *ctx, uid_t uid,
		       struct dmaheap_user_usage *usage)
{
	char name[32];
	int users, fd;

	if (!ctx || !usage)
		return -EINVAL;
	memset(usage, 0, sizeof(*usage));
	usage->uid = uid;
	users = open_core_dir(ctx, "kernel/dmaheap/users");
	if (users < 0)
		return users;
	snprintf(name, sizeof(name), "%lu", (unsigned long)uid);
	fd = openat(users, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int err = errno;

		close(users);
		if (err != ENOENT)
			return -err;
		/* Never allocated since the core was loaded: holds nothing. */
		usage->known = ALL_USAGE;
		return 0;
	}
	read_usage(fd, usage);
	close(fd);
	close(users);
	return 0;
}

static int cmp_usage(const void *a, const void *b)
{
	const struct dmaheap_user_usage *ua = a, *ub = b;

	return ua->uid < ub->uid ? -1 : ua->uid > ub->uid;
}

/* The uid a directory entry of kernel/dmaheap/users names, or -EINVAL. */
static int entry_uid(const char *name, uid_t *uid)
{
	uint64_t v;

	if (dmaheap__parse_u64(name, &v) || v > (uid_t)-1 ||
	    (name[0] == '0' && name[1]))
		return -EINVAL;
	*uid = (uid_t)v;
	return 0;
}

DMAHEAP_EXPORT
int dmaheap_users(struct dmaheap_ctx *ctx, struct dmaheap_user_usage **usagep,
		  size_t *countp)
{
	struct dmaheap_user_usage *list = NULL, *grown;
	size_t count = 0, cap = 0;
	struct dirent *de;
	int users, fd, err = 0;
	DIR *dir;
	uid_t uid;

	if (!ctx || !usagep || !countp)
		return -EINVAL;
	*usagep = NULL;
	*countp = 0;
	users = open_core_dir(ctx, "kernel/dmaheap/users");
	if (users < 0)
		return users == -ENOENT ? 0 : users;
	dir = fdopendir(users);
	if (!dir) {
		err = -errno;
		close(users);
		return err;
	}
	while ((de = readdir(dir))) {
		if (entry_uid(de->d_name, &uid))
			continue;
		fd = openat(dirfd(dir), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;	/* not a user's directory, or gone */
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			grown = realloc(list, cap * sizeof(*list));
			if (!grown) {
				close(fd);
				err = -ENOMEM;
				break;
			}
			list = grown;
		}
		memset(&list[count], 0, sizeof(list[count]));
		list[count].uid = uid;
		read_usage(fd, &list[count]);
		close(fd);
		count++;
	}
	closedir(dir);
	if (err) {
		free(list);
		return err;
	}
	if (count == 0) {
		free(list);
		return 0;
	}
	qsort(list, count, sizeof(*list), cmp_usage);
	*usagep = list;
	*countp = count;
	return 0;
}
