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

/* How much to allocate: 60% of the cap, at most 60% of free memory. */
static uint64_t big_len(const struct th_heap *heap)
{
	long long avail = th_free_kb();
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
