// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap-bufcheck: the other end of "dmaheap alloc --exec".  Maps a dma-buf
 * fd it inherited, checks that it holds the expected byte everywhere, and
 * writes a new byte into it; optionally closes the fd and keeps the mapping
 * alone, as a process may.  Used by the tests and the demo.
 *
 * Exit status: 0 all well, 1 the bytes differ or a call failed, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dmaheap.h>

static const char usage[] =
"Usage: dmaheap-bufcheck [--fd N] [--expect BYTE] [--write BYTE] [--close]\n"
"                        [--hold]\n"
"Map the dma-buf at fd N (default: $DMAHEAP_FD), check that every byte is\n"
"BYTE, then write another byte over all of it.  --close closes the fd once\n"
"the buffer is mapped, so that only the mapping holds it; --hold keeps the\n"
"mapping until a signal ends the program (it says \"holding\" first).\n";

static int parse_int(const char *s, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || end == s || v < 0 || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "bufcheck: %s: %s\n", what, strerror(-err));
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "expect", required_argument, NULL, 'e' },
		{ "write", required_argument, NULL, 'w' },
		{ "close", no_argument, NULL, 'c' },
		{ "hold", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int fd = -1, expect = -1, write = -1, c, err;
	bool close_fd = false, hold = false;
	const char *env = getenv("DMAHEAP_FD");
	size_t len, i, bad = 0, first = 0;
	unsigned char *p;

	while ((c = getopt_long(argc, argv, "f:e:w:cHh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_int(optarg, 1 << 20, &fd))
				goto usage;
			break;
		case 'e':
			if (parse_int(optarg, 255, &expect))
				goto usage;
			break;
		case 'w':
			if (parse_int(optarg, 255, &write))
				goto usage;
			break;
		case 'c':
			close_fd = true;
			break;
		case 'H':
			hold = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (fd < 0 && (!env || parse_int(env, 1 << 20, &fd)))
		goto usage;
	if (optind != argc)
		goto usage;

	err = dmaheap_buf_map(fd, PROT_READ | (write >= 0 ? PROT_WRITE : 0),
			      (void **)&p, &len);
	if (err)
		return fail("map", err);
	printf("bufcheck[%d]: mapped the %zu-byte buffer at fd %d\n", (int)getpid(),
	       len, fd);

	if (expect >= 0) {
		err = dmaheap_buf_begin(fd, DMAHEAP_ACCESS_READ);
		if (err)
			return fail("begin read access", err);
		for (i = 0; i < len; i++)
			if (p[i] != expect && bad++ == 0)
				first = i;
		err = dmaheap_buf_end(fd, DMAHEAP_ACCESS_READ);
		if (err)
			return fail("end read access", err);
		if (bad) {
			printf("bufcheck[%d]: %zu bytes are not 0x%02x, the first at offset %zu (0x%02x)\n",
			       (int)getpid(), bad, expect, first, p[first]);
			dmaheap_buf_unmap(p, len);
			return 1;
		}
		printf("bufcheck[%d]: all %zu bytes are 0x%02x\n", (int)getpid(),
		       len, expect);
	}
	if (close_fd) {
		if (close(fd))
			return fail("close", -errno);
		printf("bufcheck[%d]: closed fd %d; the mapping alone holds the buffer\n",
		       (int)getpid(), fd);
	}
	if (write >= 0) {
		err = close_fd ? 0 : dmaheap_buf_begin(fd, DMAHEAP_ACCESS_WRITE);
		if (err)
			return fail("begin write access", err);
		memset(p, write, len);
		err = close_fd ? 0 : dmaheap_buf_end(fd, DMAHEAP_ACCESS_WRITE);
		if (err)
			return fail("end write access", err);
		printf("bufcheck[%d]: wrote 0x%02x to all %zu bytes\n", (int)getpid(),
		       write, len);
	}
	if (hold) {
		printf("bufcheck[%d]: holding the %zu-byte mapping until a signal\n",
		       (int)getpid(), len);
		fflush(stdout);
		for (;;)
			pause();
	}
	dmaheap_buf_unmap(p, len);
	return 0;

usage:
	fputs(usage, stderr);
	return 2;
}
