// SPDX-License-Identifier: GPL-2.0
/*
 * sync_buffer: DMA_BUF_IOCTL_SYNC around CPU access.  Every valid
 * combination of START/END and READ/WRITE/RW succeeds (mapped or not); flags
 * without a direction or with unknown bits are EINVAL; the ioctl on
 * something that is not a dma-buf is ENOTTY.  (Not named "sync": busybox
 * sh would run its own sync applet instead.)
 */
#include <linux/dma-buf.h>

#include "harness.h"

FIXTURE(sync) {
	int fd;
	size_t len;
	uint8_t *map;
};

FIXTURE_SETUP(sync)
{
	self->fd = -1;
	self->map = MAP_FAILED;
	self->len = 64 * TH_KiB;
	self->fd = th_alloc(heap, self->len);
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(sync)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->len);
	if (self->fd >= 0)
		close(self->fd);
}

static int do_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

static const uint64_t dirs[] = {
	DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE, DMA_BUF_SYNC_RW,
};

HEAP_TEST_F(sync, sync_unmapped)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_START | dirs[i]));
		ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_END | dirs[i]));
	}
}

HEAP_TEST_F(sync, sync_mapped)
{
	self->map = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);

	ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	ASSERT_EQ(-1, th_find_not(self->map, self->len, 0));
	ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));

	ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	memset(self->map, 0x11, self->len);
	ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));

	ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	ASSERT_EQ(-1, th_find_not(self->map, self->len, 0x11));
	memset(self->map, 0x12, self->len);
	ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));

	ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	ASSERT_EQ(-1, th_find_not(self->map, self->len, 0x12));
	ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
}

HEAP_TEST_F(sync, sync_nested)
{
	self->map = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	/* Overlapping begin/end pairs are allowed by dma-buf. */
	ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	self->map[0] = 1;
	ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	ASSERT_EQ(1, self->map[0]);
}

HEAP_TEST_F(sync, sync_flags_invalid)
{
	static const uint64_t bad[] = {
		0,
		DMA_BUF_SYNC_END,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW | (1 << 3),
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ | 0x80000000ULL,
		1ULL << 63,
		~0ULL,
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_ERRNO(do_sync(self->fd, bad[i]), EINVAL);
	/* The buffer is still usable. */
	ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	ASSERT_OK(do_sync(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
}

/* The sync ioctl belongs to dma-bufs only. */
HEAP_TEST(sync_not_dmabuf)
{
	int heap_fd, pipefd[2], devnull;

	heap_fd = th_heap_open(heap);
	ASSERT_GE(heap_fd, 0);
	ASSERT_ERRNO(do_sync(heap_fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW),
		     ENOTTY);
	close(heap_fd);

	ASSERT_OK(pipe(pipefd));
	ASSERT_ERRNO(do_sync(pipefd[0], DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW),
		     ENOTTY);
	close(pipefd[0]);
	close(pipefd[1]);

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_GE(devnull, 0);
	ASSERT_ERRNO(do_sync(devnull, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW),
		     ENOTTY);
	close(devnull);
}
