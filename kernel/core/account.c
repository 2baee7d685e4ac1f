// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap core: who pays for a buffer, and the limits above the per-heap
 * caps.
 *
 * Every request gets a charge (struct dmaheap_charge) before its heap runs.
 * The charge names the heap, the length, the allocating user (effective
 * uid) and memory cgroup, and stays with the buffer until it is released,
 * whoever holds the buffer by then: a buffer passed to another process
 * stays charged to its allocator.  A request must fit, in this order:
 *
 *  1. its heap's cap (limit_bytes, stats.c);
 *  2. the global budget over every heap but carveouts (budget_bytes);
 *  3. its user's quota (user_quota_bytes; root and CAP_SYS_ADMIN are
 *     limited by 1 and 2 only), else EDQUOT;
 *  4. its memory cgroup's memory.max at every level (memcg.c), for the part
 *     the heap does not charge to the cgroup itself.
 *
 * Usage per user is in /sys/kernel/dmaheap/users/<uid>/, the budget's in
 * /sys/kernel/dmaheap/bytes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/gfp.h>
#include <linux/kobject.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include <dmaheap/compat.h>
#include <dmaheap/heap.h>
#include <dmaheap/parse.h>

#include "internal.h"

/**
 * struct dmaheap_user - what one user holds, over every heap
 * @kobj:	/sys/kernel/dmaheap/users/<uid>/.
 * @uid:	The user.
 * @lock:	Protects @bytes, @inflight, @buffers and @failed_allocs.
 * @bytes:	Live bytes of the user's buffers.
 * @inflight:	Bytes of the user's requests in progress.
 * @buffers:	Live buffers.
 * @failed_allocs: Requests refused for the quota.
 */
struct dmaheap_user {
	struct kobject kobj;
	kuid_t uid;
	spinlock_t lock;
	u64 bytes;
	u64 inflight;
	u64 buffers;
	u64 failed_allocs;
};

/**
 * struct dmaheap_charge - who pays for one buffer
 * @heap:	The heap.
 * @len:	The buffer's length.
 * @user:	The allocating user (entries live until the module goes).
 * @quota:	Whether the user's quota applied.
 * @budget:	Whether the global budget counts the buffer.
 * @memcg:	The allocating task's memory cgroup (a reference held), or
 *		NULL: the root cgroup, or charging off.
 * @shadow:	Pages held against @memcg's limit by the core (memcg.c);
 *		the rest the heap charged to the cgroup itself.
 */
struct dmaheap_charge {
	struct dmaheap *heap;
	size_t len;
	struct dmaheap_user *user;
	bool quota;
	bool budget;
	struct mem_cgroup *memcg;
	unsigned long shadow;
};

/* A size parameter whose default is a share of RAM. */
struct dmaheap_size_param {
	u64 bytes;
	bool given;
	unsigned int default_pct;
};

/* Protects the budget's and the quota's struct dmaheap_size_param. */
static DEFINE_SPINLOCK(dmaheap_param_lock);

static struct dmaheap_size_param budget = { .default_pct = 50 };
static struct dmaheap_size_param user_quota = { .default_pct = 25 };

static int dmaheap_size_param_set(const char *val,
				  const struct kernel_param *kp)
{
	struct dmaheap_size_param *p = kp->arg;
	u64 bytes;

	if (dmaheap_parse_size(val, &bytes))
		return -EINVAL;
	spin_lock(&dmaheap_param_lock);
	p->bytes = bytes;
	p->given = true;
	spin_unlock(&dmaheap_param_lock);
	return 0;
}

static u64 dmaheap_size_param_read(struct dmaheap_size_param *p)
{
	u64 bytes;

	spin_lock(&dmaheap_param_lock);
	bytes = p->bytes;
	spin_unlock(&dmaheap_param_lock);
	return bytes;
}

static int dmaheap_size_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%llu\n", dmaheap_size_param_read(kp->arg));
}

static const struct kernel_param_ops dmaheap_size_param_ops = {
	.set = dmaheap_size_param_set,
	.get = dmaheap_size_param_get,
};

module_param_cb(budget_bytes, &dmaheap_size_param_ops, &budget, 0644);
MODULE_PARM_DESC(budget_bytes,
		 "Cap on the live bytes of all heaps together, carveouts aside (K/M/G/T suffixes; default half of RAM)");
module_param_cb(user_quota_bytes, &dmaheap_size_param_ops, &user_quota, 0644);
MODULE_PARM_DESC(user_quota_bytes,
		 "Cap on the live bytes each user other than root may hold over all heaps (K/M/G/T suffixes; default a quarter of RAM)");

static bool memcg_charge = true;
module_param(memcg_charge, bool, 0644);
MODULE_PARM_DESC(memcg_charge,
		 "Charge buffers to the allocating task's memory cgroup and hold it to its memory.max (default on)");

/* Protects dmaheap_budget_used. */
static DEFINE_SPINLOCK(dmaheap_budget_lock);
static u64 dmaheap_budget_used;

/* Serialises the creation of user entries; lookups need no lock. */
static DEFINE_MUTEX(dmaheap_users_lock);
static DEFINE_XARRAY(dmaheap_users);

static struct kobject *dmaheap_kobj;
static struct kobject *dmaheap_users_kobj;

/**
 * dmaheap_ram_pct() - a share of RAM
 * @pct: percent
 *
 * Return: @pct percent of the RAM the kernel manages, in bytes.
 */
u64 dmaheap_ram_pct(unsigned int pct)
{
	return div_u64((u64)totalram_pages() * PAGE_SIZE * pct, 100);
}

/**
 * dmaheap_gfp_account() - GFP flag for pages charged to the memory cgroup
 *
 * Heaps that allocate fresh pages for a request add this to their GFP
 * flags and report the bytes in dmaheap_request::memcg_charged.
 *
 * Return: __GFP_ACCOUNT while memory cgroup charging is on, else 0.
 */
gfp_t dmaheap_gfp_account(void)
{
	return READ_ONCE(memcg_charge) ? __GFP_ACCOUNT : 0;
}
DMAHEAP_EXPORT(dmaheap_gfp_account);

/* The budget ---------------------------------------------------------------- */

static bool dmaheap_budget_take(u64 len)
{
	u64 cap = dmaheap_size_param_read(&budget);
	bool ok;

	spin_lock(&dmaheap_budget_lock);
	ok = len <= cap && dmaheap_budget_used <= cap - len;
	if (ok)
		dmaheap_budget_used += len;
	spin_unlock(&dmaheap_budget_lock);
	return ok;
}

static void dmaheap_budget_give(u64 len)
{
	spin_lock(&dmaheap_budget_lock);
	if (!WARN_ON(dmaheap_budget_used < len))
		dmaheap_budget_used -= len;
	spin_unlock(&dmaheap_budget_lock);
}

/* Users --------------------------------------------------------------------- */

static struct dmaheap_user *to_user(struct kobject *kobj)
{
	return container_of(kobj, struct dmaheap_user, kobj);
}

/* Define <name>_show() printing one counter of a user. */
#define DMAHEAP_USER_SHOW(_name)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	struct dmaheap_user *u = to_user(kobj);				\
	u64 val;							\
									\
	spin_lock(&u->lock);						\
	val = u->_name;							\
	spin_unlock(&u->lock);						\
	return sysfs_emit(buf, "%llu\n", val);				\
}									\
static struct kobj_attribute dmaheap_user_##_name = __ATTR_RO(_name)

DMAHEAP_USER_SHOW(bytes);
DMAHEAP_USER_SHOW(buffers);
DMAHEAP_USER_SHOW(failed_allocs);

static struct attribute *dmaheap_user_attrs[] = {
	&dmaheap_user_bytes.attr,
	&dmaheap_user_buffers.attr,
	&dmaheap_user_failed_allocs.attr,
	NULL,
};
ATTRIBUTE_GROUPS(dmaheap_user);

static void dmaheap_user_release(struct kobject *kobj)
{
	kfree(to_user(kobj));
}

static struct kobj_type dmaheap_user_ktype = {
	.release	= dmaheap_user_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= dmaheap_user_groups,
};

/* The entry of @uid, made (with its sysfs directory) on first use. */
static struct dmaheap_user *dmaheap_user_get(kuid_t uid)
{
	/* from_kuid(&init_user_ns, uid), whose map is the identity, unwalked. */
	unsigned long id = __kuid_val(uid);
	struct dmaheap_user *u = xa_load(&dmaheap_users, id);
	int ret;

	if (u)
		return u;
	mutex_lock(&dmaheap_users_lock);
	u = xa_load(&dmaheap_users, id);
	if (u)
		goto unlock;
	u = kzalloc(sizeof(*u), DMAHEAP_GFP);
	if (!u) {
		u = ERR_PTR(-ENOMEM);
		goto unlock;
	}
	u->uid = uid;
	spin_lock_init(&u->lock);
	ret = kobject_init_and_add(&u->kobj, &dmaheap_user_ktype,
				   dmaheap_users_kobj, "%lu", id);
	if (ret)
		goto put_user;
	ret = xa_err(xa_store(&dmaheap_users, id, u, DMAHEAP_GFP));
	if (ret)
		goto put_user;
	goto unlock;

put_user:
	/* The release frees the entry, whether or not it made it to sysfs. */
	kobject_put(&u->kobj);
	u = ERR_PTR(ret);
unlock:
	mutex_unlock(&dmaheap_users_lock);
	return u;
}

/* Count @len for @u; with @quota, refuse it over the user quota. */
static int dmaheap_user_reserve(struct dmaheap_user *u, u64 len, bool quota)
{
	u64 cap = quota ? dmaheap_size_param_read(&user_quota) : U64_MAX;
	int ret = 0;

	spin_lock(&u->lock);
	if (len > cap || u->bytes + u->inflight > cap - len) {
		u->failed_allocs++;
		ret = -EDQUOT;
	} else {
		u->inflight += len;
	}
	spin_unlock(&u->lock);
	return ret;
}

/* Root and CAP_SYS_ADMIN are held by the caps and the budget only. */
static bool dmaheap_quota_applies(void)
{
	return !uid_eq(current_euid(), GLOBAL_ROOT_UID) &&
	       !ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);
}

/* Charges -------------------------------------------------------------------- */

/**
 * dmaheap_charge() - find who pays for a request, and check every limit
 * @heap: the heap asked
 * @len: the request's length
 *
 * Return: the charge, or an ERR_PTR: -ENOMEM over the heap's cap, the
 * budget or the memory cgroup's limit (or without memory for the
 * bookkeeping), -EDQUOT over the user's quota.  Refusals count as failed
 * allocations of the heap.
 */
struct dmaheap_charge *dmaheap_charge(struct dmaheap *heap, size_t len)
{
	struct dmaheap_charge *c;
	int ret;

	c = kzalloc(sizeof(*c), DMAHEAP_GFP);
	if (!c) {
		dmaheap_account_result(heap, false);
		return ERR_PTR(-ENOMEM);
	}
	c->heap = heap;
	c->len = len;
	c->user = dmaheap_user_get(current_euid());
	if (IS_ERR(c->user)) {
		ret = PTR_ERR(c->user);
		goto free_charge;
	}
	ret = dmaheap_heap_reserve(heap, len);
	if (ret)
		goto free_charge_counted;
	c->budget = !(heap->props & DMAHEAP_PROP_CARVEOUT);
	if (c->budget && !dmaheap_budget_take(len)) {
		ret = -ENOMEM;
		goto cancel_heap;
	}
	c->quota = dmaheap_quota_applies();
	ret = dmaheap_user_reserve(c->user, len, c->quota);
	if (ret)
		goto give_budget;
	if (READ_ONCE(memcg_charge)) {
		/* All of it until the heap says what it charged itself. */
		c->memcg = dmaheap_memcg_get();
		c->shadow = len >> PAGE_SHIFT;
		ret = dmaheap_memcg_reserve(c->memcg, c->shadow);
		if (ret)
			goto put_memcg;
	}
	return c;

put_memcg:
	dmaheap_memcg_put(c->memcg);
	spin_lock(&c->user->lock);
	c->user->inflight -= len;
	spin_unlock(&c->user->lock);
give_budget:
	if (c->budget)
		dmaheap_budget_give(len);
cancel_heap:
	dmaheap_heap_cancel(heap, len, true);
free_charge_counted:
	kfree(c);
	return ERR_PTR(ret);
free_charge:
	dmaheap_account_result(heap, false);
	kfree(c);
	return ERR_PTR(ret);
}

/**
 * dmaheap_charge_commit() - a charged request produced a buffer
 * @c: the charge
 * @memcg_charged: bytes the heap charged to the memory cgroup itself
 *
 * The buffer counts as live everywhere from now on; the core keeps holding
 * the memory cgroup to its limit for the bytes the heap did not charge.
 */
void dmaheap_charge_commit(struct dmaheap_charge *c, size_t memcg_charged)
{
	unsigned long charged = min(memcg_charged, c->len) >> PAGE_SHIFT;

	dmaheap_heap_commit(c->heap, c->len);
	spin_lock(&c->user->lock);
	c->user->inflight -= c->len;
	c->user->bytes += c->len;
	c->user->buffers++;
	spin_unlock(&c->user->lock);
	if (c->memcg && charged) {
		dmaheap_memcg_unreserve(c->memcg, charged);
		c->shadow -= charged;
	}
}

/* Undo everything but the heap's own counters; frees @c. */
static void dmaheap_charge_drop(struct dmaheap_charge *c)
{
	dmaheap_memcg_unreserve(c->memcg, c->shadow);
	dmaheap_memcg_put(c->memcg);
	if (c->budget)
		dmaheap_budget_give(c->len);
	kfree(c);
}

/**
 * dmaheap_charge_cancel() - a charged request failed
 * @c: the charge; freed
 */
void dmaheap_charge_cancel(struct dmaheap_charge *c)
{
	spin_lock(&c->user->lock);
	c->user->inflight -= c->len;
	spin_unlock(&c->user->lock);
	dmaheap_heap_cancel(c->heap, c->len, true);
	dmaheap_charge_drop(c);
}

/**
 * dmaheap_uncharge() - a buffer was released: its payers are free again
 * @charge: the buffer's charge, from dmaheap_request::charge
 *
 * Called exactly once per buffer, from its release.  Heaps built on the
 * shared exporter never call this themselves.
 */
void dmaheap_uncharge(struct dmaheap_charge *charge)
{
	struct dmaheap_user *u = charge->user;

	spin_lock(&u->lock);
	if (!WARN_ON(u->bytes < charge->len || !u->buffers)) {
		u->bytes -= charge->len;
		u->buffers--;
	}
	spin_unlock(&u->lock);
	dmaheap_heap_release(charge->heap, charge->len);
	dmaheap_charge_drop(charge);
}
DMAHEAP_EXPORT(dmaheap_uncharge);

/* sysfs: /sys/kernel/dmaheap -------------------------------------------------- */

static ssize_t budget_used_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	u64 val;

	spin_lock(&dmaheap_budget_lock);
	val = dmaheap_budget_used;
	spin_unlock(&dmaheap_budget_lock);
	return sysfs_emit(buf, "%llu\n", val);
}
static struct kobj_attribute dmaheap_bytes_attr =
	__ATTR(bytes, 0444, budget_used_show, NULL);

/**
 * dmaheap_account_init() - defaults, and /sys/kernel/dmaheap
 *
 * Return: 0 or -ENOMEM.
 */
int dmaheap_account_init(void)
{
	int ret;

	spin_lock(&dmaheap_param_lock);
	if (!budget.given)
		budget.bytes = dmaheap_ram_pct(budget.default_pct);
	if (!user_quota.given)
		user_quota.bytes = dmaheap_ram_pct(user_quota.default_pct);
	spin_unlock(&dmaheap_param_lock);

	dmaheap_kobj = kobject_create_and_add("dmaheap", kernel_kobj);
	if (!dmaheap_kobj)
		return -ENOMEM;
	ret = sysfs_create_file(dmaheap_kobj, &dmaheap_bytes_attr.attr);
	if (ret)
		goto put_kobj;
	dmaheap_users_kobj = kobject_create_and_add("users", dmaheap_kobj);
	if (!dmaheap_users_kobj) {
		ret = -ENOMEM;
		goto put_kobj;
	}
	return 0;

put_kobj:
	kobject_put(dmaheap_kobj);
	return ret;
}

/**
 * dmaheap_account_exit() - drop every user entry and /sys/kernel/dmaheap
 *
 * No buffer is alive any more: each holds a reference on its heap's module,
 * which holds one on this one.
 */
void dmaheap_account_exit(void)
{
	struct dmaheap_user *u;
	unsigned long id;

	xa_for_each(&dmaheap_users, id, u)
		kobject_put(&u->kobj);
	xa_destroy(&dmaheap_users);
	kobject_put(dmaheap_users_kobj);
	kobject_put(dmaheap_kobj);
}
