// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap-vgem-import: hand a dma-buf to a DRM driver, as a display or GPU
 * driver would take a camera buffer.  The driver is vgem, the virtual GEM
 * driver: it imports the buffer through PRIME (attach and map it for its
 * device), gives it a GEM handle, and can export it again.
 *
 * With --hold it then closes every dma-buf fd it has and keeps only the GEM
 * handle, until a signal ends it: the buffer is held by the driver alone.
 *
 * Exit status: 0 all well, 1 a step failed, 2 usage, 77 no vgem device.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dmaheap.h>

/*
 * The few DRM ioctls used here (include/uapi/drm/drm.h), declared locally
 * because the build host need not have the DRM headers installed.
 */
struct drm_version_arg {
	int version_major;
	int version_minor;
	int version_patchlevel;
	size_t name_len;
	char *name;
	size_t date_len;
	char *date;
	size_t desc_len;
	char *desc;
};

struct drm_prime_handle_arg {
	uint32_t handle;
	uint32_t flags;
	int32_t fd;
};

struct drm_gem_close_arg {
	uint32_t handle;
	uint32_t pad;
};

#define DRM_BASE			'd'
#define DRM_IOCTL_VERSION_		_IOWR(DRM_BASE, 0x00, struct drm_version_arg)
#define DRM_IOCTL_GEM_CLOSE_		_IOW(DRM_BASE, 0x09, struct drm_gem_close_arg)
#define DRM_IOCTL_PRIME_HANDLE_TO_FD_	_IOWR(DRM_BASE, 0x2d, struct drm_prime_handle_arg)
#define DRM_IOCTL_PRIME_FD_TO_HANDLE_	_IOWR(DRM_BASE, 0x2e, struct drm_prime_handle_arg)

#define EXIT_NO_VGEM	77

static const char usage[] =
"Usage: dmaheap-vgem-import [--fd N] [--expect BYTE] [--hold]\n"
"Import the dma-buf at fd N (default: $DMAHEAP_FD) into the vgem DRM\n"
"driver, export it back, and check that the driver hands back the same\n"
"buffer (and, with --expect, that it holds BYTE everywhere).  --hold then\n"
"closes fd N and keeps only the driver's handle until a signal ends the\n"
"program (it says \"holding\" first).\n";

/* Open the DRM card driven by vgem; returns an fd, or -1. */
static int open_vgem(char *path, size_t size)
{
	struct drm_version_arg v;
	char name[64];
	int i, fd;

	for (i = 0; i < 64; i++) {
		snprintf(path, size, "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&v, 0, sizeof(v));
		memset(name, 0, sizeof(name));
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (ioctl(fd, DRM_IOCTL_VERSION_, &v) == 0 && !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -1;
}

static int check_bytes(int fd, int expect)
{
	unsigned char *p;
	size_t len, i, bad = 0;
	int err;

	err = dmaheap_buf_map(fd, PROT_READ, (void **)&p, &len);
	if (err)
		return err;
	err = dmaheap_buf_begin(fd, DMAHEAP_ACCESS_READ);
	for (i = 0; !err && i < len; i++)
		bad += p[i] != expect;
	if (!err)
		err = dmaheap_buf_end(fd, DMAHEAP_ACCESS_READ);
	dmaheap_buf_unmap(p, len);
	if (!err && bad) {
		printf("vgem-import: %zu of %zu bytes are not 0x%02x\n", bad, len, expect);
		return -EILSEQ;
	}
	return err;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "expect", required_argument, NULL, 'e' },
		{ "hold", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct drm_prime_handle_arg imp, again, exp;
	struct drm_gem_close_arg gc;
	const char *env = getenv("DMAHEAP_FD");
	long fd = -1, expect = -1;
	struct stat st_buf, st_exp;
	int card, c, rc = 1, err, hold = 0;
	char path[64], *end;

	while ((c = getopt_long(argc, argv, "f:e:Hh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			fd = strtol(optarg, &end, 0);
			if (*end || fd < 0)
				goto usage;
			break;
		case 'e':
			expect = strtol(optarg, &end, 0);
			if (*end || expect < 0 || expect > 255)
				goto usage;
			break;
		case 'H':
			hold = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (fd < 0 && env) {
		fd = strtol(env, &end, 10);
		if (*end)
			fd = -1;
	}
	if (fd < 0 || optind != argc)
		goto usage;
	if (fstat((int)fd, &st_buf)) {
		printf("vgem-import: fd %ld: %s\n", fd, strerror(errno));
		return 1;
	}

	card = open_vgem(path, sizeof(path));
	if (card < 0) {
		printf("vgem-import: no DRM card is driven by vgem (is vgem.ko loaded?)\n");
		return EXIT_NO_VGEM;
	}
	printf("vgem-import: %s is the vgem device\n", path);

	memset(&imp, 0, sizeof(imp));
	imp.fd = (int32_t)fd;
	if (ioctl(card, DRM_IOCTL_PRIME_FD_TO_HANDLE_, &imp)) {
		printf("vgem-import: vgem could not import the buffer: %s\n", strerror(errno));
		goto close_card;
	}
	printf("vgem-import: vgem imported the dma-buf (inode %lu) as GEM handle %u\n",
	       (unsigned long)st_buf.st_ino, imp.handle);

	/* The driver must recognise a buffer it already holds. */
	memset(&again, 0, sizeof(again));
	again.fd = (int32_t)fd;
	if (ioctl(card, DRM_IOCTL_PRIME_FD_TO_HANDLE_, &again) || again.handle != imp.handle) {
		printf("vgem-import: importing again gave handle %u, not %u\n",
		       again.handle, imp.handle);
		goto close_handle;
	}

	memset(&exp, 0, sizeof(exp));
	exp.handle = imp.handle;
	exp.flags = O_CLOEXEC | O_RDWR;
	if (ioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD_, &exp)) {
		printf("vgem-import: vgem could not export the handle: %s\n", strerror(errno));
		goto close_handle;
	}
	if (fstat(exp.fd, &st_exp) || st_exp.st_ino != st_buf.st_ino) {
		printf("vgem-import: vgem exported another buffer (inode %lu)\n",
		       (unsigned long)st_exp.st_ino);
		goto close_export;
	}
	printf("vgem-import: exporting handle %u gives back the same dma-buf\n",
	       imp.handle);
	if (expect >= 0) {
		err = check_bytes(exp.fd, (int)expect);
		if (err) {
			printf("vgem-import: reading through the exported fd: %s\n",
			       strerror(-err));
			goto close_export;
		}
		printf("vgem-import: the buffer reads 0x%02lx throughout\n", expect);
	}
	if (hold) {
		close(exp.fd);
		close((int)fd);
		printf("vgem-import[%d]: holding GEM handle %u (dma-buf inode %lu); "
		       "no fd of ours holds the buffer\n", (int)getpid(), imp.handle,
		       (unsigned long)st_buf.st_ino);
		fflush(stdout);
		for (;;)
			pause();
	}
	rc = 0;
close_export:
	close(exp.fd);
close_handle:
	memset(&gc, 0, sizeof(gc));
	gc.handle = imp.handle;
	if (ioctl(card, DRM_IOCTL_GEM_CLOSE_, &gc)) {
		printf("vgem-import: closing handle %u: %s\n", imp.handle, strerror(errno));
		rc = 1;
	}
close_card:
	close(card);
	return rc;

usage:
	fputs(usage, stderr);
	return 2;
}
