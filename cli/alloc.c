// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap alloc: allocate a buffer, fill it, hold it or hand it to a command.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define MAX_NAMES	16
#define MAX_FD		1023

static const char alloc_help[] =
"Usage: dmaheap alloc [OPTIONS] NAME[/NAME...] SIZE\n"
"\n"
"Allocate SIZE bytes from heap NAME and hold the buffer: until interrupted,\n"
"for --hold seconds, or while --exec runs a command that inherits the\n"
"buffer's fd.  With several names separated by '/', the first heap that\n"
"exists is used (a camera might ask for linux,cma/reserved/system).  SIZE\n"
"is a number of bytes with an optional K, M, G or T suffix (powers of\n"
"1024: 64K, 1M, 2G); the kernel rounds it up to whole pages.\n"
"\n"
"Options:\n"
"  -f, --fill BYTE       fill the buffer with BYTE (0-255, or 0x00-0xff)\n"
"  -N, --name NAME       give the buffer a debug name (at most 31 bytes),\n"
"                        shown in /proc/PID/fdinfo\n"
"  -r, --read-only       ask for a read-only fd (default: read-write)\n"
"  -e, --exec CMD        run CMD with /bin/sh -c while holding the buffer;\n"
"                        the fd is inherited and $DMAHEAP_FD holds its\n"
"                        number, $DMAHEAP_SIZE the buffer size in bytes and\n"
"                        $DMAHEAP_HEAP the heap name\n"
"      --fd N            in the command, put the buffer at fd N (3-1023)\n"
"  -t, --hold SECONDS    hold the buffer that long (fractions allowed), then\n"
"                        release it; the default is to wait for Ctrl-C or\n"
"                        SIGTERM, or not at all with --exec\n"
"  -c, --check BYTE      before releasing, check that every byte is BYTE\n"
"                        (for example what the command wrote); exit 6 if not\n"
"  -q, --quiet           say nothing unless something fails\n"
"  -h, --help            show this help\n"
"\n"
"Examples:\n"
"  dmaheap alloc system 64M\n"
"  dmaheap alloc --fill 0xab --hold 10 system-uncached 1M\n"
"  dmaheap alloc --exec 'my-player --dmabuf-fd $DMAHEAP_FD' system 8M\n"
"  dmaheap alloc --fill 0 --exec 'my-writer $DMAHEAP_FD' --check 0x5a system 4K\n";

struct alloc_opts {
	int fill;			/* -1: none */
	int check;			/* -1: none */
	const char *name;
	const char *exec;
	int exec_fd;			/* -1: wherever the fd is */
	double hold;			/* < 0: default */
	bool read_only;
	bool quiet;
};

static void say(const struct alloc_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(const struct alloc_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o->quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* Map the buffer, then fill it with @byte or count the bytes that differ. */
static int touch(int fd, bool write, int byte, size_t *bad, size_t *first)
{
	unsigned int access = write ? DMAHEAP_ACCESS_WRITE : DMAHEAP_ACCESS_READ;
	unsigned char *p;
	size_t len, i;
	int err;

	err = dmaheap_buf_map(fd, write ? PROT_READ | PROT_WRITE : PROT_READ,
			      (void **)&p, &len);
	if (err)
		return err;
	err = dmaheap_buf_begin(fd, access);
	if (err)
		goto unmap;
	if (write) {
		memset(p, byte, len);
	} else {
		*bad = 0;
		for (i = 0; i < len; i++) {
			if (p[i] != (unsigned char)byte && (*bad)++ == 0)
				*first = i;
		}
	}
	err = dmaheap_buf_end(fd, access);
unmap:
	dmaheap_buf_unmap(p, len);
	return err;
}

/* Run the command with the buffer; returns its exit status in our terms. */
static int run_command(const struct alloc_opts *o, int fd, const char *heap,
		       size_t size)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	char num[32];
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		cli_err("cannot start '%s': %s", o->exec, strerror(errno));
		return EXIT_FAIL;
	}
	if (pid == 0) {
		int child_fd = fd;

		if (o->exec_fd >= 0 && o->exec_fd != fd) {
			if (dup2(fd, o->exec_fd) < 0) {
				perror("dmaheap: dup2");
				_exit(127);
			}
			close(fd);
			child_fd = o->exec_fd;
		}
		/* The fd was allocated close-on-exec; let this exec keep it. */
		fcntl(child_fd, F_SETFD, 0);
		snprintf(num, sizeof(num), "%d", child_fd);
		setenv("DMAHEAP_FD", num, 1);
		snprintf(num, sizeof(num), "%zu", size);
		setenv("DMAHEAP_SIZE", num, 1);
		setenv("DMAHEAP_HEAP", heap, 1);
		execl("/bin/sh", "sh", "-c", o->exec, (char *)NULL);
		fprintf(stderr, "dmaheap: cannot run /bin/sh: %s\n", strerror(errno));
		_exit(127);
	}

	/* Like system(): the command gets Ctrl-C, we wait for it. */
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = 127 << 8;
			break;
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);

	if (WIFSIGNALED(status)) {
		say(o, "The command was killed by signal %d (%s).\n",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
		return 128 + WTERMSIG(status);
	}
	say(o, "The command exited with status %d.\n", WEXITSTATUS(status));
	return WEXITSTATUS(status);
}

/* Wait for @seconds (< 0: forever) or until SIGINT, SIGTERM or SIGHUP. */
static void hold(const struct alloc_opts *o, double seconds)
{
	struct timespec ts;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (seconds < 0) {
		say(o, "Holding it; press Ctrl-C (or send SIGTERM to %d) to release it.\n",
		    (int)getpid());
		while (sigwait(&set, &sig))
			;
	} else {
		if (seconds > 0)
			say(o, "Holding it for %g s.\n", seconds);
		ts.tv_sec = (time_t)seconds;
		ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
		while ((sig = sigtimedwait(&set, NULL, &ts)) < 0 && errno == EINTR)
			;
	}
	if (sig > 0)
		say(o, "Got %s.\n", strsignal(sig));
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* Split "a/b/c" into names; returns the count, or -1 if malformed. */
static int split_names(char *list, const char **names)
{
	int n = 0;
	char *save = NULL, *tok;

	if (list[0] == '/' || list[strlen(list) - 1] == '/' || strstr(list, "//"))
		return -1;
	for (tok = strtok_r(list, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (n == MAX_NAMES)
			return -1;
		names[n++] = tok;
	}
	names[n] = NULL;
	return n;
}

static int open_heap(struct cli *cli, const char *const *names, int n,
		     uint64_t size, const char **chosen)
{
	char list[MAX_NAMES * (DMAHEAP_NAME_MAX + 4)], here[512];
	size_t idx, len = 0;
	int fd, i;

	if (n == 1) {
		fd = dmaheap_open(cli->ctx, names[0]);
		if (fd == -EINVAL)
			return cli_usage(&verb_alloc, "'%s' is not a valid heap name",
					 names[0]);
		if (fd < 0)
			return cli_heap_error(cli, names[0], "refused", size, fd);
		*chosen = names[0];
		return 0;
	}
	fd = dmaheap_open_first(cli->ctx, names, &idx);
	if (fd >= 0) {
		*chosen = names[idx];
		return 0;
	}
	if (fd == -EINVAL)
		return cli_usage(&verb_alloc, "a heap name in the list is not valid");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s'%s'",
					i ? ", " : "", names[i]);
	cli_heap_names(cli, here, sizeof(here));
	if (fd == -ENOENT && here[0])
		cli_err("none of the heaps %s exists (heaps here: %s)", list, here);
	else if (fd == -ENOENT)
		cli_err("none of the heaps %s exists: there are no DMA-BUF heaps "
			"(%s is missing or empty; are the dmaheap modules loaded?)",
			list, cli->dev_dir);
	else
		cli_err("none of the heaps %s could be opened: %s (%s)", list,
			strerror(-fd), cli_errname(fd));
	return cli_exit_for(fd);
}

static int parse_opts(int argc, char **argv, struct alloc_opts *o)
{
	static const struct option opts[] = {
		{ "fill", required_argument, NULL, 'f' },
		{ "name", required_argument, NULL, 'N' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "exec", required_argument, NULL, 'e' },
		{ "fd", required_argument, NULL, 'F' },
		{ "hold", required_argument, NULL, 't' },
		{ "check", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	*o = (struct alloc_opts){ .fill = -1, .check = -1, .exec_fd = -1, .hold = -1 };
	while ((c = getopt_long(argc, argv, "+f:N:re:t:c:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cli_parse_byte(optarg, &o->fill))
				return cli_usage(&verb_alloc, "bad fill byte '%s'", optarg);
			break;
		case 'c':
			if (cli_parse_byte(optarg, &o->check))
				return cli_usage(&verb_alloc, "bad check byte '%s'", optarg);
			break;
		case 'N':
			if (strlen(optarg) > DMAHEAP_BUF_NAME_MAX)
				return cli_usage(&verb_alloc,
						 "buffer name '%s' is longer than %d bytes",
						 optarg, DMAHEAP_BUF_NAME_MAX);
			o->name = optarg;
			break;
		case 'r':
			o->read_only = true;
			break;
		case 'e':
			o->exec = optarg;
			break;
		case 'F':
			if (cli_parse_uint(optarg, MAX_FD, &v) || v < 3)
				return cli_usage(&verb_alloc, "bad fd number '%s' (3-%d)",
						 optarg, MAX_FD);
			o->exec_fd = (int)v;
			break;
		case 't':
			if (cli_parse_seconds(optarg, &o->hold))
				return cli_usage(&verb_alloc, "bad hold time '%s'", optarg);
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			fputs(alloc_help, stdout);
			return -1;
		default:
			return cli_usage(&verb_alloc, "bad option");
		}
	}
	if (o->read_only && o->fill >= 0)
		return cli_usage(&verb_alloc, "--fill needs a writable buffer, not --read-only");
	if (o->exec_fd >= 0 && !o->exec)
		return cli_usage(&verb_alloc, "--fd goes with --exec");
	return 0;
}

static int run_alloc(struct cli *cli, int argc, char **argv)
{
	const char *names[MAX_NAMES + 1], *heap = NULL;
	char s_size[32], s_real[32];
	struct alloc_opts o;
	unsigned int flags;
	int rc, fd, n, err, cmd_rc = EXIT_OK;
	uint64_t size;
	size_t real, bad = 0, first = 0;
	struct stat st;

	rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (argc - optind != 2)
		return cli_usage(&verb_alloc, "alloc takes a heap NAME and a SIZE");
	if (cli_parse_size(argv[optind + 1], &size) || size == 0 || size > SIZE_MAX)
		return cli_usage(&verb_alloc, "bad size '%s' (a positive number of bytes, "
				 "with K, M, G or T for powers of 1024)", argv[optind + 1]);
	n = split_names(argv[optind], names);
	if (n < 1)
		return cli_usage(&verb_alloc, "bad heap name list '%s'", argv[optind]);
	rc = open_heap(cli, names, n, size, &heap);
	if (rc)
		return rc;

	flags = (o.read_only ? O_RDONLY : O_RDWR) |
		(o.exec && o.exec_fd < 0 ? DMAHEAP_FD_NO_CLOEXEC : 0);
	fd = dmaheap_alloc(cli->ctx, heap, (size_t)size, flags);
	if (fd < 0)
		return cli_heap_error(cli, heap, "refused", size, fd);

	err = dmaheap_buf_size(fd, &real);
	if (err) {
		cli_err("cannot read the size of the new buffer: %s", strerror(-err));
		rc = EXIT_FAIL;
		goto release;
	}
	cli_fmt_size(size, s_size, sizeof(s_size));
	cli_fmt_size(real, s_real, sizeof(s_real));
	if (fstat(fd, &st))
		st.st_ino = 0;
	say(&o, "Allocated %s from heap '%s'%s%s%s: fd %d of process %d, dma-buf inode %lu.\n",
	    s_size, heap, real != size ? " (" : "", real != size ? s_real : "",
	    real != size ? " with page rounding)" : "", fd, (int)getpid(),
	    (unsigned long)st.st_ino);

	if (o.name) {
		err = dmaheap_buf_set_name(fd, o.name);
		if (err == -EOPNOTSUPP) {
			cli_err("warning: this kernel cannot name buffers; going on without '%s'",
				o.name);
		} else if (err) {
			cli_err("cannot name the buffer '%s': %s (%s)", o.name,
				strerror(-err), cli_errname(err));
			rc = EXIT_FAIL;
			goto release;
		} else {
			say(&o, "Named it '%s'.\n", o.name);
		}
	}
	if (o.fill >= 0) {
		err = touch(fd, true, o.fill, NULL, NULL);
		if (err) {
			cli_err("cannot fill the buffer: %s (%s)", strerror(-err),
				cli_errname(err));
			rc = EXIT_FAIL;
			goto release;
		}
		say(&o, "Filled it with 0x%02x.\n", o.fill);
	}
	if (o.exec) {
		say(&o, "Running: %s  (DMAHEAP_FD=%d DMAHEAP_SIZE=%zu DMAHEAP_HEAP=%s)\n",
		    o.exec, o.exec_fd >= 0 ? o.exec_fd : fd, real, heap);
		cmd_rc = run_command(&o, fd, heap, real);
	}
	if (!o.exec || o.hold >= 0)
		hold(&o, o.hold);
	if (o.check >= 0) {
		err = touch(fd, false, o.check, &bad, &first);
		if (err) {
			cli_err("cannot read the buffer back: %s (%s)", strerror(-err),
				cli_errname(err));
			rc = EXIT_FAIL;
			goto release;
		}
		if (bad) {
			cli_err("check failed: %zu of %zu bytes are not 0x%02x, the first at offset %zu",
				bad, real, o.check, first);
			rc = EXIT_MISMATCH;
			goto release;
		}
		say(&o, "Checked: all %zu bytes are 0x%02x.\n", real, o.check);
	}
	rc = cmd_rc;
release:
	close(fd);
	say(&o, "Released the buffer.\n");
	return rc;
}

const struct verb verb_alloc = { "alloc", alloc_help, run_alloc };
