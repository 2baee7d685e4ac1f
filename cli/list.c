// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap list: heaps with their properties and live statistics.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char list_help[] =
"Usage: dmaheap list [--json] [--bytes] [NAME...]\n"
"\n"
"Show every heap (or the heaps named) with what the kernel tells of it:\n"
"whether CPU mappings are cached, whether buffers are physically\n"
"contiguous, the live buffers and bytes, the highest use since the heap was\n"
"loaded, its cap, and any heap-specific properties.  A dash means the\n"
"kernel does not say (heaps of the kernel's own dma-heap framework have no\n"
"statistics).  An alias (a further name of a heap, such as linux,cma) has\n"
"its own node but no usage of its own: it is shown in the properties of\n"
"the heap it stands for, as aliases=, and naming it shows that heap.\n"
"\n"
"Options:\n"
"  -j, --json   print JSON for scripts instead of the table; unknown\n"
"               values are null, sizes are in bytes, each heap lists its\n"
"               aliases\n"
"  -b, --bytes  print sizes in bytes instead of KiB, MiB, GiB\n"
"  -h, --help   show this help\n"
"\n"
"Examples:\n"
"  dmaheap list\n"
"  dmaheap list --json system\n";

static void json_u64(FILE *f, const char *key, const struct dmaheap_info *in,
		     unsigned int bit, uint64_t v)
{
	if (in->known & bit)
		fprintf(f, ",\n      \"%s\": %llu", key, (unsigned long long)v);
	else
		fprintf(f, ",\n      \"%s\": null", key);
}

static void json_bool(FILE *f, const char *key, const struct dmaheap_info *in,
		      unsigned int bit, int v)
{
	fprintf(f, ",\n      \"%s\": %s", key,
		!(in->known & bit) ? "null" : v ? "true" : "false");
}

/* The heap @in stands for when it is an alias (its "heap" file), or NULL. */
const char *cli_alias_of(const struct dmaheap_info *in)
{
	size_t i;

	for (i = 0; i < in->nprops; i++)
		if (!strcmp(in->props[i].key, "heap"))
			return strcmp(in->props[i].value, in->name) ? in->props[i].value : NULL;
	return NULL;
}

static bool is_alias_of(const struct dmaheap_info *in, const char *heap)
{
	const char *target = cli_alias_of(in);

	return target && !strcmp(target, heap);
}

void cli_print_json(FILE *f, const struct heap_rows *r, const char *dev_dir)
{
	char node[4096];
	size_t i, j, p;
	bool first;

	fputs("{\n  \"heaps\": [", f);
	for (i = 0; i < r->nrows; i++) {
		const struct dmaheap_info *in = &r->infos[r->rows[i]];
		const char *target = cli_alias_of(in);

		fputs(i ? ",\n    {\n" : "\n    {\n", f);
		fputs("      \"name\": ", f);
		cli_json_string(f, in->name);
		snprintf(node, sizeof(node), "%s/%s", dev_dir, in->name);
		fputs(",\n      \"node\": ", f);
		cli_json_string(f, node);
		fputs(",\n      \"alias_of\": ", f);
		if (target)
			cli_json_string(f, target);
		else
			fputs("null", f);
		fputs(",\n      \"aliases\": [", f);
		for (j = 0, first = true; j < r->n; j++) {
			if (!is_alias_of(&r->infos[j], in->name))
				continue;
			fputs(first ? "" : ", ", f);
			cli_json_string(f, r->infos[j].name);
			first = false;
		}
		fputs("]", f);
		fprintf(f, ",\n      \"statistics\": %s",
			in->known & DMAHEAP_KNOWN_SYSFS ? "true" : "false");
		json_bool(f, "uncached", in, DMAHEAP_KNOWN_UNCACHED, in->uncached);
		json_bool(f, "contiguous", in, DMAHEAP_KNOWN_CONTIGUOUS, in->contiguous);
		json_u64(f, "buffers", in, DMAHEAP_KNOWN_BUFFERS, in->buffers);
		json_u64(f, "bytes", in, DMAHEAP_KNOWN_BYTES, in->bytes);
		json_u64(f, "peak_bytes", in, DMAHEAP_KNOWN_PEAK_BYTES, in->peak_bytes);
		json_u64(f, "total_allocs", in, DMAHEAP_KNOWN_TOTAL_ALLOCS, in->total_allocs);
		json_u64(f, "failed_allocs", in, DMAHEAP_KNOWN_FAILED_ALLOCS, in->failed_allocs);
		json_u64(f, "limit_bytes", in, DMAHEAP_KNOWN_LIMIT_BYTES, in->limit_bytes);
		json_u64(f, "pool_bytes", in, DMAHEAP_KNOWN_POOL_BYTES, in->pool_bytes);
		fputs(",\n      \"properties\": {", f);
		for (p = 0; p < in->nprops; p++) {
			fputs(p ? ", " : "", f);
			cli_json_string(f, in->props[p].key);
			fputs(": ", f);
			cli_json_string(f, in->props[p].value);
		}
		fputs("}\n    }", f);
	}
	fputs(r->nrows ? "\n  ]\n}\n" : "]\n}\n", f);
}

static const char *size_cell(const struct dmaheap_info *in, unsigned int bit,
			     uint64_t v, bool bytes, char *buf, size_t size)
{
	if (!(in->known & bit))
		return "-";
	if (bytes)
		snprintf(buf, size, "%llu", (unsigned long long)v);
	else
		cli_fmt_size(v, buf, size);
	return buf;
}

static const char *num_cell(const struct dmaheap_info *in, unsigned int bit,
			    uint64_t v, char *buf, size_t size)
{
	if (!(in->known & bit))
		return "-";
	snprintf(buf, size, "%llu", (unsigned long long)v);
	return buf;
}

/* Append @s to the growing string *@p; false when out of memory. */
static bool append(char **p, size_t *len, const char *s)
{
	size_t n = strlen(s);
	char *grown = realloc(*p, *len + n + 1);

	if (!grown)
		return false;
	memcpy(grown + *len, s, n + 1);
	*p = grown;
	*len += n;
	return true;
}

/*
 * "key=value, ..." of row @in: its aliases first, then its own files but
 * "heap" (its own name; an alias shows "alias of HEAP" instead).
 */
static char *props_cell(const struct heap_rows *r, const struct dmaheap_info *in)
{
	const char *target = cli_alias_of(in);
	size_t len = 0, naliases = 0, i;
	char *s = strdup("");
	bool ok = s != NULL;

	if (ok && target)
		ok = append(&s, &len, "alias of ") && append(&s, &len, target);
	for (i = 0; ok && i < r->n; i++) {
		if (!is_alias_of(&r->infos[i], in->name))
			continue;
		ok = append(&s, &len, naliases ? " " : len ? ", aliases=" : "aliases=") &&
		     append(&s, &len, r->infos[i].name);
		naliases++;
	}
	for (i = 0; ok && i < in->nprops; i++) {
		if (!strcmp(in->props[i].key, "heap"))
			continue;
		ok = append(&s, &len, len ? ", " : "") &&
		     append(&s, &len, in->props[i].key) && append(&s, &len, "=") &&
		     append(&s, &len, in->props[i].value);
	}
	if (!ok) {
		free(s);
		return NULL;
	}
	return s;
}

static void print_table(const struct heap_rows *r, bool bytes)
{
	static const char *const head[] = {
		"HEAP", "MEMORY", "LAYOUT", "BUFFERS", "IN USE", "PEAK", "CAP",
		"POOLED", "PROPERTIES",
	};
	char b[5][32];
	struct table t;
	size_t i;

	table_init(&t, ARRAY_SIZE(head), head, 0xf8);
	for (i = 0; i < r->nrows; i++) {
		const struct dmaheap_info *in = &r->infos[r->rows[i]];
		char *props = props_cell(r, in);

		table_add(&t, in->name,
			  !(in->known & DMAHEAP_KNOWN_UNCACHED) ? "-" :
			  in->uncached ? "uncached" : "cached",
			  !(in->known & DMAHEAP_KNOWN_CONTIGUOUS) ? "-" :
			  in->contiguous ? "contiguous" : "scattered",
			  num_cell(in, DMAHEAP_KNOWN_BUFFERS, in->buffers, b[0], 32),
			  size_cell(in, DMAHEAP_KNOWN_BYTES, in->bytes, bytes, b[1], 32),
			  size_cell(in, DMAHEAP_KNOWN_PEAK_BYTES, in->peak_bytes, bytes,
				    b[2], 32),
			  size_cell(in, DMAHEAP_KNOWN_LIMIT_BYTES, in->limit_bytes, bytes,
				    b[3], 32),
			  size_cell(in, DMAHEAP_KNOWN_POOL_BYTES, in->pool_bytes, bytes,
				    b[4], 32),
			  props && *props ? props : "-");
		free(props);
	}
	table_print(&t, stdout);
	table_free(&t);
}

static size_t find_info(const struct heap_rows *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->infos[i].name, name))
			return i;
	return SIZE_MAX;
}

/* Add row @i unless it is there already. */
static void add_row(struct heap_rows *r, size_t i)
{
	size_t k;

	for (k = 0; k < r->nrows; k++)
		if (r->rows[k] == i)
			return;
	r->rows[r->nrows++] = i;
}

/*
 * Read every heap, and choose the rows to show: every heap (or those in
 * @names, in that order), an alias standing for the heap it names when
 * that heap has a node too.  Returns 0 or an exit status after saying what
 * went wrong.
 */
int cli_read_rows(struct cli *cli, char **names, int nnames, struct heap_rows *r)
{
	struct dmaheap_info info;
	const char *target;
	size_t i, k;
	int j, err;

	memset(r, 0, sizeof(*r));
	/* Named heaps first, one by one, for the plain error of each. */
	for (j = 0; j < nnames; j++) {
		err = dmaheap_heap_info(cli->ctx, names[j], &info);
		if (err) {
			if (err == -EINVAL) {
				cli_err("'%s' is not a valid heap name", names[j]);
				return EXIT_USAGE;
			}
			return cli_heap_error(cli, names[j], "", 0, err);
		}
		dmaheap_info_clear(&info);
	}
	err = dmaheap_list(cli->ctx, &r->infos, &r->n);
	if (err) {
		cli_err("cannot read the heaps in %s: %s", cli->dev_dir, strerror(-err));
		return EXIT_FAIL;
	}
	r->rows = calloc(r->n + (size_t)nnames + 1, sizeof(*r->rows));
	if (!r->rows) {
		cli_free_rows(r);
		cli_err("out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; i < r->n && nnames == 0; i++) {
		target = cli_alias_of(&r->infos[i]);
		if (!target || find_info(r, target) == SIZE_MAX)
			add_row(r, i);
	}
	for (j = 0; j < nnames; j++) {
		i = find_info(r, names[j]);
		if (i == SIZE_MAX)
			continue;	/* gone since */
		target = cli_alias_of(&r->infos[i]);
		k = target ? find_info(r, target) : SIZE_MAX;
		add_row(r, k != SIZE_MAX ? k : i);
	}
	return 0;
}

void cli_free_rows(struct heap_rows *r)
{
	dmaheap_list_free(r->infos, r->n);
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

static int run_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, bytes = false;
	struct heap_rows r;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+jbh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'b':
			bytes = true;
			break;
		case 'h':
			fputs(list_help, stdout);
			return EXIT_OK;
		default:
			return cli_usage(&verb_list, "bad option");
		}
	}
	rc = cli_read_rows(cli, argv + optind, argc - optind, &r);
	if (rc)
		return rc;
	if (json)
		cli_print_json(stdout, &r, cli->dev_dir);
	else if (r.nrows == 0)
		printf("No DMA-BUF heaps in %s (are the dmaheap modules loaded?)\n",
		       cli->dev_dir);
	else
		print_table(&r, bytes);
	cli_free_rows(&r);
	return EXIT_OK;
}

const struct verb verb_list = { "list", list_help, run_list };
