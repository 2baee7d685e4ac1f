// SPDX-License-Identifier: GPL-2.0
/*
 * alloc_zeroed: every buffer a heap hands out reads as zero, including
 * buffers built from memory that earlier buffers dirtied and freed.
 */
#include "harness.h"

/* Map @fd (@len bytes), check it is all zero, then fill it with @fill. */
static long long check_zero_and_fill(int fd, size_t len, uint8_t fill)
{
	long long bad;
	uint8_t *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -2 - errno;
	bad = th_find_not(p, len, 0);
	if (bad >= 0)
		TH_LOG("%zu-byte buffer: byte %lld is 0x%02x", len, bad, p[bad]);
	memset(p, fill, len);
	munmap(p, len);
	return bad;
}

HEAP_TEST(alloc_zeroed)
{
	size_t page = th_page_size();
	const size_t sizes[] = {
		page, 15 * page, 16 * page, 17 * page, TH_MiB - page, TH_MiB,
		TH_MiB + page, 4 * TH_MiB + 16 * page + page, 8 * TH_MiB,
	};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int fd = th_alloc_large(heap, sizes[i]);

		ASSERT_GE(fd, 0);
		ASSERT_EQ(-1, check_zero_and_fill(fd, sizes[i], 0xff));
		close(fd);
	}
}

/*
 * Dirty a working set with 0xff, free it, and allocate the same shapes
 * again: the pages come back from the allocator and must be zero.
 */
HEAP_TEST_TIMEOUT(alloc_recycled_zeroed, 120)
{
	size_t page = th_page_size();
	const size_t shapes[] = {
		4 * TH_MiB, 4 * TH_MiB, 2 * TH_MiB, TH_MiB, TH_MiB,
		TH_MiB + page, 64 * TH_KiB, 64 * TH_KiB + page, 17 * page,
		page, page, page, 3 * page,
	};
	const size_t n = sizeof(shapes) / sizeof(shapes[0]);
	int fds[sizeof(shapes) / sizeof(shapes[0])];
	int round;
	size_t i;

	for (round = 0; round < 10; round++) {
		for (i = 0; i < n; i++) {
			fds[i] = th_alloc_large(heap, shapes[i]);
			ASSERT_GE(fds[i], 0);
		}
		for (i = 0; i < n; i++) {
			long long bad = check_zero_and_fill(fds[i], shapes[i],
							    0xff);
			if (bad != -1)
				TH_LOG("round %d, buffer %zu", round, i);
			ASSERT_EQ(-1, bad);
		}
		/* Free in a different order each round. */
		for (i = 0; i < n; i++)
			close(fds[(i * 7 + (size_t)round) % n]);
	}
}

/* Single pages go straight back to the per-CPU free lists and come back. */
HEAP_TEST_TIMEOUT(alloc_recycled_pages_zeroed, 60)
{
	size_t page = th_page_size();
	int i;

	for (i = 0; i < 400; i++) {
		int fd = th_alloc(heap, (size_t)(1 + i % 3) * page);

		ASSERT_GE(fd, 0);
		ASSERT_EQ(-1, check_zero_and_fill(fd, (size_t)(1 + i % 3) * page,
						  (uint8_t)(0xa0 + i % 64)));
		close(fd);
	}
}
