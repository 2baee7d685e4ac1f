// SPDX-License-Identifier: GPL-2.0
/*
 * stats: the per-heap statistics in /sys/class/dmaheap/<heap>/ (see
 * docs/DESIGN.md, "sysfs").  Exact counts for allocations and frees, which
 * failures count as failed_allocs (well-formed requests the core or the heap
 * refused: over the cap, out of memory, or an answer it could not write back;
 * malformed requests do not count), the peak watermark and its reset, file
 * modes, and access for non-root users.
 */
#include <grp.h>

#include "harness.h"

#define NOBODY	65534

static const char *const all_files[] = {
	"buffers", "bytes", "peak_bytes", "total_allocs", "failed_allocs",
	"limit_bytes", "uncached", "contiguous",
};

#define NFILES	(sizeof(all_files) / sizeof(all_files[0]))

HEAP_TEST(stats_counts)
{
	size_t page = th_page_size();
	const uint64_t asked[3] = { 1, 100 * TH_KiB, TH_MiB + 1 };
	uint64_t sum = 0;
	struct th_stats base, now;
	int fds[3], i;

	ASSERT_EQ(0, th_stats_read(heap, &base));
	ASSERT_GE(base.peak_bytes, base.bytes);
	for (i = 0; i < 3; i++) {
		fds[i] = th_alloc(heap, asked[i]);
		ASSERT_GE(fds[i], 0);
		sum += th_page_align(asked[i]);
	}
	ASSERT_EQ(page + 100 * TH_KiB + TH_MiB + page, sum);

	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(base.buffers + 3, now.buffers);
	EXPECT_EQ(base.bytes + sum, now.bytes);
	EXPECT_EQ(base.total_allocs + 3, now.total_allocs);
	EXPECT_EQ(base.failed_allocs, now.failed_allocs);
	EXPECT_GE(now.peak_bytes, now.bytes);

	/* Free one: only the live counts move. */
	close(fds[1]);
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(base.buffers + 2, now.buffers);
	EXPECT_EQ(base.bytes + sum - 100 * TH_KiB, now.bytes);
	EXPECT_EQ(base.total_allocs + 3, now.total_allocs);
	EXPECT_GE(now.peak_bytes, base.bytes + sum);

	close(fds[0]);
	close(fds[2]);
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(base.buffers, now.buffers);
	EXPECT_EQ(base.bytes, now.bytes);
	EXPECT_EQ(base.total_allocs + 3, now.total_allocs);
	EXPECT_EQ(base.failed_allocs, now.failed_allocs);
	EXPECT_GE(now.peak_bytes, base.bytes + sum);
}

HEAP_TEST(stats_failed_allocs)
{
	size_t page = th_page_size();
	struct dma_heap_allocation_data *ro;
	struct dma_heap_allocation_data d = { .fd_flags = O_RDWR };
	struct th_stats base, now;
	uint64_t limit;
	int heap_fd;

	ASSERT_EQ(0, th_sysfs_read(heap, "limit_bytes", &limit));
	heap_fd = th_heap_open(heap);
	ASSERT_GE(heap_fd, 0);
	ASSERT_EQ(0, th_stats_read(heap, &base));

	/* Over the cap: counted. */
	d.len = limit + page;
	ASSERT_ERRNO(ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &d), ENOMEM);
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(base.failed_allocs + 1, now.failed_allocs);
	EXPECT_EQ(base.total_allocs, now.total_allocs);
	EXPECT_EQ(base.buffers, now.buffers);
	EXPECT_EQ(base.bytes, now.bytes);

	/* Malformed requests never reach the heap: not counted. */
	d.len = 0;
	ASSERT_ERRNO(ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &d), EINVAL);
	d.len = page;
	d.heap_flags = 1;
	ASSERT_ERRNO(ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &d), EINVAL);
	d.heap_flags = 0;
	ASSERT_ERRNO(ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, NULL), EFAULT);
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(base.failed_allocs + 1, now.failed_allocs);

	/* Allocated but not handed over (answer not writable): counted. */
	ro = mmap(NULL, page, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ro->len = page;
	ro->fd_flags = O_RDWR | O_CLOEXEC;
	ASSERT_OK(mprotect(ro, page, PROT_READ));
	ASSERT_ERRNO(ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, ro), EFAULT);
	munmap(ro, page);
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(base.failed_allocs + 2, now.failed_allocs);
	EXPECT_EQ(base.total_allocs, now.total_allocs);
	EXPECT_EQ(base.buffers, now.buffers);
	EXPECT_EQ(base.bytes, now.bytes);
	close(heap_fd);
}

#define BUDGET_PARAM	"/sys/module/dmaheap/parameters/budget_bytes"

/*
 * A request the caps let through but the heap itself cannot serve (more
 * than there is) was never a buffer: bytes, buffers and peak_bytes stay as
 * they were, and only failed_allocs counts it.
 */
HEAP_TEST(stats_refused_not_charged)
{
	char saved_limit[32] = "", saved_budget[32] = "";
	uint64_t huge = 1ULL << 40, limit = 0;
	struct th_stats base, now;
	char num[32];
	int fd;

	ASSERT_EQ(0, th_sysfs_write(heap, "peak_bytes", "0"));
	ASSERT_EQ(0, th_stats_read(heap, &base));
	ASSERT_EQ(0, th_sysfs_read(heap, "limit_bytes", &limit));
	snprintf(saved_limit, sizeof(saved_limit), "%" PRIu64, limit);
	ASSERT_EQ(0, th_read_file(BUDGET_PARAM, saved_budget,
				  sizeof(saved_budget)));
	snprintf(num, sizeof(num), "%" PRIu64, huge);
	ASSERT_EQ(0, th_sysfs_write(heap, "limit_bytes", num));
	ASSERT_EQ(0, th_write_file(BUDGET_PARAM, num));

	fd = th_alloc(heap, 2 * th_ram_bytes());
	EXPECT_EQ(-ENOMEM, fd);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, th_stats_read(heap, &now));

	EXPECT_EQ(0, th_write_file(BUDGET_PARAM, saved_budget));
	EXPECT_EQ(0, th_sysfs_write(heap, "limit_bytes", saved_limit));
	EXPECT_EQ(base.bytes, now.bytes);
	EXPECT_EQ(base.buffers, now.buffers);
	EXPECT_EQ(base.peak_bytes, now.peak_bytes);
	EXPECT_EQ(base.total_allocs, now.total_allocs);
	EXPECT_EQ(base.failed_allocs + 1, now.failed_allocs);
}

HEAP_TEST(stats_peak_reset)
{
	struct th_stats base, now;
	size_t len = 4 * TH_MiB;
	int fd;

	ASSERT_EQ(0, th_stats_read(heap, &base));
	fd = th_alloc_large(heap, len);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_GE(now.peak_bytes, base.bytes + len);
	close(fd);

	/* The watermark stays up after the free ... */
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_GE(now.peak_bytes, base.bytes + len);
	/* ... until root writes 0: it restarts from the live bytes. */
	ASSERT_EQ(0, th_sysfs_write(heap, "peak_bytes", "0"));
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(now.bytes, now.peak_bytes);
	EXPECT_EQ(base.bytes, now.peak_bytes);

	/* Only 0 resets it. */
	EXPECT_EQ(-EINVAL, th_sysfs_write(heap, "peak_bytes", "5"));
	EXPECT_EQ(-EINVAL, th_sysfs_write(heap, "peak_bytes", "x"));
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(base.bytes, now.peak_bytes);

	/* And it rises again with the next buffer. */
	fd = th_alloc(heap, len / 2);
	ASSERT_GE(fd, 0);
	close(fd);
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(base.bytes + len / 2, now.peak_bytes);
}

HEAP_TEST(stats_file_modes)
{
	char path[256];
	struct stat st;
	size_t i;

	for (i = 0; i < NFILES; i++) {
		bool writable = !strcmp(all_files[i], "limit_bytes") ||
				!strcmp(all_files[i], "peak_bytes");

		snprintf(path, sizeof(path), "%s/%s", heap->sysfs, all_files[i]);
		ASSERT_OK(stat(path, &st));
		if ((st.st_mode & 07777) != (writable ? 0644u : 0444u))
			TH_LOG("%s has mode %04o", path, st.st_mode & 07777);
		EXPECT_EQ(writable ? 0644 : 0444, st.st_mode & 07777);
		EXPECT_EQ(0, st.st_uid);
	}
}

/* The dev file names the node's device number. */
HEAP_TEST(stats_dev)
{
	char path[256], buf[32], want[32];
	struct stat st;

	ASSERT_OK(stat(heap->dev, &st));
	snprintf(path, sizeof(path), "%s/dev", heap->sysfs);
	ASSERT_EQ(0, th_read_file(path, buf, sizeof(buf)));
	snprintf(want, sizeof(want), "%u:%u\n", major(st.st_rdev),
		 minor(st.st_rdev));
	if (strcmp(buf, want))
		TH_LOG("dev file says '%s', node is %s", buf, want);
	ASSERT_EQ(0, strcmp(buf, want));
}

HEAP_TEST(stats_properties)
{
	uint64_t uncached, contiguous;

	ASSERT_EQ(0, th_sysfs_read(heap, "uncached", &uncached));
	ASSERT_EQ(0, th_sysfs_read(heap, "contiguous", &contiguous));
	ASSERT_LE(uncached, 1);
	ASSERT_LE(contiguous, 1);
	/* The system heap is cached, scattered pages. */
	if (!strcmp(heap->name, "system")) {
		ASSERT_EQ(0, uncached);
		ASSERT_EQ(0, contiguous);
	}
	if (strstr(heap->name, "uncached"))
		ASSERT_EQ(1, uncached);
}

HEAP_TEST(stats_nonroot)
{
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char path[256];
		uint64_t val;
		size_t i;

		ASSERT_OK(setgroups(0, NULL));
		ASSERT_OK(setgid(NOBODY));
		ASSERT_OK(setuid(NOBODY));
		ASSERT_EQ(NOBODY, geteuid());
		for (i = 0; i < NFILES; i++) {
			snprintf(path, sizeof(path), "%s/%s", heap->sysfs,
				 all_files[i]);
			EXPECT_EQ(0, th_read_u64_path(path, &val));
		}
		/* Writing is root's. */
		EXPECT_EQ(-EACCES, th_sysfs_write(heap, "limit_bytes", "1M"));
		EXPECT_EQ(-EACCES, th_sysfs_write(heap, "peak_bytes", "0"));
		/* And so is the node. */
		EXPECT_ERRNO(open(heap->dev, O_RDWR), EACCES);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}
