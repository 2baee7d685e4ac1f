/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h - a small kselftest-style harness for dmaheap's in-VM tests.
 *
 * One test program is one .c file that includes this header and defines
 * tests; main() comes from here (define TH_CUSTOM_MAIN and call th_main() to
 * provide your own).
 *
 *   TEST(name) { ... }              runs once; `heap` is NULL
 *   HEAP_TEST(name) { ... }         runs once per heap as "name.<heap>"
 *   TEST_TIMEOUT(name, secs), HEAP_TEST_TIMEOUT(name, secs)
 *
 *   FIXTURE(fx) { int fd; ... };    a struct handed to the tests as `self`
 *   FIXTURE_SETUP(fx) { ... }       runs before each TEST_F of the fixture
 *   FIXTURE_TEARDOWN(fx) { ... }    runs after it, even after an ASSERT or
 *                                   SKIP in setup or in the test
 *   TEST_F(fx, name), HEAP_TEST_F(fx, name), HEAP_TEST_F_TIMEOUT(fx, n, s)
 *
 * The fixture starts zero-filled, so setup should make every field safe for
 * teardown (e.g. fds set to -1) before anything that can fail.
 *
 * Every case runs in its own forked process (its own process group) with a
 * timeout; a case that times out, crashes or exits early is "not ok" with
 * the reason as a TAP comment.  ASSERT_* records a failure and stops the
 * case (teardown still runs); EXPECT_* records it and carries on; SKIP()
 * stops the case and reports it skipped.  Processes forked by a test share
 * the verdict: a failed ASSERT there records the failure and exits that
 * process, so forked helpers must end with _exit().  In threads other than
 * the case's main one, prefer EXPECT_*: an ASSERT there ends the whole case
 * at once, without teardown.
 *
 * Heaps come from $DMAHEAP_TEST_HEAPS (space-separated names) or else from
 * every char device in /dev/dma_heap/ that dmaheap's core serves (nodes of a
 * kernel's built-in framework are listed as a comment and left out; an
 * alias, a node whose sysfs "heap" file names another heap, is left out in
 * favour of the heap's own name).
 *
 * Output is TAP 13 followed by one plain line "N passed, N failed,
 * N skipped".  The exit status is 1 if any case failed, 4 (KSFT_SKIP) if
 * every case was skipped, 0 otherwise.  Options: -t NAME (repeatable) runs
 * only the cases whose test name or full "test.heap" name is NAME; -l lists
 * the case names.
 *
 * The second half of this file holds small dmaheap helpers (allocation,
 * sysfs statistics, /proc counters) that return 0 or -errno.
 */
#ifndef DMAHEAP_TESTS_HARNESS_H
#define DMAHEAP_TESTS_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-heap.h>

#ifndef TH_DEFAULT_TIMEOUT
#define TH_DEFAULT_TIMEOUT	60	/* seconds per case */
#endif

#define TH_MAX_TESTS		128
#define TH_MAX_HEAPS		32
#define TH_MAX_FILTERS		32
#define TH_KSFT_SKIP		4

#define TH_UNUSED		__attribute__((unused))
#define TH_PRINTF(a, b)		__attribute__((format(printf, a, b)))

/* A heap under test. */
struct th_heap {
	char name[64];
	char dev[96];		/* /dev/dma_heap/<name> */
	char sysfs[96];		/* /sys/class/dmaheap/<name> */
};

/* A registered test; cases are tests expanded over the heaps. */
struct th_test {
	const char *name;
	bool per_heap;
	unsigned int timeout;
	size_t fixture_size;
	void (*setup)(void *self);
	void (*body)(void *self);
	void (*teardown)(void *self);
};

/*
 * The verdict of the running case.  It lives in a shared anonymous page so
 * that the case's process and everything it forks can record a failure the
 * harness sees after they exit.
 */
struct th_verdict {
	volatile int failed;
	volatile int skipped;
	char reason[256];
};

enum th_phase { TH_SETUP, TH_BODY, TH_TEARDOWN };

/* Harness state: the registry, and in a case's process the case itself. */
static struct {
	struct th_test tests[TH_MAX_TESTS];
	int ntests;
	struct th_heap heaps[TH_MAX_HEAPS];
	int nheaps;

	const struct th_heap *heap;	/* heap of the running case */
	struct th_verdict *verdict;
	pid_t pid;			/* main process of the running case */
	enum th_phase phase;
	jmp_buf stop;
} th;

static inline void th_register(const char *name, bool per_heap,
			       unsigned int timeout, size_t fixture_size,
			       void (*setup)(void *), void (*body)(void *),
			       void (*teardown)(void *))
{
	struct th_test *t;

	if (th.ntests >= TH_MAX_TESTS) {
		fprintf(stderr, "harness: too many tests (max %d)\n",
			TH_MAX_TESTS);
		abort();
	}
	t = &th.tests[th.ntests++];
	t->name = name;
	t->per_heap = per_heap;
	t->timeout = timeout;
	t->fixture_size = fixture_size;
	t->setup = setup;
	t->body = body;
	t->teardown = teardown;
}

/* Test definitions --------------------------------------------------------- */

#define TH_REGISTER(name_, per_heap_, timeout_, size_, setup_, teardown_) \
	static void __attribute__((constructor)) th_reg_##name_(void)	\
	{								\
		th_register(#name_, per_heap_, timeout_, size_, setup_,	\
			    th_body_##name_, teardown_);		\
	}

#define TH_TEST(name_, per_heap_, timeout_)				\
	static void th_test_##name_(const struct th_heap *heap);	\
	static void th_body_##name_(void *self TH_UNUSED)		\
	{								\
		th_test_##name_(th.heap);				\
	}								\
	TH_REGISTER(name_, per_heap_, timeout_, 0, NULL, NULL)		\
	static void th_test_##name_(const struct th_heap *heap TH_UNUSED)

#define TEST(name)			TH_TEST(name, false, TH_DEFAULT_TIMEOUT)
#define TEST_TIMEOUT(name, secs)	TH_TEST(name, false, secs)
#define HEAP_TEST(name)			TH_TEST(name, true, TH_DEFAULT_TIMEOUT)
#define HEAP_TEST_TIMEOUT(name, secs)	TH_TEST(name, true, secs)

#define FIXTURE(fx)	struct th_fixture_##fx
#define FIXTURE_SETUP(fx)						\
	static void th_setup_##fx(struct th_fixture_##fx *self TH_UNUSED, \
				  const struct th_heap *heap TH_UNUSED)
#define FIXTURE_TEARDOWN(fx)						\
	static void th_teardown_##fx(struct th_fixture_##fx *self TH_UNUSED, \
				     const struct th_heap *heap TH_UNUSED)

#define TH_TEST_F(fx, name_, per_heap_, timeout_)			\
	static void th_test_##name_(struct th_fixture_##fx *self,	\
				    const struct th_heap *heap);	\
	static void th_case_setup_##name_(void *self)			\
	{								\
		th_setup_##fx(self, th.heap);				\
	}								\
	static void th_body_##name_(void *self)				\
	{								\
		th_test_##name_(self, th.heap);				\
	}								\
	static void th_case_teardown_##name_(void *self)		\
	{								\
		th_teardown_##fx(self, th.heap);			\
	}								\
	TH_REGISTER(name_, per_heap_, timeout_,				\
		    sizeof(struct th_fixture_##fx), th_case_setup_##name_, \
		    th_case_teardown_##name_)				\
	static void th_test_##name_(struct th_fixture_##fx *self TH_UNUSED, \
				    const struct th_heap *heap TH_UNUSED)

#define TEST_F(fx, name)	TH_TEST_F(fx, name, false, TH_DEFAULT_TIMEOUT)
#define TEST_F_TIMEOUT(fx, name, secs) TH_TEST_F(fx, name, false, secs)
#define HEAP_TEST_F(fx, name)	TH_TEST_F(fx, name, true, TH_DEFAULT_TIMEOUT)
#define HEAP_TEST_F_TIMEOUT(fx, name, secs) TH_TEST_F(fx, name, true, secs)

/* Verdicts ----------------------------------------------------------------- */

/* Print a TAP comment line ("# ...") and flush it. */
static inline TH_PRINTF(1, 2) void th_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("# %s\n", line);
	fflush(stdout);
}

/* Leave the running case: back to teardown, or out of a helper process. */
static inline __attribute__((noreturn)) void th_stop(void)
{
	fflush(stdout);
	fflush(stderr);
	if (getpid() != th.pid || gettid() != th.pid ||
	    th.phase == TH_TEARDOWN)
		_exit(th.verdict && th.verdict->failed ? 1 : 0);
	longjmp(th.stop, 1);
}

static inline TH_PRINTF(3, 4) void th_fail(const char *file, int line,
					   const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (th.verdict)
		th.verdict->failed = 1;
	th_log("%s:%d: %s", file, line, msg);
}

static inline TH_PRINTF(1, 2) __attribute__((noreturn))
void th_skip(const char *fmt, ...)
{
	va_list ap;

	if (th.verdict) {
		va_start(ap, fmt);
		vsnprintf(th.verdict->reason, sizeof(th.verdict->reason), fmt,
			  ap);
		va_end(ap);
		th.verdict->skipped = 1;
	}
	th_stop();
}

/* " (-ENOMEM)" after a value that looks like a negative errno. */
static inline const char *th_errno_hint(long long v, char *buf, size_t len)
{
	const char *name;

	buf[0] = '\0';
	/* -1 is far more often a failed call than -EPERM. */
	if (v < -1 && v >= -4095) {
		name = strerrorname_np((int)-v);
		if (name)
			snprintf(buf, len, " (-%s)", name);
	}
	return buf;
}

static inline const char *th_errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "?";
}

/*
 * Comparisons convert both sides to long long; that keeps mixed signed and
 * unsigned operands (and pointers, e.g. MAP_FAILED) meaningful for tests.
 * A failure also shows errno as it was right after evaluating both sides
 * (useful after a failed call; stale otherwise).
 */
#define TH_CMP(stop_, a, op, b, sa_, sop_, sb_) do {			\
	long long th_a_ = (long long)(a);				\
	long long th_b_ = (long long)(b);				\
	int th_e_ = errno;						\
	if (!(th_a_ op th_b_)) {					\
		char th_ha_[32], th_hb_[32];				\
		th_fail(__FILE__, __LINE__,				\
			"expected %s %s %s, got %lld%s vs %lld%s%s%s",	\
			sa_, sop_, sb_, th_a_,				\
			th_errno_hint(th_a_, th_ha_, sizeof(th_ha_)),	\
			th_b_,						\
			th_errno_hint(th_b_, th_hb_, sizeof(th_hb_)),	\
			th_e_ ? "; errno " : "",			\
			th_e_ ? th_errname(th_e_) : "");		\
		if (stop_)						\
			th_stop();					\
	}								\
} while (0)

/* expr must fail with -1 and errno == err. */
#define TH_ERRNO(stop_, expr, err, sexpr_, serr_) do {			\
	long long th_r_;						\
	int th_e_;							\
	errno = 0;							\
	th_r_ = (long long)(expr);					\
	th_e_ = errno;							\
	if (th_r_ != -1 || th_e_ != (err)) {				\
		th_fail(__FILE__, __LINE__,				\
			"expected %s to fail with %s, got %lld, errno %s", \
			sexpr_, serr_, th_r_,				\
			th_e_ ? th_errname(th_e_) : "0");		\
		if (stop_)						\
			th_stop();					\
	}								\
} while (0)

/* expr, a system call, must not return a negative value. */
#define TH_OK(stop_, expr, sexpr_) do {					\
	long long th_r_;						\
	errno = 0;							\
	th_r_ = (long long)(expr);					\
	if (th_r_ < 0) {						\
		int th_e_ = errno;					\
		th_fail(__FILE__, __LINE__, "%s failed: %lld, errno %s", \
			sexpr_, th_r_, th_e_ ? th_errname(th_e_) : "0"); \
		if (stop_)						\
			th_stop();					\
	}								\
} while (0)

#define ASSERT_EQ(a, b)		TH_CMP(1, a, ==, b, #a, "==", #b)
#define ASSERT_NE(a, b)		TH_CMP(1, a, !=, b, #a, "!=", #b)
#define ASSERT_LT(a, b)		TH_CMP(1, a, <, b, #a, "<", #b)
#define ASSERT_LE(a, b)		TH_CMP(1, a, <=, b, #a, "<=", #b)
#define ASSERT_GT(a, b)		TH_CMP(1, a, >, b, #a, ">", #b)
#define ASSERT_GE(a, b)		TH_CMP(1, a, >=, b, #a, ">=", #b)
#define ASSERT_TRUE(c)		TH_CMP(1, !!(c), ==, 1, #c, "is", "true")
#define ASSERT_FALSE(c)		TH_CMP(1, !!(c), ==, 0, #c, "is", "false")
#define ASSERT_ERRNO(expr, e)	TH_ERRNO(1, expr, e, #expr, #e)
#define ASSERT_OK(expr)		TH_OK(1, expr, #expr)

#define EXPECT_EQ(a, b)		TH_CMP(0, a, ==, b, #a, "==", #b)
#define EXPECT_NE(a, b)		TH_CMP(0, a, !=, b, #a, "!=", #b)
#define EXPECT_LT(a, b)		TH_CMP(0, a, <, b, #a, "<", #b)
#define EXPECT_LE(a, b)		TH_CMP(0, a, <=, b, #a, "<=", #b)
#define EXPECT_GT(a, b)		TH_CMP(0, a, >, b, #a, ">", #b)
#define EXPECT_GE(a, b)		TH_CMP(0, a, >=, b, #a, ">=", #b)
#define EXPECT_TRUE(c)		TH_CMP(0, !!(c), ==, 1, #c, "is", "true")
#define EXPECT_FALSE(c)		TH_CMP(0, !!(c), ==, 0, #c, "is", "false")
#define EXPECT_ERRNO(expr, e)	TH_ERRNO(0, expr, e, #expr, #e)
#define EXPECT_OK(expr)		TH_OK(0, expr, #expr)

/* Fail (and stop) with a message of your own. */
#define FAIL(...) do {							\
	th_fail(__FILE__, __LINE__, __VA_ARGS__);			\
	th_stop();							\
} while (0)

#define SKIP(...)		th_skip(__VA_ARGS__)
#define TH_LOG(...)		th_log(__VA_ARGS__)

/* Heaps -------------------------------------------------------------------- */

static inline int th_heap_add(const char *name)
{
	struct th_heap *h;
	int i;

	if (!*name || strlen(name) >= sizeof(h->name) || strchr(name, '/'))
		return -EINVAL;
	for (i = 0; i < th.nheaps; i++)
		if (!strcmp(th.heaps[i].name, name))
			return 0;
	if (th.nheaps >= TH_MAX_HEAPS)
		return -ENOSPC;
	h = &th.heaps[th.nheaps++];
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->dev, sizeof(h->dev), "/dev/dma_heap/%s", name);
	snprintf(h->sysfs, sizeof(h->sysfs), "/sys/class/dmaheap/%s", name);
	return 0;
}

/* Describe the heap named @name in @h (whether or not it exists). */
static inline void th_heap_init(struct th_heap *h, const char *name)
{
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->dev, sizeof(h->dev), "/dev/dma_heap/%s", name);
	snprintf(h->sysfs, sizeof(h->sysfs), "/sys/class/dmaheap/%s", name);
}

static inline int th_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Is @name an alias, another name of a heap whose own name is different?
 * Its sysfs directory's "heap" file names the heap it stands for.
 */
static inline bool th_is_alias(const char *name)
{
	char path[PATH_MAX], heap[96];
	FILE *f;
	bool alias = false;

	snprintf(path, sizeof(path), "/sys/class/dmaheap/%s/heap", name);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(heap, sizeof(heap), f)) {
		heap[strcspn(heap, "\n")] = '\0';
		alias = strcmp(heap, name) != 0;
	}
	fclose(f);
	return alias;
}

/*
 * Is the node served by dmaheap's core (class "dmaheap"), rather than by a
 * kernel's built-in framework (class "dma_heap", e.g. 6.12's system heap)?
 * The suite holds heaps to dmaheap's contract, so it tests only those.
 */
static inline bool th_is_ours(dev_t rdev)
{
	char link[80], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u/subsystem",
		 major(rdev), minor(rdev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	base = strrchr(target, '/');
	return !strcmp(base ? base + 1 : target, "dmaheap");
}

static inline void th_find_heaps(void)
{
	const char *env = getenv("DMAHEAP_TEST_HEAPS");
	char *names[TH_MAX_HEAPS];
	struct dirent *de;
	int n = 0, i;
	DIR *dir;

	if (env) {
		char *copy = strdup(env), *tok, *save = NULL;

		for (tok = strtok_r(copy, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save))
			if (th_heap_add(tok))
				fprintf(stderr, "harness: bad heap name '%s'\n",
					tok);
		free(copy);
		return;
	}

	dir = opendir("/dev/dma_heap");
	if (!dir)
		return;
	while ((de = readdir(dir)) && n < TH_MAX_HEAPS) {
		char path[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "/dev/dma_heap/%s", de->d_name);
		if (lstat(path, &st) || !S_ISCHR(st.st_mode))
			continue;	/* ".", "..", symlinks, strays */
		names[n++] = strdup(de->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(names[0]), th_name_cmp);

	for (i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;
		bool keep;

		snprintf(path, sizeof(path), "/dev/dma_heap/%s", names[i]);
		keep = !stat(path, &st) && th_is_ours(st.st_rdev);
		if (!keep)
			fprintf(stderr, "# heap %s: not served by dmaheap, not tested\n",
				names[i]);
		/* An alias is the same heap: its own tests cover it. */
		if (keep && !th_is_alias(names[i]))
			th_heap_add(names[i]);
		free(names[i]);
	}
}

/* Running ------------------------------------------------------------------ */

struct th_case {
	const struct th_test *test;
	const struct th_heap *heap;	/* NULL for tests that are not per heap */
	char name[160];
};

static inline __attribute__((noreturn))
void th_run_in_child(const struct th_test *t)
{
	void *self = calloc(1, t->fixture_size ? t->fixture_size : 1);

	th.pid = getpid();
	th.phase = TH_SETUP;
	if (!self) {
		th_fail(__FILE__, __LINE__, "out of memory for the fixture");
		_exit(1);
	}
	if (!setjmp(th.stop)) {
		if (t->setup)
			t->setup(self);
		th.phase = TH_BODY;
		t->body(self);
	}
	th.phase = TH_TEARDOWN;
	if (t->teardown)
		t->teardown(self);
	free(self);
	fflush(stdout);
	fflush(stderr);
	_exit(th.verdict->failed ? 1 : 0);
}

static inline double th_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait for @pid for at most @timeout seconds; on timeout kill its group. */
static inline int th_wait_case(pid_t pid, unsigned int timeout, int *status,
			       bool *timed_out)
{
	double deadline = th_now() + timeout;
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	*timed_out = false;
	for (;;) {
		struct timespec ts;
		double left;
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		left = deadline - th_now();
		if (left <= 0) {
			*timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return 0;
		}
		/* SIGCHLD is blocked in the harness: wait for it here. */
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
		sigtimedwait(&chld, NULL, &ts);
	}
}

enum th_result { TH_PASS, TH_FAIL, TH_SKIPPED };

static inline enum th_result th_run_case(const struct th_case *c, int num,
					 struct th_verdict *v)
{
	const struct th_test *t = c->test;
	sigset_t chld, old;
	bool timed_out;
	int status = 0;
	pid_t pid;

	memset(v, 0, sizeof(*v));
	if (t->per_heap && !c->heap) {
		printf("ok %d %s # SKIP no dma-buf heap in /dev/dma_heap\n",
		       num, c->name);
		fflush(stdout);
		return TH_SKIPPED;
	}

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		th_log("%s: fork: %s", c->name, strerror(errno));
		printf("not ok %d %s\n", num, c->name);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return TH_FAIL;
	}
	if (pid == 0) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };

		setpgid(0, 0);
		sigaction(SIGCHLD, &dfl, NULL);
		sigemptyset(&old);
		sigprocmask(SIG_SETMASK, &old, NULL);
		th.heap = c->heap;
		th.verdict = v;
		th_run_in_child(t);
	}
	setpgid(pid, pid);	/* also here, so the kill below cannot miss */

	if (th_wait_case(pid, t->timeout, &status, &timed_out)) {
		th_log("%s: waitpid: %s", c->name, strerror(errno));
		v->failed = 1;
	}
	/* Whatever the case left running in its group goes too. */
	kill(-pid, SIGKILL);
	sigprocmask(SIG_SETMASK, &old, NULL);

	if (timed_out) {
		th_log("%s: timed out after %u s", c->name, t->timeout);
		v->failed = 1;
	} else if (WIFSIGNALED(status)) {
		th_log("%s: killed by signal %d (%s)", c->name,
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
		v->failed = 1;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) && !v->failed) {
		th_log("%s: exited with status %d", c->name,
		       WEXITSTATUS(status));
		v->failed = 1;
	}

	if (v->failed) {
		printf("not ok %d %s\n", num, c->name);
		fflush(stdout);
		return TH_FAIL;
	}
	if (v->skipped) {
		printf("ok %d %s # SKIP %s\n", num, c->name,
		       v->reason[0] ? v->reason : "skipped");
		fflush(stdout);
		return TH_SKIPPED;
	}
	printf("ok %d %s\n", num, c->name);
	fflush(stdout);
	return TH_PASS;
}

static inline bool th_selected(const struct th_case *c, char **filters,
			       int nfilters)
{
	int i;

	if (!nfilters)
		return true;
	for (i = 0; i < nfilters; i++)
		if (!strcmp(filters[i], c->name) ||
		    !strcmp(filters[i], c->test->name))
			return true;
	return false;
}

static inline void th_usage(const char *prog)
{
	printf("usage: %s [-l] [-t NAME]...\n"
	       "  -l       list the test cases\n"
	       "  -t NAME  run only NAME (a test, or test.heap); repeatable\n"
	       "Heaps: $DMAHEAP_TEST_HEAPS or every node in /dev/dma_heap/.\n",
	       prog);
}

static inline int th_main(int argc, char **argv)
{
	static struct th_case cases[TH_MAX_TESTS * TH_MAX_HEAPS];
	char *filters[TH_MAX_FILTERS];
	int nfilters = 0, ncases = 0, i, j, opt;
	int passed = 0, failed = 0, skipped = 0, num = 0;
	bool list = false;
	struct th_verdict *v;

	while ((opt = getopt(argc, argv, "hlt:")) != -1) {
		switch (opt) {
		case 'l':
			list = true;
			break;
		case 't':
			if (nfilters < TH_MAX_FILTERS)
				filters[nfilters++] = optarg;
			break;
		case 'h':
			th_usage(argv[0]);
			return 0;
		default:
			th_usage(argv[0]);
			return 2;
		}
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	th_find_heaps();

	for (i = 0; i < th.ntests; i++) {
		const struct th_test *t = &th.tests[i];
		int nh = t->per_heap ? th.nheaps : 0;

		if (!nh) {
			struct th_case *c = &cases[ncases];

			c->test = t;
			c->heap = NULL;
			snprintf(c->name, sizeof(c->name), "%s", t->name);
			if (th_selected(c, filters, nfilters))
				ncases++;
			continue;
		}
		for (j = 0; j < nh; j++) {
			struct th_case *c = &cases[ncases];

			c->test = t;
			c->heap = &th.heaps[j];
			snprintf(c->name, sizeof(c->name), "%s.%s", t->name,
				 th.heaps[j].name);
			if (th_selected(c, filters, nfilters))
				ncases++;
		}
	}

	if (list) {
		for (i = 0; i < ncases; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	if (nfilters && !ncases) {
		fprintf(stderr, "%s: no test matches the -t filter\n",
			argv[0]);
		return 2;
	}

	v = mmap(NULL, sizeof(*v), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (v == MAP_FAILED) {
		perror("mmap");
		return 1;
	}

	printf("TAP version 13\n1..%d\n", ncases);
	for (i = 0; i < ncases; i++) {
		switch (th_run_case(&cases[i], ++num, v)) {
		case TH_PASS:
			passed++;
			break;
		case TH_FAIL:
			failed++;
			break;
		case TH_SKIPPED:
			skipped++;
			break;
		}
	}
	munmap(v, sizeof(*v));

	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	fflush(stdout);
	if (failed)
		return 1;
	if (!passed)
		return TH_KSFT_SKIP;
	return 0;
}

#ifndef TH_CUSTOM_MAIN
int main(int argc, char **argv)
{
	return th_main(argc, argv);
}
#endif

/* dmaheap helpers ---------------------------------------------------------- */

#define TH_KiB		((uint64_t)1024)
#define TH_MiB		((uint64_t)1024 * 1024)

static inline size_t th_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static inline uint64_t th_page_align(uint64_t len)
{
	uint64_t mask = th_page_size() - 1;

	return (len + mask) & ~mask;
}

/* Open the heap's node; returns an fd or -errno. */
static inline int th_heap_open(const struct th_heap *h)
{
	int fd = open(h->dev, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Allocate @len bytes through heap fd @heap_fd; returns a dma-buf fd or -errno. */
static inline int th_alloc_fd(int heap_fd, uint64_t len, uint32_t fd_flags)
{
	struct dma_heap_allocation_data data = {
		.len = len,
		.fd_flags = fd_flags,
	};

	if (ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &data) < 0)
		return -errno;
	return (int)data.fd;
}

/* Open the heap, allocate O_RDWR|O_CLOEXEC, close the heap; fd or -errno. */
static inline int th_alloc(const struct th_heap *h, uint64_t len)
{
	int heap_fd = th_heap_open(h), fd;

	if (heap_fd < 0)
		return heap_fd;
	fd = th_alloc_fd(heap_fd, len, O_RDWR | O_CLOEXEC);
	close(heap_fd);
	return fd;
}

/* Forward: defined with the sysfs helpers below. */
static inline int th_sysfs_read(const struct th_heap *h, const char *attr,
				uint64_t *val);

/* The heap says every buffer is physically contiguous (sysfs). */
static inline bool th_heap_contiguous(const struct th_heap *h)
{
	uint64_t val = 0;

	return !th_sysfs_read(h, "contiguous", &val) && val == 1;
}

/*
 * Allocate a large buffer like th_alloc().  A contiguous heap may simply
 * have no free run that long (fragmentation, a small region): that is no
 * failure, so the case is skipped instead of returning -ENOMEM.
 */
static inline int th_alloc_large(const struct th_heap *h, uint64_t len)
{
	int fd = th_alloc(h, len);

	if (fd == -ENOMEM && th_heap_contiguous(h))
		SKIP("no contiguous run of %" PRIu64 " KiB free in %s",
		     len / 1024, h->name);
	return fd;
}

static inline int th_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

static inline int th_write_file(const char *path, const char *str)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n, len = (ssize_t)strlen(str);

	if (fd < 0)
		return -errno;
	n = write(fd, str, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return n == len ? 0 : -EIO;
}

/* Parse a whole file holding one unsigned decimal number. */
static inline int th_read_u64_path(const char *path, uint64_t *val)
{
	char buf[64], *end;
	int ret = th_read_file(path, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

/* Read /sys/class/dmaheap/<heap>/<attr> as a number. */
static inline int th_sysfs_read(const struct th_heap *h, const char *attr,
				uint64_t *val)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", h->sysfs, attr);
	return th_read_u64_path(path, val);
}

static inline int th_sysfs_write(const struct th_heap *h, const char *attr,
				 const char *str)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", h->sysfs, attr);
	return th_write_file(path, str);
}

/* A snapshot of a heap's statistics in sysfs. */
struct th_stats {
	uint64_t buffers;
	uint64_t bytes;
	uint64_t peak_bytes;
	uint64_t total_allocs;
	uint64_t failed_allocs;
};

static inline int th_stats_read(const struct th_heap *h, struct th_stats *s)
{
	int ret;

	ret = th_sysfs_read(h, "buffers", &s->buffers);
	if (!ret)
		ret = th_sysfs_read(h, "bytes", &s->bytes);
	if (!ret)
		ret = th_sysfs_read(h, "peak_bytes", &s->peak_bytes);
	if (!ret)
		ret = th_sysfs_read(h, "total_allocs", &s->total_allocs);
	if (!ret)
		ret = th_sysfs_read(h, "failed_allocs", &s->failed_allocs);
	return ret;
}

/* ASSERT that the heap holds what it held in @base (buffers and bytes). */
#define ASSERT_STATS_BASELINE(h, base) do {				\
	struct th_stats th_now_;					\
	ASSERT_EQ(0, th_stats_read(h, &th_now_));			\
	ASSERT_EQ((base)->buffers, th_now_.buffers);			\
	ASSERT_EQ((base)->bytes, th_now_.bytes);			\
} while (0)

/* Number of open fds of this process, or -errno. */
static inline int th_count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1;	/* the directory's own fd */
}

/* A /proc/meminfo field in kB, or -errno. */
static inline long long th_meminfo_kb(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long long val = -ENOENT;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return val;
}

/*
 * Memory heaps keep for reuse and give back on demand, in kB: what their
 * pools of zeroed memory hold (pool_bytes).
 */
static inline long long th_pooled_kb(void)
{
	struct dirent *de;
	long long kb = 0;
	DIR *dir = opendir("/sys/class/dmaheap");

	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		char path[PATH_MAX];
		uint64_t v = 0;

		if (de->d_name[0] == '.' || th_is_alias(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/sys/class/dmaheap/%s/pool_bytes",
			 de->d_name);
		if (!th_read_u64_path(path, &v))
			kb += v / 1024;
	}
	closedir(dir);
	return kb;
}

/*
 * Memory the system could hand out, in kB, for leak checks: free pages
 * (MemFree), the free pages parked on per-CPU page lists (the "count:" of
 * every pageset in /proc/zoneinfo, which MemFree and MemAvailable leave
 * out), and the system heaps' pools (zeroed pages their shrinker gives
 * back on demand; MemAvailable counts only part of them, as it does
 * reclaimable slab).  Exact where MemAvailable estimates: since 6.7 the
 * per-CPU lists grow on their own after heavy freeing, and a pool's
 * contents change with every buffer.  Returns -errno on failure.
 */
static inline long long th_free_kb(void)
{
	long long avail = th_meminfo_kb("MemFree"), pages = 0;
	char line[256];
	FILE *f;

	if (avail < 0)
		return avail;
	avail += th_pooled_kb();
	f = fopen("/proc/zoneinfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " ");

		if (!strncmp(p, "count:", 6))
			pages += strtoll(p + 6, NULL, 10);
	}
	fclose(f);
	return avail + pages * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Where run-tests put the modules and their load-order file. */
static inline const char *th_moddir(void)
{
	const char *dir = getenv("DMAHEAP_MODDIR");

	return dir ? dir : "/opt/dmaheap/modules";
}

/*
 * The parameters module file @file (e.g. "dmaheap_system.ko") is loaded
 * with, from the load-order file: "" if it has none or is not listed.
 * Returns 0, or -errno if the file cannot be read.
 */
static inline int th_load_order_params(const char *file, char *params,
				       size_t len)
{
	char path[PATH_MAX], line[512];
	size_t flen = strlen(file);
	FILE *f;

	params[0] = '\0';
	snprintf(path, sizeof(path), "%s/load-order", th_moddir());
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, file, flen) &&
		    (line[flen] == ' ' || line[flen] == '\n')) {
			snprintf(params, len, "%s",
				 line + flen + strspn(line + flen, " "));
			params[strcspn(params, "\n")] = '\0';
			break;
		}
	fclose(f);
	return 0;
}

/**
 * struct th_module - one module of the load-order file
 * @name:	As in /sys/module: the file's base name less ".ko", '-' as '_'.
 * @file:	As in load-order, relative to th_moddir().
 * @params:	The parameters load-order gives it ("" if none).
 */
struct th_module {
	char name[64];
	char file[128];
	char params[256];
};

/*
 * The modules of the load-order file, in its order, each file once (a file
 * listed again is left out), at most @max; how many, or -errno.
 */
static inline int th_read_load_order(struct th_module *mods, int max)
{
	char path[PATH_MAX], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/load-order", th_moddir());
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (n < max && fgets(line, sizeof(line), f)) {
		char *file = strtok(line, " \t\n"), *rest, *base, *c;
		int i, dup = 0;

		if (!file || file[0] == '#')
			continue;
		rest = strtok(NULL, "\n");
		for (i = 0; i < n; i++)
			dup |= !strcmp(mods[i].file, file);
		if (dup)
			continue;
		snprintf(mods[n].file, sizeof(mods[n].file), "%s", file);
		snprintf(mods[n].params, sizeof(mods[n].params), "%s",
			 rest ? rest : "");
		base = strrchr(file, '/');
		snprintf(mods[n].name, sizeof(mods[n].name), "%s",
			 base ? base + 1 : file);
		c = strstr(mods[n].name, ".ko");
		if (c)
			*c = '\0';
		for (c = mods[n].name; *c; c++)
			if (*c == '-')
				*c = '_';
		n++;
	}
	fclose(f);
	return n;
}

/* Load module file @file with finit_module(2); 0, or -errno (-EEXIST). */
static inline int th_load_module(const char *file, const char *params)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", th_moddir(), file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params, 0))
		ret = -errno;
	close(fd);
	return ret;
}

/* Unload module @name if nobody uses it; 0 or -errno. */
static inline int th_unload_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

#define TH_POOL_PARAM	"/sys/module/dmaheap_system/parameters/pool_bytes_max"

/*
 * Empty the system heaps' pools (pool_bytes_max=0 drains them before the
 * write returns) and keep them empty; *@saved gets the old ceiling for
 * th_pools_restore().  Returns 0, or -errno (no system heap module).
 */
static inline int th_pools_off(char *saved, size_t len)
{
	int ret = th_read_file(TH_POOL_PARAM, saved, len);

	return ret ? ret : th_write_file(TH_POOL_PARAM, "0");
}

static inline int th_pools_restore(const char *saved)
{
	return saved[0] ? th_write_file(TH_POOL_PARAM, saved) : 0;
}

/*
 * Wait until the pools' workers have dealt with every released buffer:
 * writing a ceiling (the same value) waits for them.  Until then, what
 * they hold is not yet counted in MemAvailable.  Heaps without pools:
 * nothing to wait for.
 */
static inline void th_pools_settle(void)
{
	static const char *const params[] = {
		TH_POOL_PARAM,
		"/sys/module/dmaheap_contig/parameters/pool_bytes_max",
	};
	char cur[32];
	size_t i;

	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		if (!th_read_file(params[i], cur, sizeof(cur)))
			th_write_file(params[i], cur);
}

/* Bytes of RAM the kernel manages (MemTotal), or 0. */
static inline uint64_t th_ram_bytes(void)
{
	long long kb = th_meminfo_kb("MemTotal");

	return kb > 0 ? (uint64_t)kb * 1024 : 0;
}

/* Every byte of @p (@len bytes) equals @val; returns the first bad offset or -1. */
static inline long long th_find_not(const void *p, size_t len, uint8_t val)
{
	const uint64_t *w = p;
	uint64_t pat = 0x0101010101010101ULL * val;
	size_t i, words = len / 8;

	for (i = 0; i < words; i++)
		if (w[i] != pat)
			break;
	for (i *= 8; i < len; i++)
		if (((const uint8_t *)p)[i] != val)
			return (long long)i;
	return -1;
}

#endif /* DMAHEAP_TESTS_HARNESS_H */
