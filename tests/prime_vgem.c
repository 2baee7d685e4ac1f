// SPDX-License-Identifier: GPL-2.0
/*
 * prime_vgem: heap buffers imported into another driver.  vgem (a virtual
 * GEM driver) imports the dma-buf with PRIME, which attaches to the buffer
 * and maps it for DMA; re-exporting the GEM handle gives back the same
 * dma-buf.  Skipped when no vgem device exists.
 *
 * The DRM definitions and vgem helpers are in vgem.h.
 */
#include "harness.h"
#include "vgem.h"

FIXTURE(vgem) {
	int drm;
	int fd;
	uint32_t handle;
	size_t len;
	struct th_stats base;
};

FIXTURE_SETUP(vgem)
{
	self->drm = -1;
	self->fd = -1;
	self->len = 1 * TH_MiB + 5 * th_page_size();
	self->drm = vgem_open();
	if (self->drm < 0)
		SKIP("no vgem device in /dev/dri");
	ASSERT_EQ(0, th_stats_read(heap, &self->base));
	self->fd = th_alloc(heap, self->len);
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(vgem)
{
	if (self->handle)
		vgem_close(self->drm, self->handle);
	if (self->fd >= 0)
		close(self->fd);
	if (self->drm >= 0)
		close(self->drm);
}

HEAP_TEST_F(vgem, prime_import)
{
	ASSERT_EQ(0, vgem_import(self->drm, self->fd, &self->handle));
	ASSERT_NE(0, self->handle);
	ASSERT_EQ(0, vgem_close(self->drm, self->handle));
	/* The handle is gone now. */
	ASSERT_EQ(-EINVAL, vgem_close(self->drm, self->handle));
	self->handle = 0;
}

HEAP_TEST_F(vgem, prime_import_twice)
{
	uint32_t again = 0;

	ASSERT_EQ(0, vgem_import(self->drm, self->fd, &self->handle));
	ASSERT_EQ(0, vgem_import(self->drm, self->fd, &again));
	ASSERT_EQ(self->handle, again);

	/* Another fd for the same dma-buf still finds the same object. */
	{
		int dup_fd = fcntl(self->fd, F_DUPFD_CLOEXEC, 0);

		ASSERT_GE(dup_fd, 0);
		ASSERT_EQ(0, vgem_import(self->drm, dup_fd, &again));
		close(dup_fd);
		ASSERT_EQ(self->handle, again);
	}
}

HEAP_TEST_F(vgem, prime_reexport)
{
	struct stat a, b;
	uint8_t *p, *q;
	int fd2;

	ASSERT_EQ(0, vgem_import(self->drm, self->fd, &self->handle));
	fd2 = vgem_export(self->drm, self->handle);
	ASSERT_GE(fd2, 0);
	ASSERT_OK(fstat(self->fd, &a));
	ASSERT_OK(fstat(fd2, &b));
	ASSERT_EQ(a.st_ino, b.st_ino);
	ASSERT_EQ(a.st_dev, b.st_dev);
	ASSERT_EQ((off_t)self->len, lseek(fd2, 0, SEEK_END));

	/* Same memory behind both fds. */
	p = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x5e, self->len);
	munmap(p, self->len);
	q = mmap(NULL, self->len, PROT_READ, MAP_SHARED, fd2, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(-1, th_find_not(q, self->len, 0x5e));
	munmap(q, self->len);
	close(fd2);
}

/* The import alone keeps the buffer alive; closing the handle frees it. */
HEAP_TEST_F(vgem, prime_import_holds_buffer)
{
	struct th_stats now;
	uint8_t *p;
	int fd2;

	p = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x6d, self->len);
	munmap(p, self->len);

	ASSERT_EQ(0, vgem_import(self->drm, self->fd, &self->handle));
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, th_stats_read(heap, &now));
	ASSERT_EQ(self->base.buffers + 1, now.buffers);
	ASSERT_EQ(self->base.bytes + self->len, now.bytes);

	/* Re-exported after our fd is gone, it still has our data. */
	fd2 = vgem_export(self->drm, self->handle);
	ASSERT_GE(fd2, 0);
	p = mmap(NULL, self->len, PROT_READ, MAP_SHARED, fd2, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(-1, th_find_not(p, self->len, 0x6d));
	munmap(p, self->len);
	close(fd2);

	ASSERT_EQ(0, vgem_close(self->drm, self->handle));
	self->handle = 0;
	ASSERT_STATS_BASELINE(heap, &self->base);
}

/* Import and release many times: attach/map/unmap/detach stay balanced. */
HEAP_TEST_F(vgem, prime_import_cycles)
{
	struct th_stats now;
	int i;

	for (i = 0; i < 200; i++) {
		uint32_t h = 0;

		ASSERT_EQ(0, vgem_import(self->drm, self->fd, &h));
		ASSERT_NE(0, h);
		ASSERT_EQ(0, vgem_close(self->drm, h));
	}
	ASSERT_EQ(0, th_stats_read(heap, &now));
	ASSERT_EQ(self->base.buffers + 1, now.buffers);
}
