// SPDX-License-Identifier: GPL-2.0
/*
 * budget: one cap on the live bytes of all heaps together
 * (/sys/module/dmaheap/parameters/budget_bytes, default half of RAM), so
 * that exhausting every heap at once leaves the machine usable.  Carveouts
 * (memory set aside at boot) are not counted.
 *
 *   budget_param_parsing       the parameter takes sizes like limit_bytes
 *                              and refuses junk
 *   budget_refuses_new         a budget below what is live refuses new
 *                              buffers in every counted heap, not carveouts
 *   budget_all_heaps_exhausted every heap allocated until ENOMEM at once: a
 *                              bystander process keeps running, the heaps
 *                              hold no more than the budget, and free
 *                              memory stays above a quarter of RAM
 */
#include <poll.h>
#include <sys/resource.h>

#include "harness.h"

#define BUDGET_PARAM	"/sys/module/dmaheap/parameters/budget_bytes"
#define MAX_HELD	1024

static uint64_t budget_read(void)
{
	uint64_t v = 0;

	ASSERT_EQ(0, th_read_u64_path(BUDGET_PARAM, &v));
	return v;
}

static void budget_write(uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	ASSERT_EQ(0, th_write_file(BUDGET_PARAM, buf));
}

static bool is_carveout(const struct th_heap *h)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/base", h->sysfs);
	return access(path, F_OK) == 0;
}

TEST(budget_param_parsing)
{
	static const char *const bad[] = { "x", "-1", "16E", "0x10", "\n", "1 2" };
	uint64_t saved = budget_read(), v;
	size_t i;

	EXPECT_EQ(0, th_write_file(BUDGET_PARAM, "300M"));
	EXPECT_EQ(300 * TH_MiB, budget_read());
	EXPECT_EQ(0, th_write_file(BUDGET_PARAM, "0100\n"));
	EXPECT_EQ(100, budget_read());
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, th_write_file(BUDGET_PARAM, bad[i]));
	v = budget_read();
	EXPECT_EQ(100, v);
	budget_write(saved);
	EXPECT_EQ(saved, budget_read());
	/* The default is half of RAM. */
	EXPECT_LE(saved, th_ram_bytes() / 2 + th_page_size());
	EXPECT_GE(saved, th_ram_bytes() / 2 - th_page_size());
}

/* The sum of what the counted heaps hold now. */
static uint64_t counted_bytes(void)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < th.nheaps; i++) {
		uint64_t b = 0;

		if (is_carveout(&th.heaps[i]))
			continue;
		EXPECT_EQ(0, th_sysfs_read(&th.heaps[i], "bytes", &b));
		sum += b;
	}
	return sum;
}

TEST(budget_refuses_new)
{
	uint64_t saved = budget_read();
	int i, fd;

	budget_write(counted_bytes());
	for (i = 0; i < th.nheaps; i++) {
		fd = th_alloc(&th.heaps[i], th_page_size());
		if (is_carveout(&th.heaps[i])) {
			/* Not counted: it still serves. */
			EXPECT_GE(fd, 0);
		} else {
			if (fd != -ENOMEM)
				TH_LOG("%s: %d", th.heaps[i].name, fd);
			EXPECT_EQ(-ENOMEM, fd);
		}
		if (fd >= 0)
			close(fd);
	}
	budget_write(saved);
	fd = th_alloc(&th.heaps[0], th_page_size());
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close(fd);
}

/* A process that must keep running: it touches its memory and ticks. */
static pid_t bystander_start(int *tick_fd)
{
	int p[2];
	pid_t pid;

	ASSERT_OK(pipe(p));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		size_t len = 32 * TH_MiB, i;
		char *mem = malloc(len);

		close(p[0]);
		if (!mem)
			_exit(1);
		for (;;) {
			for (i = 0; i < len; i += 4096)
				mem[i]++;
			if (write(p[1], "t", 1) != 1)
				_exit(0);
			usleep(20000);
		}
	}
	close(p[1]);
	ASSERT_OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
	*tick_fd = p[0];
	return pid;
}

/* How many ticks arrived since the last call. */
static int ticks(int fd)
{
	char buf[256];
	int n = 0;
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		n += r;
	return n;
}

TEST_TIMEOUT(budget_all_heaps_exhausted, 300)
{
	const uint64_t chunk = 8 * TH_MiB;
	struct rlimit rl = { MAX_HELD + 64, MAX_HELD + 64 };
	long long total_kb = th_meminfo_kb("MemTotal"), free_kb;
	uint64_t budget = budget_read(), held, start = counted_bytes();
	bool done[TH_MAX_HEAPS] = { false };
	int *fds, nfds = 0, tick_fd, i, left, status;
	pid_t bystander;

	ASSERT_GT(total_kb, 0);
	ASSERT_OK(setrlimit(RLIMIT_NOFILE, &rl));
	fds = calloc(MAX_HELD, sizeof(*fds));
	ASSERT_TRUE(fds);
	bystander = bystander_start(&tick_fd);
	usleep(200000);
	ticks(tick_fd);

	/* All heaps at once, round robin, until each says no. */
	for (left = th.nheaps; left > 0 && nfds < MAX_HELD;) {
		for (i = 0; i < th.nheaps && nfds < MAX_HELD; i++) {
			int fd;

			if (done[i])
				continue;
			fd = th_alloc(&th.heaps[i], chunk);
			if (fd < 0) {
				EXPECT_EQ(-ENOMEM, fd);
				done[i] = true;
				left--;
				continue;
			}
			fds[nfds++] = fd;
		}
	}
	held = counted_bytes();
	free_kb = th_free_kb();
	usleep(300000);
	TH_LOG("%d buffers; counted heaps hold %" PRIu64 " MiB of a %" PRIu64
	       " MiB budget; free %lld of %lld MiB",
	       nfds, held / TH_MiB, budget / TH_MiB, free_kb / 1024,
	       total_kb / 1024);
	EXPECT_EQ(0, left);
	EXPECT_LE(held, budget);
	/* The stated floor: a quarter of RAM stays free. */
	EXPECT_GE(free_kb, total_kb / 4);
	/* The bystander is alive and still making progress. */
	EXPECT_EQ(0, waitpid(bystander, &status, WNOHANG));
	EXPECT_GT(ticks(tick_fd), 0);

	while (nfds)
		close(fds[--nfds]);
	free(fds);
	kill(bystander, SIGKILL);
	ASSERT_EQ(bystander, waitpid(bystander, &status, 0));
	close(tick_fd);
	EXPECT_EQ(start, counted_bytes());
}
