// SPDX-License-Identifier: GPL-2.0
/*
 * heap_movable: no heap takes its buffers from ZONE_MOVABLE.  Memory there
 * must stay movable so that it can be offlined (virtio-mem, ACPI hot-unplug,
 * movablecore=); a buffer pins its pages for as long as it lives.
 *
 * Boot with tests/vm/run --mem 2048 --append movablecore=512M: every heap is
 * allocated from until it says ENOMEM (all of them together), no page of
 * any buffer may lie in the Movable zone, and with all of that still held a
 * memory block of the Movable zone that went offline before the
 * allocations must go offline again (and then online).  Without a Movable
 * zone, or without a block that can go offline at all, the case SKIPs.
 */
#include <sys/resource.h>

#include "heap_util.h"

#define CHUNK		(8 * TH_MiB)
#define MAX_HELD	512
#define MEM_SYSFS	"/sys/devices/system/memory"

/* The first Movable zone's page frames [*start, *end); false if none. */
static bool movable_zone(uint64_t *start, uint64_t *end)
{
	uint64_t spanned = 0, first = 0;
	bool in = false, found = false;
	char line[256];
	FILE *f = fopen("/proc/zoneinfo", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " ");

		if (!strncmp(line, "Node", 4)) {
			if (in)
				break;
			in = strstr(line, "zone") && strstr(line, "Movable");
			continue;
		}
		if (!in)
			continue;
		if (!strncmp(p, "spanned", 7))
			spanned = strtoull(p + 7, NULL, 10);
		else if (!strncmp(p, "start_pfn:", 10)) {
			first = strtoull(p + 10, NULL, 10);
			found = true;
		}
	}
	fclose(f);
	if (!found || !spanned)
		return false;
	*start = first;
	*end = first + spanned;
	return true;
}

/* Does any page of dma-buf @fd lie in [start, end) (page frames)? */
static bool buffer_in_range(int ifd, int fd, uint64_t start, uint64_t end)
{
	struct dmaheap_inspect_segment segs[HU_MAX_SEGS];
	size_t page = th_page_size();
	unsigned int count = 0, i;

	ASSERT_EQ(0, hu_segments(ifd, fd, segs, HU_MAX_SEGS, &count));
	ASSERT_LE(count, HU_MAX_SEGS);
	for (i = 0; i < count; i++) {
		uint64_t s = segs[i].phys / page;
		uint64_t e = (segs[i].phys + segs[i].len) / page;

		if (s < end && start < e) {
			TH_LOG("segment at pfn %#" PRIx64 "+%#" PRIx64
			       " lies in the Movable zone",
			       s, e - s);
			return true;
		}
	}
	return false;
}

/* Take memory block @n offline; 0 or -errno. */
static int block_offline(long n)
{
	char path[128];

	snprintf(path, sizeof(path), MEM_SYSFS "/memory%ld/state", n);
	return th_write_file(path, "offline");
}

/* Bring memory block @n back, into the Movable zone. */
static int block_online(long n)
{
	char path[128];

	snprintf(path, sizeof(path), MEM_SYSFS "/memory%ld/state", n);
	return th_write_file(path, "online_movable");
}

/*
 * Whether page frames [first, last] hold part of the kernel image: the
 * "Kernel code/rodata/data/bss" lines of /proc/iomem (addresses shown to
 * root only).
 */
static bool holds_kernel_image(uint64_t first, uint64_t last)
{
	uint64_t page = th_page_size();
	bool found = false;
	char line[256];
	FILE *f = fopen("/proc/iomem", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long a, b;

		if (!strstr(line, ": Kernel ") ||
		    sscanf(line, " %llx-%llx", &a, &b) != 2)
			continue;
		found = a / page <= last && b / page >= first;
	}
	fclose(f);
	return found;
}

/*
 * An online memory block entirely inside [start, end) that goes offline
 * (and comes back) before anything is allocated; -1 if none does.
 *
 * Not every such block can: boot-time allocations are PageReserved
 * wherever they landed (the kernel image among them, placed at random by
 * KASLR), and a reserved page makes the whole block unofflinable.  Trying
 * makes the kernel log a page dump ("page dumped because: unmovable
 * page"), which the log check counts as a problem, so the block that holds
 * the kernel image is not tried.
 */
static long offlinable_block(uint64_t start, uint64_t end)
{
	char buf[64];
	uint64_t block_pages;
	long n;

	ASSERT_EQ(0, th_read_file(MEM_SYSFS "/block_size_bytes", buf,
				  sizeof(buf)));
	block_pages = strtoull(buf, NULL, 16) / th_page_size();
	ASSERT_GT(block_pages, 0);
	for (n = (long)((start + block_pages - 1) / block_pages);
	     (uint64_t)(n + 1) * block_pages <= end; n++) {
		char path[128], state[32] = "";
		int ret;

		snprintf(path, sizeof(path), MEM_SYSFS "/memory%ld/state", n);
		if (th_read_file(path, state, sizeof(state)) ||
		    strncmp(state, "online", 6))
			continue;
		if (holds_kernel_image(n * block_pages,
				       (n + 1) * block_pages - 1)) {
			TH_LOG("before allocating: memory block %ld holds the kernel image: not tried",
			       n);
			continue;
		}
		ret = block_offline(n);
		TH_LOG("before allocating: offlining memory block %ld: %s",
		       n, ret ? strerror(-ret) : "done");
		if (ret)
			continue;
		ASSERT_EQ(0, block_online(n));
		return n;
	}
	return -1;
}

TEST_TIMEOUT(no_buffer_in_movable_zone, 600)
{
	struct rlimit rl = { MAX_HELD + 64, MAX_HELD + 64 };
	bool done[TH_MAX_HEAPS] = { false };
	int *fds, *owner, nfds = 0, left, i, ifd, ret;
	uint64_t start, end;
	long block;

	if (!movable_zone(&start, &end))
		SKIP("no Movable zone (boot with --mem 2048 --append movablecore=512M)");
	TH_LOG("Movable zone: pfn %#" PRIx64 "-%#" PRIx64, start, end);
	block = offlinable_block(start, end);
	if (block < 0)
		SKIP("no memory block of the Movable zone goes offline even with nothing allocated (boot-time reserved pages in each: see the kernel log)");
	ASSERT_OK(setrlimit(RLIMIT_NOFILE, &rl));
	fds = calloc(MAX_HELD, sizeof(*fds));
	owner = calloc(MAX_HELD, sizeof(*owner));
	ASSERT_TRUE(fds && owner);
	ifd = hu_inspect_open();

	/* Every heap at once, round robin, until each says no. */
	for (left = th.nheaps; left > 0 && nfds < MAX_HELD;) {
		for (i = 0; i < th.nheaps && nfds < MAX_HELD; i++) {
			int fd;

			if (done[i])
				continue;
			fd = th_alloc(&th.heaps[i], CHUNK);
			if (fd < 0) {
				EXPECT_EQ(-ENOMEM, fd);
				done[i] = true;
				left--;
				continue;
			}
			owner[nfds] = i;
			fds[nfds++] = fd;
		}
	}
	TH_LOG("%d buffers of %d MiB held", nfds, (int)(CHUNK / TH_MiB));
	for (i = 0; i < nfds; i++)
		if (buffer_in_range(ifd, fds[i], start, end))
			FAIL("a %s buffer has pages in the Movable zone",
			     th.heaps[owner[i]].name);

	/* With all of it held, that movable memory can still go away. */
	ret = block_offline(block);
	TH_LOG("offlining memory block %ld: %s", block,
	       ret ? strerror(-ret) : "done");
	EXPECT_EQ(0, ret);
	if (!ret)
		EXPECT_EQ(0, block_online(block));

	while (nfds)
		close(fds[--nfds]);
	free(fds);
	free(owner);
	close(ifd);
}
