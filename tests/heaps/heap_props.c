// SPDX-License-Identifier: GPL-2.0
/*
 * heap_props: every heap keeps the promises its sysfs directory makes.
 *
 *  - the heaps this project ships for the machine are all there;
 *  - "contiguous 1": every buffer is one physical segment;
 *  - "uncached 1": user mappings and vmaps are write-combining, otherwise
 *    write-back;
 *  - whatever the heap, the segments the buffer maps to cover it exactly.
 *
 * Physical layout and cache types come from the dmaheap_inspect module.
 */
#include "heap_util.h"

#ifdef __aarch64__
/*
 * arm64: the system heap and the heap over the kernel's CMA area with its
 * aliases.  There is no carveout (no memmap=) and no migration heap (the
 * kernel has CMA), and system-uncached is not implemented there yet.
 */
TEST(heaps_present)
{
	const char *const names[] = {
		"system", "default_cma_region", "linux,cma", "reserved",
	};
	struct th_heap h;
	uint64_t val = 0;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		hu_heap(&h, names[i]);
		if (access(h.dev, R_OK | W_OK))
			TH_LOG("no node %s", h.dev);
		EXPECT_EQ(0, access(h.dev, R_OK | W_OK));
	}
	hu_heap(&h, "default_cma_region");
	EXPECT_EQ(0, th_sysfs_read(&h, "contiguous", &val));
	EXPECT_EQ(1, val);
}
#else
/* The heaps of issue 4 next to the system heap. */
TEST(heaps_present)
{
	char names[16][64];
	struct th_heap h;
	uint64_t val = 0;
	int n, i, contiguous = 0;

	hu_heap(&h, "system");
	EXPECT_EQ(0, access(h.dev, R_OK | W_OK));
	hu_heap(&h, "system-uncached");
	EXPECT_EQ(0, access(h.dev, R_OK | W_OK));
	EXPECT_EQ(0, th_sysfs_read(&h, "uncached", &val));
	EXPECT_EQ(1, val);

	/* A contiguous heap over system memory (it has largest_alloc). */
	n = hu_find_heaps("pool_bytes", names, 16);
	for (i = 0; i < n; i++) {
		hu_heap(&h, names[i]);
		if (!th_sysfs_read(&h, "contiguous", &val) && val == 1 &&
		    !access(h.dev, R_OK | W_OK))
			contiguous++;
	}
	if (!contiguous)
		TH_LOG("no contiguous heap over system memory");
	EXPECT_GT(contiguous, 0);

	n = hu_find_heaps("base", names, 16);
	if (!n)
		TH_LOG("no carveout heap");
	EXPECT_GT(n, 0);
}
#endif

/* Heaps that say so hand out one physical segment per buffer. */
HEAP_TEST_TIMEOUT(alloc_contiguous_when_claimed, 120)
{
	size_t page = th_page_size();
	const uint64_t sizes[] = {
		page, 5 * page, 64 * TH_KiB, TH_MiB + page, 4 * TH_MiB,
		9 * TH_MiB + 3 * page,
	};
	uint64_t val = 0;
	size_t i;
	int ifd;

	ASSERT_EQ(0, th_sysfs_read(heap, "contiguous", &val));
	if (val != 1)
		SKIP("%s does not claim contiguity", heap->name);
	ifd = hu_inspect_open();
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int fd = th_alloc_large(heap, sizes[i]);

		ASSERT_GE(fd, 0);
		hu_single_segment(ifd, fd, th_page_align(sizes[i]));
		close(fd);
	}
	close(ifd);
}

/* The segments cover the buffer exactly, whatever the heap. */
HEAP_TEST(segments_cover_buffer)
{
	struct dmaheap_inspect_segment *segs;
	uint64_t len = 3 * TH_MiB + 7 * th_page_size(), total = 0;
	unsigned int count = 0, again = 0, i;
	int ifd = hu_inspect_open(), fd;

	fd = th_alloc_large(heap, len);
	ASSERT_GE(fd, 0);
	/* Count first, then fetch them all. */
	ASSERT_EQ(0, hu_segments(ifd, fd, NULL, 0, &count));
	ASSERT_GT(count, 0);
	ASSERT_LE(count, len / th_page_size());
	segs = calloc(count, sizeof(*segs));
	ASSERT_TRUE(segs != NULL);
	ASSERT_EQ(0, hu_segments(ifd, fd, segs, count, &again));
	ASSERT_EQ(count, again);
	for (i = 0; i < count; i++) {
		EXPECT_NE(~0ULL, segs[i].phys);
		EXPECT_EQ(0, segs[i].phys % th_page_size());
		/* No IOMMU translation for the inspector: DMA = physical. */
		EXPECT_EQ(segs[i].phys, segs[i].dma);
		total += segs[i].len;
	}
	EXPECT_EQ(len, total);
	free(segs);
	close(fd);
	close(ifd);
}

/* Write-combining exactly when the heap says "uncached 1". */
HEAP_TEST(mmap_cache_type_matches_claim)
{
	struct dmaheap_inspect_caching c;
	uint64_t uncached = 0, len = TH_MiB;
	uint32_t want;
	uint8_t *p;
	int ifd, fd, ret;
	long pat_before = hu_klog_pat();

	ASSERT_EQ(0, th_sysfs_read(heap, "uncached", &uncached));
	want = uncached ? DMAHEAP_CACHE_WC : DMAHEAP_CACHE_WB;
	ifd = hu_inspect_open();
	fd = th_alloc_large(heap, len);
	ASSERT_GE(fd, 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ret = hu_caching(ifd, fd, p, &c);
	HU_SKIP_IF_NO_CACHE_INFO(ret);
	ASSERT_EQ(0, ret);
	if (c.user != want || c.vmap != want)
		TH_LOG("%s: user %s, vmap %s, linear %s", heap->name,
		       hu_cache_name(c.user), hu_cache_name(c.vmap),
		       hu_cache_name(c.linear));
	EXPECT_EQ(want, c.user);
	EXPECT_EQ(want, c.vmap);
	/* The linear mapping agrees, or there is none (reserved memory). */
	EXPECT_TRUE(c.linear == want || c.linear == DMAHEAP_CACHE_NONE);
	munmap(p, len);
	close(fd);
	close(ifd);
	EXPECT_EQ(pat_before, hu_klog_pat());
}

/*
 * Splitting a mapping (partial munmap, shrinking mremap) and sharing it
 * with a child must not upset the kernel's memory-type bookkeeping: no PAT
 * complaint on any heap, reserved memory included.
 */
HEAP_TEST(mmap_split_pat_clean)
{
	size_t page = th_page_size(), len = 16 * page;
	long pat_before = hu_klog_pat();
	uint8_t *a, *b;
	int fd, status;
	pid_t pid;

	ASSERT_GE(pat_before, 0);
	fd = th_alloc(heap, len);
	ASSERT_GE(fd, 0);
	a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	memset(a, 0x3c, len);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(th_find_not(a, len, 0x3c) == -1 ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	ASSERT_OK(munmap(a + 5 * page, page));
	ASSERT_OK(munmap(a, page));
	b = mremap(a + 6 * page, 10 * page, 4 * page, 0);
	ASSERT_NE(MAP_FAILED, b);
	EXPECT_EQ(-1, th_find_not(b, 4 * page, 0x3c));
	ASSERT_OK(munmap(a + page, 4 * page));
	ASSERT_OK(munmap(b, 4 * page));
	close(fd);
	EXPECT_EQ(pat_before, hu_klog_pat());
}
