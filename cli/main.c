// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap: allocate and inspect DMA-BUF heap buffers.
 *
 * Verb-based: "dmaheap VERB [OPTIONS]".  Every verb has its own --help; the
 * man page is generated from these texts (cli/gen-man.sh).  Started as
 * "dmaheap-bench", the program runs the bench verb.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef DMAHEAP_VERSION
#define DMAHEAP_VERSION "unknown"
#endif

static const struct verb *const verbs[] = {
	&verb_list, &verb_alloc, &verb_stat, &verb_top, &verb_users, &verb_bench,
};

static const char main_help[] =
"Usage: dmaheap [--help] [--version] COMMAND [OPTIONS] [ARGS]\n"
"\n"
"Allocate and inspect buffers of the DMA-BUF heaps in /dev/dma_heap: list\n"
"the heaps with their statistics, allocate a buffer and hand it to another\n"
"program, watch the statistics change, see which processes and users hold\n"
"the buffers, and measure allocation speed.\n"
"\n"
"Commands:\n"
"  list      heaps with their properties and live statistics\n"
"  alloc     allocate a buffer, fill it, hold it or hand it to a command\n"
"  stat      per-heap statistics, once or refreshed in place\n"
"  top       which processes hold how much of which heap\n"
"  users     what each user holds, the user quota and the global budget\n"
"  bench     allocation latency per heap and size, beside memset\n"
"  help      show the help of a command\n"
"\n"
"Run 'dmaheap COMMAND --help' for the options of each command.\n"
"\n"
"Environment:\n"
"  DMAHEAP_DEV_DIR    where the heap nodes are (default /dev/dma_heap)\n"
"  DMAHEAP_SYSFS_DIR  where the heap statistics are (default\n"
"                     /sys/class/dmaheap); the core's limits and usage per\n"
"                     user are read two levels up from it (/sys)\n"
"  DMAHEAP_PROC_DIR   where the processes are, for top (default /proc)\n"
"  DMAHEAP_BUFINFO    the kernel's dma-buf debug file, for top (default\n"
"                     /sys/kernel/debug/dma_buf/bufinfo)\n"
"\n"
"Exit status:\n"
"  0  success\n"
"  1  a failure not listed below\n"
"  2  usage error: unknown command or option, malformed number or size\n"
"  3  no such heap, or no heaps at all\n"
"  4  the heap refused the allocation: over its cap, the global budget or\n"
"     the user's quota (EDQUOT), or out of memory\n"
"  5  permission denied\n"
"  6  alloc --check found bytes that differ\n"
"  With alloc --exec, the exit status is the command's own (128+N when\n"
"  signal N killed it), unless dmaheap fails or --check finds a mismatch.\n";

static const struct verb *find_verb(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		if (!strcmp(verbs[i]->name, name))
			return verbs[i];
	return NULL;
}

static int run_verb(const struct verb *v, int argc, char **argv)
{
	struct cli cli = { "dmaheap", NULL, NULL };
	const char *dev = getenv("DMAHEAP_DEV_DIR");
	const char *sys = getenv("DMAHEAP_SYSFS_DIR");
	int err, rc;

	if (dev && !*dev)
		dev = NULL;
	if (sys && !*sys)
		sys = NULL;
	cli.dev_dir = dev ? dev : DMAHEAP_DEFAULT_DEV_DIR;
	err = dmaheap_ctx_new_at(&cli.ctx, dev, sys);
	if (err) {
		cli_err("cannot start: %s", strerror(-err));
		return EXIT_FAIL;
	}
	rc = v->run(&cli, argc, argv);
	dmaheap_ctx_free(cli.ctx);
	if (fflush(stdout) && rc == EXIT_OK) {
		cli_err("writing output: %s", strerror(errno));
		rc = EXIT_FAIL;
	}
	return rc;
}

static int help(int argc, char **argv)
{
	const struct verb *v;

	if (argc < 2) {
		fputs(main_help, stdout);
		return EXIT_OK;
	}
	v = find_verb(argv[1]);
	if (!v)
		return cli_usage(NULL, "no command named '%s'", argv[1]);
	fputs(v->help, stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	const struct verb *v;

	base = base ? base + 1 : argv[0];
	if (!strcmp(base, "dmaheap-bench"))
		return run_verb(&verb_bench, argc, argv);

	if (argc < 2) {
		fputs(main_help, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return help(1, argv);
	if (!strcmp(argv[1], "help"))
		return help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("dmaheap %s\n", DMAHEAP_VERSION);
		return EXIT_OK;
	}
	if (argv[1][0] == '-')
		return cli_usage(NULL, "unknown option '%s'", argv[1]);
	v = find_verb(argv[1]);
	if (!v)
		return cli_usage(NULL, "no command named '%s'", argv[1]);
	return run_verb(v, argc - 1, argv + 1);
}
