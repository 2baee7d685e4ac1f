// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap command: parsing, formatting and error messages in plain words.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("dmaheap: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage(const struct verb *v, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("dmaheap: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'dmaheap %s%s--help' for usage.\n",
		v ? v->name : "", v ? " " : "");
	return EXIT_USAGE;
}

/* A whole unsigned number, decimal or 0x hex; *end is where it stopped. */
static int parse_num(const char *s, unsigned long long *v, char **end)
{
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, end, 0);
	return errno ? -errno : 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v, mult = 1;
	char *end;
	int err;

	err = parse_num(s, &v, &end);
	if (err)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': mult = 1ULL << 10; end++; break;
	case 'm': case 'M': mult = 1ULL << 20; end++; break;
	case 'g': case 'G': mult = 1ULL << 30; end++; break;
	case 't': case 'T': mult = 1ULL << 40; end++; break;
	}
	/* Accept "4K", "4KB" and "4KiB" alike; all mean 4096. */
	if (mult > 1 && (!strcmp(end, "iB") || !strcmp(end, "B")))
		end += strlen(end);
	else if (mult == 1 && !strcmp(end, "B"))
		end++;
	if (*end)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int cli_parse_byte(const char *s, int *out)
{
	unsigned long long v;
	char *end;

	if (parse_num(s, &v, &end) || *end || v > 255)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int cli_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long long v;
	char *end;

	if (parse_num(s, &v, &end) || *end || v > max)
		return -EINVAL;
	*out = (unsigned long)v;
	return 0;
}

int cli_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || v > 1e6)
		return -EINVAL;
	*out = v;
	return 0;
}

const char *cli_fmt_size(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	uint64_t unit = 1ULL << 40;
	int i;

	for (i = 3; i >= 0; i--, unit >>= 10) {
		if (bytes < unit)
			continue;
		if (bytes % unit == 0)
			snprintf(buf, size, "%llu %s",
				 (unsigned long long)(bytes / unit), units[i]);
		else
			snprintf(buf, size, "%.1f %s", (double)bytes / (double)unit,
				 units[i]);
		return buf;
	}
	if (bytes == 0)
		snprintf(buf, size, "0");
	else
		snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
	return buf;
}

const char *cli_errname(int err)
{
	const char *name = strerrorname_np(err < 0 ? -err : err);

	return name ? name : "unknown error";
}

int cli_exit_for(int err)
{
	switch (err < 0 ? -err : err) {
	case ENOENT:
		return EXIT_NOHEAP;
	case ENOMEM:
	case EDQUOT:
		return EXIT_NOMEM;
	case EACCES:
	case EPERM:
		return EXIT_PERM;
	default:
		return EXIT_FAIL;
	}
}

/* "a, b, c" of the heaps there are, or "" */
void cli_heap_names(struct cli *cli, char *buf, size_t size)
{
	struct dmaheap_info *infos;
	size_t n, i, len = 0;

	buf[0] = '\0';
	if (dmaheap_list(cli->ctx, &infos, &n))
		return;
	for (i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i ? ", " : "", infos[i].name);
	dmaheap_list_free(infos, n);
}

/* Say why an allocation of @len bytes was refused: the cap, or memory. */
static void explain_nomem(struct cli *cli, const char *name, uint64_t len,
			  const char *what)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t alen = (len + page - 1) / page * page;
	char s_len[32], s_cap[32], s_used[32];
	struct dmaheap_info info;

	cli_fmt_size(len, s_len, sizeof(s_len));
	if (dmaheap_heap_info(cli->ctx, name, &info) ||
	    !(info.known & DMAHEAP_KNOWN_LIMIT_BYTES)) {
		cli_err("heap '%s' %s %s: not enough memory, or over a limit (ENOMEM)",
			name, what, s_len);
		return;
	}
	cli_fmt_size(info.limit_bytes, s_cap, sizeof(s_cap));
	if (!strcmp(s_len, s_cap) && len != info.limit_bytes) {
		/* Rounded alike ("479.2 MiB" both): show the exact numbers. */
		snprintf(s_len, sizeof(s_len), "%llu bytes", (unsigned long long)len);
		snprintf(s_cap, sizeof(s_cap), "%llu-byte", (unsigned long long)info.limit_bytes);
	}
	if (alen > info.limit_bytes)
		cli_err("heap '%s' %s %s: over its %s cap (ENOMEM)",
			name, what, s_len, s_cap);
	else if ((info.known & DMAHEAP_KNOWN_BYTES) &&
		 info.bytes + alen > info.limit_bytes)
		cli_err("heap '%s' %s %s: over its %s cap, with %s already in use (ENOMEM)",
			name, what, s_len, s_cap,
			cli_fmt_size(info.bytes, s_used, sizeof(s_used)));
	else
		cli_err("heap '%s' %s %s: not enough free memory (ENOMEM)",
			name, what, s_len);
	dmaheap_info_clear(&info);
}

/* Say why an allocation of @len bytes was refused for the user's quota. */
static void explain_quota(struct cli *cli, const char *name, uint64_t len,
			  const char *what)
{
	char s_len[32], s_quota[32], s_used[32];
	struct dmaheap_user_usage usage;
	struct dmaheap_limits limits;

	cli_fmt_size(len, s_len, sizeof(s_len));
	if (dmaheap_limits(cli->ctx, &limits) ||
	    !(limits.known & DMAHEAP_LIMITS_USER_QUOTA)) {
		cli_err("heap '%s' %s %s: over your quota (EDQUOT)", name, what, s_len);
		return;
	}
	cli_fmt_size(limits.user_quota_bytes, s_quota, sizeof(s_quota));
	if (dmaheap_user_usage(cli->ctx, geteuid(), &usage) ||
	    !(usage.known & DMAHEAP_USAGE_BYTES) || usage.bytes == 0)
		cli_err("heap '%s' %s %s: over the %s each user may hold over all "
			"heaps (EDQUOT)", name, what, s_len, s_quota);
	else
		cli_err("heap '%s' %s %s: over the %s each user may hold over all "
			"heaps, with %s already held by uid %u (EDQUOT; see 'dmaheap users')",
			name, what, s_len, s_quota,
			cli_fmt_size(usage.bytes, s_used, sizeof(s_used)),
			(unsigned int)geteuid());
}

int cli_heap_error(struct cli *cli, const char *name, const char *what,
		   uint64_t len, int err)
{
	char names[512], s_len[32];

	/* Not about an allocation: the plain reason is all there is to say. */
	if (!*what && err != -ENOENT && err != -EACCES && err != -EPERM) {
		cli_err("heap '%s': %s (%s)", name, strerror(-err), cli_errname(err));
		return cli_exit_for(err);
	}
	switch (-err) {
	case ENOMEM:
		explain_nomem(cli, name, len, what);
		break;
	case ENOENT:
		cli_heap_names(cli, names, sizeof(names));
		if (names[0])
			cli_err("no heap named '%s' (heaps here: %s)", name, names);
		else
			cli_err("no heap named '%s': there are no DMA-BUF heaps "
				"(%s is missing or empty; are the dmaheap modules loaded?)",
				name, cli->dev_dir);
		break;
	case EACCES:
	case EPERM:
		cli_err("heap '%s': permission denied opening %s/%s "
			"(heap nodes are root-only unless udev rules say otherwise) (%s)",
			name, cli->dev_dir, name, cli_errname(err));
		break;
	case EDQUOT:
		explain_quota(cli, name, len, what);
		break;
	case ENODEV:
		cli_err("heap '%s' is not usable: %s/%s is not a heap device, "
			"or the heap was unregistered (ENODEV)", name, cli->dev_dir, name);
		break;
	case ENOTTY:
		cli_err("heap '%s' refused %s: %s/%s does not answer the heap ioctl; "
			"it is not a DMA-BUF heap (ENOTTY)", name,
			cli_fmt_size(len, s_len, sizeof(s_len)), cli->dev_dir, name);
		break;
	case EINVAL:
		cli_err("heap '%s' %s %s: the heap called the request invalid (EINVAL)",
			name, what, cli_fmt_size(len, s_len, sizeof(s_len)));
		break;
	default:
		cli_err("heap '%s' %s %s: %s (%s)", name, what,
			cli_fmt_size(len, s_len, sizeof(s_len)), strerror(-err),
			cli_errname(err));
		break;
	}
	return cli_exit_for(err);
}

void cli_json_string(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void cli_sleep(double seconds)
{
	struct timespec ts;

	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts))
		;
}

int cli_watch_arg(int argc, char **argv, const char *arg, double *interval)
{
	/* --watch=S, -wS, or --watch S when the next word is a number. */
	if (!arg && optind < argc && !cli_parse_seconds(argv[optind], interval)) {
		arg = argv[optind++];
	}
	if (arg && (cli_parse_seconds(arg, interval) || *interval < 0.05))
		return -EINVAL;
	return 0;
}

int cli_view_opts(const struct verb *v, int argc, char **argv,
		  struct cli_view_opts *o)
{
	static const struct option opts[] = {
		{ "watch", optional_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct cli_view_opts){ .interval = 1.0 };
	while ((c = getopt_long(argc, argv, "+w::i:n:jbh", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (cli_watch_arg(argc, argv, optarg, &o->interval))
				return cli_usage(v, "bad interval '%s' (seconds, at least 0.05)",
						 optarg ? optarg : argv[optind - 1]);
			o->watching = true;
			break;
		case 'i':
			if (cli_parse_seconds(optarg, &o->interval) ||
			    o->interval < 0.05)
				return cli_usage(v, "bad interval '%s' (seconds, at least 0.05)",
						 optarg);
			break;
		case 'n':
			if (cli_parse_uint(optarg, 1000000000UL, &o->count) ||
			    o->count == 0)
				return cli_usage(v, "bad count '%s'", optarg);
			o->watching = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'b':
			o->bytes = true;
			break;
		case 'h':
			fputs(v->help, stdout);
			return EXIT_OK;
		default:
			return cli_usage(v, "bad option");
		}
	}
	if (o->json && o->watching)
		return cli_usage(v, "--json takes one snapshot; it does not go with --watch");
	return -1;
}

void cli_watch_frame(const char *verb, unsigned long frame, double interval)
{
	bool tty = isatty(STDOUT_FILENO);
	char clock[16];
	time_t wall;

	wall = time(NULL);
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&wall));
	if (tty)
		fputs("\033[H\033[2J", stdout);
	else if (frame)
		putchar('\n');
	printf("dmaheap %s  %s  every %.1f s%s\n\n", verb, clock, interval,
	       tty ? "  (Ctrl-C to quit)" : "");
}

/* The name of user @uid from /etc/passwd, or NULL. */
const char *cli_user_name(uid_t uid, char *buf, size_t size)
{
	char line[1024], *name, *field, *end;
	const char *found = NULL;
	unsigned long v;
	FILE *f;

	f = fopen("/etc/passwd", "re");
	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		name = line;
		field = strchr(name, ':');
		if (!field)
			continue;
		*field++ = '\0';
		field = strchr(field, ':');	/* past the password */
		if (!field)
			continue;
		field++;
		errno = 0;
		v = strtoul(field, &end, 10);
		if (errno || end == field || *end != ':' || v != (unsigned long)uid)
			continue;
		snprintf(buf, size, "%s", name);
		found = buf;
	}
	fclose(f);
	return found;
}

double cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
