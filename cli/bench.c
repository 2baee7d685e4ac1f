// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap bench (also installed as dmaheap-bench): allocation latency per
 * heap and size, beside the memset floor of the same bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_HEAPS	32
#define MAX_SIZES	32
#define MAX_ITERS	100000
#define DEFAULT_ITERS	15
#define DEFAULT_SIZES	"4K,64K,1M,8M,32M"

static const char bench_help[] =
"Usage: dmaheap bench [OPTIONS]\n"
"       dmaheap bench --compare HEAP/BASE [--compare HEAP/BASE...] [OPTIONS]\n"
"       dmaheap-bench [OPTIONS]\n"
"\n"
"Measure how long allocating a buffer and closing it again takes, for every\n"
"heap (or the heaps named) and a range of sizes, and beside it how long\n"
"memset takes to write the same number of bytes in an ordinary malloc'd\n"
"buffer in the same run: the floor any heap that hands out zeroed memory\n"
"is up against.  Each figure is the median of the runs; RATIO is the\n"
"allocation median divided by the memset median.  Sizes that would not fit\n"
"under a heap's cap, or in half of the free memory, are skipped.\n"
"\n"
"With --compare, measure heaps against each other instead, in three modes:\n"
"cold, allocation + close with what heaps keep for reuse emptied (the\n"
"system heaps' pools and the contiguous heap's pool: their ceilings in\n"
"/sys/module/dmaheap_system/parameters/pool_bytes_max and\n"
"/sys/module/dmaheap_contig/parameters/pool_bytes_max are set to 0 and back\n"
"before each sample, which needs root); steady, allocation + close of the\n"
"same size again and again, pools warm; sustained, allocating --hold\n"
"bytes in buffers of the size, holding them, closing them all and waiting\n"
"for the pools' workers, in MiB/s.  Every heap named and memset of the same\n"
"bytes are measured in turn, in a rotating order, within each size and\n"
"sample, so that drift falls on all of them alike; before each sample the\n"
"pools' deferred-free workers have finished.  The first table has the\n"
"medians, the second the ratio of HEAP's median time to BASE's for every\n"
"--compare HEAP/BASE: below 1.00, HEAP is faster (sustained: has the higher\n"
"MiB/s).  The notes below them say which heaps have no pools, or memory the\n"
"ceilings do not empty, and whether the ceilings could be changed.\n"
"\n"
"Options:\n"
"  -H, --heap NAME        measure this heap (repeatable; default: every heap)\n"
"  -c, --compare HEAP/BASE\n"
"                         compare heap HEAP with heap BASE (repeatable; heap\n"
"                         names never contain '/')\n"
"  -m, --mode LIST        with --compare: the modes, comma-separated, among\n"
"                         cold, steady and sustained (default all three)\n"
"  -s, --sizes LIST       comma-separated sizes (default " DEFAULT_SIZES ")\n"
"  -i, --iterations N     timed runs per heap and size (default 15); with\n"
"                         --compare, per heap, size and mode, cold and steady\n"
"  -r, --rounds N         with --compare: sustained rounds per heap and size\n"
"                         (default 3)\n"
"      --hold SIZE        with --compare: what a sustained round holds\n"
"                         (default 256M), or less where a heap's cap, the\n"
"                         dmaheap budget, half of the free memory or the\n"
"                         open-file limit allow less (the notes say so)\n"
"  -o, --csv FILE         also write the results as CSV\n"
"  -p, --png FILE         also draw latency against size for each heap, with\n"
"                         the memset floor, as a PNG (needs gnuplot); with\n"
"                         --compare, the ratios against size, a panel per\n"
"                         mode, with memset over the first BASE\n"
"      --from-csv FILE    measure nothing: print and plot the results of an\n"
"                         earlier --csv run (for example one made in a VM)\n"
"  -h, --help             show this help\n"
"\n"
"Examples:\n"
"  dmaheap bench\n"
"  dmaheap bench --heap system --sizes 4K,1M --iterations 50\n"
"  dmaheap bench --csv /mnt/share/bench.csv\n"
"  dmaheap bench --from-csv bench.csv --png bench.png\n"
"  dmaheap bench --compare system-uncached/system --sizes 4K,1M\n"
"  dmaheap bench --compare ours/system --compare system-uncached/ours \\\n"
"      --mode steady,sustained --csv /mnt/share/compare.csv\n";

struct result {
	char heap[DMAHEAP_NAME_MAX + 1];
	uint64_t size;
	unsigned long iters;
	double alloc_med, alloc_min, alloc_max;	/* ns */
	double memset_med;			/* ns */
	char status[64];			/* "ok", or why not */
};

struct results {
	struct result *r;
	size_t n, cap;
};

static struct result *add_result(struct results *rs)
{
	struct result *r;

	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 32;

		r = realloc(rs->r, cap * sizeof(*r));
		if (!r)
			return NULL;
		rs->r = r;
		rs->cap = cap;
	}
	r = &rs->r[rs->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median (the lower one for an even count: always a measured value). */
double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(n - 1) / 2];
}

/* Whole nanoseconds, so that a CSV round trip keeps every figure. */
double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

/* Median time of writing @size bytes of a warm malloc'd buffer. */
static int measure_memset(uint64_t size, unsigned long iters, double *t, double *med)
{
	void *(*volatile do_memset)(void *, int, size_t) = memset;
	unsigned long i;
	char *buf;

	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	do_memset(buf, 1, size);	/* fault the pages in first */
	for (i = 0; i < iters; i++) {
		double t0 = bench_now_ns();

		do_memset(buf, (int)(i & 0xff), size);
		t[i] = bench_now_ns() - t0;
	}
	free(buf);
	*med = bench_median(t, iters);
	return 0;
}

/* Why heap @name cannot take @size now, or NULL if it can. */
const char *bench_no_room(struct cli *cli, const char *name, uint64_t size)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t alen = (size + page - 1) / page * page;
	struct dmaheap_info info;
	struct sysinfo si;
	const char *why = NULL;

	if (!dmaheap_heap_info(cli->ctx, name, &info)) {
		if ((info.known & DMAHEAP_KNOWN_LIMIT_BYTES) &&
		    (info.bytes + alen > info.limit_bytes || alen > info.limit_bytes))
			why = "skipped: over the heap's cap";
		dmaheap_info_clear(&info);
	}
	if (!why && !sysinfo(&si) &&
	    alen > (uint64_t)si.freeram * si.mem_unit / 2)
		why = "skipped: not enough free memory";
	return why;
}

static void measure_heap(struct cli *cli, const char *name, uint64_t size,
			 unsigned long iters, double *t, struct result *r)
{
	const char *why;
	unsigned long i;
	int heap, fd;

	r->iters = iters;
	why = bench_no_room(cli, name, size);
	if (why) {
		snprintf(r->status, sizeof(r->status), "%s", why);
		return;
	}
	heap = dmaheap_open(cli->ctx, name);
	if (heap < 0) {
		snprintf(r->status, sizeof(r->status), "error: %s", cli_errname(heap));
		return;
	}
	/* One untimed run first, so that first-use costs do not count. */
	for (i = 0; i <= iters; i++) {
		double t0 = bench_now_ns();

		fd = dmaheap_alloc_fd(heap, size, O_RDWR);
		if (fd < 0) {
			snprintf(r->status, sizeof(r->status), "error: %s",
				 cli_errname(fd));
			return;
		}
		close(fd);
		if (i)
			t[i - 1] = bench_now_ns() - t0;
	}
	r->alloc_med = bench_median(t, iters);
	r->alloc_min = t[0];
	r->alloc_max = t[iters - 1];
	snprintf(r->status, sizeof(r->status), "ok");
}

const char *bench_fmt_time(double ns, char *buf, size_t size)
{
	if (ns < 1e3)
		snprintf(buf, size, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, size, "%.1f us", ns / 1e3);
	else
		snprintf(buf, size, "%.2f ms", ns / 1e6);
	return buf;
}

static void print_results(const struct results *rs, unsigned long iters)
{
	static const char *const head[] = {
		"HEAP", "SIZE", "ALLOC+CLOSE", "MIN", "MAX", "MEMSET", "RATIO", "",
	};
	char b[6][32];
	struct table t;
	size_t i;

	printf("Allocation + close latency, median of %lu runs; MEMSET is the median\n"
	       "time to write as many bytes of a malloc'd buffer in the same run.\n\n",
	       iters);
	table_init(&t, ARRAY_SIZE(head), head, 0x7e);
	for (i = 0; i < rs->n; i++) {
		const struct result *r = &rs->r[i];
		bool ok = !strcmp(r->status, "ok");

		cli_fmt_size(r->size, b[0], 32);
		if (ok) {
			bench_fmt_time(r->alloc_med, b[1], 32);
			bench_fmt_time(r->alloc_min, b[2], 32);
			bench_fmt_time(r->alloc_max, b[3], 32);
			snprintf(b[5], 32, "%.2f", r->memset_med > 0 ?
				 r->alloc_med / r->memset_med : 0);
		}
		bench_fmt_time(r->memset_med, b[4], 32);
		table_add(&t, r->heap, b[0], ok ? b[1] : "-", ok ? b[2] : "-",
			  ok ? b[3] : "-", b[4], ok ? b[5] : "-", ok ? "" : r->status);
	}
	table_print(&t, stdout);
	table_free(&t);
}

static int write_csv(const char *path, const struct results *rs)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f)
		return -errno;
	fputs("heap,size_bytes,iterations,alloc_median_ns,alloc_min_ns,alloc_max_ns,"
	      "memset_median_ns,ratio,status\n", f);
	for (i = 0; i < rs->n; i++) {
		const struct result *r = &rs->r[i];
		bool ok = !strcmp(r->status, "ok");

		fprintf(f, "\"%s\",%llu,%lu,%.0f,%.0f,%.0f,%.0f,%.4f,%s\n", r->heap,
			(unsigned long long)r->size, r->iters, r->alloc_med,
			r->alloc_min, r->alloc_max, r->memset_med,
			ok && r->memset_med > 0 ? r->alloc_med / r->memset_med : 0,
			r->status);
	}
	if (fclose(f))
		return -errno;
	return 0;
}

/* Parse one line written by write_csv(). */
static int parse_csv_line(char *line, struct result *r)
{
	unsigned long long size;
	char *p = line, *end, *q;
	double ratio;
	int n = 0;

	memset(r, 0, sizeof(*r));
	if (*p == '"') {
		end = strchr(p + 1, '"');
		if (!end || end[1] != ',' || (size_t)(end - p - 1) > DMAHEAP_NAME_MAX)
			return -EINVAL;
		memcpy(r->heap, p + 1, (size_t)(end - p - 1));
		p = end + 2;
	} else {
		end = strchr(p, ',');
		if (!end || (size_t)(end - p) > DMAHEAP_NAME_MAX)
			return -EINVAL;
		memcpy(r->heap, p, (size_t)(end - p));
		p = end + 1;
	}
	if (sscanf(p, "%llu,%lu,%lf,%lf,%lf,%lf,%lf,%n", &size, &r->iters,
		   &r->alloc_med, &r->alloc_min, &r->alloc_max, &r->memset_med,
		   &ratio, &n) != 7 || n == 0)
		return -EINVAL;
	r->size = size;
	q = p + n;
	q[strcspn(q, "\r\n")] = '\0';
	snprintf(r->status, sizeof(r->status), "%s", q);
	return 0;
}

static int read_csv(const char *path, struct results *rs, unsigned long *iters)
{
	char line[512];
	FILE *f = fopen(path, "r");
	struct result *r;
	int lineno = 0;

	if (!f) {
		cli_err("cannot read %s: %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	while (fgets(line, sizeof(line), f)) {
		if (lineno++ == 0) {
			if (strncmp(line, "heap,size_bytes,", 16))
				goto bad;
			continue;
		}
		r = add_result(rs);
		if (!r || parse_csv_line(line, r))
			goto bad;
		*iters = r->iters;
	}
	fclose(f);
	if (rs->n == 0) {
		cli_err("%s holds no results", path);
		return EXIT_FAIL;
	}
	return EXIT_OK;
bad:
	fclose(f);
	cli_err("%s, line %d: not a 'dmaheap bench --csv' file", path, lineno);
	return EXIT_FAIL;
}

/* The path of gnuplot in $PATH, or NULL. */
static char *find_gnuplot(char *buf, size_t size)
{
	const char *path = getenv("PATH"), *p, *colon;
	size_t len;

	for (p = path ? path : "/usr/bin:/bin"; *p; p = colon + 1) {
		colon = strchrnul(p, ':');
		len = (size_t)(colon - p);
		if (len && (size_t)snprintf(buf, size, "%.*s/gnuplot", (int)len, p) < size &&
		    access(buf, X_OK) == 0)
			return buf;
		if (!*colon)
			break;
	}
	return NULL;
}

static int write_plot_data(const char *dir, const struct results *rs,
			   char (*heaps)[DMAHEAP_NAME_MAX + 1], size_t nheaps)
{
	char path[4200];
	size_t h, i;
	FILE *f;

	for (h = 0; h <= nheaps; h++) {
		snprintf(path, sizeof(path), "%s/%zu.dat", dir, h);
		f = fopen(path, "w");
		if (!f)
			return -errno;
		for (i = 0; i < rs->n; i++) {
			const struct result *r = &rs->r[i];

			if (h == nheaps) {
				/* memset: once per size */
				if (i == 0 || rs->r[i - 1].size != r->size)
					fprintf(f, "%llu %.3f\n",
						(unsigned long long)r->size,
						r->memset_med / 1e3);
			} else if (!strcmp(r->heap, heaps[h]) && !strcmp(r->status, "ok")) {
				fprintf(f, "%llu %.3f\n", (unsigned long long)r->size,
					r->alloc_med / 1e3);
			}
		}
		if (fclose(f))
			return -errno;
	}
	return 0;
}

/* Sort key for plotting: size, so that every line runs left to right. */
static int cmp_size(const void *a, const void *b)
{
	const struct result *x = a, *y = b;

	return (x->size > y->size) - (x->size < y->size);
}

/* Run gnuplot on @script, which draws @png; an exit status. */
int bench_gnuplot(const char *gnuplot, const char *script, const char *png)
{
	struct stat st;
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(gnuplot, "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		cli_err("gnuplot failed to draw %s", png);
		return EXIT_FAIL;
	}
	if (stat(png, &st) || st.st_size == 0) {
		cli_err("gnuplot ran but %s is missing or empty", png);
		return EXIT_FAIL;
	}
	printf("Wrote the chart to %s\n", png);
	return EXIT_OK;
}

static int plot_png(const char *gnuplot, const char *png, struct results *rs)
{
	char dir[] = "/tmp/dmaheap-plot.XXXXXX", script[4200], path[4200];
	char heaps[MAX_HEAPS][DMAHEAP_NAME_MAX + 1];
	size_t nheaps = 0, h, i;
	int rc = EXIT_FAIL;
	FILE *f;

	for (i = 0; i < rs->n; i++) {
		for (h = 0; h < nheaps && strcmp(heaps[h], rs->r[i].heap); h++)
			;
		if (h == nheaps && nheaps < MAX_HEAPS)
			strcpy(heaps[nheaps++], rs->r[i].heap);
	}
	qsort(rs->r, rs->n, sizeof(*rs->r), cmp_size);

	if (!mkdtemp(dir)) {
		cli_err("cannot make a temporary directory: %s", strerror(errno));
		return EXIT_FAIL;
	}
	if (write_plot_data(dir, rs, heaps, nheaps)) {
		cli_err("cannot write plot data in %s: %s", dir, strerror(errno));
		goto cleanup;
	}
	snprintf(script, sizeof(script), "%s/plot.gp", dir);
	f = fopen(script, "w");
	if (!f) {
		cli_err("cannot write %s: %s", script, strerror(errno));
		goto cleanup;
	}
	fprintf(f,
		"if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
		"  set terminal pngcairo size 960,600 font 'sans,10'\n"
		"} else {\n"
		"  set terminal png size 960,600\n"
		"}\n"
		"set output '%s'\n"
		"set title 'DMA-BUF heap allocation latency (median), with the memset floor'\n"
		"set logscale xy 2\n"
		"set xlabel 'buffer size (bytes)'\n"
		"set ylabel 'latency (microseconds)'\n"
		"set format y '%%g'\n"
		"set logscale y 10\n"
		"set grid\n"
		"set key top left\n"
		"set xtics (", png);
	for (i = 0; i < rs->n; i++) {
		char label[32];

		if (i && rs->r[i - 1].size == rs->r[i].size)
			continue;
		fprintf(f, "%s'%s' %llu", i ? ", " : "",
			cli_fmt_size(rs->r[i].size, label, sizeof(label)),
			(unsigned long long)rs->r[i].size);
	}
	fputs(")\nplot ", f);
	for (h = 0; h < nheaps; h++) {
		for (i = 0; i < rs->n; i++)
			if (!strcmp(rs->r[i].heap, heaps[h]) && !strcmp(rs->r[i].status, "ok"))
				break;
		if (i == rs->n)
			continue;	/* nothing measured: no line */
		fprintf(f, "'%s/%zu.dat' using 1:2 with linespoints lw 2 title '%s', ",
			dir, h, heaps[h]);
	}
	fprintf(f, "'%s/%zu.dat' using 1:2 with linespoints lw 2 dt 2 lc rgb 'black' "
		"title 'memset (floor)'\n", dir, nheaps);
	if (fclose(f)) {
		cli_err("cannot write %s: %s", script, strerror(errno));
		goto cleanup;
	}

	rc = bench_gnuplot(gnuplot, script, png);
cleanup:
	for (h = 0; h <= nheaps; h++) {
		snprintf(path, sizeof(path), "%s/%zu.dat", dir, h);
		unlink(path);
	}
	unlink(script);
	rmdir(dir);
	return rc;
}

static int parse_sizes(const char *arg, uint64_t *sizes, size_t *n)
{
	char buf[512], *save = NULL, *tok;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_SIZES || cli_parse_size(tok, &sizes[*n]) ||
		    sizes[*n] == 0 || sizes[*n] > SIZE_MAX / 2)
			return -EINVAL;
		(*n)++;
	}
	return *n ? 0 : -EINVAL;
}

static int measure(struct cli *cli, char **names, size_t nnames, const uint64_t *sizes,
		   size_t nsizes, unsigned long iters, struct results *rs)
{
	struct dmaheap_info *infos = NULL;
	size_t nheaps = nnames, s, h;
	double *t, floor_ns;
	struct result *r;
	int err, rc = EXIT_OK;

	if (nnames == 0) {
		err = dmaheap_list(cli->ctx, &infos, &nheaps);
		if (err) {
			cli_err("cannot read the heaps in %s: %s", cli->dev_dir,
				strerror(-err));
			return EXIT_FAIL;
		}
		if (nheaps == 0) {
			cli_err("no DMA-BUF heaps to measure in %s (are the dmaheap modules loaded?)",
				cli->dev_dir);
			return EXIT_NOHEAP;
		}
	} else {
		for (h = 0; h < nnames; h++) {
			err = dmaheap_open(cli->ctx, names[h]);
			if (err < 0)
				return cli_heap_error(cli, names[h], "", 0, err);
		}
	}
	t = calloc(iters, sizeof(*t));
	if (!t) {
		dmaheap_list_free(infos, nheaps);
		cli_err("out of memory");
		return EXIT_FAIL;
	}
	for (s = 0; s < nsizes; s++) {
		err = measure_memset(sizes[s], iters, t, &floor_ns);
		if (err) {
			cli_err("cannot malloc %llu bytes for the memset floor",
				(unsigned long long)sizes[s]);
			rc = EXIT_FAIL;
			break;
		}
		for (h = 0; h < nheaps; h++) {
			r = add_result(rs);
			if (!r) {
				rc = EXIT_FAIL;
				break;
			}
			snprintf(r->heap, sizeof(r->heap), "%s",
				 infos ? infos[h].name : names[h]);
			r->size = sizes[s];
			r->memset_med = floor_ns;
			measure_heap(cli, r->heap, sizes[s], iters, t, r);
		}
	}
	free(t);
	dmaheap_list_free(infos, infos ? nheaps : 0);
	return rc;
}

static int run_bench(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "heap", required_argument, NULL, 'H' },
		{ "sizes", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "csv", required_argument, NULL, 'o' },
		{ "png", required_argument, NULL, 'p' },
		{ "from-csv", required_argument, NULL, 'F' },
		{ "compare", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "hold", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *names[MAX_HEAPS], gp[4096], *gnuplot = NULL;
	const char *csv = NULL, *png = NULL, *from = NULL;
	unsigned long iters = DEFAULT_ITERS;
	uint64_t sizes[MAX_SIZES];
	struct results rs = { 0 };
	struct compare_opts co = {
		.modes = CMP_ALL_MODES,
		.rounds = CMP_DEFAULT_ROUNDS,
		.hold = CMP_DEFAULT_HOLD,
	};
	size_t nnames = 0, nsizes;
	const char *cmp_only = NULL;
	int c, rc, err;

	parse_sizes(DEFAULT_SIZES, sizes, &nsizes);
	while ((c = getopt_long(argc, argv, "+H:c:m:s:i:r:o:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (co.npairs == CMP_MAX_PAIRS)
				return cli_usage(&verb_bench, "at most %d --compare",
						 CMP_MAX_PAIRS);
			co.pairs[co.npairs++] = optarg;
			break;
		case 'm':
			if (compare_parse_modes(optarg, &co.modes))
				return cli_usage(&verb_bench, "bad mode list '%s' "
						 "(cold, steady, sustained)", optarg);
			cmp_only = "--mode";
			break;
		case 'r':
			if (cli_parse_uint(optarg, MAX_ITERS, &co.rounds) || co.rounds == 0)
				return cli_usage(&verb_bench, "bad round count '%s' (1-%d)",
						 optarg, MAX_ITERS);
			cmp_only = "--rounds";
			break;
		case 'L':
			if (cli_parse_size(optarg, &co.hold) || co.hold == 0 ||
			    co.hold > SIZE_MAX / 2)
				return cli_usage(&verb_bench, "bad size '%s'", optarg);
			cmp_only = "--hold";
			break;
		case 'H':
			if (nnames == MAX_HEAPS)
				return cli_usage(&verb_bench, "at most %d heaps", MAX_HEAPS);
			names[nnames++] = optarg;
			break;
		case 's':
			if (parse_sizes(optarg, sizes, &nsizes))
				return cli_usage(&verb_bench, "bad size list '%s'", optarg);
			break;
		case 'i':
			if (cli_parse_uint(optarg, MAX_ITERS, &iters) || iters == 0)
				return cli_usage(&verb_bench, "bad iteration count '%s' (1-%d)",
						 optarg, MAX_ITERS);
			break;
		case 'o':
			csv = optarg;
			break;
		case 'p':
			png = optarg;
			break;
		case 'F':
			from = optarg;
			break;
		case 'h':
			fputs(bench_help, stdout);
			return EXIT_OK;
		default:
			return cli_usage(&verb_bench, "bad option");
		}
	}
	if (optind != argc)
		return cli_usage(&verb_bench, "unexpected argument '%s'", argv[optind]);
	if (co.npairs && nnames)
		return cli_usage(&verb_bench, "--heap and --compare do not mix");
	if (!co.npairs && cmp_only && !from)
		return cli_usage(&verb_bench, "%s needs --compare", cmp_only);
	/* Say so before measuring, not after. */
	if (png) {
		gnuplot = find_gnuplot(gp, sizeof(gp));
		if (!gnuplot) {
			cli_err("--png needs gnuplot, which is not installed here "
				"(Debian: apt-get install gnuplot-nox); write --csv instead "
				"and plot it elsewhere with --from-csv");
			return EXIT_FAIL;
		}
	}

	if ((from && compare_is_csv(from)) || (!from && co.npairs)) {
		co.sizes = sizes;
		co.nsizes = nsizes;
		co.iters = iters;
		return compare_run(cli, &co, from, csv, png, gnuplot);
	}
	if (from)
		rc = read_csv(from, &rs, &iters);
	else
		rc = measure(cli, names, nnames, sizes, nsizes, iters, &rs);
	if (rc)
		goto out;
	print_results(&rs, iters);
	for (size_t i = 0; i < rs.n; i++) {
		if (!strncmp(rs.r[i].status, "error", 5)) {
			if (!from)
				cli_err("some allocations failed; see the table");
			rc = from ? EXIT_OK : EXIT_FAIL;
			break;
		}
	}
	if (csv) {
		err = write_csv(csv, &rs);
		if (err) {
			cli_err("cannot write %s: %s", csv, strerror(-err));
			rc = EXIT_FAIL;
			goto out;
		}
		printf("Wrote the results to %s\n", csv);
	}
	if (png && plot_png(gnuplot, png, &rs))
		rc = EXIT_FAIL;
out:
	free(rs.r);
	return rc;
}

const struct verb verb_bench = { "bench", bench_help, run_bench };
