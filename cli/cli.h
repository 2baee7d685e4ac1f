/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaheap command: shared declarations of the verbs and helpers.
 */
#ifndef DMAHEAP_CLI_H
#define DMAHEAP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <dmaheap.h>

/* Exit status, documented in the global help (and so in the man page). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* anything not listed below */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NOHEAP = 3,	/* no such heap, or no heaps at all */
	EXIT_NOMEM = 4,		/* refused: over a cap, the budget or a quota, or out of memory */
	EXIT_PERM = 5,		/* permission denied */
	EXIT_MISMATCH = 6,	/* alloc --check found other bytes */
};

struct cli {
	const char *prog;		/* "dmaheap" */
	struct dmaheap_ctx *ctx;
	const char *dev_dir;		/* for messages */
};

struct verb {
	const char *name;
	const char *help;		/* full --help text */
	int (*run)(struct cli *cli, int argc, char **argv);
};

extern const struct verb verb_list, verb_alloc, verb_stat, verb_top,
	verb_users, verb_bench;

/* util.c */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage(const struct verb *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int cli_parse_size(const char *s, uint64_t *out);
int cli_parse_byte(const char *s, int *out);
int cli_parse_uint(const char *s, unsigned long max, unsigned long *out);
int cli_parse_seconds(const char *s, double *out);
const char *cli_fmt_size(uint64_t bytes, char *buf, size_t size);
const char *cli_errname(int err);
int cli_exit_for(int err);
int cli_heap_error(struct cli *cli, const char *name, const char *what,
		   uint64_t len, int err);
void cli_heap_names(struct cli *cli, char *buf, size_t size);
void cli_json_string(FILE *f, const char *s);
double cli_now(void);
void cli_sleep(double seconds);
/*
 * The optional interval of -w/--watch: @arg is getopt's optarg; without
 * one, the next argument is taken when it is a number.  -EINVAL if bad.
 */
int cli_watch_arg(int argc, char **argv, const char *arg, double *interval);
/*
 * The options of the verbs that show a snapshot or watch it (stat, top):
 * -w/--watch[=S], -i/--interval S, -n/--count N, -j/--json, -b/--bytes and
 * -h/--help.
 */
struct cli_view_opts {
	bool watching;			/* -w or -n given */
	bool json;
	bool bytes;
	double interval;		/* seconds between frames (default 1) */
	unsigned long count;		/* frames to show; 0: until interrupted */
};
/*
 * Parse them for verb @v into *@o, leaving optind at the first operand.
 * Returns -1 to go on, or the exit status to end with (a usage error, or
 * EXIT_OK once --help is printed).
 */
int cli_view_opts(const struct verb *v, int argc, char **argv,
		  struct cli_view_opts *o);
/* Start frame @frame of a --watch display: clear the screen, print a header. */
void cli_watch_frame(const char *verb, unsigned long frame, double interval);
const char *cli_user_name(uid_t uid, char *buf, size_t size);

/* table.c: aligned text tables */
struct table {
	size_t ncols;
	const char *const *head;
	unsigned int right;		/* bit i: column i is right-aligned */
	size_t nrows, cap;
	char **cells;			/* nrows * ncols strings */
};
void table_init(struct table *t, size_t ncols, const char *const *head,
		unsigned int right);
int table_add(struct table *t, ...);	/* ncols strings */
int table_add_cells(struct table *t, const char *const *cells);	/* ncols */
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);

/*
 * list.c: the heaps to show, shared by list, stat and top.  An alias (a
 * further name of a heap: its sysfs "heap" file names another heap) is
 * folded into the heap it stands for.
 */
struct heap_rows {
	struct dmaheap_info *infos;	/* every heap node, sorted by name */
	size_t n;
	size_t *rows;			/* indexes into @infos, in display order */
	size_t nrows;
};
int cli_read_rows(struct cli *cli, char **names, int nnames, struct heap_rows *r);
void cli_free_rows(struct heap_rows *r);
const char *cli_alias_of(const struct dmaheap_info *in);
void cli_print_json(FILE *f, const struct heap_rows *r, const char *dev_dir);

/* dmabufs.c: who holds which dma-buf (for top) */
#define DMABUF_EXP_MAX		64	/* exporter names we keep */
#define DMABUF_NAME_MAX		33	/* the kernel keeps 32 bytes */
#define DMABUF_DEVICES_MAX	256

struct dbuf {
	unsigned long ino;		/* inode on the dma-buf filesystem */
	uint64_t size;			/* bytes; a mapping's extent if !size_exact */
	bool size_exact;		/* size and exporter come from the kernel */
	bool in_bufinfo;		/* seen in the dma-buf debug file */
	bool devices_only;		/* in the debug file, held by no process */
	char exporter[DMABUF_EXP_MAX];	/* "" when not known */
	char name[DMABUF_NAME_MAX];	/* the buffer's debug name, or "" */
	char devices[DMABUF_DEVICES_MAX]; /* attached devices, one per line */
};

struct dproc_buf {
	size_t buf;			/* index into dscan::bufs */
	unsigned int fds;		/* fds of the process on the buffer */
	bool mapped;			/* the process maps the buffer */
	unsigned long long map_start, map_end;	/* its first mapping */
};

struct dproc {
	pid_t pid;
	uid_t uid;			/* effective uid */
	char comm[64];
	struct dproc_buf *bufs;
	size_t nbufs, capbufs;
};

struct dscan {
	const char *proc_dir;
	struct dbuf *bufs;
	size_t nbufs, capbufs;
	size_t *slots, nslots;		/* hash of bufs by inode: index + 1 */
	struct dproc *procs;		/* processes holding at least one dma-buf */
	size_t nprocs, capprocs;
	unsigned int unreadable;	/* processes whose fds we may not read */
	unsigned int maps_unreadable;	/* processes whose maps we may not read */
	int bufinfo_err;		/* errno reading the debug file, or 0 */
};
int dscan_run(struct dscan *s, const char *proc_dir, const char *bufinfo);
void dscan_free(struct dscan *s);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* DMAHEAP_CLI_H */
