// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Host-side tests of libdmaheap: argument validation, missing heaps, bad
 * fds, the preferred-name fallback and sysfs parsing.
 *
 * They run against a fake device directory and a fake sysfs tree made in a
 * temporary directory.  The fake heap nodes are real character devices
 * (mknod of /dev/null's numbers, so root is needed; the tests that need them
 * skip otherwise): opening them behaves like opening a heap node, and the
 * allocation ioctl fails as it would on any device that is not a heap.
 */
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "dmaheap.h"
#include "tap.h"

static char root[256], dev_dir[300], sys_dir[300];
static bool have_nodes;		/* mknod worked */
static bool have_enxio;		/* the "broken" node opens with ENXIO */

/* ---- fixture ----------------------------------------------------------- */

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int make_node(const char *name, unsigned int major, unsigned int minor)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dev_dir, name);
	return mknod(path, S_IFCHR | 0600, makedev(major, minor));
}

/* A character-device major with no driver behind it, or 0. */
static unsigned int unused_major(void)
{
	unsigned int major;
	char path[600];
	int fd;

	for (major = 254; major >= 234; major--) {
		if (make_node("broken", major, 0))
			return 0;
		snprintf(path, sizeof(path), "%s/broken", dev_dir);
		fd = open(path, O_RDONLY);
		if (fd < 0 && errno == ENXIO)
			return major;
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	return 0;
}

/* mkdir -p of @rel under @base; @rel has no trailing slash. */
static int make_dirs(const char *base, const char *rel, char *out, size_t size)
{
	const char *p = rel;

	for (;;) {
		p = strchr(p, '/');
		snprintf(out, size, "%s/%.*s", base, p ? (int)(p - rel) : (int)strlen(rel), rel);
		if (mkdir(out, 0755) && errno != EEXIST)
			return -1;
		if (!p)
			return 0;
		p++;
	}
}

/*
 * The core's files beyond the heap directories, in a sysfs tree of their
 * own: core/sys/{class/dmaheap,kernel/dmaheap,module/dmaheap/parameters}.
 */
static char core_sys[300], core_class[320];

static int setup_core(void)
{
	static const char *const users[][4] = {
		/* uid, bytes, buffers, failed_allocs */
		{ "1000", "4194304\n", "2\n", "3\n" },
		{ "0", "8192\n", "1\n", "0\n" },
		{ "65534", "0\n", "0\n", "1\n" },
		{ "4294967295", "1\n", "1\n", "1\n" },
		{ "007", "1\n", "1\n", "1\n" },	/* not how sysfs names a uid */
		{ "alice", "1\n", "1\n", "1\n" },
	};
	char dir[700];
	size_t i;

	snprintf(core_sys, sizeof(core_sys), "%s/core/sys", root);
	snprintf(core_class, sizeof(core_class), "%s/class/dmaheap", core_sys);
	if (make_dirs(root, "core/sys/class/dmaheap", dir, sizeof(dir)) ||
	    make_dirs(core_sys, "module/dmaheap/parameters", dir, sizeof(dir)) ||
	    write_file(dir, "budget_bytes", "536870912\n") ||
	    write_file(dir, "user_quota_bytes", "268435456\n") ||
	    write_file(dir, "memcg_charge", "Y\n") ||
	    write_file(dir, "default_limit_pct", "50\n") ||
	    make_dirs(core_sys, "kernel/dmaheap/users", dir, sizeof(dir)) ||
	    write_file(dir, "42", "a file, not a user\n"))
		return -1;
	snprintf(dir, sizeof(dir), "%s/kernel/dmaheap", core_sys);
	if (write_file(dir, "bytes", "4202496\n"))
		return -1;
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/kernel/dmaheap/users/%s", core_sys,
			 users[i][0]);
		if (mkdir(dir, 0755) ||
		    write_file(dir, "bytes", users[i][1]) ||
		    write_file(dir, "buffers", users[i][2]) ||
		    write_file(dir, "failed_allocs", users[i][3]))
			return -1;
	}
	/* A user whose files say nothing usable. */
	snprintf(dir, sizeof(dir), "%s/kernel/dmaheap/users/2000", core_sys);
	if (mkdir(dir, 0755) || write_file(dir, "bytes", "-5\n") ||
	    write_file(dir, "buffers", "7\n"))
		return -1;
	return 0;
}

static int setup(void)
{
	char dir[600];

	snprintf(root, sizeof(root), "/tmp/dmaheap-host-test.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(dev_dir, sizeof(dev_dir), "%s/dev", root);
	snprintf(sys_dir, sizeof(sys_dir), "%s/sys", root);
	if (mkdir(dev_dir, 0755) || mkdir(sys_dir, 0755))
		return -1;

	/* Heap nodes: devices standing in for heaps, and things that are not. */
	have_nodes = !make_node("system", 1, 3) && !make_node("reserved", 1, 3) &&
		     !make_node("bare", 1, 3);
	if (have_nodes)
		have_enxio = unused_major() != 0;
	if (write_file(dev_dir, "plain", "not a device\n"))
		return -1;
	snprintf(dir, sizeof(dir), "%s/fifo", dev_dir);
	if (mkfifo(dir, 0600))
		return -1;

	/* sysfs: a full heap directory, as the dmaheap core makes it. */
	snprintf(dir, sizeof(dir), "%s/system", sys_dir);
	if (mkdir(dir, 0755) ||
	    write_file(dir, "buffers", "3\n") ||
	    write_file(dir, "bytes", "12288\n") ||
	    write_file(dir, "peak_bytes", "16384\n") ||
	    write_file(dir, "total_allocs", "10\n") ||
	    write_file(dir, "failed_allocs", "1\n") ||
	    write_file(dir, "limit_bytes", "1073741824\n") ||
	    write_file(dir, "uncached", "0\n") ||
	    write_file(dir, "contiguous", "0\n") ||
	    write_file(dir, "dev", "1:3\n") ||
	    write_file(dir, "uevent", "MAJOR=1\nMINOR=3\nDEVNAME=dma_heap/system\n") ||
	    write_file(dir, "pool_pages", "12\n") ||
	    write_file(dir, "pool_bytes", "49152\n") ||
	    write_file(dir, "largest_free", "4096\n"))
		return -1;
	snprintf(dir, sizeof(dir), "%s/system/power", sys_dir);
	if (mkdir(dir, 0755) || write_file(dir, "control", "auto\n"))
		return -1;
	snprintf(dir, sizeof(dir), "%s/system/subsystem", sys_dir);
	if (symlink("..", dir))
		return -1;

	/* A heap whose files are partly unusable. */
	snprintf(dir, sizeof(dir), "%s/reserved", sys_dir);
	if (mkdir(dir, 0755) ||
	    write_file(dir, "bytes", "lots\n") ||
	    write_file(dir, "limit_bytes", "") ||
	    write_file(dir, "buffers", "-1\n") ||
	    write_file(dir, "uncached", "1\n") ||
	    write_file(dir, "contiguous", "2\n"))
		return -1;

	/* Statistics of a heap that has no node. */
	snprintf(dir, sizeof(dir), "%s/ghost", sys_dir);
	if (mkdir(dir, 0755) || write_file(dir, "bytes", "0\n"))
		return -1;
	return setup_core();
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void teardown(void)
{
	if (root[0])
		nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static struct dmaheap_ctx *fake_ctx(struct tap_case *t)
{
	struct dmaheap_ctx *ctx = NULL;
	int err = dmaheap_ctx_new_at(&ctx, dev_dir, sys_dir);

	if (err) {
		DIAG("dmaheap_ctx_new_at: %s", strerror(-err));
		t->failed = true;
	}
	return ctx;
}

#define NEED_NODES(t) do {						\
	if (!have_nodes)						\
		SKIP(t, "mknod of fake heap nodes failed (not root?)");	\
} while (0)

/* ---- contexts ---------------------------------------------------------- */

static void ctx_new_rejects_bad_args(struct tap_case *t)
{
	struct dmaheap_ctx *ctx = (struct dmaheap_ctx *)&ctx;

	EXPECT_EQ(t, dmaheap_ctx_new(NULL), -EINVAL);
	EXPECT_EQ(t, dmaheap_ctx_new_at(NULL, NULL, NULL), -EINVAL);
	EXPECT_EQ(t, dmaheap_ctx_new_at(&ctx, "", NULL), -EINVAL);
	EXPECT(t, ctx == NULL);
	ctx = (struct dmaheap_ctx *)&ctx;
	EXPECT_EQ(t, dmaheap_ctx_new_at(&ctx, NULL, ""), -EINVAL);
	EXPECT(t, ctx == NULL);
}

static void ctx_free_accepts_null(struct tap_case *t)
{
	struct dmaheap_ctx *ctx = NULL;

	dmaheap_ctx_free(NULL);
	dmaheap_list_free(NULL, 3);
	dmaheap_info_clear(NULL);
	ASSERT_EQ(t, dmaheap_ctx_new(&ctx), 0);
	EXPECT(t, ctx != NULL);
	dmaheap_ctx_free(ctx);
}

/* ---- opening heaps ----------------------------------------------------- */

static void open_rejects_bad_names(struct tap_case *t)
{
	static const char *const bad[] = {
		"", ".", "..", "a/b", "/system", "sys\ntem", "tab\there",
		"0123456789012345678901234567890123456789012345678901234567890123",
	};
	struct dmaheap_ctx *ctx = fake_ctx(t);
	size_t i;

	ASSERT(t, ctx);
	EXPECT_EQ(t, dmaheap_open(NULL, "system"), -EINVAL);
	EXPECT_EQ(t, dmaheap_open(ctx, NULL), -EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = dmaheap_open(ctx, bad[i]);

		if (r != -EINVAL) {
			DIAG("name #%zu gave %d, not -EINVAL", i, r);
			t->failed = true;
		}
	}
	/* 63 characters is the longest legal name: absent, not malformed. */
	EXPECT_EQ(t, dmaheap_open(ctx,
		"012345678901234567890123456789012345678901234567890123456789012"),
		-ENOENT);
	dmaheap_ctx_free(ctx);
}

static void open_missing_heap(struct tap_case *t)
{
	struct dmaheap_ctx *ctx = fake_ctx(t), *nodir = NULL;
	char path[600];

	ASSERT(t, ctx);
	EXPECT_EQ(t, dmaheap_open(ctx, "nosuch"), -ENOENT);
	EXPECT_EQ(t, dmaheap_open(ctx, "linux,cma"), -ENOENT);

	/* No heap directory at all, and a file where the directory should be. */
	snprintf(path, sizeof(path), "%s/missing", root);
	ASSERT_EQ(t, dmaheap_ctx_new_at(&nodir, path, NULL), 0);
	EXPECT_EQ(t, dmaheap_open(nodir, "system"), -ENOENT);
	dmaheap_ctx_free(nodir);
	snprintf(path, sizeof(path), "%s/plain", dev_dir);
	ASSERT_EQ(t, dmaheap_ctx_new_at(&nodir, path, NULL), 0);
	EXPECT_EQ(t, dmaheap_open(nodir, "system"), -ENOENT);
	dmaheap_ctx_free(nodir);
	dmaheap_ctx_free(ctx);
}

static void open_refuses_non_devices(struct tap_case *t)
{
	struct dmaheap_ctx *ctx = fake_ctx(t);

	ASSERT(t, ctx);
	EXPECT_EQ(t, dmaheap_open(ctx, "plain"), -ENODEV);
	/* Would block forever if the library opened it blindly. */
	EXPECT_EQ(t, dmaheap_open(ctx, "fifo"), -ENODEV);
	dmaheap_ctx_free(ctx);
}

static void open_caches_fd(struct tap_case *t)
{
	struct dmaheap_ctx *ctx;
	int a, b, c;

	NEED_NODES(t);
	ctx = fake_ctx(t);
	ASSERT(t, ctx);
	a = dmaheap_open(ctx, "system");
	b = dmaheap_open(ctx, "system");
	c = dmaheap_open(ctx, "reserved");
	EXPECT(t, a >= 0);
	EXPECT_EQ(t, a, b);
	EXPECT(t, c >= 0 && c != a);
	/* The cached fd is close-on-exec. */
	EXPECT(t, a >= 0 && (fcntl(a, F_GETFD) & FD_CLOEXEC));
	dmaheap_ctx_free(ctx);
	/* Freeing the context closed both. */
	EXPECT(t, fcntl(a, F_GETFD) < 0 && errno == EBADF);
	EXPECT(t, fcntl(c, F_GETFD) < 0 && errno == EBADF);
}

static void open_first_falls_back(struct tap_case *t)
{
	static const char *const camera[] = { "linux,cma", "reserved", "system", NULL };
	static const char *const android[] = { "system-uncached", "system", NULL };
	static const char *const skip_file[] = { "plain", "fifo", "system", NULL };
	static const char *const first[] = { "system", "reserved", NULL };
	struct dmaheap_ctx *ctx;
	size_t idx = 99;
	int fd;

	NEED_NODES(t);
	ctx = fake_ctx(t);
	ASSERT(t, ctx);

	fd = dmaheap_open_first(ctx, camera, &idx);
	EXPECT(t, fd >= 0);
	EXPECT_EQ(t, idx, 1);
	EXPECT_EQ(t, fd, dmaheap_open(ctx, "reserved"));

	idx = 99;
	fd = dmaheap_open_first(ctx, android, &idx);
	EXPECT_EQ(t, idx, 1);
	EXPECT_EQ(t, fd, dmaheap_open(ctx, "system"));

	idx = 99;
	fd = dmaheap_open_first(ctx, skip_file, &idx);
	EXPECT_EQ(t, idx, 2);
	EXPECT_EQ(t, fd, dmaheap_open(ctx, "system"));

	idx = 99;
	fd = dmaheap_open_first(ctx, first, &idx);
	EXPECT_EQ(t, idx, 0);
	EXPECT_EQ(t, fd, dmaheap_open(ctx, "system"));

	/* The index is optional. */
	EXPECT(t, dmaheap_open_first(ctx, android, NULL) >= 0);
	dmaheap_ctx_free(ctx);
}

static void open_first_reports_none(struct tap_case *t)
{
	static const char *const absent[] = { "linux,cma", "nosuch", NULL };
	static const char *const empty[] = { NULL };
	static const char *const bad[] = { "system", "a/b", NULL };
	static const char *const files[] = { "plain", "fifo", NULL };
	struct dmaheap_ctx *ctx = fake_ctx(t);
	size_t idx = 99;

	ASSERT(t, ctx);
	EXPECT_EQ(t, dmaheap_open_first(ctx, absent, &idx), -ENOENT);
	EXPECT_EQ(t, idx, 99);
	EXPECT_EQ(t, dmaheap_open_first(ctx, files, &idx), -ENOENT);
	EXPECT_EQ(t, dmaheap_open_first(ctx, empty, &idx), -EINVAL);
	EXPECT_EQ(t, dmaheap_open_first(ctx, NULL, &idx), -EINVAL);
	EXPECT_EQ(t, dmaheap_open_first(NULL, absent, &idx), -EINVAL);
	/* A malformed name anywhere in the list is refused up front. */
	EXPECT_EQ(t, dmaheap_open_first(ctx, bad, &idx), -EINVAL);
	EXPECT_EQ(t, idx, 99);
	dmaheap_ctx_free(ctx);
}

static void open_first_reports_open_error(struct tap_case *t)
{
	static const char *const broken_only[] = { "broken", "nosuch", NULL };
	static const char *const broken_then_ok[] = { "broken", "system", NULL };
	struct dmaheap_ctx *ctx;
	size_t idx = 99;
	int fd;

	NEED_NODES(t);
	if (!have_enxio)
		SKIP(t, "no unused character-device major to fake a broken heap");
	ctx = fake_ctx(t);
	ASSERT(t, ctx);
	/* A node that exists but cannot be opened: its error, not ENOENT. */
	EXPECT_EQ(t, dmaheap_open(ctx, "broken"), -ENXIO);
	EXPECT_EQ(t, dmaheap_open_first(ctx, broken_only, &idx), -ENXIO);
	fd = dmaheap_open_first(ctx, broken_then_ok, &idx);
	EXPECT(t, fd >= 0);
	EXPECT_EQ(t, idx, 1);
	dmaheap_ctx_free(ctx);
}

#define THREADS		8
#define ROUNDS		500

struct thread_arg {
	struct dmaheap_ctx *ctx;
	int fds[2];
	int bad;
};

static void *open_thread(void *p)
{
	struct thread_arg *a = p;
	int i, fd;

	for (i = 0; i < ROUNDS; i++) {
		const char *name = (i & 1) ? "reserved" : "system";

		fd = dmaheap_open(a->ctx, name);
		if (fd < 0 || (a->fds[i & 1] >= 0 && a->fds[i & 1] != fd))
			a->bad++;
		a->fds[i & 1] = fd;
	}
	return NULL;
}

static void open_concurrent_shares_fd(struct tap_case *t)
{
	struct thread_arg args[THREADS];
	pthread_t tid[THREADS];
	struct dmaheap_ctx *ctx;
	int i, started = 0;

	NEED_NODES(t);
	ctx = fake_ctx(t);
	ASSERT(t, ctx);
	for (i = 0; i < THREADS; i++) {
		args[i] = (struct thread_arg){ ctx, { -1, -1 }, 0 };
		if (pthread_create(&tid[i], NULL, open_thread, &args[i]))
			break;
		started++;
	}
	EXPECT_EQ(t, started, THREADS);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	for (i = 0; i < started; i++) {
		EXPECT_EQ(t, args[i].bad, 0);
		/* Every thread saw the same two fds. */
		EXPECT_EQ(t, args[i].fds[0], args[0].fds[0]);
		EXPECT_EQ(t, args[i].fds[1], args[0].fds[1]);
	}
	EXPECT(t, args[0].fds[0] != args[0].fds[1]);
	dmaheap_ctx_free(ctx);
}

/* ---- allocation -------------------------------------------------------- */

static void alloc_rejects_bad_args(struct tap_case *t)
{
	struct dmaheap_ctx *ctx = fake_ctx(t);

	ASSERT(t, ctx);
	EXPECT_EQ(t, dmaheap_alloc_fd(-1, 4096, O_RDWR), -EBADF);
	EXPECT_EQ(t, dmaheap_alloc_fd(0, 0, O_RDWR), -EINVAL);
	EXPECT_EQ(t, dmaheap_alloc_fd(0, 4096, O_RDWR | O_APPEND), -EINVAL);
	EXPECT_EQ(t, dmaheap_alloc_fd(0, 4096, O_ACCMODE), -EINVAL);
	EXPECT_EQ(t, dmaheap_alloc_fd(0, 4096, O_RDWR | O_CLOEXEC |
				      DMAHEAP_FD_NO_CLOEXEC), -EINVAL);
	EXPECT_EQ(t, dmaheap_alloc(NULL, "system", 4096, O_RDWR), -EINVAL);
	EXPECT_EQ(t, dmaheap_alloc(ctx, "system", 0, O_RDWR), -EINVAL);
	EXPECT_EQ(t, dmaheap_alloc(ctx, "system", 4096, O_RDWR | O_NONBLOCK), -EINVAL);
	EXPECT_EQ(t, dmaheap_alloc(ctx, "../system", 4096, O_RDWR), -EINVAL);
	EXPECT_EQ(t, dmaheap_alloc(ctx, NULL, 4096, O_RDWR), -EINVAL);
	dmaheap_ctx_free(ctx);
}

static void alloc_missing_heap(struct tap_case *t)
{
	struct dmaheap_ctx *ctx = fake_ctx(t);

	ASSERT(t, ctx);
	EXPECT_EQ(t, dmaheap_alloc(ctx, "nosuch", 4096, O_RDWR), -ENOENT);
	EXPECT_EQ(t, dmaheap_alloc(ctx, "plain", 4096, O_RDWR), -ENODEV);
	dmaheap_ctx_free(ctx);
}

static void alloc_non_heap_device(struct tap_case *t)
{
	struct dmaheap_ctx *ctx;
	int fd;

	NEED_NODES(t);
	ctx = fake_ctx(t);
	ASSERT(t, ctx);
	/* The kernel's answer for a device that is not a heap comes back as is. */
	EXPECT_EQ(t, dmaheap_alloc(ctx, "system", 4096, O_RDWR), -ENOTTY);
	fd = dmaheap_open(ctx, "system");
	EXPECT_EQ(t, dmaheap_alloc_fd(fd, 4096, O_RDONLY | DMAHEAP_FD_NO_CLOEXEC),
		  -ENOTTY);
	dmaheap_ctx_free(ctx);
}

/* ---- buffer calls on things that are not dma-bufs ---------------------- */

static void buf_rejects_bad_fds(struct tap_case *t)
{
	int p[2], closed;
	size_t size = 7;
	void *addr = NULL;

	ASSERT_EQ(t, pipe(p), 0);
	closed = dup(p[0]);
	ASSERT(t, closed >= 0);
	close(closed);

	EXPECT_EQ(t, dmaheap_buf_size(-1, &size), -EBADF);
	EXPECT_EQ(t, dmaheap_buf_size(closed, &size), -EBADF);
	EXPECT_EQ(t, dmaheap_buf_size(p[0], &size), -ESPIPE);
	EXPECT_EQ(t, dmaheap_buf_size(p[0], NULL), -EINVAL);
	EXPECT_EQ(t, size, 7);

	EXPECT_EQ(t, dmaheap_buf_map(-1, PROT_READ, &addr, NULL), -EBADF);
	EXPECT_EQ(t, dmaheap_buf_map(closed, PROT_READ, &addr, NULL), -EBADF);
	EXPECT_EQ(t, dmaheap_buf_map(p[0], PROT_READ, &addr, NULL), -ESPIPE);
	EXPECT_EQ(t, dmaheap_buf_map(p[0], 0, &addr, NULL), -EINVAL);
	EXPECT_EQ(t, dmaheap_buf_map(p[0], PROT_READ | PROT_EXEC, &addr, NULL), -EINVAL);
	EXPECT_EQ(t, dmaheap_buf_map(p[0], PROT_READ, NULL, NULL), -EINVAL);
	EXPECT(t, addr == NULL);
	EXPECT_EQ(t, dmaheap_buf_unmap(NULL, 4096), -EINVAL);
	EXPECT_EQ(t, dmaheap_buf_unmap(&size, 0), -EINVAL);

	EXPECT_EQ(t, dmaheap_buf_begin(-1, DMAHEAP_ACCESS_READ), -EBADF);
	EXPECT_EQ(t, dmaheap_buf_end(-1, DMAHEAP_ACCESS_READ), -EBADF);
	EXPECT_EQ(t, dmaheap_buf_begin(closed, DMAHEAP_ACCESS_RW), -EBADF);
	EXPECT_EQ(t, dmaheap_buf_begin(p[0], 0), -EINVAL);
	EXPECT_EQ(t, dmaheap_buf_begin(p[0], 4), -EINVAL);
	EXPECT_EQ(t, dmaheap_buf_end(p[0], DMAHEAP_ACCESS_RW | 8), -EINVAL);
	EXPECT_EQ(t, dmaheap_buf_begin(p[0], DMAHEAP_ACCESS_WRITE), -ENOTTY);
	EXPECT_EQ(t, dmaheap_buf_end(p[0], DMAHEAP_ACCESS_WRITE), -ENOTTY);

	EXPECT_EQ(t, dmaheap_buf_set_name(-1, "x"), -EBADF);
	EXPECT_EQ(t, dmaheap_buf_set_name(p[0], NULL), -EINVAL);
	EXPECT_EQ(t, dmaheap_buf_set_name(p[0], "0123456789abcdef0123456789abcdef"),
		  -EINVAL);
	/* Not a dma-buf: the ioctl is unknown, reported as not supported. */
	EXPECT_EQ(t, dmaheap_buf_set_name(p[0], "0123456789abcdef0123456789abcde"),
		  -EOPNOTSUPP);
	close(p[0]);
	close(p[1]);
}

static void map_regular_file(struct tap_case *t)
{
	char path[600], *addr = NULL;
	size_t size = 0, len = 0, i;
	bool same = true;
	int fd;

	/* A file stands in for a dma-buf: size by lseek, then a shared map. */
	snprintf(path, sizeof(path), "%s/buffer", root);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT(t, fd >= 0);
	ASSERT_EQ(t, ftruncate(fd, 3 * 4096 + 5), 0);
	EXPECT_EQ(t, dmaheap_buf_size(fd, &size), 0);
	EXPECT_EQ(t, size, 3 * 4096 + 5);
	EXPECT_EQ(t, lseek(fd, 0, SEEK_CUR), 0);

	EXPECT_EQ(t, dmaheap_buf_map(fd, PROT_READ | PROT_WRITE, (void **)&addr, &len), 0);
	if (addr) {
		EXPECT_EQ(t, len, size);
		memset(addr, 0x5a, len);
		EXPECT_EQ(t, dmaheap_buf_unmap(addr, len), 0);
	}
	addr = NULL;
	EXPECT_EQ(t, dmaheap_buf_map(fd, PROT_READ, (void **)&addr, NULL), 0);
	if (addr) {
		for (i = 0; i < size; i++)
			same &= addr[i] == 0x5a;
		EXPECT(t, same);
		EXPECT_EQ(t, dmaheap_buf_unmap(addr, size), 0);
	}
	close(fd);
	unlink(path);

	/* An empty "buffer" cannot be mapped. */
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT(t, fd >= 0);
	EXPECT_EQ(t, dmaheap_buf_map(fd, PROT_READ, (void **)&addr, NULL), -EINVAL);
	close(fd);
	unlink(path);
}

/* ---- statistics -------------------------------------------------------- */

static void info_reads_sysfs(struct tap_case *t)
{
	struct dmaheap_ctx *ctx;
	struct dmaheap_info info;
	unsigned int all = DMAHEAP_KNOWN_SYSFS | DMAHEAP_KNOWN_BUFFERS |
		DMAHEAP_KNOWN_BYTES | DMAHEAP_KNOWN_PEAK_BYTES |
		DMAHEAP_KNOWN_TOTAL_ALLOCS | DMAHEAP_KNOWN_FAILED_ALLOCS |
		DMAHEAP_KNOWN_LIMIT_BYTES | DMAHEAP_KNOWN_UNCACHED |
		DMAHEAP_KNOWN_CONTIGUOUS | DMAHEAP_KNOWN_POOL_BYTES;

	NEED_NODES(t);
	ctx = fake_ctx(t);
	ASSERT(t, ctx);
	ASSERT_EQ(t, dmaheap_heap_info(ctx, "system", &info), 0);
	EXPECT(t, !strcmp(info.name, "system"));
	EXPECT_EQ(t, info.known, all);
	EXPECT_EQ(t, info.buffers, 3);
	EXPECT_EQ(t, info.bytes, 12288);
	EXPECT_EQ(t, info.peak_bytes, 16384);
	EXPECT_EQ(t, info.total_allocs, 10);
	EXPECT_EQ(t, info.failed_allocs, 1);
	EXPECT_EQ(t, info.limit_bytes, 1073741824);
	EXPECT_EQ(t, info.uncached, 0);
	EXPECT_EQ(t, info.contiguous, 0);
	EXPECT_EQ(t, info.pool_bytes, 49152);
	/* Only the heap's own files, sorted; not dev, uevent, links or dirs. */
	ASSERT_EQ(t, info.nprops, 2);
	EXPECT(t, !strcmp(info.props[0].key, "largest_free"));
	EXPECT(t, !strcmp(info.props[0].value, "4096"));
	EXPECT(t, !strcmp(info.props[1].key, "pool_pages"));
	EXPECT(t, !strcmp(info.props[1].value, "12"));
	dmaheap_info_clear(&info);
	EXPECT_EQ(t, info.nprops, 0);
	EXPECT(t, info.props == NULL);
	dmaheap_ctx_free(ctx);
}

static void info_skips_bad_values(struct tap_case *t)
{
	struct dmaheap_ctx *ctx;
	struct dmaheap_info info;

	NEED_NODES(t);
	ctx = fake_ctx(t);
	ASSERT(t, ctx);
	ASSERT_EQ(t, dmaheap_heap_info(ctx, "reserved", &info), 0);
	/* "lots", "", "-1" and a contiguous of 2 are not believed. */
	EXPECT_EQ(t, info.known, DMAHEAP_KNOWN_SYSFS | DMAHEAP_KNOWN_UNCACHED);
	EXPECT_EQ(t, info.uncached, 1);
	EXPECT_EQ(t, info.nprops, 0);
	dmaheap_info_clear(&info);
	dmaheap_ctx_free(ctx);
}

static void info_without_sysfs(struct tap_case *t)
{
	struct dmaheap_ctx *ctx;
	struct dmaheap_info info;

	NEED_NODES(t);
	ctx = fake_ctx(t);
	ASSERT(t, ctx);
	ASSERT_EQ(t, dmaheap_heap_info(ctx, "bare", &info), 0);
	EXPECT(t, !strcmp(info.name, "bare"));
	EXPECT_EQ(t, info.known, 0);
	EXPECT_EQ(t, info.nprops, 0);
	dmaheap_info_clear(&info);
	dmaheap_ctx_free(ctx);
}

static void info_rejects_missing_heap(struct tap_case *t)
{
	struct dmaheap_ctx *ctx = fake_ctx(t);
	struct dmaheap_info info;

	ASSERT(t, ctx);
	EXPECT_EQ(t, dmaheap_heap_info(ctx, "nosuch", &info), -ENOENT);
	/* Statistics alone do not make a heap. */
	EXPECT_EQ(t, dmaheap_heap_info(ctx, "ghost", &info), -ENOENT);
	EXPECT_EQ(t, dmaheap_heap_info(ctx, "plain", &info), -ENODEV);
	EXPECT_EQ(t, dmaheap_heap_info(ctx, "a/b", &info), -EINVAL);
	EXPECT_EQ(t, dmaheap_heap_info(ctx, "system", NULL), -EINVAL);
	EXPECT_EQ(t, dmaheap_heap_info(NULL, "system", &info), -EINVAL);
	dmaheap_ctx_free(ctx);
}

static void list_sorted_heaps(struct tap_case *t)
{
	static const char *const with_broken[] = { "bare", "broken", "reserved", "system" };
	static const char *const without[] = { "bare", "reserved", "system" };
	const char *const *want = have_enxio ? with_broken : without;
	size_t nwant = have_enxio ? 4 : 3, count = 99, i;
	struct dmaheap_info *infos = NULL;
	struct dmaheap_ctx *ctx;

	NEED_NODES(t);
	ctx = fake_ctx(t);
	ASSERT(t, ctx);
	ASSERT_EQ(t, dmaheap_list(ctx, &infos, &count), 0);
	ASSERT_EQ(t, count, nwant);
	for (i = 0; i < count; i++) {
		if (strcmp(infos[i].name, want[i])) {
			DIAG("heap %zu is '%s', expected '%s'", i, infos[i].name, want[i]);
			t->failed = true;
		}
	}
	/* The statistics came along. */
	EXPECT_EQ(t, infos[count - 1].bytes, 12288);
	EXPECT_EQ(t, infos[count - 1].nprops, 2);
	dmaheap_list_free(infos, count);
	dmaheap_ctx_free(ctx);
}

static void list_without_heaps(struct tap_case *t)
{
	struct dmaheap_info *infos = (struct dmaheap_info *)&infos;
	struct dmaheap_ctx *ctx = NULL;
	size_t count = 99;
	char path[600];

	snprintf(path, sizeof(path), "%s/missing", root);
	ASSERT_EQ(t, dmaheap_ctx_new_at(&ctx, path, path), 0);
	EXPECT_EQ(t, dmaheap_list(ctx, &infos, &count), 0);
	EXPECT_EQ(t, count, 0);
	EXPECT(t, infos == NULL);
	EXPECT_EQ(t, dmaheap_list(ctx, NULL, &count), -EINVAL);
	EXPECT_EQ(t, dmaheap_list(ctx, &infos, NULL), -EINVAL);
	EXPECT_EQ(t, dmaheap_list(NULL, &infos, &count), -EINVAL);
	dmaheap_ctx_free(ctx);
	/* A file where the directory should be is an error worth reporting. */
	snprintf(path, sizeof(path), "%s/plain", dev_dir);
	ASSERT_EQ(t, dmaheap_ctx_new_at(&ctx, path, NULL), 0);
	EXPECT_EQ(t, dmaheap_list(ctx, &infos, &count), -ENOTDIR);
	dmaheap_ctx_free(ctx);
}


/* ---- limits and usage per user ------------------------------------------ */

static struct dmaheap_ctx *core_ctx(struct tap_case *t, const char *sysfs)
{
	struct dmaheap_ctx *ctx = NULL;
	int err = dmaheap_ctx_new_at(&ctx, dev_dir, sysfs);

	if (err) {
		DIAG("dmaheap_ctx_new_at: %s", strerror(-err));
		t->failed = true;
	}
	return ctx;
}

static void limits_read_core(struct tap_case *t)
{
	struct dmaheap_limits limits;
	struct dmaheap_ctx *ctx = core_ctx(t, core_class);
	char dir[400];

	ASSERT(t, ctx);
	ASSERT_EQ(t, dmaheap_limits(ctx, &limits), 0);
	EXPECT_EQ(t, limits.known, DMAHEAP_LIMITS_BUDGET_BYTES |
		  DMAHEAP_LIMITS_BUDGET_USED | DMAHEAP_LIMITS_USER_QUOTA |
		  DMAHEAP_LIMITS_MEMCG_CHARGE);
	EXPECT_EQ(t, limits.budget_bytes, 536870912);
	EXPECT_EQ(t, limits.budget_used, 4202496);
	EXPECT_EQ(t, limits.user_quota_bytes, 268435456);
	EXPECT_EQ(t, limits.memcg_charge, 1);
	dmaheap_ctx_free(ctx);

	/* A trailing slash changes nothing. */
	snprintf(dir, sizeof(dir), "%s//", core_class);
	ctx = core_ctx(t, dir);
	ASSERT(t, ctx);
	ASSERT_EQ(t, dmaheap_limits(ctx, &limits), 0);
	EXPECT_EQ(t, limits.budget_bytes, 536870912);
	dmaheap_ctx_free(ctx);

	/* A relative sysfs directory, from the tree's root. */
	ASSERT_EQ(t, chdir(core_sys), 0);
	ctx = core_ctx(t, "class/dmaheap");
	ASSERT(t, ctx);
	ASSERT_EQ(t, dmaheap_limits(ctx, &limits), 0);
	EXPECT_EQ(t, limits.user_quota_bytes, 268435456);
	dmaheap_ctx_free(ctx);
}

static void limits_partial_or_missing(struct tap_case *t)
{
	struct dmaheap_limits limits;
	struct dmaheap_ctx *ctx;
	char dir[400], path[500];

	/* The heaps' fake tree has no core files two levels up. */
	ctx = fake_ctx(t);
	ASSERT(t, ctx);
	memset(&limits, 0xa5, sizeof(limits));
	EXPECT_EQ(t, dmaheap_limits(ctx, &limits), -ENOENT);
	EXPECT_EQ(t, limits.known, 0);
	EXPECT_EQ(t, dmaheap_limits(ctx, NULL), -EINVAL);
	EXPECT_EQ(t, dmaheap_limits(NULL, &limits), -EINVAL);
	dmaheap_ctx_free(ctx);
	/* Too short a path to have two levels above it. */
	ctx = core_ctx(t, "dmaheap");
	ASSERT(t, ctx);
	EXPECT_EQ(t, dmaheap_limits(ctx, &limits), -ENOENT);
	dmaheap_ctx_free(ctx);

	/* Values that are not what the core writes are not believed. */
	snprintf(dir, sizeof(dir), "%s/odd/sys", root);
	ASSERT_EQ(t, make_dirs(root, "odd/sys/class/dmaheap", path, sizeof(path)), 0);
	ASSERT_EQ(t, make_dirs(dir, "module/dmaheap/parameters", path, sizeof(path)), 0);
	ASSERT_EQ(t, write_file(path, "budget_bytes", "64M\n"), 0);
	ASSERT_EQ(t, write_file(path, "user_quota_bytes", "1048576\n"), 0);
	ASSERT_EQ(t, write_file(path, "memcg_charge", "maybe\n"), 0);
	snprintf(path, sizeof(path), "%s/class/dmaheap", dir);
	ctx = core_ctx(t, path);
	ASSERT(t, ctx);
	ASSERT_EQ(t, dmaheap_limits(ctx, &limits), 0);
	EXPECT_EQ(t, limits.known, DMAHEAP_LIMITS_USER_QUOTA);
	EXPECT_EQ(t, limits.user_quota_bytes, 1048576);
	EXPECT_EQ(t, limits.budget_bytes, 0);
	/* And without a users directory, no user's usage. */
	{
		struct dmaheap_user_usage usage;
		struct dmaheap_user_usage *list = (void *)&usage;
		size_t n = 9;

		EXPECT_EQ(t, dmaheap_user_usage(ctx, 1000, &usage), -ENOENT);
		EXPECT_EQ(t, dmaheap_users(ctx, &list, &n), 0);
		EXPECT(t, list == NULL);
		EXPECT_EQ(t, n, 0);
	}
	dmaheap_ctx_free(ctx);
}

static void user_usage_reads_user(struct tap_case *t)
{
	unsigned int all = DMAHEAP_USAGE_BYTES | DMAHEAP_USAGE_BUFFERS |
		DMAHEAP_USAGE_FAILED_ALLOCS;
	struct dmaheap_user_usage usage;
	struct dmaheap_ctx *ctx = core_ctx(t, core_class);

	ASSERT(t, ctx);
	ASSERT_EQ(t, dmaheap_user_usage(ctx, 1000, &usage), 0);
	EXPECT_EQ(t, usage.uid, 1000);
	EXPECT_EQ(t, usage.known, all);
	EXPECT_EQ(t, usage.bytes, 4194304);
	EXPECT_EQ(t, usage.buffers, 2);
	EXPECT_EQ(t, usage.failed_allocs, 3);

	/* A user who never allocated holds nothing. */
	memset(&usage, 0xa5, sizeof(usage));
	ASSERT_EQ(t, dmaheap_user_usage(ctx, 4242, &usage), 0);
	EXPECT_EQ(t, usage.uid, 4242);
	EXPECT_EQ(t, usage.known, all);
	EXPECT_EQ(t, usage.bytes, 0);
	EXPECT_EQ(t, usage.buffers, 0);
	EXPECT_EQ(t, usage.failed_allocs, 0);
	EXPECT_EQ(t, usage.reserved[0], 0);

	/* Unusable files are left unknown. */
	ASSERT_EQ(t, dmaheap_user_usage(ctx, 2000, &usage), 0);
	EXPECT_EQ(t, usage.known, DMAHEAP_USAGE_BUFFERS);
	EXPECT_EQ(t, usage.buffers, 7);
	/* "42" is a file, not a user's directory. */
	EXPECT_EQ(t, dmaheap_user_usage(ctx, 42, &usage), -ENOTDIR);

	EXPECT_EQ(t, dmaheap_user_usage(ctx, 1000, NULL), -EINVAL);
	EXPECT_EQ(t, dmaheap_user_usage(NULL, 1000, &usage), -EINVAL);
	dmaheap_ctx_free(ctx);
}

static void users_sorted(struct tap_case *t)
{
	static const uid_t want[] = { 0, 1000, 2000, 65534, 4294967295U };
	struct dmaheap_user_usage *list = NULL;
	struct dmaheap_ctx *ctx = core_ctx(t, core_class);
	size_t n = 0, i;

	ASSERT(t, ctx);
	ASSERT_EQ(t, dmaheap_users(ctx, &list, &n), 0);
	/* Not "007", "alice" or the file "42". */
	ASSERT_EQ(t, n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n; i++) {
		if (list[i].uid != want[i]) {
			DIAG("user %zu is %u, expected %u", i, (unsigned int)list[i].uid,
			     (unsigned int)want[i]);
			t->failed = true;
		}
	}
	EXPECT_EQ(t, list[0].bytes, 8192);
	EXPECT_EQ(t, list[1].bytes, 4194304);
	EXPECT_EQ(t, list[1].failed_allocs, 3);
	EXPECT_EQ(t, list[2].known, DMAHEAP_USAGE_BUFFERS);
	EXPECT_EQ(t, list[3].failed_allocs, 1);
	free(list);

	EXPECT_EQ(t, dmaheap_users(ctx, NULL, &n), -EINVAL);
	EXPECT_EQ(t, dmaheap_users(ctx, &list, NULL), -EINVAL);
	EXPECT_EQ(t, dmaheap_users(NULL, &list, &n), -EINVAL);
	dmaheap_ctx_free(ctx);
}

static const struct tap_test tests[] = {
	TAP_TEST(ctx_new_rejects_bad_args),
	TAP_TEST(ctx_free_accepts_null),
	TAP_TEST(open_rejects_bad_names),
	TAP_TEST(open_missing_heap),
	TAP_TEST(open_refuses_non_devices),
	TAP_TEST(open_caches_fd),
	TAP_TEST(open_first_falls_back),
	TAP_TEST(open_first_reports_none),
	TAP_TEST(open_first_reports_open_error),
	TAP_TEST(open_concurrent_shares_fd),
	TAP_TEST(alloc_rejects_bad_args),
	TAP_TEST(alloc_missing_heap),
	TAP_TEST(alloc_non_heap_device),
	TAP_TEST(buf_rejects_bad_fds),
	TAP_TEST(map_regular_file),
	TAP_TEST(info_reads_sysfs),
	TAP_TEST(info_skips_bad_values),
	TAP_TEST(info_without_sysfs),
	TAP_TEST(info_rejects_missing_heap),
	TAP_TEST(list_sorted_heaps),
	TAP_TEST(list_without_heaps),
	TAP_TEST(limits_read_core),
	TAP_TEST(limits_partial_or_missing),
	TAP_TEST(user_usage_reads_user),
	TAP_TEST(users_sorted),
};

int main(void)
{
	int rc;

	if (setup()) {
		printf("Bail out! cannot build the fake heap tree in %s: %s\n",
		       root, strerror(errno));
		teardown();
		return 1;
	}
	rc = tap_run(tests, sizeof(tests) / sizeof(tests[0]), NULL, 0, 30);
	teardown();
	return rc;
}
