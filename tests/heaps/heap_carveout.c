// SPDX-License-Identifier: GPL-2.0
/*
 * heap_carveout: carveout heaps over memory reserved at boot (memmap=).
 *
 * The heap's allocator is specified exactly: page granularity, requests of
 * n pages aligned to 2^min(order(n), align_max) physical pages, first fit
 * from the start of the range.  The tests keep a model of it in userspace
 * and check the kernel against it: where every buffer lands (physical
 * address from dmaheap_inspect), which requests fail, and the statistics
 * the heap reports (free_bytes, largest_free, largest_alloc) after each
 * step.  They fill the carveout to exhaustion, fragment it on purpose, and
 * check that everything comes back after freeing.
 *
 * The tests need the carveout empty at their start, as it is in the VM's
 * test run; a carveout in use by someone else is skipped.
 */
#include "heap_util.h"

#define MAX_CARVEOUTS	8
#define MAX_BUFS	4096

/* The userspace model of one carveout. */
struct model {
	uint64_t base;		/* physical address */
	uint64_t size;		/* bytes */
	uint64_t base_pfn;
	uint64_t npages;
	unsigned int align_max;
	uint8_t *used;		/* one byte per page */
};

/* Where a request of @n pages goes: page index, or -1. Marks it if @take. */
static long long model_place(struct model *m, uint64_t n, bool take)
{
	unsigned int order = hu_order(n);
	uint64_t mask, off, start = 0, idx, i;

	if (!n || n > m->npages)
		return -1;
	if (order > m->align_max)
		order = m->align_max;
	mask = (1ULL << order) - 1;
	off = m->base_pfn & mask;
	for (;;) {
		idx = start;
		while (idx < m->npages && m->used[idx])
			idx++;
		idx = ((idx + off + mask) & ~mask) - off;
		if (idx + n > m->npages)
			return -1;
		for (i = idx; i < idx + n && !m->used[i]; i++)
			;
		if (i == idx + n)
			break;
		start = i + 1;
	}
	if (take)
		memset(m->used + idx, 1, n);
	return (long long)idx;
}

static void model_release(struct model *m, uint64_t idx, uint64_t n)
{
	memset(m->used + idx, 0, n);
}

struct usage {
	uint64_t free, largest_free, largest_alloc;	/* bytes */
};

/*
 * The model's statistics.  largest_alloc is found by bisection over
 * model_place(): a request that fits implies every smaller one fits.
 */
static void model_usage(struct model *m, struct usage *u)
{
	uint64_t i = 0, run, lo = 0, hi = m->npages, page = th_page_size();

	memset(u, 0, sizeof(*u));
	while (i < m->npages) {
		if (m->used[i]) {
			i++;
			continue;
		}
		for (run = 0; i < m->npages && !m->used[i]; i++, run++)
			;
		u->free += run * page;
		if (run * page > u->largest_free)
			u->largest_free = run * page;
	}
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;

		if (model_place(m, mid, false) >= 0)
			lo = mid;
		else
			hi = mid - 1;
	}
	u->largest_alloc = lo * page;
}

static void read_usage(const struct th_heap *h, struct usage *u)
{
	ASSERT_EQ(0, th_sysfs_read(h, "free_bytes", &u->free));
	ASSERT_EQ(0, th_sysfs_read(h, "largest_free", &u->largest_free));
	ASSERT_EQ(0, th_sysfs_read(h, "largest_alloc", &u->largest_alloc));
}

/* The kernel's statistics equal the model's. */
static void check_usage(const struct th_heap *h, struct model *m,
			const char *when)
{
	struct usage k, want;

	read_usage(h, &k);
	model_usage(m, &want);
	if (k.free != want.free || k.largest_free != want.largest_free ||
	    k.largest_alloc != want.largest_alloc)
		TH_LOG("%s: %s: free %llu/%llu, largest_free %llu/%llu, largest_alloc %llu/%llu (kernel/model)",
		       h->name, when, (unsigned long long)k.free,
		       (unsigned long long)want.free,
		       (unsigned long long)k.largest_free,
		       (unsigned long long)want.largest_free,
		       (unsigned long long)k.largest_alloc,
		       (unsigned long long)want.largest_alloc);
	ASSERT_EQ(want.free, k.free);
	ASSERT_EQ(want.largest_free, k.largest_free);
	ASSERT_EQ(want.largest_alloc, k.largest_alloc);
}

/* The carveout heaps; SKIPs when there is none. */
static int carveouts(char names[][64])
{
	int n = hu_find_heaps("base", names, MAX_CARVEOUTS);

	if (!n)
		SKIP("no carveout heap (load dmaheap_carveout with memmap= at boot)");
	return n;
}

/* Set up the model of heap @h, which must be unused; SKIPs otherwise. */
static void model_init(struct model *m, const struct th_heap *h)
{
	uint64_t free_bytes = 0, align_max = 0;

	memset(m, 0, sizeof(*m));
	ASSERT_EQ(0, th_sysfs_read(h, "base", &m->base));
	ASSERT_EQ(0, th_sysfs_read(h, "size", &m->size));
	ASSERT_EQ(0, th_sysfs_read(h, "free_bytes", &free_bytes));
	ASSERT_EQ(0, hu_module_param("dmaheap_carveout", "align_max",
				     &align_max));
	if (free_bytes != m->size)
		SKIP("%s is in use (%llu of %llu bytes free)", h->name,
		     (unsigned long long)free_bytes,
		     (unsigned long long)m->size);
	m->base_pfn = m->base / th_page_size();
	m->npages = m->size / th_page_size();
	m->align_max = (unsigned int)align_max;
	m->used = calloc(m->npages, 1);
	ASSERT_TRUE(m->used != NULL);
}

/* A live buffer and where the model put it. */
struct buf {
	int fd;
	uint64_t idx, npages;
};

/*
 * Allocate @len bytes from @h and from the model: both must succeed or both
 * fail with ENOMEM, and the buffer must be one segment where the model put
 * it.  Returns true on success.
 */
static bool alloc_both(int ifd, const struct th_heap *h, struct model *m,
		       uint64_t len, struct buf *b)
{
	long long idx = model_place(m, len / th_page_size(), true);
	int fd = th_alloc(h, len);

	if (idx < 0) {
		if (fd >= 0)
			TH_LOG("%s: %llu bytes allocated, the model has no room",
			       h->name, (unsigned long long)len);
		ASSERT_EQ(-ENOMEM, fd);
		return false;
	}
	if (fd < 0)
		TH_LOG("%s: %llu bytes refused, the model puts them at %#llx",
		       h->name, (unsigned long long)len,
		       (unsigned long long)(m->base + idx * th_page_size()));
	ASSERT_GE(fd, 0);
	b->fd = fd;
	b->idx = (uint64_t)idx;
	b->npages = len / th_page_size();
	EXPECT_EQ(m->base + b->idx * th_page_size(),
		  hu_single_segment(ifd, fd, len));
	return true;
}

static void free_both(struct model *m, struct buf *b)
{
	close(b->fd);
	model_release(m, b->idx, b->npages);
	b->fd = -1;
}

/* The heap claims exactly its range, reserved at boot, as its cap. */
TEST(carveout_claims_reserved_range)
{
	char names[MAX_CARVEOUTS][64], line[256], want[64];
	int n = carveouts(names), i;

	for (i = 0; i < n; i++) {
		struct th_heap h;
		uint64_t base = 0, size = 0, limit = 0, contiguous = 0;
		bool claimed = false, in_reserved = false;
		FILE *f;

		hu_heap(&h, names[i]);
		ASSERT_EQ(0, th_sysfs_read(&h, "base", &base));
		ASSERT_EQ(0, th_sysfs_read(&h, "size", &size));
		ASSERT_EQ(0, th_sysfs_read(&h, "limit_bytes", &limit));
		ASSERT_EQ(0, th_sysfs_read(&h, "contiguous", &contiguous));
		EXPECT_EQ(size, limit);
		EXPECT_EQ(1, contiguous);
		ASSERT_EQ(0, base % th_page_size());
		ASSERT_GT(size, 0);

		snprintf(want, sizeof(want), "%llx-%llx",
			 (unsigned long long)base,
			 (unsigned long long)(base + size - 1));
		f = fopen("/proc/iomem", "re");
		ASSERT_TRUE(f != NULL);
		while (fgets(line, sizeof(line), f)) {
			char *p = line + strspn(line, " ");
			unsigned long long s, e;

			if (sscanf(p, "%llx-%llx", &s, &e) != 2)
				continue;
			/* The claim: our exact range, nested in "Reserved". */
			if (strstr(p, "dmaheap carveout") && s == base &&
			    e == base + size - 1)
				claimed = true;
			if (p == line && strstr(p, ": Reserved") && s <= base &&
			    e >= base + size - 1)
				in_reserved = true;
		}
		fclose(f);
		if (!claimed || !in_reserved)
			TH_LOG("%s: %s claimed %d, inside Reserved %d", h.name,
			       want, claimed, in_reserved);
		EXPECT_TRUE(claimed);
		EXPECT_TRUE(in_reserved);
	}
}

/*
 * Fill with 1 MiB buffers until the heap refuses, then one page more;
 * every buffer where the model says.  Freeing gives everything back.
 */
TEST_TIMEOUT(carveout_fill_to_exhaustion, 120)
{
	char names[MAX_CARVEOUTS][64];
	int n = carveouts(names), i, ifd = hu_inspect_open();

	for (i = 0; i < n; i++) {
		static struct buf bufs[MAX_BUFS];
		struct th_stats base, now;
		struct th_heap h;
		struct model m;
		int k, nbufs = 0;

		hu_heap(&h, names[i]);
		model_init(&m, &h);
		ASSERT_EQ(0, th_stats_read(&h, &base));
		check_usage(&h, &m, "empty");

		while (nbufs < MAX_BUFS &&
		       alloc_both(ifd, &h, &m, TH_MiB, &bufs[nbufs]))
			nbufs++;
		ASSERT_GT(nbufs, 0);
		check_usage(&h, &m, "full of 1 MiB buffers");
		/* What is left (if anything) is smaller than 1 MiB: fill it. */
		while (nbufs < MAX_BUFS && alloc_both(ifd, &h, &m,
						      th_page_size(),
						      &bufs[nbufs]))
			nbufs++;
		check_usage(&h, &m, "exhausted");
		/* Every page is taken, and the heap refuses even one more. */
		ASSERT_TRUE(memchr(m.used, 0, m.npages) == NULL);
		ASSERT_EQ(-ENOMEM, th_alloc(&h, th_page_size()));
		ASSERT_EQ(0, th_stats_read(&h, &now));
		EXPECT_GE(now.failed_allocs, base.failed_allocs + 2);
		EXPECT_EQ(m.size, now.bytes - base.bytes);

		for (k = 0; k < nbufs; k++)
			free_both(&m, &bufs[k]);
		check_usage(&h, &m, "emptied");
		ASSERT_STATS_BASELINE(&h, &base);
		free(m.used);
	}
	close(ifd);
}

/*
 * Fill with 1 MiB buffers and free every other one: half the carveout is
 * free, yet no 2 MiB request fits.  largest_free and largest_alloc report
 * the real spans as frees join neighbours, and the largest span can be
 * allocated at once.
 */
TEST_TIMEOUT(carveout_fragmented, 120)
{
	char names[MAX_CARVEOUTS][64];
	int n = carveouts(names), i, ifd = hu_inspect_open();

	for (i = 0; i < n; i++) {
		static struct buf bufs[MAX_BUFS];
		struct th_stats base;
		struct th_heap h;
		struct model m;
		struct usage u;
		struct buf big;
		int k, nbufs = 0;

		hu_heap(&h, names[i]);
		model_init(&m, &h);
		ASSERT_EQ(0, th_stats_read(&h, &base));
		while (nbufs < MAX_BUFS &&
		       alloc_both(ifd, &h, &m, TH_MiB, &bufs[nbufs]))
			nbufs++;
		if (nbufs < 6)
			SKIP("%s holds only %d MiB", h.name, nbufs);

		for (k = 0; k < nbufs; k += 2)
			free_both(&m, &bufs[k]);
		check_usage(&h, &m, "every other 1 MiB freed");
		read_usage(&h, &u);
		ASSERT_GE(u.free, 2 * TH_MiB);
		ASSERT_LT(u.largest_free, 2 * TH_MiB);
		/* Fragmented: enough bytes, no span. */
		ASSERT_EQ(-ENOMEM, th_alloc(&h, 2 * TH_MiB));
		ASSERT_FALSE(alloc_both(ifd, &h, &m, u.largest_alloc +
					th_page_size(), &big));

		/* Join three free spans into one of 3 MiB and more. */
		free_both(&m, &bufs[1]);
		free_both(&m, &bufs[3]);
		check_usage(&h, &m, "buffers 1 and 3 freed too");
		read_usage(&h, &u);
		ASSERT_GE(u.largest_free, 5 * TH_MiB);
		/* The largest request the heap reports fits, one page more not. */
		ASSERT_TRUE(alloc_both(ifd, &h, &m, u.largest_alloc, &big));
		check_usage(&h, &m, "largest_alloc taken");
		free_both(&m, &big);
		ASSERT_FALSE(alloc_both(ifd, &h, &m, u.largest_alloc +
					th_page_size(), &big));

		for (k = 0; k < nbufs; k++)
			if (bufs[k].fd >= 0)
				free_both(&m, &bufs[k]);
		check_usage(&h, &m, "emptied");
		ASSERT_STATS_BASELINE(&h, &base);
		free(m.used);
	}
	close(ifd);
}

/* Deterministic pseudo-random numbers (xorshift). */
static uint64_t rnd(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

/*
 * Random allocations and frees of mixed sizes, checked step by step against
 * the model: placement, refusals and every statistic.
 */
TEST_TIMEOUT(carveout_matches_model, 240)
{
	char names[MAX_CARVEOUTS][64];
	int n = carveouts(names), i, ifd = hu_inspect_open();

	for (i = 0; i < n; i++) {
		static struct buf bufs[MAX_BUFS];
		uint64_t seed = 0x9e3779b97f4a7c15ULL, page = th_page_size();
		struct th_stats base;
		struct th_heap h;
		struct model m;
		int step, k, nbufs = 0, refused = 0;

		hu_heap(&h, names[i]);
		model_init(&m, &h);
		ASSERT_EQ(0, th_stats_read(&h, &base));
		for (step = 0; step < 400; step++) {
			uint64_t r = rnd(&seed), pages;

			if (nbufs && (r % 10 < 4 || nbufs == MAX_BUFS)) {
				k = (int)(rnd(&seed) % (uint64_t)nbufs);
				free_both(&m, &bufs[k]);
				bufs[k] = bufs[--nbufs];
			} else {
				switch (r % 5) {
				case 0:
				case 1:
					pages = 1 + rnd(&seed) % 16;
					break;
				case 2:
				case 3:
					pages = 17 + rnd(&seed) % 300;
					break;
				default:
					pages = 256 + rnd(&seed) % (m.npages / 4);
					break;
				}
				if (alloc_both(ifd, &h, &m, pages * page,
					       &bufs[nbufs]))
					nbufs++;
				else
					refused++;
			}
			check_usage(&h, &m, "random step");
		}
		TH_LOG("%s: %d live buffers, %d refusals on the way", h.name,
		       nbufs, refused);
		EXPECT_GT(refused, 0);
		for (k = 0; k < nbufs; k++)
			free_both(&m, &bufs[k]);
		check_usage(&h, &m, "emptied");
		ASSERT_STATS_BASELINE(&h, &base);
		free(m.used);
	}
	close(ifd);
}

/* Zeroed on every allocation, also when the same frames come back. */
TEST(carveout_reuse_zeroed)
{
	char names[MAX_CARVEOUTS][64];
	int n = carveouts(names), i, round, ifd = hu_inspect_open();

	for (i = 0; i < n; i++) {
		uint64_t first = 0, len = TH_MiB + 3 * th_page_size();
		struct th_heap h;
		struct model m;

		hu_heap(&h, names[i]);
		model_init(&m, &h);
		for (round = 0; round < 3; round++) {
			int fd = th_alloc(&h, len);
			uint64_t phys;
			uint8_t *p;

			ASSERT_GE(fd, 0);
			phys = hu_single_segment(ifd, fd, len);
			if (!round)
				first = phys;
			/* First fit on an empty carveout: the same frames. */
			EXPECT_EQ(first, phys);
			p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fd, 0);
			ASSERT_NE(MAP_FAILED, p);
			EXPECT_EQ(-1, th_find_not(p, len, 0));
			memset(p, 0xa5, len);
			munmap(p, len);
			close(fd);
		}
		free(m.used);
	}
	close(ifd);
}

/*
 * Released frames are zeroed in the background, through the heap's own
 * mapping (zeroed_bytes catches up with free_bytes), and the next buffer
 * on them reads zero.
 */
TEST_TIMEOUT(carveout_scrubbed_in_background, 120)
{
	char names[MAX_CARVEOUTS][64];
	int n = carveouts(names), i;

	for (i = 0; i < n; i++) {
		struct th_heap h;

		hu_heap(&h, names[i]);
		EXPECT_EQ(-1, hu_scrub_cycle(&h, "zeroed_bytes", "free_bytes",
					     TH_MiB + 3 * th_page_size()));
	}
}

/*
 * A reserved range is outside the kernel's linear mapping; user mappings
 * and vmaps are write-back, like the heap's own mapping, and PAT stays
 * quiet.
 */
TEST(carveout_mmap_write_back)
{
	char names[MAX_CARVEOUTS][64];
	int n = carveouts(names), i, ifd = hu_inspect_open();
	long pat_before = hu_klog_pat();

	for (i = 0; i < n; i++) {
		struct dmaheap_inspect_caching c;
		struct th_heap h;
		size_t len = 2 * TH_MiB;
		uint8_t *p;
		int fd, ret;

		hu_heap(&h, names[i]);
		fd = th_alloc(&h, len);
		ASSERT_GE(fd, 0);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		ret = hu_caching(ifd, fd, p + len - th_page_size(), &c);
		HU_SKIP_IF_NO_CACHE_INFO(ret);
		ASSERT_EQ(0, ret);
		EXPECT_EQ(DMAHEAP_CACHE_WB, c.user);
		EXPECT_EQ(DMAHEAP_CACHE_WB, c.vmap);
		EXPECT_EQ(DMAHEAP_CACHE_NONE, c.linear);
		munmap(p, len);
		close(fd);
	}
	EXPECT_EQ(pat_before, hu_klog_pat());
	close(ifd);
}

/* The whole carveout in one buffer; one page more is over the cap. */
TEST(carveout_whole_range)
{
	char names[MAX_CARVEOUTS][64];
	int n = carveouts(names), i, ifd = hu_inspect_open();

	for (i = 0; i < n; i++) {
		struct th_heap h;
		struct model m;
		int fd;

		hu_heap(&h, names[i]);
		model_init(&m, &h);
		ASSERT_EQ(-ENOMEM, th_alloc(&h, m.size + th_page_size()));
		fd = th_alloc(&h, m.size);
		ASSERT_GE(fd, 0);
		EXPECT_EQ(m.base, hu_single_segment(ifd, fd, m.size));
		close(fd);
		free(m.used);
	}
	close(ifd);
}
