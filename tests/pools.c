// SPDX-License-Identifier: GPL-2.0
/*
 * pools: the system heaps keep the pages of released buffers, zeroed by a
 * worker, for the next request (dmaheap_system.pool_bytes_max per heap;
 * /sys/class/dmaheap/<heap>/pool_bytes shows what a heap keeps).
 *
 *   pool_pages_zeroed       buffers filled with a pattern and freed come
 *                           back zero, however many threads and processes
 *                           allocate at once (write-combined heaps read
 *                           through their write-combined mapping)
 *   pool_bytes_exact        a freed buffer shows in pool_bytes to the byte
 *                           and in no heap's bytes; reuse takes it out
 *   pool_small_release      a few small released buffers count in
 *                           pool_bytes at once, before the worker runs;
 *                           the next allocations reuse them, zero, and the
 *                           shrinker frees them
 *   pool_ceiling_honoured   a pool never keeps more than the ceiling
 *   pool_off_gives_back     ceiling 0: nothing kept, memory comes back
 *   pool_pressure           with full pools a process allocates and
 *                           touches 85% of RAM, without the OOM killer;
 *                           the shrinker empties the pools for it
 *   pool_unload_gives_back  unloading the heaps' module with full pools
 *                           returns every page
 *   pool_gives_way_to_contiguous
 *                           a contiguous buffer that needs more than the
 *                           free memory outside the pools is served: the
 *                           contiguous heap has the pools emptied
 *
 * Each case runs on the heaps that have pools (pool_bytes, not contiguous).
 */
#include <pthread.h>
#include <sys/syscall.h>

#include "harness.h"

#define SYSTEM_MODULE	"dmaheap_system"

static bool pooled_heap(const struct th_heap *h)
{
	uint64_t contig = 1, v;

	return !th_sysfs_read(h, "contiguous", &contig) && !contig &&
	       !th_sysfs_read(h, "pool_bytes", &v);
}

#define REQUIRE_POOLS(h) do {						\
	if (!pooled_heap(h))						\
		SKIP("%s keeps no pool", (h)->name);			\
} while (0)

/* The ceiling for the case, and the old one back at the end. */
static void set_ceiling(const char *val, char *saved, size_t len)
{
	if (saved && !saved[0])
		ASSERT_EQ(0, th_read_file(TH_POOL_PARAM, saved, len));
	ASSERT_EQ(0, th_write_file(TH_POOL_PARAM, val));
}

/*
 * The heap's pool once its worker is done: writing the ceiling (the same
 * value) waits for every pool's worker and trims to it.
 */
static uint64_t pool_settled(const struct th_heap *h)
{
	char cur[32] = "";
	uint64_t now = 0;

	ASSERT_EQ(0, th_read_file(TH_POOL_PARAM, cur, sizeof(cur)));
	ASSERT_EQ(0, th_write_file(TH_POOL_PARAM, cur));
	ASSERT_EQ(0, th_sysfs_read(h, "pool_bytes", &now));
	return now;
}

/*
 * Fill @h's pool: hold as many 4 MiB buffers as the caps allow (at most
 * 512 MiB), free them all, and return what the pool then holds.
 */
static uint64_t fill_pool(const struct th_heap *h)
{
	int fds[128], n = 0, fd;

	while (n < 128 && (fd = th_alloc(h, 4 * TH_MiB)) >= 0)
		fds[n++] = fd;
	while (n)
		close(fds[--n]);
	return pool_settled(h);
}

/* Allocate, check zero, dirty, free: @rounds times, sizes varying. */
static int churn(const struct th_heap *h, unsigned int seed, int rounds)
{
	static const uint64_t sizes[] = {
		4096, 64 * TH_KiB, TH_MiB, 2 * TH_MiB + 68 * TH_KiB,
	};
	int r;

	for (r = 0; r < rounds; r++) {
		uint64_t len = sizes[(seed + r) % 4];
		int fd = th_alloc(h, len);
		uint8_t *p;
		long long bad;

		if (fd < 0)
			return fd == -ENOMEM ? 0 : fd;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			close(fd);
			return -errno;
		}
		bad = th_find_not(p, len, 0);
		memset(p, 0xa5 ^ (int)r, len);
		munmap(p, len);
		close(fd);
		if (bad >= 0) {
			fprintf(stderr, "# %s: byte %lld of %llu not zero\n",
				h->name, bad, (unsigned long long)len);
			return -EBADMSG;
		}
	}
	return 0;
}

struct churn_arg {
	const struct th_heap *h;
	unsigned int seed;
	int ret;
};

static void *churn_thread(void *data)
{
	struct churn_arg *a = data;

	a->ret = churn(a->h, a->seed, 40);
	return NULL;
}

HEAP_TEST_TIMEOUT(pool_pages_zeroed, 240)
{
	struct churn_arg args[4];
	pthread_t threads[4];
	pid_t kids[2];
	int i, status;

	REQUIRE_POOLS(heap);
	/* Prime the pool with dirty pages first. */
	ASSERT_EQ(0, churn(heap, 0, 20));
	for (i = 0; i < 2; i++) {
		kids[i] = fork();
		ASSERT_GE(kids[i], 0);
		if (kids[i] == 0)
			_exit(churn(heap, 7 + i, 60) ? 1 : 0);
	}
	for (i = 0; i < 4; i++) {
		args[i].h = heap;
		args[i].seed = i;
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, churn_thread,
					    &args[i]));
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
		EXPECT_EQ(0, args[i].ret);
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(kids[i], waitpid(kids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

HEAP_TEST_TIMEOUT(pool_bytes_exact, 120)
{
	char saved[32] = "";
	uint64_t len = 2 * TH_MiB + 64 * TH_KiB + 4096, pooled;
	struct th_stats base, now;
	int fd;

	REQUIRE_POOLS(heap);
	set_ceiling("0", saved, sizeof(saved));
	set_ceiling("64M", NULL, 0);
	ASSERT_EQ(0, th_stats_read(heap, &base));
	EXPECT_EQ(0, pool_settled(heap));
	fd = th_alloc(heap, len);
	ASSERT_GE(fd, 0);
	close(fd);
	pooled = pool_settled(heap);
	EXPECT_EQ(len, pooled);
	/* Pooled pages belong to no buffer. */
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(base.bytes, now.bytes);
	EXPECT_EQ(base.buffers, now.buffers);
	/* The next buffer of the same size takes them all. */
	fd = th_alloc(heap, len);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, th_sysfs_read(heap, "pool_bytes", &pooled));
	EXPECT_EQ(0, pooled);
	close(fd);
	EXPECT_EQ(len, pool_settled(heap));
	set_ceiling(saved, NULL, 0);
}

/*
 * Released pages wait unzeroed for the worker, which a timer queues at the
 * next tick; pool_bytes shows them at once, and an allocation that finds
 * no zeroed page zeroes one of them itself.
 */
#define SMALL_BUFS	8

HEAP_TEST_TIMEOUT(pool_small_release, 120)
{
	int fds[SMALL_BUFS], i;
	char saved[32] = "";
	long long bad = -1;
	uint64_t pooled;
	uint8_t *p;

	REQUIRE_POOLS(heap);
	set_ceiling("0", saved, sizeof(saved));
	set_ceiling("64M", NULL, 0);
	EXPECT_EQ(0, pool_settled(heap));
	for (i = 0; i < SMALL_BUFS; i++) {
		fds[i] = th_alloc(heap, 4096);
		ASSERT_GE(fds[i], 0);
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fds[i], 0);
		ASSERT_NE(MAP_FAILED, p);
		memset(p, 0x5a, 4096);
		munmap(p, 4096);
	}
	for (i = 0; i < SMALL_BUFS; i++)
		close(fds[i]);
	/* Counted without waiting for anything. */
	ASSERT_EQ(0, th_sysfs_read(heap, "pool_bytes", &pooled));
	EXPECT_EQ(SMALL_BUFS * 4096, pooled);
	for (i = 0; i < SMALL_BUFS; i++) {
		fds[i] = th_alloc(heap, 4096);
		ASSERT_GE(fds[i], 0);
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fds[i], 0);
		ASSERT_NE(MAP_FAILED, p);
		if (bad < 0)
			bad = th_find_not(p, 4096, 0);
		munmap(p, 4096);
	}
	EXPECT_EQ(-1, bad);
	/*
	 * Reused.  Not necessarily every one: the worker, queued by the
	 * timer meanwhile, may hold a page while it zeroes it, and a request
	 * that then finds both lists empty takes a fresh page.
	 */
	ASSERT_EQ(0, th_sysfs_read(heap, "pool_bytes", &pooled));
	EXPECT_LT(pooled, SMALL_BUFS * 4096);
	for (i = 0; i < SMALL_BUFS; i++)
		close(fds[i]);
	ASSERT_EQ(0, th_sysfs_read(heap, "pool_bytes", &pooled));
	EXPECT_GE(pooled, SMALL_BUFS * 4096);
	/*
	 * The shrinker gives waiting and zeroed pages back (drop_caches runs
	 * it); a page the worker holds meanwhile goes at the next run.
	 */
	for (i = 0; i < 50 && pooled; i++) {
		ASSERT_EQ(0, th_write_file("/proc/sys/vm/drop_caches", "2"));
		ASSERT_EQ(0, th_sysfs_read(heap, "pool_bytes", &pooled));
		if (pooled)
			usleep(20 * 1000);
	}
	EXPECT_EQ(0, pooled);
	set_ceiling(saved, NULL, 0);
}

HEAP_TEST_TIMEOUT(pool_ceiling_honoured, 120)
{
	char saved[32] = "";
	uint64_t pooled;
	int fds[16], i;

	REQUIRE_POOLS(heap);
	set_ceiling("8M", saved, sizeof(saved));
	for (i = 0; i < 16; i++) {
		fds[i] = th_alloc(heap, 2 * TH_MiB);
		ASSERT_GE(fds[i], 0);
	}
	for (i = 0; i < 16; i++)
		close(fds[i]);
	/* Up to the ceiling; a block that would pass it goes back. */
	pooled = pool_settled(heap);
	EXPECT_LE(pooled, 8 * TH_MiB);
	EXPECT_GE(pooled, 7 * TH_MiB);
	/* Lowering the ceiling trims at once. */
	set_ceiling("3M", NULL, 0);
	EXPECT_LE(pool_settled(heap), 3 * TH_MiB);
	set_ceiling(saved, NULL, 0);
}

HEAP_TEST_TIMEOUT(pool_off_gives_back, 120)
{
	char saved[32] = "";
	long long before, after;
	int fd;

	REQUIRE_POOLS(heap);
	set_ceiling("0", saved, sizeof(saved));
	EXPECT_EQ(0, pool_settled(heap));
	before = th_free_kb();
	fd = th_alloc(heap, 32 * TH_MiB);
	ASSERT_GE(fd, 0);
	close(fd);
	EXPECT_EQ(0, pool_settled(heap));
	after = th_free_kb();
	TH_LOG("free %lld kB before, %lld kB after", before, after);
	EXPECT_GE(after + 2048, before);
	set_ceiling(saved, NULL, 0);
}

/* A child that mallocs and touches @kb; its exit status says if it could. */
static pid_t toucher(long long kb)
{
	pid_t pid = fork();

	if (pid == 0) {
		size_t len = (size_t)kb * 1024, i;
		char *m = malloc(len);

		if (!m)
			_exit(1);
		for (i = 0; i < len; i += 4096)
			m[i] = 1;
		_exit(0);
	}
	return pid;
}

TEST_TIMEOUT(pool_pressure, 300)
{
	long long total = th_meminfo_kb("MemTotal"), want, room;
	uint64_t pooled = 0, after = 0;
	struct th_heap h;
	char saved[32] = "";
	int status;
	pid_t pid;

	th_heap_init(&h, "system");
	if (!pooled_heap(&h))
		SKIP("no pooled system heap of ours");
	/*
	 * 85% of RAM, unless the machine cannot give a process that much
	 * even with every pool empty (a 1 GiB VM's kernel and initramfs
	 * take about 16%): then what it can, less 32 MiB.  make check runs
	 * this program in a 2 GiB VM too, where 85% fits.
	 */
	set_ceiling("0", saved, sizeof(saved));
	want = total / 100 * 85;
	room = th_meminfo_kb("MemAvailable") - 32 * 1024;
	if (want > room) {
		TH_LOG("85%% of RAM (%lld MiB) is more than this machine has for a process with empty pools; using %lld MiB",
		       want / 1024, room / 1024);
		want = room;
	}
	set_ceiling("1T", NULL, 0);
	pooled = fill_pool(&h);
	TH_LOG("pool holds %" PRIu64 " MiB; MemAvailable %lld MiB",
	       pooled / TH_MiB, th_meminfo_kb("MemAvailable") / 1024);
	EXPECT_GE(pooled, 256 * TH_MiB);

	/* 85% of RAM for a process: the shrinker makes room. */
	pid = toucher(want);
	ASSERT_GE(pid, 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(0, th_sysfs_read(&h, "pool_bytes", &after));
	TH_LOG("after a process touched %lld MiB the pool holds %" PRIu64
	       " MiB", want / 1024, after / TH_MiB);
	EXPECT_LT(after, pooled);
	set_ceiling(saved, NULL, 0);
}

/*
 * Pooled pages lie anywhere, and migration cannot move them: a contiguous
 * request larger than the memory free outside the pools succeeds only if
 * the contiguous heap has the pools give their pages back.
 */
TEST_TIMEOUT(pool_gives_way_to_contiguous, 300)
{
	uint64_t pooled = 0, after = 0, limit = 0, len;
	struct th_heap h, c;
	char saved[32] = "";
	long long free_kb;
	int fd;

	th_heap_init(&h, "system");
	th_heap_init(&c, "system-contiguous");
	if (!pooled_heap(&h))
		SKIP("no pooled system heap of ours");
	if (access(c.dev, R_OK | W_OK) || th_sysfs_read(&c, "limit_bytes", &limit))
		SKIP("no contiguous heap of ours");
	set_ceiling("0", saved, sizeof(saved));
	set_ceiling("1T", NULL, 0);
	pooled = fill_pool(&h);
	free_kb = th_meminfo_kb("MemFree");
	len = ((uint64_t)free_kb * 1024 + 32 * TH_MiB) & ~(uint64_t)(TH_MiB - 1);
	TH_LOG("pool holds %" PRIu64 " MiB, %lld MiB free besides; asking the contiguous heap for %" PRIu64 " MiB",
	       pooled / TH_MiB, free_kb / 1024, len / TH_MiB);
	if (pooled < 64 * TH_MiB || len > limit ||
	    len / 1024 + 64 * 1024 > (uint64_t)th_meminfo_kb("MemAvailable")) {
		set_ceiling(saved, NULL, 0);
		SKIP("no request here needs the pool's memory and fits the heap's cap");
	}
	fd = th_alloc(&c, len);
	ASSERT_EQ(0, th_sysfs_read(&h, "pool_bytes", &after));
	TH_LOG("contiguous request: %s; the pool holds %" PRIu64 " MiB",
	       fd >= 0 ? "served" : strerror(-fd), after / TH_MiB);
	if (fd >= 0)
		close(fd);
	set_ceiling(saved, NULL, 0);
	/* The pool gave way, whatever came of the request. */
	EXPECT_LT(after, pooled);
	if (fd == -ENOMEM) {
		uint64_t largest = 0;

		/*
		 * With the pools empty, is there a run that long at all?  If
		 * not, unmovable pages elsewhere (after a long suite) are in
		 * the way, not the pools.
		 */
		ASSERT_EQ(0, th_sysfs_read(&c, "largest_alloc", &largest));
		TH_LOG("largest contiguous request migration could serve now: %" PRIu64 " MiB",
		       largest / TH_MiB);
		if (largest < len)
			SKIP("memory too fragmented for %" PRIu64 " MiB even with the pools empty",
			     len / TH_MiB);
	}
	EXPECT_GE(fd, 0);
}

TEST_TIMEOUT(pool_unload_gives_back, 180)
{
	char params[256], saved[32] = "";
	long long before, after;
	struct th_heap h;
	int fds[32], n = 0, fd;
	double end;

	th_heap_init(&h, "system");
	if (!pooled_heap(&h))
		SKIP("no pooled system heap of ours");
	set_ceiling("0", saved, sizeof(saved));
	/* Pages before: the pools are empty now. */
	before = th_free_kb();
	set_ceiling("256M", NULL, 0);
	while (n < 32 && (fd = th_alloc(&h, 4 * TH_MiB)) >= 0)
		fds[n++] = fd;
	while (n)
		close(fds[--n]);
	EXPECT_GT(pool_settled(&h), 64 * TH_MiB);

	ASSERT_EQ(0, th_unload_module(SYSTEM_MODULE));
	end = th_now() + 5;
	do {
		after = th_free_kb();
		if (after >= before - 2048)
			break;
		usleep(100 * 1000);
	} while (th_now() < end);
	TH_LOG("free %lld kB with empty pools, %lld kB after unloading full ones",
	       before, after);
	EXPECT_GE(after, before - 2048);

	ASSERT_EQ(0, th_load_order_params(SYSTEM_MODULE ".ko", params,
					  sizeof(params)));
	ASSERT_EQ(0, th_load_module(SYSTEM_MODULE ".ko", params));
	/* The reloaded module starts with its default ceiling. */
	(void)saved;
}
