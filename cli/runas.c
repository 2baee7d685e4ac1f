// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap-runas: run a command as another user, for the tests (busybox has
 * no su or setpriv).  Drops the supplementary groups, then sets the group
 * and the user, real, effective and saved alike, then executes the command.
 *
 * Exit status: the command's; 2 usage; 126 a step failed before the exec.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
"Usage: dmaheap-runas UID[:GID] COMMAND [ARG...]\n"
"Run COMMAND as user UID and group GID (default: the same number as UID),\n"
"with no supplementary groups.  Needs root (CAP_SETUID and CAP_SETGID).\n";

static int parse_id(const char *s, char **end, unsigned long *out)
{
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, end, 10);
	return errno || *out >= 0xffffffffUL ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long uid, gid;
	char *end;

	if (argc < 3 || parse_id(argv[1], &end, &uid))
		goto usage;
	gid = uid;
	if (*end == ':') {
		if (parse_id(end + 1, &end, &gid))
			goto usage;
	}
	if (*end)
		goto usage;
	if (setgroups(0, NULL) || setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) ||
	    setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid)) {
		fprintf(stderr, "dmaheap-runas: cannot become %lu:%lu: %s\n", uid, gid,
			strerror(errno));
		return 126;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "dmaheap-runas: %s: %s\n", argv[2], strerror(errno));
	return errno == ENOENT ? 127 : 126;

usage:
	fputs(usage, stderr);
	return 2;
}
