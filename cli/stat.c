// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap stat: per-heap statistics, once or refreshed in place.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char stat_help[] =
"Usage: dmaheap stat [OPTIONS] [NAME...]\n"
"\n"
"Print the statistics of every heap (or of the heaps named): live buffers\n"
"and bytes, the highest use since the heap was loaded, its cap and how much\n"
"of the cap is used, and the successful and failed allocations since load.\n"
"With --watch the table is refreshed in place, like top, and ALLOCS/S shows\n"
"the allocations per second since the previous refresh.  An alias (such as\n"
"linux,cma) has no row of its own: its numbers are its heap's.\n"
"\n"
"Options:\n"
"  -w, --watch [SECONDS]   refresh until interrupted (Ctrl-C), every\n"
"                          SECONDS if given\n"
"  -i, --interval SECONDS  time between refreshes (default 1; fractions\n"
"                          allowed, at least 0.05)\n"
"  -n, --count N           stop after N refreshes (implies --watch)\n"
"  -j, --json              print one JSON snapshot instead of the table\n"
"  -b, --bytes             print sizes in bytes instead of KiB, MiB, GiB\n"
"  -h, --help              show this help\n"
"\n"
"Examples:\n"
"  dmaheap stat\n"
"  dmaheap stat --watch 0.5 system\n";

struct sample {
	char name[DMAHEAP_NAME_MAX + 1];
	uint64_t allocs;
	bool known;
};

static const char *cell_size(const struct dmaheap_info *in, unsigned int bit,
			     uint64_t v, bool bytes, char *buf)
{
	if (!(in->known & bit))
		return "-";
	if (bytes)
		snprintf(buf, 32, "%llu", (unsigned long long)v);
	else
		cli_fmt_size(v, buf, 32);
	return buf;
}

static const char *cell_num(const struct dmaheap_info *in, unsigned int bit,
			    uint64_t v, char *buf)
{
	if (!(in->known & bit))
		return "-";
	snprintf(buf, 32, "%llu", (unsigned long long)v);
	return buf;
}

static const char *cell_used(const struct dmaheap_info *in, char *buf)
{
	unsigned int need = DMAHEAP_KNOWN_BYTES | DMAHEAP_KNOWN_LIMIT_BYTES;

	if ((in->known & need) != need || in->limit_bytes == 0)
		return "-";
	snprintf(buf, 32, "%.1f%%", 100.0 * (double)in->bytes / (double)in->limit_bytes);
	return buf;
}

/* Allocations per second since @prev, for heap @in, or "-". */
static const char *cell_rate(const struct dmaheap_info *in, const struct sample *prev,
			     size_t nprev, double dt, char *buf)
{
	size_t i;

	if (!(in->known & DMAHEAP_KNOWN_TOTAL_ALLOCS) || dt <= 0)
		return "-";
	for (i = 0; i < nprev; i++) {
		if (strcmp(prev[i].name, in->name) || !prev[i].known)
			continue;
		if (in->total_allocs < prev[i].allocs)
			return "-";	/* the heap was reloaded */
		snprintf(buf, 32, "%.1f", (double)(in->total_allocs - prev[i].allocs) / dt);
		return buf;
	}
	return "-";
}

static void print_stats(const struct heap_rows *r, bool bytes,
			const struct sample *prev, size_t nprev, double dt, bool rates)
{
	static const char *const head[] = {
		"HEAP", "BUFFERS", "IN USE", "PEAK", "CAP", "USED", "POOLED",
		"ALLOCS", "FAILED", "ALLOCS/S",
	};
	char b[9][32];
	struct table t;
	size_t i;

	table_init(&t, rates ? 10 : 9, head, 0x3fe);
	for (i = 0; i < r->nrows; i++) {
		const struct dmaheap_info *in = &r->infos[r->rows[i]];

		table_add(&t, in->name,
			  cell_num(in, DMAHEAP_KNOWN_BUFFERS, in->buffers, b[0]),
			  cell_size(in, DMAHEAP_KNOWN_BYTES, in->bytes, bytes, b[1]),
			  cell_size(in, DMAHEAP_KNOWN_PEAK_BYTES, in->peak_bytes, bytes, b[2]),
			  cell_size(in, DMAHEAP_KNOWN_LIMIT_BYTES, in->limit_bytes, bytes, b[3]),
			  cell_used(in, b[4]),
			  cell_size(in, DMAHEAP_KNOWN_POOL_BYTES, in->pool_bytes, bytes, b[5]),
			  cell_num(in, DMAHEAP_KNOWN_TOTAL_ALLOCS, in->total_allocs, b[6]),
			  cell_num(in, DMAHEAP_KNOWN_FAILED_ALLOCS, in->failed_allocs, b[7]),
			  cell_rate(in, prev, nprev, dt, b[8]));
	}
	table_print(&t, stdout);
	table_free(&t);
}

static int watch(struct cli *cli, char **names, int nnames, bool bytes,
		 double interval, unsigned long count)
{
	struct sample *prev = NULL, *cur;
	double then = 0, now;
	size_t nprev = 0, i;
	unsigned long frame;
	int rc = EXIT_OK;

	for (frame = 0; count == 0 || frame < count; frame++) {
		struct heap_rows r;

		if (frame)
			cli_sleep(interval);
		rc = cli_read_rows(cli, names, nnames, &r);
		if (rc)
			break;
		now = cli_now();
		cli_watch_frame("stat", frame, interval);
		if (r.nrows == 0)
			printf("No DMA-BUF heaps in %s\n", cli->dev_dir);
		else
			print_stats(&r, bytes, prev, nprev, frame ? now - then : 0, true);
		fflush(stdout);

		cur = calloc(r.nrows ? r.nrows : 1, sizeof(*cur));
		for (i = 0; cur && i < r.nrows; i++) {
			const struct dmaheap_info *in = &r.infos[r.rows[i]];

			strcpy(cur[i].name, in->name);
			cur[i].allocs = in->total_allocs;
			cur[i].known = in->known & DMAHEAP_KNOWN_TOTAL_ALLOCS;
		}
		free(prev);
		prev = cur;
		nprev = cur ? r.nrows : 0;
		then = now;
		cli_free_rows(&r);
	}
	free(prev);
	return rc;
}

static int run_stat(struct cli *cli, int argc, char **argv)
{
	struct cli_view_opts o;
	struct heap_rows r;
	int rc;

	rc = cli_view_opts(&verb_stat, argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (o.watching)
		return watch(cli, argv + optind, argc - optind, o.bytes,
			     o.interval, o.count);

	rc = cli_read_rows(cli, argv + optind, argc - optind, &r);
	if (rc)
		return rc;
	if (o.json)
		cli_print_json(stdout, &r, cli->dev_dir);
	else if (r.nrows == 0)
		printf("No DMA-BUF heaps in %s (are the dmaheap modules loaded?)\n",
		       cli->dev_dir);
	else
		print_stats(&r, o.bytes, NULL, 0, 0, false);
	cli_free_rows(&r);
	return EXIT_OK;
}

const struct verb verb_stat = { "stat", stat_help, run_stat };
