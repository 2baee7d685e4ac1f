// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: the error paths of dmaheap's in-kernel API.
 *
 * Loaded by tests/registry.c with case=NAME.  The module runs that one case
 * at init and loads only if it passes; a failing case logs why and makes
 * the load fail with -EPROTO.  Every heap it registers is unregistered
 * before init returns, so unloading it again is all the cleanup there is.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <dmaheap/compat.h>
#include <dmaheap/heap.h>

static char *test_case;
module_param_named(case, test_case, charp, 0444);
MODULE_PARM_DESC(case, "The check to run at load");

static unsigned int nodes;
module_param(nodes, uint, 0444);
MODULE_PARM_DESC(nodes, "Heap nodes (names and aliases) registered before the load");

/* Calls of regtest_allocate(), to prove the core did or did not get there. */
static atomic_t regtest_allocs = ATOMIC_INIT(0);

static struct dma_buf *regtest_allocate(struct dmaheap *heap,
					struct dmaheap_request *req)
{
	atomic_inc(&regtest_allocs);
	return ERR_PTR(-ENOSPC);
}

static const struct dmaheap_ops regtest_ops = {
	.allocate = regtest_allocate,
};

static const struct dmaheap_ops regtest_no_allocate_ops;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		pr_err("case %s: check failed at line %d: %s\n",	\
		       test_case, __LINE__, #cond);			\
		return -EPROTO;						\
	}								\
} while (0)

/* Register @info and expect @err (0: success, then unregister). */
static int regtest_expect_info(const struct dmaheap_info *info, int err)
{
	struct dmaheap *heap = dmaheap_register(info);

	if (IS_ERR(heap)) {
		if (PTR_ERR(heap) == err)
			return 0;
		pr_err("case %s: registering '%s' gave %ld, expected %d\n",
		       test_case, info->name ?: "(null)", PTR_ERR(heap), err);
		return -EPROTO;
	}
	dmaheap_unregister(heap);
	if (err) {
		pr_err("case %s: registering '%s' succeeded, expected %d\n",
		       test_case, info->name ?: "(null)", err);
		return -EPROTO;
	}
	return 0;
}

/* Register @name with @ops and expect @err (0: success, then unregister). */
static int regtest_expect(const char *name, const struct dmaheap_ops *ops,
			  int err)
{
	struct dmaheap_info info = { .name = name, .ops = ops };

	return regtest_expect_info(&info, err);
}

static int case_bad_names(void)
{
	static const char *const bad[] = {
		"", ".", "..", "a/b", "/", "with space", "tab\there",
		"nl\n", "\x01", "\x7f",
	};
	char longest[DMAHEAP_NAME_MAX + 2];
	size_t i;

	CHECK(!regtest_expect(NULL, &regtest_ops, -EINVAL));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(!regtest_expect(bad[i], &regtest_ops, -EINVAL));

	memset(longest, 'n', sizeof(longest));
	longest[DMAHEAP_NAME_MAX + 1] = '\0';
	CHECK(!regtest_expect(longest, &regtest_ops, -EINVAL));
	longest[DMAHEAP_NAME_MAX] = '\0';
	CHECK(!regtest_expect(longest, &regtest_ops, 0));
	CHECK(!regtest_expect("linux,cma-regtest..x", &regtest_ops, 0));
	return 0;
}

static int case_missing_ops(void)
{
	CHECK(!regtest_expect("regtest", NULL, -EINVAL));
	CHECK(!regtest_expect("regtest", &regtest_no_allocate_ops, -EINVAL));
	return 0;
}

static int case_too_many_groups(void)
{
	static struct attribute *no_attrs[] = { NULL };
	static const struct attribute_group group = { .attrs = no_attrs };
	const struct attribute_group *groups[] = {
		&group, &group, &group, &group, &group, NULL,
	};
	struct dmaheap_info info = {
		.name = "regtest",
		.ops = &regtest_ops,
		.groups = groups,
	};
	struct dmaheap *heap = dmaheap_register(&info);

	CHECK(IS_ERR(heap) && PTR_ERR(heap) == -EINVAL);
	return 0;
}

static int case_duplicate_name(void)
{
	struct dmaheap_info info = { .name = "regtest", .ops = &regtest_ops };
	struct dmaheap *heap = dmaheap_register(&info);
	int ret;

	CHECK(!IS_ERR(heap));
	ret = regtest_expect("regtest", &regtest_ops, -EEXIST);
	dmaheap_unregister(heap);
	CHECK(!ret);
	/* The name is free again once the heap is gone. */
	CHECK(!regtest_expect("regtest", &regtest_ops, 0));
	return 0;
}

/*
 * Fill every minor: with the nodes that existed before (counted by the
 * test program in /sys/class/dmaheap), exactly DMAHEAP_MAX_NODES fit and
 * the next heap gets -ENOSPC.
 */
static int case_max_heaps(void)
{
	unsigned int existing = nodes, n = 0, i;
	struct dmaheap **heaps;
	struct dmaheap *extra;
	int ret = 0;

	heaps = kcalloc(DMAHEAP_MAX_NODES, sizeof(*heaps), GFP_KERNEL);
	if (!heaps)
		return -ENOMEM;

	for (;;) {
		char name[32];
		struct dmaheap_info info = { .name = name, .ops = &regtest_ops };
		struct dmaheap *heap;

		snprintf(name, sizeof(name), "regtest%u", n);
		heap = dmaheap_register(&info);
		if (IS_ERR(heap)) {
			ret = PTR_ERR(heap);
			break;
		}
		if (n == DMAHEAP_MAX_NODES) {
			dmaheap_unregister(heap);
			ret = 0;
			break;
		}
		heaps[n++] = heap;
	}
	if (ret != -ENOSPC || existing + n != DMAHEAP_MAX_NODES) {
		pr_err("case %s: %u heaps existed, %u more registered, then %d\n",
		       test_case, existing, n, ret);
		ret = -EPROTO;
	} else {
		ret = 0;
	}

	/* A freed minor is usable again. */
	if (!ret && n) {
		struct dmaheap_info info = { .name = "regtest-again",
					     .ops = &regtest_ops };

		dmaheap_unregister(heaps[--n]);
		extra = dmaheap_register(&info);
		if (IS_ERR(extra)) {
			pr_err("case %s: reuse of a freed minor gave %ld\n",
			       test_case, PTR_ERR(extra));
			ret = -EPROTO;
		} else {
			dmaheap_unregister(extra);
		}
	}
	for (i = 0; i < n; i++)
		dmaheap_unregister(heaps[i]);
	kfree(heaps);
	return ret;
}

static int case_register_cycles(void)
{
	unsigned int i;

	for (i = 0; i < 500; i++)
		CHECK(!regtest_expect("regtest", &regtest_ops, 0));
	return 0;
}

static int case_find(void)
{
	struct dmaheap_info info = { .name = "regtest", .ops = &regtest_ops };
	struct dmaheap *heap = dmaheap_register(&info), *found;

	CHECK(!IS_ERR(heap));
	found = dmaheap_find("regtest");
	if (found != heap) {
		if (found)
			dmaheap_put(found);
		dmaheap_unregister(heap);
		CHECK(false);
	}
	CHECK(!strcmp(dmaheap_name(found), "regtest"));
	dmaheap_put(found);
	dmaheap_unregister(heap);
	CHECK(!dmaheap_find("regtest"));
	CHECK(!dmaheap_find("no-such-heap"));
	return 0;
}

/* dmaheap_alloc() validates before the heap's op is ever called. */
static int case_alloc_validation(void)
{
	struct dmaheap_info info = {
		.name = "regtest",
		.ops = &regtest_ops,
		.limit = 2 * PAGE_SIZE,
	};
	/*
	 * Registered like a built-in heap (no owner module): heaps of a
	 * module that is still loading serve nothing, see case_alloc_loading.
	 */
	struct dmaheap *heap = __dmaheap_register(&info, NULL);
	int ret = 0;

	CHECK(!IS_ERR(heap));
	atomic_set(&regtest_allocs, 0);
	if (PTR_ERR(dmaheap_alloc(heap, 0, O_RDWR, 0)) != -EINVAL ||
	    PTR_ERR(dmaheap_alloc(heap, U64_MAX, O_RDWR, 0)) != -EINVAL ||
	    PTR_ERR(dmaheap_alloc(heap, PAGE_SIZE, O_NONBLOCK, 0)) != -EINVAL ||
	    PTR_ERR(dmaheap_alloc(heap, PAGE_SIZE, O_RDWR, 1)) != -EINVAL ||
	    PTR_ERR(dmaheap_alloc(heap, 3 * PAGE_SIZE, O_RDWR, 0)) != -ENOMEM ||
	    atomic_read(&regtest_allocs) != 0)
		ret = -EPROTO;
	/* Within the cap, the heap's own error comes back unchanged. */
	if (!ret && (PTR_ERR(dmaheap_alloc(heap, 2 * PAGE_SIZE - 1, O_RDWR, 0)) != -ENOSPC ||
		     atomic_read(&regtest_allocs) != 1))
		ret = -EPROTO;
	dmaheap_unregister(heap);
	if (ret)
		pr_err("case %s: dmaheap_alloc() returned an unexpected error\n",
		       test_case);
	return ret;
}

/*
 * This module is still loading while its init runs: its heap must refuse
 * to allocate (-EAGAIN) without calling the op, so that no buffer can
 * outlive a module whose init then fails.
 */
static int case_alloc_loading(void)
{
	struct dmaheap_info info = { .name = "regtest", .ops = &regtest_ops };
	struct dmaheap *heap = dmaheap_register(&info);
	struct dma_buf *dmabuf;

	CHECK(!IS_ERR(heap));
	atomic_set(&regtest_allocs, 0);
	dmabuf = dmaheap_alloc(heap, PAGE_SIZE, O_RDWR, 0);
	dmaheap_unregister(heap);
	CHECK(PTR_ERR(dmabuf) == -EAGAIN);
	CHECK(!atomic_read(&regtest_allocs));
	return 0;
}

/* A heap held through dmaheap_find() outlives unregistration, inertly. */
static int case_alloc_after_unregister(void)
{
	struct dmaheap_info info = { .name = "regtest", .ops = &regtest_ops };
	struct dmaheap *heap = __dmaheap_register(&info, NULL), *held;

	CHECK(!IS_ERR(heap));
	held = dmaheap_find("regtest");
	dmaheap_unregister(heap);
	CHECK(held);
	atomic_set(&regtest_allocs, 0);
	if (PTR_ERR(dmaheap_alloc(held, PAGE_SIZE, O_RDWR, 0)) != -ENODEV ||
	    atomic_read(&regtest_allocs)) {
		dmaheap_put(held);
		CHECK(false);
	}
	dmaheap_put(held);
	return 0;
}

/*
 * Aliases are names of one heap: each finds the heap, none may be taken
 * already, at most DMAHEAP_MAX_ALIASES, each a valid name; a failed
 * registration leaves none of its names behind.
 */
static int case_aliases(void)
{
	static const char *const two[] = { "regtest-a", "regtest-b", NULL };
	static const char *const taken[] = { "regtest-c", "regtest", NULL };
	static const char *const bad[] = { "regtest-d", "a/b", NULL };
	static const char *const many[] = { "r1", "r2", "r3", "r4", "r5", NULL };
	struct dmaheap_info info = {
		.name = "regtest",
		.aliases = two,
		.ops = &regtest_ops,
	};
	struct dmaheap *heap = dmaheap_register(&info), *found;
	bool same;
	int ret;

	CHECK(!IS_ERR(heap));
	found = dmaheap_find("regtest-b");
	same = found == heap;
	if (found) {
		same = same && !strcmp(dmaheap_name(found), "regtest");
		dmaheap_put(found);
	}
	/* An alias that is another heap's name. */
	info.name = "regtest-x";
	info.aliases = taken;
	ret = regtest_expect_info(&info, -EEXIST);
	dmaheap_unregister(heap);
	CHECK(same);
	CHECK(!ret);
	CHECK(!dmaheap_find("regtest-x") && !dmaheap_find("regtest-c"));
	CHECK(!dmaheap_find("regtest-a"));

	info.aliases = bad;
	CHECK(!regtest_expect_info(&info, -EINVAL));
	info.aliases = many;
	CHECK(!regtest_expect_info(&info, -EINVAL));
	CHECK(!dmaheap_find("regtest-x") && !dmaheap_find("r1"));
	/* Once the heap is gone its aliases are free names again. */
	info.name = "regtest-a";
	info.aliases = NULL;
	CHECK(!regtest_expect_info(&info, 0));
	return 0;
}

static const struct {
	const char *name;
	int (*run)(void);
} regtest_cases[] = {
	{ "aliases", case_aliases },
	{ "bad_names", case_bad_names },
	{ "missing_ops", case_missing_ops },
	{ "too_many_groups", case_too_many_groups },
	{ "duplicate_name", case_duplicate_name },
	{ "max_heaps", case_max_heaps },
	{ "register_cycles", case_register_cycles },
	{ "find", case_find },
	{ "alloc_validation", case_alloc_validation },
	{ "alloc_loading", case_alloc_loading },
	{ "alloc_after_unregister", case_alloc_after_unregister },
};

static int __init regtest_init(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(regtest_cases); i++)
		if (test_case && !strcmp(test_case, regtest_cases[i].name))
			return regtest_cases[i].run();
	pr_err("unknown case '%s'\n", test_case ?: "");
	return -EINVAL;
}

static void __exit regtest_exit(void)
{
}

module_init(regtest_init);
module_exit(regtest_exit);

MODULE_DESCRIPTION("dmaheap test: in-kernel API error paths");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMAHEAP_NS(DMAHEAP));
