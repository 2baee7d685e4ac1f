// SPDX-License-Identifier: GPL-2.0
/*
 * fault_sweep: every allocation that the kernel's fault injection can fail,
 * on every path through our modules, fails once in turn, and each failure
 * unwinds cleanly.
 *
 * An operation (one system call) runs with /proc/thread-self/fail-nth set
 * to 1, 2, 3, ...: the n-th fault-injectable call of that system call
 * fails (failslab and fail_page_alloc, both set up below so that sleeping,
 * highmem and order-0 allocations count).  Reading fail-nth back says
 * whether the fault was reached (0) or not (the rest of the count); the
 * sweep of an operation ends at the first n it did not reach, and that run
 * must succeed.  After every injected fault:
 *   - the call failed with an errno the operation documents (ENOMEM), or
 *     succeeded because a fallback absorbed the fault (then what it made is
 *     checked and released);
 *   - the heap's sysfs buffers and bytes are back at their baseline;
 *   - no fd leaked, and the dma-buf has no attachment, file reference or
 *     mapping it did not have before;
 *   - the kernel log holds no new problem.  An allocation-failure warning
 *     with its stack dump ("page allocation failure", "vmalloc error") is
 *     what a failed allocation without __GFP_NOWARN prints: it is allowed
 *     between this program's "dmaheap-fault-sweep:" markers, which the
 *     run-tests and tests/vm/init log checks honour too.
 * Each case logs how many injection points its operation has and how many
 * were tried.
 *
 * Operations: DMA_HEAP_IOCTL_ALLOC of one page, 1 MiB and 1 MiB + 64 KiB +
 * 4 KiB (several page orders); PRIME import by vgem (attach and map); the
 * edu importer's ATTACH and MAP (only with qemu's edu device, --edu);
 * dmaheap_inspect's CACHING ioctl (a dma_buf_vmap() plus an attach and map
 * of the inspector's device); mmap(); the simple allocator's SA_IOC_ALLOC;
 * and loading every product module of $DMAHEAP_MODDIR/load-order (heap
 * registration in module init; see test_module()), from the first point
 * inside its init (see find_init_start()): the modules are unloaded, then each is
 * loaded with finit_module() under the sweep, checked to leave nothing
 * behind when the load fails, and left loaded, so the later programs find
 * every heap again.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC and
 * FAULT_INJECTION_DEBUG_FS (the debug kernel, scripts/debug-kernel);
 * elsewhere every case is skipped with that reason.
 */
#define TH_CUSTOM_MAIN
#include "harness.h"

#include <regex.h>
#include <sys/syscall.h>

#include <linux/simple_allocator.h>

#include "vgem.h"
#include "dmaheap_inspect.h"
#include "edu_importer_uapi.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define DEBUGFS		"/sys/kernel/debug"
#define BUFINFO		DEBUGFS "/dma_buf/bufinfo"
#define INSPECT_DEV	"/dev/dmaheap_inspect"
#define INSPECT_MODULE	"dmaheap_inspect.ko"
#define EDU_NODE	"/dev/edu-importer0"

/* A sweep that reaches this many points is taken to be looping. */
#define SWEEP_MAX	20000
#define SWEEP_TIMEOUT	900	/* seconds per case */

#define SHAPE_PAGE	(4 * TH_KiB)
#define SHAPE_1M	TH_MiB
#define SHAPE_ORDERS	(TH_MiB + 64 * TH_KiB + 4 * TH_KiB)

#define KLOG_MARK	"dmaheap-fault-sweep: "

/* Fault-injection settings ------------------------------------------------- */

/*
 * The debugfs knobs set for the sweep (6.1 defaults in brackets): failslab
 * and fail_page_alloc skip sleeping allocations [Y], fail_page_alloc skips
 * highmem ones [Y] and orders below 1 [1], and every injected fault prints
 * a stack dump [verbose 2].  Saved in main() and restored on the way out.
 */
static const struct fi_knob {
	const char *path;
	const char *value;
} fi_knobs[] = {
	{ DEBUGFS "/failslab/ignore-gfp-wait", "N" },
	{ DEBUGFS "/failslab/verbose", "0" },
	{ DEBUGFS "/fail_page_alloc/ignore-gfp-wait", "N" },
	{ DEBUGFS "/fail_page_alloc/ignore-gfp-highmem", "N" },
	{ DEBUGFS "/fail_page_alloc/min-order", "0" },
	{ DEBUGFS "/fail_page_alloc/verbose", "0" },
};

#define FI_NKNOBS	(sizeof(fi_knobs) / sizeof(fi_knobs[0]))

/*
 * The allocations of the kernel's checkers themselves (kmemleak's record
 * of every object, debug objects' pool) are no part of our paths, and
 * would count as every other point.  tests/vm/run boots the debug kernel
 * with "slub_debug=A;-,kmemleak_object,kmemleak_scan_area,
 * debug_objects_cache", which marks every slab cache but those for
 * failslab; its cache-filter then leaves them out.
 */
#define FI_CACHE_FILTER	DEBUGFS "/failslab/cache-filter"
#define FI_SLAB		"/sys/kernel/slab"

static char fi_saved[FI_NKNOBS][32];
static bool fi_set[FI_NKNOBS];
static char fi_filter_saved[32];
static bool fi_filter_set;
static char fi_unusable[160];	/* why the sweep cannot run, or "" */

/* Is slab cache @name marked for failslab (@want 1) or not (0)? */
static bool fi_cache_marked(const char *name, char want)
{
	char path[PATH_MAX], val[8];

	snprintf(path, sizeof(path), FI_SLAB "/%s/failslab", name);
	return !th_read_file(path, val, sizeof(val)) && val[0] == want;
}

static void fi_configure(void)
{
	size_t i;
	int ret;

	if (access(FAIL_NTH, F_OK)) {
		snprintf(fi_unusable, sizeof(fi_unusable),
			 "kernel without fault injection (no %s; "
			 "CONFIG_FAULT_INJECTION)", FAIL_NTH);
		return;
	}
	for (i = 0; i < FI_NKNOBS; i++) {
		ret = th_read_file(fi_knobs[i].path, fi_saved[i],
				   sizeof(fi_saved[i]));
		if (!ret)
			ret = th_write_file(fi_knobs[i].path, fi_knobs[i].value);
		if (ret) {
			snprintf(fi_unusable, sizeof(fi_unusable),
				 "cannot set %s: %s (CONFIG_FAILSLAB, "
				 "CONFIG_FAIL_PAGE_ALLOC, "
				 "CONFIG_FAULT_INJECTION_DEBUG_FS)",
				 fi_knobs[i].path, strerror(-ret));
			return;
		}
		fi_set[i] = true;
	}
	if (fi_cache_marked("kmalloc-64", '1') &&
	    fi_cache_marked("kmemleak_object", '0') &&
	    !th_read_file(FI_CACHE_FILTER, fi_filter_saved,
			  sizeof(fi_filter_saved)) &&
	    !th_write_file(FI_CACHE_FILTER, "Y"))
		fi_filter_set = true;
}

static void fi_restore(void)
{
	size_t i;

	if (fi_filter_set) {
		fi_filter_saved[strcspn(fi_filter_saved, "\n")] = '\0';
		th_write_file(FI_CACHE_FILTER, fi_filter_saved);
	}
	for (i = 0; i < FI_NKNOBS; i++) {
		if (!fi_set[i])
			continue;
		fi_saved[i][strcspn(fi_saved[i], "\n")] = '\0';
		if (th_write_file(fi_knobs[i].path, fi_saved[i]))
			fprintf(stderr, "fault_sweep: cannot restore %s to %s\n",
				fi_knobs[i].path, fi_saved[i]);
	}
}

/* SKIP the case when the sweep cannot run here. */
static void fi_require(void)
{
	if (fi_unusable[0])
		SKIP("%s", fi_unusable);
}

/* fail-nth of the calling thread. */
static int fi_open(void)
{
	int fd;

	fi_require();
	fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		FAIL("open %s: %s", FAIL_NTH, strerror(errno));
	if (!fi_filter_set)
		TH_LOG("note: kmemleak's and debug objects' own allocations count as points too (the kernel was booted without slub_debug=A;-,kmemleak_object,...)");
	return fd;
}

/* Fail the @n-th fault-injectable call from now on (0: none). */
static void fi_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (write(fd, buf, len) != len)
		FAIL("write %u to %s: %s", n, FAIL_NTH, strerror(errno));
}

/*
 * Disarm; return what was left of the count: 0 when the fault was
 * injected, otherwise how many calls short of it the operation stopped.
 */
static unsigned int fi_disarm(int fd)
{
	char buf[16];
	ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);

	if (len <= 0)
		FAIL("read %s: %s", FAIL_NTH, len ? strerror(errno) : "empty");
	buf[len] = '\0';
	fi_arm(fd, 0);
	return (unsigned int)strtoul(buf, NULL, 10);
}

/*
 * Where each sweep runs.  Those that do not depend on the machine run
 * where there is no edu device (tests/vm/run's default shape); with one
 * (--edu), only what the device adds: the edu importer's ATTACH and MAP.
 * DMAHEAP_SWEEP_ALL=1 runs every sweep on any machine.
 */
static bool have_edu(void)
{
	return !access(EDU_NODE, F_OK);
}

static bool sweep_all(void)
{
	const char *all = getenv("DMAHEAP_SWEEP_ALL");

	return all && !strcmp(all, "1");
}

/* SKIP a machine-independent sweep on the edu machine. */
static void fi_require_plain_machine(void)
{
	if (have_edu() && !sweep_all())
		SKIP("does not depend on the machine: swept where there is no edu device (DMAHEAP_SWEEP_ALL=1 sweeps it here too)");
}

/* Kernel log --------------------------------------------------------------- */

/*
 * What counts as a problem: tests/klog-problems' patterns (keep the two in
 * step), minus DMA-API debugging's own boot notes.
 */
#define KLOG_PROBLEM							\
	"(^|\\] )(BUG:|WARNING:|Oops|kernel BUG|general protection fault)|" \
	"Out of memory|oom-killer|Call Trace|detected stall|"		\
	"KASAN:|KFENCE:|UBSAN:|"					\
	"possible (circular|recursive) locking|inconsistent lock state|" \
	"suspicious RCU usage|page dumped because|VM_BUG_ON|"		\
	"[Bb]ad page (state|map)|ODEBUG:|DMA-API: "
#define KLOG_BENIGN							\
	"DMA-API: (preallocated [0-9]+ debug entries|"			\
	"debugging enabled by kernel config)"
/*
 * Reports that a failed allocation itself causes, allowed here: mm's
 * warning about an allocation made without __GFP_NOWARN, 6.1's dma-buf
 * core warning (once) when an exporter's vmap fails, and fault injection's
 * own report of the fault (see find_init_start()).  Each is followed by a
 * stack dump, which ends at KLOG_DUMP_END (or is taken to after this many
 * lines).
 */
#define KLOG_EXPECTED							\
	"(page allocation failure|vmalloc error): |"			\
	"WARNING: .* at drivers/dma-buf/dma-buf\\.c:[0-9]+ dma_buf_vmap|" \
	"FAULT_INJECTION: forcing a failure"
#define KLOG_DUMP_END	"</TASK>"
#define KLOG_DUMP_MAX	120
/*
 * DMA-API debugging switches itself off for good when one of its own
 * allocations fails, which the sweep can make happen.
 */
#define KLOG_DMA_DEBUG_OFF						\
	"DMA-API: (cacheline tracking ENOMEM, dma-debug disabled|"	\
	"debugging out of memory - disabling)"

static struct {
	int fd;			/* /dev/kmsg, read from where the case began */
	regex_t problem, benign, expected, dma_debug_off;
	int dump_left;		/* lines of an expected dump still to come */
	unsigned int expected_seen;	/* expected reports in this sweep */
	bool dma_debug_gone;	/* DMA-API debugging switched itself off */
} klog = { .fd = -1 };

/* Write a marker line into the kernel log. */
static void klog_mark(const char *what)
{
	char line[160];
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	snprintf(line, sizeof(line), KLOG_MARK "%s", what);
	if (write(fd, line, strlen(line)) < 0)
		TH_LOG("cannot write to /dev/kmsg: %s", strerror(errno));
	close(fd);
}

/* Start watching the log: only what comes after counts. */
static void klog_open(const char *what)
{
	static bool compiled;

	if (!compiled &&
	    (regcomp(&klog.problem, KLOG_PROBLEM, REG_EXTENDED | REG_NOSUB) ||
	     regcomp(&klog.benign, KLOG_BENIGN, REG_EXTENDED | REG_NOSUB) ||
	     regcomp(&klog.expected, KLOG_EXPECTED,
		     REG_EXTENDED | REG_NOSUB) ||
	     regcomp(&klog.dma_debug_off, KLOG_DMA_DEBUG_OFF,
		     REG_EXTENDED | REG_NOSUB)))
		FAIL("regcomp failed");
	compiled = true;
	klog.fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (klog.fd < 0)
		FAIL("open /dev/kmsg: %s", strerror(errno));
	lseek(klog.fd, 0, SEEK_END);
	klog.dump_left = 0;
	klog.expected_seen = 0;
	klog_mark(what);
}

static void klog_close(const char *what)
{
	klog_mark(what);
	if (klog.fd >= 0)
		close(klog.fd);
	klog.fd = -1;
}

/* Lines of context logged before the first problem line. */
#define KLOG_CONTEXT	4

static void klog_append(char *out, size_t outlen, const char *tag,
			const char *msg)
{
	size_t len = strlen(out);

	snprintf(out + len, outlen - len, "%s%s\n", tag, msg);
}

/*
 * Read the records that arrived since the last call; the problems go to
 * @out (one per line, up to @outlen bytes).  Returns how many there were.
 * @n is the injection point, for the note when DMA-API debugging goes.
 */
static int klog_problems(char *out, size_t outlen, unsigned int n)
{
	static char before[KLOG_CONTEXT][160];	/* the lines before, a ring */
	static unsigned int nbefore;
	char rec[2048];
	int bad = 0;

	out[0] = '\0';
	for (;;) {
		ssize_t len = read(klog.fd, rec, sizeof(rec) - 1);
		char *msg, *nl;

		if (len < 0 && errno == EPIPE)
			continue;	/* overwritten before we read it */
		if (len <= 0)
			break;
		rec[len] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		if (!regexec(&klog.expected, msg, 0, NULL, 0)) {
			klog.dump_left = KLOG_DUMP_MAX;
			klog.expected_seen++;
			continue;
		}
		if (!regexec(&klog.dma_debug_off, msg, 0, NULL, 0)) {
			if (!klog.dma_debug_gone)
				TH_LOG("note: at point %u the fault hit an allocation of DMA-API debugging itself, which is now off for the rest of this boot",
				       n);
			klog.dma_debug_gone = true;
			continue;
		}
		if (klog.dump_left > 0) {
			klog.dump_left--;
			if (strstr(msg, KLOG_DUMP_END))
				klog.dump_left = 0;
			continue;
		}
		if (regexec(&klog.problem, msg, 0, NULL, 0) ||
		    !regexec(&klog.benign, msg, 0, NULL, 0)) {
			snprintf(before[nbefore++ % KLOG_CONTEXT],
				 sizeof(before[0]), "%.159s", msg);
			continue;
		}
		/* The first problem comes with the lines before it. */
		if (!bad) {
			unsigned int i = nbefore > KLOG_CONTEXT ?
					 nbefore - KLOG_CONTEXT : 0;

			for (; i < nbefore; i++)
				klog_append(out, outlen, "(before) ",
					    before[i % KLOG_CONTEXT]);
			nbefore = 0;
		}
		bad++;
		klog_append(out, outlen, "", msg);
	}
	return bad;
}

/* FAIL with the new problem lines of the log, if there are any. */
static void klog_assert_clean(const char *op, unsigned int n)
{
	char lines[4096];
	char *line, *save = NULL;
	int bad = klog_problems(lines, sizeof(lines), n);

	if (!bad)
		return;
	for (line = strtok_r(lines, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		TH_LOG("kernel: %s", line);
	if (n)
		FAIL("%s: the kernel log shows %d problem line(s) after the fault at point %u",
		     op, bad, n);
	FAIL("%s: the kernel log shows %d problem line(s)", op, bad);
}

/* State that must come back after every fault --------------------------------- */

/* How many dma-buf mappings this process has (/proc/self/maps). */
static int count_dmabuf_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "dmabuf"))
			n++;
	fclose(f);
	return n;
}

static unsigned long fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long)st.st_ino;
}

/*
 * The dma-buf with inode @ino in debugfs' bufinfo: its file reference
 * count and its number of attached devices.  -ENOENT if it is not listed.
 */
static int bufinfo(unsigned long ino, long *files, int *attached)
{
	FILE *f = fopen(BUFINFO, "re");
	bool ours = false, in_devs = false;
	char line[512];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long size, fino;
		char flags[16], mode[16], exp[80];
		long count;

		if (line[0] != '\t') {
			in_devs = false;
			if (ours)
				break;
			ours = sscanf(line, "%lu %15s %15s %ld %79s %lu", &size,
				      flags, mode, &count, exp, &fino) == 6 &&
			       fino == ino;
			if (ours) {
				*files = count;
				*attached = 0;
				ret = 0;
			}
			continue;
		}
		if (!ours)
			continue;
		if (!strcmp(line, "\tAttached Devices:\n"))
			in_devs = true;
		else if (in_devs)
			(*attached)++;
	}
	fclose(f);
	return ret;
}

/* A snapshot of everything a failed operation must leave as it was. */
struct baseline {
	const struct th_heap *heap;	/* its buffers and bytes; or NULL */
	struct th_stats stats;
	int fds;
	int maps;
	unsigned long ino;		/* a dma-buf under test, or 0 */
	long files;
	int attached;
};

static void baseline_take(struct baseline *b, const struct th_heap *heap,
			  int buf_fd)
{
	memset(b, 0, sizeof(*b));
	b->heap = heap;
	if (heap)
		ASSERT_EQ(0, th_stats_read(heap, &b->stats));
	b->fds = th_count_fds();
	ASSERT_GE(b->fds, 0);
	b->maps = count_dmabuf_maps();
	ASSERT_GE(b->maps, 0);
	if (buf_fd >= 0) {
		b->ino = fd_ino(buf_fd);
		ASSERT_NE(0, b->ino);
		ASSERT_EQ(0, bufinfo(b->ino, &b->files, &b->attached));
	}
}

/*
 * FAIL unless the state is back at @b; @n is the injection point (0 for a
 * run with nothing injected).
 */
static void baseline_check(const struct baseline *b, const char *op,
			   unsigned int n)
{
	struct th_stats s;
	long files = 0;
	int attached = 0, fds, maps, ret;

	if (b->heap) {
		ret = th_stats_read(b->heap, &s);
		if (ret)
			FAIL("%s, point %u: reading %s statistics: %s", op, n,
			     b->heap->name, strerror(-ret));
		if (s.buffers != b->stats.buffers || s.bytes != b->stats.bytes)
			FAIL("%s, point %u: %s holds %" PRIu64 " buffers, %"
			     PRIu64 " bytes; %" PRIu64 " and %" PRIu64
			     " before", op, n, b->heap->name, s.buffers,
			     s.bytes, b->stats.buffers, b->stats.bytes);
	}
	fds = th_count_fds();
	if (fds != b->fds)
		FAIL("%s, point %u: %d fds open, %d before", op, n, fds,
		     b->fds);
	maps = count_dmabuf_maps();
	if (maps != b->maps)
		FAIL("%s, point %u: %d dma-buf mappings, %d before", op, n,
		     maps, b->maps);
	if (b->ino) {
		ret = bufinfo(b->ino, &files, &attached);
		if (ret)
			FAIL("%s, point %u: the dma-buf is gone from %s: %s",
			     op, n, BUFINFO, strerror(-ret));
		if (files != b->files || attached != b->attached)
			FAIL("%s, point %u: the dma-buf has %ld file references and %d attachments; %ld and %d before",
			     op, n, files, attached, b->files, b->attached);
	}
}

/* The sweep ------------------------------------------------------------------ */

/**
 * struct sweep_op - one operation to sweep
 * @name:	For the log.
 * @run:	The system call under injection; 0 or -errno.
 * @undo:	Check and release what a successful @run made.
 * @base:	The state every faulted @run must leave.
 * @ctx:	Passed to @run and @undo.
 */
struct sweep_op {
	char name[192];
	int (*run)(void *ctx);
	void (*undo)(void *ctx);
	struct baseline base;
	void *ctx;
};

/* Errnos an operation may fail with when an allocation fails. */
static bool errno_documented(int err)
{
	return err == ENOMEM;
}

/*
 * Run @op with nothing injected: 0 if it works (undone again), else the
 * -errno, for the caller to skip with a reason.
 */
static int sweep_dry_run(struct sweep_op *op)
{
	int ret = op->run(op->ctx);

	if (!ret)
		op->undo(op->ctx);
	baseline_check(&op->base, op->name, 0);
	return ret;
}

static void sweep(struct sweep_op *op)
{
	unsigned int n, left = 0, tried = 0, failed = 0, absorbed = 0;
	int fd = fi_open(), ret;

	klog_open(op->name);
	/* Count the two fds just opened as the baseline's. */
	op->base.fds = th_count_fds();
	for (n = 1; n <= SWEEP_MAX; n++) {
		fi_arm(fd, n);
		ret = op->run(op->ctx);
		left = fi_disarm(fd);
		if (left) {
			/* Point n was never reached: the clean run. */
			if (ret)
				FAIL("%s: failed with %s with no fault injected (fail-nth %u)",
				     op->name, th_errname(-ret), n);
			op->undo(op->ctx);
			baseline_check(&op->base, op->name, n);
			klog_assert_clean(op->name, 0);
			break;
		}
		tried++;
		if (ret) {
			if (!errno_documented(-ret))
				FAIL("%s: the fault at point %u made it fail with %s, which is not documented",
				     op->name, n, th_errname(-ret));
			failed++;
		} else {
			absorbed++;
			op->undo(op->ctx);
		}
		baseline_check(&op->base, op->name, n);
		klog_assert_clean(op->name, n);
	}
	close(fd);
	klog_close("done");
	if (n > SWEEP_MAX)
		FAIL("%s: still reaching injection points after %u tries",
		     op->name, SWEEP_MAX);
	TH_LOG("%s: %u injection points, %u tried: %u failed the call, %u absorbed by a fallback; %u expected warning(s) in the log",
	       op->name, n - left, tried, failed, absorbed, klog.expected_seen);
	if (!tried)
		FAIL("%s: no injection point reached: is fault injection configured?",
		     op->name);
}

/* Buffers -------------------------------------------------------------------- */

/* A fresh buffer's bytes are all zero (every heap hands out zeroed memory). */
static void check_zeroed(int fd, uint64_t len, const char *op)
{
	long long off;
	void *p;

	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		FAIL("%s: mmap of the buffer: %s", op, strerror(errno));
	off = th_find_not(p, len, 0);
	munmap(p, len);
	if (off >= 0)
		FAIL("%s: byte %lld of a new buffer is not zero", op, off);
}

/* DMA_HEAP_IOCTL_ALLOC ------------------------------------------------------- */

struct alloc_ctx {
	int heap_fd;
	uint64_t len;
	int fd;
	const char *name;
};

static int alloc_run(void *p)
{
	struct alloc_ctx *c = p;

	c->fd = th_alloc_fd(c->heap_fd, c->len, O_RDWR | O_CLOEXEC);
	return c->fd < 0 ? c->fd : 0;
}

static void alloc_undo(void *p)
{
	struct alloc_ctx *c = p;

	check_zeroed(c->fd, c->len, c->name);
	close(c->fd);
	c->fd = -1;
}

static void sweep_alloc(const struct th_heap *heap, uint64_t len,
			const char *shape)
{
	struct alloc_ctx c = { .len = len, .fd = -1 };
	struct sweep_op op = { .run = alloc_run, .undo = alloc_undo,
			       .ctx = &c };
	int ret;

	fi_require();
	fi_require_plain_machine();
	snprintf(op.name, sizeof(op.name), "alloc %s from %s", shape,
		 heap->name);
	c.name = op.name;
	c.heap_fd = th_heap_open(heap);
	ASSERT_GE(c.heap_fd, 0);
	baseline_take(&op.base, heap, -1);
	ret = sweep_dry_run(&op);
	if (ret == -ENOMEM && th_heap_contiguous(heap))
		SKIP("no contiguous run of %" PRIu64 " KiB free in %s",
		     len / 1024, heap->name);
	ASSERT_EQ(0, ret);
	sweep(&op);
	close(c.heap_fd);
}

HEAP_TEST_TIMEOUT(alloc_page, SWEEP_TIMEOUT)
{
	sweep_alloc(heap, SHAPE_PAGE, "4 KiB");
}

HEAP_TEST_TIMEOUT(alloc_1m, SWEEP_TIMEOUT)
{
	sweep_alloc(heap, SHAPE_1M, "1 MiB");
}

HEAP_TEST_TIMEOUT(alloc_orders, SWEEP_TIMEOUT)
{
	sweep_alloc(heap, SHAPE_ORDERS, "1 MiB + 68 KiB");
}

/*
 * Operations on an existing buffer: a fixture with one buffer of the
 * several-orders shape, and the baseline taken with it alive.
 */
FIXTURE(buf) {
	int fd;
	int dev;	/* the importer's or inspector's fd, or -1 */
	uint32_t handle;
	bool have_handle;
	struct sweep_op op;
};

FIXTURE_SETUP(buf)
{
	self->fd = -1;
	self->dev = -1;
	fi_require();
	self->fd = th_alloc_large(heap, SHAPE_ORDERS);
	ASSERT_GE(self->fd, 0);
	self->op.ctx = self;
}

FIXTURE_TEARDOWN(buf)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->fd >= 0)
		close(self->fd);
}

/* Take the baseline, check the operation works at all, then sweep it. */
static void sweep_buf(struct th_fixture_buf *self, const struct th_heap *heap,
		      const char *what)
{
	int ret;

	snprintf(self->op.name, sizeof(self->op.name), "%s of a %s buffer",
		 what, heap->name);
	baseline_take(&self->op.base, heap, self->fd);
	ret = sweep_dry_run(&self->op);
	if (ret)
		SKIP("%s fails with nothing injected: %s", self->op.name,
		     th_errname(-ret));
	sweep(&self->op);
}

/* PRIME import by vgem: attach and map -------------------------------------- */

static int vgem_run(void *p)
{
	struct th_fixture_buf *self = p;
	int ret = vgem_import(self->dev, self->fd, &self->handle);

	self->have_handle = !ret;
	return ret;
}

static void vgem_undo(void *p)
{
	struct th_fixture_buf *self = p;

	if (vgem_close(self->dev, self->handle))
		FAIL("vgem: closing the imported handle: %s", strerror(errno));
	self->have_handle = false;
}

HEAP_TEST_F_TIMEOUT(buf, import_vgem, SWEEP_TIMEOUT)
{
	fi_require_plain_machine();
	self->dev = vgem_open();
	if (self->dev < 0)
		SKIP("no vgem device in /dev/dri");
	self->op.run = vgem_run;
	self->op.undo = vgem_undo;
	sweep_buf(self, heap, "PRIME import by vgem");
}

/* The edu importer: ATTACH, then MAP ------------------------------------------ */

static int edu_open(void)
{
	int fd = open(EDU_NODE, O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		SKIP("no edu device (%s): run the VM with --edu", EDU_NODE);
	if (fd < 0)
		FAIL("open %s: %s", EDU_NODE, strerror(errno));
	return fd;
}

static int edu_attach_run(void *p)
{
	struct th_fixture_buf *self = p;
	struct edu_importer_attach a = { .fd = self->fd };

	if (ioctl(self->dev, EDU_IMPORTER_IOC_ATTACH, &a))
		return -errno;
	self->handle = a.handle;
	self->have_handle = true;
	return 0;
}

static int edu_handle_ioctl(struct th_fixture_buf *self, unsigned long cmd)
{
	struct edu_importer_handle h = { .handle = self->handle };

	return ioctl(self->dev, cmd, &h) ? -errno : 0;
}

static void edu_attach_undo(void *p)
{
	struct th_fixture_buf *self = p;
	int ret = edu_handle_ioctl(self, EDU_IMPORTER_IOC_DETACH);

	if (ret)
		FAIL("edu importer: DETACH: %s", strerror(-ret));
	self->have_handle = false;
}

HEAP_TEST_F_TIMEOUT(buf, attach_edu, SWEEP_TIMEOUT)
{
	self->dev = edu_open();
	self->op.run = edu_attach_run;
	self->op.undo = edu_attach_undo;
	sweep_buf(self, heap, "ATTACH by the edu importer");
}

static int edu_map_run(void *p)
{
	struct th_fixture_buf *self = p;
	struct edu_importer_map m = {
		.handle = self->handle,
		.dir = EDU_IMPORTER_DIR_BIDIRECTIONAL,
	};

	return ioctl(self->dev, EDU_IMPORTER_IOC_MAP, &m) ? -errno : 0;
}

static void edu_map_undo(void *p)
{
	struct th_fixture_buf *self = p;
	int ret = edu_handle_ioctl(self, EDU_IMPORTER_IOC_UNMAP);

	if (ret)
		FAIL("edu importer: UNMAP: %s", strerror(-ret));
}

HEAP_TEST_F_TIMEOUT(buf, map_edu, SWEEP_TIMEOUT)
{
	self->dev = edu_open();
	ASSERT_EQ(0, edu_attach_run(self));
	self->op.run = edu_map_run;
	self->op.undo = edu_map_undo;
	sweep_buf(self, heap, "MAP by the edu importer");
	ASSERT_EQ(0, edu_handle_ioctl(self, EDU_IMPORTER_IOC_DETACH));
}

/* vmap, through dmaheap_inspect's CACHING ioctl ------------------------------- */

static int caching_run(void *p)
{
	struct th_fixture_buf *self = p;
	struct dmaheap_inspect_caching c = { .fd = self->fd };

	return ioctl(self->dev, DMAHEAP_INSPECT_IOC_CACHING, &c) ? -errno : 0;
}

static void nothing_to_undo(void *p)
{
	(void)p;
}

HEAP_TEST_F_TIMEOUT(buf, vmap, SWEEP_TIMEOUT)
{
	int ret;

	fi_require_plain_machine();
	self->dev = open(INSPECT_DEV, O_RDWR | O_CLOEXEC);
	if (self->dev < 0) {
		ret = th_load_module(INSPECT_MODULE, "");
		if (ret && ret != -EEXIST)
			SKIP("cannot load %s: %s", INSPECT_MODULE,
			     strerror(-ret));
		self->dev = open(INSPECT_DEV, O_RDWR | O_CLOEXEC);
		if (self->dev < 0)
			SKIP("cannot open %s: %s", INSPECT_DEV,
			     strerror(errno));
	}
	self->op.run = caching_run;
	self->op.undo = nothing_to_undo;
	sweep_buf(self, heap, "vmap (inspect CACHING)");
}

/* mmap ------------------------------------------------------------------------ */

static void *mmap_addr;

static int mmap_run(void *p)
{
	struct th_fixture_buf *self = p;

	mmap_addr = mmap(NULL, SHAPE_ORDERS, PROT_READ | PROT_WRITE,
			 MAP_SHARED, self->fd, 0);
	return mmap_addr == MAP_FAILED ? -errno : 0;
}

static void mmap_undo(void *p)
{
	(void)p;
	munmap(mmap_addr, SHAPE_ORDERS);
}

HEAP_TEST_F_TIMEOUT(buf, mmap, SWEEP_TIMEOUT)
{
	fi_require_plain_machine();
	self->op.run = mmap_run;
	self->op.undo = mmap_undo;
	sweep_buf(self, heap, "mmap");
}

/* SA_IOC_ALLOC of the simple allocator front-end ------------------------------ */

/* The front-end's node for @heap (/sys/class/misc/<node>/heap), or SKIP. */
static void sa_node_of(const struct th_heap *heap, char *dev, size_t len)
{
	struct dirent *de;
	DIR *dir = opendir("/sys/class/misc");

	if (!dir)
		SKIP("no /sys/class/misc");
	while ((de = readdir(dir))) {
		char path[PATH_MAX], name[80];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/misc/%s/heap",
			 de->d_name);
		if (th_read_file(path, name, sizeof(name)))
			continue;
		name[strcspn(name, "\n")] = '\0';
		if (!strcmp(name, heap->name)) {
			snprintf(dev, len, "/dev/%s", de->d_name);
			closedir(dir);
			return;
		}
	}
	closedir(dir);
	SKIP("no simple allocator node serves %s", heap->name);
}

static int sa_run(void *p)
{
	struct alloc_ctx *c = p;
	struct simple_allocate_data d = {
		.length = c->len,
		.flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(c->heap_fd, SA_IOC_ALLOC, &d))
		return -errno;
	c->fd = d.fd;
	return 0;
}

HEAP_TEST_TIMEOUT(sa_alloc, SWEEP_TIMEOUT)
{
	struct alloc_ctx c = { .len = SHAPE_ORDERS, .fd = -1 };
	struct sweep_op op = { .run = sa_run, .undo = alloc_undo, .ctx = &c };
	char dev[PATH_MAX];
	int ret;

	fi_require();
	fi_require_plain_machine();
	sa_node_of(heap, dev, sizeof(dev));
	snprintf(op.name, sizeof(op.name), "SA_IOC_ALLOC of 1 MiB + 68 KiB on %.32s (%s)",
		 dev, heap->name);
	c.name = op.name;
	c.heap_fd = open(dev, O_RDWR | O_CLOEXEC);
	ASSERT_GE(c.heap_fd, 0);
	baseline_take(&op.base, heap, -1);
	ret = sweep_dry_run(&op);
	if (ret == -ENOMEM && th_heap_contiguous(heap))
		SKIP("no contiguous run of %" PRIu64 " KiB free in %s",
		     SHAPE_ORDERS / 1024, heap->name);
	ASSERT_EQ(0, ret);
	sweep(&op);
	close(c.heap_fd);
}

/* Module init: loading every module of load-order ----------------------------- */

#define MAX_MODULES	32

static bool module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return !access(path, F_OK);
}

/* Unload @name and, first, every module that depends on it. */
static int unload_with_holders(const char *name, char unloaded[][64],
			       int *nunloaded, int max)
{
	char path[128];
	struct dirent *de;
	DIR *dir;
	int ret;

	if (!module_loaded(name))
		return 0;
	snprintf(path, sizeof(path), "/sys/module/%s/holders", name);
	dir = opendir(path);
	if (dir) {
		while ((de = readdir(dir))) {
			if (de->d_name[0] == '.')
				continue;
			ret = unload_with_holders(de->d_name, unloaded,
						  nunloaded, max);
			if (ret) {
				closedir(dir);
				return ret;
			}
		}
		closedir(dir);
	}
	ret = th_unload_module(name);
	if (ret)
		return ret;
	if (*nunloaded < max)
		snprintf(unloaded[(*nunloaded)++], 64, "%s", name);
	return 0;
}

/* The names in directory @path, sorted and joined by spaces, into @out. */
static void list_dir(const char *path, char *out, size_t len)
{
	struct dirent **names;
	int n, i;

	out[0] = '\0';
	n = scandir(path, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' &&
		    strlen(out) + strlen(names[i]->d_name) + 2 < len) {
			strcat(out, names[i]->d_name);
			strcat(out, " ");
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

struct load_ctx {
	const struct th_module *mod;
	int file;
	char name[160];		/* for the log */
	int nth;		/* fail-nth */
	char modules[2048];	/* /sys/module before the load */
	char heaps[1024];	/* /sys/class/dmaheap */
	char nodes[1024];	/* /dev/dma_heap */
	char misc[2048];	/* /sys/class/misc */
	unsigned int tried, failed, absorbed;
};

static void load_snapshot(struct load_ctx *c, char *modules, char *heaps,
			  char *nodes, char *misc)
{
	list_dir("/sys/module", modules, sizeof(c->modules));
	list_dir("/sys/class/dmaheap", heaps, sizeof(c->heaps));
	list_dir("/dev/dma_heap", nodes, sizeof(c->nodes));
	list_dir("/sys/class/misc", misc, sizeof(c->misc));
}

static void load_unload(struct load_ctx *c, unsigned int n)
{
	int ret = th_unload_module(c->mod->name);

	if (ret)
		FAIL("%s, point %u: unloading after the load worked: %s",
		     c->name, n, strerror(-ret));
}

/* Nothing of the module is left: no module, heap, node or misc device. */
static void load_check(struct load_ctx *c, unsigned int n)
{
	static char modules[2048], heaps[1024], nodes[1024], misc[2048];

	load_snapshot(c, modules, heaps, nodes, misc);
	if (strcmp(modules, c->modules))
		FAIL("%s, point %u: /sys/module is now \"%s\", was \"%s\"",
		     c->name, n, modules, c->modules);
	if (strcmp(heaps, c->heaps) || strcmp(nodes, c->nodes))
		FAIL("%s, point %u: heaps left behind: sysfs \"%s\" (was \"%s\"), nodes \"%s\" (was \"%s\")",
		     c->name, n, heaps, c->heaps, nodes, c->nodes);
	if (strcmp(misc, c->misc))
		FAIL("%s, point %u: /sys/class/misc is now \"%s\", was \"%s\"",
		     c->name, n, misc, c->misc);
}

/*
 * Load with the @n-th point failed and check the outcome: a failed load
 * left nothing behind, a load that worked despite the fault is unloaded
 * again, one with nothing injected stays.  Returns what was left of the
 * count (0: the fault was injected).
 */
static unsigned int load_point(struct load_ctx *c, unsigned int n)
{
	unsigned int left;
	int ret;

	fi_arm(c->nth, n);
	ret = syscall(SYS_finit_module, c->file, c->mod->params, 0) ?
	      -errno : 0;
	left = fi_disarm(c->nth);
	if (left) {
		if (ret)
			FAIL("%s: failed with %s with no fault injected (fail-nth %u)",
			     c->name, th_errname(-ret), n);
	} else {
		c->tried++;
		if (ret && !errno_documented(-ret))
			FAIL("%s: the fault at point %u made it fail with %s, which is not documented",
			     c->name, n, th_errname(-ret));
		if (ret) {
			c->failed++;
		} else {
			c->absorbed++;
			load_unload(c, n);
		}
	}
	if (!left)
		load_check(c, n);
	klog_assert_clean(c->name, left ? 0 : n);
	return left;
}

/*
 * Fault injection's report of each fault, with its stack dump, is switched
 * on while find_init_start() looks for where the module's init begins.
 */
static void fi_verbose(bool on)
{
	static const char *const knobs[] = {
		DEBUGFS "/failslab/verbose",
		DEBUGFS "/fail_page_alloc/verbose",
	};
	size_t i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		if (th_write_file(knobs[i], on ? "2" : "0"))
			FAIL("cannot set %s", knobs[i]);
}

/*
 * Did the fault injected since @fd was positioned hit the module's init:
 * is do_init_module() on the stack fault injection printed?  1 if so, 0 if
 * not, -1 if no report came.
 */
static int fault_in_init(int fd)
{
	bool in_report = false;
	char rec[2048];

	for (;;) {
		ssize_t len = read(fd, rec, sizeof(rec) - 1);

		if (len < 0 && errno == EPIPE)
			continue;
		if (len <= 0)
			return -1;
		rec[len] = '\0';
		if (strstr(rec, "FAULT_INJECTION: forcing a failure"))
			in_report = true;
		else if (in_report && strstr(rec, "do_init_module"))
			return 1;
		else if (in_report && strstr(rec, KLOG_DUMP_END))
			return 0;
	}
}

/*
 * Load with the @n-th point failed, only to see where the fault lands;
 * what is left behind is checked as in load_point().  1 if the fault was in
 * the module's init, 0 if before it, -1 if there was none or no report.
 */
static int load_probe(struct load_ctx *c, unsigned int n)
{
	int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	unsigned int left;
	int ret, where = -1;

	if (kmsg < 0)
		FAIL("open /dev/kmsg: %s", strerror(errno));
	lseek(kmsg, 0, SEEK_END);
	fi_arm(c->nth, n);
	ret = syscall(SYS_finit_module, c->file, c->mod->params, 0);
	left = fi_disarm(c->nth);
	if (!ret)
		load_unload(c, n);
	if (!left)
		where = fault_in_init(kmsg);
	close(kmsg);
	load_check(c, n);
	klog_assert_clean(c->name, n);
	return where;
}

/*
 * The module loader's own allocations (reading the file, laying out and
 * relocating the module, its sysfs directory) come first, each an
 * injection point, and are the same kernel code for every module.  The
 * sweep starts at the first point inside do_init_module(), where the
 * module's init runs: the points before it are not ours.  The loader runs
 * them in the same order at every load, so the first point in init is
 * found by bisection over the @total points of a load.
 *
 * A fault in an allocation made with __GFP_NOWARN comes with no report to
 * tell where it landed.  Then the points after it are probed until one
 * does: one before init moves the lower bound past it; otherwise the
 * upper bound comes down to the silent point, which errs on the safe side
 * (the sweep may start a little early, never late).
 *
 * Returns the first point to sweep, and the probes it took in @probes.
 */
static unsigned int find_init_start(struct load_ctx *c, unsigned int total,
				    unsigned int *probes)
{
	unsigned int lo = 1, hi = total;	/* the answer is in [lo, hi] */

	*probes = 0;
	fi_verbose(true);
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2, m = mid;
		int where;

		do {
			where = load_probe(c, m);
			(*probes)++;
		} while (where < 0 && ++m < hi);
		if (where == 0)
			lo = m + 1;	/* m, and so mid, before init */
		else
			hi = mid;	/* mid in init, or silent */
	}
	fi_verbose(false);
	return lo;
}

/* How many points a load with nothing injected passes; it stays loaded. */
static unsigned int count_load_points(struct load_ctx *c)
{
	unsigned int left;
	int ret;

	fi_arm(c->nth, SWEEP_MAX);
	ret = syscall(SYS_finit_module, c->file, c->mod->params, 0) ?
	      -errno : 0;
	left = fi_disarm(c->nth);
	if (ret)
		FAIL("%s: failed with %s with no fault injected",
		     c->name, th_errname(-ret));
	load_unload(c, 0);
	return SWEEP_MAX - left;
}

/*
 * Like sweep(), for finit_module(), from the first point in the module's
 * init on (see find_init_start()); the module ends up loaded.
 */
static void sweep_load(struct load_ctx *c)
{
	unsigned int n, left = 0, total, start, probes;

	snprintf(c->name, sizeof(c->name), "load %s", c->mod->file);
	c->nth = fi_open();
	klog_open(c->name);
	load_snapshot(c, c->modules, c->heaps, c->nodes, c->misc);
	total = count_load_points(c);
	start = find_init_start(c, total, &probes);
	for (n = start; n <= SWEEP_MAX; n++) {
		left = load_point(c, n);
		if (left)
			break;
	}
	close(c->nth);
	klog_close("done");
	if (n > SWEEP_MAX)
		FAIL("%s: still reaching injection points after %u tries",
		     c->name, SWEEP_MAX);
	TH_LOG("%s: %u injection points, %u of them the module loader's before init (%u loads to find where init starts); %u tried from there: %u failed the load, %u absorbed; %u expected warning(s) in the log",
	       c->name, n - left, start - 1, probes, c->tried, c->failed,
	       c->absorbed, klog.expected_seen);
}

/*
 * The test importer (tests/kmod) is no part of the product: its init
 * registers a PCI driver, and with qemu's edu device its probe is the
 * kernel's PCI, IOMMU and ACPI code, over a thousand points that are not
 * ours.  Swept there, a fault in ACPICA's state cache made the kernel's
 * own error path use freed memory (6.1: "KASAN: use-after-free in
 * acpi_ut_update_object_reference" after AE_NO_MEMORY), a kernel bug this
 * project cannot fix.  Our paths through the importer (ATTACH, MAP) are
 * swept above.
 */
static bool test_module(const char *name)
{
	return !strcmp(name, "edu_importer");
}

FIXTURE(modules) {
	struct th_module mods[MAX_MODULES];
	bool sweep[MAX_MODULES];	/* load this one under the sweep */
	int nmods;
	char unloaded[MAX_MODULES][64];	/* unloaded, not in load-order */
	int nunloaded;
};

FIXTURE_SETUP(modules)
{
	self->nmods = th_read_load_order(self->mods, MAX_MODULES);
	if (self->nmods < 0)
		SKIP("no $DMAHEAP_MODDIR/load-order");
}

/* Whatever happened, every module is loaded again, in load-order. */
FIXTURE_TEARDOWN(modules)
{
	int i, ret;

	for (i = 0; i < self->nmods; i++) {
		if (module_loaded(self->mods[i].name))
			continue;
		ret = th_load_module(self->mods[i].file,
				     self->mods[i].params);
		if (ret && ret != -EEXIST) {
			TH_LOG("reloading %s: %s", self->mods[i].file,
			       strerror(-ret));
			EXPECT_EQ(0, ret);
		}
	}
	/* Modules of ours loaded on demand (dmaheap_inspect) come back too. */
	for (i = self->nunloaded - 1; i >= 0; i--) {
		char file[80];

		if (module_loaded(self->unloaded[i]))
			continue;
		snprintf(file, sizeof(file), "%s.ko", self->unloaded[i]);
		ret = th_load_module(file, "");
		if (ret && ret != -EEXIST)
			TH_LOG("reloading %s: %s", file, strerror(-ret));
	}
}

TEST_F_TIMEOUT(modules, module_init, 4 * SWEEP_TIMEOUT)
{
	char unloaded[2 * MAX_MODULES][64];
	struct load_ctx c;
	int nunloaded = 0, i, j, ret;

	fi_require();
	for (i = 0; i < self->nmods; i++)
		self->sweep[i] = !test_module(self->mods[i].name) &&
				 (!have_edu() || sweep_all());
	/* Everything goes, dependents first. */
	for (i = self->nmods - 1; i >= 0; i--) {
		ret = unload_with_holders(self->mods[i].name, unloaded,
					  &nunloaded, 2 * MAX_MODULES);
		if (ret)
			FAIL("cannot unload %s: %s", self->mods[i].name,
			     strerror(-ret));
	}
	for (i = 0; i < nunloaded; i++) {
		bool listed = false;

		for (j = 0; j < self->nmods; j++)
			listed |= !strcmp(unloaded[i], self->mods[j].name);
		if (!listed && self->nunloaded < MAX_MODULES)
			snprintf(self->unloaded[self->nunloaded++], 64, "%.63s",
				 unloaded[i]);
	}

	/* Then each loads (under the sweep if chosen), in order, and stays. */
	for (i = 0; i < self->nmods; i++) {
		char path[PATH_MAX];

		if (!self->sweep[i]) {
			ret = th_load_module(self->mods[i].file,
					     self->mods[i].params);
			if (ret)
				FAIL("loading %s: %s", self->mods[i].file,
				     strerror(-ret));
			if (test_module(self->mods[i].name))
				TH_LOG("load %s: not swept: a test module, whose init is the kernel's PCI, IOMMU and ACPI code (see test_module())",
				       self->mods[i].file);
			else
				TH_LOG("load %s: not swept here: it binds no device, and is swept where there is no edu device",
				       self->mods[i].file);
			continue;
		}
		memset(&c, 0, sizeof(c));
		c.mod = &self->mods[i];
		snprintf(path, sizeof(path), "%s/%s", th_moddir(), c.mod->file);
		c.file = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_GE(c.file, 0);
		sweep_load(&c);
		close(c.file);
		ASSERT_TRUE(module_loaded(c.mod->name));
	}
}

int main(int argc, char **argv)
{
	int ret;

	fi_configure();
	ret = th_main(argc, argv);
	fi_restore();
	return ret;
}
