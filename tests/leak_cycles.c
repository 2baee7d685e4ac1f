// SPDX-License-Identifier: GPL-2.0
/*
 * leak_cycles: thousands of alloc/mmap/write/munmap/close cycles of varied
 * sizes leave nothing behind: the heap's live counts, this process's fds,
 * free memory (MemAvailable plus per-CPU free lists) and unreclaimable slab
 * all come back to where they were.
 */
#include "harness.h"

#define CYCLES		2000
#define MEM_SLACK_KB	(8 * 1024)
#define SLAB_SLACK_KB	(4 * 1024)

static unsigned int next_rand(unsigned int *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Sizes from one page to 512 KiB, now and then a larger one. */
static size_t pick_len(unsigned int *seed)
{
	size_t page = th_page_size();
	unsigned int r = next_rand(seed);

	if (r % 50 == 0)
		return 2 * TH_MiB + (r % 7) * page;
	return (1 + r % 128) * page;
}

/* Runs @n cycles; returns 0 or the step that failed. */
static int cycles(int heap_fd, int n, unsigned int seed)
{
	int i;

	for (i = 0; i < n; i++) {
		size_t len = pick_len(&seed);
		int fd = th_alloc_fd(heap_fd, len, O_RDWR | O_CLOEXEC);
		uint8_t *p;

		if (fd < 0) {
			TH_LOG("cycle %d: alloc of %zu: %s", i, len,
			       strerror(-fd));
			return 1;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			TH_LOG("cycle %d: mmap: %s", i, strerror(errno));
			close(fd);
			return 2;
		}
		if (p[0] || p[len - 1]) {
			TH_LOG("cycle %d: buffer not zeroed", i);
			return 3;
		}
		memset(p, 0xee, th_page_size());
		p[len - 1] = 0xee;
		munmap(p, len);
		close(fd);
	}
	return 0;
}

HEAP_TEST_TIMEOUT(alloc_free_cycles, 150)
{
	long long mem0, mem1, slab0, slab1;
	struct th_stats base, now;
	int heap_fd, nfds;
	double t0;

	heap_fd = th_heap_open(heap);
	ASSERT_GE(heap_fd, 0);
	/* Warm up, so caches that stay (slabs, per-CPU lists) are filled. */
	ASSERT_EQ(0, cycles(heap_fd, 100, 1));

	ASSERT_EQ(0, th_stats_read(heap, &base));
	nfds = th_count_fds();
	mem0 = th_free_kb();
	slab0 = th_meminfo_kb("SUnreclaim");
	ASSERT_GT(mem0, 0);

	t0 = th_now();
	ASSERT_EQ(0, cycles(heap_fd, CYCLES, 0x2545f491u));
	TH_LOG("%d cycles in %.1f s", CYCLES, th_now() - t0);

	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(base.buffers, now.buffers);
	EXPECT_EQ(base.bytes, now.bytes);
	EXPECT_EQ(base.total_allocs + CYCLES, now.total_allocs);
	EXPECT_EQ(base.failed_allocs, now.failed_allocs);
	EXPECT_EQ(nfds, th_count_fds());

	mem1 = th_free_kb();
	slab1 = th_meminfo_kb("SUnreclaim");
	TH_LOG("free memory %lld -> %lld kB, SUnreclaim %lld -> %lld kB",
	       mem0, mem1, slab0, slab1);
	EXPECT_GE(mem1, mem0 - MEM_SLACK_KB);
	EXPECT_LE(slab1, slab0 + SLAB_SLACK_KB);
	close(heap_fd);
}

/* Allocations that fail must not leak either. */
HEAP_TEST_TIMEOUT(alloc_fail_cycles, 60)
{
	struct dma_heap_allocation_data d = { .fd_flags = O_RDWR | O_CLOEXEC };
	long long slab0, slab1;
	struct th_stats base, now;
	uint64_t limit;
	int heap_fd, nfds, i;

	heap_fd = th_heap_open(heap);
	ASSERT_GE(heap_fd, 0);
	ASSERT_EQ(0, th_sysfs_read(heap, "limit_bytes", &limit));
	ASSERT_EQ(0, th_stats_read(heap, &base));
	nfds = th_count_fds();
	slab0 = th_meminfo_kb("SUnreclaim");

	for (i = 0; i < CYCLES; i++) {
		d.fd = 0;
		d.len = i % 2 ? limit + th_page_size() : 0;
		ASSERT_EQ(-1, ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &d));
		ASSERT_EQ(i % 2 ? ENOMEM : EINVAL, errno);
	}

	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(base.buffers, now.buffers);
	EXPECT_EQ(base.bytes, now.bytes);
	EXPECT_EQ(base.failed_allocs + CYCLES / 2, now.failed_allocs);
	EXPECT_EQ(nfds, th_count_fds());
	slab1 = th_meminfo_kb("SUnreclaim");
	EXPECT_LE(slab1, slab0 + SLAB_SLACK_KB);
	close(heap_fd);
}
