// SPDX-License-Identifier: GPL-2.0
/*
 * concurrent: many threads and many processes allocating, mapping, writing
 * and freeing at once.  Every allocation succeeds (the working set is far
 * below the cap), every buffer holds what its owner wrote, and afterwards
 * the heap's statistics are back where they started, with exactly the
 * allocations made counted.
 */
#include <pthread.h>

#include "harness.h"

#define WORKERS		4
#define ALLOCS		64	/* per worker */
#define LIVE		8	/* buffers a worker holds at once */
#define MAX_PAGES	128	/* largest buffer, in pages */

struct worker {
	const struct th_heap *heap;
	int shared_fd;		/* heap fd shared by all workers, or -1 */
	unsigned int seed;
	int error;		/* 0, or the step that failed */
	int err_no;
};

static unsigned int next_rand(unsigned int *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Returns 0 or the failing step; errno is left in w->err_no. */
static int work(struct worker *w)
{
	size_t page = th_page_size();
	int fds[LIVE], heap_fd = w->shared_fd;
	size_t lens[LIVE];
	int i, slot, ret = 0;

	for (i = 0; i < LIVE; i++)
		fds[i] = -1;
	if (heap_fd < 0) {
		heap_fd = th_heap_open(w->heap);
		if (heap_fd < 0) {
			w->err_no = -heap_fd;
			return 1;
		}
	}

	for (i = 0; i < ALLOCS && !ret; i++) {
		size_t len = (1 + next_rand(&w->seed) % MAX_PAGES) * page;
		uint32_t stamp = next_rand(&w->seed) | 1;
		uint32_t *p;

		slot = i % LIVE;
		if (fds[slot] >= 0) {
			/* The old buffer still holds its stamp at both ends. */
			p = mmap(NULL, lens[slot], PROT_READ, MAP_SHARED,
				 fds[slot], 0);
			if (p == MAP_FAILED) {
				w->err_no = errno;
				ret = 2;
				break;
			}
			if (p[0] != p[lens[slot] / 4 - 1] || !p[0])
				ret = 3;
			munmap(p, lens[slot]);
			close(fds[slot]);
			fds[slot] = -1;
			if (ret)
				break;
		}

		fds[slot] = th_alloc_fd(heap_fd, len, O_RDWR | O_CLOEXEC);
		if (fds[slot] < 0) {
			w->err_no = -fds[slot];
			ret = 4;
			break;
		}
		lens[slot] = len;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fds[slot], 0);
		if (p == MAP_FAILED) {
			w->err_no = errno;
			ret = 5;
			break;
		}
		if (p[0] || p[len / 4 - 1] || p[len / 8])
			ret = 6;	/* not zeroed */
		p[0] = stamp;
		p[len / 4 - 1] = stamp;
		munmap(p, len);
	}

	for (i = 0; i < LIVE; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (w->shared_fd < 0)
		close(heap_fd);
	return ret;
}

static void *thread_main(void *arg)
{
	struct worker *w = arg;

	w->error = work(w);
	return NULL;
}

static void check_after(const struct th_heap *heap,
			const struct th_stats *base)
{
	struct th_stats now;

	ASSERT_EQ(0, th_stats_read(heap, &now));
	EXPECT_EQ(base->buffers, now.buffers);
	EXPECT_EQ(base->bytes, now.bytes);
	EXPECT_EQ(base->total_allocs + WORKERS * ALLOCS, now.total_allocs);
	EXPECT_EQ(base->failed_allocs, now.failed_allocs);
	EXPECT_GE(now.peak_bytes, base->bytes);
}

HEAP_TEST_TIMEOUT(alloc_threads, 120)
{
	struct worker w[WORKERS];
	pthread_t tid[WORKERS];
	struct th_stats base;
	int shared_fd, i;

	ASSERT_EQ(0, th_stats_read(heap, &base));
	shared_fd = th_heap_open(heap);
	ASSERT_GE(shared_fd, 0);
	for (i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){
			.heap = heap,
			/* half share one heap fd, half open their own */
			.shared_fd = i % 2 ? shared_fd : -1,
			.seed = 0x9e3779b9u * (unsigned int)(i + 1),
		};
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, thread_main, &w[i]));
	}
	for (i = 0; i < WORKERS; i++)
		ASSERT_EQ(0, pthread_join(tid[i], NULL));
	close(shared_fd);

	for (i = 0; i < WORKERS; i++) {
		if (w[i].error)
			TH_LOG("thread %d failed at step %d: %s", i, w[i].error,
			       strerror(w[i].err_no));
		EXPECT_EQ(0, w[i].error);
	}
	check_after(heap, &base);
}

HEAP_TEST_TIMEOUT(alloc_processes, 120)
{
	struct th_stats base;
	pid_t pids[WORKERS];
	int shared_fd, i;

	ASSERT_EQ(0, th_stats_read(heap, &base));
	shared_fd = th_heap_open(heap);
	ASSERT_GE(shared_fd, 0);
	for (i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (pids[i] == 0) {
			struct worker w = {
				.heap = heap,
				.shared_fd = i % 2 ? shared_fd : -1,
				.seed = 0x85ebca6bu * (unsigned int)(i + 1),
			};
			int ret = work(&w);

			if (ret)
				TH_LOG("process %d failed at step %d: %s", i,
				       ret, strerror(w.err_no));
			_exit(ret);
		}
	}
	close(shared_fd);
	for (i = 0; i < WORKERS; i++) {
		int status;

		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
	check_after(heap, &base);
}

/* Threads mapping and unmapping one buffer at the same time. */
struct mapper {
	int fd;
	size_t len;
	int rounds;
	int error;
};

static void *mapper_main(void *arg)
{
	struct mapper *m = arg;
	int i;

	for (i = 0; i < m->rounds; i++) {
		volatile uint8_t *p = mmap(NULL, m->len, PROT_READ | PROT_WRITE,
					   MAP_SHARED, m->fd, 0);

		if (p == MAP_FAILED) {
			m->error = errno;
			return NULL;
		}
		p[(size_t)i % m->len] = (uint8_t)i;
		munmap((void *)p, m->len);
	}
	return NULL;
}

HEAP_TEST(mmap_threads)
{
	struct mapper m[WORKERS];
	pthread_t tid[WORKERS];
	size_t len = 256 * TH_KiB;
	int fd, i;

	fd = th_alloc(heap, len);
	ASSERT_GE(fd, 0);
	for (i = 0; i < WORKERS; i++) {
		m[i] = (struct mapper){ .fd = fd, .len = len, .rounds = 300 };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, mapper_main, &m[i]));
	}
	for (i = 0; i < WORKERS; i++) {
		ASSERT_EQ(0, pthread_join(tid[i], NULL));
		EXPECT_EQ(0, m[i].error);
	}
	close(fd);
}
