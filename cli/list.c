// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap list: heaps with their properties and live statistics.
 */
#include <errno.h>
#include <getopt.h>
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
"statistics).\n"
"\n"
"Options:\n"
"  -j, --json   print JSON for scripts instead of the table; unknown\n"
"               values are null, sizes are in bytes\n"
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

void cli_print_json(FILE *f, const struct dmaheap_info *infos, size_t n,
		    const char *dev_dir)
{
	char node[4096];
	size_t i, p;

	fputs("{\n  \"heaps\": [", f);
	for (i = 0; i < n; i++) {
		const struct dmaheap_info *in = &infos[i];

		fputs(i ? ",\n    {\n" : "\n    {\n", f);
		fputs("      \"name\": ", f);
		cli_json_string(f, in->name);
		snprintf(node, sizeof(node), "%s/%s", dev_dir, in->name);
		fputs(",\n      \"node\": ", f);
		cli_json_string(f, node);
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
		fputs(",\n      \"properties\": {", f);
		for (p = 0; p < in->nprops; p++) {
			fputs(p ? ", " : "", f);
			cli_json_string(f, in->props[p].key);
			fputs(": ", f);
			cli_json_string(f, in->props[p].value);
		}
		fputs("}\n    }", f);
	}
	fputs(n ? "\n  ]\n}\n" : "]\n}\n", f);
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

static char *props_cell(const struct dmaheap_info *in)
{
	size_t len = 1, i;
	char *s;

	for (i = 0; i < in->nprops; i++)
		len += strlen(in->props[i].key) + strlen(in->props[i].value) + 3;
	s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < in->nprops; i++) {
		if (i)
			strcat(s, ", ");
		strcat(s, in->props[i].key);
		strcat(s, "=");
		strcat(s, in->props[i].value);
	}
	return s;
}

static void print_table(const struct dmaheap_info *infos, size_t n, bool bytes)
{
	static const char *const head[] = {
		"HEAP", "MEMORY", "LAYOUT", "BUFFERS", "IN USE", "PEAK", "CAP",
		"PROPERTIES",
	};
	char b[5][32];
	struct table t;
	size_t i;

	table_init(&t, ARRAY_SIZE(head), head, 0x78);
	for (i = 0; i < n; i++) {
		const struct dmaheap_info *in = &infos[i];
		char *props = props_cell(in);

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
			  props && *props ? props : "-");
		free(props);
	}
	table_print(&t, stdout);
	table_free(&t);
}

/*
 * Read the heaps to show: all of them, or those in @names (in that order).
 * Returns 0 or an exit status after saying what went wrong.
 */
int cli_read_heaps(struct cli *cli, char **names, int nnames,
		   struct dmaheap_info **infop, size_t *np)
{
	struct dmaheap_info *infos;
	int i, err;

	if (nnames == 0) {
		err = dmaheap_list(cli->ctx, infop, np);
		if (err) {
			cli_err("cannot read the heaps in %s: %s", cli->dev_dir,
				strerror(-err));
			return EXIT_FAIL;
		}
		return 0;
	}
	infos = calloc((size_t)nnames, sizeof(*infos));
	if (!infos) {
		cli_err("out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; i < nnames; i++) {
		err = dmaheap_heap_info(cli->ctx, names[i], &infos[i]);
		if (err) {
			dmaheap_list_free(infos, (size_t)i);
			if (err == -EINVAL) {
				cli_err("'%s' is not a valid heap name", names[i]);
				return EXIT_USAGE;
			}
			return cli_heap_error(cli, names[i], "", 0, err);
		}
	}
	*infop = infos;
	*np = (size_t)nnames;
	return 0;
}

static int run_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dmaheap_info *infos = NULL;
	bool json = false, bytes = false;
	size_t n = 0;
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
	rc = cli_read_heaps(cli, argv + optind, argc - optind, &infos, &n);
	if (rc)
		return rc;
	if (json)
		cli_print_json(stdout, infos, n, cli->dev_dir);
	else if (n == 0)
		printf("No DMA-BUF heaps in %s (are the dmaheap modules loaded?)\n",
		       cli->dev_dir);
	else
		print_table(infos, n, bytes);
	dmaheap_list_free(infos, n);
	return EXIT_OK;
}

const struct verb verb_list = { "list", list_help, run_list };
