// SPDX-License-Identifier: GPL-2.0
/*
 * Deferred frees and TYPESAFE_BY_RCU caches, one thread (suite rcu_api):
 * a deferred free waits in its batch until a flush and then for the grace
 * period; full batches go at once, one callback each; every kind of
 * kmalloc memory may be freed so; destroy waits for frees pending; a bad
 * pointer is refused at once. Portable.
 */
#include <kslab/buddy.h>
#include <kslab/kmalloc.h>
#include <kslab/slab.h>

#include "../capture.h"
#include "rcu_tests.h"

#define ITEM_MAGIC	0x17e3c0deUL
#define BATCH_OBJS	60	/* mm/rcu_free.c's batch */

static struct kslab_rcu_stats rcu_stats(void)
{
	struct kslab_rcu_stats st;

	kslab_rcu_stats(&st);
	return st;
}

static unsigned long active(struct kslab_cache *cache)
{
	struct kslab_cache_stats st;

	kslab_cache_stats(cache, &st);
	return st.active_objs;
}

static struct kslab_cache *rcu_cache(struct ktap_test *t, const char *name,
				     const struct kslab_cache_args *args,
				     unsigned long flags)
{
	struct kslab_cache *cache;

	cache = kslab_cache_create(name, 64, args, flags | KSLAB_NO_MAGAZINE);
	KTAP_EXPECT(t, cache != NULL);
	return cache;
}

/*
 * Freed inside a read-side section, objects stay out until a flush and a
 * grace period have passed; then they are back in their slab.
 */
static void test_free_waits_for_flush_and_grace_period(struct ktap_test *t)
{
	struct kslab_cache *cache = rcu_cache(t, "t-rcu-wait", NULL, 0);
	struct kslab_rcu_stats before;
	unsigned long *objs[3];
	unsigned int i, intact = 0;

	if (!cache)
		return;
	for (i = 0; i < 3; i++) {
		objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
		if (!KTAP_EXPECT(t, objs[i] != NULL))
			return;
		*objs[i] = ITEM_MAGIC + i;
	}
	before = rcu_stats();
	kslab_rcu_read_lock();
	for (i = 0; i < 3; i++)
		kslab_cache_free_rcu(cache, objs[i]);
	for (i = 0; i < 3; i++)
		intact += *objs[i] == ITEM_MAGIC + i;
	kslab_rcu_read_unlock();
	KTAP_EXPECT_EQ(t, intact, 3);
	KTAP_EXPECT_EQ(t, rcu_stats().pending, before.pending + 3);
	KTAP_EXPECT_EQ(t, rcu_stats().queued, before.queued + 3);
	KTAP_EXPECT_EQ(t, active(cache), 3);
	KTAP_EXPECT(t, kslab_rcu_flush());
	kslab_rcu_barrier();
	KTAP_EXPECT_EQ(t, rcu_stats().pending, 0);
	KTAP_EXPECT_EQ(t, active(cache), 0);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	kslab_cache_destroy(cache);
}

/* A full batch takes one callback for all its objects, queued at once. */
static void test_batches(struct ktap_test *t)
{
	struct kslab_cache *cache = rcu_cache(t, "t-rcu-batch", NULL, 0);
	unsigned int i, n = 3 * BATCH_OBJS + 5;
	struct kslab_rcu_stats before, full, done;
	void *obj;

	if (!cache)
		return;
	kslab_rcu_flush();
	kslab_rcu_barrier();
	before = rcu_stats();
	for (i = 0; i < n; i++) {
		obj = kslab_cache_alloc(cache, GFP_KERNEL);
		if (!KTAP_EXPECT(t, obj != NULL))
			break;
		kslab_cache_free_rcu(cache, obj);
	}
	full = rcu_stats();
	kslab_rcu_flush();
	kslab_rcu_barrier();
	done = rcu_stats();
	/* Full batches left without a flush; a move to another CPU may split one. */
	KTAP_EXPECT(t, full.batches - before.batches >= 2);
	KTAP_EXPECT(t, done.batches - before.batches <= n / BATCH_OBJS +
		       2 * kslab_nr_cpus());
	KTAP_EXPECT_EQ(t, done.queued - before.queued, n);
	KTAP_EXPECT_EQ(t, done.pending, 0);
	KTAP_EXPECT_EQ(t, active(cache), 0);
	kslab_cache_destroy(cache);
}

/* kslab_kfree_rcu() takes all kmalloc gives: objects, blocks, large. */
static void test_kfree_rcu_every_kind(struct ktap_test *t)
{
	static const size_t sizes[] = { 8, 100, 4000, 64UL << 10, 5UL << 20 };
	struct report_capture cap;
	unsigned long pages;
	unsigned int i;

	/* The classes made and their magazines filled before counting. */
	for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++)
		kslab_kfree(kslab_kmalloc(sizes[i], GFP_KERNEL));
	kslab_reap_all();
	pages = buddy_used_pages();
	capture_start(&cap);
	for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++) {
		char *p = kslab_kmalloc(sizes[i], GFP_KERNEL);

		KTAP_EXPECT(t, p != NULL);
		kslab_kfree_rcu(p);
	}
	kslab_kfree_rcu(NULL);
	kslab_kfree_rcu(KSLAB_ZERO_SIZE_PTR);
	kslab_rcu_flush();
	kslab_rcu_barrier();
	kslab_reap_all();
	capture_stop(&cap);
	expect_no_report(t, &cap);
	KTAP_EXPECT_EQ(t, rcu_stats().pending, 0);
	KTAP_EXPECT(t, buddy_used_pages() <= pages);
}

/* Destroy with frees still in batches: it waits for them, no leak. */
static void test_destroy_waits(struct ktap_test *t)
{
	struct kslab_cache *cache = rcu_cache(t, "t-rcu-destroy", NULL, 0);
	unsigned long pages = buddy_used_pages();
	struct report_capture cap;
	unsigned int i;

	if (!cache)
		return;
	for (i = 0; i < 100; i++)
		kslab_cache_free_rcu(cache, kslab_cache_alloc(cache, GFP_KERNEL));
	KTAP_EXPECT(t, rcu_stats().pending >= 100 % BATCH_OBJS);
	capture_start(&cap);
	kslab_cache_destroy(cache);
	capture_stop(&cap);
	expect_no_report(t, &cap);
	KTAP_EXPECT_EQ(t, rcu_stats().pending, 0);
	KTAP_EXPECT(t, buddy_used_pages() <= pages);
}

/* A pointer that is no object is refused now, not queued. */
static void test_bad_pointer(struct ktap_test *t)
{
	struct kslab_cache *cache = rcu_cache(t, "t-rcu-bad", NULL, 0);
	unsigned long queued = rcu_stats().queued;
	struct report_capture cap;
	char *obj;

	if (!cache)
		return;
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	capture_start(&cap);
	kslab_cache_free_rcu(cache, obj + 8);
	capture_stop(&cap);
	expect_one_error(t, &cap, "inside an object", "t-rcu-bad");
	KTAP_EXPECT_EQ(t, rcu_stats().queued, queued);
	kslab_cache_free(cache, obj);
	kslab_cache_destroy(cache);
}

static const struct ktap_case rcu_api_cases[] = {
	{ "free_waits_for_flush_and_grace_period",
	  test_free_waits_for_flush_and_grace_period },
	{ "batches", test_batches },
	{ "kfree_rcu_every_kind", test_kfree_rcu_every_kind },
	{ "destroy_waits", test_destroy_waits },
	{ "bad_pointer", test_bad_pointer },
};

const struct ktap_suite rcu_api_suite = KTAP_SUITE("rcu_api", rcu_api_cases);
