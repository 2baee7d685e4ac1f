// SPDX-License-Identifier: GPL-2.0
/*
 * sync_file: explicit synchronisation on heap buffers, as the dma-buf core
 * defines it (DMA_BUF_IOCTL_EXPORT_SYNC_FILE and IMPORT_SYNC_FILE, 6.0+).
 * The exporter takes no part in it, so this checks that nothing in ours
 * gets in the way: the buffers carry a reservation object like any dma-buf.
 *
 *   sync_file_export_idle     a fresh buffer has no fences: the exported
 *                             sync file and the buffer poll ready at once
 *   sync_file_follows_fences  a device's write fence (vgem, which imports
 *                             the buffer) holds back poll() and the
 *                             exported sync file; importing that sync file
 *                             into a second buffer holds that one back
 *                             too; signalling the fence releases all three
 *   sync_file_bad_requests    bad flags and a bad fd are refused
 */
#include <linux/dma-buf.h>
#include <poll.h>

#include "harness.h"
#include "vgem.h"

static int export_sync(int buf, uint32_t flags)
{
	struct dma_buf_export_sync_file e = { .flags = flags, .fd = -1 };

	if (ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e))
		return -errno;
	return e.fd;
}

static int import_sync(int buf, int sync_fd, uint32_t flags)
{
	struct dma_buf_import_sync_file i = { .flags = flags, .fd = sync_fd };

	return ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &i) ? -errno : 0;
}

/* 1 if @fd is ready for @events within @ms, 0 if not, -errno. */
static int ready(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, ms);

	if (n < 0)
		return -errno;
	return n == 1 && (p.revents & events) == events;
}

HEAP_TEST(sync_file_export_idle)
{
	int buf = th_alloc(heap, 64 * TH_KiB), sfd;

	ASSERT_GE(buf, 0);
	sfd = export_sync(buf, DMA_BUF_SYNC_RW);
	ASSERT_GE(sfd, 0);
	EXPECT_EQ(1, ready(sfd, POLLIN, 0));
	EXPECT_EQ(1, ready(buf, POLLIN | POLLOUT, 0));
	close(sfd);
	close(buf);
}

HEAP_TEST(sync_file_follows_fences)
{
	int drm, a, b, sfd_a, sfd_b;
	struct th_stats base;
	uint32_t handle = 0, fence = 0;

	drm = vgem_open();
	if (drm < 0)
		SKIP("no vgem device");
	ASSERT_EQ(0, th_stats_read(heap, &base));
	a = th_alloc(heap, 64 * TH_KiB);
	ASSERT_GE(a, 0);
	b = th_alloc(heap, 64 * TH_KiB);
	ASSERT_GE(b, 0);

	/* vgem imports buffer a and puts a write fence on it. */
	ASSERT_EQ(0, vgem_import(drm, a, &handle));
	ASSERT_EQ(0, vgem_fence_attach(drm, handle, 1, &fence));
	EXPECT_EQ(0, ready(a, POLLIN, 0));
	sfd_a = export_sync(a, DMA_BUF_SYNC_READ);
	ASSERT_GE(sfd_a, 0);
	EXPECT_EQ(0, ready(sfd_a, POLLIN, 0));

	/* That fence, imported as a write into buffer b, holds b back. */
	EXPECT_EQ(1, ready(b, POLLIN, 0));
	ASSERT_EQ(0, import_sync(b, sfd_a, DMA_BUF_SYNC_WRITE));
	EXPECT_EQ(0, ready(b, POLLIN, 0));
	sfd_b = export_sync(b, DMA_BUF_SYNC_READ);
	ASSERT_GE(sfd_b, 0);
	EXPECT_EQ(0, ready(sfd_b, POLLIN, 0));

	/* The device is done: everything is released. */
	ASSERT_EQ(0, vgem_fence_signal(drm, fence));
	EXPECT_EQ(1, ready(sfd_a, POLLIN, 1000));
	EXPECT_EQ(1, ready(sfd_b, POLLIN, 1000));
	EXPECT_EQ(1, ready(a, POLLIN | POLLOUT, 1000));
	EXPECT_EQ(1, ready(b, POLLIN | POLLOUT, 1000));

	close(sfd_b);
	close(sfd_a);
	EXPECT_EQ(0, vgem_close(drm, handle));
	close(b);
	close(a);
	close(drm);
	ASSERT_STATS_BASELINE(heap, &base);
}

HEAP_TEST(sync_file_bad_requests)
{
	int buf = th_alloc(heap, 4096), sfd;

	ASSERT_GE(buf, 0);
	EXPECT_EQ(-EINVAL, export_sync(buf, 0));
	EXPECT_EQ(-EINVAL, export_sync(buf, 0x80));
	sfd = export_sync(buf, DMA_BUF_SYNC_WRITE);
	ASSERT_GE(sfd, 0);
	EXPECT_EQ(-EINVAL, import_sync(buf, sfd, 0));
	/* Not a sync file: the buffer's own fd. */
	EXPECT_EQ(-EINVAL, import_sync(buf, buf, DMA_BUF_SYNC_WRITE));
	EXPECT_EQ(-EINVAL, import_sync(buf, -1, DMA_BUF_SYNC_WRITE));
	close(sfd);
	close(buf);
}
