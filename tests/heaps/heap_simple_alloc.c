// SPDX-License-Identifier: GPL-2.0
/*
 * heap_simple_alloc: the 2017 simple allocator RFC's interface, served by
 * the dmaheap_simple_alloc front-end (include/uapi/linux/simple_allocator.h).
 *
 * The RFC's example program, written afresh, runs against /dev/cma0 (or
 * the first node there is); then the ioctl's contract: the real
 * page-aligned length comes back, every malformed request is refused with
 * the right errno and leaves nothing behind, and allocations count against
 * the heap behind the node.
 */
#include "heap_util.h"

#include <linux/simple_allocator.h>

#define MAX_NODES	32

struct sa_node {
	char dev[PATH_MAX];	/* /dev/<node> */
	struct th_heap heap;	/* the heap behind it */
};

/* The front-end's nodes, from /sys/class/misc/<node>/heap; SKIPs if none. */
static int sa_nodes(struct sa_node *nodes)
{
	struct dirent *de;
	int n = 0;
	DIR *dir;

	dir = opendir("/sys/class/misc");
	if (!dir)
		SKIP("no /sys/class/misc");
	while ((de = readdir(dir)) && n < MAX_NODES) {
		char path[PATH_MAX], heap[80];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/misc/%s/heap",
			 de->d_name);
		if (th_read_file(path, heap, sizeof(heap)))
			continue;
		heap[strcspn(heap, "\n")] = '\0';
		snprintf(nodes[n].dev, sizeof(nodes[n].dev), "/dev/%s",
			 de->d_name);
		hu_heap(&nodes[n].heap, heap);
		n++;
	}
	closedir(dir);
	if (!n)
		SKIP("dmaheap_simple_alloc is not loaded");
	return n;
}

/* The node to use for single-node cases: /dev/cma0 if it exists. */
static struct sa_node sa_pick(void)
{
	struct sa_node nodes[MAX_NODES];
	int n = sa_nodes(nodes), i;

	for (i = 0; i < n; i++)
		if (!strcmp(nodes[i].dev, "/dev/cma0"))
			return nodes[i];
	return nodes[0];
}

static int sa_alloc(int node_fd, struct simple_allocate_data *data)
{
	return ioctl(node_fd, SA_IOC_ALLOC, data) ? -errno : 0;
}

/*
 * The RFC's example, in spirit: open the node, ask for 16 KiB, map the
 * dma-buf, write it, read it back, close everything.
 */
TEST(rfc_example)
{
	struct sa_node node = sa_pick();
	struct simple_allocate_data data = { 0 };
	size_t len = 16 * TH_KiB;
	uint8_t *mem;
	int fd;

	fd = open(node.dev, O_RDWR);
	ASSERT_GE(fd, 0);
	data.length = len;
	data.flags = O_RDWR;
	ASSERT_EQ(0, sa_alloc(fd, &data));
	ASSERT_GE(data.fd, 0);
	ASSERT_EQ(len, data.length);

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, data.fd, 0);
	ASSERT_NE(MAP_FAILED, mem);
	EXPECT_EQ(-1, th_find_not(mem, len, 0));
	memset(mem, 0xfe, len);
	EXPECT_EQ(-1, th_find_not(mem, len, 0xfe));
	munmap(mem, len);
	close(data.fd);
	close(fd);
}

/* Every node allocates from its heap, and the heap's statistics say so. */
TEST(every_node_allocates)
{
	struct sa_node nodes[MAX_NODES];
	int n = sa_nodes(nodes), i;

	for (i = 0; i < n; i++) {
		struct simple_allocate_data data = { .length = TH_MiB,
						      .flags = O_RDWR };
		struct th_stats before, during;
		uint8_t *p;
		int fd;

		ASSERT_EQ(0, th_stats_read(&nodes[i].heap, &before));
		fd = open(nodes[i].dev, O_RDWR | O_CLOEXEC);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, sa_alloc(fd, &data));
		ASSERT_EQ(0, th_stats_read(&nodes[i].heap, &during));
		EXPECT_EQ(before.buffers + 1, during.buffers);
		EXPECT_EQ(before.bytes + TH_MiB, during.bytes);
		EXPECT_EQ(before.total_allocs + 1, during.total_allocs);
		p = mmap(NULL, TH_MiB, PROT_READ | PROT_WRITE, MAP_SHARED,
			 data.fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(-1, th_find_not(p, TH_MiB, 0));
		munmap(p, TH_MiB);
		close(data.fd);
		close(fd);
		ASSERT_STATS_BASELINE(&nodes[i].heap, &before);
	}
}

/* The length that comes back is the real one: whole pages. */
TEST(alloc_returns_page_aligned_length)
{
	struct sa_node node = sa_pick();
	uint64_t page = th_page_size();
	const uint64_t lens[] = { 1, page - 1, page, page + 1, 3 * page + 7 };
	size_t i;
	int fd;

	fd = open(node.dev, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct simple_allocate_data data = { .length = lens[i],
						      .flags = O_RDWR };
		struct stat st;

		ASSERT_EQ(0, sa_alloc(fd, &data));
		EXPECT_EQ(th_page_align(lens[i]), data.length);
		/* A dma-buf's size shows as its file size. */
		ASSERT_EQ(0, fstat(data.fd, &st));
		EXPECT_EQ(data.length, st.st_size);
		close(data.fd);
	}
	close(fd);
}

/* Malformed requests: EINVAL, no fd, no buffer, nothing counted. */
TEST(alloc_rejects_malformed)
{
	struct sa_node node = sa_pick();
	struct simple_allocate_data good = { .length = 4096, .flags = O_RDWR };
	struct simple_allocate_data bad[7];
	struct th_stats base;
	int fd, fds_before, i;

	for (i = 0; i < 7; i++)
		bad[i] = good;
	bad[0].version = 1;
	bad[1].reserved1 = 1;
	bad[2].reserved2 = 0x80000000u;
	bad[3].flags = O_RDWR | O_NONBLOCK;
	bad[4].flags = O_RDWR | O_APPEND;
	bad[5].length = 0;
	bad[6].length = ~0ULL;

	fd = open(node.dev, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, th_stats_read(&node.heap, &base));
	fds_before = th_count_fds();
	for (i = 0; i < 7; i++) {
		bad[i].fd = -7;
		if (sa_alloc(fd, &bad[i]) != -EINVAL)
			TH_LOG("request %d was not refused with EINVAL", i);
		EXPECT_EQ(-EINVAL, sa_alloc(fd, &bad[i]));
		/* Nothing was written back. */
		EXPECT_EQ(-7, bad[i].fd);
	}
	EXPECT_EQ(fds_before, th_count_fds());
	ASSERT_STATS_BASELINE(&node.heap, &base);
	close(fd);
}

/* Other commands are not ours: ENOTTY. */
TEST(ioctl_unknown_cmd_enotty)
{
	struct sa_node node = sa_pick();
	struct simple_allocate_data data = { .length = 4096, .flags = O_RDWR };
	int fd = open(node.dev, O_RDWR | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	EXPECT_ERRNO(ioctl(fd, _IOWR('S', 1, struct simple_allocate_data),
			   &data), ENOTTY);
	/* The same number with another size is another command. */
	EXPECT_ERRNO(ioctl(fd, _IOWR('S', 0, uint64_t), &data), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IOR('S', 0, struct simple_allocate_data),
			   &data), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, DMA_HEAP_IOCTL_ALLOC, &data), ENOTTY);
	close(fd);
}

/*
 * Bad pointers: EFAULT.  When the struct can be read but not written back,
 * the buffer is already allocated: it must be freed and no fd left.
 */
TEST(alloc_bad_pointer_efault)
{
	struct sa_node node = sa_pick();
	struct simple_allocate_data *ro;
	struct th_stats base, now;
	int fd, fds_before;

	fd = open(node.dev, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, th_stats_read(&node.heap, &base));
	fds_before = th_count_fds();
	EXPECT_ERRNO(ioctl(fd, SA_IOC_ALLOC, NULL), EFAULT);

	ro = mmap(NULL, th_page_size(), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ro->length = TH_MiB;
	ro->flags = O_RDWR;
	ASSERT_EQ(0, mprotect(ro, th_page_size(), PROT_READ));
	EXPECT_ERRNO(ioctl(fd, SA_IOC_ALLOC, ro), EFAULT);
	munmap(ro, th_page_size());

	EXPECT_EQ(fds_before, th_count_fds());
	ASSERT_STATS_BASELINE(&node.heap, &base);
	/* The write-back failure counts as a failed request, not a success. */
	ASSERT_EQ(0, th_stats_read(&node.heap, &now));
	EXPECT_EQ(base.total_allocs, now.total_allocs);
	EXPECT_EQ(base.failed_allocs + 1, now.failed_allocs);
	close(fd);
}

/* flags: O_CLOEXEC reaches the fd, and so does the access mode. */
TEST(alloc_fd_flags)
{
	struct sa_node node = sa_pick();
	int fd = open(node.dev, O_RDWR | O_CLOEXEC), flags;
	struct simple_allocate_data data = { .length = 4096 };

	ASSERT_GE(fd, 0);
	data.flags = O_RDWR | O_CLOEXEC;
	ASSERT_EQ(0, sa_alloc(fd, &data));
	flags = fcntl(data.fd, F_GETFD);
	EXPECT_TRUE(flags & FD_CLOEXEC);
	EXPECT_EQ(O_RDWR, fcntl(data.fd, F_GETFL) & O_ACCMODE);
	close(data.fd);

	data.flags = O_RDONLY;
	ASSERT_EQ(0, sa_alloc(fd, &data));
	flags = fcntl(data.fd, F_GETFD);
	EXPECT_FALSE(flags & FD_CLOEXEC);
	EXPECT_EQ(O_RDONLY, fcntl(data.fd, F_GETFL) & O_ACCMODE);
	close(data.fd);
	close(fd);
}

/* Over the heap's cap: ENOMEM, counted as a failure, nothing kept. */
TEST(alloc_over_cap_enomem)
{
	struct sa_node node = sa_pick();
	struct simple_allocate_data data = { .flags = O_RDWR };
	struct th_stats base, now;
	uint64_t limit = 0;
	int fd;

	ASSERT_EQ(0, th_sysfs_read(&node.heap, "limit_bytes", &limit));
	fd = open(node.dev, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, th_stats_read(&node.heap, &base));
	data.length = limit + th_page_size();
	EXPECT_EQ(-ENOMEM, sa_alloc(fd, &data));
	ASSERT_EQ(0, th_stats_read(&node.heap, &now));
	EXPECT_EQ(base.failed_allocs + 1, now.failed_allocs);
	ASSERT_STATS_BASELINE(&node.heap, &base);
	close(fd);
}

/* Nodes are root-only character devices named after their heap's base. */
TEST(nodes_are_private)
{
	struct sa_node nodes[MAX_NODES];
	int n = sa_nodes(nodes), i;

	for (i = 0; i < n; i++) {
		struct stat st;

		ASSERT_EQ(0, stat(nodes[i].dev, &st));
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(0600, st.st_mode & 0777);
		EXPECT_EQ(0, st.st_uid);
	}
}

/*
 * The heap behind a node goes away (its module is unloaded): ENODEV.  It
 * comes back (reloaded): the same node allocates again.
 */
TEST(alloc_heap_gone_enodev)
{
	struct sa_node nodes[MAX_NODES], *node = NULL;
	struct simple_allocate_data data = { .length = 4096, .flags = O_RDWR };
	int n = sa_nodes(nodes), i, fd, ret;
	char params[512];

	for (i = 0; i < n; i++)
		if (!strcmp(nodes[i].heap.name, "system-uncached"))
			node = &nodes[i];
	if (!node)
		SKIP("no node for system-uncached");
	fd = open(node->dev, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	if (syscall(SYS_delete_module, "dmaheap_system", O_NONBLOCK))
		SKIP("cannot unload dmaheap_system: %s", strerror(errno));
	EXPECT_EQ(-ENODEV, sa_alloc(fd, &data));
	ASSERT_EQ(0, th_load_order_params("dmaheap_system.ko", params,
					  sizeof(params)));
	ret = th_load_module("dmaheap_system.ko", params);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, sa_alloc(fd, &data));
	EXPECT_EQ(4096, data.length);
	close(data.fd);
	close(fd);
}
