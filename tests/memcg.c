// SPDX-License-Identifier: GPL-2.0
/*
 * memcg: heap buffers count against the allocating process's memory cgroup
 * (cgroup v2, mounted at /sys/fs/cgroup by the test when it is not).
 *
 *   memcg_limit_each_heap     in a group with memory.max=LIMIT, a process
 *                             allocates from one heap at a time until
 *                             refused: ENOMEM, holding at most LIMIT plus
 *                             SLACK; a process in another group allocates
 *                             normally meanwhile
 *   memcg_current_follows     with pools off, memory.current rises and
 *                             falls with system heap buffers (the heaps
 *                             whose pages the kernel lets a module charge;
 *                             see docs/DESIGN.md for the others)
 *   memcg_pool_shares         a pool's worth of pages circulates
 *                             uncharged: a cgroup's buffers past it are
 *                             charged, and the pool fills and serves
 *                             processes in any cgroup
 *   memcg_charge_off          with dmaheap.memcg_charge=N, buffers are not
 *                             charged and the limit does not apply to them
 *
 * The kernel log (checked by run-tests) must show no OOM kill.
 */
#include <sys/mount.h>

#include "harness.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define CG_A		CG_ROOT "/dmaheap-test-a"
#define CG_B		CG_ROOT "/dmaheap-test-b"
#define CHARGE_PARAM	"/sys/module/dmaheap/parameters/memcg_charge"
#define LIMIT		(64 * TH_MiB)
/* The process's own pages and the kernel's bookkeeping also count. */
#define SLACK		(4 * TH_MiB)
#define CHUNK		(4 * TH_MiB)
/*
 * A cgroup's memory.current also counts the per-CPU charge stock (64
 * pages per CPU, charged ahead and consumed by later charges): a reading
 * may drop by that much while the group allocates.
 */
#define STOCK		((uint64_t)64 * sysconf(_SC_PAGESIZE) * \
			 sysconf(_SC_NPROCESSORS_CONF))
#define MAX_HELD	128

/* Mount cgroup v2 if needed and make the memory controller available. */
static void cg_setup(void)
{
	char ctl[256] = "";

	if (access(CG_ROOT "/cgroup.controllers", F_OK)) {
		mkdir(CG_ROOT, 0755);
		if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
			SKIP("cannot mount cgroup2: %s", strerror(errno));
	}
	ASSERT_EQ(0, th_read_file(CG_ROOT "/cgroup.controllers", ctl,
				  sizeof(ctl)));
	if (!strstr(ctl, "memory"))
		SKIP("no memory controller (cgroup v1 owns it?)");
	ASSERT_EQ(0, th_write_file(CG_ROOT "/cgroup.subtree_control",
				   "+memory"));
}

static void cg_make(const char *dir, const char *max)
{
	char path[160];

	if (mkdir(dir, 0755) && errno != EEXIST)
		FAIL("mkdir %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/memory.max", dir);
	ASSERT_EQ(0, th_write_file(path, max));
}

/* Move the calling process into @dir. */
static int cg_enter(const char *dir)
{
	char path[160], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	return th_write_file(path, pid);
}

static uint64_t cg_current(const char *dir)
{
	char path[160];
	uint64_t v = 0;

	snprintf(path, sizeof(path), "%s/memory.current", dir);
	ASSERT_EQ(0, th_read_u64_path(path, &v));
	return v;
}

/* Remove the test groups (they must be empty by now). */
static void cg_cleanup(void)
{
	rmdir(CG_A);
	rmdir(CG_B);
}

/* In a child in @dir: allocate CHUNKs from @h until refused; report. */
static void fill_child(const struct th_heap *h, const char *dir, int w)
{
	int fds[MAX_HELD], n = 0, fd = 0;
	uint64_t report[2];

	if (cg_enter(dir))
		_exit(100);
	while (n < MAX_HELD) {
		fd = th_alloc(h, CHUNK);
		if (fd < 0)
			break;
		fds[n++] = fd;
	}
	report[0] = (uint64_t)n * CHUNK;
	report[1] = fd < 0 ? (uint64_t)-fd : 0;
	if (write(w, report, sizeof(report)) != sizeof(report))
		_exit(2);
	while (n)
		close(fds[--n]);
	_exit(0);
}

TEST_TIMEOUT(memcg_limit_each_heap, 300)
{
	char max[32];
	int i, p[2], status;

	cg_setup();
	snprintf(max, sizeof(max), "%" PRIu64, LIMIT);
	cg_make(CG_A, max);
	cg_make(CG_B, "max");
	ASSERT_OK(pipe(p));
	for (i = 0; i < th.nheaps; i++) {
		uint64_t report[2];
		pid_t pid = fork(), other;
		int fd;

		ASSERT_GE(pid, 0);
		if (pid == 0)
			fill_child(&th.heaps[i], CG_A, p[1]);
		ASSERT_EQ((ssize_t)sizeof(report),
			  read(p[0], report, sizeof(report)));
		TH_LOG("%s: %" PRIu64 " MiB held in a %" PRIu64
		       " MiB group, then: %s", th.heaps[i].name,
		       report[0] / TH_MiB, LIMIT / TH_MiB,
		       strerror((int)report[1]));
		EXPECT_EQ(ENOMEM, report[1]);
		EXPECT_LE(report[0], LIMIT + SLACK);
		EXPECT_GE(report[0], LIMIT - SLACK - CHUNK);

		/* Next door, another group allocates as usual. */
		other = fork();
		ASSERT_GE(other, 0);
		if (other == 0) {
			if (cg_enter(CG_B))
				_exit(100);
			/* The carveout is all but taken: one chunk. */
			fd = th_alloc(&th.heaps[i], CHUNK);
			_exit(fd >= 0 ? 0 : 1);
		}
		ASSERT_EQ(other, waitpid(other, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	close(p[0]);
	close(p[1]);
	cg_cleanup();
}

/* The heaps whose pages the kernel charges: the system heaps. */
static bool charges_pages(const struct th_heap *h)
{
	return !strncmp(h->name, "system", 6) &&
	       strcmp(h->name, "system-contiguous") != 0;
}

/*
 * A child in @dir that allocates @len bytes from @h, then frees them, one
 * step per cg_child_step().
 */
struct cg_child {
	pid_t pid;
	int to[2], from[2];
};

static void cg_child_start(struct cg_child *c, const char *dir,
			   const struct th_heap *h, size_t len)
{
	char ch;
	int fd;

	ASSERT_OK(pipe(c->to));
	ASSERT_OK(pipe(c->from));
	c->pid = fork();
	ASSERT_GE(c->pid, 0);
	if (c->pid == 0) {
		if (cg_enter(dir) || write(c->from[1], "e", 1) != 1)
			_exit(100);
		if (read(c->to[0], &ch, 1) != 1)
			_exit(2);
		fd = th_alloc(h, len);
		if (fd < 0 || write(c->from[1], "a", 1) != 1)
			_exit(3);
		if (read(c->to[0], &ch, 1) != 1)
			_exit(4);
		close(fd);
		if (write(c->from[1], "f", 1) != 1)
			_exit(5);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(c->from[0], &ch, 1));
}

/* Let the child take its next step and wait for it. */
static void cg_child_step(struct cg_child *c)
{
	char ch;

	ASSERT_EQ(1, write(c->to[1], "g", 1));
	ASSERT_EQ(1, read(c->from[0], &ch, 1));
}

static void cg_child_stop(struct cg_child *c)
{
	int status;

	kill(c->pid, SIGKILL);
	ASSERT_EQ(c->pid, waitpid(c->pid, &status, 0));
	close(c->to[0]);
	close(c->to[1]);
	close(c->from[0]);
	close(c->from[1]);
}

TEST_TIMEOUT(memcg_current_follows, 120)
{
	char saved[32] = "";
	int i, n = 0;

	cg_setup();
	cg_make(CG_A, "max");
	/* With no pool, every fresh page is charged (see memcg_pool_shares). */
	ASSERT_EQ(0, th_pools_off(saved, sizeof(saved)));
	for (i = 0; i < th.nheaps; i++) {
		uint64_t before, held, after;
		struct cg_child c;

		if (!charges_pages(&th.heaps[i]))
			continue;
		n++;
		cg_child_start(&c, CG_A, &th.heaps[i], 16 * TH_MiB);
		before = cg_current(CG_A);
		cg_child_step(&c);
		held = cg_current(CG_A);
		cg_child_step(&c);
		after = cg_current(CG_A);
		cg_child_stop(&c);
		TH_LOG("%s: memory.current %" PRIu64 " -> %" PRIu64 " -> %"
		       PRIu64 " KiB", th.heaps[i].name, before / 1024,
		       held / 1024, after / 1024);
		EXPECT_GE(held + STOCK, before + 16 * TH_MiB);
		EXPECT_LE(held, before + 16 * TH_MiB + SLACK);
		EXPECT_LE(after, before + SLACK);
	}
	EXPECT_EQ(0, th_pools_restore(saved));
	if (!n)
		SKIP("no system heap");
	cg_cleanup();
}

/*
 * With a pool of POOL_CEIL, a process in a cgroup allocates POOL_CEIL + 32
 * MiB: the first POOL_CEIL are taken uncharged (held to the cgroup's limit
 * by the core's own count), the rest charged; freed, the uncharged part
 * fills the pool and the charged part goes back; allocated again, the
 * pool serves POOL_CEIL without a charge.
 */
#define POOL_CEIL	(16 * TH_MiB)

TEST_TIMEOUT(memcg_pool_shares, 120)
{
	uint64_t before, held, after, pooled, again, left;
	char saved[32] = "", ceil[32];
	struct cg_child c;
	struct th_heap h;

	th_heap_init(&h, "system");
	if (access(h.dev, R_OK | W_OK) || th_sysfs_read(&h, "pool_bytes", &left))
		SKIP("no pooled system heap of ours");
	cg_setup();
	cg_make(CG_A, "max");
	/* Empty pools, then a small ceiling. */
	ASSERT_EQ(0, th_pools_off(saved, sizeof(saved)));
	snprintf(ceil, sizeof(ceil), "%" PRIu64, (uint64_t)POOL_CEIL);
	ASSERT_EQ(0, th_write_file(TH_POOL_PARAM, ceil));

	cg_child_start(&c, CG_A, &h, POOL_CEIL + 32 * TH_MiB);
	before = cg_current(CG_A);
	cg_child_step(&c);
	held = cg_current(CG_A);
	cg_child_step(&c);
	after = cg_current(CG_A);
	ASSERT_EQ(0, th_sysfs_read(&h, "pool_bytes", &pooled));
	cg_child_stop(&c);
	TH_LOG("memory.current %" PRIu64 " -> %" PRIu64 " -> %" PRIu64
	       " KiB; pool %" PRIu64 " KiB", before / 1024, held / 1024,
	       after / 1024, pooled / 1024);
	EXPECT_GE(held + STOCK, before + 32 * TH_MiB);
	EXPECT_LE(held, before + 32 * TH_MiB + SLACK);
	EXPECT_LE(after, before + SLACK);
	EXPECT_EQ((uint64_t)POOL_CEIL, pooled);

	/* Again: the pool serves its part without a charge. */
	cg_child_start(&c, CG_A, &h, POOL_CEIL);
	before = cg_current(CG_A);
	cg_child_step(&c);
	again = cg_current(CG_A);
	ASSERT_EQ(0, th_sysfs_read(&h, "pool_bytes", &left));
	cg_child_step(&c);
	cg_child_stop(&c);
	TH_LOG("from the pool: memory.current %" PRIu64 " -> %" PRIu64
	       " KiB; pool %" PRIu64 " KiB", before / 1024, again / 1024,
	       left / 1024);
	/*
	 * The request takes the largest order first, from the pool while it
	 * has blocks of that order, then fresh.  Where the first child got
	 * some blocks at a lower order (a large one was not to be had),
	 * those stay pooled and as many bytes come fresh, charged.
	 */
	EXPECT_LE(again, before + left + SLACK);
	EXPECT_LE(left, POOL_CEIL / 4);
	EXPECT_EQ(0, th_pools_restore(saved));
	cg_cleanup();
}

TEST_TIMEOUT(memcg_charge_off, 120)
{
	char saved[8] = "", max[32];
	uint64_t report[2];
	struct th_heap system;
	int p[2], status;
	pid_t pid;

	th_heap_init(&system, "system");
	if (access(system.dev, R_OK | W_OK))
		SKIP("no system heap of ours");
	cg_setup();
	snprintf(max, sizeof(max), "%" PRIu64, LIMIT);
	cg_make(CG_A, max);
	ASSERT_EQ(0, th_read_file(CHARGE_PARAM, saved, sizeof(saved)));
	ASSERT_EQ(0, th_write_file(CHARGE_PARAM, "N"));
	ASSERT_OK(pipe(p));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (cg_enter(CG_A))
			_exit(100);
		report[0] = 0;
		report[1] = 0;
		/* Twice the group's limit, uncharged, in one buffer. */
		{
			int fd = th_alloc(&system, 2 * LIMIT);

			report[0] = fd >= 0;
			report[1] = cg_current(CG_A);
			if (write(p[1], report, sizeof(report)) != sizeof(report))
				_exit(2);
			_exit(0);
		}
	}
	ASSERT_EQ((ssize_t)sizeof(report), read(p[0], report, sizeof(report)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, th_write_file(CHARGE_PARAM, saved));
	EXPECT_EQ(1, report[0]);
	EXPECT_LT(report[1], LIMIT);
	close(p[0]);
	close(p[1]);
	cg_cleanup();
}
