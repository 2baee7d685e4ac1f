// SPDX-License-Identifier: GPL-2.0
/*
 * kill_alloc: a process killed in the middle of a large allocation leaves
 * nothing behind: the heap's statistics return to their baseline and the
 * memory comes back (th_free_kb(): MemAvailable plus per-CPU free lists).
 * Non-fatal signals do not interrupt an
 * allocation.
 */
#include "harness.h"

/* Free memory may wander a little on its own. */
#define SLACK_KB	(8 * 1024)

/* How much to allocate: 60% of the cap, at most 60% of MemAvailable. */
static uint64_t big_len(const struct th_heap *heap)
{
	long long avail = th_meminfo_kb("MemAvailable");
	uint64_t limit = 0, len;

	if (th_sysfs_read(heap, "limit_bytes", &limit) || avail <= 0)
		return 0;
	len = limit / 10 * 6;
	if (len > (uint64_t)avail * 1024 / 10 * 6)
		len = (uint64_t)avail * 1024 / 10 * 6;
	return len & ~(uint64_t)(TH_MiB - 1);
}

/* Wait until free memory is back within SLACK_KB of @want_kb. */
static long long wait_mem_back(long long want_kb)
{
	double end = th_now() + 5;
	long long now;

	do {
		now = th_free_kb();
		if (now >= want_kb - SLACK_KB)
			break;
		usleep(50 * 1000);
	} while (th_now() < end);
	return now;
}

HEAP_TEST_TIMEOUT(alloc_killed, 150)
{
	static const int delays_ms[] = { 0, 2, 10, 30, 60, 120, 250, 500 };
	uint64_t len = big_len(heap);
	struct th_stats base, now;
	long long avail0, avail;
	double t0, full;
	size_t i;
	int fd;

	ASSERT_GT(len, 0);
	ASSERT_EQ(0, th_stats_read(heap, &base));

	/* One undisturbed run, to know how long the allocation takes. */
	t0 = th_now();
	fd = th_alloc_large(heap, len);
	full = th_now() - t0;
	ASSERT_GE(fd, 0);
	close(fd);
	avail0 = th_free_kb();
	TH_LOG("%" PRIu64 " MiB take %.0f ms; free memory %lld MiB",
	       len / TH_MiB, full * 1000, avail0 / 1024);

	for (i = 0; i < sizeof(delays_ms) / sizeof(delays_ms[0]); i++) {
		int ready[2], status;
		char c;
		pid_t pid;

		ASSERT_OK(pipe2(ready, O_CLOEXEC));
		pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			int heap_fd = th_heap_open(heap);

			close(ready[0]);
			if (write(ready[1], "x", 1) != 1)
				_exit(1);
			fd = th_alloc_fd(heap_fd, len, O_RDWR | O_CLOEXEC);
			/* Finished before the signal came: wait for it. */
			pause();
			_exit(fd < 0 ? 2 : 3);
		}
		close(ready[1]);
		ASSERT_EQ(1, read(ready[0], &c, 1));
		close(ready[0]);
		usleep((useconds_t)delays_ms[i] * 1000);
		ASSERT_OK(kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status));
		ASSERT_EQ(SIGKILL, WTERMSIG(status));

		/* Everything the dead process had is released by now. */
		ASSERT_EQ(0, th_stats_read(heap, &now));
		EXPECT_EQ(base.buffers, now.buffers);
		EXPECT_EQ(base.bytes, now.bytes);
		avail = wait_mem_back(avail0);
		if (avail < avail0 - SLACK_KB)
			TH_LOG("after a kill at %d ms free memory is %lld MiB, "
			       "was %lld MiB", delays_ms[i], avail / 1024,
			       avail0 / 1024);
		EXPECT_GE(avail, avail0 - SLACK_KB);
	}
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(base.buffers, now.buffers);
	EXPECT_EQ(base.bytes, now.bytes);
	/*
	 * Kills that came after the allocation finished show up in
	 * total_allocs (beyond the undisturbed run); the others were
	 * interrupted.  At least some must have been, or this tested nothing.
	 */
	TH_LOG("%" PRIu64 " of %zu kills came after the allocation finished, "
	       "%" PRIu64 " stopped it in the heap",
	       now.total_allocs - base.total_allocs - 1, i,
	       now.failed_allocs - base.failed_allocs);
	/*
	 * An allocation quicker than the first delays (a carveout's frames
	 * zeroed in advance: no work left to interrupt) is only killed after
	 * it finished; the checks above still hold for it.
	 */
	if (full * 1000 < delays_ms[3]) {
		TH_LOG("the allocation takes %.0f ms: too quick to be interrupted; only kills after it were tested",
		       full * 1000);
		return;
	}
	EXPECT_LT(now.total_allocs - base.total_allocs - 1, i);
}

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_seen++;
}

/* A caught signal arriving during an allocation does not make it fail. */
HEAP_TEST_TIMEOUT(alloc_signalled, 60)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	uint64_t len = big_len(heap) / 2;
	int i, fd, ok = 0, hit = 0;
	sig_atomic_t before;
	pid_t self_pid = getpid(), pid;

	ASSERT_GT(len, 0);
	/*
	 * Undisturbed first: a contiguous heap may have no run this long
	 * free (fragmentation), which skips the case rather than failing it.
	 */
	fd = th_alloc_large(heap, len);
	ASSERT_GE(fd, 0);
	close(fd);
	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* Pester the parent until it kills us. */
		for (;;) {
			kill(self_pid, SIGUSR1);
			usleep(2000);
		}
	}
	for (i = 0; i < 3; i++) {
		before = usr1_seen;
		fd = th_alloc(heap, len);
		/* A handler ran on the way out: a signal came in meanwhile. */
		hit += usr1_seen != before;
		if (fd < 0)
			TH_LOG("allocation %d: %s", i, strerror(-fd));
		EXPECT_GE(fd, 0);
		if (fd >= 0) {
			ok++;
			close(fd);
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	TH_LOG("%d of 3 allocations were signalled; all succeeded: %s", hit,
	       ok == 3 ? "yes" : "no");
	ASSERT_EQ(3, ok);
	ASSERT_GT(hit, 0);
}

/*
 * A process waiting behind another's long contiguous allocation (the
 * contiguous heap migrates one request at a time) dies at once when
 * killed, instead of sitting in D state until the other is done.  The
 * first request is made long by giving migration work: memory full of a
 * helper's pages.  The kill must take effect within KILL_BOUND_S while
 * the first request is still running; if the first request is too quick
 * to tell (it ended soon after the kill), the case says so and skips.
 */
#define KILL_BOUND_S	1.0

/* Allocate @len in a child; its pid, and a pipe that says it started. */
static pid_t alloc_child(const struct th_heap *heap, uint64_t len, int *ready)
{
	int p[2];
	pid_t pid;

	ASSERT_OK(pipe2(p, O_CLOEXEC));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int heap_fd = th_heap_open(heap), fd;

		close(p[0]);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		fd = th_alloc_fd(heap_fd, len, O_RDWR | O_CLOEXEC);
		_exit(fd < 0 ? 2 : 0);
	}
	close(p[1]);
	*ready = p[0];
	return pid;
}

HEAP_TEST_TIMEOUT(alloc_killed_while_waiting, 180)
{
	uint64_t pool = 0, first_len, second_len = 32 * TH_MiB;
	int ready1, ready2, status, filler_pipe[2];
	pid_t first, second, filler;
	double t0, waited, first_took, killed_at;
	struct th_stats base, now;
	char c;

	/* The migrating heap has a reserve (possibly of 0 bytes). */
	if (th_sysfs_read(heap, "reserved_bytes", &pool))
		SKIP("%s does not migrate pages (no reserved_bytes)", heap->name);
	first_len = big_len(heap);
	ASSERT_GT(first_len, second_len);
	ASSERT_EQ(0, th_stats_read(heap, &base));

	/* Fill memory with pages migration will have to move. */
	ASSERT_OK(pipe(filler_pipe));
	filler = fork();
	ASSERT_GE(filler, 0);
	if (filler == 0) {
		size_t len = (size_t)th_free_kb() * 1024 / 4, i;
		char *m = malloc(len);

		if (m)
			for (i = 0; i < len; i += 4096)
				m[i] = 1;
		if (write(filler_pipe[1], "f", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(filler_pipe[0], &c, 1));

	t0 = th_now();
	first = alloc_child(heap, first_len, &ready1);
	ASSERT_EQ(1, read(ready1, &c, 1));
	usleep(100 * 1000);
	second = alloc_child(heap, second_len, &ready2);
	ASSERT_EQ(1, read(ready2, &c, 1));
	usleep(200 * 1000);

	/* The second is queued behind the first's migration: kill it. */
	ASSERT_OK(kill(second, SIGKILL));
	waited = th_now();
	killed_at = waited - t0;
	ASSERT_EQ(second, waitpid(second, &status, 0));
	waited = th_now() - waited;
	ASSERT_EQ(first, waitpid(first, &status, 0));
	first_took = th_now() - t0;
	kill(filler, SIGKILL);
	waitpid(filler, NULL, 0);
	close(ready1);
	close(ready2);
	close(filler_pipe[0]);
	close(filler_pipe[1]);

	TH_LOG("first request (%" PRIu64 " MiB) took %.2f s; the killed one "
	       "was gone after %.2f s", first_len / TH_MiB, first_took, waited);
	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(base.buffers, now.buffers);
	EXPECT_EQ(base.bytes, now.bytes);
	/* Informative only if the first ran on well past the kill. */
	if (first_took - killed_at < 1.5 * KILL_BOUND_S && waited < KILL_BOUND_S)
		SKIP("the first request ended %.2f s after the kill: too quick to tell",
		     first_took - killed_at);
	EXPECT_LT(waited, KILL_BOUND_S);
}
