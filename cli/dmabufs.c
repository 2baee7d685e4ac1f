// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap command: who holds which dma-buf, for "dmaheap top".
 *
 * Sources, each buffer known by its inode on the dma-buf filesystem:
 *  - /proc/PID/fd and /proc/PID/fdinfo/FD: a process's dma-buf fds (links
 *    to "/dmabuf:NAME"), with the buffer's size, exporter and inode;
 *  - /proc/PID/maps: mappings of dma-bufs ("/dmabuf:NAME" paths), which
 *    outlive the fd they were made from;
 *  - the dma-buf debug file (debugfs, root only): every buffer with its
 *    exporter, size and attached devices.  A buffer there that no process
 *    holds is held by devices (or the kernel) only.  It is read before and
 *    after the processes, and only buffers in both reads count, so that a
 *    buffer made or freed meanwhile is not taken for one.
 * A buffer mapped without an fd gets its size and exporter from another
 * process's fd, the debug file, or /proc/PID/map_files (CAP_SYS_ADMIN);
 * failing all three, from the mapping's extent, marked inexact.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define DMABUF_PREFIX	"/dmabuf:"
#define PF_KTHREAD_	0x00200000	/* include/linux/sched.h */

/* ---- the buffer table ----------------------------------------------------- */

static size_t hash_ino(unsigned long ino, size_t nslots)
{
	return (size_t)((ino * 0x9E3779B97F4A7C15ULL) >> 17) & (nslots - 1);
}

static int rehash(struct dscan *s, size_t nslots)
{
	size_t *slots = calloc(nslots, sizeof(*slots)), i, h;

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < s->nbufs; i++) {
		h = hash_ino(s->bufs[i].ino, nslots);
		while (slots[h])
			h = (h + 1) & (nslots - 1);
		slots[h] = i + 1;
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = nslots;
	return 0;
}

/* Index of buffer @ino, or SIZE_MAX. */
static size_t find_buf(const struct dscan *s, unsigned long ino)
{
	size_t h;

	if (!s->nslots)
		return SIZE_MAX;
	for (h = hash_ino(ino, s->nslots); s->slots[h]; h = (h + 1) & (s->nslots - 1))
		if (s->bufs[s->slots[h] - 1].ino == ino)
			return s->slots[h] - 1;
	return SIZE_MAX;
}

/* Index of buffer @ino, added if new; SIZE_MAX when out of memory. */
static size_t get_buf(struct dscan *s, unsigned long ino)
{
	size_t i = find_buf(s, ino), h;
	struct dbuf *grown;

	if (i != SIZE_MAX)
		return i;
	if (s->nbufs == s->capbufs) {
		size_t cap = s->capbufs ? s->capbufs * 2 : 64;

		grown = realloc(s->bufs, cap * sizeof(*grown));
		if (!grown)
			return SIZE_MAX;
		s->bufs = grown;
		s->capbufs = cap;
	}
	if ((s->nbufs + 1) * 2 > s->nslots &&
	    rehash(s, s->nslots ? s->nslots * 2 : 128))
		return SIZE_MAX;
	i = s->nbufs++;
	memset(&s->bufs[i], 0, sizeof(s->bufs[i]));
	s->bufs[i].ino = ino;
	h = hash_ino(ino, s->nslots);
	while (s->slots[h])
		h = (h + 1) & (s->nslots - 1);
	s->slots[h] = i + 1;
	return i;
}

/* What a reliable source (fdinfo, debug file, map_files) says of @b. */
static void learn(struct dbuf *b, uint64_t size, const char *exporter, const char *name)
{
	if (!b->size_exact) {
		b->size = size;
		b->size_exact = true;
	}
	if (!b->exporter[0] && exporter && *exporter)
		snprintf(b->exporter, sizeof(b->exporter), "%s", exporter);
	if (!b->name[0] && name && *name)
		snprintf(b->name, sizeof(b->name), "%s", name);
}

/* ---- the dma-buf debug file ---------------------------------------------- */

struct binfo {
	unsigned long ino;
	uint64_t size;
	char exporter[DMABUF_EXP_MAX];
	char name[DMABUF_NAME_MAX];
	char devices[DMABUF_DEVICES_MAX];
};

struct binfo_list {
	struct binfo *v;
	size_t n, cap;
};

static int binfo_cmp(const void *a, const void *b)
{
	const struct binfo *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static struct binfo *binfo_find(const struct binfo_list *l, unsigned long ino)
{
	struct binfo key = { .ino = ino };

	return l->n ? bsearch(&key, l->v, l->n, sizeof(*l->v), binfo_cmp) : NULL;
}

/* An object line: "size\tflags\tmode\tcount\texp_name\tino\tname". */
static bool parse_object(char *line, struct binfo *b)
{
	char *field[7], *p = line;
	unsigned long long size;
	unsigned long ino;
	char *end;
	int i;

	for (i = 0; i < 6; i++) {
		field[i] = p;
		p = strchr(p, '\t');
		if (!p)
			return false;
		*p++ = '\0';
	}
	field[6] = p;
	errno = 0;
	size = strtoull(field[0], &end, 10);
	if (errno || end == field[0] || *end)
		return false;
	ino = strtoul(field[5], &end, 10);
	if (errno || end == field[5] || *end)
		return false;
	memset(b, 0, sizeof(*b));
	b->size = size;
	b->ino = ino;
	snprintf(b->exporter, sizeof(b->exporter), "%s", field[4]);
	if (strcmp(field[6], "<none>"))
		snprintf(b->name, sizeof(b->name), "%s", field[6]);
	return true;
}

/*
 * Read the debug file: object lines, then (after the fences) "\tAttached
 * Devices:", one "\tDEVICE" line each, and "Total N devices attached".
 */
static int read_bufinfo(const char *path, struct binfo_list *l)
{
	char line[1024], *nl;
	struct binfo *cur = NULL, *grown;
	bool devices = false;
	size_t len;
	FILE *f;

	memset(l, 0, sizeof(*l));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (cur && devices && line[0] == '\t') {
			len = strlen(cur->devices);
			snprintf(cur->devices + len, sizeof(cur->devices) - len, "%s%s",
				 len ? "\n" : "", line + 1);
			continue;
		}
		if (cur && !strcmp(line, "\tAttached Devices:")) {
			devices = true;
			continue;
		}
		if (line[0] < '0' || line[0] > '9')
			continue;	/* headings, fences, totals */
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 64;

			grown = realloc(l->v, cap * sizeof(*grown));
			if (!grown) {
				fclose(f);
				free(l->v);
				memset(l, 0, sizeof(*l));
				return -ENOMEM;
			}
			l->v = grown;
			l->cap = cap;
		}
		cur = NULL;
		devices = false;
		if (parse_object(line, &l->v[l->n]))
			cur = &l->v[l->n++];
	}
	fclose(f);
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), binfo_cmp);
	return 0;
}

/* ---- processes -------------------------------------------------------------- */

static int read_small(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

static bool is_kthread(const char *proc, const char *pid)
{
	char path[512], text[1024], *p;
	unsigned long flags;
	int i;

	snprintf(path, sizeof(path), "%s/%s/stat", proc, pid);
	if (read_small(path, text, sizeof(text)))
		return false;
	p = strrchr(text, ')');	/* the command may hold spaces and parentheses */
	if (!p)
		return false;
	/* state ppid pgrp session tty_nr tpgid flags */
	for (i = 0; i < 7 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p)
		return false;
	flags = strtoul(p + 1, NULL, 10);
	return flags & PF_KTHREAD_;
}

static struct dproc *add_proc(struct dscan *s)
{
	struct dproc *grown;

	if (s->nprocs == s->capprocs) {
		size_t cap = s->capprocs ? s->capprocs * 2 : 32;

		grown = realloc(s->procs, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		s->procs = grown;
		s->capprocs = cap;
	}
	memset(&s->procs[s->nprocs], 0, sizeof(s->procs[0]));
	return &s->procs[s->nprocs++];
}

/* The process's entry for buffer @buf, added if new; NULL if out of memory. */
static struct dproc_buf *proc_buf(struct dproc *p, size_t buf)
{
	struct dproc_buf *grown;
	size_t i;

	for (i = 0; i < p->nbufs; i++)
		if (p->bufs[i].buf == buf)
			return &p->bufs[i];
	if (p->nbufs == p->capbufs) {
		size_t cap = p->capbufs ? p->capbufs * 2 : 8;

		grown = realloc(p->bufs, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		p->bufs = grown;
		p->capbufs = cap;
	}
	memset(&p->bufs[p->nbufs], 0, sizeof(p->bufs[0]));
	p->bufs[p->nbufs].buf = buf;
	return &p->bufs[p->nbufs++];
}

/* The value of "key:\tvalue" line @key in fdinfo text @text, or NULL. */
static const char *fdinfo_value(char *text, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	char *line, *end;

	for (line = text; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		line += klen + 1;
		while (*line == ' ' || *line == '\t')
			line++;
		snprintf(out, size, "%.*s", end ? (int)(end - line) : (int)strlen(line), line);
		return out;
	}
	return NULL;
}

/* Take in dma-buf fd @fd of process @pid. */
static int scan_fd(struct dscan *s, struct dproc *p, const char *dir, const char *fd)
{
	char path[640], text[4096], v_size[32], v_ino[32], exp[DMABUF_EXP_MAX];
	char name[DMABUF_NAME_MAX];
	unsigned long long size;
	unsigned long ino;
	struct dproc_buf *pb;
	struct stat st;
	char *end;
	size_t b;

	snprintf(path, sizeof(path), "%s/fdinfo/%s", dir, fd);
	if (read_small(path, text, sizeof(text)))
		return 0;	/* closed meanwhile */
	if (!fdinfo_value(text, "size", v_size, sizeof(v_size)))
		return 0;
	errno = 0;
	size = strtoull(v_size, &end, 10);
	if (errno || *end)
		return 0;
	if (fdinfo_value(text, "ino", v_ino, sizeof(v_ino))) {
		ino = strtoul(v_ino, &end, 10);
		if (*end)
			return 0;
	} else {
		snprintf(path, sizeof(path), "%s/fd/%s", dir, fd);
		if (stat(path, &st))
			return 0;
		ino = (unsigned long)st.st_ino;
	}
	if (!fdinfo_value(text, "exp_name", exp, sizeof(exp)))
		exp[0] = '\0';
	if (!fdinfo_value(text, "name", name, sizeof(name)))
		name[0] = '\0';
	b = get_buf(s, ino);
	if (b == SIZE_MAX)
		return -ENOMEM;
	learn(&s->bufs[b], size, exp, name);
	pb = proc_buf(p, b);
	if (!pb)
		return -ENOMEM;
	pb->fds++;
	return 0;
}

/* Take in the dma-buf mappings of /proc/PID/maps. */
static int scan_maps(struct dscan *s, struct dproc *p, const char *dir)
{
	unsigned long long start, end, offset;
	unsigned int major, minor;
	char path[512], line[1024], perms[8];
	struct dproc_buf *pb;
	unsigned long ino;
	uint64_t extent;
	int pos = 0;
	char *name;
	size_t b;
	FILE *f;

	snprintf(path, sizeof(path), "%s/maps", dir);
	f = fopen(path, "re");
	if (!f)
		return errno == EACCES || errno == EPERM ? -EACCES : 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %lu %n", &start, &end, perms,
			   &offset, &major, &minor, &ino, &pos) != 7)
			continue;
		name = line + pos;
		if (strncmp(name, DMABUF_PREFIX, strlen(DMABUF_PREFIX)))
			continue;
		b = get_buf(s, ino);
		pb = b == SIZE_MAX ? NULL : proc_buf(p, b);
		if (!pb) {
			fclose(f);
			return -ENOMEM;
		}
		extent = offset + (end - start);
		if (!pb->mapped) {
			pb->map_start = start;
			pb->map_end = end;
		}
		pb->mapped = true;
		if (!s->bufs[b].size_exact && extent > s->bufs[b].size)
			s->bufs[b].size = extent;
	}
	fclose(f);
	return 0;
}

/* Take in process @pid: its dma-buf fds and mappings. */
static int scan_proc(struct dscan *s, const char *pid)
{
	char dir[300], path[512], text[1024], link[64], *p;
	struct dproc *proc;
	struct dirent *de;
	DIR *fds;
	ssize_t n;
	int err = 0;

	snprintf(dir, sizeof(dir), "%s/%s", s->proc_dir, pid);
	snprintf(path, sizeof(path), "%s/fd", dir);
	fds = opendir(path);
	if (!fds) {
		if ((errno == EACCES || errno == EPERM) && !is_kthread(s->proc_dir, pid))
			s->unreadable++;
		return 0;	/* gone, or a kernel thread */
	}
	proc = add_proc(s);
	if (!proc) {
		closedir(fds);
		return -ENOMEM;
	}
	proc->pid = (pid_t)strtol(pid, NULL, 10);
	snprintf(path, sizeof(path), "%s/comm", dir);
	if (!read_small(path, text, sizeof(text))) {
		text[strcspn(text, "\n")] = '\0';
		snprintf(proc->comm, sizeof(proc->comm), "%.*s",
			 (int)sizeof(proc->comm) - 1, text);
	}
	snprintf(path, sizeof(path), "%s/status", dir);
	if (!read_small(path, text, sizeof(text)) && (p = strstr(text, "\nUid:")))
		sscanf(p + 5, "%*u %u", &proc->uid);

	while (!err && (de = readdir(fds))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		n = readlinkat(dirfd(fds), de->d_name, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (!strncmp(link, DMABUF_PREFIX, strlen(DMABUF_PREFIX)))
			err = scan_fd(s, proc, dir, de->d_name);
	}
	closedir(fds);
	if (!err) {
		err = scan_maps(s, proc, dir);
		if (err == -EACCES) {
			s->maps_unreadable++;
			err = 0;
		}
	}
	if (!err && proc->nbufs == 0)
		s->nprocs--;	/* holds no dma-buf: not kept */
	return err;
}

/*
 * A buffer mapped without an fd, that no source named: open the mapping
 * through /proc/PID/map_files (CAP_SYS_ADMIN) and ask our own fdinfo.
 */
static void identify_mapping(struct dscan *s, const struct dproc *p,
			     const struct dproc_buf *pb)
{
	char path[512], text[4096], exp[DMABUF_EXP_MAX];
	struct dbuf *b = &s->bufs[pb->buf];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/map_files/%llx-%llx", s->proc_dir,
		 (int)p->pid, pb->map_start, pb->map_end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (!fstat(fd, &st) && (unsigned long)st.st_ino == b->ino &&
	    !read_small(path, text, sizeof(text)) &&
	    fdinfo_value(text, "exp_name", exp, sizeof(exp)))
		learn(b, (uint64_t)st.st_size, exp, NULL);
	close(fd);
}

int dscan_run(struct dscan *s, const char *proc_dir, const char *bufinfo)
{
	struct binfo_list before, after;
	struct binfo *bi;
	struct dirent *de;
	size_t i, j;
	DIR *dir;
	int err = 0;

	memset(s, 0, sizeof(*s));
	s->proc_dir = proc_dir;
	s->bufinfo_err = -read_bufinfo(bufinfo, &before);

	dir = opendir(proc_dir);
	if (!dir) {
		err = -errno;
		free(before.v);
		return err;
	}
	while (!err && (de = readdir(dir)))
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
			err = scan_proc(s, de->d_name);
	closedir(dir);

	if (!s->bufinfo_err)
		s->bufinfo_err = -read_bufinfo(bufinfo, &after);
	else
		memset(&after, 0, sizeof(after));
	for (i = 0; !err && !s->bufinfo_err && i < after.n; i++) {
		bi = &after.v[i];
		j = find_buf(s, bi->ino);
		if (j == SIZE_MAX) {
			/* Held by no process: a device's, if it was there before too. */
			if (!binfo_find(&before, bi->ino))
				continue;
			j = get_buf(s, bi->ino);
			if (j == SIZE_MAX) {
				err = -ENOMEM;
				break;
			}
			s->bufs[j].devices_only = true;
		}
		learn(&s->bufs[j], bi->size, bi->exporter, bi->name);
		s->bufs[j].in_bufinfo = true;
		snprintf(s->bufs[j].devices, sizeof(s->bufs[j].devices), "%s", bi->devices);
	}
	/* Buffers freed during the scan are in the first read only. */
	for (i = 0; !err && !s->bufinfo_err && i < before.n; i++) {
		j = find_buf(s, before.v[i].ino);
		if (j != SIZE_MAX && !s->bufs[j].in_bufinfo)
			learn(&s->bufs[j], before.v[i].size, before.v[i].exporter,
			      before.v[i].name);
	}
	free(before.v);
	free(after.v);

	for (i = 0; !err && i < s->nprocs; i++)
		for (j = 0; j < s->procs[i].nbufs; j++) {
			const struct dproc_buf *pb = &s->procs[i].bufs[j];

			if (pb->mapped && !s->bufs[pb->buf].size_exact)
				identify_mapping(s, &s->procs[i], pb);
		}
	if (err)
		dscan_free(s);
	return err;
}

void dscan_free(struct dscan *s)
{
	size_t i;

	for (i = 0; i < s->nprocs; i++)
		free(s->procs[i].bufs);
	free(s->procs);
	free(s->bufs);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}
