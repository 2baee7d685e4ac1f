// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap top: which processes hold how much of which heap.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_PROC_DIR	"/proc"
#define DEFAULT_BUFINFO		"/sys/kernel/debug/dma_buf/bufinfo"
#define MAX_COLS		24	/* heap columns; the rest share one */
#define UNKNOWN			"?"

static const char top_help[] =
"Usage: dmaheap top [OPTIONS] [NAME...]\n"
"\n"
"Show which processes hold how much of which heap, largest first: for each\n"
"process its pid, user and command, then per heap the bytes it holds with,\n"
"in parentheses, the number of buffers, and its total.  A process holds a\n"
"buffer through an fd (/proc/PID/fdinfo) or a mapping that outlived its fd\n"
"(/proc/PID/maps); a buffer it holds both ways counts once.  A buffer two\n"
"processes share counts for each.  Every dma-buf is shown, labelled by its\n"
"exporter: for dmaheap's heaps (and the kernel's) that is the heap's own\n"
"name, so an alias's buffers show under its heap.  The row (devices only)\n"
"sums the buffers no process holds, that only devices or the kernel keep\n"
"(from the kernel's dma-buf debug file: root, with debugfs mounted), and\n"
"(all buffers) counts every buffer above once.  Without root only your own\n"
"processes can be read: what could not be read is said below the table.\n"
"A buffer mapped without an fd whose heap could not be read is shown under\n"
"'?' at its mapped length.  With NAME, only those heaps (or exporters).\n"
"\n"
"Options:\n"
"  -w, --watch [SECONDS]   refresh until interrupted (Ctrl-C), every\n"
"                          SECONDS if given\n"
"  -i, --interval SECONDS  time between refreshes (default 1; fractions\n"
"                          allowed, at least 0.05)\n"
"  -n, --count N           stop after N refreshes (implies --watch)\n"
"  -j, --json              print one JSON snapshot instead of the table,\n"
"                          one process per line, with each buffer's inode,\n"
"                          exporter, size, name, fds and mapping\n"
"  -b, --bytes             print sizes in bytes instead of KiB, MiB, GiB\n"
"  -h, --help              show this help\n"
"\n"
"Environment:\n"
"  DMAHEAP_PROC_DIR  where the processes are (default /proc)\n"
"  DMAHEAP_BUFINFO   the dma-buf debug file (default\n"
"                    /sys/kernel/debug/dma_buf/bufinfo)\n"
"\n"
"Examples:\n"
"  dmaheap top\n"
"  dmaheap top --watch 2 system system-uncached\n"
"  sudo dmaheap top --json --bytes\n";

struct usage {
	uint64_t buffers, bytes;
};

struct row {
	const struct dproc *proc;	/* NULL for the summary rows */
	struct usage *per;		/* per column */
	struct usage total;
};

struct view {
	struct dscan scan;
	char **names;			/* the heaps asked for, or NULL: all */
	size_t nnames;
	const char **cols;		/* exporter labels, sorted; "?" last */
	size_t ncols;
	struct row *rows;		/* processes, largest first */
	size_t nrows;
	struct row devices, all;
	size_t inexact;			/* buffers counted at a mapping's length */
};

static const char *label(const struct dbuf *b)
{
	return b->exporter[0] ? b->exporter : UNKNOWN;
}

static bool wanted(const struct view *v, const struct dbuf *b)
{
	size_t i;

	if (!v->names)
		return true;
	for (i = 0; i < v->nnames; i++)
		if (!strcmp(v->names[i], b->exporter))
			return true;
	return false;
}

static int cmp_label(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	bool ux = !strcmp(x, UNKNOWN), uy = !strcmp(y, UNKNOWN);

	if (ux != uy)
		return ux ? 1 : -1;
	return strcmp(x, y);
}

static size_t col_of(const struct view *v, const char *l)
{
	const char **found = bsearch(&l, v->cols, v->ncols, sizeof(*v->cols), cmp_label);
	size_t i = found ? (size_t)(found - v->cols) : 0;

	return i < MAX_COLS ? i : MAX_COLS - 1;
}

/* Number of columns shown: the labels, the last shared beyond MAX_COLS. */
static size_t shown_cols(const struct view *v)
{
	return v->ncols < MAX_COLS ? v->ncols : MAX_COLS;
}

static void count(const struct view *v, struct row *r, const struct dbuf *b)
{
	size_t c = col_of(v, label(b));

	r->per[c].buffers++;
	r->per[c].bytes += b->size;
	r->total.buffers++;
	r->total.bytes += b->size;
}

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->total.bytes != y->total.bytes)
		return x->total.bytes > y->total.bytes ? -1 : 1;
	return x->proc->pid < y->proc->pid ? -1 : x->proc->pid > y->proc->pid;
}

static void view_free(struct view *v)
{
	size_t i;

	for (i = 0; i < v->nrows; i++)
		free(v->rows[i].per);
	free(v->rows);
	free(v->devices.per);
	free(v->all.per);
	free(v->cols);
	dscan_free(&v->scan);
	v->rows = NULL;
	v->nrows = 0;
	v->devices.per = v->all.per = NULL;
	v->cols = NULL;
	v->ncols = 0;
}

/* Scan, and sum what each process holds per heap. */
static int view_build(struct view *v, const char *proc_dir, const char *bufinfo)
{
	struct dscan *s = &v->scan;
	bool *counted = NULL;
	size_t i, j, k;
	int err;

	err = dscan_run(s, proc_dir, bufinfo);
	if (err)
		return err;
	err = -ENOMEM;
	v->cols = calloc(s->nbufs + 1, sizeof(*v->cols));
	counted = calloc(s->nbufs + 1, sizeof(*counted));
	v->rows = calloc(s->nprocs + 1, sizeof(*v->rows));
	if (!v->cols || !counted || !v->rows)
		goto out;
	/* The columns: every label of a buffer shown. */
	for (i = 0; i < s->nbufs; i++) {
		if (!wanted(v, &s->bufs[i]))
			continue;
		for (k = 0; k < v->ncols; k++)
			if (!strcmp(v->cols[k], label(&s->bufs[i])))
				break;
		if (k == v->ncols)
			v->cols[v->ncols++] = label(&s->bufs[i]);
	}
	qsort(v->cols, v->ncols, sizeof(*v->cols), cmp_label);

	v->devices.per = calloc(v->ncols + 1, sizeof(struct usage));
	v->all.per = calloc(v->ncols + 1, sizeof(struct usage));
	if (!v->devices.per || !v->all.per)
		goto out;
	for (i = 0; i < s->nprocs; i++) {
		struct row *r = &v->rows[v->nrows];

		r->proc = &s->procs[i];
		r->per = calloc(v->ncols + 1, sizeof(*r->per));
		if (!r->per)
			goto out;
		v->nrows++;
		for (j = 0; j < s->procs[i].nbufs; j++) {
			const struct dbuf *b = &s->bufs[s->procs[i].bufs[j].buf];

			if (!wanted(v, b))
				continue;
			count(v, r, b);
			counted[s->procs[i].bufs[j].buf] = true;
		}
		if (r->total.buffers == 0) {
			free(r->per);
			v->nrows--;
		}
	}
	for (i = 0; i < s->nbufs; i++) {
		const struct dbuf *b = &s->bufs[i];

		if (!wanted(v, b) || !(counted[i] || b->devices_only))
			continue;
		if (b->devices_only)
			count(v, &v->devices, b);
		count(v, &v->all, b);
		if (!b->size_exact)
			v->inexact++;
	}
	qsort(v->rows, v->nrows, sizeof(*v->rows), cmp_row);
	err = 0;
out:
	free(counted);
	return err;
}

/* ---- output ------------------------------------------------------------------ */

static const char *fmt_size(uint64_t v, bool bytes, char *buf, size_t size)
{
	if (bytes)
		snprintf(buf, size, "%llu", (unsigned long long)v);
	else
		cli_fmt_size(v, buf, size);
	return buf;
}

/* "SIZE (N)", or "-" for nothing. */
static const char *cell(const struct usage *u, bool bytes, char *buf, size_t size)
{
	char s[32];

	if (!u->buffers)
		return "-";
	snprintf(buf, size, "%s (%llu)", fmt_size(u->bytes, bytes, s, sizeof(s)),
		 (unsigned long long)u->buffers);
	return buf;
}

static int add_row(struct table *t, const struct view *v, const struct row *r,
		   const char *what, bool bytes)
{
	char buf[MAX_COLS + 1][64], pid[16], user[64], comm[sizeof(r->proc->comm)];
	const char *cells[MAX_COLS + 4];
	size_t c, n = 0;

	if (r->proc) {
		snprintf(pid, sizeof(pid), "%d", (int)r->proc->pid);
		if (!cli_user_name(r->proc->uid, user, sizeof(user)))
			snprintf(user, sizeof(user), "%u", (unsigned int)r->proc->uid);
		/* A process names itself: no control characters on the terminal. */
		for (c = 0; c < sizeof(comm) - 1 && r->proc->comm[c]; c++)
			comm[c] = (unsigned char)r->proc->comm[c] < 0x20 ||
				  r->proc->comm[c] == 0x7f ? '?' : r->proc->comm[c];
		comm[c] = '\0';
		cells[n++] = pid;
		cells[n++] = user;
		cells[n++] = comm;
	} else {
		cells[n++] = "-";
		cells[n++] = "-";
		cells[n++] = what;
	}
	for (c = 0; c < shown_cols(v); c++)
		cells[n++] = cell(&r->per[c], bytes, buf[c], sizeof(buf[c]));
	cells[n++] = cell(&r->total, bytes, buf[MAX_COLS], sizeof(buf[MAX_COLS]));
	/* table_add() takes exactly the table's number of cells. */
	return table_add_cells(t, cells);
}

static void print_notes(const struct view *v, const char *bufinfo)
{
	const struct dscan *s = &v->scan;

	if (s->unreadable)
		printf("Not shown: the buffers of %u process%s of other users "
		       "(reading /proc/PID/fd needs root).\n", s->unreadable,
		       s->unreadable == 1 ? "" : "es");
	if (s->maps_unreadable)
		printf("The mappings of %u process%s could not be read: buffers they "
		       "hold without an fd are not shown.\n", s->maps_unreadable,
		       s->maps_unreadable == 1 ? "" : "es");
	if (s->bufinfo_err)
		printf("Buffers held only by devices: not known (%s: %s; it needs root "
		       "and debugfs).\n", bufinfo, strerror(s->bufinfo_err));
	if (v->inexact)
		printf("%zu buffer%s mapped without an fd could not be identified: "
		       "counted under '" UNKNOWN "' at the mapped length.\n", v->inexact,
		       v->inexact == 1 ? "" : "s");
}

static void print_table(const struct view *v, const char *bufinfo, bool bytes)
{
	const char *head[MAX_COLS + 4];
	struct table t;
	size_t i, n = 0;
	unsigned int right = 1;

	head[n++] = "PID";
	head[n++] = "USER";
	head[n++] = "COMMAND";
	for (i = 0; i < shown_cols(v); i++) {
		right |= 1U << n;
		head[n++] = i == MAX_COLS - 1 && v->ncols > MAX_COLS ? "(others)" : v->cols[i];
	}
	right |= 1U << n;
	head[n++] = "TOTAL";
	table_init(&t, n, head, right);
	for (i = 0; i < v->nrows; i++)
		add_row(&t, v, &v->rows[i], NULL, bytes);
	if (!v->scan.bufinfo_err)
		add_row(&t, v, &v->devices, "(devices only)", bytes);
	add_row(&t, v, &v->all, "(all buffers)", bytes);
	table_print(&t, stdout);
	table_free(&t);
	print_notes(v, bufinfo);
}

static void json_heaps(const struct view *v, const struct row *r)
{
	size_t c;
	bool first = true;

	fputs("\"heaps\": {", stdout);
	for (c = 0; c < shown_cols(v); c++) {
		if (!r->per[c].buffers)
			continue;
		fputs(first ? "" : ", ", stdout);
		cli_json_string(stdout, c == MAX_COLS - 1 && v->ncols > MAX_COLS ?
				"(others)" : v->cols[c]);
		printf(": {\"buffers\": %llu, \"bytes\": %llu}",
		       (unsigned long long)r->per[c].buffers,
		       (unsigned long long)r->per[c].bytes);
		first = false;
	}
	fputs("}", stdout);
}

static void json_buf(const struct dbuf *b)
{
	printf("{\"inode\": %lu, \"exporter\": ", b->ino);
	if (b->exporter[0])
		cli_json_string(stdout, b->exporter);
	else
		fputs("null", stdout);
	printf(", \"size\": %llu, \"size_exact\": %s, \"name\": ",
	       (unsigned long long)b->size, b->size_exact ? "true" : "false");
	if (b->name[0])
		cli_json_string(stdout, b->name);
	else
		fputs("null", stdout);
}

/* The lines of @text as JSON strings, separated by commas. */
static void json_lines(const char *text)
{
	char line[DMABUF_DEVICES_MAX];
	const char *p = text, *nl;

	while (*p) {
		nl = strchr(p, '\n');
		snprintf(line, sizeof(line), "%.*s", nl ? (int)(nl - p) : (int)strlen(p), p);
		fputs(p == text ? "" : ", ", stdout);
		cli_json_string(stdout, line);
		if (!nl)
			break;
		p = nl + 1;
	}
}

static void print_json(const struct view *v, const char *bufinfo)
{
	const struct dscan *s = &v->scan;
	char user[64];
	size_t i, j;
	bool first;

	fputs("{\n  \"processes\": [", stdout);
	for (i = 0; i < v->nrows; i++) {
		const struct row *r = &v->rows[i];
		const struct dproc *p = r->proc;

		printf("%s\n    {\"pid\": %d, \"uid\": %u, \"user\": ", i ? "," : "",
		       (int)p->pid, (unsigned int)p->uid);
		if (cli_user_name(p->uid, user, sizeof(user)))
			cli_json_string(stdout, user);
		else
			fputs("null", stdout);
		fputs(", \"command\": ", stdout);
		cli_json_string(stdout, p->comm);
		printf(", \"buffers\": %llu, \"bytes\": %llu, ",
		       (unsigned long long)r->total.buffers,
		       (unsigned long long)r->total.bytes);
		json_heaps(v, r);
		fputs(", \"dmabufs\": [", stdout);
		for (j = 0, first = true; j < p->nbufs; j++) {
			const struct dbuf *b = &s->bufs[p->bufs[j].buf];

			if (!wanted(v, b))
				continue;
			fputs(first ? "" : ", ", stdout);
			json_buf(b);
			printf(", \"fds\": %u, \"mapped\": %s}", p->bufs[j].fds,
			       p->bufs[j].mapped ? "true" : "false");
			first = false;
		}
		fputs("]}", stdout);
	}
	fputs(v->nrows ? "\n  ],\n" : "],\n", stdout);

	fputs("  \"devices_only\": ", stdout);
	if (s->bufinfo_err) {
		fputs("null,\n", stdout);
	} else {
		printf("{\"buffers\": %llu, \"bytes\": %llu, ",
		       (unsigned long long)v->devices.total.buffers,
		       (unsigned long long)v->devices.total.bytes);
		json_heaps(v, &v->devices);
		fputs(", \"dmabufs\": [", stdout);
		for (i = 0, first = true; i < s->nbufs; i++) {
			const struct dbuf *b = &s->bufs[i];

			if (!b->devices_only || !wanted(v, b))
				continue;
			fputs(first ? "" : ", ", stdout);
			json_buf(b);
			fputs(", \"devices\": [", stdout);
			json_lines(b->devices);
			fputs("]}", stdout);
			first = false;
		}
		fputs("]},\n", stdout);
	}
	printf("  \"all\": {\"buffers\": %llu, \"bytes\": %llu, ",
	       (unsigned long long)v->all.total.buffers,
	       (unsigned long long)v->all.total.bytes);
	json_heaps(v, &v->all);
	printf("},\n  \"unreadable_processes\": %u,\n", s->unreadable);
	printf("  \"unreadable_maps\": %u,\n", s->maps_unreadable);
	fputs("  \"bufinfo_error\": ", stdout);
	if (s->bufinfo_err) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s: %s", bufinfo, strerror(s->bufinfo_err));
		cli_json_string(stdout, msg);
	} else {
		fputs("null", stdout);
	}
	fputs("\n}\n", stdout);
}

/* The heaps named, as exporters name them: an alias becomes its heap. */
static int resolve_names(struct cli *cli, char **names, int nnames, struct view *v)
{
	struct heap_rows r;
	size_t i;
	int j, rc;

	if (nnames == 0)
		return 0;
	v->names = calloc((size_t)nnames, sizeof(*v->names));
	if (!v->names) {
		cli_err("out of memory");
		return EXIT_FAIL;
	}
	/* Names that are not heap nodes may be other exporters: kept as they are. */
	for (j = 0; j < nnames; j++) {
		char *one[1] = { names[j] };
		struct dmaheap_info info;

		if (dmaheap_heap_info(cli->ctx, names[j], &info)) {
			v->names[v->nnames++] = strdup(names[j]);
			continue;
		}
		dmaheap_info_clear(&info);
		rc = cli_read_rows(cli, one, 1, &r);
		if (rc)
			return rc;
		for (i = 0; i < r.nrows; i++)
			v->names[v->nnames++] = strdup(r.infos[r.rows[i]].name);
		cli_free_rows(&r);
	}
	for (i = 0; i < v->nnames; i++) {
		if (!v->names[i]) {
			cli_err("out of memory");
			return EXIT_FAIL;
		}
	}
	return 0;
}

static int show(struct view *v, const char *proc_dir, const char *bufinfo,
		bool json, bool bytes)
{
	int err = view_build(v, proc_dir, bufinfo);

	if (err) {
		cli_err("cannot read the processes in %s: %s", proc_dir, strerror(-err));
		view_free(v);
		return EXIT_FAIL;
	}
	if (json)
		print_json(v, bufinfo);
	else
		print_table(v, bufinfo, bytes);
	view_free(v);
	return EXIT_OK;
}

static int run_top(struct cli *cli, int argc, char **argv)
{
	const char *proc_dir = getenv("DMAHEAP_PROC_DIR");
	const char *bufinfo = getenv("DMAHEAP_BUFINFO");
	struct cli_view_opts o;
	struct view v = { 0 };
	unsigned long frame;
	int rc;
	size_t i;

	rc = cli_view_opts(&verb_top, argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (!proc_dir || !*proc_dir)
		proc_dir = DEFAULT_PROC_DIR;
	if (!bufinfo || !*bufinfo)
		bufinfo = DEFAULT_BUFINFO;
	rc = resolve_names(cli, argv + optind, argc - optind, &v);
	for (frame = 0;
	     !rc && (frame == 0 || (o.watching && (o.count == 0 || frame < o.count)));
	     frame++) {
		if (frame)
			cli_sleep(o.interval);
		if (o.watching)
			cli_watch_frame("top", frame, o.interval);
		rc = show(&v, proc_dir, bufinfo, o.json, o.bytes);
		fflush(stdout);
	}
	for (i = 0; i < v.nnames; i++)
		free(v.names[i]);
	free(v.names);
	return rc;
}

const struct verb verb_top = { "top", top_help, run_top };
