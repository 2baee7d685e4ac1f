// SPDX-License-Identifier: GPL-2.0
/*
 * unload: heap modules can be removed, but never from under a live buffer.
 * A buffer pins the module that made it whether it is held by an fd, a
 * mapping or another driver's import; once the last one goes the module
 * unloads, its node and sysfs directory disappear, and loading it again
 * brings them back.  An open heap node does not pin the module: after the
 * unload, allocating through it fails with ENODEV.  The core module cannot
 * go while heap modules use it.
 *
 * The kernel refuses to unload a module in use (or with dependents) with
 * EWOULDBLOCK (EAGAIN).  Modules are reloaded from $DMAHEAP_MODDIR with the
 * parameters in its load-order file; every test leaves them all loaded.
 */

#include "harness.h"
#include "vgem.h"

#define MAX_MODULES	16

static bool module_loaded(const char *name)
{
	char path[128], state[32];

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return !th_read_file(path, state, sizeof(state)) &&
	       !strcmp(state, "live\n");
}

static long long module_refcnt(const char *name)
{
	char path[128];
	uint64_t val;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	return th_read_u64_path(path, &val) ? -1 : (long long)val;
}

/* Load, in order, every module of load-order that is not loaded. */
static int reload_all(const struct th_module *mods, int n)
{
	int i, ret, first = 0;

	for (i = 0; i < n; i++) {
		if (module_loaded(mods[i].name))
			continue;
		ret = th_load_module(mods[i].file, mods[i].params);
		if (ret && ret != -EEXIST) {
			TH_LOG("loading %s: %s", mods[i].file, strerror(-ret));
			first = first ?: ret;
		}
	}
	return first;
}

static bool node_exists(const struct th_heap *heap)
{
	struct stat st;

	return !stat(heap->dev, &st) && S_ISCHR(st.st_mode);
}

static bool sysfs_exists(const struct th_heap *heap)
{
	struct stat st;

	return !stat(heap->sysfs, &st);
}

FIXTURE(unload) {
	struct th_module mods[MAX_MODULES];
	int nmods;
	const struct th_module *owner;
	size_t len;
};

/*
 * Find the module that owns @heap's buffers: the one whose reference count
 * goes up while a buffer is alive.
 */
FIXTURE_SETUP(unload)
{
	long long before[MAX_MODULES];
	int i, fd;

	self->len = TH_MiB;
	self->nmods = th_read_load_order(self->mods, MAX_MODULES);
	if (self->nmods < 0)
		SKIP("no $DMAHEAP_MODDIR/load-order");
	ASSERT_EQ(0, reload_all(self->mods, self->nmods));

	for (i = 0; i < self->nmods; i++)
		before[i] = module_refcnt(self->mods[i].name);
	fd = th_alloc(heap, self->len);
	ASSERT_GE(fd, 0);
	for (i = 0; i < self->nmods; i++) {
		if (!strcmp(self->mods[i].name, "dmaheap"))
			continue;
		if (module_refcnt(self->mods[i].name) == before[i] + 1) {
			self->owner = &self->mods[i];
			break;
		}
	}
	close(fd);
	if (!self->owner)
		FAIL("no module's refcnt went up while a %s buffer was alive",
		     heap->name);
}

FIXTURE_TEARDOWN(unload)
{
	if (self->nmods <= 0)
		return;
	EXPECT_EQ(0, reload_all(self->mods, self->nmods));
	EXPECT_TRUE(node_exists(heap));
}

/* The module goes: its node and sysfs directory go with it, then return. */
static void unload_and_reload(struct th_fixture_unload *self,
			      const struct th_heap *heap)
{
	struct th_stats st;
	int fd;

	ASSERT_EQ(0, th_unload_module(self->owner->name));
	ASSERT_FALSE(module_loaded(self->owner->name));
	ASSERT_FALSE(node_exists(heap));
	ASSERT_FALSE(sysfs_exists(heap));

	ASSERT_EQ(0, th_load_module(self->owner->file, self->owner->params));
	ASSERT_TRUE(node_exists(heap));
	ASSERT_TRUE(sysfs_exists(heap));
	/* A fresh heap: nothing live, and it allocates. */
	ASSERT_EQ(0, th_stats_read(heap, &st));
	ASSERT_EQ(0, st.buffers);
	ASSERT_EQ(0, st.bytes);
	fd = th_alloc(heap, self->len);
	ASSERT_GE(fd, 0);
	close(fd);
}

/*
 * Allocations racing the module's removal fail with the documented errnos
 * only: ENODEV once the heap is going or gone (EAGAIN would be a module
 * still loading).  dma_buf_export() of a module on its way out says
 * ENOENT, which must never reach userspace.
 */
HEAP_TEST_F_TIMEOUT(unload, unload_race_errno, 90)
{
	int heap_fd, pipefd[2], status, ret = -1;
	unsigned int counts[3] = { 0 };	/* ok, ENODEV, other */
	double deadline;
	pid_t pid;

	heap_fd = th_heap_open(heap);
	ASSERT_GE(heap_fd, 0);
	ASSERT_OK(pipe(pipefd));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		unsigned int c[3] = { 0 }, i;
		int err = 0;

		close(pipefd[0]);
		/*
		 * Until the heap is gone for good, and a while after.  Each
		 * allocation takes a while, so that removal often starts
		 * while one is inside the heap.
		 */
		for (i = 0; i < 200000 && c[1] < 2000; i++) {
			int fd = th_alloc_fd(heap_fd, 4 * TH_MiB, O_RDWR);

			if (fd >= 0) {
				close(fd);
				c[0]++;
			} else if (fd == -ENODEV) {
				c[1]++;
			} else {
				c[2]++;
				if (!err)
					err = -fd;
			}
		}
		c[2] = c[2] ? (c[2] << 8) | (unsigned int)err : 0;
		if (write(pipefd[1], c, sizeof(c)) != sizeof(c))
			_exit(2);
		_exit(0);
	}
	close(pipefd[1]);
	/* Keep trying: an allocation in flight holds the module. */
	deadline = th_now() + 30;
	while (th_now() < deadline) {
		ret = th_unload_module(self->owner->name);
		if (ret != -EWOULDBLOCK && ret != -EBUSY)
			break;
		usleep(1000);
	}
	EXPECT_EQ(0, ret);
	ASSERT_EQ((ssize_t)sizeof(counts), read(pipefd[0], counts,
						 sizeof(counts)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	close(pipefd[0]);
	close(heap_fd);
	TH_LOG("%u allocated, %u ENODEV, other errno: %u times (first %u)",
	       counts[0], counts[1], counts[2] >> 8, counts[2] & 0xff);
	EXPECT_EQ(0, counts[2]);
	EXPECT_GT(counts[1], 0);
	ASSERT_EQ(0, th_load_module(self->owner->file, self->owner->params));
}

HEAP_TEST_F_TIMEOUT(unload, unload_after_close, 60)
{
	int fd = th_alloc(heap, self->len);

	ASSERT_GE(fd, 0);
	close(fd);
	unload_and_reload(self, heap);
}

HEAP_TEST_F_TIMEOUT(unload, unload_refused_while_alive, 60)
{
	int fd = th_alloc(heap, self->len), fd2;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(-EWOULDBLOCK, th_unload_module(self->owner->name));
	/* Nothing changed: still loaded, still serving. */
	ASSERT_TRUE(module_loaded(self->owner->name));
	ASSERT_TRUE(node_exists(heap));
	fd2 = th_alloc(heap, self->len);
	ASSERT_GE(fd2, 0);
	close(fd2);
	ASSERT_EQ(-EWOULDBLOCK, th_unload_module(self->owner->name));
	close(fd);
	unload_and_reload(self, heap);
}

HEAP_TEST_F_TIMEOUT(unload, unload_refused_while_mapped, 60)
{
	uint8_t *p;
	int fd = th_alloc(heap, self->len);

	ASSERT_GE(fd, 0);
	p = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(fd);
	memset(p, 0x4b, self->len);

	ASSERT_EQ(-EWOULDBLOCK, th_unload_module(self->owner->name));
	ASSERT_TRUE(module_loaded(self->owner->name));
	ASSERT_EQ(-1, th_find_not(p, self->len, 0x4b));
	munmap(p, self->len);
	unload_and_reload(self, heap);
}

HEAP_TEST_F_TIMEOUT(unload, unload_refused_while_imported, 60)
{
	uint32_t handle = 0;
	int drm, fd;

	drm = vgem_open();
	if (drm < 0)
		SKIP("no vgem device in /dev/dri");
	fd = th_alloc(heap, self->len);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vgem_import(drm, fd, &handle));
	ASSERT_NE(0, handle);
	close(fd);

	ASSERT_EQ(-EWOULDBLOCK, th_unload_module(self->owner->name));
	ASSERT_TRUE(module_loaded(self->owner->name));

	ASSERT_EQ(0, vgem_close(drm, handle));
	close(drm);
	unload_and_reload(self, heap);
}

/* An open heap node does not hold the module; it just stops working. */
HEAP_TEST_F_TIMEOUT(unload, unload_with_open_node, 60)
{
	int stale = th_heap_open(heap), fresh;

	ASSERT_GE(stale, 0);
	ASSERT_EQ(0, th_unload_module(self->owner->name));
	ASSERT_FALSE(node_exists(heap));
	ASSERT_EQ(-ENODEV, th_alloc_fd(stale, self->len, O_RDWR | O_CLOEXEC));

	/* Loading the module again does not revive the old fd. */
	ASSERT_EQ(0, th_load_module(self->owner->file, self->owner->params));
	ASSERT_EQ(-ENODEV, th_alloc_fd(stale, self->len, O_RDWR | O_CLOEXEC));
	fresh = th_heap_open(heap);
	ASSERT_GE(fresh, 0);
	ASSERT_EQ(-ENODEV, th_alloc_fd(stale, self->len, O_RDWR | O_CLOEXEC));
	{
		int fd = th_alloc_fd(fresh, self->len, O_RDWR | O_CLOEXEC);

		ASSERT_GE(fd, 0);
		close(fd);
	}
	close(fresh);
	close(stale);
}

/* Register and unregister repeatedly, with buffers in between. */
HEAP_TEST_F_TIMEOUT(unload, unload_reload_cycles, 120)
{
	int i;

	for (i = 0; i < 5; i++)
		unload_and_reload(self, heap);
}

/* The core stays while heap modules depend on it. */
TEST(unload_core_refused)
{
	struct th_module mods[MAX_MODULES];
	int n = th_read_load_order(mods, MAX_MODULES), i, heaps = 0;

	if (n < 0)
		SKIP("no $DMAHEAP_MODDIR/load-order");
	for (i = 0; i < n; i++)
		heaps += strcmp(mods[i].name, "dmaheap") &&
			 module_loaded(mods[i].name);
	if (!module_loaded("dmaheap") || !heaps)
		SKIP("the core or its heap modules are not loaded");
	ASSERT_EQ(-EWOULDBLOCK, th_unload_module("dmaheap"));
	ASSERT_TRUE(module_loaded("dmaheap"));
	EXPECT_EQ(0, reload_all(mods, n));
}
