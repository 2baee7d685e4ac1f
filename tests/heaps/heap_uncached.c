// SPDX-License-Identifier: GPL-2.0
/*
 * heap_uncached: the system-uncached heap really maps write-combined.
 *
 * The dmaheap_inspect module reads the page tables: the user mapping and a
 * vmap must be write-combining while the buffer lives.  The kernel's linear
 * mapping of every page is write-combining too on x86, and write-back
 * again once the page is freed, and the kernel must not have logged a
 * single PAT complaint on the way; on arm64 the linear mapping stays
 * write-back throughout (HU_LINEAR_UNCACHED).  The cached system heap is
 * the control: the same checks see write-back there.  x86 and arm64 (others
 * SKIP).
 */
#include "heap_util.h"

#define MAX_HEAPS	8

/* The heaps whose sysfs says "uncached 1"; SKIPs when there is none. */
static int uncached_heaps(struct th_heap *heaps)
{
	char names[MAX_HEAPS][64];
	int n = hu_find_heaps("uncached", names, MAX_HEAPS), i, found = 0;

	for (i = 0; i < n; i++) {
		struct th_heap h;
		uint64_t val = 0;

		hu_heap(&h, names[i]);
		if (!th_sysfs_read(&h, "uncached", &val) && val == 1)
			heaps[found++] = h;
	}
	if (!found)
		SKIP("no heap claims uncached=1");
	return found;
}

/*
 * Map all of @fd (@len bytes) and check the user mapping at three offsets
 * and a vmap against @want, the linear mapping against @linear.
 */
static void check_caching(int ifd, int fd, size_t len, uint32_t want,
			  uint32_t linear)
{
	struct dmaheap_inspect_caching c;
	size_t page = th_page_size();
	size_t offs[] = { 0, len / 2 / page * page, len - page };
	uint8_t *p;
	size_t i;
	int ret;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		ret = hu_caching(ifd, fd, p + offs[i], &c);
		HU_SKIP_IF_NO_CACHE_INFO(ret);
		ASSERT_EQ(0, ret);
		if (c.user != want || c.linear != linear || c.vmap != want)
			TH_LOG("offset %zu: user %s, linear %s, vmap %s", offs[i],
			       hu_cache_name(c.user), hu_cache_name(c.linear),
			       hu_cache_name(c.vmap));
		EXPECT_EQ(want, c.user);
		EXPECT_EQ(linear, c.linear);
		EXPECT_EQ(want, c.vmap);
	}
	/* The mapping works: what we write reads back. */
	memset(p, 0x5a, len);
	EXPECT_EQ(-1, th_find_not(p, len, 0x5a));
	munmap(p, len);
}

TEST(mmap_write_combined)
{
	struct th_heap heaps[MAX_HEAPS];
	size_t page = th_page_size();
	/* One page, and a size that takes several chunk orders. */
	const size_t sizes[] = { page, TH_MiB + 64 * TH_KiB + 3 * page };
	int n = uncached_heaps(heaps), ifd = hu_inspect_open(), i;
	long pat_before = hu_klog_pat();
	size_t s;

	ASSERT_GE(pat_before, 0);
	for (i = 0; i < n; i++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			int fd = th_alloc(&heaps[i], sizes[s]);

			ASSERT_GE(fd, 0);
			check_caching(ifd, fd, sizes[s], DMAHEAP_CACHE_WC,
				      HU_LINEAR_UNCACHED);
			close(fd);
		}
	}
	EXPECT_EQ(pat_before, hu_klog_pat());
	close(ifd);
}

/* The control: the cached system heap maps write-back everywhere. */
TEST(mmap_write_back_on_cached_heap)
{
	struct th_heap h;
	uint64_t val = 1;
	int ifd, fd;

	hu_heap(&h, "system");
	if (th_sysfs_read(&h, "uncached", &val) || val != 0)
		SKIP("no cached heap named system");
	ifd = hu_inspect_open();
	fd = th_alloc(&h, TH_MiB);
	ASSERT_GE(fd, 0);
	check_caching(ifd, fd, TH_MiB, DMAHEAP_CACHE_WB, DMAHEAP_CACHE_WB);
	close(fd);
	close(ifd);
}

/*
 * Offsets into the buffer go through the kernel's partial-remap path,
 * where PAT takes the type recorded for the page: still write-combining.
 */
TEST(mmap_offset_write_combined)
{
	struct th_heap heaps[MAX_HEAPS];
	struct dmaheap_inspect_caching c;
	size_t page = th_page_size(), len = 2 * TH_MiB;
	int n = uncached_heaps(heaps), ifd = hu_inspect_open(), i, ret;
	long pat_before = hu_klog_pat();

	for (i = 0; i < n; i++) {
		int fd = th_alloc(&heaps[i], len);
		uint8_t *p;

		ASSERT_GE(fd, 0);
		p = mmap(NULL, 5 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 TH_MiB - 2 * page);
		ASSERT_NE(MAP_FAILED, p);
		ret = hu_caching(ifd, fd, p + 3 * page, &c);
		HU_SKIP_IF_NO_CACHE_INFO(ret);
		ASSERT_EQ(0, ret);
		EXPECT_EQ(DMAHEAP_CACHE_WC, c.user);
		munmap(p, 5 * page);
		close(fd);
	}
	EXPECT_EQ(pat_before, hu_klog_pat());
	close(ifd);
}

/*
 * Freed pages return to the page allocator with their linear mapping
 * write-back again (on arm64 it never changed).  With the pools off: a
 * pooled page keeps its write-combined attributes for the next buffer
 * (pool_keeps_write_combined).
 */
TEST(free_restores_write_back)
{
	struct dmaheap_inspect_segment segs[HU_MAX_SEGS];
	struct th_heap heaps[MAX_HEAPS];
	size_t len = 4 * TH_MiB + 5 * th_page_size();
	int n = uncached_heaps(heaps), ifd = hu_inspect_open(), i;
	long pat_before = hu_klog_pat();
	char saved[32] = "";

	ASSERT_EQ(0, th_pools_off(saved, sizeof(saved)));

	for (i = 0; i < n; i++) {
		unsigned int count = 0, k;
		uint32_t type = 0;
		uint8_t *p;
		int fd = th_alloc(&heaps[i], len), ret;

		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, hu_segments(ifd, fd, segs, HU_MAX_SEGS, &count));
		ASSERT_LE(count, HU_MAX_SEGS);
		ret = hu_linear(ifd, segs[0].phys, segs[0].len, &type);
		HU_SKIP_IF_NO_CACHE_INFO(ret);
		ASSERT_EQ(0, ret);
		ASSERT_EQ(HU_LINEAR_UNCACHED, type);

		/* A mapping keeps the buffer (and its type) after close. */
		p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		close(fd);
		ASSERT_EQ(0, hu_linear(ifd, segs[0].phys, segs[0].len, &type));
		EXPECT_EQ(HU_LINEAR_UNCACHED, type);

		munmap(p, len);
		for (k = 0; k < count; k++) {
			ASSERT_EQ(0, hu_linear(ifd, segs[k].phys, segs[k].len,
					       &type));
			if (type != DMAHEAP_CACHE_WB)
				TH_LOG("segment %u (%#llx+%#llx) is %s", k,
				       (unsigned long long)segs[k].phys,
				       (unsigned long long)segs[k].len,
				       hu_cache_name(type));
			EXPECT_EQ(DMAHEAP_CACHE_WB, type);
		}
	}
	EXPECT_EQ(pat_before, hu_klog_pat());
	EXPECT_EQ(0, th_pools_restore(saved));
	close(ifd);
}

/*
 * With pools on, a freed write-combined page waits in its heap's pool with
 * its attributes kept (on arm64: its linear mapping stays write-back);
 * emptying the pool (a lower ceiling, as the shrinker does under pressure)
 * gives it back write-back.
 */
TEST(pool_keeps_write_combined)
{
	struct dmaheap_inspect_segment segs[HU_MAX_SEGS];
	struct th_heap heaps[MAX_HEAPS];
	size_t len = 2 * TH_MiB;
	int n = uncached_heaps(heaps), ifd = hu_inspect_open(), i;
	char saved[32] = "";
	uint64_t pooled = 0;

	ASSERT_EQ(0, th_read_file(TH_POOL_PARAM, saved, sizeof(saved)));
	ASSERT_EQ(0, th_write_file(TH_POOL_PARAM, "64M"));
	for (i = 0; i < n; i++) {
		unsigned int count = 0, k;
		uint32_t type = 0;
		double end;
		int fd = th_alloc(&heaps[i], len), ret;

		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, hu_segments(ifd, fd, segs, HU_MAX_SEGS, &count));
		close(fd);
		/* The worker zeroes it into the pool. */
		end = th_now() + 10;
		do {
			ASSERT_EQ(0, th_sysfs_read(&heaps[i], "pool_bytes",
						   &pooled));
			usleep(20 * 1000);
		} while (pooled < len && th_now() < end);
		EXPECT_GE(pooled, len);
		ret = hu_linear(ifd, segs[0].phys, segs[0].len, &type);
		HU_SKIP_IF_NO_CACHE_INFO(ret);
		EXPECT_EQ(HU_LINEAR_UNCACHED, type);

		ASSERT_EQ(0, th_write_file(TH_POOL_PARAM, "0"));
		ASSERT_EQ(0, th_sysfs_read(&heaps[i], "pool_bytes", &pooled));
		EXPECT_EQ(0, pooled);
		for (k = 0; k < count; k++) {
			ASSERT_EQ(0, hu_linear(ifd, segs[k].phys, segs[k].len,
					       &type));
			EXPECT_EQ(DMAHEAP_CACHE_WB, type);
		}
		ASSERT_EQ(0, th_write_file(TH_POOL_PARAM, "64M"));
	}
	EXPECT_EQ(0, th_write_file(TH_POOL_PARAM, saved));
	close(ifd);
}

/*
 * A busy mix: many sizes, several mappings of one buffer, a forked child
 * that inherits a mapping and writes through it, buffers outliving their
 * fd.  Afterwards the data is right and the kernel log has no PAT
 * complaint.
 */
TEST_TIMEOUT(pat_log_clean, 120)
{
	struct th_heap heaps[MAX_HEAPS];
	size_t page = th_page_size();
	int n = uncached_heaps(heaps), i, round;
	long pat_before = hu_klog_pat();

	ASSERT_GE(pat_before, 0);
	for (i = 0; i < n; i++) {
		for (round = 0; round < 16; round++) {
			size_t len = (size_t)(1 + round * 37 % 300) * page;
			int fd = th_alloc(&heaps[i], len), status;
			uint8_t *a, *b;
			pid_t pid;

			ASSERT_GE(fd, 0);
			a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fd, 0);
			ASSERT_NE(MAP_FAILED, a);
			b = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
			ASSERT_NE(MAP_FAILED, b);
			pid = fork();
			ASSERT_GE(pid, 0);
			if (pid == 0) {
				memset(a, round + 1, len);
				_exit(0);
			}
			ASSERT_EQ(pid, waitpid(pid, &status, 0));
			ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
			EXPECT_EQ(-1, th_find_not(b, len, (uint8_t)(round + 1)));
			close(fd);
			munmap(a, len);
			munmap(b, len);
		}
	}
	EXPECT_EQ(pat_before, hu_klog_pat());
}
