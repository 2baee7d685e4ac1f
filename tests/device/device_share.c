// SPDX-License-Identifier: GPL-2.0
/*
 * device_share: two importers on one heap buffer, and who keeps it alive.
 * qemu's edu PCI device (through tests/kmod/edu_importer.ko) and vgem (PRIME
 * import, which attaches and maps) hold the same dma-buf:
 *
 *   share_detach_device_first  both attached, the device DMAs; the device
 *                              lets go first, then vgem
 *   share_detach_vgem_first    vgem lets go first; the device still DMAs
 *   hold_after_fd_close        the fd is closed while the device holds its
 *                              attachment: the buffer stays, with its data,
 *                              until the device detaches
 *   hold_after_fd_close_shared the same with vgem attached too; vgem goes
 *                              first, the device keeps the buffer alive
 *   release_on_node_close      closing /dev/edu-importer0 drops the
 *                              device's attachments
 *   unbind_drops_attachments   unbinding the driver (as hot-unplug would)
 *                              drops them too; the open file gets ENODEV
 *
 * Who is attached comes from the dma-buf core's own list
 * (/sys/kernel/debug/dma_buf/bufinfo); whether the buffer lives comes from
 * the heap's statistics.  SKIPs without an edu device or without vgem.
 */
#define TH_CUSTOM_MAIN
#include "../harness.h"
#include "device.h"

#define SHARE_LEN	(1 * TH_MiB)

FIXTURE(share) {
	int efd;
	int drm;
	int fd;
	uint32_t handle;	/* edu attachment */
	uint32_t gem;		/* vgem's object */
	unsigned long ino;
	char bdf[32];
	struct th_stats base;
	struct edu_mapping *m;
};

FIXTURE_SETUP(share)
{
	char target[PATH_MAX];
	ssize_t n;
	int ret;

	self->efd = -1;
	self->drm = -1;
	self->fd = -1;
	self->m = calloc(1, sizeof(*self->m));
	ASSERT_TRUE(self->m);
	self->efd = edu_open_or_skip();
	self->drm = vgem_open();
	if (self->drm < 0)
		SKIP("no vgem device in /dev/dri");
	n = readlink(EDU_SYSFS, target, sizeof(target) - 1);
	ASSERT_GT(n, 0);
	target[n] = '\0';
	snprintf(self->bdf, sizeof(self->bdf), "%s", strrchr(target, '/') + 1);

	ASSERT_EQ(0, th_stats_read(heap, &self->base));
	ret = dev_get_mapped(self->efd, heap, SHARE_LEN,
			     EDU_IMPORTER_DIR_BIDIRECTIONAL, &self->fd,
			     &self->handle, self->m);
	if (ret == -EIO && !edu_sysfs_translated())
		SKIP("no %s buffer within the device's %u-bit DMA mask",
		     heap->name, EDU_DMA_BITS);
	ASSERT_EQ(0, ret);
	self->ino = dev_fd_ino(self->fd);
}

FIXTURE_TEARDOWN(share)
{
	if (self->gem)
		vgem_close(self->drm, self->gem);
	if (self->handle && self->efd >= 0)
		edu_detach(self->efd, self->handle);
	if (self->fd >= 0)
		close(self->fd);
	if (self->drm >= 0)
		close(self->drm);
	if (self->efd >= 0)
		close(self->efd);
	free(self->m);
}

/* The attached devices are exactly @want (NULL-terminated, any order). */
static void expect_attached(struct th_fixture_share *self,
			    const char *const *want)
{
	char devs[512], line[64];
	int n = 0, i;

	while (want[n])
		n++;
	ASSERT_EQ(n, dev_attached(self->ino, devs, sizeof(devs)));
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%s\n", want[i]);
		if (!strstr(devs, line))
			FAIL("%s is not attached; attached: %s", want[i], devs);
	}
}

/* The heap still holds our buffer on top of what it held before. */
static void expect_alive(struct th_fixture_share *self,
			 const struct th_heap *heap)
{
	struct th_stats now;

	ASSERT_EQ(0, th_stats_read(heap, &now));
	ASSERT_EQ(self->base.buffers + 1, now.buffers);
	ASSERT_EQ(self->base.bytes + SHARE_LEN, now.bytes);
}

/*
 * The device writes a pattern into the buffer at @off, then reads it back
 * (after its own buffer was cleared): the memory behind the attachment is
 * there and keeps what is written.  Needs no fd and no CPU mapping.
 */
static void device_roundtrip(struct th_fixture_share *self, uint64_t off)
{
	const uint32_t n = EDU_IMPORTER_DEV_BUF_SIZE;
	uint8_t data[EDU_IMPORTER_DEV_BUF_SIZE];
	uint32_t seed = dev_seed();
	long long bad;

	dev_fill(data, seed, off, n);
	ASSERT_EQ(0, edu_dev_io(self->efd, true, data, 0, n));
	ASSERT_EQ(0, edu_dma(self->efd, self->handle,
			     EDU_IMPORTER_DIR_FROM_DEVICE, off, n, 0, NULL));
	memset(data, 0, n);
	ASSERT_EQ(0, edu_dev_io(self->efd, true, data, 0, n));
	ASSERT_EQ(0, edu_dma(self->efd, self->handle,
			     EDU_IMPORTER_DIR_TO_DEVICE, off, n, 0, NULL));
	ASSERT_EQ(0, edu_dev_io(self->efd, false, data, 0, n));
	bad = dev_check(data, seed, off, n);
	if (bad >= 0)
		FAIL("byte %" PRIu64 " came back as %#x, the device wrote %#x",
		     (uint64_t)(off + bad), data[bad],
		     dev_pattern(seed, off + bad));
}

/* The device writes at @off; the CPU reads it through a fresh mapping. */
static void device_write_cpu_read(struct th_fixture_share *self, uint64_t off)
{
	const uint32_t n = EDU_IMPORTER_DEV_BUF_SIZE;
	uint8_t data[EDU_IMPORTER_DEV_BUF_SIZE];
	uint32_t seed = dev_seed();
	long long bad;
	uint8_t *p;

	dev_fill(data, seed, off, n);
	ASSERT_EQ(0, edu_dev_io(self->efd, true, data, 0, n));
	ASSERT_EQ(0, edu_dma(self->efd, self->handle,
			     EDU_IMPORTER_DIR_FROM_DEVICE, off, n, 0, NULL));
	p = mmap(NULL, SHARE_LEN, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, dbuf_sync(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	bad = dev_check(p + off, seed, off, n);
	ASSERT_EQ(0, dbuf_sync(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	munmap(p, SHARE_LEN);
	if (bad >= 0)
		FAIL("the CPU sees a different byte at offset %" PRIu64,
		     (uint64_t)(off + bad));
}

HEAP_TEST_F(share, share_detach_device_first)
{
	const char *both[] = { self->bdf, "vgem", NULL };
	const char *vgem_only[] = { "vgem", NULL };
	const char *none[] = { NULL };

	ASSERT_EQ(0, vgem_import(self->drm, self->fd, &self->gem));
	expect_attached(self, both);
	device_write_cpu_read(self, 4096 + 123);

	ASSERT_EQ(0, edu_detach(self->efd, self->handle));
	self->handle = 0;
	expect_attached(self, vgem_only);
	ASSERT_EQ(0, vgem_close(self->drm, self->gem));
	self->gem = 0;
	expect_attached(self, none);
	expect_alive(self, heap);

	close(self->fd);
	self->fd = -1;
	ASSERT_STATS_BASELINE(heap, &self->base);
}

HEAP_TEST_F(share, share_detach_vgem_first)
{
	const char *both[] = { self->bdf, "vgem", NULL };
	const char *edu_only[] = { self->bdf, NULL };
	const char *none[] = { NULL };

	ASSERT_EQ(0, vgem_import(self->drm, self->fd, &self->gem));
	expect_attached(self, both);
	ASSERT_EQ(0, vgem_close(self->drm, self->gem));
	self->gem = 0;
	expect_attached(self, edu_only);

	/* The device's mapping is untouched by vgem leaving. */
	device_write_cpu_read(self, SHARE_LEN - EDU_IMPORTER_DEV_BUF_SIZE);

	ASSERT_EQ(0, edu_detach(self->efd, self->handle));
	self->handle = 0;
	expect_attached(self, none);
	close(self->fd);
	self->fd = -1;
	ASSERT_STATS_BASELINE(heap, &self->base);
}

HEAP_TEST_F(share, hold_after_fd_close)
{
	char devs[256];

	/* No fd, no mmap: only the device's attachment holds the buffer. */
	close(self->fd);
	self->fd = -1;
	expect_alive(self, heap);
	ASSERT_EQ(1, dev_attached(self->ino, devs, sizeof(devs)));

	device_roundtrip(self, 0);
	device_roundtrip(self, SHARE_LEN / 2 - 777);
	expect_alive(self, heap);

	ASSERT_EQ(0, edu_detach(self->efd, self->handle));
	self->handle = 0;
	ASSERT_STATS_BASELINE(heap, &self->base);
	EXPECT_EQ(-ENOENT, dev_attached(self->ino, devs, sizeof(devs)));
}

HEAP_TEST_F(share, hold_after_fd_close_shared)
{
	const char *both[] = { self->bdf, "vgem", NULL };
	const char *edu_only[] = { self->bdf, NULL };
	char devs[256];

	ASSERT_EQ(0, vgem_import(self->drm, self->fd, &self->gem));
	close(self->fd);
	self->fd = -1;
	expect_attached(self, both);
	expect_alive(self, heap);

	ASSERT_EQ(0, vgem_close(self->drm, self->gem));
	self->gem = 0;
	expect_attached(self, edu_only);
	expect_alive(self, heap);
	device_roundtrip(self, 8192 + 5);

	ASSERT_EQ(0, edu_detach(self->efd, self->handle));
	self->handle = 0;
	ASSERT_STATS_BASELINE(heap, &self->base);
	EXPECT_EQ(-ENOENT, dev_attached(self->ino, devs, sizeof(devs)));
}

HEAP_TEST_F(share, release_on_node_close)
{
	char devs[256];

	close(self->fd);
	self->fd = -1;
	expect_alive(self, heap);

	/* The file's release detaches what the process left attached. */
	close(self->efd);
	self->efd = -1;
	self->handle = 0;
	ASSERT_STATS_BASELINE(heap, &self->base);
	EXPECT_EQ(-ENOENT, dev_attached(self->ino, devs, sizeof(devs)));
}

/* Unbinding the driver (as hot-unplug would) ----------------------------------- */

FIXTURE(unbind) {
	int efd;
	int fd;
	uint32_t handle;
	bool unbound;
	char bdf[32];
	struct th_stats base;
	const struct th_heap *heap;
};

FIXTURE_SETUP(unbind)
{
	char target[PATH_MAX];
	ssize_t n;

	self->efd = -1;
	self->fd = -1;
	self->efd = edu_open_or_skip();
	self->heap = dev_pick_heap("system");
	if (!self->heap)
		SKIP("no dma-buf heap in /dev/dma_heap");
	n = readlink(EDU_SYSFS, target, sizeof(target) - 1);
	ASSERT_GT(n, 0);
	target[n] = '\0';
	snprintf(self->bdf, sizeof(self->bdf), "%s", strrchr(target, '/') + 1);
	ASSERT_EQ(0, th_stats_read(self->heap, &self->base));
}

FIXTURE_TEARDOWN(unbind)
{
	if (self->unbound)
		th_write_file("/sys/bus/pci/drivers/edu_importer/bind",
			      self->bdf);
	if (self->fd >= 0)
		close(self->fd);
	if (self->efd >= 0)
		close(self->efd);
}

/*
 * The device goes away while a process has it open with a mapped
 * attachment: the driver unmaps and detaches at once, the open file only
 * gets ENODEV, and binding again gives a working node.
 */
TEST_F(unbind, unbind_drops_attachments)
{
	struct edu_importer_info info;
	struct edu_mapping *m = calloc(1, sizeof(*m));
	char devs[256];
	unsigned long ino;
	int efd2, ret;

	ASSERT_TRUE(m);
	ret = dev_get_mapped(self->efd, self->heap, SHARE_LEN,
			     EDU_IMPORTER_DIR_BIDIRECTIONAL, &self->fd,
			     &self->handle, m);
	free(m);
	if (ret == -EIO && !edu_sysfs_translated())
		SKIP("no %s buffer within the device's %u-bit DMA mask",
		     self->heap->name, EDU_DMA_BITS);
	ASSERT_EQ(0, ret);
	ino = dev_fd_ino(self->fd);
	ASSERT_EQ(1, dev_attached(ino, devs, sizeof(devs)));

	ASSERT_EQ(0, th_write_file("/sys/bus/pci/drivers/edu_importer/unbind",
				   self->bdf));
	self->unbound = true;
	EXPECT_EQ(0, dev_attached(ino, devs, sizeof(devs)));
	EXPECT_EQ(-ENODEV, edu_info(self->efd, &info));
	EXPECT_EQ(-ENODEV, edu_dma(self->efd, self->handle,
				   EDU_IMPORTER_DIR_TO_DEVICE, 0, 16, 0, NULL));
	EXPECT_EQ(-ENODEV, edu_detach(self->efd, self->handle));
	EXPECT_EQ(-1, access(EDU_NODE, F_OK));

	/* Only the fd holds the buffer now. */
	close(self->fd);
	self->fd = -1;
	ASSERT_STATS_BASELINE(self->heap, &self->base);

	ASSERT_EQ(0, th_write_file("/sys/bus/pci/drivers/edu_importer/bind",
				   self->bdf));
	self->unbound = false;
	efd2 = open(EDU_NODE, O_RDWR | O_CLOEXEC);
	ASSERT_GE(efd2, 0);
	EXPECT_EQ(0, edu_info(efd2, &info));
	EXPECT_EQ(EDU_DMA_MASK, info.dma_mask);
	close(efd2);
}

DEVICE_LOG_TESTS()

int main(int argc, char **argv)
{
	device_log_mark();
	return th_main(argc, argv);
}
