// SPDX-License-Identifier: GPL-2.0
/*
 * heap_props: every heap keeps the promises its sysfs directory makes.
 *
 *  - the heaps this project ships for the machine are all there;
 *  - "contiguous 1": every buffer is one physical segment;
 *  - "uncached 1": user mappings and vmaps are write-combining, otherwise
 *    write-back;
 *  - whatever the heap, the segments the buffer maps to cover it exactly;
 *  - "dma32 1": every page lies below 4 GiB (a system buffer can lie above,
 *    which a VM with more than 4 GiB shows);
 *  - every page an importer finds is refcounted: taking and dropping a
 *    reference on each leaves the buffer, and then the memory, intact;
 *  - a device without a DMA mask is refused quietly (EINVAL).
 *
 * Physical layout and cache types come from the dmaheap_inspect module.
 */
#include "heap_util.h"

#ifdef __aarch64__
/*
 * arm64: the system heaps, write-combined ones included, and the heap over
 * the kernel's CMA area with its aliases.  There is no carveout (no
 * memmap=) and no migration heap (the kernel has CMA).
 */
TEST(heaps_present)
{
	const char *const names[] = {
		"system", "system-dma32", "system-uncached",
		"system-uncached-dma32", "default_cma_region", "linux,cma",
		"reserved",
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
	hu_heap(&h, "system-uncached");
	EXPECT_EQ(0, th_sysfs_read(&h, "uncached", &val));
	EXPECT_EQ(1, val);
	hu_heap(&h, "system-uncached-dma32");
	EXPECT_EQ(0, th_sysfs_read(&h, "uncached", &val));
	EXPECT_EQ(1, val);
	EXPECT_EQ(0, th_sysfs_read(&h, "dma32", &val));
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
	hu_heap(&h, "system-dma32");
	EXPECT_EQ(0, access(h.dev, R_OK | W_OK));
	EXPECT_EQ(0, th_sysfs_read(&h, "dma32", &val));
	EXPECT_EQ(1, val);
	hu_heap(&h, "system-uncached-dma32");
	EXPECT_EQ(0, access(h.dev, R_OK | W_OK));
	EXPECT_EQ(0, th_sysfs_read(&h, "dma32", &val));
	EXPECT_EQ(1, val);
	EXPECT_EQ(0, th_sysfs_read(&h, "uncached", &val));
	EXPECT_EQ(1, val);

	/* A contiguous heap over system memory (it has largest_alloc). */
	n = hu_find_heaps("reserved_bytes", names, 16);
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
	/*
	 * The linear mapping agrees (write-back on arm64 for write-combined
	 * heaps), or there is none (reserved memory).
	 */
	EXPECT_TRUE(c.linear == (uncached ? HU_LINEAR_UNCACHED : want) ||
		    c.linear == DMAHEAP_CACHE_NONE);
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

#define HP_4G		(4ULL << 30)

/* The highest physical byte of dma-buf @fd, from its segments. */
static uint64_t hp_highest_byte(int ifd, int fd)
{
	struct dmaheap_inspect_segment segs[HU_MAX_SEGS];
	unsigned int count = 0, i;
	uint64_t top = 0;

	ASSERT_EQ(0, hu_segments(ifd, fd, segs, HU_MAX_SEGS, &count));
	ASSERT_LE(count, HU_MAX_SEGS);
	for (i = 0; i < count; i++) {
		ASSERT_NE(~0ULL, segs[i].phys);
		if (segs[i].phys + segs[i].len - 1 > top)
			top = segs[i].phys + segs[i].len - 1;
	}
	return top;
}

/* A dma32 heap's pages all lie below 4 GiB, however much is allocated. */
HEAP_TEST_TIMEOUT(dma32_pages_below_4g, 120)
{
	uint64_t dma32 = 0, ram = th_ram_bytes(), left, len = 16 * TH_MiB;
	int fds[64], n = 0, ifd;

	ASSERT_EQ(0, th_sysfs_read(heap, "dma32", &dma32));
	if (dma32 != 1)
		SKIP("%s does not claim dma32", heap->name);
	ifd = hu_inspect_open();
	/* Up to half the memory below 4 GiB, in 16 MiB buffers. */
	left = (ram < HP_4G ? ram : HP_4G) / 2;
	for (; left >= len && n < 64; left -= len) {
		int fd = th_alloc(heap, len);

		if (fd == -ENOMEM)
			break;
		ASSERT_GE(fd, 0);
		fds[n++] = fd;
		EXPECT_LT(hp_highest_byte(ifd, fd), HP_4G);
	}
	TH_LOG("%d buffers of %" PRIu64 " MiB checked", n, len / TH_MiB);
	EXPECT_GT(n, 0);
	while (n)
		close(fds[--n]);
	close(ifd);
}

/*
 * The other side of dma32: with more than 4 GiB of RAM, the system heap
 * does hand out pages above 4 GiB (so the dma32 heaps' promise is theirs,
 * not an accident of a small machine).
 */
TEST_TIMEOUT(system_pages_above_4g, 120)
{
	uint64_t len = 64 * TH_MiB, found = 0;
	int fds[48], n = 0, ifd;
	struct th_heap h;

	if (th_ram_bytes() < HP_4G + HP_4G / 4)
		SKIP("RAM below 5 GiB: boot with --mem 6144");
	hu_heap(&h, "system");
	ifd = hu_inspect_open();
	while (!found && n < 48) {
		int fd = th_alloc(&h, len);

		if (fd == -ENOMEM)
			break;
		ASSERT_GE(fd, 0);
		fds[n++] = fd;
		if (hp_highest_byte(ifd, fd) >= HP_4G)
			found = 1;
	}
	EXPECT_EQ(1, found);
	while (n)
		close(fds[--n]);
	close(ifd);
}

/*
 * Importers may take references on the pages they find (to pin them, or to
 * insert them into a user mapping).  Every page must be refcounted: a
 * high-order page's tail pages with no count of their own would be freed
 * by the put while the buffer still owns them.  The buffer's memory comes
 * back afterwards, and the kernel log (checked by run-tests) stays clean.
 */
HEAP_TEST_TIMEOUT(importer_page_refs, 120)
{
	const uint64_t len = 2 * TH_MiB + 64 * TH_KiB + 4 * TH_KiB;
	struct dmaheap_inspect_pages arg = { 0 };
	long long before, after;
	struct th_stats base;
	int ifd, fd, round;
	uint8_t *p;

	ifd = hu_inspect_open();
	ASSERT_EQ(0, th_stats_read(heap, &base));
	/* Pages a pool's worker has not taken yet are not counted free. */
	th_pools_settle();
	before = th_free_kb();
	for (round = 0; round < 8; round++) {
		fd = th_alloc(heap, len);
		ASSERT_GE(fd, 0);
		arg.fd = fd;
		ASSERT_EQ(0, ioctl(ifd, DMAHEAP_INSPECT_IOC_PAGEREF, &arg));
		EXPECT_EQ(len / th_page_size(), arg.pages);
		/* The buffer is still whole and still zero. */
		p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(-1, th_find_not(p, len, 0));
		munmap(p, len);
		close(fd);
	}
	ASSERT_STATS_BASELINE(heap, &base);
	th_pools_settle();
	after = th_free_kb();
	TH_LOG("free memory %lld kB before, %lld kB after", before, after);
	/* Freed pages come back (within 4 MiB of noise). */
	EXPECT_GE(after + 4096, before);
	close(ifd);
}

/* A device that cannot do DMA (no DMA mask) is refused, quietly. */
HEAP_TEST(map_without_dma_mask)
{
	struct dmaheap_inspect_nomask arg = { 0 };
	int ifd, fd;

	ifd = hu_inspect_open();
	fd = th_alloc(heap, 64 * TH_KiB);
	ASSERT_GE(fd, 0);
	arg.fd = fd;
	ASSERT_EQ(0, ioctl(ifd, DMAHEAP_INSPECT_IOC_NOMASK, &arg));
	EXPECT_EQ(0, arg.attach);
	EXPECT_EQ(-EINVAL, arg.map);
	close(fd);
	close(ifd);
}
