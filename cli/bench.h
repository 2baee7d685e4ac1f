/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaheap bench: what the latency table (bench.c) and the comparison of
 * heaps (compare.c) share.
 */
#ifndef DMAHEAP_CLI_BENCH_H
#define DMAHEAP_CLI_BENCH_H

#include "cli.h"

/* Modes of the comparison (bits of compare_opts.modes). */
enum cmp_mode { CMP_COLD, CMP_STEADY, CMP_SUSTAINED, CMP_NR_MODES };
#define CMP_ALL_MODES		((1U << CMP_NR_MODES) - 1)
#define CMP_MAX_PAIRS		16
#define CMP_MAX_SIZES		16	/* columns of the tables */
#define CMP_DEFAULT_ROUNDS	3
#define CMP_DEFAULT_HOLD	(256ULL << 20)

struct compare_opts {
	const char *pairs[CMP_MAX_PAIRS];	/* "HEAP/BASE" as given */
	size_t npairs;
	unsigned int modes;			/* 1 << enum cmp_mode */
	const uint64_t *sizes;
	size_t nsizes;
	unsigned long iters;			/* cold and steady samples */
	unsigned long rounds;			/* sustained rounds */
	uint64_t hold;				/* sustained bytes per round */
};

/* bench.c */
double bench_median(double *v, size_t n);
double bench_now_ns(void);
const char *bench_fmt_time(double ns, char *buf, size_t size);
const char *bench_no_room(struct cli *cli, const char *name, uint64_t size);
int bench_gnuplot(const char *gnuplot, const char *script, const char *png);

/* compare.c */
int compare_parse_modes(const char *arg, unsigned int *modes);
bool compare_is_csv(const char *path);
/*
 * Measure (@from NULL) or read an earlier --csv file, print the tables,
 * and write @csv and @png when given.  Returns an exit status.
 */
int compare_run(struct cli *cli, const struct compare_opts *o, const char *from,
		const char *csv, const char *png, const char *gnuplot);

#endif /* DMAHEAP_CLI_BENCH_H */
