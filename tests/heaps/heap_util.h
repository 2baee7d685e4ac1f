/* SPDX-License-Identifier: GPL-2.0 */
/*
 * heap_util.h - helpers shared by the heap_* tests (on top of harness.h).
 *
 *  - hu_inspect_*: the test-only dmaheap_inspect module (see
 *    tests/kmod/dmaheap_inspect.h), loaded from $DMAHEAP_MODDIR on first
 *    use: physical segments of a dma-buf and the cache type of its
 *    mappings.  Missing module or device: the case is skipped.
 *  - hu_find_heaps(): heaps picked by a sysfs attribute of their own.
 *  - hu_klog_pat(): how many PAT complaints the kernel log holds.
 *  - hu_wait_scrubbed(), hu_scrub_cycle(): the background zeroing of a
 *    heap's reserved range.
 *
 * Functions return 0 or -errno unless they say otherwise.
 */
#ifndef DMAHEAP_TESTS_HEAP_UTIL_H
#define DMAHEAP_TESTS_HEAP_UTIL_H

#include "../harness.h"

#include <sys/klog.h>
#include <sys/syscall.h>

#include "dmaheap_inspect.h"

#define HU_INSPECT_DEV		"/dev/dmaheap_inspect"
#define HU_INSPECT_MODULE	"dmaheap_inspect.ko"
#define HU_MAX_SEGS		64

/* Open the inspector, loading it if needed; SKIPs if that is impossible. */
static inline int hu_inspect_open(void)
{
	int fd = open(HU_INSPECT_DEV, O_RDWR | O_CLOEXEC);
	int ret;

	if (fd >= 0)
		return fd;
	ret = th_load_module(HU_INSPECT_MODULE, "");
	if (ret && ret != -EEXIST)
		SKIP("cannot load %s: %s", HU_INSPECT_MODULE, strerror(-ret));
	fd = open(HU_INSPECT_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		SKIP("cannot open %s: %s", HU_INSPECT_DEV, strerror(errno));
	return fd;
}

/* Segments of dma-buf @fd: up to @max in @segs, total in *@count. */
static inline int hu_segments(int ifd, int fd,
			      struct dmaheap_inspect_segment *segs,
			      unsigned int max, unsigned int *count)
{
	struct dmaheap_inspect_segments arg = {
		.fd = fd,
		.max = max,
		.segs = (uintptr_t)segs,
	};

	if (ioctl(ifd, DMAHEAP_INSPECT_IOC_SEGMENTS, &arg))
		return -errno;
	*count = arg.count;
	return 0;
}

/*
 * The one segment of a contiguous buffer; ASSERTs that there is exactly one
 * and that it covers @len bytes.  Returns its physical address.
 */
static inline uint64_t hu_single_segment(int ifd, int fd, uint64_t len)
{
	struct dmaheap_inspect_segment seg[2];
	unsigned int count = 0;

	ASSERT_EQ(0, hu_segments(ifd, fd, seg, 2, &count));
	ASSERT_EQ(1, count);
	ASSERT_EQ(len, seg[0].len);
	ASSERT_NE(~0ULL, seg[0].phys);
	return seg[0].phys;
}

/* Cache types of dma-buf @fd: user mapping at @uaddr (0: none), linear, vmap. */
static inline int hu_caching(int ifd, int fd, const void *uaddr,
			     struct dmaheap_inspect_caching *out)
{
	memset(out, 0, sizeof(*out));
	out->fd = fd;
	out->uaddr = (uintptr_t)uaddr;
	if (ioctl(ifd, DMAHEAP_INSPECT_IOC_CACHING, out))
		return -errno;
	return 0;
}

/* Cache type of the linear mapping over [phys, phys + len). */
static inline int hu_linear(int ifd, uint64_t phys, uint64_t len,
			    uint32_t *type)
{
	struct dmaheap_inspect_linear arg = { .phys = phys, .len = len };

	if (ioctl(ifd, DMAHEAP_INSPECT_IOC_LINEAR, &arg))
		return -errno;
	*type = arg.type;
	return 0;
}

static inline const char *hu_cache_name(uint32_t type)
{
	static const char *const names[] = {
		"none", "write-back", "write-combining", "uncached-minus",
		"uncached", "write-through", "write-protect", "mixed",
		"unknown",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

/* Skip when the inspector cannot read cache types on this machine. */
#define HU_SKIP_IF_NO_CACHE_INFO(ret) do {				\
	if ((ret) == -EOPNOTSUPP)					\
		SKIP("cache types are only inspected on x86 and arm64"); \
} while (0)

/*
 * Cache type of the kernel's linear mapping of a write-combined heap's
 * pages while a buffer or the heap's pool holds them.  x86 switches it to
 * write-combining (set_pages_array_wc()); arm64 cannot change it, so it
 * stays write-back and the heap keeps it free of dirty lines instead
 * (docs/DESIGN.md, "system-uncached on arm64").
 */
#ifdef __aarch64__
#define HU_LINEAR_UNCACHED	DMAHEAP_CACHE_WB
#else
#define HU_LINEAR_UNCACHED	DMAHEAP_CACHE_WC
#endif

/* Heaps (by name, sorted) whose sysfs directory has file @attr. */
static inline int hu_find_heaps(const char *attr, char names[][64], int max)
{
	struct dirent *de;
	int n = 0;
	DIR *dir;

	dir = opendir("/sys/class/dmaheap");
	if (!dir)
		return 0;
	while ((de = readdir(dir)) && n < max) {
		char path[PATH_MAX];

		if (de->d_name[0] == '.' || strlen(de->d_name) >= 64)
			continue;
		snprintf(path, sizeof(path), "/sys/class/dmaheap/%s/%s",
			 de->d_name, attr);
		if (access(path, R_OK))
			continue;
		snprintf(names[n++], 64, "%s", de->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(names[0]),
	      (int (*)(const void *, const void *))strcmp);
	return n;
}

/* A struct th_heap for heap @name. */
static inline void hu_heap(struct th_heap *h, const char *name)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%.63s", name);
	snprintf(h->dev, sizeof(h->dev), "/dev/dma_heap/%.63s", name);
	snprintf(h->sysfs, sizeof(h->sysfs), "/sys/class/dmaheap/%.63s", name);
}

/* A module parameter as a number. */
static inline int hu_module_param(const char *module, const char *param,
				  uint64_t *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module,
		 param);
	return th_read_u64_path(path, val);
}

/* Page order of @npages pages, rounded up (0 for one page). */
static inline unsigned int hu_order(uint64_t npages)
{
	unsigned int order = 0;

	while ((1ULL << order) < npages)
		order++;
	return order;
}

/* Alignment, in bytes, the contiguous heaps promise for @len bytes. */
static inline uint64_t hu_alignment(uint64_t len, unsigned int align_max)
{
	unsigned int order = hu_order(th_page_align(len) / th_page_size());

	if (order > align_max)
		order = align_max;
	return (uint64_t)th_page_size() << order;
}

/*
 * Number of PAT complaints in the kernel log (x86/PAT lines other than the
 * boot-time configuration line), or -errno.
 */
static inline long hu_klog_pat(void)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *line, *save = NULL;
	long count = 0;
	int n;

	if (size <= 0)
		return size < 0 ? -errno : -ENODATA;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return -ENOMEM;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n < 0) {
		free(buf);
		return -errno;
	}
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "x86/PAT") && !strstr(line, "Configuration"))
			count++;
	free(buf);
	return count;
}

/*
 * Wait (at most @seconds) until every free byte of a heap's range is
 * zeroed already: until its attribute @zeroed reads as much as @free.
 * 0, -ETIMEDOUT, or -errno when an attribute cannot be read.
 */
static inline int hu_wait_scrubbed(const struct th_heap *h, const char *zeroed,
				   const char *free, int seconds)
{
	uint64_t z = 0, f = 1;
	int i, ret;

	for (i = 0; i < seconds * 50; i++) {
		ret = th_sysfs_read(h, zeroed, &z);
		if (!ret)
			ret = th_sysfs_read(h, free, &f);
		if (ret)
			return ret;
		if (z == f)
			return 0;
		usleep(20 * 1000);
	}
	TH_LOG("%s: %s %llu of %s %llu after %d s", h->name, zeroed,
	       (unsigned long long)z, free, (unsigned long long)f, seconds);
	return -ETIMEDOUT;
}

/*
 * A reserved range is zeroed in the background: once released frames are
 * scrubbed, a buffer of @len bytes filled with a pattern and released is
 * zeroed again with nobody allocating, and the next buffer that takes the
 * same frames reads zero.  @zeroed and @free name the heap's attributes.
 * Returns the first non-zero offset, or -1 when the buffer read zero.
 */
static inline long long hu_scrub_cycle(const struct th_heap *h,
				       const char *zeroed, const char *free,
				       uint64_t len)
{
	long long bad;
	uint8_t *p;
	int fd;

	ASSERT_EQ(0, hu_wait_scrubbed(h, zeroed, free, 30));
	fd = th_alloc(h, len);
	ASSERT_GE(fd, 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x5a, len);
	munmap(p, len);
	close(fd);
	/* Nobody allocates meanwhile: only the background can do it. */
	EXPECT_EQ(0, hu_wait_scrubbed(h, zeroed, free, 30));
	fd = th_alloc(h, len);
	ASSERT_GE(fd, 0);
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	bad = th_find_not(p, len, 0);
	munmap(p, len);
	close(fd);
	return bad;
}

#endif /* DMAHEAP_TESTS_HEAP_UTIL_H */
