/* SPDX-License-Identifier: GPL-2.0 */
/*
 * device.h - helpers for the device_* tests: dma-buf heap buffers used by a
 * real DMA master, qemu's edu PCI device, through the test-only importer
 * tests/kmod/edu_importer.ko (/dev/edu-importer0).
 *
 * Include after ../harness.h.  Helpers return 0 or -errno unless they say
 * otherwise.  A program that uses device_log_mark() must define
 * TH_CUSTOM_MAIN and call it from main() before th_main(), and end with
 * DEVICE_LOG_TESTS() so that the log checks run last.
 */
#ifndef DMAHEAP_TESTS_DEVICE_H
#define DMAHEAP_TESTS_DEVICE_H

#include <linux/dma-buf.h>

#include "edu_importer_uapi.h"
#include "vgem.h"

#define EDU_NODE		"/dev/edu-importer0"
#define EDU_SYSFS		"/sys/class/misc/edu-importer0/device"
#define EDU_DMA_BITS_PARAM	"/sys/module/edu_importer/parameters/dma_bits"
#define EDU_MAX_SEGS		4096

/* The edu device ----------------------------------------------------------- */

/*
 * Address bits of the device's DMA engine, as the importer was told with
 * its dma_bits parameter: 28 (qemu's default), or 32 on arm64, where
 * tests/vm/run widens the device's mask because RAM starts at 1 GiB.
 */
static inline unsigned int edu_dma_bits(void)
{
	uint64_t bits = 0;

	ASSERT_EQ(0, th_read_u64_path(EDU_DMA_BITS_PARAM, &bits));
	ASSERT_TRUE(bits >= 19 && bits <= 64);
	return (unsigned int)bits;
}
#define EDU_DMA_BITS		edu_dma_bits()
#define EDU_DMA_MASK		(~0ULL >> (64 - EDU_DMA_BITS))

/* Open the importer's node, or SKIP when there is no edu device. */
static inline int edu_open_or_skip(void)
{
	int fd = open(EDU_NODE, O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		SKIP("no edu device (boot with tests/vm/run --edu)");
	ASSERT_GE(fd, 0);
	return fd;
}

/*
 * Is the edu device behind a translating IOMMU?  Read from sysfs, not from
 * the driver: the device's IOMMU group has a DMA (or DMA-FQ) default domain.
 * Returns 1, 0, or -errno.
 */
static inline int edu_sysfs_translated(void)
{
	char type[32];
	int ret;

	ret = th_read_file(EDU_SYSFS "/iommu_group/type", type, sizeof(type));
	if (ret == -ENOENT)
		return 0;	/* no IOMMU group: no IOMMU */
	if (ret)
		return ret;
	type[strcspn(type, "\n")] = '\0';
	return !strcmp(type, "DMA") || !strcmp(type, "DMA-FQ");
}

/* SKIP unless the device's DMA is (@want) or is not (!@want) translated. */
static inline void edu_require_iommu(bool want)
{
	int t = edu_sysfs_translated();

	ASSERT_GE(t, 0);
	if (want && !t)
		SKIP("the edu device is not behind a translating IOMMU (boot with --iommu --edu)");
	if (!want && t)
		SKIP("the edu device is behind an IOMMU; this case is for direct DMA");
}

static inline int edu_info(int efd, struct edu_importer_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(efd, EDU_IMPORTER_IOC_INFO, info) ? -errno : 0;
}

/* Does the DMA layer bounce every mapping of the device (swiotlb=force)? */
static inline bool edu_bounced(int efd)
{
	struct edu_importer_info info;

	return !edu_info(efd, &info) &&
	       (info.flags & EDU_IMPORTER_INFO_BOUNCED);
}

/* SKIP where DMA is bounced: the case is about the direct mapping. */
static inline void edu_require_direct(int efd)
{
	if (edu_bounced(efd))
		SKIP("the DMA layer bounces every mapping (swiotlb=force); this case is for direct DMA");
}

/*
 * Can the device map @heap's buffers where DMA is bounced?  Not a
 * write-combined heap's (its mappings skip the CPU syncs that copy), nor
 * memory outside the linear map (carveouts, which have a "base" file):
 * the exporter refuses those with EIO (docs/DESIGN.md).
 */
static inline bool edu_bounce_refuses(const struct th_heap *heap)
{
	char path[160];
	uint64_t uncached = 0;

	snprintf(path, sizeof(path), "%s/base", heap->sysfs);
	return (!th_sysfs_read(heap, "uncached", &uncached) && uncached) ||
	       access(path, F_OK) == 0;
}

/* Attach dma-buf @fd; *@handle and *@size on success. */
static inline int edu_attach(int efd, int fd, uint32_t *handle, uint64_t *size)
{
	struct edu_importer_attach a = { .fd = fd };

	if (ioctl(efd, EDU_IMPORTER_IOC_ATTACH, &a))
		return -errno;
	*handle = a.handle;
	if (size)
		*size = a.size;
	return 0;
}

/* A mapping as the driver reported it. */
struct edu_mapping {
	uint32_t nsegs;
	uint64_t mapped_len;
	struct edu_importer_segment segs[EDU_MAX_SEGS];
};

static inline int edu_map(int efd, uint32_t handle, uint32_t dir,
			  struct edu_mapping *m)
{
	struct edu_importer_map req = {
		.handle = handle,
		.dir = dir,
		.segs = (uintptr_t)m->segs,
		.max_segs = EDU_MAX_SEGS,
	};

	if (ioctl(efd, EDU_IMPORTER_IOC_MAP, &req))
		return -errno;
	m->nsegs = req.nsegs;
	m->mapped_len = req.mapped_len;
	return 0;
}

static inline int edu_handle_ioctl(int efd, unsigned long cmd, uint32_t handle)
{
	struct edu_importer_handle h = { .handle = handle };

	return ioctl(efd, cmd, &h) ? -errno : 0;
}

static inline int edu_unmap(int efd, uint32_t handle)
{
	return edu_handle_ioctl(efd, EDU_IMPORTER_IOC_UNMAP, handle);
}

static inline int edu_detach(int efd, uint32_t handle)
{
	return edu_handle_ioctl(efd, EDU_IMPORTER_IOC_DETACH, handle);
}

/* One engine job; *@transfers (may be NULL) gets the engine transfers used. */
static inline int edu_dma(int efd, uint32_t handle, uint32_t dir,
			  uint64_t offset, uint32_t len, uint32_t dev_offset,
			  uint32_t *transfers)
{
	struct edu_importer_dma d = {
		.handle = handle,
		.dir = dir,
		.offset = offset,
		.len = len,
		.dev_offset = dev_offset,
	};

	if (ioctl(efd, EDU_IMPORTER_IOC_DMA, &d))
		return -errno;
	if (transfers)
		*transfers = d.transfers;
	return 0;
}

static inline int edu_dev_io(int efd, bool write, void *data, uint32_t offset,
			     uint32_t len)
{
	struct edu_importer_devbuf b = {
		.data = (uintptr_t)data,
		.offset = offset,
		.len = len,
	};

	return ioctl(efd, write ? EDU_IMPORTER_IOC_DEV_WRITE :
			  EDU_IMPORTER_IOC_DEV_READ, &b) ? -errno : 0;
}

/* Segments of @m that [@offset, @offset + @len) touches. */
static inline uint32_t edu_segs_touched(const struct edu_mapping *m,
					uint64_t offset, uint64_t len)
{
	uint64_t pos = 0;
	uint32_t i, n = 0;

	for (i = 0; i < m->nsegs && i < EDU_MAX_SEGS; i++) {
		uint64_t end = pos + m->segs[i].len;

		if (offset < end && offset + len > pos)
			n++;
		pos = end;
	}
	return n;
}

/* Check a mapping of @len bytes; returns a message or NULL when sane. */
static inline const char *edu_mapping_problem(const struct edu_mapping *m,
					      uint64_t len, uint64_t mask)
{
	uint64_t sum = 0;
	uint32_t i;

	if (!m->nsegs)
		return "no segments";
	if (m->nsegs > EDU_MAX_SEGS)
		return "more segments than the test can check";
	for (i = 0; i < m->nsegs; i++) {
		const struct edu_importer_segment *s = &m->segs[i];

		if (!s->len)
			return "an empty segment";
		if (s->addr + s->len - 1 > mask || s->addr + s->len < s->addr)
			return "a segment beyond the device's DMA mask";
		sum += s->len;
	}
	if (sum != m->mapped_len)
		return "segment lengths do not add up to mapped_len";
	if (sum != len)
		return "the mapping does not cover the buffer";
	return NULL;
}

/* Buffers ------------------------------------------------------------------ */

static inline int dbuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
}

/* The heap named @name if it is under test, or NULL. */
static inline const struct th_heap *dev_find_heap(const char *name)
{
	int i;

	for (i = 0; i < th.nheaps; i++)
		if (!strcmp(th.heaps[i].name, name))
			return &th.heaps[i];
	return NULL;
}

/* The heap named @name if it is under test, else the first heap, or NULL. */
static inline const struct th_heap *dev_pick_heap(const char *name)
{
	int i;

	for (i = 0; i < th.nheaps; i++)
		if (!strcmp(th.heaps[i].name, name))
			return &th.heaps[i];
	return th.nheaps ? &th.heaps[0] : NULL;
}

/*
 * Without an IOMMU a 28-bit device reaches only the lowest 256 MiB.  Which
 * memory a new buffer gets depends on what was freed last: the page
 * allocator hands out the most recently freed blocks first, so after a big
 * buffer high in memory was freed, new ones come from there too.  To get a
 * buffer the device can reach, dev_get_mapped() keeps refused buffers and
 * takes "ballast" from the system heap, DEV_BALLAST_CHUNK at a time, until
 * the free blocks in front are used up, all held only while it searches.
 */
#define DEV_BALLAST_CHUNK	(32 * TH_MiB)
#define DEV_BALLAST_MAX		(448 * TH_MiB)
#define DEV_HELD_MAX		((int)(2 * (DEV_BALLAST_MAX / DEV_BALLAST_CHUNK) + 2))

/*
 * Allocate @len bytes from @heap, attach them to the edu device and map them
 * for it (@dir).  A buffer the exporter refuses (EIO: pages beyond the DMA
 * mask, no IOMMU) is kept while ballast is taken and the next one tried (see
 * above).  On success *@fd, *@handle and *@m describe the mapped buffer.
 * Returns 0, -EIO if nothing reachable was found, or -errno.
 */
static inline int dev_get_mapped(int efd, const struct th_heap *heap,
				 uint64_t len, uint32_t dir, int *fd,
				 uint32_t *handle, struct edu_mapping *m)
{
	const struct th_heap *ballast_heap = dev_find_heap("system");
	int held[DEV_HELD_MAX], nheld = 0, ret, tries = 0;
	uint64_t ballast = 0;

	if (!ballast_heap)
		ballast_heap = heap;
	/* Bounced, EIO is the heap's kind of memory: no buffer will do. */
	if (edu_bounced(efd))
		ballast = DEV_BALLAST_MAX;
	for (;;) {
		int bfd = th_alloc(heap, len);
		uint32_t h = 0;

		tries++;
		if (bfd < 0) {
			ret = bfd;
			break;
		}
		ret = edu_attach(efd, bfd, &h, NULL);
		if (ret) {
			close(bfd);
			break;
		}
		ret = edu_map(efd, h, dir, m);
		if (!ret) {
			*fd = bfd;
			*handle = h;
			break;
		}
		edu_detach(efd, h);
		if (ret != -EIO || nheld + 2 > DEV_HELD_MAX ||
		    ballast >= DEV_BALLAST_MAX) {
			close(bfd);
			break;
		}
		held[nheld++] = bfd;
		bfd = th_alloc(ballast_heap, DEV_BALLAST_CHUNK);
		if (bfd < 0)
			break;		/* ret is still -EIO */
		held[nheld++] = bfd;
		ballast += DEV_BALLAST_CHUNK;
	}
	if (tries > 1)
		TH_LOG("%s: %d buffer(s) refused before %s, with %" PRIu64 " MiB of ballast",
		       heap->name, tries - !ret, ret ? "giving up" : "one fit",
		       ballast / TH_MiB);
	while (nheld)
		close(held[--nheld]);
	return ret;
}

/* Inode number of an fd (dma-bufs are listed by it in debugfs). */
static inline unsigned long dev_fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long)st.st_ino;
}

/*
 * A byte pattern that depends on a per-case seed and the byte's offset, so
 * that stale data (from another range or an earlier case) never matches.
 */
static inline uint8_t dev_pattern(uint32_t seed, uint64_t off)
{
	uint64_t x = (off + 1) * 0x9e3779b97f4a7c15ULL ^ seed;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 32;
	return (uint8_t)x;
}

static inline void dev_fill(uint8_t *p, uint32_t seed, uint64_t off,
			    size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = dev_pattern(seed, off + i);
}

/* First offset in [0, @len) where @p differs from the pattern, or -1. */
static inline long long dev_check(const uint8_t *p, uint32_t seed,
				  uint64_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != dev_pattern(seed, off + i))
			return (long long)i;
	return -1;
}

static inline uint32_t dev_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)(ts.tv_nsec ^ (ts.tv_sec << 20) ^ getpid());
}

/*
 * Which devices are attached to the dma-buf with inode @ino, from
 * /sys/kernel/debug/dma_buf/bufinfo: the names, one per line, go to @out.
 * Returns the number of devices, -ENOENT if the buffer is not listed, or
 * -errno.
 */
static inline int dev_attached(unsigned long ino, char *out, size_t outlen)
{
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "re");
	char line[512];
	bool ours = false, in_devs = false;
	int n = -ENOENT;

	if (!f)
		return -errno;
	if (out && outlen)
		out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		unsigned long size, fino;
		char flags[16], mode[16], count[16], exp[80];

		if (line[0] != '\t') {
			in_devs = false;
			if (ours && !strncmp(line, "Total ", 6))
				break;
			ours = sscanf(line, "%lu %15s %15s %15s %79s %lu", &size,
				      flags, mode, count, exp, &fino) == 6 &&
			       fino == ino;
			if (ours)
				n = 0;
			continue;
		}
		if (!ours)
			continue;
		if (!strcmp(line, "\tAttached Devices:\n")) {
			in_devs = true;
			continue;
		}
		if (in_devs) {
			size_t used, add = strlen(line + 1);

			used = out && outlen ? strlen(out) : 0;
			if (used + add < outlen)
				memcpy(out + used, line + 1, add + 1);
			n++;
		}
	}
	fclose(f);
	return n;
}

/* vgem, a second importer --------------------------------------------------- */

/* vgem_open(), vgem_import(), vgem_close(): see ../vgem.h. */

/* Kernel log --------------------------------------------------------------- */

/*
 * /dev/kmsg positioned at the end of the log when the program started; the
 * forked cases inherit it and DEVICE_LOG_TESTS() reads what came after.
 */
static int dev_kmsg_fd = -1;

static inline void device_log_mark(void)
{
	dev_kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (dev_kmsg_fd >= 0)
		lseek(dev_kmsg_fd, 0, SEEK_END);
}

/*
 * Warnings that software emulation itself causes, whatever the code under
 * test does: a vCPU descheduled on the host makes timer interrupts look
 * slow and clocks look unstable.  Only these exact message starts are let
 * through.
 */
static const char *const device_log_emulation_noise[] = {
	"hrtimer: interrupt took ",
	"clocksource: timekeeping watchdog",
	"clocksource: Long readout interval",
	"clocksource: Switched to clocksource",
	"clocksource:                       '",
	"tsc: Marking TSC unstable",
};

static inline bool device_log_is_noise(const char *msg)
{
	size_t i;

	for (i = 0; i < sizeof(device_log_emulation_noise) /
			sizeof(device_log_emulation_noise[0]); i++)
		if (!strncmp(msg, device_log_emulation_noise[i],
			     strlen(device_log_emulation_noise[i])))
			return true;
	return false;
}

/*
 * Kernel messages since device_log_mark() that complain: priority warning
 * or worse (but for emulation noise), or IOMMU (DMAR) faults and DMA-API
 * reports at any priority.  Each is logged; returns how many, or -errno.
 */
static inline int device_log_complaints(void)
{
	char rec[2048];
	int bad = 0;

	if (dev_kmsg_fd < 0)
		return -ENOENT;
	for (;;) {
		ssize_t n = read(dev_kmsg_fd, rec, sizeof(rec) - 1);
		const char *msg;
		int prio;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: read on */
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return -errno;
		rec[n] = '\0';
		prio = atoi(rec) & 7;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		if ((prio <= 4 && !device_log_is_noise(msg)) ||
		    strstr(msg, "DMAR") || strstr(msg, "DMA-API") ||
		    strstr(msg, "fault addr")) {
			TH_LOG("kernel <%d>: %.*s", prio,
			       (int)strcspn(msg, "\n"), msg);
			bad++;
		}
	}
	return bad;
}

/*
 * The last cases of every device_* program: nothing the device did made the
 * kernel complain, and DMA-API debugging (when the kernel has it) found no
 * error.
 */
#define DEVICE_LOG_TESTS()						\
TEST(kernel_log_quiet)							\
{									\
	int n = device_log_complaints();				\
									\
	ASSERT_NE(-ENOENT, n);						\
	ASSERT_EQ(0, n);						\
}									\
									\
TEST(dma_api_debug_clean)						\
{									\
	uint64_t errors;						\
	int ret;							\
									\
	ret = th_read_u64_path("/sys/kernel/debug/dma-api/error_count",	\
			       &errors);				\
	if (ret == -ENOENT)						\
		SKIP("kernel built without CONFIG_DMA_API_DEBUG");	\
	ASSERT_EQ(0, ret);						\
	ASSERT_EQ(0, errors);						\
}

#endif /* DMAHEAP_TESTS_DEVICE_H */
