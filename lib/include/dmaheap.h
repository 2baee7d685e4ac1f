/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libdmaheap: allocate DMA-BUF buffers from /dev/dma_heap/<name>.
 *
 * Conventions:
 *  - Every function that can fail returns 0 or a negative errno value, or a
 *    file descriptor (>= 0) where it says so.  errno itself is left alone.
 *  - The library keeps no global state.  A context (struct dmaheap_ctx)
 *    remembers where the heap nodes live and caches open heap fds; it may be
 *    shared by any number of threads.  Buffer calls (dmaheap_buf_*) need no
 *    context: they work on any dma-buf fd.
 *  - Buffer fds are close-on-exec unless DMAHEAP_FD_NO_CLOEXEC is given.
 *    Freeing a buffer is close(fd) once every mapping is gone.
 */
#ifndef DMAHEAP_H
#define DMAHEAP_H

#include <fcntl.h>	/* O_RDONLY, O_WRONLY, O_RDWR, O_CLOEXEC */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>	/* PROT_READ, PROT_WRITE */
#include <sys/types.h>	/* uid_t */

#ifdef __cplusplus
extern "C" {
#endif

#define DMAHEAP_VERSION_MAJOR	1
#define DMAHEAP_VERSION_MINOR	1

/* Longest heap name, not counting the terminating NUL. */
#define DMAHEAP_NAME_MAX	63

/* Where heaps are looked for when the context is made with defaults. */
#define DMAHEAP_DEFAULT_DEV_DIR		"/dev/dma_heap"
#define DMAHEAP_DEFAULT_SYSFS_DIR	"/sys/class/dmaheap"

/*
 * fd_flags for the allocation calls: one access mode (O_RDONLY, O_WRONLY or
 * O_RDWR), optionally O_CLOEXEC (the default anyway) or
 * DMAHEAP_FD_NO_CLOEXEC to let the fd survive exec().
 */
#define DMAHEAP_FD_NO_CLOEXEC	(1U << 31)

/* Access directions for dmaheap_buf_begin() and dmaheap_buf_end(). */
#define DMAHEAP_ACCESS_READ	(1U << 0)
#define DMAHEAP_ACCESS_WRITE	(1U << 1)
#define DMAHEAP_ACCESS_RW	(DMAHEAP_ACCESS_READ | DMAHEAP_ACCESS_WRITE)

/* Longest buffer debug name the kernel keeps, not counting the NUL. */
#define DMAHEAP_BUF_NAME_MAX	31

struct dmaheap_ctx;

/* ---- Contexts ---------------------------------------------------------- */

/*
 * Make a context that finds heaps in /dev/dma_heap and their statistics in
 * /sys/class/dmaheap.  Returns 0 and sets *ctxp, or -EINVAL / -ENOMEM.
 */
int dmaheap_ctx_new(struct dmaheap_ctx **ctxp);

/*
 * Same, with other directories (NULL means the default).  Useful for
 * containers with heaps bind-mounted elsewhere, and for tests.  The core's
 * own files (usage, quotas, parameters) are looked for two levels up from
 * @sysfs_dir, as /sys is from /sys/class/dmaheap.
 */
int dmaheap_ctx_new_at(struct dmaheap_ctx **ctxp, const char *dev_dir,
		       const char *sysfs_dir);

/* Close every cached heap fd and free the context.  NULL is ignored. */
void dmaheap_ctx_free(struct dmaheap_ctx *ctx);

/* ---- Heaps ------------------------------------------------------------- */

/*
 * Open the heap called @name and return its fd.  The fd belongs to the
 * context (do not close it) and stays valid until dmaheap_ctx_free().
 * Repeated calls return the cached fd.
 *
 * Returns -EINVAL for a malformed name, -ENOENT when there is no such heap,
 * -ENODEV when the node is not a character device, or the error of open().
 */
int dmaheap_open(struct dmaheap_ctx *ctx, const char *name);

/*
 * Open the first heap that exists from a NULL-terminated list of preferred
 * names, e.g. { "linux,cma", "reserved", "system", NULL }.  Sets *index (if
 * not NULL) to the position of the heap opened and returns its fd, owned by
 * the context as for dmaheap_open().
 *
 * A name that is absent (-ENOENT, -ENODEV) is skipped; so is one that cannot
 * be opened for another reason, but that error is what the call returns if
 * no later name opens.  Returns -EINVAL for an empty list or a malformed
 * name, and -ENOENT when none of the heaps exists.
 */
int dmaheap_open_first(struct dmaheap_ctx *ctx, const char *const *names,
		       size_t *index);

/* Bits of struct dmaheap_info.known: which fields were read. */
#define DMAHEAP_KNOWN_SYSFS		(1U << 0) /* the sysfs directory exists */
#define DMAHEAP_KNOWN_BUFFERS		(1U << 1)
#define DMAHEAP_KNOWN_BYTES		(1U << 2)
#define DMAHEAP_KNOWN_PEAK_BYTES	(1U << 3)
#define DMAHEAP_KNOWN_TOTAL_ALLOCS	(1U << 4)
#define DMAHEAP_KNOWN_FAILED_ALLOCS	(1U << 5)
#define DMAHEAP_KNOWN_LIMIT_BYTES	(1U << 6)
#define DMAHEAP_KNOWN_UNCACHED		(1U << 7)
#define DMAHEAP_KNOWN_CONTIGUOUS	(1U << 8)
#define DMAHEAP_KNOWN_POOL_BYTES	(1U << 9) /* since 1.1 */

/* A heap-specific sysfs file, as text (trailing newline removed). */
struct dmaheap_prop {
	char *key;
	char *value;
};

/*
 * What the core tells about one heap.  Heaps served by a core without
 * statistics (for example the kernel's own dma-heap framework) have only a
 * name: check @known before using a field.
 */
struct dmaheap_info {
	char name[DMAHEAP_NAME_MAX + 1];
	unsigned int known;		/* DMAHEAP_KNOWN_* */
	uint64_t buffers;		/* live buffers */
	uint64_t bytes;			/* live bytes */
	uint64_t peak_bytes;		/* highest @bytes since load */
	uint64_t total_allocs;		/* successful allocations */
	uint64_t failed_allocs;		/* refused or failed allocations */
	uint64_t limit_bytes;		/* cap on @bytes */
	int uncached;			/* CPU mappings are write-combined */
	int contiguous;			/* buffers are physically contiguous */
	size_t nprops;			/* entries in @props */
	struct dmaheap_prop *props;	/* heap-specific sysfs files */
	/*
	 * Since 1.1: memory the heap keeps zeroed for reuse, counted in no
	 * heap's @bytes (heaps with a pool only).
	 */
	uint64_t pool_bytes;
	uint64_t reserved[7];		/* zero; room for later fields */
};

/*
 * Read the statistics and properties of heap @name into *info.  Returns
 * 0, -EINVAL, -ENOENT (no such heap node) or -ENOMEM.  Release the result
 * with dmaheap_info_clear().
 */
int dmaheap_heap_info(struct dmaheap_ctx *ctx, const char *name,
		      struct dmaheap_info *info);

/* Free what dmaheap_heap_info() allocated inside *info. */
void dmaheap_info_clear(struct dmaheap_info *info);

/*
 * List every heap node, sorted by name, with its statistics.  Sets *infop to
 * an array of *countp entries (NULL and 0 when there are no heaps, which is
 * not an error even if the heap directory is missing).  Free it with
 * dmaheap_list_free().  Returns 0, -EINVAL or -ENOMEM, or the error of
 * reading the heap directory.
 */
int dmaheap_list(struct dmaheap_ctx *ctx, struct dmaheap_info **infop,
		 size_t *countp);

/* Free an array returned by dmaheap_list().  NULL is ignored. */
void dmaheap_list_free(struct dmaheap_info *infos, size_t count);

/* ---- Limits and usage per user (since 1.1) ----------------------------- */

/*
 * Over the per-heap caps, the dmaheap core holds every request to a global
 * budget and to its user's quota, and keeps what each user holds.  These
 * calls read it from the sysfs tree the context's sysfs directory lies in:
 * two levels up from it (the default /sys/class/dmaheap gives /sys), in
 * kernel/dmaheap/ and module/dmaheap/parameters/.  Any user may read them.
 */

/* Bits of struct dmaheap_limits.known: which fields were read. */
#define DMAHEAP_LIMITS_BUDGET_BYTES	(1U << 0)
#define DMAHEAP_LIMITS_BUDGET_USED	(1U << 1)
#define DMAHEAP_LIMITS_USER_QUOTA	(1U << 2)
#define DMAHEAP_LIMITS_MEMCG_CHARGE	(1U << 3)

/* The limits above the per-heap caps. */
struct dmaheap_limits {
	unsigned int known;		/* DMAHEAP_LIMITS_* */
	uint64_t budget_bytes;		/* cap on the live bytes of every heap
					 * together, carveouts aside */
	uint64_t budget_used;		/* live bytes the budget counts now */
	uint64_t user_quota_bytes;	/* cap on the live bytes of each user
					 * over every heap; root and tasks with
					 * CAP_SYS_ADMIN are exempt */
	int memcg_charge;		/* buffers are charged to the allocating
					 * task's memory cgroup */
	uint64_t reserved[8];		/* zero; room for later fields */
};

/*
 * Read the global budget, its use, the user quota and whether memory
 * cgroup charging is on into *limits.  Returns 0 when at least one of them
 * was read (check @known), -ENOENT when none exists (no dmaheap core, or
 * one without these limits), or -EINVAL.
 */
int dmaheap_limits(struct dmaheap_ctx *ctx, struct dmaheap_limits *limits);

/* Bits of struct dmaheap_user_usage.known: which fields were read. */
#define DMAHEAP_USAGE_BYTES		(1U << 0)
#define DMAHEAP_USAGE_BUFFERS		(1U << 1)
#define DMAHEAP_USAGE_FAILED_ALLOCS	(1U << 2)

/*
 * What one user holds over every heap.  A buffer stays charged to the user
 * who allocated it (the effective uid, as the initial user namespace sees
 * it) until it is freed, whoever holds it by then.
 */
struct dmaheap_user_usage {
	uid_t uid;
	unsigned int known;		/* DMAHEAP_USAGE_* */
	uint64_t bytes;			/* live bytes */
	uint64_t buffers;		/* live buffers */
	uint64_t failed_allocs;		/* requests refused for the quota (EDQUOT) */
	uint64_t reserved[4];		/* zero; room for later fields */
};

/*
 * Read what user @uid holds into *usage.  A user that never allocated
 * holds nothing: 0, with every field zero and known.  Returns -ENOENT when
 * the core keeps no usage per user, or -EINVAL.
 */
int dmaheap_user_usage(struct dmaheap_ctx *ctx, uid_t uid,
		       struct dmaheap_user_usage *usage);

/*
 * List every user that allocated since the core was loaded, sorted by uid.
 * Sets *usagep to an array of *countp entries, to be freed with free()
 * (NULL and 0 when there are none, which is not an error even if the core
 * keeps no usage per user).  Returns 0, -EINVAL or -ENOMEM, or the error of
 * reading the directory.
 */
int dmaheap_users(struct dmaheap_ctx *ctx, struct dmaheap_user_usage **usagep,
		  size_t *countp);

/* ---- Buffers ----------------------------------------------------------- */

/*
 * Allocate @len bytes (rounded up to pages by the kernel) from heap @name
 * and return the new dma-buf fd.  If the heap was unregistered and
 * registered again since its fd was cached (-ENODEV), the node is opened
 * anew and the allocation retried once.
 *
 * Returns -EINVAL for bad arguments, -ENOENT for a missing heap, -ENOMEM
 * when the heap refuses (its cap, the global budget, the memory cgroup's
 * limit, or memory), -EDQUOT over the user's quota (see dmaheap_limits()),
 * or another kernel error.
 */
int dmaheap_alloc(struct dmaheap_ctx *ctx, const char *name, size_t len,
		  unsigned int fd_flags);

/* The same on a heap fd from dmaheap_open() or open(2); needs no context. */
int dmaheap_alloc_fd(int heap_fd, size_t len, unsigned int fd_flags);

/* Store the size of dma-buf @buf_fd in *sizep.  Returns 0 or -errno. */
int dmaheap_buf_size(int buf_fd, size_t *sizep);

/*
 * Map the whole buffer shared, with @prot = PROT_READ and/or PROT_WRITE.
 * Sets *addrp, and *lenp (if not NULL) to the length to pass to
 * dmaheap_buf_unmap().  Returns 0 or -errno (-EACCES when @prot asks for
 * more than the fd's access mode).
 */
int dmaheap_buf_map(int buf_fd, int prot, void **addrp, size_t *lenp);

/* Undo dmaheap_buf_map().  Returns 0 or -errno. */
int dmaheap_buf_unmap(void *addr, size_t len);

/*
 * Bracket CPU access to a mapping: call dmaheap_buf_begin() before touching
 * the memory and dmaheap_buf_end() after, with the same @access
 * (DMAHEAP_ACCESS_READ, _WRITE or _RW).  Interrupted calls are retried.
 * Returns 0 or -errno.
 */
int dmaheap_buf_begin(int buf_fd, unsigned int access);
int dmaheap_buf_end(int buf_fd, unsigned int access);

/*
 * Give the buffer a debug name (shown in /proc/<pid>/fdinfo and in the
 * kernel's dma-buf debug files).  At most DMAHEAP_BUF_NAME_MAX bytes.
 * Returns 0, -EINVAL, -EBUSY (some kernels refuse while the buffer is
 * attached), or -EOPNOTSUPP when the kernel cannot name buffers.
 */
int dmaheap_buf_set_name(int buf_fd, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* DMAHEAP_H */
