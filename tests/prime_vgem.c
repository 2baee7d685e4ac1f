// SPDX-License-Identifier: GPL-2.0
/*
 * prime_vgem: heap buffers imported into another driver.  vgem (a virtual
 * GEM driver) imports the dma-buf with PRIME, which attaches to the buffer
 * and maps it for DMA; re-exporting the GEM handle gives back the same
 * dma-buf.  Skipped when no vgem device exists.
 *
 * The few DRM definitions needed are spelled out here (they are the kernel's
 * stable DRM UAPI) so the tests build without libdrm-dev.
 */
#include "harness.h"

struct drm_version_arg {
	int version_major;
	int version_minor;
	int version_patchlevel;
	size_t name_len;
	char *name;
	size_t date_len;
	char *date;
	size_t desc_len;
	char *desc;
};

struct drm_gem_close_arg {
	uint32_t handle;
	uint32_t pad;
};

struct drm_prime_handle_arg {
	uint32_t handle;
	uint32_t flags;		/* DRM_CLOEXEC (O_CLOEXEC), DRM_RDWR (O_RDWR) */
	int32_t fd;
};

#define DRM_IOCTL_BASE			'd'
#define DRM_IOCTL_VERSION		_IOWR(DRM_IOCTL_BASE, 0x00, struct drm_version_arg)
#define DRM_IOCTL_GEM_CLOSE		_IOW(DRM_IOCTL_BASE, 0x09, struct drm_gem_close_arg)
#define DRM_IOCTL_PRIME_HANDLE_TO_FD	_IOWR(DRM_IOCTL_BASE, 0x2d, struct drm_prime_handle_arg)
#define DRM_IOCTL_PRIME_FD_TO_HANDLE	_IOWR(DRM_IOCTL_BASE, 0x2e, struct drm_prime_handle_arg)

/* Open the first DRM node whose driver is vgem; -ENODEV if none. */
static int open_vgem(void)
{
	static const char *const patterns[] = {
		"/dev/dri/card%d", "/dev/dri/renderD%d",
	};
	int i, n;

	for (i = 0; i < 2; i++) {
		for (n = 0; n < 256; n++) {
			struct drm_version_arg v = { 0 };
			char path[64], name[32] = "";
			int fd;

			snprintf(path, sizeof(path), patterns[i],
				 i ? 128 + n : n);
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				continue;
			v.name = name;
			v.name_len = sizeof(name) - 1;
			if (!ioctl(fd, DRM_IOCTL_VERSION, &v) &&
			    !strcmp(name, "vgem"))
				return fd;
			close(fd);
		}
	}
	return -ENODEV;
}

static int import_fd(int drm, int fd, uint32_t *handle)
{
	struct drm_prime_handle_arg a = { .fd = fd };

	if (ioctl(drm, DRM_IOCTL_PRIME_FD_TO_HANDLE, &a))
		return -errno;
	*handle = a.handle;
	return 0;
}

static int export_handle(int drm, uint32_t handle)
{
	struct drm_prime_handle_arg a = {
		.handle = handle,
		.flags = O_CLOEXEC | O_RDWR,
		.fd = -1,
	};

	if (ioctl(drm, DRM_IOCTL_PRIME_HANDLE_TO_FD, &a))
		return -errno;
	return a.fd;
}

static int gem_close(int drm, uint32_t handle)
{
	struct drm_gem_close_arg a = { .handle = handle };

	return ioctl(drm, DRM_IOCTL_GEM_CLOSE, &a) ? -errno : 0;
}

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
	self->drm = open_vgem();
	if (self->drm < 0)
		SKIP("no vgem device in /dev/dri");
	ASSERT_EQ(0, th_stats_read(heap, &self->base));
	self->fd = th_alloc(heap, self->len);
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(vgem)
{
	if (self->handle)
		gem_close(self->drm, self->handle);
	if (self->fd >= 0)
		close(self->fd);
	if (self->drm >= 0)
		close(self->drm);
}

HEAP_TEST_F(vgem, prime_import)
{
	ASSERT_EQ(0, import_fd(self->drm, self->fd, &self->handle));
	ASSERT_NE(0, self->handle);
	ASSERT_EQ(0, gem_close(self->drm, self->handle));
	/* The handle is gone now. */
	ASSERT_EQ(-EINVAL, gem_close(self->drm, self->handle));
	self->handle = 0;
}

HEAP_TEST_F(vgem, prime_import_twice)
{
	uint32_t again = 0;

	ASSERT_EQ(0, import_fd(self->drm, self->fd, &self->handle));
	ASSERT_EQ(0, import_fd(self->drm, self->fd, &again));
	ASSERT_EQ(self->handle, again);

	/* Another fd for the same dma-buf still finds the same object. */
	{
		int dup_fd = fcntl(self->fd, F_DUPFD_CLOEXEC, 0);

		ASSERT_GE(dup_fd, 0);
		ASSERT_EQ(0, import_fd(self->drm, dup_fd, &again));
		close(dup_fd);
		ASSERT_EQ(self->handle, again);
	}
}

HEAP_TEST_F(vgem, prime_reexport)
{
	struct stat a, b;
	uint8_t *p, *q;
	int fd2;

	ASSERT_EQ(0, import_fd(self->drm, self->fd, &self->handle));
	fd2 = export_handle(self->drm, self->handle);
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

	ASSERT_EQ(0, import_fd(self->drm, self->fd, &self->handle));
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, th_stats_read(heap, &now));
	ASSERT_EQ(self->base.buffers + 1, now.buffers);
	ASSERT_EQ(self->base.bytes + self->len, now.bytes);

	/* Re-exported after our fd is gone, it still has our data. */
	fd2 = export_handle(self->drm, self->handle);
	ASSERT_GE(fd2, 0);
	p = mmap(NULL, self->len, PROT_READ, MAP_SHARED, fd2, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(-1, th_find_not(p, self->len, 0x6d));
	munmap(p, self->len);
	close(fd2);

	ASSERT_EQ(0, gem_close(self->drm, self->handle));
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

		ASSERT_EQ(0, import_fd(self->drm, self->fd, &h));
		ASSERT_NE(0, h);
		ASSERT_EQ(0, gem_close(self->drm, h));
	}
	ASSERT_EQ(0, th_stats_read(heap, &now));
	ASSERT_EQ(self->base.buffers + 1, now.buffers);
}
