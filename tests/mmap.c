// SPDX-License-Identifier: GPL-2.0
/*
 * mmap: CPU mappings of heap buffers.  Whole and partial mappings, bounds,
 * mremap (shrink and move work, growing is refused) and partial munmap,
 * fork, mappings outliving the fd, and MAP_PRIVATE (refused with EINVAL by
 * the shared exporter: a private copy-on-write view of device memory has
 * no use).
 */
#include "harness.h"

#define NPAGES	16

FIXTURE(buf) {
	int fd;
	size_t page;
	size_t len;
	struct th_stats base;
};

FIXTURE_SETUP(buf)
{
	self->fd = -1;
	self->page = th_page_size();
	self->len = NPAGES * self->page;
	ASSERT_EQ(0, th_stats_read(heap, &self->base));
	self->fd = th_alloc(heap, self->len);
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(buf)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Word i of page p holds a value naming both. */
static uint32_t tag(size_t page, size_t word)
{
	return 0x5a000000u | (uint32_t)(page << 12) | (uint32_t)word;
}

static void fill_tags(void *p, size_t first_page, size_t npages, size_t page)
{
	size_t i, w, words = page / 4;

	for (i = 0; i < npages; i++)
		for (w = 0; w < words; w += 61)
			((uint32_t *)((char *)p + i * page))[w] =
				tag(first_page + i, w);
}

/* Returns the index of the first page whose tags are wrong, or -1. */
static long check_tags(const void *p, size_t first_page, size_t npages,
		       size_t page)
{
	size_t i, w, words = page / 4;

	for (i = 0; i < npages; i++)
		for (w = 0; w < words; w += 61)
			if (((const uint32_t *)((const char *)p + i * page))[w] !=
			    tag(first_page + i, w))
				return (long)i;
	return -1;
}

HEAP_TEST_F(buf, mmap_whole)
{
	char *a, *b;

	a = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_EQ(-1, th_find_not(a, self->len, 0));
	fill_tags(a, 0, NPAGES, self->page);
	ASSERT_EQ(-1, check_tags(a, 0, NPAGES, self->page));

	/* A second mapping shows the same memory. */
	b = mmap(NULL, self->len, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, b);
	ASSERT_EQ(-1, check_tags(b, 0, NPAGES, self->page));
	a[self->len - 1] = 0x42;
	ASSERT_EQ(0x42, b[self->len - 1]);
	munmap(b, self->len);
	munmap(a, self->len);
}

HEAP_TEST_F(buf, mmap_offset)
{
	size_t page = self->page;
	char *a, *b, *last;

	a = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	fill_tags(a, 0, NPAGES, page);

	/* pgoff 1 to the end */
	b = mmap(NULL, self->len - page, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, page);
	ASSERT_NE(MAP_FAILED, b);
	ASSERT_EQ(-1, check_tags(b, 1, NPAGES - 1, page));
	b[0] = 0x11;
	ASSERT_EQ(0x11, a[page]);

	/* the last page alone */
	last = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		    self->len - page);
	ASSERT_NE(MAP_FAILED, last);
	ASSERT_EQ(-1, check_tags(last, NPAGES - 1, 1, page));
	last[page - 1] = 0x77;
	ASSERT_EQ(0x77, a[self->len - 1]);

	/* a page in the middle */
	munmap(b, self->len - page);
	b = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, self->fd, 7 * page);
	ASSERT_NE(MAP_FAILED, b);
	ASSERT_EQ(-1, check_tags(b, 7, 2, page));

	munmap(b, 2 * page);
	munmap(last, page);
	munmap(a, self->len);
}

HEAP_TEST_F(buf, mmap_past_end)
{
	size_t page = self->page, len = self->len;

	/* too long */
	ASSERT_ERRNO(mmap(NULL, len + page, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->fd, 0), EINVAL);
	/* starts at the end */
	ASSERT_ERRNO(mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->fd, len), EINVAL);
	/* starts inside, runs over */
	ASSERT_ERRNO(mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->fd, len - page), EINVAL);
	/* far away */
	ASSERT_ERRNO(mmap(NULL, page, PROT_READ, MAP_SHARED, self->fd,
			  1L << 40), EINVAL);
}

HEAP_TEST_F(buf, mmap_private)
{
	ASSERT_ERRNO(mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE, self->fd, 0), EINVAL);
	ASSERT_ERRNO(mmap(NULL, self->len, PROT_READ, MAP_PRIVATE, self->fd, 0),
		     EINVAL);
}

HEAP_TEST_F(buf, mmap_mremap)
{
	size_t page = self->page;
	char *a, *moved;

	a = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	fill_tags(a, 0, NPAGES, page);

	/* Shrinking keeps the head. */
	moved = mremap(a, self->len, 4 * page, 0);
	ASSERT_EQ(a, moved);
	ASSERT_EQ(-1, check_tags(a, 0, 4, page));

	/*
	 * Growing is refused, even back to the buffer's own size: the
	 * exporter fills the whole mapping at mmap() time (VM_DONTEXPAND,
	 * no fault handler), so no fault can ever be served past what was
	 * checked then.  A fault handler that trusted a grown VMA is how
	 * upstream's CMA heap got CVE-2024-46852.
	 */
	ASSERT_ERRNO(mremap(a, 4 * page, self->len, MREMAP_MAYMOVE), EFAULT);
	ASSERT_ERRNO(mremap(a, 4 * page, 5 * page, 0), EFAULT);
	/* old_len 0 asks for a duplicate: a growth from nothing. */
	ASSERT_ERRNO(mremap(a, 0, page, MREMAP_MAYMOVE), EFAULT);
	ASSERT_EQ(-1, check_tags(a, 0, 4, page));
	munmap(a, 4 * page);

	/* The same for a mapping that starts inside the buffer. */
	a = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 (NPAGES - 2) * page);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_ERRNO(mremap(a, 2 * page, 3 * page, MREMAP_MAYMOVE), EFAULT);
	ASSERT_EQ(-1, check_tags(a, NPAGES - 2, 2, page));
	munmap(a, 2 * page);

	/* Moving the whole mapping elsewhere keeps the contents. */
	a = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	moved = mmap(NULL, 2 * self->len, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, moved);
	moved = mremap(a, self->len, self->len, MREMAP_MAYMOVE | MREMAP_FIXED,
		       moved + self->len);
	ASSERT_NE(MAP_FAILED, moved);
	ASSERT_EQ(-1, check_tags(moved, 0, NPAGES, page));
	munmap(moved - self->len, 2 * self->len);
}

HEAP_TEST_F(buf, munmap_partial)
{
	size_t page = self->page;
	char *a;

	a = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	fill_tags(a, 0, NPAGES, page);

	/* Punch out page 3 and pages 8-9; the rest stays mapped. */
	ASSERT_OK(munmap(a + 3 * page, page));
	ASSERT_OK(munmap(a + 8 * page, 2 * page));
	ASSERT_EQ(-1, check_tags(a, 0, 3, page));
	ASSERT_EQ(-1, check_tags(a + 4 * page, 4, 4, page));
	ASSERT_EQ(-1, check_tags(a + 10 * page, 10, NPAGES - 10, page));
	a[10 * page] = 0x33;
	ASSERT_EQ(0x33, a[10 * page]);

	/* Map page 3 again at the hole. */
	ASSERT_EQ(a + 3 * page, mmap(a + 3 * page, page, PROT_READ, MAP_SHARED |
				     MAP_FIXED, self->fd, 3 * page));
	ASSERT_EQ(-1, check_tags(a + 3 * page, 3, 1, page));
	ASSERT_OK(munmap(a, 8 * page));
	ASSERT_OK(munmap(a + 10 * page, self->len - 10 * page));
}

/* Cutting a mapping at either end leaves the middle mapped and intact. */
HEAP_TEST_F(buf, munmap_head_and_tail)
{
	size_t page = self->page;
	char *a;

	a = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	fill_tags(a, 0, NPAGES, page);
	ASSERT_OK(munmap(a, 2 * page));
	ASSERT_OK(munmap(a + (NPAGES - 3) * page, 3 * page));
	ASSERT_EQ(-1, check_tags(a + 2 * page, 2, NPAGES - 5, page));
	a[2 * page] = 0x5c;
	ASSERT_EQ(0x5c, a[2 * page]);
	/* Shrink what is left from its end, then move it. */
	ASSERT_EQ(a + 2 * page, mremap(a + 2 * page, (NPAGES - 5) * page,
				      (NPAGES - 6) * page, 0));
	ASSERT_OK(munmap(a + 2 * page, (NPAGES - 6) * page));
}

/* A child shares the parent's MAP_SHARED mapping, both ways. */
HEAP_TEST_F(buf, mmap_fork)
{
	size_t page = self->page;
	volatile char *a;
	int status;
	pid_t pid;

	a = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	fill_tags((char *)a, 0, NPAGES, page);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int ok = check_tags((char *)a, 0, NPAGES, page) == -1;

		a[5 * page] = 0x3c;
		close(self->fd);
		munmap((char *)a, self->len);
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0x3c, a[5 * page]);
	ASSERT_OK(munmap((char *)a, self->len));
}

/* A mapping keeps the buffer alive after its fd is closed. */
HEAP_TEST_F(buf, mmap_after_close)
{
	struct th_stats now;
	char *a;

	a = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	fill_tags(a, 0, NPAGES, self->page);
	close(self->fd);
	self->fd = -1;

	ASSERT_EQ(0, th_stats_read(heap, &now));
	ASSERT_EQ(self->base.buffers + 1, now.buffers);
	ASSERT_EQ(self->base.bytes + self->len, now.bytes);

	ASSERT_EQ(-1, check_tags(a, 0, NPAGES, self->page));
	memset(a, 0xa5, self->len);
	ASSERT_EQ(-1, th_find_not(a, self->len, 0xa5));

	/* The last unmap releases it. */
	ASSERT_OK(munmap(a, self->len));
	ASSERT_STATS_BASELINE(heap, &self->base);
}

/* A mapping of an fd opened read-only cannot be written. */
HEAP_TEST(mmap_readonly_fd)
{
	size_t page = th_page_size();
	int heap_fd, fd;
	char *p;

	heap_fd = th_heap_open(heap);
	ASSERT_GE(heap_fd, 0);
	fd = th_alloc_fd(heap_fd, page, O_RDONLY | O_CLOEXEC);
	close(heap_fd);
	ASSERT_GE(fd, 0);
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(-1, th_find_not(p, page, 0));
	ASSERT_ERRNO(mmap(NULL, page, PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
	ASSERT_ERRNO(mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 0), EINVAL);
	munmap(p, page);
	close(fd);
}

/* Big buffers are built from several chunks: every page maps correctly. */
HEAP_TEST_TIMEOUT(mmap_large, 60)
{
	size_t page = th_page_size();
	size_t len = 9 * TH_MiB + 5 * 64 * TH_KiB + 3 * page;
	size_t npages = len / page;
	char *a, *b;
	int fd;

	fd = th_alloc_large(heap, len);
	ASSERT_GE(fd, 0);
	a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	fill_tags(a, 0, npages, page);

	/* Mappings starting at awkward offsets see the right pages. */
	b = mmap(NULL, len - 255 * page, PROT_READ, MAP_SHARED, fd, 255 * page);
	ASSERT_NE(MAP_FAILED, b);
	ASSERT_EQ(-1, check_tags(b, 255, npages - 255, page));
	munmap(b, len - 255 * page);
	b = mmap(NULL, 300 * page, PROT_READ, MAP_SHARED, fd, 1000 * page);
	ASSERT_NE(MAP_FAILED, b);
	ASSERT_EQ(-1, check_tags(b, 1000, 300, page));
	munmap(b, 300 * page);

	munmap(a, len);
	close(fd);
}
