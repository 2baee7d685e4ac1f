// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap bench --compare: heaps against each other in three modes (cold,
 * steady, sustained), each heap and memset measured in turn within every
 * size and sample, so that drift of the machine (or of an emulator) falls
 * on every figure alike and cancels out of the ratios.
 *
 * What heaps keep for reuse (the system heaps' pools, the contiguous heap's
 * cache of released ranges) is steered through the modules' ceilings,
 * found two levels above the heap statistics directory as the library finds
 * the core's files: writing 0 empties the pools, writing any value waits
 * for their deferred-free workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "bench.h"

#define CMP_MAX_HEAPS	16
#define CMP_NOTE_MAX	96
#define CMP_FD_SPARE	64	/* fds left for everything but held buffers */
#define CSV_HEADER \
	"mode,size_bytes,heap,baseline,samples,median_ns,min_ns,max_ns," \
	"alloc_median_ns,close_median_ns,wait_median_ns,hold_bytes,mib_per_s," \
	"memset_median_ns,memset_mib_per_s,ratio,pools,status,note"
/* Its columns; the MiB/s and the ratio are derived, and not read back. */
enum {
	COL_MODE, COL_SIZE, COL_HEAP, COL_BASE, COL_SAMPLES, COL_MED, COL_MIN,
	COL_MAX, COL_ALLOC, COL_CLOSE, COL_WAIT, COL_HOLD, COL_MIBS,
	COL_MEMSET, COL_MEMSET_MIBS, COL_RATIO, COL_POOLS, COL_STATUS, COL_NOTE,
	CSV_FIELDS
};

/*
 * The parts of a sample: the whole, then allocating, closing, and waiting
 * for the pools' workers (sustained only).  Their medians need not add up.
 */
enum { PART_ALL, PART_ALLOC, PART_CLOSE, PART_WAIT, NR_PARTS };

static const char *const mode_names[CMP_NR_MODES] = {
	"cold", "steady", "sustained",
};

/* What the pool ceilings do to a heap (CSV column "pools"). */
enum cmp_pools {
	POOLS_NONE,		/* no pool_bytes file */
	POOLS_DRAINED,		/* they fall to 0 with the ceilings at 0 */
	POOLS_KEPT,		/* one stays above 0 with the ceilings at 0 */
	POOLS_UNCONTROLLED,	/* has one, but its ceiling cannot be set */
	POOLS_NR
};

static const char *const pools_names[POOLS_NR] = {
	"none", "drained", "kept", "uncontrolled",
};

/* Appended to the CSV's pools field of a heap with a scrubbed reserve. */
#define SCRUBBED_SUFFIX	"+scrubbed"


/* One heap, or memset, in one mode and size. */
struct cmp_cell {
	double med, min, max;		/* ns: a sample, or a sustained round */
	double part[NR_PARTS];		/* ns: median of each part (all: med) */
	unsigned long n;		/* samples taken */
	uint64_t hold;			/* sustained: bytes of a round */
	char status[80];		/* "ok", or why not; "" until measured */
	char note[CMP_NOTE_MAX];	/* said below the tables, or "" */
};

/*
 * The ceilings of what heaps keep for reuse (under the sysfs root).  A
 * heap's pool_bytes file counts what it keeps; the contiguous heap's pool
 * is under the second ceiling, every other heap's under the first.
 */
enum { CEIL_SYSTEM, CEIL_CONTIG };
static const char *const ceiling_files[] = {
	[CEIL_SYSTEM] = "module/dmaheap_system/parameters/pool_bytes_max",
	[CEIL_CONTIG] = "module/dmaheap_contig/parameters/pool_bytes_max",
};
#define NR_CEILINGS	ARRAY_SIZE(ceiling_files)

/* A ceiling: where it is, its value, whether we may set it. */
struct ceiling {
	char path[4200];
	char value[32];			/* as read, restored after every change */
	int err;			/* 0: we may set it; else why not */
};

struct cmp {
	struct cli *cli;		/* NULL when read from a CSV file */
	char heaps[CMP_MAX_HEAPS][DMAHEAP_NAME_MAX + 1];
	enum cmp_pools pools[CMP_MAX_HEAPS];
	bool scrubbed[CMP_MAX_HEAPS];	/* has a reserve zeroed in advance */
	size_t nheaps;			/* cells index nheaps: memset */
	size_t pairs[CMP_MAX_PAIRS][2];	/* heap, baseline */
	size_t npairs;
	unsigned int modes;
	uint64_t sizes[CMP_MAX_SIZES];
	size_t nsizes;
	struct cmp_cell *cells;		/* [mode][size][heap or memset] */
	unsigned long iters, rounds;
	uint64_t hold;			/* sustained bytes asked for */
	struct ceiling ceil[NR_CEILINGS];
};

static struct cmp_cell *cell(struct cmp *c, int mode, size_t s, size_t h)
{
	return &c->cells[((size_t)mode * c->nsizes + s) * (c->nheaps + 1) + h];
}

static bool cell_ok(const struct cmp_cell *x)
{
	return !strncmp(x->status, "ok", 2);
}

static bool has_mode(const struct cmp *c, int mode)
{
	return c->modes & (1U << mode);
}

static size_t heap_index(struct cmp *c, const char *name, bool add)
{
	size_t h;

	for (h = 0; h < c->nheaps; h++)
		if (!strcmp(c->heaps[h], name))
			return h;
	if (!add || c->nheaps == CMP_MAX_HEAPS)
		return SIZE_MAX;
	snprintf(c->heaps[c->nheaps], sizeof(c->heaps[0]), "%s", name);
	return c->nheaps++;
}

int compare_parse_modes(const char *arg, unsigned int *modes)
{
	char buf[128], *save = NULL, *tok;
	int m;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	*modes = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (m = 0; m < CMP_NR_MODES && strcmp(tok, mode_names[m]); m++)
			;
		if (m == CMP_NR_MODES)
			return -EINVAL;
		*modes |= 1U << m;
	}
	return *modes ? 0 : -EINVAL;
}

/*
 * The heaps in the order the tables show them: each pair's heap, then its
 * baseline, first appearance counting; the pairs by their heap's place
 * (stable).  A CSV file lists its rows in that order, so that reading one
 * gives back the same order.
 */
static int set_pairs(struct cmp *c, const struct compare_opts *o)
{
	size_t raw[CMP_MAX_PAIRS][2], i, j, k = 0;

	for (i = 0; i < o->npairs; i++) {
		const char *slash = strchr(o->pairs[i], '/');
		char a[DMAHEAP_NAME_MAX + 1], b[DMAHEAP_NAME_MAX + 1];
		size_t alen = slash ? (size_t)(slash - o->pairs[i]) : 0;

		if (!slash || alen == 0 || alen > DMAHEAP_NAME_MAX || !slash[1] ||
		    strchr(slash + 1, '/') || strlen(slash + 1) > DMAHEAP_NAME_MAX)
			return cli_usage(&verb_bench, "--compare wants HEAP/BASE, not '%s'",
					 o->pairs[i]);
		memcpy(a, o->pairs[i], alen);
		a[alen] = '\0';
		strcpy(b, slash + 1);
		if (!strcmp(a, b))
			return cli_usage(&verb_bench, "--compare %s: a heap against itself",
					 o->pairs[i]);
		raw[i][0] = heap_index(c, a, true);
		raw[i][1] = heap_index(c, b, true);
		if (raw[i][0] == SIZE_MAX || raw[i][1] == SIZE_MAX)
			return cli_usage(&verb_bench, "at most %d heaps", CMP_MAX_HEAPS);
		for (j = 0; j < i; j++)
			if (raw[j][0] == raw[i][0] && raw[j][1] == raw[i][1])
				return cli_usage(&verb_bench, "--compare %s given twice",
						 o->pairs[i]);
	}
	for (j = 0; j < c->nheaps; j++)
		for (i = 0; i < o->npairs; i++)
			if (raw[i][0] == j) {
				c->pairs[k][0] = raw[i][0];
				c->pairs[k++][1] = raw[i][1];
			}
	c->npairs = k;
	return EXIT_OK;
}

/* ---- the pool ceilings ---------------------------------------------------- */

static int read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		err = -errno ?: -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/*
 * Write the ceilings read at the start back, which waits for the pools'
 * workers; with @drain, write 0 to each first, which empties the pools.
 * The signals that would end us are blocked meanwhile, so that an
 * interrupted run never leaves a ceiling at 0.
 */
static int ceiling_write(struct cmp *c, bool drain)
{
	int err[NR_CEILINGS] = { 0 }, ret = 0;
	sigset_t block, old;
	size_t i;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (i = 0; i < NR_CEILINGS && drain; i++)
		if (!c->ceil[i].err)
			err[i] = write_file(c->ceil[i].path, "0");
	for (i = 0; i < NR_CEILINGS; i++)
		if (!c->ceil[i].err)
			err[i] = write_file(c->ceil[i].path, c->ceil[i].value) ?: err[i];
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (i = 0; i < NR_CEILINGS; i++) {
		if (!err[i])
			continue;
		cli_err("cannot write the pool ceiling %s: %s (it was %s)",
			c->ceil[i].path, strerror(-err[i]), c->ceil[i].value);
		ret = err[i];
	}
	return ret;
}

/* Empty every pool, and wait for their workers. */
static int pools_drain(struct cmp *c)
{
	return ceiling_write(c, true);
}

/* Wait for the pools' workers: what released buffers left them is done. */
static int pools_settle(struct cmp *c)
{
	return ceiling_write(c, false);
}

/*
 * What heap @name keeps under each ceiling (-1: it has no such file) into
 * @bytes; whether it has any such file.
 */
static bool heap_kept_bytes(struct cmp *c, const char *name, int64_t *bytes)
{
	struct dmaheap_info info;
	bool any = false;
	size_t k;

	for (k = 0; k < NR_CEILINGS; k++)
		bytes[k] = -1;
	if (dmaheap_heap_info(c->cli->ctx, name, &info))
		return false;
	if (info.known & DMAHEAP_KNOWN_POOL_BYTES) {
		k = info.contiguous > 0 ? CEIL_CONTIG : CEIL_SYSTEM;
		bytes[k] = (int64_t)info.pool_bytes;
		any = true;
	}
	dmaheap_info_clear(&info);
	return any;
}

/*
 * Say why the ceilings that govern some heap's files cannot be set, so
 * that it is not taken for granted.
 */
static void ceiling_warn(struct cmp *c)
{
	int64_t bytes[NR_CEILINGS];
	bool needed[NR_CEILINGS] = { false };
	size_t h, k;

	for (h = 0; h < c->nheaps; h++) {
		heap_kept_bytes(c, c->heaps[h], bytes);
		for (k = 0; k < NR_CEILINGS; k++)
			needed[k] |= bytes[k] >= 0;
	}
	for (k = 0; k < NR_CEILINGS; k++) {
		if (needed[k] && c->ceil[k].err)
			fprintf(stderr, "dmaheap bench: cannot control the pool ceiling %s "
				"(%s): cold samples may come from pools, and nothing waits "
				"for the pools' workers\n", c->ceil[k].path,
				strerror(-c->ceil[k].err));
		else if (needed[k] && !strcmp(c->ceil[k].value, "0"))
			fprintf(stderr, "dmaheap bench: the pool ceiling %s is 0: "
				"that pool is off\n", c->ceil[k].path);
	}
}

/*
 * Whether heap @name has a reserved range whose free frames the kernel
 * zeroes in the background (the carveout heap's range, the contiguous
 * heap's reserve=): no ceiling empties that.
 */
static bool heap_scrubbed(const char *name)
{
	static const char *const files[][2] = {
		{ "reserved_bytes", "reserved_zeroed_bytes" },
		{ "size", "zeroed_bytes" },
	};
	const char *sys = getenv("DMAHEAP_SYSFS_DIR");
	char path[4096], val[32];
	size_t i;

	if (!sys || !*sys)
		sys = DMAHEAP_DEFAULT_SYSFS_DIR;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", sys, name, files[i][1]);
		if (read_file(path, val, sizeof(val)))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", sys, name, files[i][0]);
		if (!read_file(path, val, sizeof(val)) && strtoull(val, NULL, 10))
			return true;
	}
	return false;
}

/*
 * Find the ceilings and whether they can be set, and what they do to each
 * heap: measured, by setting them to 0 and reading the heap's files.
 */
static int ceiling_probe(struct cmp *c)
{
	const char *sys = getenv("DMAHEAP_SYSFS_DIR");
	int64_t bytes[NR_CEILINGS];
	char root[4096];
	size_t len, h, up, k;
	int err;

	snprintf(root, sizeof(root), "%s", sys && *sys ? sys : DMAHEAP_DEFAULT_SYSFS_DIR);
	for (up = 0; up < 2; up++) {
		len = strlen(root);
		while (len > 1 && root[len - 1] == '/')
			root[--len] = '\0';
		while (len > 0 && root[len - 1] != '/')
			root[--len] = '\0';
	}
	if (!*root)
		strcpy(root, "./");
	for (k = 0; k < NR_CEILINGS; k++) {
		struct ceiling *ce = &c->ceil[k];

		snprintf(ce->path, sizeof(ce->path), "%s%s", root, ceiling_files[k]);
		err = read_file(ce->path, ce->value, sizeof(ce->value));
		if (!err && !*ce->value)
			err = -EINVAL;
		if (!err)	/* the same value: may we write it? */
			err = write_file(ce->path, ce->value);
		ce->err = err;
	}
	ceiling_warn(c);

	if (pools_drain(c))
		return EXIT_FAIL;
	for (h = 0; h < c->nheaps; h++) {
		enum cmp_pools p = POOLS_NONE;

		heap_kept_bytes(c, c->heaps[h], bytes);
		for (k = 0; k < NR_CEILINGS; k++) {
			if (bytes[k] < 0)
				continue;
			if (c->ceil[k].err)
				p = POOLS_UNCONTROLLED;
			else if (bytes[k] > 0 && p != POOLS_UNCONTROLLED)
				p = POOLS_KEPT;
			else if (p == POOLS_NONE)
				p = POOLS_DRAINED;
		}
		c->pools[h] = p;
		c->scrubbed[h] = heap_scrubbed(c->heaps[h]);
	}
	return EXIT_OK;
}

/* ---- samples ---------------------------------------------------------------- */

static void set_error(struct cmp_cell *x, int err)
{
	snprintf(x->status, sizeof(x->status), "error: %s", cli_errname(err));
}

/* Allocate @size from heap @heap and close it: @ns, by part. */
static int sample_alloc(int heap, uint64_t size, double *ns)
{
	double t0 = bench_now_ns(), t1;
	int fd;

	fd = dmaheap_alloc_fd(heap, size, O_RDWR);
	if (fd < 0)
		return fd;
	t1 = bench_now_ns();
	close(fd);
	ns[PART_ALL] = bench_now_ns() - t0;
	ns[PART_ALLOC] = t1 - t0;
	ns[PART_CLOSE] = ns[PART_ALL] - ns[PART_ALLOC];
	ns[PART_WAIT] = 0;
	return 0;
}

/*
 * A sustained round: allocate @n buffers of @size, hold them all, close
 * them all, and wait for the pools' workers.  @fds has room for @n.
 */
static int sample_round(struct cmp *c, int heap, uint64_t size, size_t n,
			int *fds, double *ns, struct cmp_cell *x)
{
	double t0 = bench_now_ns(), t1, t2;
	size_t i, got;
	int err = 0;

	for (got = 0; got < n; got++) {
		fds[got] = dmaheap_alloc_fd(heap, size, O_RDWR);
		if (fds[got] < 0) {
			err = fds[got];
			break;
		}
	}
	t1 = bench_now_ns();
	for (i = 0; i < got; i++)
		close(fds[i]);
	t2 = bench_now_ns();
	if (!err)
		err = pools_settle(c);
	ns[PART_ALL] = bench_now_ns() - t0;
	ns[PART_ALLOC] = t1 - t0;
	ns[PART_CLOSE] = t2 - t1;
	ns[PART_WAIT] = ns[PART_ALL] - (t2 - t0);
	if (err && got < n)
		snprintf(x->status, sizeof(x->status), "error: %s after %zu of %zu buffers",
			 cli_errname(err), got, n);
	else if (err)
		set_error(x, err);
	return err;
}

/* Write @size bytes of the warm buffer @buf: *ns. */
static void sample_memset(char *buf, uint64_t size, int v, double *ns)
{
	void *(*volatile do_memset)(void *, int, size_t) = memset;
	double t0 = bench_now_ns();

	do_memset(buf, v, size);
	memset(ns, 0, NR_PARTS * sizeof(*ns));
	ns[PART_ALL] = bench_now_ns() - t0;
}

/* Write @n chunks of @size of fresh, populated memory: *ns. */
static int sample_memset_round(uint64_t size, size_t n, int v, double *ns)
{
	void *(*volatile do_memset)(void *, int, size_t) = memset;
	size_t len = (size_t)size * n, i;
	double t0;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		do_memset(p + i * size, v, size);
	memset(ns, 0, NR_PARTS * sizeof(*ns));
	ns[PART_ALL] = bench_now_ns() - t0;
	munmap(p, len);
	return 0;
}

/* ---- measuring ------------------------------------------------------------ */

/* Raise the open-file limit to @want if we may; the fds we may hold. */
static size_t fd_room(size_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	if (rl.rlim_cur < want + CMP_FD_SPARE) {
		struct rlimit up = { want + CMP_FD_SPARE, want + CMP_FD_SPARE };

		if (up.rlim_max < rl.rlim_max)
			up.rlim_max = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &up)) {
			up.rlim_cur = rl.rlim_max;
			up.rlim_max = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &up);
		}
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur > CMP_FD_SPARE ? rl.rlim_cur - CMP_FD_SPARE : 0;
}

static void limit_to(size_t *n, uint64_t room, uint64_t alen, const char **why,
		     const char *reason)
{
	if (room / alen < *n) {
		*n = room / alen;
		*why = reason;
	}
}

/*
 * Buffers of @size a sustained round holds: --hold's worth, or what every
 * heap's cap, the budget, half of the free memory and the open-file limit
 * allow, the same for every heap so that their rounds are alike.
 */
static size_t hold_count(struct cmp *c, uint64_t size, const char **why)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t alen = (size + page - 1) / page * page;
	size_t n = c->hold / size ? c->hold / size : 1, h;
	struct dmaheap_limits lim;
	struct sysinfo si;

	*why = NULL;
	for (h = 0; h < c->nheaps; h++) {
		struct dmaheap_info info;

		if (dmaheap_heap_info(c->cli->ctx, c->heaps[h], &info))
			continue;
		if ((info.known & DMAHEAP_KNOWN_LIMIT_BYTES) &&
		    (info.known & DMAHEAP_KNOWN_BYTES))
			limit_to(&n, info.limit_bytes > info.bytes ?
				 info.limit_bytes - info.bytes : 0, alen, why,
				 "a heap's cap");
		dmaheap_info_clear(&info);
	}
	if (!dmaheap_limits(c->cli->ctx, &lim) &&
	    (lim.known & DMAHEAP_LIMITS_BUDGET_BYTES) &&
	    (lim.known & DMAHEAP_LIMITS_BUDGET_USED))
		limit_to(&n, lim.budget_bytes > lim.budget_used ?
			 lim.budget_bytes - lim.budget_used : 0, alen, why,
			 "the dmaheap budget");
	if (!sysinfo(&si))
		limit_to(&n, (uint64_t)si.freeram * si.mem_unit / 2, alen, why,
			 "half of the free memory");
	limit_to(&n, fd_room(n), 1, why, "the open-file limit");
	return n;
}

/*
 * Decide which heaps can take part in mode @mode at size @s, and how many
 * buffers a sustained round holds (*@nbuf).
 */
static void prepare_block(struct cmp *c, int mode, size_t s, size_t *nbuf)
{
	uint64_t size = c->sizes[s];
	const char *why = NULL;
	size_t h, n = 1;
	char a[32], b[32];

	if (mode == CMP_SUSTAINED) {
		n = hold_count(c, size, &why);
		if (n == 0)
			why = why ? why : "no room";
	}
	for (h = 0; h <= c->nheaps; h++) {
		struct cmp_cell *x = cell(c, mode, s, h);

		if (mode == CMP_SUSTAINED && n == 0) {
			snprintf(x->status, sizeof(x->status), "skipped: %s", why);
			continue;
		}
		if (mode == CMP_SUSTAINED) {
			x->hold = size * n;
			if (why && h < c->nheaps)
				snprintf(x->note, sizeof(x->note), "held %s, not %s: %s",
					 cli_fmt_size(x->hold, a, sizeof(a)),
					 cli_fmt_size(c->hold, b, sizeof(b)), why);
		} else if (h < c->nheaps) {
			const char *no = bench_no_room(c->cli, c->heaps[h], size);

			if (no)
				snprintf(x->status, sizeof(x->status), "%s", no);
		}
	}
	*nbuf = n;
}

/* Medians of the samples @t (NR_PARTS arrays of @want), minimum, maximum. */
static void finish_cell(struct cmp_cell *x, double *t, unsigned long want)
{
	if (x->n) {
		double lo = t[0], hi = t[0];
		unsigned long i;
		int part;

		for (i = 1; i < x->n; i++) {
			lo = t[i] < lo ? t[i] : lo;
			hi = t[i] > hi ? t[i] : hi;
		}
		x->min = lo;
		x->max = hi;
		for (part = 0; part < NR_PARTS; part++)
			x->part[part] = bench_median(&t[part * want], x->n);
		x->med = x->part[PART_ALL];
	}
	if (!*x->status && x->n == want)
		snprintf(x->status, sizeof(x->status), "ok");
}

/* Every heap and memset in one mode and size, in turn, sample by sample. */
static int measure_block(struct cmp *c, int mode, size_t s, double *t, int *fds)
{
	unsigned long reps = mode == CMP_SUSTAINED ? c->rounds : c->iters, r;
	size_t nh = c->nheaps, h, k, n;
	uint64_t size = c->sizes[s];
	char *buf = NULL, sz[32];
	double ns[NR_PARTS] = { 0 };
	int err, part;

	prepare_block(c, mode, s, &n);
	fprintf(stderr, "dmaheap bench: %s, %s\n", mode_names[mode],
		cli_fmt_size(size, sz, sizeof(sz)));
	if (mode != CMP_SUSTAINED) {
		buf = malloc(size);
		if (!buf)
			set_error(cell(c, mode, s, nh), -ENOMEM);
		else
			memset(buf, 1, size);	/* fault it in */
	}
	/* Warm: every heap has released a buffer of this size once. */
	if (mode == CMP_STEADY) {
		for (h = 0; h < nh; h++) {
			struct cmp_cell *x = cell(c, mode, s, h);

			if (*x->status)
				continue;
			err = sample_alloc(dmaheap_open(c->cli->ctx, c->heaps[h]), size, ns);
			if (err)
				set_error(x, err);
		}
	}
	for (r = 0; r < reps; r++) {
		for (k = 0; k <= nh; k++) {
			struct cmp_cell *x;

			h = (r + k) % (nh + 1);
			x = cell(c, mode, s, h);
			if (*x->status)
				continue;
			if (h == nh) {
				if (mode == CMP_SUSTAINED) {
					err = sample_memset_round(size, n, (int)(r & 0xff), ns);
					if (err) {
						set_error(x, err);
						continue;
					}
				} else {
					sample_memset(buf, size, (int)(r & 0xff), ns);
				}
				for (part = 0; part < NR_PARTS; part++)
					t[(h * NR_PARTS + part) * reps + x->n] = ns[part];
				x->n++;
				continue;
			}
			err = mode == CMP_COLD ? pools_drain(c) : pools_settle(c);
			if (err)
				goto fail;
			if (mode == CMP_SUSTAINED)
				err = sample_round(c, dmaheap_open(c->cli->ctx, c->heaps[h]),
						   size, n, fds, ns, x);
			else
				err = sample_alloc(dmaheap_open(c->cli->ctx, c->heaps[h]),
						   size, ns);
			if (err) {
				if (!*x->status)
					set_error(x, err);
				continue;
			}
			for (part = 0; part < NR_PARTS; part++)
				t[(h * NR_PARTS + part) * reps + x->n] = ns[part];
			x->n++;
		}
	}
	for (h = 0; h <= nh; h++)
		finish_cell(cell(c, mode, s, h), &t[h * NR_PARTS * reps], reps);
	free(buf);
	return pools_settle(c) ? EXIT_FAIL : EXIT_OK;
fail:
	free(buf);
	return EXIT_FAIL;
}

static int measure(struct cmp *c)
{
	size_t s, nfds = 0, reps;
	int mode, rc = EXIT_OK;
	double *t;
	int *fds = NULL;

	if (ceiling_probe(c))
		return EXIT_FAIL;
	reps = c->iters > c->rounds ? c->iters : c->rounds;
	t = calloc((c->nheaps + 1) * NR_PARTS * reps, sizeof(*t));
	if (has_mode(c, CMP_SUSTAINED))
		for (s = 0; s < c->nsizes; s++) {
			size_t n = c->hold / c->sizes[s] ? c->hold / c->sizes[s] : 1;

			nfds = n > nfds ? n : nfds;
		}
	if (nfds)
		fds = calloc(nfds + 1, sizeof(*fds));
	if (!t || (nfds && !fds)) {
		cli_err("out of memory");
		rc = EXIT_FAIL;
		goto out;
	}
	for (s = 0; s < c->nsizes && !rc; s++)
		for (mode = 0; mode < CMP_NR_MODES && !rc; mode++)
			if (has_mode(c, mode))
				rc = measure_block(c, mode, s, t, fds);
out:
	free(fds);
	free(t);
	return rc;
}

/* ---- output --------------------------------------------------------------- */

static double mib_per_s(uint64_t bytes, double ns)
{
	return ns > 0 ? (double)bytes / (1 << 20) / (ns / 1e9) : 0;
}

static const char *fmt_rate(double mibs, char *buf, size_t size)
{
	snprintf(buf, size, mibs < 100 ? "%.1f MiB/s" : "%.0f MiB/s", mibs);
	return buf;
}

static const char *fmt_figure(const struct cmp_cell *x, int mode, char *buf, size_t size)
{
	if (!cell_ok(x))
		return "-";
	if (mode == CMP_SUSTAINED)
		return fmt_rate(mib_per_s(x->hold, x->med), buf, size);
	return bench_fmt_time(x->med, buf, size);
}

/* Heap @a's median over heap @b's, or 0 when either is missing. */
static double ratio(const struct cmp_cell *a, const struct cmp_cell *b)
{
	return cell_ok(a) && cell_ok(b) && b->med > 0 ? a->med / b->med : 0;
}

static void print_heaps_with(const struct cmp *c, enum cmp_pools p, const char *text)
{
	size_t h, n = 0;

	for (h = 0; h < c->nheaps; h++)
		if (c->pools[h] == p)
			printf("%s%s", n++ ? ", " : "", c->heaps[h]);
	if (n)
		printf(": %s\n", text);
}

/* Why figures are missing, and notes (once when every heap has it). */
static void print_cell_notes(struct cmp *c, int mode, size_t s)
{
	const char *common = cell(c, mode, s, 0)->note;
	size_t h;
	char b[32];

	cli_fmt_size(c->sizes[s], b, sizeof(b));
	for (h = 1; h < c->nheaps && *common; h++)
		if (strcmp(cell(c, mode, s, h)->note, common))
			common = "";
	if (*common)
		printf("%s, %s: %s\n", mode_names[mode], b, common);
	for (h = 0; h <= c->nheaps; h++) {
		struct cmp_cell *x = cell(c, mode, s, h);
		const char *name = h < c->nheaps ? c->heaps[h] : "memset";

		if (!cell_ok(x))
			printf("%s, %s, %s: %s\n", name, mode_names[mode], b,
			       *x->status ? x->status : "not measured");
		else if (*x->note && !*common)
			printf("%s, %s, %s: %s\n", name, mode_names[mode], b, x->note);
	}
}

static void print_notes(struct cmp *c)
{
	bool drained = false, uncontrolled = false;
	uint64_t hold = 0;
	size_t h, s;
	char b[32];
	int mode;

	for (h = 0; h < c->nheaps; h++) {
		drained |= c->pools[h] == POOLS_DRAINED;
		uncontrolled |= c->pools[h] == POOLS_UNCONTROLLED;
	}
	for (s = 0; s < c->nsizes && has_mode(c, CMP_SUSTAINED); s++)
		for (h = 0; h < c->nheaps; h++)
			if (cell(c, CMP_SUSTAINED, s, h)->hold > hold)
				hold = cell(c, CMP_SUSTAINED, s, h)->hold;

	putchar('\n');
	if (has_mode(c, CMP_COLD))
		printf("cold       allocation + close with every pool empty%s\n",
		       drained ? " (the pool ceilings\n"
		       "           set to 0 and back before each sample)" : "");
	if (has_mode(c, CMP_STEADY))
		printf("steady     allocation + close of the same size again, pools warm\n");
	if (has_mode(c, CMP_SUSTAINED))
		printf("sustained  MiB/s of a round: allocate %s in buffers of the size,\n"
		       "           hold it, close it all%s\n", cli_fmt_size(hold, b, sizeof(b)),
		       drained ? " and wait for the pools' workers" : "");
	printf("memset     writing as many bytes of a malloc'd buffer (sustained: of fresh\n"
	       "           memory, in chunks of the size)\n"
	       "RATIO      the first heap's median time over the second's: below 1.00 the\n"
	       "           first is faster (sustained: has the higher MiB/s)\n");
	if (drained)
		printf("Before each sample the pools' deferred-free workers had finished.\n");
	print_heaps_with(c, POOLS_DRAINED, "pools emptied for every cold sample");
	print_heaps_with(c, POOLS_NONE, "no pools (no pool_bytes): cold is steady");
	print_heaps_with(c, POOLS_KEPT,
			 "memory the ceilings do not empty (pool_bytes stays\n"
			 "  above 0 at ceiling 0): cold samples may come from it");
	for (h = 0, s = 0; h < c->nheaps; h++)
		if (c->scrubbed[h])
			printf("%s%s", s++ ? ", " : "", c->heaps[h]);
	if (s)
		printf(": a reserved range, zeroed in the background: cold samples\n"
		       "  that fit it take frames zeroed in advance\n");
	if (uncontrolled)
		print_heaps_with(c, POOLS_UNCONTROLLED,
				 "the pool ceiling could not be changed: cold samples\n"
				 "  may come from the pools, and nothing waited for their workers");
	for (mode = 0; mode < CMP_NR_MODES; mode++)
		for (s = 0; s < c->nsizes && has_mode(c, mode); s++)
			print_cell_notes(c, mode, s);
}

static void print_tables(struct cmp *c)
{
	const char *head[2 + CMP_MAX_SIZES];
	char (*cells)[32] = NULL, sizes[CMP_MAX_SIZES][32];
	const char *row[2 + CMP_MAX_SIZES];
	unsigned int right = 0;
	size_t ncols = 2 + c->nsizes, s, h, p;
	struct table t;
	int mode;

	cells = calloc(c->nsizes, sizeof(*cells));
	if (!cells)
		return;
	for (s = 0; s < c->nsizes; s++) {
		head[2 + s] = cli_fmt_size(c->sizes[s], sizes[s], sizeof(sizes[s]));
		right |= 1U << (2 + s);
	}
	printf("Heaps and memset measured in turn within each size and sample; medians");
	if (has_mode(c, CMP_COLD) || has_mode(c, CMP_STEADY))
		printf(" of\n%lu sample%s (%s)", c->iters, c->iters == 1 ? "" : "s",
		       !has_mode(c, CMP_STEADY) ? "cold" :
		       !has_mode(c, CMP_COLD) ? "steady" : "cold, steady");
	if (has_mode(c, CMP_SUSTAINED))
		printf("%s%lu round%s (sustained)",
		       has_mode(c, CMP_COLD) || has_mode(c, CMP_STEADY) ? " and " : " of\n",
		       c->rounds, c->rounds == 1 ? "" : "s");
	printf(".\n\n");
	head[0] = "HEAP";
	head[1] = "MODE";
	table_init(&t, ncols, head, right);
	for (mode = 0; mode < CMP_NR_MODES; mode++) {
		if (!has_mode(c, mode))
			continue;
		for (h = 0; h <= c->nheaps; h++) {
			row[0] = h < c->nheaps ? c->heaps[h] : "memset";
			row[1] = mode_names[mode];
			for (s = 0; s < c->nsizes; s++)
				row[2 + s] = fmt_figure(cell(c, mode, s, h), mode,
							cells[s], sizeof(cells[s]));
			table_add_cells(&t, row);
		}
	}
	table_print(&t, stdout);
	table_free(&t);

	if (c->npairs) {
		char names[CMP_MAX_PAIRS][2 * DMAHEAP_NAME_MAX + 2];

		putchar('\n');
		head[0] = "RATIO";
		table_init(&t, ncols, head, right);
		for (p = 0; p < c->npairs; p++) {
			snprintf(names[p], sizeof(names[p]), "%s/%s",
				 c->heaps[c->pairs[p][0]], c->heaps[c->pairs[p][1]]);
			for (mode = 0; mode < CMP_NR_MODES; mode++) {
				if (!has_mode(c, mode))
					continue;
				row[0] = names[p];
				row[1] = mode_names[mode];
				for (s = 0; s < c->nsizes; s++) {
					double q = ratio(cell(c, mode, s, c->pairs[p][0]),
							 cell(c, mode, s, c->pairs[p][1]));

					if (q > 0)
						snprintf(cells[s], sizeof(cells[s]), "%.2f", q);
					row[2 + s] = q > 0 ? cells[s] : "-";
				}
				table_add_cells(&t, row);
			}
		}
		table_print(&t, stdout);
		table_free(&t);
	}
	free(cells);
	print_notes(c);
}

/* ---- CSV ------------------------------------------------------------------ */

static void csv_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_row(FILE *f, struct cmp *c, int mode, size_t s, size_t h, size_t base)
{
	struct cmp_cell *x = cell(c, mode, s, h), *m = cell(c, mode, s, c->nheaps);
	double q = base < c->nheaps ? ratio(x, cell(c, mode, s, base)) : 0;

	fprintf(f, "%s,%llu,", mode_names[mode], (unsigned long long)c->sizes[s]);
	csv_string(f, c->heaps[h]);
	fputc(',', f);
	csv_string(f, base < c->nheaps ? c->heaps[base] : "");
	fprintf(f, ",%lu,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%llu,", x->n, x->med, x->min,
		x->max, x->part[PART_ALLOC], x->part[PART_CLOSE], x->part[PART_WAIT],
		(unsigned long long)x->hold);
	if (mode == CMP_SUSTAINED && cell_ok(x))
		fprintf(f, "%.1f", mib_per_s(x->hold, x->med));
	fprintf(f, ",%.0f,", cell_ok(m) ? m->med : 0);
	if (mode == CMP_SUSTAINED && cell_ok(m))
		fprintf(f, "%.1f", mib_per_s(m->hold, m->med));
	fputc(',', f);
	if (q > 0)
		fprintf(f, "%.4f", q);
	fprintf(f, ",%s%s,", pools_names[c->pools[h]],
		c->scrubbed[h] ? SCRUBBED_SUFFIX : "");
	csv_string(f, x->status);
	fputc(',', f);
	csv_string(f, x->note);
	fputc('\n', f);
}

/*
 * One row per heap, mode and size, with the memset figures of that mode
 * and size; a heap compared against several baselines has a row for each,
 * and one only ever compared against, a row with an empty baseline.
 */
static int write_csv(struct cmp *c, const char *path)
{
	FILE *f = fopen(path, "w");
	size_t s, h, p, n;
	int mode;

	if (!f)
		return -errno;
	fputs(CSV_HEADER "\n", f);
	for (mode = 0; mode < CMP_NR_MODES; mode++) {
		if (!has_mode(c, mode))
			continue;
		for (s = 0; s < c->nsizes; s++) {
			for (h = 0; h < c->nheaps; h++) {
				for (p = n = 0; p < c->npairs; p++)
					if (c->pairs[p][0] == h) {
						csv_row(f, c, mode, s, h, c->pairs[p][1]);
						n++;
					}
				if (!n)
					csv_row(f, c, mode, s, h, SIZE_MAX);
			}
		}
	}
	if (fclose(f))
		return -errno;
	return 0;
}

bool compare_is_csv(const char *path)
{
	char line[sizeof(CSV_HEADER) + 2];
	FILE *f = fopen(path, "r");
	bool yes;

	if (!f)
		return false;
	yes = fgets(line, sizeof(line), f) &&
	      !strncmp(line, CSV_HEADER, strlen(CSV_HEADER));
	fclose(f);
	return yes;
}

/* Split a CSV line in place; quoted fields may hold commas and "". */
static int csv_split(char *line, char **field, int max)
{
	char *p = line, *out;
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	for (;;) {
		if (n == max)
			return -EINVAL;
		field[n++] = out = p;
		if (*p == '"') {
			for (p++;; p++) {
				if (!*p)
					return -EINVAL;
				if (*p == '"' && p[1] == '"')
					p++;
				else if (*p == '"')
					break;
				*out++ = *p;
			}
			p++;
			if (*p && *p != ',')
				return -EINVAL;
		} else {
			p += strcspn(p, ",");
			out = p;
		}
		if (!*p) {
			*out = '\0';
			return n;
		}
		*out = '\0';
		p++;
	}
}

static int parse_double(const char *s, double *v)
{
	char *end;

	if (!*s) {
		*v = 0;
		return 0;
	}
	errno = 0;
	*v = strtod(s, &end);
	return *end || errno || *v < 0 ? -EINVAL : 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return *end || errno ? -EINVAL : 0;
}

struct csv_row {
	int mode;
	uint64_t size;
	size_t heap, base;		/* base SIZE_MAX: none */
	enum cmp_pools pools;
	bool scrubbed;
	struct cmp_cell x;
	double memset_med;
};

static int parse_row(struct cmp *c, char *line, struct csv_row *r)
{
	char *f[CSV_FIELDS], *s;
	uint64_t n;
	int i;

	memset(r, 0, sizeof(*r));
	if (csv_split(line, f, CSV_FIELDS) != CSV_FIELDS)
		return -EINVAL;
	for (r->mode = 0; r->mode < CMP_NR_MODES &&
	     strcmp(f[COL_MODE], mode_names[r->mode]); r->mode++)
		;
	s = strstr(f[COL_POOLS], SCRUBBED_SUFFIX);
	if (s && !strcmp(s, SCRUBBED_SUFFIX)) {
		*s = '\0';
		r->scrubbed = true;
	}
	for (i = 0; i < POOLS_NR && strcmp(f[COL_POOLS], pools_names[i]); i++)
		;
	if (r->mode == CMP_NR_MODES || i == POOLS_NR ||
	    parse_u64(f[COL_SIZE], &r->size) || r->size == 0 ||
	    !*f[COL_HEAP] || strlen(f[COL_HEAP]) > DMAHEAP_NAME_MAX ||
	    strlen(f[COL_BASE]) > DMAHEAP_NAME_MAX || !strcmp(f[COL_HEAP], f[COL_BASE]) ||
	    parse_u64(f[COL_SAMPLES], &n) || parse_double(f[COL_MED], &r->x.med) ||
	    parse_double(f[COL_MIN], &r->x.min) || parse_double(f[COL_MAX], &r->x.max) ||
	    parse_double(f[COL_ALLOC], &r->x.part[PART_ALLOC]) ||
	    parse_double(f[COL_CLOSE], &r->x.part[PART_CLOSE]) ||
	    parse_double(f[COL_WAIT], &r->x.part[PART_WAIT]) ||
	    parse_u64(f[COL_HOLD], &r->x.hold) ||
	    parse_double(f[COL_MEMSET], &r->memset_med) ||
	    strlen(f[COL_STATUS]) >= sizeof(r->x.status) ||
	    strlen(f[COL_NOTE]) >= sizeof(r->x.note))
		return -EINVAL;
	r->x.part[PART_ALL] = r->x.med;
	r->pools = (enum cmp_pools)i;
	r->x.n = (unsigned long)n;
	strcpy(r->x.status, f[COL_STATUS]);
	strcpy(r->x.note, f[COL_NOTE]);
	r->heap = heap_index(c, f[COL_HEAP], true);
	r->base = *f[COL_BASE] ? heap_index(c, f[COL_BASE], true) : SIZE_MAX;
	if (r->heap == SIZE_MAX || (*f[COL_BASE] && r->base == SIZE_MAX))
		return -ERANGE;
	return 0;
}

static size_t size_index(struct cmp *c, uint64_t size)
{
	size_t s;

	for (s = 0; s < c->nsizes; s++)
		if (c->sizes[s] == size)
			return s;
	if (c->nsizes == CMP_MAX_SIZES)
		return SIZE_MAX;
	c->sizes[c->nsizes] = size;
	return c->nsizes++;
}

/*
 * Rebuild a comparison from its CSV file: heaps in the order of their first
 * row, pairs in the order of their rows.  Baselines are added after the
 * heaps named in the first column, which every heap of the file is.
 */
static int read_csv(struct cmp *c, const char *path)
{
	struct csv_row *rows = NULL, *r;
	size_t nrows = 0, cap = 0, i, p, s;
	char line[1024];
	int lineno = 0, err = 0;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		cli_err("cannot read %s: %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	while (fgets(line, sizeof(line), f)) {
		if (lineno++ == 0)
			continue;	/* the header, checked by compare_is_csv() */
		if (nrows == cap) {
			cap = cap ? cap * 2 : 64;
			r = realloc(rows, cap * sizeof(*rows));
			if (!r) {
				err = -ENOMEM;
				break;
			}
			rows = r;
		}
		/* The heaps named first, so that baselines do not come before them. */
		err = parse_row(c, line, &rows[nrows]);
		if (err)
			break;
		nrows++;
	}
	fclose(f);
	if (err) {
		if (err == -ERANGE)
			cli_err("%s, line %d: more than %d heaps", path, lineno, CMP_MAX_HEAPS);
		else
			cli_err("%s, line %d: not a 'dmaheap bench --compare --csv' file",
				path, lineno);
		free(rows);
		return EXIT_FAIL;
	}
	if (nrows == 0) {
		cli_err("%s holds no results", path);
		free(rows);
		return EXIT_FAIL;
	}
	/* Re-number: heaps in the order of the first column only. */
	c->nheaps = 0;
	{
		char names[CMP_MAX_HEAPS][DMAHEAP_NAME_MAX + 1];

		memcpy(names, c->heaps, sizeof(names));
		for (i = 0; i < nrows; i++)
			rows[i].heap = heap_index(c, names[rows[i].heap], true);
		for (i = 0; i < nrows; i++)
			if (rows[i].base != SIZE_MAX)
				rows[i].base = heap_index(c, names[rows[i].base], true);
	}
	for (i = 0; i < nrows; i++) {
		c->modes |= 1U << rows[i].mode;
		if (size_index(c, rows[i].size) == SIZE_MAX) {
			cli_err("%s: more than %d sizes", path, CMP_MAX_SIZES);
			free(rows);
			return EXIT_FAIL;
		}
		c->pools[rows[i].heap] = rows[i].pools;
		c->scrubbed[rows[i].heap] = rows[i].scrubbed;
		if (rows[i].base == SIZE_MAX)
			continue;
		for (p = 0; p < c->npairs; p++)
			if (c->pairs[p][0] == rows[i].heap && c->pairs[p][1] == rows[i].base)
				break;
		if (p == c->npairs && p < CMP_MAX_PAIRS) {
			c->pairs[p][0] = rows[i].heap;
			c->pairs[p][1] = rows[i].base;
			c->npairs++;
		}
	}
	c->cells = calloc((size_t)CMP_NR_MODES * c->nsizes * (c->nheaps + 1),
			  sizeof(*c->cells));
	if (!c->cells) {
		free(rows);
		cli_err("out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; i < nrows; i++) {
		struct cmp_cell *m;

		r = &rows[i];
		s = size_index(c, r->size);
		*cell(c, r->mode, s, r->heap) = r->x;
		m = cell(c, r->mode, s, c->nheaps);
		if (r->memset_med > 0 && !*m->status) {
			m->med = r->memset_med;
			m->hold = r->x.hold;
			snprintf(m->status, sizeof(m->status), "ok");
		}
		if (r->mode == CMP_SUSTAINED)
			c->rounds = r->x.n > c->rounds ? r->x.n : c->rounds;
		else
			c->iters = r->x.n > c->iters ? r->x.n : c->iters;
	}
	free(rows);
	return EXIT_OK;
}

/* ---- chart ------------------------------------------------------------------ */

/*
 * One panel per mode: each pair's ratio against size, the line where both
 * heaps are alike, and memset over the first pair's baseline (how far the
 * zeroing floor lies below it).
 */
static int write_plot(struct cmp *c, const char *dir, const char *png, FILE *f)
{
	size_t s, p, i, j, nmodes = 0, lines, order[CMP_MAX_SIZES];
	char path[4200], label[32];
	int mode;
	FILE *d;

	for (mode = 0; mode < CMP_NR_MODES; mode++)
		nmodes += has_mode(c, mode);
	/* Sizes in increasing order, so that every line runs left to right. */
	for (i = 0; i < c->nsizes; i++) {
		for (j = i; j > 0 && c->sizes[order[j - 1]] > c->sizes[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	fprintf(f,
		"if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
		"  set terminal pngcairo size %zu,520 font 'sans,10'\n"
		"} else {\n"
		"  set terminal png size %zu,520\n"
		"}\n"
		"set output '%s'\n"
		"set multiplot layout 1,%zu title 'DMA-BUF heaps compared: "
		"time of the first heap over the second (below 1: the first is faster)'\n"
		"set logscale x 2\n"
		"set logscale y 2\n"
		"set format y '%%g'\n"
		"set grid\n"
		"set key below\n"
		"set ylabel 'time ratio'\n"
		"set xrange [%llu:%llu]\n"
		"set xtics (", 480 * nmodes, 480 * nmodes, png, nmodes,
		(unsigned long long)c->sizes[order[0]] / 2,
		(unsigned long long)c->sizes[order[c->nsizes - 1]] * 2);
	for (s = 0; s < c->nsizes; s++)
		fprintf(f, "%s'%s' %llu", s ? ", " : "",
			cli_fmt_size(c->sizes[s], label, sizeof(label)),
			(unsigned long long)c->sizes[s]);
	fputs(")\n", f);
	for (mode = 0; mode < CMP_NR_MODES; mode++) {
		if (!has_mode(c, mode))
			continue;
		fprintf(f, "set title '%s%s'\nplot 1 with lines lc rgb '#606060' lw 1.5 dt 3 notitle",
			mode_names[mode], mode == CMP_SUSTAINED ? " (time per MiB)" : "");
		for (p = 0; p <= c->npairs && c->npairs; p++) {
			size_t a = p < c->npairs ? c->pairs[p][0] : c->nheaps;
			size_t b = p < c->npairs ? c->pairs[p][1] : c->pairs[0][1];

			snprintf(path, sizeof(path), "%s/%d-%zu.dat", dir, mode, p);
			d = fopen(path, "w");
			if (!d)
				return -errno;
			for (i = lines = 0; i < c->nsizes; i++) {
				double q;

				s = order[i];
				q = ratio(cell(c, mode, s, a), cell(c, mode, s, b));

				if (q > 0) {
					fprintf(d, "%llu %.4f\n",
						(unsigned long long)c->sizes[s], q);
					lines++;
				}
			}
			if (fclose(d))
				return -errno;
			if (!lines)
				continue;
			if (p < c->npairs)
				fprintf(f, ", '%s' using 1:2 with linespoints lt %zu lw 2 "
					"title '%s/%s'", path, p + 1, c->heaps[a], c->heaps[b]);
			else
				fprintf(f, ", '%s' using 1:2 with linespoints lw 2 dt 2 "
					"lc rgb 'black' title 'memset/%s'", path, c->heaps[b]);
		}
		fputc('\n', f);
	}
	fputs("unset multiplot\n", f);
	return 0;
}

/* Heap names go into gnuplot strings in single quotes. */
static bool plottable(const struct cmp *c)
{
	size_t h;

	for (h = 0; h < c->nheaps; h++)
		if (strchr(c->heaps[h], '\'') || strchr(c->heaps[h], '\\'))
			return false;
	return true;
}

static int plot(struct cmp *c, const char *gnuplot, const char *png)
{
	char dir[] = "/tmp/dmaheap-plot.XXXXXX", script[4200], path[4200];
	int rc = EXIT_FAIL, mode;
	size_t p;
	FILE *f;

	if (!plottable(c) || strchr(png, '\'')) {
		cli_err("cannot plot names or paths with quotes");
		return EXIT_FAIL;
	}
	if (!mkdtemp(dir)) {
		cli_err("cannot make a temporary directory: %s", strerror(errno));
		return EXIT_FAIL;
	}
	snprintf(script, sizeof(script), "%s/plot.gp", dir);
	f = fopen(script, "w");
	if (!f) {
		cli_err("cannot write %s: %s", script, strerror(errno));
		goto cleanup;
	}
	if (write_plot(c, dir, png, f)) {
		cli_err("cannot write plot data in %s: %s", dir, strerror(errno));
		fclose(f);
		goto cleanup;
	}
	if (fclose(f)) {
		cli_err("cannot write %s: %s", script, strerror(errno));
		goto cleanup;
	}
	rc = bench_gnuplot(gnuplot, script, png);
cleanup:
	for (mode = 0; mode < CMP_NR_MODES; mode++)
		for (p = 0; p <= c->npairs; p++) {
			snprintf(path, sizeof(path), "%s/%d-%zu.dat", dir, mode, p);
			unlink(path);
		}
	unlink(script);
	rmdir(dir);
	return rc;
}

/* ---- entry ------------------------------------------------------------------ */

static int setup(struct cmp *c, const struct compare_opts *o)
{
	size_t h, s, p;
	int rc, fd;

	rc = set_pairs(c, o);
	if (rc)
		return rc;
	if (o->nsizes > CMP_MAX_SIZES)
		return cli_usage(&verb_bench, "--compare takes at most %d sizes",
				 CMP_MAX_SIZES);
	for (s = 0; s < o->nsizes; s++)
		for (p = 0; p < s; p++)
			if (o->sizes[p] == o->sizes[s])
				return cli_usage(&verb_bench, "size %llu given twice",
						 (unsigned long long)o->sizes[s]);
	memcpy(c->sizes, o->sizes, o->nsizes * sizeof(*o->sizes));
	c->nsizes = o->nsizes;
	c->modes = o->modes;
	c->iters = o->iters;
	c->rounds = o->rounds;
	c->hold = o->hold;
	for (h = 0; h < c->nheaps; h++) {
		fd = dmaheap_open(c->cli->ctx, c->heaps[h]);
		if (fd < 0)
			return cli_heap_error(c->cli, c->heaps[h], "", 0, fd);
	}
	c->cells = calloc((size_t)CMP_NR_MODES * c->nsizes * (c->nheaps + 1),
			  sizeof(*c->cells));
	if (!c->cells) {
		cli_err("out of memory");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int compare_run(struct cli *cli, const struct compare_opts *o, const char *from,
		const char *csv, const char *png, const char *gnuplot)
{
	struct cmp c = { 0 };
	int rc, err, mode;
	size_t s, h;

	if (from) {
		rc = read_csv(&c, from);
	} else {
		c.cli = cli;
		rc = setup(&c, o);
		if (!rc)
			rc = measure(&c);
	}
	if (rc)
		goto out;
	print_tables(&c);
	for (mode = 0; mode < CMP_NR_MODES && !from; mode++)
		for (s = 0; s < c.nsizes && has_mode(&c, mode); s++)
			for (h = 0; h <= c.nheaps; h++)
				if (!strncmp(cell(&c, mode, s, h)->status, "error", 5))
					rc = EXIT_FAIL;
	if (rc)
		cli_err("some allocations failed; see the notes");
	if (csv) {
		err = write_csv(&c, csv);
		if (err) {
			cli_err("cannot write %s: %s", csv, strerror(-err));
			rc = EXIT_FAIL;
			goto out;
		}
		printf("Wrote the results to %s\n", csv);
	}
	if (png && plot(&c, gnuplot, png))
		rc = EXIT_FAIL;
out:
	free(c.cells);
	return rc;
}
