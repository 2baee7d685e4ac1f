// SPDX-License-Identifier: GPL-2.0
/*
 * device_dma: a real DMA master uses heap buffers.  qemu's edu PCI device,
 * driven by the test-only importer tests/kmod/edu_importer.ko, attaches to
 * a dma-buf from every heap, maps it and moves data with its DMA engine:
 *
 *   dma_cpu_to_device   the CPU writes through mmap between begin and
 *                       end_cpu_access; the device reads ranges of the
 *                       buffer and gets exactly those bytes
 *   dma_device_to_cpu   the device writes ranges; after begin_cpu_access the
 *                       CPU sees them, and nothing else changed
 *   map_report_segments the mapping covers the buffer within the DMA mask
 *
 * plus the importer's error handling.  The ranges sit at any offset and
 * cross pages and (without an IOMMU) DMA segments; the driver uses one
 * engine transfer per segment a range touches, which is checked too.
 * Everything SKIPs without an edu device (tests/vm/run --edu).
 */
#define TH_CUSTOM_MAIN
#include "../harness.h"
#include "device.h"

/* Two of the system heap's largest chunks: a segment boundary mid-buffer. */
#define XFER_LEN	(2 * TH_MiB)

struct xfer_range {
	uint64_t off;
	uint32_t len;
	uint32_t dev_off;
};

/* Disjoint, in buffer order; the longest the device takes is 4095 bytes. */
static const struct xfer_range xfer_ranges[] = {
	{ 0, EDU_IMPORTER_DEV_BUF_SIZE, 0 },
	{ 3 * 4096 + 17, 1234, 2000 },
	{ XFER_LEN / 2 - 1000, EDU_IMPORTER_DEV_BUF_SIZE, 0 },
	{ XFER_LEN - EDU_IMPORTER_DEV_BUF_SIZE, EDU_IMPORTER_DEV_BUF_SIZE, 0 },
};

#define NR_RANGES	(sizeof(xfer_ranges) / sizeof(xfer_ranges[0]))

FIXTURE(xfer) {
	int efd;
	int fd;
	uint32_t handle;
	uint8_t *p;
	uint32_t seed;
	struct edu_importer_info info;
	struct edu_mapping *m;
};

FIXTURE_SETUP(xfer)
{
	int ret;

	self->efd = -1;
	self->fd = -1;
	self->p = MAP_FAILED;
	self->m = calloc(1, sizeof(*self->m));
	ASSERT_TRUE(self->m);
	self->efd = edu_open_or_skip();
	ASSERT_EQ(0, edu_info(self->efd, &self->info));

	ret = dev_get_mapped(self->efd, heap, XFER_LEN,
			     EDU_IMPORTER_DIR_BIDIRECTIONAL, &self->fd,
			     &self->handle, self->m);
	if (ret == -EIO && !(self->info.flags & EDU_IMPORTER_INFO_TRANSLATED))
		SKIP("no %s buffer within the device's %u-bit DMA mask",
		     heap->name, EDU_DMA_BITS);
	ASSERT_EQ(0, ret);
	self->p = mmap(NULL, XFER_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->p);
	self->seed = dev_seed();
	TH_LOG("%s: %u DMA segment(s), seed %#x", heap->name, self->m->nsegs,
	       self->seed);
}

FIXTURE_TEARDOWN(xfer)
{
	if (self->p != MAP_FAILED)
		munmap(self->p, XFER_LEN);
	if (self->handle)
		edu_detach(self->efd, self->handle);
	if (self->fd >= 0)
		close(self->fd);
	if (self->efd >= 0)
		close(self->efd);
	free(self->m);
}

HEAP_TEST_F(xfer, map_report_segments)
{
	char bdf[64], target[PATH_MAX], devs[256];
	const char *problem;
	ssize_t n;
	int t;

	EXPECT_EQ(EDU_DMA_MASK, self->info.dma_mask);
	EXPECT_EQ(EDU_IMPORTER_DEV_BUF_SIZE, self->info.dev_buf_size);
	t = edu_sysfs_translated();
	ASSERT_GE(t, 0);
	EXPECT_EQ(t, !!(self->info.flags & EDU_IMPORTER_INFO_TRANSLATED));

	problem = edu_mapping_problem(self->m, XFER_LEN, self->info.dma_mask);
	if (problem)
		FAIL("mapping of %u segments: %s", self->m->nsegs, problem);

	/* The dma-buf core lists the PCI device as attached. */
	n = readlink(EDU_SYSFS, target, sizeof(target) - 1);
	ASSERT_GT(n, 0);
	target[n] = '\0';
	snprintf(bdf, sizeof(bdf), "%s\n", strrchr(target, '/') + 1);
	ASSERT_EQ(1, dev_attached(dev_fd_ino(self->fd), devs, sizeof(devs)));
	EXPECT_EQ(0, strcmp(devs, bdf));
}

HEAP_TEST_F(xfer, dma_cpu_to_device)
{
	uint8_t got[EDU_IMPORTER_DEV_BUF_SIZE];
	unsigned int i;

	ASSERT_EQ(0, dbuf_sync(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	dev_fill(self->p, self->seed, 0, XFER_LEN);
	ASSERT_EQ(0, dbuf_sync(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));

	for (i = 0; i < NR_RANGES; i++) {
		const struct xfer_range *r = &xfer_ranges[i];
		uint32_t transfers = 0;
		long long bad;

		ASSERT_EQ(0, edu_dma(self->efd, self->handle,
				     EDU_IMPORTER_DIR_TO_DEVICE, r->off, r->len,
				     r->dev_off, &transfers));
		EXPECT_EQ(edu_segs_touched(self->m, r->off, r->len), transfers);
		memset(got, 0, sizeof(got));
		ASSERT_EQ(0, edu_dev_io(self->efd, false, got, r->dev_off,
					r->len));
		bad = dev_check(got, self->seed, r->off, r->len);
		if (bad >= 0)
			FAIL("the device read %#x at buffer offset %" PRIu64
			     ", the CPU wrote %#x there", got[bad],
			     (uint64_t)(r->off + bad),
			     dev_pattern(self->seed, r->off + bad));
	}
}

HEAP_TEST_F(xfer, dma_device_to_cpu)
{
	uint8_t data[EDU_IMPORTER_DEV_BUF_SIZE];
	uint64_t pos = 0;
	unsigned int i;

	ASSERT_EQ(0, dbuf_sync(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	memset(self->p, 0xa5, XFER_LEN);
	ASSERT_EQ(0, dbuf_sync(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));

	for (i = 0; i < NR_RANGES; i++) {
		const struct xfer_range *r = &xfer_ranges[i];
		uint32_t transfers = 0;

		dev_fill(data, self->seed, r->off, r->len);
		ASSERT_EQ(0, edu_dev_io(self->efd, true, data, r->dev_off,
					r->len));
		ASSERT_EQ(0, edu_dma(self->efd, self->handle,
				     EDU_IMPORTER_DIR_FROM_DEVICE, r->off,
				     r->len, r->dev_off, &transfers));
		EXPECT_EQ(edu_segs_touched(self->m, r->off, r->len), transfers);
	}

	/* The device's bytes in the ranges, the CPU's everywhere else. */
	ASSERT_EQ(0, dbuf_sync(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	for (i = 0; i <= NR_RANGES; i++) {
		uint64_t end = i < NR_RANGES ? xfer_ranges[i].off : XFER_LEN;
		long long bad = th_find_not(self->p + pos, end - pos, 0xa5);

		if (bad >= 0)
			FAIL("byte %" PRIu64 " outside the DMA ranges changed to %#x",
			     (uint64_t)(pos + bad), self->p[pos + bad]);
		if (i == NR_RANGES)
			break;
		bad = dev_check(self->p + end, self->seed, end,
				xfer_ranges[i].len);
		if (bad >= 0)
			FAIL("the CPU sees %#x at offset %" PRIu64
			     ", the device wrote %#x", self->p[end + bad],
			     (uint64_t)(end + bad),
			     dev_pattern(self->seed, end + bad));
		pos = end + xfer_ranges[i].len;
	}
	ASSERT_EQ(0, dbuf_sync(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
}

/* Error handling -------------------------------------------------------------- */

FIXTURE(errs) {
	int efd;
	int fd;
	uint32_t handle;
	const struct th_heap *heap;
	struct edu_mapping *m;
};

FIXTURE_SETUP(errs)
{
	self->efd = -1;
	self->fd = -1;
	self->m = calloc(1, sizeof(*self->m));
	ASSERT_TRUE(self->m);
	self->efd = edu_open_or_skip();
	self->heap = dev_pick_heap("system");
	if (!self->heap)
		SKIP("no dma-buf heap in /dev/dma_heap");
	self->fd = th_alloc(self->heap, 64 * TH_KiB);
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(errs)
{
	if (self->handle)
		edu_detach(self->efd, self->handle);
	if (self->fd >= 0)
		close(self->fd);
	if (self->efd >= 0)
		close(self->efd);
	free(self->m);
}

TEST_F(errs, attach_rejects_non_dmabuf)
{
	uint32_t handle = 0;
	int pipefd[2];

	ASSERT_OK(pipe(pipefd));
	EXPECT_EQ(-EINVAL, edu_attach(self->efd, pipefd[0], &handle, NULL));
	close(pipefd[0]);
	close(pipefd[1]);
	EXPECT_EQ(-EBADF, edu_attach(self->efd, -1, &handle, NULL));
	EXPECT_EQ(-EBADF, edu_attach(self->efd, pipefd[0], &handle, NULL));
	EXPECT_EQ(0, handle);
}

TEST_F(errs, attach_keeps_own_reference)
{
	uint64_t size = 0;

	ASSERT_EQ(0, edu_attach(self->efd, self->fd, &self->handle, &size));
	EXPECT_NE(0, self->handle);
	EXPECT_EQ(64 * TH_KiB, size);
	EXPECT_EQ(-ENOENT, edu_detach(self->efd, self->handle + 1000));
	ASSERT_EQ(0, edu_detach(self->efd, self->handle));
	EXPECT_EQ(-ENOENT, edu_detach(self->efd, self->handle));
	self->handle = 0;
}

TEST_F(errs, attach_limit_per_file)
{
	uint32_t handles[EDU_IMPORTER_MAX_ATTACHMENTS], extra = 0;
	int i;

	for (i = 0; i < EDU_IMPORTER_MAX_ATTACHMENTS; i++)
		ASSERT_EQ(0, edu_attach(self->efd, self->fd, &handles[i], NULL));
	EXPECT_EQ(-ENOSPC, edu_attach(self->efd, self->fd, &extra, NULL));
	ASSERT_EQ(0, edu_detach(self->efd, handles[0]));
	EXPECT_EQ(0, edu_attach(self->efd, self->fd, &handles[0], NULL));
	for (i = 0; i < EDU_IMPORTER_MAX_ATTACHMENTS; i++)
		EXPECT_EQ(0, edu_detach(self->efd, handles[i]));
}

TEST_F(errs, dma_rejects_bad_requests)
{
	struct edu_importer_dma d;
	struct edu_importer_handle h;
	uint32_t t = 0;
	int ret;

	/* A buffer the device can reach, mapped for reading. */
	close(self->fd);
	self->fd = -1;
	ret = dev_get_mapped(self->efd, self->heap, 64 * TH_KiB,
			     EDU_IMPORTER_DIR_TO_DEVICE, &self->fd,
			     &self->handle, self->m);
	if (ret == -EIO && !edu_sysfs_translated())
		SKIP("no %s buffer within the device's DMA mask",
		     self->heap->name);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-EINVAL, edu_map(self->efd, self->handle,
				   EDU_IMPORTER_DIR_TO_DEVICE, self->m));

	/* Not mapped. */
	ASSERT_EQ(0, edu_unmap(self->efd, self->handle));
	EXPECT_EQ(-EINVAL, edu_dma(self->efd, self->handle,
				   EDU_IMPORTER_DIR_TO_DEVICE, 0, 16, 0, &t));
	EXPECT_EQ(-EINVAL, edu_unmap(self->efd, self->handle));
	EXPECT_EQ(-EINVAL, edu_map(self->efd, self->handle, 3, self->m));
	/* Mapping the same attachment again works. */
	ASSERT_EQ(0, edu_map(self->efd, self->handle,
			     EDU_IMPORTER_DIR_TO_DEVICE, self->m));

	/* The mapping is for reading: the device may not write. */
	EXPECT_EQ(-EINVAL, edu_dma(self->efd, self->handle,
				   EDU_IMPORTER_DIR_FROM_DEVICE, 0, 16, 0, &t));
	EXPECT_EQ(-EINVAL, edu_dma(self->efd, self->handle,
				   EDU_IMPORTER_DIR_BIDIRECTIONAL, 0, 16, 0, &t));
	EXPECT_EQ(-EINVAL, edu_dma(self->efd, self->handle, 9, 0, 16, 0, &t));
	/* Lengths and ranges. */
	EXPECT_EQ(-EINVAL, edu_dma(self->efd, self->handle,
				   EDU_IMPORTER_DIR_TO_DEVICE, 0, 0, 0, &t));
	EXPECT_EQ(-EINVAL, edu_dma(self->efd, self->handle,
				   EDU_IMPORTER_DIR_TO_DEVICE, 0,
				   EDU_IMPORTER_DEV_BUF_SIZE + 1, 0, &t));
	EXPECT_EQ(-EINVAL, edu_dma(self->efd, self->handle,
				   EDU_IMPORTER_DIR_TO_DEVICE, 0, 16,
				   EDU_IMPORTER_DEV_BUF_SIZE - 15, &t));
	EXPECT_EQ(-EINVAL, edu_dma(self->efd, self->handle,
				   EDU_IMPORTER_DIR_TO_DEVICE, 64 * TH_KiB, 1,
				   0, &t));
	EXPECT_EQ(-EINVAL, edu_dma(self->efd, self->handle,
				   EDU_IMPORTER_DIR_TO_DEVICE, 64 * TH_KiB - 15,
				   16, 0, &t));
	EXPECT_EQ(-EINVAL, edu_dma(self->efd, self->handle,
				   EDU_IMPORTER_DIR_TO_DEVICE, UINT64_MAX - 7,
				   16, 0, &t));
	EXPECT_EQ(-ENOENT, edu_dma(self->efd, self->handle + 1000,
				   EDU_IMPORTER_DIR_TO_DEVICE, 0, 16, 0, &t));
	/* Pad fields must be zero. */
	d = (struct edu_importer_dma){
		.handle = self->handle, .dir = EDU_IMPORTER_DIR_TO_DEVICE,
		.len = 16, .pad = 1,
	};
	EXPECT_ERRNO(ioctl(self->efd, EDU_IMPORTER_IOC_DMA, &d), EINVAL);
	h = (struct edu_importer_handle){ .handle = self->handle, .pad = 1 };
	EXPECT_ERRNO(ioctl(self->efd, EDU_IMPORTER_IOC_UNMAP, &h), EINVAL);
	EXPECT_ERRNO(ioctl(self->efd, EDU_IMPORTER_IOC_DETACH, &h), EINVAL);
	EXPECT_ERRNO(ioctl(self->efd, _IO(EDU_IMPORTER_IOC_MAGIC, 99)), ENOTTY);

	/* The largest valid request still works after all that. */
	EXPECT_EQ(0, edu_dma(self->efd, self->handle,
			     EDU_IMPORTER_DIR_TO_DEVICE,
			     64 * TH_KiB - EDU_IMPORTER_DEV_BUF_SIZE,
			     EDU_IMPORTER_DEV_BUF_SIZE, 0, &t));
	EXPECT_EQ(edu_segs_touched(self->m,
				   64 * TH_KiB - EDU_IMPORTER_DEV_BUF_SIZE,
				   EDU_IMPORTER_DEV_BUF_SIZE), t);
	EXPECT_EQ(0, edu_unmap(self->efd, self->handle));
	EXPECT_EQ(-EINVAL, edu_unmap(self->efd, self->handle));
}

TEST_F(errs, devbuf_rejects_bad_ranges)
{
	uint8_t data[EDU_IMPORTER_DEV_BUF_SIZE + 1] = { 0 };

	EXPECT_EQ(-EINVAL, edu_dev_io(self->efd, true, data, 0, 0));
	EXPECT_EQ(-EINVAL, edu_dev_io(self->efd, false, data, 0,
				      EDU_IMPORTER_DEV_BUF_SIZE + 1));
	EXPECT_EQ(-EINVAL, edu_dev_io(self->efd, true, data,
				      EDU_IMPORTER_DEV_BUF_SIZE, 1));
	EXPECT_EQ(-EINVAL, edu_dev_io(self->efd, false, data, 100,
				      EDU_IMPORTER_DEV_BUF_SIZE - 99));
	EXPECT_EQ(-EFAULT, edu_dev_io(self->efd, false, NULL, 0, 16));
	/* The whole usable device buffer round-trips. */
	dev_fill(data, 77, 0, EDU_IMPORTER_DEV_BUF_SIZE);
	ASSERT_EQ(0, edu_dev_io(self->efd, true, data, 0,
				EDU_IMPORTER_DEV_BUF_SIZE));
	memset(data, 0, sizeof(data));
	ASSERT_EQ(0, edu_dev_io(self->efd, false, data, 0,
				EDU_IMPORTER_DEV_BUF_SIZE));
	EXPECT_EQ(-1, dev_check(data, 77, 0, EDU_IMPORTER_DEV_BUF_SIZE));
}

DEVICE_LOG_TESTS()

int main(int argc, char **argv)
{
	device_log_mark();
	return th_main(argc, argv);
}
