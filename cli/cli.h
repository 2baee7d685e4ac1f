/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaheap command: shared declarations of the verbs and helpers.
 */
#ifndef DMAHEAP_CLI_H
#define DMAHEAP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <dmaheap.h>

/* Exit status, documented in the global help (and so in the man page). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* anything not listed below */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NOHEAP = 3,	/* no such heap, or no heaps at all */
	EXIT_NOMEM = 4,		/* the heap refused: over its cap or out of memory */
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

extern const struct verb verb_list, verb_alloc, verb_stat, verb_bench;

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
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);

/* list.c: JSON shared by list and stat */
void cli_print_json(FILE *f, const struct dmaheap_info *infos, size_t n,
		    const char *dev_dir);
int cli_read_heaps(struct cli *cli, char **names, int nnames,
		   struct dmaheap_info **infop, size_t *np);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* DMAHEAP_CLI_H */
