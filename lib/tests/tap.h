/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * A small TAP harness for libdmaheap's tests (host and in-VM).
 *
 * Each test is a function taking a struct tap_case.  tap_run() runs every
 * test in a forked child with a timeout and prints one TAP line per test,
 * then the summary line "N passed, N failed, N skipped".  Inside a test:
 *   EXPECT(t, cond)   records a failure and carries on;
 *   ASSERT(t, cond)   records a failure and returns from the test;
 *   SKIP(t, fmt, ...) marks the test skipped and returns;
 *   DIAG(fmt, ...)    prints a "# ..." diagnostic line.
 * Per-heap tests (TAP_HEAP) run once for every heap name given to
 * tap_run(), and read it from t->heap.
 */
#ifndef DMAHEAP_TAP_H
#define DMAHEAP_TAP_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TAP_SKIP_EXIT	77	/* child exit status meaning "skipped" */
#define TAP_FAIL_EXIT	1

struct tap_case {
	const char *name;
	const char *heap;	/* the heap under test, for TAP_HEAP tests */
	bool failed;
	int skip_fd;		/* where SKIP() writes its reason */
};

struct tap_test {
	const char *name;
	void (*fn)(struct tap_case *t);
	bool per_heap;
};

#define TAP_TEST(fn)	{ #fn, fn, false }
#define TAP_HEAP(fn)	{ #fn, fn, true }

static inline void DIAG(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void DIAG(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

#define EXPECT(t, cond) do {						\
	if (!(cond)) {							\
		DIAG("%s:%d: expected %s", __FILE__, __LINE__, #cond);	\
		(t)->failed = true;					\
	}								\
} while (0)

#define ASSERT(t, cond) do {						\
	if (!(cond)) {							\
		DIAG("%s:%d: required %s", __FILE__, __LINE__, #cond);	\
		(t)->failed = true;					\
		return;							\
	}								\
} while (0)

/* Compare two integers and show both values when they differ. */
#define EXPECT_EQ(t, a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (a_ != b_) {							\
		DIAG("%s:%d: expected %s == %s (%lld != %lld)",		\
		     __FILE__, __LINE__, #a, #b, a_, b_);		\
		(t)->failed = true;					\
	}								\
} while (0)

#define ASSERT_EQ(t, a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (a_ != b_) {							\
		DIAG("%s:%d: required %s == %s (%lld != %lld)",		\
		     __FILE__, __LINE__, #a, #b, a_, b_);		\
		(t)->failed = true;					\
		return;							\
	}								\
} while (0)

#define SKIP(t, ...) do {						\
	dprintf((t)->skip_fd, __VA_ARGS__);				\
	return;								\
} while (0)

static inline int tap_child(const struct tap_test *test, struct tap_case *t,
			    unsigned int timeout)
{
	alarm(timeout);
	test->fn(t);
	fflush(stdout);
	return t->failed ? TAP_FAIL_EXIT : 0;
}

/* Run one case; returns 0 pass, 1 fail, 2 skip. */
static inline int tap_one(const struct tap_test *test, const char *heap,
			  int num, unsigned int timeout)
{
	char name[160], reason[256];
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	if (heap)
		snprintf(name, sizeof(name), "%s (%s)", test->name, heap);
	else
		snprintf(name, sizeof(name), "%s", test->name);

	fflush(stdout);
	if (pipe(pipefd)) {
		printf("not ok %d %s # pipe: %s\n", num, name, strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		printf("not ok %d %s # fork: %s\n", num, name, strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return 1;
	}
	if (pid == 0) {
		struct tap_case t = { test->name, heap, false, pipefd[1] };
		int rc;

		close(pipefd[0]);
		rc = tap_child(test, &t, timeout);
		close(pipefd[1]);
		exit(rc);
	}
	close(pipefd[1]);
	n = read(pipefd[0], reason, sizeof(reason) - 1);
	reason[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;

	if (WIFSIGNALED(status)) {
		printf("not ok %d %s # %s\n", num, name,
		       WTERMSIG(status) == SIGALRM ? "timed out" :
		       strsignal(WTERMSIG(status)));
		return 1;
	}
	if (WEXITSTATUS(status) == 0 && reason[0]) {
		printf("ok %d %s # SKIP %s\n", num, name, reason);
		return 2;
	}
	if (WEXITSTATUS(status) == 0) {
		printf("ok %d %s\n", num, name);
		return 0;
	}
	printf("not ok %d %s # exit status %d\n", num, name, WEXITSTATUS(status));
	return 1;
}

/*
 * Run @count tests; per-heap ones once for each of the @nheaps names (or
 * skipped when there are none).  Prints the plan and the summary line and
 * returns the process exit status.
 */
static inline int tap_run(const struct tap_test *tests, size_t count,
			  const char *const *heaps, size_t nheaps,
			  unsigned int timeout)
{
	int num = 0, pass = 0, fail = 0, skip = 0, r;
	size_t i, h, total = 0;

	for (i = 0; i < count; i++)
		total += tests[i].per_heap && nheaps ? nheaps : 1;
	printf("TAP version 13\n1..%zu\n", total);

	for (i = 0; i < count; i++) {
		if (tests[i].per_heap && nheaps == 0) {
			printf("ok %d %s # SKIP no dma-buf heaps\n", ++num,
			       tests[i].name);
			skip++;
			continue;
		}
		for (h = 0; h < (tests[i].per_heap ? nheaps : 1); h++) {
			r = tap_one(&tests[i], tests[i].per_heap ? heaps[h] : NULL,
				    ++num, timeout);
			if (r == 0)
				pass++;
			else if (r == 1)
				fail++;
			else
				skip++;
		}
	}
	printf("%d passed, %d failed, %d skipped\n", pass, fail, skip);
	fflush(stdout);
	return fail ? 1 : 0;
}

#endif /* DMAHEAP_TAP_H */
