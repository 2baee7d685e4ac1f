// SPDX-License-Identifier: GPL-2.0
/*
 * uapi: DMA_HEAP_IOCTL_ALLOC's contract (docs/DESIGN.md, "Errors from
 * DMA_HEAP_IOCTL_ALLOC"): struct sizes, command validation, flags, lengths,
 * bad pointers, and the fd the call returns.
 */
#include "harness.h"

/* The first version of the argument, without heap_flags. */
struct old16 {
	uint64_t len;
	uint32_t fd;
	uint32_t fd_flags;
};

/* A later, larger version: unknown trailing bytes must be ignored. */
struct big32 {
	uint64_t len;
	uint32_t fd;
	uint32_t fd_flags;
	uint64_t heap_flags;
	uint64_t future;
};

struct small8 {
	uint64_t len;
};

FIXTURE(uapi) {
	int heap_fd;
	int nfds;
	struct th_stats base;
};

FIXTURE_SETUP(uapi)
{
	self->heap_fd = -1;
	self->heap_fd = th_heap_open(heap);
	ASSERT_GE(self->heap_fd, 0);
	ASSERT_EQ(0, th_stats_read(heap, &self->base));
	self->nfds = th_count_fds();
	ASSERT_GT(self->nfds, 0);
}

FIXTURE_TEARDOWN(uapi)
{
	if (self->heap_fd >= 0)
		close(self->heap_fd);
}

/* Issue @cmd with @arg; return the ioctl's result, errno in *err. */
static long do_ioctl(int fd, unsigned long cmd, void *arg, int *err)
{
	long r;

	errno = 0;
	r = ioctl(fd, cmd, arg);
	*err = errno;
	return r;
}

/* The request left nothing behind: no fd, no buffer, no bytes. */
static void assert_nothing_left(struct th_fixture_uapi *self,
				const struct th_heap *heap)
{
	ASSERT_EQ(self->nfds, th_count_fds());
	ASSERT_STATS_BASELINE(heap, &self->base);
}

HEAP_TEST_F(uapi, alloc_valid)
{
	struct dma_heap_allocation_data d = {
		.len = 4 * th_page_size(),
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	struct stat st;

	ASSERT_OK(ioctl(self->heap_fd, DMA_HEAP_IOCTL_ALLOC, &d));
	ASSERT_GT((int)d.fd, 2);
	ASSERT_EQ(0, fstat((int)d.fd, &st));
	ASSERT_EQ((off_t)d.len, lseek((int)d.fd, 0, SEEK_END));
	ASSERT_EQ(self->nfds + 1, th_count_fds());
	/* Nothing else in the struct changes. */
	ASSERT_EQ(4 * th_page_size(), d.len);
	ASSERT_EQ(O_RDWR | O_CLOEXEC, d.fd_flags);
	ASSERT_EQ(0, d.heap_flags);
	close((int)d.fd);
	assert_nothing_left(self, heap);
}

HEAP_TEST_F(uapi, alloc_struct_v1)
{
	struct old16 d = { .len = 8192, .fd_flags = O_RDWR | O_CLOEXEC };

	ASSERT_EQ(16, sizeof(d));
	ASSERT_OK(ioctl(self->heap_fd, _IOWR('H', 0, struct old16), &d));
	ASSERT_GT((int)d.fd, 2);
	ASSERT_EQ(8192, lseek((int)d.fd, 0, SEEK_END));
	ASSERT_EQ(8192, d.len);
	close((int)d.fd);
	assert_nothing_left(self, heap);
}

HEAP_TEST_F(uapi, alloc_struct_larger)
{
	struct big32 d = {
		.len = 8192,
		.fd_flags = O_RDWR | O_CLOEXEC,
		.future = 0xdeadbeefcafef00dULL,
	};

	ASSERT_EQ(32, sizeof(d));
	ASSERT_OK(ioctl(self->heap_fd, _IOWR('H', 0, struct big32), &d));
	ASSERT_GT((int)d.fd, 2);
	ASSERT_EQ(8192, lseek((int)d.fd, 0, SEEK_END));
	/* Bytes past the known fields are neither read nor written. */
	ASSERT_EQ(0xdeadbeefcafef00dULL, d.future);
	close((int)d.fd);
	assert_nothing_left(self, heap);
}

HEAP_TEST_F(uapi, alloc_struct_too_small)
{
	struct dma_heap_allocation_data d = { .len = 4096 };
	int err;

	ASSERT_EQ(-1, do_ioctl(self->heap_fd, _IOWR('H', 0, struct small8),
			       &d, &err));
	ASSERT_EQ(EINVAL, err);
	ASSERT_EQ(-1, do_ioctl(self->heap_fd,
			       _IOC(_IOC_READ | _IOC_WRITE, 'H', 0, 15), &d,
			       &err));
	ASSERT_EQ(EINVAL, err);
	ASSERT_EQ(-1, do_ioctl(self->heap_fd,
			       _IOC(_IOC_READ | _IOC_WRITE, 'H', 0, 0), &d,
			       &err));
	ASSERT_EQ(EINVAL, err);
	assert_nothing_left(self, heap);
}

HEAP_TEST_F(uapi, ioctl_wrong_type)
{
	struct dma_heap_allocation_data d = { .len = 4096 };
	int err;

	ASSERT_EQ(-1, do_ioctl(self->heap_fd,
			       _IOWR('X', 0, struct dma_heap_allocation_data),
			       &d, &err));
	ASSERT_EQ(ENOTTY, err);
	ASSERT_EQ(-1, do_ioctl(self->heap_fd, TCGETS, &d, &err));
	ASSERT_EQ(ENOTTY, err);
	assert_nothing_left(self, heap);
}

HEAP_TEST_F(uapi, ioctl_nr_out_of_range)
{
	struct dma_heap_allocation_data d = { .len = 4096 };
	int err;

	ASSERT_EQ(-1, do_ioctl(self->heap_fd,
			       _IOWR('H', 1, struct dma_heap_allocation_data),
			       &d, &err));
	ASSERT_EQ(EINVAL, err);
	ASSERT_EQ(-1, do_ioctl(self->heap_fd,
			       _IOWR('H', 0xff, struct dma_heap_allocation_data),
			       &d, &err));
	ASSERT_EQ(EINVAL, err);
	assert_nothing_left(self, heap);
}

HEAP_TEST_F(uapi, ioctl_wrong_direction)
{
	struct dma_heap_allocation_data d = { .len = 4096 };
	int err;

	ASSERT_EQ(-1, do_ioctl(self->heap_fd,
			       _IOR('H', 0, struct dma_heap_allocation_data),
			       &d, &err));
	ASSERT_EQ(EINVAL, err);
	ASSERT_EQ(-1, do_ioctl(self->heap_fd,
			       _IOW('H', 0, struct dma_heap_allocation_data),
			       &d, &err));
	ASSERT_EQ(EINVAL, err);
	ASSERT_EQ(-1, do_ioctl(self->heap_fd,
			       _IOC(_IOC_NONE, 'H', 0,
				    sizeof(struct dma_heap_allocation_data)),
			       &d, &err));
	ASSERT_EQ(EINVAL, err);
	assert_nothing_left(self, heap);
}

HEAP_TEST_F(uapi, alloc_fd_nonzero)
{
	struct dma_heap_allocation_data d = {
		.len = 4096, .fd = 3, .fd_flags = O_RDWR | O_CLOEXEC,
	};

	ASSERT_ERRNO(ioctl(self->heap_fd, DMA_HEAP_IOCTL_ALLOC, &d), EINVAL);
	d.fd = 0x80000000u;
	ASSERT_ERRNO(ioctl(self->heap_fd, DMA_HEAP_IOCTL_ALLOC, &d), EINVAL);
	assert_nothing_left(self, heap);
}

HEAP_TEST_F(uapi, alloc_fd_flags_unknown)
{
	static const uint32_t bad[] = {
		O_NONBLOCK, O_RDWR | O_NONBLOCK, O_APPEND, O_CREAT,
		0x80000000u, O_RDWR | O_CLOEXEC | 0x80000000u,
	};
	struct dma_heap_allocation_data d = { .len = 4096 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d.fd_flags = bad[i];
		d.fd = 0;
		ASSERT_ERRNO(ioctl(self->heap_fd, DMA_HEAP_IOCTL_ALLOC, &d),
			     EINVAL);
	}
	assert_nothing_left(self, heap);
}

HEAP_TEST_F(uapi, alloc_heap_flags_any)
{
	struct dma_heap_allocation_data d = {
		.len = 4096, .fd_flags = O_RDWR | O_CLOEXEC,
	};
	int bit;

	for (bit = 0; bit < 64; bit++) {
		d.heap_flags = 1ULL << bit;
		d.fd = 0;
		ASSERT_ERRNO(ioctl(self->heap_fd, DMA_HEAP_IOCTL_ALLOC, &d),
			     EINVAL);
	}
	d.heap_flags = ~0ULL;
	ASSERT_ERRNO(ioctl(self->heap_fd, DMA_HEAP_IOCTL_ALLOC, &d), EINVAL);
	assert_nothing_left(self, heap);
}

HEAP_TEST_F(uapi, alloc_len_zero)
{
	struct dma_heap_allocation_data d = { .fd_flags = O_RDWR };
	struct th_stats now;

	ASSERT_ERRNO(ioctl(self->heap_fd, DMA_HEAP_IOCTL_ALLOC, &d), EINVAL);
	assert_nothing_left(self, heap);
	/* A malformed request is not a failed allocation. */
	ASSERT_EQ(0, th_stats_read(heap, &now));
	ASSERT_EQ(self->base.failed_allocs, now.failed_allocs);
	ASSERT_EQ(self->base.total_allocs, now.total_allocs);
}

HEAP_TEST_F(uapi, alloc_len_overflow)
{
	static const uint64_t lens[] = {
		UINT64_MAX, UINT64_MAX - 100, UINT64_MAX - 4094,
	};
	struct dma_heap_allocation_data d = { .fd_flags = O_RDWR };
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		d.len = lens[i];
		d.fd = 0;
		ASSERT_ERRNO(ioctl(self->heap_fd, DMA_HEAP_IOCTL_ALLOC, &d),
			     EINVAL);
	}
	assert_nothing_left(self, heap);
}

HEAP_TEST_F_TIMEOUT(uapi, alloc_len_huge, 30)
{
	uint64_t lens[] = { 1ULL << 60, 2 * th_ram_bytes(),
			    UINT64_MAX & ~0xfffULL };
	struct dma_heap_allocation_data d = { .fd_flags = O_RDWR };
	struct th_stats now;
	double t0;
	size_t i;

	ASSERT_GT(th_ram_bytes(), 0);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		d.len = lens[i];
		d.fd = 0;
		t0 = th_now();
		ASSERT_ERRNO(ioctl(self->heap_fd, DMA_HEAP_IOCTL_ALLOC, &d),
			     ENOMEM);
		/* Refused up front, not after grinding through memory. */
		ASSERT_LT(th_now() - t0, 2.0);
	}
	assert_nothing_left(self, heap);
	ASSERT_EQ(0, th_stats_read(heap, &now));
	ASSERT_EQ(self->base.failed_allocs + 3, now.failed_allocs);
}

HEAP_TEST_F(uapi, alloc_bad_pointer)
{
	void *bad[] = { NULL, (void *)1, (void *)-4096L };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_ERRNO(ioctl(self->heap_fd, DMA_HEAP_IOCTL_ALLOC, bad[i]),
			     EFAULT);
	assert_nothing_left(self, heap);
}

/* The request is readable but the answer cannot be written back. */
HEAP_TEST_F(uapi, alloc_readonly_arg)
{
	size_t page = th_page_size();
	struct dma_heap_allocation_data *d;
	struct th_stats now;
	void *p;

	p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	d = p;
	d->len = 64 * 1024;
	d->fd_flags = O_RDWR | O_CLOEXEC;
	ASSERT_OK(mprotect(p, page, PROT_READ));

	ASSERT_ERRNO(ioctl(self->heap_fd, DMA_HEAP_IOCTL_ALLOC, d), EFAULT);
	/* No fd was published, and the buffer is gone again. */
	assert_nothing_left(self, heap);
	ASSERT_EQ(0, th_stats_read(heap, &now));
	ASSERT_EQ(self->base.total_allocs, now.total_allocs);
	munmap(p, page);
}

/* The struct straddles the end of a mapping: its tail is unreadable. */
HEAP_TEST_F(uapi, alloc_truncated_arg)
{
	size_t page = th_page_size();
	char *p;

	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_OK(munmap(p + page, page));
	ASSERT_ERRNO(ioctl(self->heap_fd, DMA_HEAP_IOCTL_ALLOC, p + page - 8),
		     EFAULT);
	assert_nothing_left(self, heap);
	munmap(p, page);
}

HEAP_TEST_F(uapi, alloc_len_page_aligned)
{
	size_t page = th_page_size();
	const uint64_t lens[] = {
		1, page - 1, page + 1, 3 * page + 17, 12345, 1024 * 1024 + 1,
	};
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct th_stats now;
		int fd = th_alloc_fd(self->heap_fd, lens[i], O_RDWR | O_CLOEXEC);

		ASSERT_GE(fd, 0);
		EXPECT_EQ((off_t)th_page_align(lens[i]),
			  lseek(fd, 0, SEEK_END));
		ASSERT_EQ(0, th_stats_read(heap, &now));
		EXPECT_EQ(self->base.bytes + th_page_align(lens[i]), now.bytes);
		close(fd);
	}
	assert_nothing_left(self, heap);
}

HEAP_TEST_F(uapi, alloc_cloexec)
{
	int fd;

	fd = th_alloc_fd(self->heap_fd, 4096, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	fd = th_alloc_fd(self->heap_fd, 4096, O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	assert_nothing_left(self, heap);
}

HEAP_TEST_F(uapi, alloc_access_mode)
{
	size_t page = th_page_size();
	void *p;
	int fd;

	fd = th_alloc_fd(self->heap_fd, page, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	ASSERT_ERRNO(mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
		     EACCES);
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, *(volatile char *)p);
	/* A read-only mapping of a read-only fd cannot gain PROT_WRITE. */
	ASSERT_ERRNO(mprotect(p, page, PROT_READ | PROT_WRITE), EACCES);
	munmap(p, page);
	close(fd);

	fd = th_alloc_fd(self->heap_fd, page, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, page);
	close(fd);
	assert_nothing_left(self, heap);
}

HEAP_TEST(heap_node_mode)
{
	struct stat st;

	ASSERT_OK(stat(heap->dev, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(0600, st.st_mode & 07777);
	ASSERT_EQ(0, st.st_uid);
	ASSERT_EQ(0, st.st_gid);
}

/* The heap node is not a file you can read, write or seek. */
HEAP_TEST(heap_node_no_io)
{
	char buf[16];
	int fd = th_heap_open(heap);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(-1, write(fd, buf, sizeof(buf)));
	EXPECT_ERRNO(lseek(fd, 0, SEEK_SET), ESPIPE);
	close(fd);
}
