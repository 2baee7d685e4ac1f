// SPDX-License-Identifier: GPL-2.0
/*
 * heap_cma: the heap over the kernel's default CMA area (dmaheap_cma.ko).
 *
 * The area is the one the kernel reported at boot ("cma: Reserved 64 MiB at
 * 0x000000007ac00000" in the kernel log); with cma=SIZE on the command line
 * it must have that size.  Buffers of every size are one physical segment
 * (dmaheap_inspect) inside that area, aligned to their order up to the
 * kernel's CMA alignment; taking everything the area holds ends in ENOMEM
 * while the rest of memory has plenty to give; freeing it all makes the
 * whole of it available again; alias nodes share the heap.
 */
#include "heap_util.h"

#include <ctype.h>

#define MODULE_NAME	"dmaheap_cma"
/* Debian's CONFIG_CMA_ALIGNMENT: buffers are aligned to at most 1 MiB. */
#define CMA_ALIGN_MAX	8
/* Most CMA areas the boot log may report. */
#define MAX_AREAS	8
/* Pieces the exhaustion test may hold: enough for 4 GiB in 1 MiB pieces. */
#define MAX_PIECES	4200

struct cma_area {
	uint64_t base, size;
};

/* The heap: the node of the module's name= parameter. */
static void cma_heap(struct th_heap *h)
{
	char path[PATH_MAX], name[64] = "";

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/name",
		 MODULE_NAME);
	if (th_read_file(path, name, sizeof(name)))
		SKIP("%s is not loaded", MODULE_NAME);
	name[strcspn(name, "\n")] = '\0';
	hu_heap(h, name);
	if (access(h->dev, R_OK | W_OK))
		SKIP("no node %s", h->dev);
}

/*
 * The CMA areas the kernel reported at boot, from its log: lines
 * "cma: Reserved <N> MiB at 0x<base>".  Returns how many (SKIPs without any:
 * the log has wrapped).
 */
static int boot_areas(struct cma_area *areas, int max)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *line, *save = NULL, *p;
	int n = 0, len;

	ASSERT_GT(size, 0);
	buf = malloc((size_t)size + 1);
	ASSERT_TRUE(buf != NULL);
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	ASSERT_GE(len, 0);
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long mib, base;

		p = strstr(line, "cma: Reserved ");
		if (!p || sscanf(p, "cma: Reserved %llu MiB at %llx", &mib,
				 &base) != 2)
			continue;
		areas[n].base = base;
		areas[n].size = mib * TH_MiB;
		n++;
	}
	free(buf);
	if (!n)
		SKIP("the kernel log no longer holds the boot line 'cma: Reserved ...'");
	return n;
}

/* The one area the kernel reported; SKIPs when it reported several. */
static struct cma_area the_area(void)
{
	struct cma_area areas[MAX_AREAS];
	int n = boot_areas(areas, MAX_AREAS);

	if (n != 1)
		SKIP("the kernel reported %d CMA areas; these checks need one", n);
	TH_LOG("CMA area: %llu MiB at %#llx",
	       (unsigned long long)(areas[0].size >> 20),
	       (unsigned long long)areas[0].base);
	return areas[0];
}

/* cma=SIZE from the command line, in bytes; 0 without one. */
static uint64_t cmdline_cma_size(void)
{
	char cmdline[4096] = "", *p;
	unsigned long long v;
	uint64_t shift = 0;
	char *end;

	ASSERT_EQ(0, th_read_file("/proc/cmdline", cmdline, sizeof(cmdline)));
	for (p = strstr(cmdline, "cma="); p; p = strstr(p + 1, "cma=")) {
		if (p != cmdline && !isspace((unsigned char)p[-1]))
			continue;	/* e.g. cma_pernuma= or hugetlb_cma= */
		v = strtoull(p + 4, &end, 0);
		switch (*end) {
		case 'G': case 'g': shift = 30; break;
		case 'M': case 'm': shift = 20; break;
		case 'K': case 'k': shift = 10; break;
		default: shift = 0; break;
		}
		return (uint64_t)v << shift;
	}
	return 0;
}

/* Allocate @len bytes inside @a: ASSERT one segment, aligned, inside. */
static int alloc_in_area(int ifd, const struct th_heap *h, uint64_t len,
			 const struct cma_area *a, uint64_t *phys)
{
	uint64_t p, plen = th_page_align(len),
		 align = hu_alignment(len, CMA_ALIGN_MAX);
	int fd = th_alloc(h, len);

	if (fd < 0)
		TH_LOG("%s: %llu bytes: %s", h->name, (unsigned long long)len,
		       strerror(-fd));
	ASSERT_GE(fd, 0);
	p = hu_single_segment(ifd, fd, plen);
	if (p < a->base || p + plen > a->base + a->size)
		TH_LOG("%llu bytes at %#llx: outside the area %#llx+%#llx",
		       (unsigned long long)len, (unsigned long long)p,
		       (unsigned long long)a->base,
		       (unsigned long long)a->size);
	ASSERT_TRUE(p >= a->base && p + plen <= a->base + a->size);
	if (p % align)
		TH_LOG("%llu bytes at %#llx, not %#llx-aligned",
		       (unsigned long long)len, (unsigned long long)p,
		       (unsigned long long)align);
	ASSERT_EQ(0, p % align);
	if (phys)
		*phys = p;
	return fd;
}

/* Raise the heap's cap to at least @bytes more than it holds; restorable. */
static uint64_t raise_limit(const struct th_heap *h, uint64_t bytes)
{
	uint64_t limit = 0, used = 0;
	char val[32];

	ASSERT_EQ(0, th_sysfs_read(h, "limit_bytes", &limit));
	ASSERT_EQ(0, th_sysfs_read(h, "bytes", &used));
	if (limit - used < bytes) {
		snprintf(val, sizeof(val), "%llu",
			 (unsigned long long)(used + bytes));
		ASSERT_EQ(0, th_sysfs_write(h, "limit_bytes", val));
	}
	return limit;
}

static void restore_limit(const struct th_heap *h, uint64_t limit)
{
	char val[32];

	snprintf(val, sizeof(val), "%llu", (unsigned long long)limit);
	EXPECT_EQ(0, th_sysfs_write(h, "limit_bytes", val));
}

/*
 * The heap describes the area the kernel reported at boot, sized by cma=
 * when the command line has it; its cap is the area's size.
 */
TEST(area_as_reported)
{
	uint64_t size = 0, free_bytes = 0, limit = 0, want = cmdline_cma_size();
	long long total_kb = th_meminfo_kb("CmaTotal"), free_kb;
	struct cma_area a;
	struct th_heap h;

	cma_heap(&h);
	a = the_area();
	if (want) {
		TH_LOG("cma=%llu MiB on the command line",
		       (unsigned long long)(want >> 20));
		EXPECT_EQ(want, a.size);
	}
	ASSERT_GT(total_kb, 0);
	EXPECT_EQ(a.size, (uint64_t)total_kb * 1024);
	ASSERT_EQ(0, th_sysfs_read(&h, "size", &size));
	EXPECT_EQ(a.size, size);
	/* The kernel's CmaFree; movable allocations may move it meanwhile. */
	ASSERT_EQ(0, th_sysfs_read(&h, "free_bytes", &free_bytes));
	EXPECT_LE(free_bytes, size);
	free_kb = th_meminfo_kb("CmaFree");
	ASSERT_GE(free_kb, 0);
	EXPECT_LE(llabs(free_kb - (long long)(free_bytes >> 10)), 1024);
	ASSERT_EQ(0, th_sysfs_read(&h, "limit_bytes", &limit));
	EXPECT_EQ(size, limit);
}

/* Sizes from one byte to 16 MiB: one segment each, aligned, in the area. */
TEST_TIMEOUT(alloc_sizes_in_area, 120)
{
	size_t page = th_page_size();
	const uint64_t sizes[] = {
		1, page, 2 * page, 3 * page, 64 * TH_KiB + page, TH_MiB,
		2 * TH_MiB + page, 3 * TH_MiB + 5 * page, 16 * TH_MiB,
	};
	int ifd, fds[sizeof(sizes) / sizeof(sizes[0])];
	struct th_stats base;
	struct cma_area a;
	struct th_heap h;
	size_t i;

	cma_heap(&h);
	a = the_area();
	ifd = hu_inspect_open();
	ASSERT_EQ(0, th_stats_read(&h, &base));
	/* All alive at once, so that none can reuse another's frames. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		fds[i] = alloc_in_area(ifd, &h, sizes[i], &a, NULL);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		close(fds[i]);
	ASSERT_STATS_BASELINE(&h, &base);
	close(ifd);
}

/*
 * Fill the area: pieces of @piece bytes, then of half that and so on down
 * to one page, until even a one-page request fails.  Every piece must lie
 * in the area.  Returns the bytes taken; fds go to @fds (*@n of them).
 */
static uint64_t fill_area(int ifd, const struct th_heap *h,
			  const struct cma_area *a, uint64_t piece, int *fds,
			  int *n)
{
	uint64_t taken = 0, p;
	int fd, err;

	for (; piece >= th_page_size(); piece /= 2) {
		while (*n < MAX_PIECES) {
			fd = th_alloc(h, piece);
			if (fd < 0) {
				err = -fd;
				if (err != ENOMEM)
					TH_LOG("%llu bytes: %s",
					       (unsigned long long)piece,
					       strerror(err));
				ASSERT_EQ(ENOMEM, err);
				break;
			}
			fds[(*n)++] = fd;
			p = hu_single_segment(ifd, fd, piece);
			if (p < a->base || p + piece > a->base + a->size)
				TH_LOG("piece of %llu bytes at %#llx: outside the area",
				       (unsigned long long)piece,
				       (unsigned long long)p);
			ASSERT_TRUE(p >= a->base &&
				    p + piece <= a->base + a->size);
			taken += piece;
		}
		ASSERT_LT(*n, MAX_PIECES);
	}
	return taken;
}

static void close_all(int *fds, int *n)
{
	while (*n)
		close(fds[--*n]);
}

/*
 * Taking everything the area holds ends in ENOMEM, even for one page,
 * while memory outside it has hundreds of MiB free: the heap never takes
 * memory from elsewhere.  Freed, the area is whole again: the same amount
 * can be taken once more, and in fewer, larger pieces.
 */
TEST_TIMEOUT(exhaust_then_whole_again, 600)
{
	static int fds[MAX_PIECES];
	uint64_t limit, taken, again, failed0 = 0, failed1 = 0;
	long long avail_kb;
	struct th_stats base;
	struct cma_area a;
	struct th_heap h;
	int ifd, n = 0;

	cma_heap(&h);
	a = the_area();
	ifd = hu_inspect_open();
	ASSERT_EQ(0, th_stats_read(&h, &base));
	limit = raise_limit(&h, 2 * a.size);

	ASSERT_EQ(0, th_sysfs_read(&h, "failed_allocs", &failed0));
	taken = fill_area(ifd, &h, &a, TH_MiB, fds, &n);
	ASSERT_EQ(0, th_sysfs_read(&h, "failed_allocs", &failed1));
	avail_kb = th_meminfo_kb("MemAvailable");
	TH_LOG("took %llu of %llu KiB in %d pieces; MemAvailable %lld KiB",
	       (unsigned long long)(taken >> 10),
	       (unsigned long long)(a.size >> 10), n, avail_kb);
	/* Each piece size ended with one ENOMEM. */
	EXPECT_GT(failed1, failed0);
	/* Nothing else in the VM holds CMA memory for long. */
	EXPECT_GE(taken, a.size - a.size / 16);
	EXPECT_LE(taken, a.size);
	/* The page allocator had plenty: ENOMEM came from the area alone. */
	EXPECT_GT(avail_kb, 4 * (long long)(a.size >> 10));
	ASSERT_EQ(-ENOMEM, th_alloc(&h, th_page_size()));
	close_all(fds, &n);
	ASSERT_STATS_BASELINE(&h, &base);

	/* Whole again: the same amount, now starting with 4 MiB pieces. */
	again = fill_area(ifd, &h, &a, 4 * TH_MiB, fds, &n);
	TH_LOG("after freeing, took %llu KiB again in %d pieces",
	       (unsigned long long)(again >> 10), n);
	EXPECT_GE(again, taken);
	close_all(fds, &n);

	restore_limit(&h, limit);
	ASSERT_STATS_BASELINE(&h, &base);
	close(ifd);
}

/* Larger than the area: a prompt ENOMEM. */
TEST(alloc_beyond_area_enomem)
{
	uint64_t limit, size = 0;
	struct th_stats base;
	struct th_heap h;

	cma_heap(&h);
	ASSERT_EQ(0, th_sysfs_read(&h, "size", &size));
	ASSERT_GT(size, 0);
	ASSERT_EQ(0, th_stats_read(&h, &base));
	limit = raise_limit(&h, 2 * size);
	EXPECT_EQ(-ENOMEM, th_alloc(&h, size + th_page_size()));
	EXPECT_EQ(-ENOMEM, th_alloc(&h, 2 * size));
	restore_limit(&h, limit);
	ASSERT_STATS_BASELINE(&h, &base);
}

/*
 * Alias nodes are names of the heap: the same area, one set of statistics
 * and one cap, whichever name is used.
 */
TEST(alias_nodes_share_heap)
{
	char path[PATH_MAX], aliases[256] = "", *save = NULL, *name;
	struct th_stats base, now;
	uint64_t limit = 0;
	struct cma_area a;
	struct th_heap h;
	int ifd, n = 0;

	cma_heap(&h);
	a = the_area();
	snprintf(path, sizeof(path), "/sys/module/%s/parameters/aliases",
		 MODULE_NAME);
	if (th_read_file(path, aliases, sizeof(aliases)) ||
	    !strcmp(aliases, "(null)\n") || aliases[0] == '\n')
		SKIP("no aliases= given to %s", MODULE_NAME);
	ifd = hu_inspect_open();
	ASSERT_EQ(0, th_sysfs_read(&h, "limit_bytes", &limit));
	for (name = strtok_r(aliases, ":\n", &save); name;
	     name = strtok_r(NULL, ":\n", &save)) {
		char heapname[96] = "", num[32];
		uint64_t alimit = 0;
		struct th_heap al;
		int fd;

		hu_heap(&al, name);
		ASSERT_EQ(0, access(al.dev, R_OK | W_OK));
		snprintf(path, sizeof(path), "%s/heap", al.sysfs);
		ASSERT_EQ(0, th_read_file(path, heapname, sizeof(heapname)));
		heapname[strcspn(heapname, "\n")] = '\0';
		EXPECT_EQ(0, strcmp(heapname, h.name));
		/* One cap: the alias shows it, and a new one set through it. */
		ASSERT_EQ(0, th_sysfs_read(&al, "limit_bytes", &alimit));
		EXPECT_EQ(limit, alimit);
		snprintf(num, sizeof(num), "%" PRIu64, limit - 4096);
		ASSERT_EQ(0, th_sysfs_write(&al, "limit_bytes", num));
		ASSERT_EQ(0, th_sysfs_read(&h, "limit_bytes", &alimit));
		EXPECT_EQ(limit - 4096, alimit);
		snprintf(num, sizeof(num), "%" PRIu64, limit);
		ASSERT_EQ(0, th_sysfs_write(&h, "limit_bytes", num));

		/* The alias's buffers come from the area, counted once. */
		ASSERT_EQ(0, th_stats_read(&h, &base));
		fd = alloc_in_area(ifd, &al, 4 * TH_MiB, &a, NULL);
		ASSERT_EQ(0, th_stats_read(&h, &now));
		EXPECT_EQ(base.buffers + 1, now.buffers);
		EXPECT_EQ(base.bytes + 4 * TH_MiB, now.bytes);
		ASSERT_EQ(0, th_stats_read(&al, &base));
		EXPECT_EQ(now.bytes, base.bytes);
		close(fd);
		n++;
	}
	ASSERT_GT(n, 0);
	close(ifd);
}
