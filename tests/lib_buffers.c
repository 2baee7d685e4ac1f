// SPDX-License-Identifier: GPL-2.0
/*
 * libdmaheap against real heaps: allocation, size, mapping, CPU access
 * brackets, debug names, and handing a buffer to another process.  Every
 * test runs once per heap.
 */
#include <dmaheap.h>

#include "harness.h"

#define MiB	(1024 * 1024)

FIXTURE(buf) {
	struct dmaheap_ctx *ctx;
	int fd;
	void *map;
	size_t len;
};

FIXTURE_SETUP(buf)
{
	self->fd = -1;
	ASSERT_EQ(0, dmaheap_ctx_new(&self->ctx));
}

FIXTURE_TEARDOWN(buf)
{
	if (self->map)
		dmaheap_buf_unmap(self->map, self->len);
	if (self->fd >= 0)
		close(self->fd);
	dmaheap_ctx_free(self->ctx);
}

/* The value of "key:\t..." in /proc/self/fdinfo/@fd, or "" */
static void fdinfo(int fd, const char *key, char *val, size_t len)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	FILE *f;

	val[0] = '\0';
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			snprintf(val, len, "%s", line + klen + 1 + strspn(line + klen + 1, " \t"));
			val[strcspn(val, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

HEAP_TEST_F(buf, alloc_returns_dmabuf)
{
	char val[64];
	size_t size = 0;

	self->fd = dmaheap_alloc(self->ctx, heap->name, MiB, O_RDWR);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, dmaheap_buf_size(self->fd, &size));
	EXPECT_EQ(MiB, size);
	/* Close-on-exec by default, read-write as asked. */
	EXPECT_TRUE(fcntl(self->fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDWR, fcntl(self->fd, F_GETFL) & O_ACCMODE);
	/* The kernel sees a dma-buf of that size. */
	fdinfo(self->fd, "size", val, sizeof(val));
	EXPECT_EQ(MiB, strtoull(val, NULL, 10));
	fdinfo(self->fd, "exp_name", val, sizeof(val));
	EXPECT_NE(0, val[0]);
	TH_LOG("exporter: %s", val);
}

HEAP_TEST_F(buf, alloc_rounds_to_pages)
{
	size_t size = 0;

	self->fd = dmaheap_alloc(self->ctx, heap->name, 5000, O_RDWR);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, dmaheap_buf_size(self->fd, &size));
	EXPECT_EQ(th_page_align(5000), size);
}

HEAP_TEST_F(buf, alloc_keeps_fd_over_exec)
{
	self->fd = dmaheap_alloc(self->ctx, heap->name, 4096,
				 O_RDWR | DMAHEAP_FD_NO_CLOEXEC);
	ASSERT_GE(self->fd, 0);
	EXPECT_EQ(0, fcntl(self->fd, F_GETFD) & FD_CLOEXEC);
}

HEAP_TEST_F(buf, alloc_read_only)
{
	void *p = NULL;

	self->fd = dmaheap_alloc(self->ctx, heap->name, 64 * 1024, O_RDONLY);
	ASSERT_GE(self->fd, 0);
	EXPECT_EQ(O_RDONLY, fcntl(self->fd, F_GETFL) & O_ACCMODE);
	/* Writable mappings need a writable fd. */
	EXPECT_EQ(-EACCES, dmaheap_buf_map(self->fd, PROT_READ | PROT_WRITE, &p, NULL));
	ASSERT_EQ(0, dmaheap_buf_map(self->fd, PROT_READ, &self->map, &self->len));
	EXPECT_EQ(64 * 1024, self->len);
}

HEAP_TEST_F(buf, map_zeroed_write_read)
{
	unsigned char *p;
	size_t i;

	self->fd = dmaheap_alloc(self->ctx, heap->name, 2 * MiB, O_RDWR);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, dmaheap_buf_map(self->fd, PROT_READ | PROT_WRITE,
				     &self->map, &self->len));
	ASSERT_EQ(2 * MiB, self->len);
	p = self->map;

	ASSERT_EQ(0, dmaheap_buf_begin(self->fd, DMAHEAP_ACCESS_RW));
	/* New buffers must not leak what was in the memory before. */
	EXPECT_EQ(-1, th_find_not(p, self->len, 0));
	for (i = 0; i < self->len; i++)
		p[i] = (unsigned char)(i * 7 + 3);
	ASSERT_EQ(0, dmaheap_buf_end(self->fd, DMAHEAP_ACCESS_RW));

	/* A second mapping sees the same memory. */
	ASSERT_EQ(0, dmaheap_buf_unmap(self->map, self->len));
	self->map = NULL;
	ASSERT_EQ(0, dmaheap_buf_map(self->fd, PROT_READ, &self->map, &self->len));
	p = self->map;
	ASSERT_EQ(0, dmaheap_buf_begin(self->fd, DMAHEAP_ACCESS_READ));
	for (i = 0; i < self->len; i++)
		if (p[i] != (unsigned char)(i * 7 + 3))
			break;
	EXPECT_EQ(self->len, i);
	ASSERT_EQ(0, dmaheap_buf_end(self->fd, DMAHEAP_ACCESS_READ));
}

HEAP_TEST_F(buf, sync_each_direction)
{
	self->fd = dmaheap_alloc(self->ctx, heap->name, 64 * 1024, O_RDWR);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, dmaheap_buf_map(self->fd, PROT_READ | PROT_WRITE,
				     &self->map, &self->len));
	EXPECT_EQ(0, dmaheap_buf_begin(self->fd, DMAHEAP_ACCESS_READ));
	EXPECT_EQ(0, dmaheap_buf_end(self->fd, DMAHEAP_ACCESS_READ));
	EXPECT_EQ(0, dmaheap_buf_begin(self->fd, DMAHEAP_ACCESS_WRITE));
	EXPECT_EQ(0, dmaheap_buf_end(self->fd, DMAHEAP_ACCESS_WRITE));
	EXPECT_EQ(0, dmaheap_buf_begin(self->fd, DMAHEAP_ACCESS_RW));
	EXPECT_EQ(0, dmaheap_buf_end(self->fd, DMAHEAP_ACCESS_RW));
	/* Also without any mapping. */
	ASSERT_EQ(0, dmaheap_buf_unmap(self->map, self->len));
	self->map = NULL;
	EXPECT_EQ(0, dmaheap_buf_begin(self->fd, DMAHEAP_ACCESS_RW));
	EXPECT_EQ(0, dmaheap_buf_end(self->fd, DMAHEAP_ACCESS_RW));
	EXPECT_EQ(-EINVAL, dmaheap_buf_begin(self->fd, 0));
}

HEAP_TEST_F(buf, set_name_in_fdinfo)
{
	char val[64];
	int err;

	self->fd = dmaheap_alloc(self->ctx, heap->name, 4096, O_RDWR);
	ASSERT_GE(self->fd, 0);
	err = dmaheap_buf_set_name(self->fd, "lib-test-buffer");
	if (err == -EOPNOTSUPP)
		SKIP("this kernel cannot name dma-bufs");
	ASSERT_EQ(0, err);
	fdinfo(self->fd, "name", val, sizeof(val));
	EXPECT_EQ(0, strcmp(val, "lib-test-buffer"));
	/* Renaming replaces it; too long is refused before the kernel. */
	EXPECT_EQ(0, dmaheap_buf_set_name(self->fd, "renamed"));
	fdinfo(self->fd, "name", val, sizeof(val));
	EXPECT_EQ(0, strcmp(val, "renamed"));
	EXPECT_EQ(-EINVAL, dmaheap_buf_set_name(self->fd,
				"0123456789abcdef0123456789abcdef"));
}

HEAP_TEST_F(buf, share_with_child)
{
	unsigned char *p;
	int status;
	pid_t pid;

	self->fd = dmaheap_alloc(self->ctx, heap->name, MiB, O_RDWR);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, dmaheap_buf_map(self->fd, PROT_READ | PROT_WRITE,
				     &self->map, &self->len));
	p = self->map;
	ASSERT_EQ(0, dmaheap_buf_begin(self->fd, DMAHEAP_ACCESS_WRITE));
	memset(p, 0xab, self->len);
	ASSERT_EQ(0, dmaheap_buf_end(self->fd, DMAHEAP_ACCESS_WRITE));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* Its own mapping of the inherited fd: check, then overwrite. */
		void *q;
		size_t len;
		int bad;

		if (dmaheap_buf_map(self->fd, PROT_READ | PROT_WRITE, &q, &len))
			_exit(2);
		dmaheap_buf_begin(self->fd, DMAHEAP_ACCESS_RW);
		bad = th_find_not(q, len, 0xab) != -1;
		memset(q, 0x5a, len);
		dmaheap_buf_end(self->fd, DMAHEAP_ACCESS_RW);
		dmaheap_buf_unmap(q, len);
		_exit(bad ? 3 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, dmaheap_buf_begin(self->fd, DMAHEAP_ACCESS_READ));
	EXPECT_EQ(-1, th_find_not(p, self->len, 0x5a));
	ASSERT_EQ(0, dmaheap_buf_end(self->fd, DMAHEAP_ACCESS_READ));
}

HEAP_TEST_F(buf, alloc_through_heap_fd)
{
	int heap_fd;
	size_t size = 0;

	heap_fd = dmaheap_open(self->ctx, heap->name);
	ASSERT_GE(heap_fd, 0);
	self->fd = dmaheap_alloc_fd(heap_fd, 3 * 4096, O_WRONLY);
	ASSERT_GE(self->fd, 0);
	EXPECT_EQ(O_WRONLY, fcntl(self->fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(0, dmaheap_buf_size(self->fd, &size));
	EXPECT_EQ(3 * 4096, size);
}

HEAP_TEST_F(buf, alloc_refuses_bad_requests)
{
	struct dmaheap_info info;

	EXPECT_EQ(-EINVAL, dmaheap_alloc(self->ctx, heap->name, 0, O_RDWR));
	EXPECT_EQ(-EINVAL, dmaheap_alloc(self->ctx, heap->name, 4096, O_RDWR | O_APPEND));
	ASSERT_EQ(0, dmaheap_heap_info(self->ctx, heap->name, &info));
	if (!(info.known & DMAHEAP_KNOWN_LIMIT_BYTES)) {
		dmaheap_info_clear(&info);
		/* An uncapped heap would try, and the OOM killer would answer. */
		SKIP("heap has no cap; not asking it for 64 TiB");
	}
	dmaheap_info_clear(&info);
	/* Beyond anything a heap could give: refused, not the OOM killer. */
	EXPECT_EQ(-ENOMEM, dmaheap_alloc(self->ctx, heap->name, (size_t)1 << 46, O_RDWR));
}
