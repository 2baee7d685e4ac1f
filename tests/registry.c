// SPDX-License-Identifier: GPL-2.0
/*
 * The core's in-kernel registry API and its error paths, checked from
 * inside the kernel by the test-only module dmaheap_regtest.ko: each case
 * loads it with case=NAME, and the load succeeds only if the case passed
 * (the kernel log says why one failed).
 */
#include "harness.h"

#include <sys/syscall.h>

#define REGTEST	"dmaheap_regtest"

/* Heap nodes (names and aliases) registered now. */
static int regtest_nodes(void)
{
	DIR *dir = opendir("/sys/class/dmaheap");
	struct dirent *de;
	int n = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n;
}

static int regtest_run(const char *name)
{
	const char *dir = getenv("DMAHEAP_MODDIR");
	char path[PATH_MAX], params[96];
	int fd, ret = 0;

	if (!dir)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/" REGTEST ".ko", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(params, sizeof(params), "case=%s nodes=%d", name,
		 regtest_nodes());
	if (syscall(SYS_finit_module, fd, params, 0))
		ret = -errno;
	close(fd);
	if (!ret && syscall(SYS_delete_module, REGTEST, O_NONBLOCK))
		ret = -errno;
	return ret;
}

#define REGTEST_CASE(name)						\
TEST(registry_##name)							\
{									\
	int ret = regtest_run(#name);					\
									\
	if (ret == -ENOENT)						\
		SKIP("no $DMAHEAP_MODDIR/" REGTEST ".ko");		\
	/* -EPROTO: the case failed; dmesg names the check. */		\
	ASSERT_EQ(0, ret);						\
}

/* Names: NULL, empty, ".", "..", '/', blanks, controls, too long. */
REGTEST_CASE(bad_names)
/* No ops, or ops without allocate. */
REGTEST_CASE(missing_ops)
/* More extra sysfs groups than the core takes. */
REGTEST_CASE(too_many_groups)
/* A second heap of the same name gets -EEXIST; the name frees on removal. */
REGTEST_CASE(duplicate_name)
/* Exactly DMAHEAP_MAX_NODES (128) nodes fit, then -ENOSPC; minors reused. */
REGTEST_CASE(max_heaps)
/* Aliases find their heap; taken, bad or too many aliases: nothing stays. */
REGTEST_CASE(aliases)
/* Register and unregister many times: no leaked minor or name. */
REGTEST_CASE(register_cycles)
/* dmaheap_find() finds a registered heap, and not after removal. */
REGTEST_CASE(find)
/* dmaheap_alloc() rejects bad arguments and the cap before the heap runs. */
REGTEST_CASE(alloc_validation)
/* A heap of a module still loading answers -EAGAIN, never calls its op. */
REGTEST_CASE(alloc_loading)
/* A heap held past unregistration answers -ENODEV, never calls its op. */
REGTEST_CASE(alloc_after_unregister)

/* A case name the module does not know is refused, not passed. */
TEST(registry_unknown_case_refused)
{
	int ret = regtest_run("no_such_case");

	if (ret == -ENOENT)
		SKIP("no $DMAHEAP_MODDIR/" REGTEST ".ko");
	ASSERT_EQ(-EINVAL, ret);
}
