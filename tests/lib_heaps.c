// SPDX-License-Identifier: GPL-2.0
/*
 * libdmaheap against real heaps: opening by name and by preference list,
 * enumeration and statistics, caps, and one context shared by threads.
 */
#include <pthread.h>

#include <dmaheap.h>

#include "harness.h"

#define THREADS		4
#define ROUNDS		50

static bool heap_exists(const char *name)
{
	char path[300];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", name);
	return !stat(path, &st) && S_ISCHR(st.st_mode);
}

TEST(open_missing_heap)
{
	static const char *const none[] = { "no-such-heap", "nor-this-one", NULL };
	struct dmaheap_ctx *ctx;
	struct dmaheap_info info;

	ASSERT_EQ(0, dmaheap_ctx_new(&ctx));
	EXPECT_EQ(-ENOENT, dmaheap_open(ctx, "no-such-heap"));
	EXPECT_EQ(-ENOENT, dmaheap_open_first(ctx, none, NULL));
	EXPECT_EQ(-ENOENT, dmaheap_alloc(ctx, "no-such-heap", 4096, O_RDWR));
	EXPECT_EQ(-ENOENT, dmaheap_heap_info(ctx, "no-such-heap", &info));
	EXPECT_EQ(-EINVAL, dmaheap_open(ctx, "../null"));
	dmaheap_ctx_free(ctx);
}

HEAP_TEST(open_caches_fd)
{
	struct dmaheap_ctx *ctx;
	int a, b;

	ASSERT_EQ(0, dmaheap_ctx_new(&ctx));
	a = dmaheap_open(ctx, heap->name);
	b = dmaheap_open(ctx, heap->name);
	EXPECT_GE(a, 0);
	EXPECT_EQ(a, b);
	EXPECT_TRUE(fcntl(a, F_GETFD) & FD_CLOEXEC);
	dmaheap_ctx_free(ctx);
	/* The context owned it. */
	EXPECT_EQ(-1, fcntl(a, F_GETFD));
}

HEAP_TEST(open_first_picks_heap)
{
	const char *names[] = { "no-such-heap", heap->name, "system", NULL };
	struct dmaheap_ctx *ctx;
	size_t idx = 99;
	int fd;

	ASSERT_EQ(0, dmaheap_ctx_new(&ctx));
	fd = dmaheap_open_first(ctx, names, &idx);
	EXPECT_GE(fd, 0);
	EXPECT_EQ(1, idx);
	EXPECT_EQ(fd, dmaheap_open(ctx, heap->name));
	dmaheap_ctx_free(ctx);
}

/* The preference lists real clients use pick the first heap present here. */
TEST(open_first_client_lists)
{
	static const char *const libcamera[] = { "linux,cma", "reserved", "system", NULL };
	static const char *const android[] = { "system-uncached", "system", NULL };
	static const char *const rockchip[] = {
		"system", "system-dma32", "system-uncached", "system-uncached-dma32", NULL,
	};
	static const char *const *const lists[] = { libcamera, android, rockchip };
	struct dmaheap_ctx *ctx;
	size_t l, i, idx;
	int fd;

	ASSERT_EQ(0, dmaheap_ctx_new(&ctx));
	for (l = 0; l < 3; l++) {
		for (i = 0; lists[l][i] && !heap_exists(lists[l][i]); i++)
			;
		idx = 99;
		fd = dmaheap_open_first(ctx, lists[l], &idx);
		if (!lists[l][i]) {
			EXPECT_EQ(-ENOENT, fd);
			continue;
		}
		EXPECT_GE(fd, 0);
		EXPECT_EQ(i, idx);
		TH_LOG("list %zu -> %s", l, lists[l][i]);
	}
	dmaheap_ctx_free(ctx);
}

TEST(list_matches_dev)
{
	struct dmaheap_info *infos;
	struct dmaheap_ctx *ctx;
	size_t n, i, nodes = 0;
	struct dirent *de;
	DIR *dir;

	ASSERT_EQ(0, dmaheap_ctx_new(&ctx));
	ASSERT_EQ(0, dmaheap_list(ctx, &infos, &n));
	dir = opendir("/dev/dma_heap");
	while (dir && (de = readdir(dir)))
		nodes += de->d_name[0] != '.' && heap_exists(de->d_name);
	if (dir)
		closedir(dir);
	EXPECT_EQ(nodes, n);
	for (i = 0; i < n; i++) {
		EXPECT_TRUE(heap_exists(infos[i].name));
		if (i)
			EXPECT_LT(strcmp(infos[i - 1].name, infos[i].name), 0);
	}
	dmaheap_list_free(infos, n);
	dmaheap_ctx_free(ctx);
	if (nodes == 0)
		SKIP("no heaps");
}

HEAP_TEST(info_tracks_allocations)
{
	unsigned int stats = DMAHEAP_KNOWN_BUFFERS | DMAHEAP_KNOWN_BYTES |
		DMAHEAP_KNOWN_PEAK_BYTES | DMAHEAP_KNOWN_TOTAL_ALLOCS |
		DMAHEAP_KNOWN_FAILED_ALLOCS | DMAHEAP_KNOWN_LIMIT_BYTES |
		DMAHEAP_KNOWN_UNCACHED | DMAHEAP_KNOWN_CONTIGUOUS;
	struct dmaheap_info before, during, after;
	struct dmaheap_ctx *ctx;
	struct th_stats sys;
	uint64_t pool = 0;
	int fd;

	ASSERT_EQ(0, dmaheap_ctx_new(&ctx));
	ASSERT_EQ(0, dmaheap_heap_info(ctx, heap->name, &before));
	if (!(before.known & DMAHEAP_KNOWN_SYSFS)) {
		dmaheap_info_clear(&before);
		dmaheap_ctx_free(ctx);
		SKIP("heap has no statistics in sysfs");
	}
	/* pool_bytes is known exactly where the heap keeps a pool. */
	if (!th_sysfs_read(heap, "pool_bytes", &pool))
		stats |= DMAHEAP_KNOWN_POOL_BYTES;
	EXPECT_EQ(DMAHEAP_KNOWN_SYSFS | stats, before.known);
	EXPECT_EQ(0, strcmp(before.name, heap->name));
	/* What the library read is what sysfs says. */
	ASSERT_EQ(0, th_stats_read(heap, &sys));
	EXPECT_EQ(sys.buffers, before.buffers);
	EXPECT_EQ(sys.bytes, before.bytes);
	EXPECT_EQ(sys.total_allocs, before.total_allocs);

	fd = dmaheap_alloc(ctx, heap->name, 1 << 20, O_RDWR);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, dmaheap_heap_info(ctx, heap->name, &during));
	EXPECT_EQ(before.buffers + 1, during.buffers);
	EXPECT_EQ(before.bytes + (1 << 20), during.bytes);
	EXPECT_EQ(before.total_allocs + 1, during.total_allocs);
	EXPECT_GE(during.peak_bytes, during.bytes);
	close(fd);
	EXPECT_EQ(0, dmaheap_heap_info(ctx, heap->name, &after));
	EXPECT_EQ(before.buffers, after.buffers);
	EXPECT_EQ(before.bytes, after.bytes);
	TH_LOG("%s: uncached %d, contiguous %d, cap %llu, %zu extra properties",
	       heap->name, before.uncached, before.contiguous,
	       (unsigned long long)before.limit_bytes, before.nprops);
	dmaheap_info_clear(&before);
	dmaheap_info_clear(&during);
	dmaheap_info_clear(&after);
	dmaheap_ctx_free(ctx);
}

HEAP_TEST(info_lists_extra_files)
{
	static const char *const standard[] = {
		"buffers", "bytes", "peak_bytes", "total_allocs", "failed_allocs",
		"limit_bytes", "uncached", "contiguous", "pool_bytes", "dev", "uevent",
	};
	struct dmaheap_ctx *ctx;
	struct dmaheap_info info;
	size_t extra = 0, i, p;
	struct dirent *de;
	struct stat st;
	char path[512];
	DIR *dir;

	dir = opendir(heap->sysfs);
	if (!dir)
		SKIP("heap has no statistics in sysfs");
	ASSERT_EQ(0, dmaheap_ctx_new(&ctx));
	ASSERT_EQ(0, dmaheap_heap_info(ctx, heap->name, &info));
	while ((de = readdir(dir))) {
		bool std = false;

		snprintf(path, sizeof(path), "%s/%s", heap->sysfs, de->d_name);
		if (de->d_name[0] == '.' || lstat(path, &st) || !S_ISREG(st.st_mode) ||
		    access(path, R_OK))
			continue;
		for (i = 0; i < sizeof(standard) / sizeof(standard[0]); i++)
			std |= !strcmp(standard[i], de->d_name);
		if (std)
			continue;
		extra++;
		for (p = 0; p < info.nprops; p++)
			if (!strcmp(info.props[p].key, de->d_name))
				break;
		if (p == info.nprops)
			TH_LOG("%s is not among the properties", de->d_name);
		else
			TH_LOG("%s = %s", de->d_name, info.props[p].value);
		EXPECT_LT(p, info.nprops);
	}
	closedir(dir);
	EXPECT_EQ(extra, info.nprops);
	dmaheap_info_clear(&info);
	dmaheap_ctx_free(ctx);
}

HEAP_TEST(alloc_over_cap)
{
	struct dmaheap_info before, after;
	struct dmaheap_ctx *ctx;

	ASSERT_EQ(0, dmaheap_ctx_new(&ctx));
	ASSERT_EQ(0, dmaheap_heap_info(ctx, heap->name, &before));
	if (!(before.known & DMAHEAP_KNOWN_LIMIT_BYTES)) {
		dmaheap_info_clear(&before);
		dmaheap_ctx_free(ctx);
		SKIP("heap has no cap");
	}
	/* One page more than the cap can never fit. */
	EXPECT_EQ(-ENOMEM, dmaheap_alloc(ctx, heap->name,
					 before.limit_bytes + th_page_size(), O_RDWR));
	EXPECT_EQ(0, dmaheap_heap_info(ctx, heap->name, &after));
	EXPECT_EQ(before.failed_allocs + 1, after.failed_allocs);
	EXPECT_EQ(before.bytes, after.bytes);
	dmaheap_info_clear(&before);
	dmaheap_info_clear(&after);
	dmaheap_ctx_free(ctx);
}

struct worker {
	struct dmaheap_ctx *ctx;
	const char *heap;
	int failures;
	int first_err;
};

static void *alloc_worker(void *arg)
{
	struct worker *w = arg;
	size_t size;
	int i, fd;

	for (i = 0; i < ROUNDS; i++) {
		fd = dmaheap_alloc(w->ctx, w->heap, 64 * 1024, O_RDWR);
		if (fd < 0 || dmaheap_buf_size(fd, &size) || size != 64 * 1024) {
			if (!w->failures++)
				w->first_err = fd < 0 ? fd : -EIO;
		}
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

HEAP_TEST(alloc_from_threads)
{
	struct worker w[THREADS];
	pthread_t tid[THREADS];
	struct dmaheap_ctx *ctx;
	struct th_stats base = { 0 };
	bool stats;
	int i, started = 0;

	stats = th_stats_read(heap, &base) == 0;
	ASSERT_EQ(0, dmaheap_ctx_new(&ctx));
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ ctx, heap->name, 0, 0 };
		if (pthread_create(&tid[i], NULL, alloc_worker, &w[i]))
			break;
		started++;
	}
	EXPECT_EQ(THREADS, started);
	for (i = 0; i < started; i++) {
		pthread_join(tid[i], NULL);
		if (w[i].failures)
			TH_LOG("thread %d: %d failures, first %s", i, w[i].failures,
			       th_errname(-w[i].first_err));
		EXPECT_EQ(0, w[i].failures);
	}
	dmaheap_ctx_free(ctx);
	if (stats)
		ASSERT_STATS_BASELINE(heap, &base);
}
