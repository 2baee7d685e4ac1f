// SPDX-License-Identifier: GPL-2.0
/*
 * limits: the per-heap cap on live bytes (limit_bytes).  Its default (a
 * fraction of RAM), enforcement at the exact boundary, size suffixes,
 * lowering it under live buffers, allocating in a loop until the cap says
 * no (ENOMEM, never the OOM killer), and requests larger than RAM with the
 * cap lifted, which the heap itself must refuse at once.  Every test puts
 * the original limit back.
 */
#include <sys/resource.h>

#include "harness.h"

FIXTURE(limit) {
	uint64_t saved;
	bool restore;
	struct th_stats base;
	int fds[2048];
	int nfds;
};

FIXTURE_SETUP(limit)
{
	struct rlimit rl = { 4096, 4096 };

	self->nfds = 0;
	ASSERT_EQ(0, th_sysfs_read(heap, "limit_bytes", &self->saved));
	self->restore = true;
	ASSERT_EQ(0, th_stats_read(heap, &self->base));
	/* Loops below may hold a few hundred buffers. */
	ASSERT_OK(setrlimit(RLIMIT_NOFILE, &rl));
}

FIXTURE_TEARDOWN(limit)
{
	char buf[32];
	uint64_t now = 0;

	while (self->nfds > 0)
		close(self->fds[--self->nfds]);
	if (!self->restore)
		return;
	snprintf(buf, sizeof(buf), "%" PRIu64, self->saved);
	EXPECT_EQ(0, th_sysfs_write(heap, "limit_bytes", buf));
	EXPECT_EQ(0, th_sysfs_read(heap, "limit_bytes", &now));
	EXPECT_EQ(self->saved, now);
}

static void set_limit(const struct th_heap *heap, uint64_t bytes)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, bytes);
	ASSERT_EQ(0, th_sysfs_write(heap, "limit_bytes", buf));
}

/* Allocate and keep the fd in the fixture; returns 0 or -errno. */
static int hold(struct th_fixture_limit *self, const struct th_heap *heap,
		uint64_t len)
{
	int fd;

	ASSERT_LT(self->nfds, (int)(sizeof(self->fds) / sizeof(self->fds[0])));
	fd = th_alloc(heap, len);
	if (fd < 0)
		return fd;
	self->fds[self->nfds++] = fd;
	return 0;
}

static void release_all(struct th_fixture_limit *self)
{
	while (self->nfds > 0)
		close(self->fds[--self->nfds]);
}

HEAP_TEST_F(limit, limit_default)
{
	uint64_t ram = th_ram_bytes(), pct;

	ASSERT_GT(ram, 0);
	ASSERT_GT(self->saved, 0);
	ASSERT_LT(self->saved, ram);
	/* Heaps without a cap of their own get the core's share of RAM. */
	if (!strcmp(heap->name, "system") &&
	    !th_read_u64_path("/sys/module/dmaheap/parameters/default_limit_pct",
			      &pct)) {
		TH_LOG("default cap %" PRIu64 " of %" PRIu64 " bytes (%" PRIu64 "%%)",
		       self->saved, ram, pct);
		ASSERT_EQ(ram / 100 * pct + ram % 100 * pct / 100, self->saved);
	}
}

HEAP_TEST_F(limit, limit_enforced)
{
	size_t page = th_page_size();
	struct th_stats now;

	set_limit(heap, self->base.bytes + 8 * TH_MiB);
	ASSERT_EQ(0, hold(self, heap, 4 * TH_MiB));
	/* 4 + 8 > 8 */
	ASSERT_EQ(-ENOMEM, hold(self, heap, 8 * TH_MiB));
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(self->base.failed_allocs + 1, now.failed_allocs);
	EXPECT_EQ(self->base.bytes + 4 * TH_MiB, now.bytes);
	/* 4 + 4 reaches the cap exactly: allowed. */
	ASSERT_EQ(0, hold(self, heap, 4 * TH_MiB));
	/* Not one page more. */
	ASSERT_EQ(-ENOMEM, hold(self, heap, page));
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(self->base.failed_allocs + 2, now.failed_allocs);
	EXPECT_EQ(self->base.total_allocs + 2, now.total_allocs);
	EXPECT_EQ(self->base.bytes + 8 * TH_MiB, now.bytes);

	/* Freeing makes room again. */
	release_all(self);
	ASSERT_EQ(0, hold(self, heap, 8 * TH_MiB));
	release_all(self);
	ASSERT_STATS_BASELINE(heap, &self->base);

	/* A cap of 0 stops everything. */
	set_limit(heap, 0);
	ASSERT_EQ(-ENOMEM, hold(self, heap, page));
}

HEAP_TEST_F(limit, limit_suffixes)
{
	static const struct { const char *in; uint64_t out; } ok[] = {
		{ "16M", 16 * TH_MiB },
		{ "16M\n", 16 * TH_MiB },
		{ "64K", 64 * TH_KiB },
		{ "64k", 64 * TH_KiB },
		{ "1G", 1024 * TH_MiB },
		{ "123456789", 123456789 },
		{ "2097152\n", 2 * TH_MiB },
		/* A leading zero is decimal, not octal. */
		{ "010", 10 },
		{ "0", 0 },
		{ "08M", 8 * TH_MiB },
		{ "2t", 2048ULL * 1024 * TH_MiB },
		/* The largest values that fit, plain and suffixed. */
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183G", 17179869183ULL << 30 },
		{ "16777215T", 16777215ULL << 40 },
	};
	static const char *const bad[] = {
		"x", "16Mx", "-", "M", "1 2", "\n", "16E", "0x10",
		"-1", "+5", " 5", "5 ", "1KB", "12\n\n", "1.5M",
		/* 2^64 and past it, plain and through a suffix */
		"18446744073709551616", "99999999999999999999",
		"17179869184G", "16777216T",
	};
	uint64_t val;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		EXPECT_EQ(0, th_sysfs_write(heap, "limit_bytes", ok[i].in));
		ASSERT_EQ(0, th_sysfs_read(heap, "limit_bytes", &val));
		EXPECT_EQ(ok[i].out, val);
	}
	set_limit(heap, 5 * TH_MiB);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, th_sysfs_write(heap, "limit_bytes", bad[i]));
		ASSERT_EQ(0, th_sysfs_read(heap, "limit_bytes", &val));
		EXPECT_EQ(5 * TH_MiB, val);
	}
	/* A suffixed cap is enforced like any other. */
	ASSERT_EQ(0, th_sysfs_write(heap, "limit_bytes", "16M"));
	if (self->base.bytes == 0) {
		ASSERT_EQ(0, hold(self, heap, 16 * TH_MiB));
		ASSERT_EQ(-ENOMEM, hold(self, heap, th_page_size()));
	}
}

/* A cap below what is live keeps the live buffers and stops new ones. */
HEAP_TEST_F(limit, limit_below_live)
{
	uint8_t *p;

	ASSERT_EQ(0, hold(self, heap, 4 * TH_MiB));
	set_limit(heap, TH_MiB);
	ASSERT_EQ(-ENOMEM, hold(self, heap, th_page_size()));
	p = mmap(NULL, 4 * TH_MiB, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fds[0], 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 1, 4 * TH_MiB);
	munmap(p, 4 * TH_MiB);
	release_all(self);
	ASSERT_STATS_BASELINE(heap, &self->base);
	/* The base is under the new cap again (when nothing else is live). */
	if (self->base.bytes == 0)
		ASSERT_EQ(0, hold(self, heap, TH_MiB));
}

/* Allocate 1 MiB at a time until refused; returns how many succeeded. */
static int fill_until_refused(struct th_fixture_limit *self,
			      const struct th_heap *heap, int *err)
{
	int n = 0, ret;

	for (;;) {
		ret = hold(self, heap, TH_MiB);
		if (ret) {
			*err = -ret;
			return n;
		}
		n++;
	}
}

HEAP_TEST_F(limit, limit_loop_small)
{
	struct th_stats now;
	int n, err;

	set_limit(heap, self->base.bytes + 32 * TH_MiB);
	n = fill_until_refused(self, heap, &err);
	ASSERT_EQ(ENOMEM, err);
	ASSERT_EQ(32, n);
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(self->base.bytes + 32 * TH_MiB, now.bytes);
	EXPECT_EQ(self->base.failed_allocs + 1, now.failed_allocs);
	release_all(self);
	ASSERT_STATS_BASELINE(heap, &self->base);
}

/* With the default cap: the loop ends in ENOMEM and we are still alive. */
HEAP_TEST_F_TIMEOUT(limit, limit_loop_default, 150)
{
	long long avail_before = th_meminfo_kb("MemAvailable");
	struct th_stats now;
	double t0 = th_now();
	int n, err;

	n = fill_until_refused(self, heap, &err);
	TH_LOG("%d MiB held when refused (cap %" PRIu64 " MiB, MemAvailable "
	       "was %lld MiB) after %.1f s", n, self->saved / TH_MiB,
	       avail_before / 1024, th_now() - t0);
	ASSERT_EQ(ENOMEM, err);
	ASSERT_GT(n, 0);
	ASSERT_EQ(0, th_stats_read(heap, &now));
	ASSERT_LE(now.bytes, self->saved);
	ASSERT_EQ(self->base.bytes + (uint64_t)n * TH_MiB, now.bytes);
	release_all(self);
	ASSERT_STATS_BASELINE(heap, &self->base);
}

/*
 * With the cap out of the way, the heap itself must refuse what memory
 * cannot hold, at once and without waking the OOM killer (run-tests and
 * tests/vm/run check the kernel log for that).
 */
HEAP_TEST_F_TIMEOUT(limit, limit_lifted_huge, 60)
{
	uint64_t ram = th_ram_bytes();
	long long avail = (th_pools_settle(), th_meminfo_kb("MemAvailable"));
	const uint64_t lens[] = {
		ram + 64 * TH_MiB, 2 * ram, (uint64_t)avail * 1024 + 64 * TH_MiB,
	};
	struct th_stats now;
	double t0;
	size_t i;

	ASSERT_GT(ram, 0);
	ASSERT_GT(avail, 0);
	set_limit(heap, 1ULL << 62);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		t0 = th_now();
		ASSERT_EQ(-ENOMEM, hold(self, heap, lens[i]));
		EXPECT_LT(th_now() - t0, 5.0);
	}
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(self->base.failed_allocs + 3, now.failed_allocs);
	ASSERT_STATS_BASELINE(heap, &self->base);
}
