/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vgem.h - vgem, the virtual GEM driver, as a second importer of heap
 * buffers in the VM tests.  PRIME import attaches vgem to a dma-buf and
 * maps it for DMA; export gives back the same dma-buf; closing the GEM
 * handle detaches it.
 *
 * The few DRM UAPI definitions needed (include/uapi/drm/drm.h, stable) are
 * spelled out here so the tests build without libdrm-dev.  Helpers return
 * 0 (or an fd) on success and -errno on failure.
 */
#ifndef DMAHEAP_TESTS_VGEM_H
#define DMAHEAP_TESTS_VGEM_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct vgem_drm_version {
	int major, minor, patchlevel;
	size_t name_len;
	char *name;
	size_t date_len;
	char *date;
	size_t desc_len;
	char *desc;
};

struct vgem_drm_prime {
	uint32_t handle;
	uint32_t flags;		/* DRM_CLOEXEC (O_CLOEXEC), DRM_RDWR (O_RDWR) */
	int32_t fd;
};

struct vgem_drm_gem_close {
	uint32_t handle;
	uint32_t pad;
};

/* vgem's own fences: attached to a GEM object's reservation, signalled on
 * request (or after 10 s by vgem itself). */
struct vgem_drm_fence_attach {
	uint32_t handle;
	uint32_t flags;		/* VGEM_FENCE_WRITE: an exclusive (write) fence */
	uint32_t out_fence;
	uint32_t pad;
};

struct vgem_drm_fence_signal {
	uint32_t fence;
	uint32_t flags;
};

#define VGEM_FENCE_WRITE		0x1

#define VGEM_DRM_IOCTL_VERSION		_IOWR('d', 0x00, struct vgem_drm_version)
#define VGEM_DRM_IOCTL_FENCE_ATTACH \
	_IOWR('d', 0x41, struct vgem_drm_fence_attach)
#define VGEM_DRM_IOCTL_FENCE_SIGNAL \
	_IOW('d', 0x42, struct vgem_drm_fence_signal)
#define VGEM_DRM_IOCTL_GEM_CLOSE	_IOW('d', 0x09, struct vgem_drm_gem_close)
#define VGEM_DRM_IOCTL_PRIME_HANDLE_TO_FD \
	_IOWR('d', 0x2d, struct vgem_drm_prime)
#define VGEM_DRM_IOCTL_PRIME_FD_TO_HANDLE \
	_IOWR('d', 0x2e, struct vgem_drm_prime)

/*
 * An fd of the first DRM node whose driver is vgem (primary nodes first,
 * then render nodes), or -ENODEV if there is none.
 */
static inline int vgem_open(void)
{
	static const char *const patterns[] = {
		"/dev/dri/card%d", "/dev/dri/renderD%d",
	};
	int i, n;

	for (i = 0; i < 2; i++) {
		for (n = 0; n < 256; n++) {
			struct vgem_drm_version v = { 0 };
			char path[64], name[32] = "";
			int fd;

			snprintf(path, sizeof(path), patterns[i],
				 i ? 128 + n : n);
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				continue;
			v.name = name;
			v.name_len = sizeof(name) - 1;
			if (!ioctl(fd, VGEM_DRM_IOCTL_VERSION, &v) &&
			    !strcmp(name, "vgem"))
				return fd;
			close(fd);
		}
	}
	return -ENODEV;
}

/* PRIME import of dma-buf @fd: vgem attaches to it and maps it. */
static inline int vgem_import(int drm, int fd, uint32_t *handle)
{
	struct vgem_drm_prime p = { .fd = fd };

	if (ioctl(drm, VGEM_DRM_IOCTL_PRIME_FD_TO_HANDLE, &p))
		return -errno;
	*handle = p.handle;
	return 0;
}

/* PRIME export of GEM @handle: a new dma-buf fd (O_CLOEXEC | O_RDWR). */
static inline int vgem_export(int drm, uint32_t handle)
{
	struct vgem_drm_prime p = {
		.handle = handle,
		.flags = O_CLOEXEC | O_RDWR,
		.fd = -1,
	};

	if (ioctl(drm, VGEM_DRM_IOCTL_PRIME_HANDLE_TO_FD, &p))
		return -errno;
	return p.fd;
}

/* Drop GEM @handle: vgem unmaps and detaches. */
static inline int vgem_close(int drm, uint32_t handle)
{
	struct vgem_drm_gem_close c = { .handle = handle };

	return ioctl(drm, VGEM_DRM_IOCTL_GEM_CLOSE, &c) ? -errno : 0;
}

/* Attach a vgem fence to GEM @handle (a write fence if @write). */
static inline int vgem_fence_attach(int drm, uint32_t handle, int write,
				    uint32_t *fence)
{
	struct vgem_drm_fence_attach a = {
		.handle = handle,
		.flags = write ? VGEM_FENCE_WRITE : 0,
	};

	if (ioctl(drm, VGEM_DRM_IOCTL_FENCE_ATTACH, &a))
		return -errno;
	*fence = a.out_fence;
	return 0;
}

static inline int vgem_fence_signal(int drm, uint32_t fence)
{
	struct vgem_drm_fence_signal sig = { .fence = fence };

	return ioctl(drm, VGEM_DRM_IOCTL_FENCE_SIGNAL, &sig) ? -errno : 0;
}

#endif /* DMAHEAP_TESTS_VGEM_H */
