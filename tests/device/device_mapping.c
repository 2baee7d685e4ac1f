// SPDX-License-Identifier: GPL-2.0
/*
 * device_mapping: how a heap buffer looks to a device with a 28-bit DMA mask
 * (qemu's edu, through tests/kmod/edu_importer.ko; 32 bits on arm64), with
 * and without an IOMMU.
 *
 * The scattered buffer is allocated after punching holes in memory (see
 * punch_holes()), so that its chunks are not physical neighbours.
 *
 * Without an IOMMU (tests/vm/run --edu) the device sees physical addresses:
 *   no_iommu_map_many_segments       a scattered system-heap buffer is one
 *                                    DMA segment per chunk the heap
 *                                    allocated
 *   no_iommu_map_contiguous_single   a contiguous-heap buffer is one segment
 *   no_iommu_refuse_beyond_mask      a buffer the device cannot reach is
 *                                    refused cleanly (EIO), not bounced
 *
 * Refused, not bounced: with less than 4 GiB of RAM Debian's x86 kernel sets
 * up no swiotlb, so nothing could bounce, and dma-direct itself would fail
 * the mapping with a kernel WARNING ("DMA addr ... overflow").  dmaheap's
 * exporter checks the pages against the device's mask first and refuses
 * with EIO, quietly; it does so even where swiotlb exists, because a dma-buf
 * stays mapped for long.  The importer passes the EIO on.
 *
 * With intel-iommu (tests/vm/run --iommu --edu) the device sees IO virtual
 * addresses:
 *   iommu_map_one_iova_range         the same scattered buffer is one
 *                                    contiguous IOVA range
 *   iommu_dma_lands_in_right_page    device writes anywhere in it, across
 *                                    chunk and page boundaries, land where
 *                                    the CPU expects them
 *   iommu_refuse_beyond_iova_space   a buffer larger than the device's whole
 *                                    28-bit IOVA space is refused (ENOMEM)
 *
 * The two refusals SKIP where such a buffer does not fit in memory (arm64:
 * the device reaches 4 GiB).
 *
 * Cases for the other machine shape SKIP, as does everything without an edu
 * device.
 */
#define TH_CUSTOM_MAIN
#include "../harness.h"
#include "device.h"

/*
 * The scattered buffer: 16 MiB is 16 of the system heap's largest (1 MiB)
 * chunks; 5 more pages add single-page chunks.  Without an IOMMU the test
 * uses the whole-MiB size: the heap's 1 MiB chunks tend to lie low enough
 * for a 28-bit device, single pages often do not.
 */
#define SCATTER_LEN		(16 * TH_MiB)
#define SCATTER_TAIL_PAGES	5
#define SYSTEM_CHUNK_MAX	(1 * TH_MiB)

/* Holes punched in memory before a scattered buffer is allocated. */
#define NR_HOLES		16

/* Buffers a case may hold besides its own: kept chunks, refused, ballast. */
#define MAX_HELD		(NR_HOLES + 2 * (DEV_BALLAST_MAX / DEV_BALLAST_CHUNK))

/* Bigger than everything the device can address (28 bits: 257 MiB). */
#define BEYOND_LEN		(EDU_DMA_MASK + 1 + 1 * TH_MiB)

/*
 * SKIP when no buffer beyond the device's reach fits in this machine's
 * memory: a 32-bit device (arm64) reaches 4 GiB, more than the VM has.
 */
static void require_beyond_fits(void)
{
	uint64_t ram = th_ram_bytes();

	if (BEYOND_LEN > ram / 2)
		SKIP("a buffer beyond the device's %u-bit reach (%" PRIu64 " MiB) does not fit in %" PRIu64 " MiB of RAM",
		     EDU_DMA_BITS, (uint64_t)(BEYOND_LEN >> 20), ram >> 20);
}

FIXTURE(map) {
	int efd;
	int fd;
	uint32_t handle;
	uint8_t *p;
	uint64_t len;
	struct edu_mapping *m;
	int hold[MAX_HELD];
	int nhold;
};

FIXTURE_SETUP(map)
{
	self->efd = -1;
	self->fd = -1;
	self->p = MAP_FAILED;
	self->m = calloc(1, sizeof(*self->m));
	ASSERT_TRUE(self->m);
	self->efd = edu_open_or_skip();
}

static void release_holes(struct th_fixture_map *self)
{
	while (self->nhold)
		close(self->hold[--self->nhold]);
}

FIXTURE_TEARDOWN(map)
{
	if (self->p != MAP_FAILED)
		munmap(self->p, self->len);
	if (self->handle)
		edu_detach(self->efd, self->handle);
	if (self->fd >= 0)
		close(self->fd);
	if (self->efd >= 0)
		close(self->efd);
	release_holes(self);
	free(self->m);
}

static void hold_fd(struct th_fixture_map *self, int fd)
{
	if (self->nhold >= (int)MAX_HELD) {
		close(fd);
		FAIL("holding more than %d buffers", (int)MAX_HELD);
	}
	self->hold[self->nhold++] = fd;
}

/*
 * Can the device reach buffer @fd?  Attach, map, detach: 0 if it can, -EIO
 * if the exporter refused the mapping, or -errno.
 */
static int probe_reach(struct th_fixture_map *self, int fd)
{
	uint32_t handle = 0;
	int ret;

	ret = edu_attach(self->efd, fd, &handle, NULL);
	if (ret)
		return ret;
	ret = edu_map(self->efd, handle, EDU_IMPORTER_DIR_BIDIRECTIONAL,
		      self->m);
	edu_detach(self->efd, handle);
	return ret;
}

/*
 * Make the next big allocation scattered: allocate 2 * NR_HOLES chunk-sized
 * buffers and free every other one.  The freed chunks, each between two
 * that stay allocated until the case ends, are what the allocator hands out
 * next, so the buffer's chunks are not neighbours in physical memory.
 *
 * With @reachable, only chunks the device can reach count (the device has
 * no IOMMU): the others are kept, with ballast as in dev_get_mapped(), so
 * that the allocator moves on to memory below the DMA mask.
 */
static void punch_holes(struct th_fixture_map *self, const struct th_heap *h,
			bool reachable)
{
	int fds[2 * NR_HOLES], n = 0, i, ret;
	uint64_t ballast = 0;

	while (n < 2 * NR_HOLES) {
		int fd = th_alloc(h, SYSTEM_CHUNK_MAX);

		if (fd < 0) {
			while (n--)
				close(fds[n]);
			FAIL("allocating chunks to punch holes: %s",
			     strerror(-fd));
		}
		ret = reachable ? probe_reach(self, fd) : 0;
		if (!ret) {
			fds[n++] = fd;
			continue;
		}
		hold_fd(self, fd);
		if (ret != -EIO || ballast >= DEV_BALLAST_MAX) {
			while (n--)
				close(fds[n]);
			if (ret == -EIO)
				SKIP("no memory within the %u-bit DMA mask to punch holes in",
				     EDU_DMA_BITS);
			FAIL("probing a chunk: %s", strerror(-ret));
		}
		fd = th_alloc(h, DEV_BALLAST_CHUNK);
		if (fd >= 0)
			hold_fd(self, fd);
		ballast += DEV_BALLAST_CHUNK;
	}
	/* Only now free: a chunk freed earlier would be taken right back. */
	for (i = 0; i < 2 * NR_HOLES; i++) {
		if (i % 2)
			close(fds[i]);
		else
			hold_fd(self, fds[i]);
	}
}

static const struct th_heap *system_heap_or_skip(void)
{
	const struct th_heap *h = dev_find_heap("system");

	if (!h)
		SKIP("no system heap");
	return h;
}

/* Allocate, attach and map @len bytes of @h into the fixture. */
static int map_buffer(struct th_fixture_map *self, const struct th_heap *h,
		      uint64_t len)
{
	self->len = len;
	return dev_get_mapped(self->efd, h, len, EDU_IMPORTER_DIR_BIDIRECTIONAL,
			      &self->fd, &self->handle, self->m);
}

/* Log the mapping; returns how many segments start where the last ended. */
static uint32_t log_segments(const struct edu_mapping *m)
{
	uint32_t i, adjacent = 0;

	for (i = 1; i < m->nsegs && i < EDU_MAX_SEGS; i++)
		if (m->segs[i - 1].addr + m->segs[i - 1].len == m->segs[i].addr)
			adjacent++;
	TH_LOG("%u segment(s), %u of them right after the one before; first %#" PRIx64 "+%#" PRIx64,
	       m->nsegs, adjacent, (uint64_t)m->segs[0].addr,
	       (uint64_t)m->segs[0].len);
	return adjacent;
}

/* Without an IOMMU ------------------------------------------------------------ */

TEST_F(map, no_iommu_map_many_segments)
{
	const struct th_heap *h = system_heap_or_skip();
	const char *problem;
	uint32_t i;
	int ret;

	edu_require_iommu(false);
	edu_require_direct(self->efd);
	punch_holes(self, h, true);
	ret = map_buffer(self, h, SCATTER_LEN);
	if (ret == -EIO)
		SKIP("no system-heap buffer within the %u-bit DMA mask",
		     EDU_DMA_BITS);
	ASSERT_EQ(0, ret);
	/* Scattered: some segment does not continue the one before. */
	EXPECT_LT(log_segments(self->m), self->m->nsegs - 1);

	problem = edu_mapping_problem(self->m, self->len, EDU_DMA_MASK);
	if (problem)
		FAIL("%s", problem);
	/*
	 * dma-direct maps every chunk of the heap's sg_table on its own, and
	 * the heap's chunks are at most 1 MiB: at least 16 segments.
	 */
	EXPECT_GE(self->m->nsegs, SCATTER_LEN / SYSTEM_CHUNK_MAX);
	for (i = 0; i < self->m->nsegs; i++)
		EXPECT_LE(self->m->segs[i].len, SYSTEM_CHUNK_MAX);
}

TEST_F(map, no_iommu_map_contiguous_single)
{
	const struct th_heap *h = NULL;
	uint32_t transfers = 0;
	uint64_t contig;
	int i, ret;

	edu_require_iommu(false);
	edu_require_direct(self->efd);
	for (i = 0; i < th.nheaps && !h; i++)
		if (!th_sysfs_read(&th.heaps[i], "contiguous", &contig) &&
		    contig == 1)
			h = &th.heaps[i];
	if (!h)
		SKIP("no heap with contiguous = 1");

	ret = map_buffer(self, h, 2 * TH_MiB);
	if (ret == -EIO)
		SKIP("heap %s has no memory within the %u-bit DMA mask",
		     h->name, EDU_DMA_BITS);
	ASSERT_EQ(0, ret);
	log_segments(self->m);
	ASSERT_EQ(1, self->m->nsegs);
	EXPECT_EQ(2 * TH_MiB, self->m->segs[0].len);
	EXPECT_LE(self->m->segs[0].addr + self->m->segs[0].len - 1,
		  EDU_DMA_MASK);
	/* One segment: a range across the middle is one engine transfer. */
	ASSERT_EQ(0, edu_dma(self->efd, self->handle,
			     EDU_IMPORTER_DIR_TO_DEVICE, TH_MiB - 2000,
			     EDU_IMPORTER_DEV_BUF_SIZE, 0, &transfers));
	EXPECT_EQ(1, transfers);
}

TEST_F(map, no_iommu_refuse_beyond_mask)
{
	const struct th_heap *h = system_heap_or_skip();
	char devs[256];
	uint64_t size = 0;
	unsigned long ino;

	edu_require_iommu(false);
	edu_require_direct(self->efd);
	require_beyond_fits();
	self->len = BEYOND_LEN;
	self->fd = th_alloc(h, self->len);
	ASSERT_GE(self->fd, 0);
	ino = dev_fd_ino(self->fd);
	ASSERT_EQ(0, edu_attach(self->efd, self->fd, &self->handle, &size));
	EXPECT_EQ(BEYOND_LEN, size);

	/* Refused, and refused again: no half-made mapping is left behind. */
	EXPECT_EQ(-EIO, edu_map(self->efd, self->handle,
				EDU_IMPORTER_DIR_BIDIRECTIONAL, self->m));
	EXPECT_EQ(-EIO, edu_map(self->efd, self->handle,
				EDU_IMPORTER_DIR_TO_DEVICE, self->m));
	EXPECT_EQ(-EINVAL, edu_dma(self->efd, self->handle,
				   EDU_IMPORTER_DIR_TO_DEVICE, 0, 16, 0, NULL));
	EXPECT_EQ(-EINVAL, edu_unmap(self->efd, self->handle));
	EXPECT_EQ(1, dev_attached(ino, devs, sizeof(devs)));

	/* The buffer itself is fine for the CPU. */
	self->p = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->p);
	ASSERT_EQ(0, dbuf_sync(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	self->p[0] = 0x11;
	self->p[self->len - 1] = 0x22;
	EXPECT_EQ(0x11, self->p[0]);
	EXPECT_EQ(0x22, self->p[self->len - 1]);
	ASSERT_EQ(0, dbuf_sync(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));

	ASSERT_EQ(0, edu_detach(self->efd, self->handle));
	self->handle = 0;
	EXPECT_EQ(0, dev_attached(ino, devs, sizeof(devs)));
}

/* With an IOMMU ---------------------------------------------------------------- */

TEST_F(map, iommu_map_one_iova_range)
{
	const struct th_heap *h = system_heap_or_skip();
	static const uint64_t lens[] = {
		SCATTER_LEN,
		SCATTER_LEN + SCATTER_TAIL_PAGES * 4096,
	};
	unsigned int i;

	edu_require_iommu(true);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		const char *problem;

		release_holes(self);
		punch_holes(self, h, false);
		ASSERT_EQ(0, map_buffer(self, h, lens[i]));
		log_segments(self->m);
		problem = edu_mapping_problem(self->m, lens[i], EDU_DMA_MASK);
		if (problem)
			FAIL("%s", problem);
		EXPECT_EQ(1, self->m->nsegs);
		EXPECT_EQ(lens[i], self->m->segs[0].len);
		EXPECT_EQ(0, edu_detach(self->efd, self->handle));
		self->handle = 0;
		close(self->fd);
		self->fd = -1;
	}
}

TEST_F(map, iommu_dma_lands_in_right_page)
{
	const uint64_t len = SCATTER_LEN + SCATTER_TAIL_PAGES * 4096;
	const uint32_t n = EDU_IMPORTER_DEV_BUF_SIZE;
	/* Disjoint and in order: chunk starts and ends, the single pages. */
	const uint64_t offs[] = {
		100,				/* first page into the second */
		TH_MiB - 2000,			/* first 1 MiB chunk into the next */
		8 * TH_MiB + 5 * 4096 + 1,	/* inside a chunk, unaligned */
		SCATTER_LEN - 1000,		/* last big chunk into a single page */
		SCATTER_LEN + 2 * 4096 - 7,	/* across two single pages */
		len - n,			/* the very end */
	};
	const unsigned int nr = sizeof(offs) / sizeof(offs[0]);
	const struct th_heap *h = system_heap_or_skip();
	uint8_t data[EDU_IMPORTER_DEV_BUF_SIZE];
	uint32_t seed = dev_seed();
	uint64_t pos = 0;
	unsigned int i;

	edu_require_iommu(true);
	punch_holes(self, h, false);
	ASSERT_EQ(0, map_buffer(self, h, len));
	ASSERT_EQ(1, self->m->nsegs);
	self->p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		       0);
	ASSERT_NE(MAP_FAILED, self->p);
	ASSERT_EQ(0, dbuf_sync(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	memset(self->p, 0x3c, len);
	ASSERT_EQ(0, dbuf_sync(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));

	for (i = 0; i < nr; i++) {
		uint32_t transfers = 0;

		dev_fill(data, seed, offs[i], n);
		ASSERT_EQ(0, edu_dev_io(self->efd, true, data, 0, n));
		ASSERT_EQ(0, edu_dma(self->efd, self->handle,
				     EDU_IMPORTER_DIR_FROM_DEVICE, offs[i], n, 0,
				     &transfers));
		/* One IOVA range: one engine transfer, whatever it crosses. */
		EXPECT_EQ(1, transfers);
	}

	ASSERT_EQ(0, dbuf_sync(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	for (i = 0; i <= nr; i++) {
		uint64_t end = i < nr ? offs[i] : len;
		long long bad = th_find_not(self->p + pos, end - pos, 0x3c);

		if (bad >= 0)
			FAIL("byte %" PRIu64 " (page %" PRIu64 ") outside the DMA ranges is %#x",
			     (uint64_t)(pos + bad), (uint64_t)(pos + bad) / 4096,
			     self->p[pos + bad]);
		if (i == nr)
			break;
		bad = dev_check(self->p + end, seed, end, n);
		if (bad >= 0)
			FAIL("offset %" PRIu64 " (page %" PRIu64 ") holds %#x, the device wrote %#x",
			     (uint64_t)(end + bad), (uint64_t)(end + bad) / 4096,
			     self->p[end + bad], dev_pattern(seed, end + bad));
		pos = end + n;
	}
	ASSERT_EQ(0, dbuf_sync(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
}

TEST_F(map, iommu_refuse_beyond_iova_space)
{
	const struct th_heap *h = system_heap_or_skip();

	edu_require_iommu(true);
	require_beyond_fits();
	self->len = BEYOND_LEN;
	self->fd = th_alloc(h, self->len);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, edu_attach(self->efd, self->fd, &self->handle, NULL));
	EXPECT_EQ(-ENOMEM, edu_map(self->efd, self->handle,
				   EDU_IMPORTER_DIR_BIDIRECTIONAL, self->m));
	EXPECT_EQ(-EINVAL, edu_unmap(self->efd, self->handle));
	/* A buffer that fits is still mapped after the refusal. */
	ASSERT_EQ(0, edu_detach(self->efd, self->handle));
	self->handle = 0;
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, map_buffer(self, h, SCATTER_LEN));
	EXPECT_EQ(1, self->m->nsegs);
}

DEVICE_LOG_TESTS()

int main(int argc, char **argv)
{
	device_log_mark();
	return th_main(argc, argv);
}
