// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap users: what each user holds over every heap, the user quota and
 * the global budget.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char users_help[] =
"Usage: dmaheap users [--json] [--bytes] [USER...]\n"
"\n"
"Show the global budget over every heap but carveouts and how much of it\n"
"is used, the quota each user may hold over every heap, and whether\n"
"buffers are charged to memory cgroups; then, per user, the live buffers\n"
"and bytes it allocated (they stay charged to it whoever holds them now),\n"
"the share of its quota they use, and how many of its requests the quota\n"
"refused (EDQUOT).  Every user that allocated since the dmaheap core was\n"
"loaded is shown, or the users named (a uid or a name from /etc/passwd).\n"
"Root is exempt from the quota, and so are tasks of any user that have\n"
"CAP_SYS_ADMIN.  Any user may run this.\n"
"\n"
"Options:\n"
"  -j, --json   print JSON for scripts instead of the table; sizes are in\n"
"               bytes, unknown values are null\n"
"  -b, --bytes  print sizes in bytes instead of KiB, MiB, GiB\n"
"  -h, --help   show this help\n"
"\n"
"Exit status:\n"
"  3  the dmaheap core keeps no usage per user (not loaded, or too old)\n"
"\n"
"Examples:\n"
"  dmaheap users\n"
"  dmaheap users --json $(id -u)\n";

static const char *fmt_size(uint64_t v, bool bytes, char *buf, size_t size)
{
	if (bytes)
		snprintf(buf, size, "%llu", (unsigned long long)v);
	else
		cli_fmt_size(v, buf, size);
	return buf;
}

static const char *num_cell(unsigned int known, unsigned int bit, uint64_t v,
			    char *buf, size_t size)
{
	if (!(known & bit))
		return "-";
	snprintf(buf, size, "%llu", (unsigned long long)v);
	return buf;
}

/* A uid, or a user name from /etc/passwd. */
static int parse_user(const char *s, uid_t *uid)
{
	char line[1024], *end, *field;
	unsigned long v;
	FILE *f;

	if (!cli_parse_uint(s, (uid_t)-1 - 1, &v)) {
		*uid = (uid_t)v;
		return 0;
	}
	f = fopen("/etc/passwd", "re");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		field = strchr(line, ':');
		if (!field || (size_t)(field - line) != strlen(s) ||
		    strncmp(line, s, strlen(s)))
			continue;
		field = strchr(field + 1, ':');
		if (!field)
			continue;
		errno = 0;
		v = strtoul(field + 1, &end, 10);
		if (errno || end == field + 1 || *end != ':')
			continue;
		fclose(f);
		*uid = (uid_t)v;
		return 0;
	}
	fclose(f);
	return -ENOENT;
}

static void print_json(const struct dmaheap_limits *lim,
		       const struct dmaheap_user_usage *u, size_t n)
{
	char name[256];
	size_t i;

	fputs("{\n", stdout);
#define LIMIT(key, bit, val) do {					\
	if (lim->known & (bit))						\
		printf("  \"%s\": %llu,\n", key, (unsigned long long)(val)); \
	else								\
		printf("  \"%s\": null,\n", key);			\
} while (0)
	LIMIT("budget_bytes", DMAHEAP_LIMITS_BUDGET_BYTES, lim->budget_bytes);
	LIMIT("budget_used_bytes", DMAHEAP_LIMITS_BUDGET_USED, lim->budget_used);
	LIMIT("user_quota_bytes", DMAHEAP_LIMITS_USER_QUOTA, lim->user_quota_bytes);
#undef LIMIT
	printf("  \"memcg_charge\": %s,\n",
	       !(lim->known & DMAHEAP_LIMITS_MEMCG_CHARGE) ? "null" :
	       lim->memcg_charge ? "true" : "false");
	fputs("  \"users\": [", stdout);
	for (i = 0; i < n; i++) {
		printf("%s\n    {\"uid\": %u, \"user\": ", i ? "," : "",
		       (unsigned int)u[i].uid);
		if (cli_user_name(u[i].uid, name, sizeof(name)))
			cli_json_string(stdout, name);
		else
			fputs("null", stdout);
#define FIELD(key, bit, val) do {					\
	if (u[i].known & (bit))						\
		printf(", \"%s\": %llu", key, (unsigned long long)(val)); \
	else								\
		printf(", \"%s\": null", key);				\
} while (0)
		FIELD("buffers", DMAHEAP_USAGE_BUFFERS, u[i].buffers);
		FIELD("bytes", DMAHEAP_USAGE_BYTES, u[i].bytes);
		FIELD("failed_allocs", DMAHEAP_USAGE_FAILED_ALLOCS, u[i].failed_allocs);
#undef FIELD
		printf(", \"exempt\": %s", u[i].uid == 0 ? "true" : "false");
		if (u[i].uid != 0 && (lim->known & DMAHEAP_LIMITS_USER_QUOTA))
			printf(", \"quota_bytes\": %llu}",
			       (unsigned long long)lim->user_quota_bytes);
		else
			fputs(", \"quota_bytes\": null}", stdout);
	}
	fputs(n ? "\n  ]\n}\n" : "]\n}\n", stdout);
}

static void print_limits(const struct dmaheap_limits *lim, bool bytes)
{
	char a[32], b[32];

	if ((lim->known & DMAHEAP_LIMITS_BUDGET_BYTES) &&
	    (lim->known & DMAHEAP_LIMITS_BUDGET_USED))
		printf("Budget: %s of %s in use (%.1f%%), over every heap but carveouts\n",
		       fmt_size(lim->budget_used, bytes, a, sizeof(a)),
		       fmt_size(lim->budget_bytes, bytes, b, sizeof(b)),
		       lim->budget_bytes ?
		       100.0 * (double)lim->budget_used / (double)lim->budget_bytes : 100.0);
	else if (lim->known & DMAHEAP_LIMITS_BUDGET_BYTES)
		printf("Budget: %s, over every heap but carveouts\n",
		       fmt_size(lim->budget_bytes, bytes, a, sizeof(a)));
	if (lim->known & DMAHEAP_LIMITS_USER_QUOTA)
		printf("Quota: %s per user over every heap (root and CAP_SYS_ADMIN exempt)\n",
		       fmt_size(lim->user_quota_bytes, bytes, a, sizeof(a)));
	if (lim->known & DMAHEAP_LIMITS_MEMCG_CHARGE)
		printf("Memory cgroup charging: %s\n", lim->memcg_charge ? "on" : "off");
}

static void print_table(const struct dmaheap_limits *lim,
			const struct dmaheap_user_usage *u, size_t n, bool bytes)
{
	static const char *const head[] = {
		"UID", "USER", "BUFFERS", "IN USE", "QUOTA", "USED", "FAILED",
	};
	bool quota = lim->known & DMAHEAP_LIMITS_USER_QUOTA;
	char b[6][32], name[256];
	struct table t;
	size_t i;

	table_init(&t, ARRAY_SIZE(head), head, 0x7c);
	for (i = 0; i < n; i++) {
		bool exempt = u[i].uid == 0;
		bool used = quota && !exempt && (u[i].known & DMAHEAP_USAGE_BYTES) &&
			    lim->user_quota_bytes;

		snprintf(b[0], 32, "%u", (unsigned int)u[i].uid);
		if (used)
			snprintf(b[4], 32, "%.1f%%", 100.0 * (double)u[i].bytes /
				 (double)lim->user_quota_bytes);
		table_add(&t, b[0],
			  cli_user_name(u[i].uid, name, sizeof(name)) ?: "-",
			  num_cell(u[i].known, DMAHEAP_USAGE_BUFFERS, u[i].buffers, b[1], 32),
			  !(u[i].known & DMAHEAP_USAGE_BYTES) ? "-" :
			  fmt_size(u[i].bytes, bytes, b[2], 32),
			  exempt ? "exempt" : !quota ? "-" :
			  fmt_size(lim->user_quota_bytes, bytes, b[3], 32),
			  used ? b[4] : "-",
			  num_cell(u[i].known, DMAHEAP_USAGE_FAILED_ALLOCS,
				   u[i].failed_allocs, b[5], 32));
	}
	table_print(&t, stdout);
	table_free(&t);
}

static int run_users(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dmaheap_user_usage *users = NULL;
	bool json = false, bytes = false;
	struct dmaheap_limits lim;
	size_t n = 0;
	int c, i, err = 0;

	while ((c = getopt_long(argc, argv, "+jbh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'b':
			bytes = true;
			break;
		case 'h':
			fputs(users_help, stdout);
			return EXIT_OK;
		default:
			return cli_usage(&verb_users, "bad option");
		}
	}
	if (optind < argc) {
		n = (size_t)(argc - optind);
		users = calloc(n, sizeof(*users));
		if (!users) {
			cli_err("out of memory");
			return EXIT_FAIL;
		}
		for (i = optind; i < argc; i++) {
			uid_t uid;

			if (parse_user(argv[i], &uid)) {
				free(users);
				return cli_usage(&verb_users, "no user '%s' (a uid, or a "
						 "name in /etc/passwd)", argv[i]);
			}
			err = dmaheap_user_usage(cli->ctx, uid, &users[i - optind]);
			if (err)
				break;
		}
	} else {
		err = dmaheap_users(cli->ctx, &users, &n);
	}
	if (!err)
		err = dmaheap_limits(cli->ctx, &lim);
	if (err) {
		free(users);
		if (err == -ENOENT) {
			cli_err("the dmaheap core keeps no usage per user here "
				"(no /sys/kernel/dmaheap/users: are the dmaheap modules loaded?)");
			return EXIT_NOHEAP;
		}
		cli_err("cannot read the usage per user: %s", strerror(-err));
		return EXIT_FAIL;
	}
	if (json) {
		print_json(&lim, users, n);
	} else {
		print_limits(&lim, bytes);
		putchar('\n');
		if (n)
			print_table(&lim, users, n, bytes);
		else
			printf("No user holds or held a buffer since the core was loaded.\n");
	}
	free(users);
	return EXIT_OK;
}

const struct verb verb_users = { "users", users_help, run_users };
