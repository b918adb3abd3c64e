// SPDX-License-Identifier: GPL-2.0
/*
 * Giving memory back. A free that empties a slab gives it back unless the
 * cache keeps it as one of its few spares. kslab_cache_shrink() flushes
 * every magazine and frees every empty slab; its result is the pages the
 * buddy allocator got back, which the zone's own counters confirm.
 * kslab_cache_reap() frees only the depot magazines that stayed unused
 * for a whole interval between two reaps (Bonwick's working set), then
 * the empty slabs beyond the few kept; kslab_reap_all() does that for
 * every cache, and kslab_shrink_all() shrinks every cache and gives the
 * zone's free chunks back, with kslab_memory_stats() to see it.
 */
#include "slab_tests.h"

#define SHRINK_OBJS	200

/* Tests run one at a time: their object arrays stay off small kernel stacks. */
static void *scratch[SHRINK_OBJS];

/* Empty slabs a cache keeps for reuse (mm/slab_common.c) */
#define EMPTY_SLABS_KEPT	2

/*
 * Frees that empty a slab give it back at once beyond the few kept, so a
 * cache that shrank in use needs no shrink to return most of its pages.
 */
static void test_free_gives_back_empty_slabs(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-free-empty", 256, NULL,
					       KSLAB_NO_MAGAZINE);
	struct kslab_cache_stats full, st;
	void **objs = scratch;
	unsigned long used;

	if (!cache || !alloc_objs(t, cache, objs, SHRINK_OBJS))
		goto out;
	full = cache_stats(cache);
	used = buddy_used_pages();
	free_objs(cache, objs, SHRINK_OBJS);
	st = cache_stats(cache);
	KTAP_EXPECT(t, full.num_slabs > EMPTY_SLABS_KEPT);
	KTAP_EXPECT_EQ(t, st.num_slabs, EMPTY_SLABS_KEPT);
	KTAP_EXPECT_EQ(t, st.active_slabs, 0);
	KTAP_EXPECT_EQ(t, st.slab_frees, full.num_slabs - EMPTY_SLABS_KEPT);
	KTAP_EXPECT_EQ(t, used - buddy_used_pages(),
		       st.slab_frees * st.pages_per_slab);
out:
	test_cache_destroy(t, cache);
}

/*
 * Shrinking may also trim the internal caches that magazines and off-slab
 * headers come from; trim them now, so a measurement that follows sees
 * only its own cache's pages go back.
 */
static void settle_internal_caches(struct ktap_test *t)
{
	struct kslab_cache *idle = test_cache(t, "t-settle", 64, NULL, 0);

	if (idle)
		kslab_cache_shrink(idle);
	test_cache_destroy(t, idle);
}

/* What a shrink of a cache whose objects were all freed changed. */
struct shrink_result {
	struct kslab_cache_stats before, after;
	unsigned long dropped;		/* fall in the zone's used pages */
	int pages;			/* what the shrink said */
};

/*
 * Allocate and free SHRINK_OBJS objects, then shrink: every slab goes
 * back, and the shrink says so. Return: false if the objects were not had.
 */
static bool churn_and_shrink(struct ktap_test *t, struct kslab_cache *cache,
			     struct shrink_result *r)
{
	void **objs = scratch;
	unsigned long used;

	if (!cache || !alloc_objs(t, cache, objs, SHRINK_OBJS))
		return false;
	free_objs(cache, objs, SHRINK_OBJS);
	r->before = cache_stats(cache);
	settle_internal_caches(t);
	used = buddy_used_pages();
	r->pages = kslab_cache_shrink(cache);
	r->dropped = used - buddy_used_pages();
	r->after = cache_stats(cache);

	KTAP_EXPECT(t, r->pages > 0);
	KTAP_EXPECT_EQ(t, r->pages,
		       r->before.num_slabs * r->before.pages_per_slab);
	KTAP_EXPECT_EQ(t, (r->after.slab_frees - r->before.slab_frees) *
			  r->before.pages_per_slab, r->pages);
	KTAP_EXPECT_EQ(t, r->after.num_slabs, 0);
	KTAP_EXPECT_EQ(t, r->after.active_objs, 0);
	KTAP_EXPECT_EQ(t, r->after.slab_frees, r->after.slab_grows);
	KTAP_EXPECT_EQ(t, kslab_cache_shrink(cache), 0);
	return true;
}

/*
 * Without magazines or off-slab headers, the slabs freed are exactly the
 * pages the zone regains.
 */
static void test_shrink_returns_pages(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-shrink-pages", 3000, NULL,
					       KSLAB_NO_MAGAZINE);
	struct shrink_result r;

	if (churn_and_shrink(t, cache, &r)) {
		KTAP_EXPECT(t, !r.before.off_slab);
		KTAP_EXPECT_EQ(t, r.before.active_slabs, 0);
		KTAP_EXPECT_EQ(t, r.dropped, r.pages);
	}
	test_cache_destroy(t, cache);
}

/*
 * With magazines, freed objects stay cached and pin every slab; a
 * shrink sends them home and frees all the slabs. Magazines going back
 * to their own caches may free pages too, so the zone regains at least
 * what the shrink reports.
 */
static void test_shrink_flushes_magazines(struct ktap_test *t)
{
	struct kslab_cache_args args = { .magazine_size = RIG_MAGAZINE };
	struct kslab_cache *cache = test_cache(t, "t-shrink-mags", 256, &args, 0);
	struct shrink_result r;

	if (churn_and_shrink(t, cache, &r)) {
		KTAP_EXPECT(t, r.before.magazine_objs >= SHRINK_OBJS);
		KTAP_EXPECT_EQ(t, r.before.active_objs, r.before.magazine_objs);
		KTAP_EXPECT_EQ(t, r.before.active_slabs, r.before.num_slabs);
		KTAP_EXPECT(t, r.dropped >= (unsigned long)r.pages);
		KTAP_EXPECT_EQ(t, r.after.magazine_objs, 0);
		KTAP_EXPECT_EQ(t, r.after.depot_full + r.after.depot_empty, 0);
	}
	test_cache_destroy(t, cache);
}

/* Objects still held keep their slabs, and their contents. */
static void test_shrink_keeps_held(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-shrink-held", 256, NULL, 0);
	struct kslab_cache_stats before, after;
	unsigned long i, held = 0, intact = 0;
	void **objs = scratch;
	int pages;

	if (!cache || !alloc_objs(t, cache, objs, SHRINK_OBJS))
		goto out;
	/* Keep one object in 40: some of the 15-object slabs keep one. */
	for (i = 0; i < SHRINK_OBJS; i++) {
		if (i % 40) {
			kslab_cache_free(cache, objs[i]);
			continue;
		}
		*(unsigned long *)objs[i] = i;
		objs[held++] = objs[i];
	}
	before = cache_stats(cache);
	pages = kslab_cache_shrink(cache);
	after = cache_stats(cache);
	KTAP_EXPECT(t, pages > 0);
	KTAP_EXPECT_EQ(t, after.active_objs, held);
	KTAP_EXPECT_EQ(t, after.num_slabs, after.active_slabs);
	KTAP_EXPECT(t, after.num_slabs <= held);
	KTAP_EXPECT_EQ(t, pages, (after.slab_frees - before.slab_frees) *
				 after.pages_per_slab);
	KTAP_EXPECT_EQ(t, after.num_slabs,
		       before.num_slabs - (after.slab_frees - before.slab_frees));
	for (i = 0; i < held; i++)
		intact += *(unsigned long *)objs[i] == i * 40;
	KTAP_EXPECT_EQ(t, intact, held);
	free_objs(cache, objs, held);
out:
	test_cache_destroy(t, cache);
}

/*
 * The rig's state after 56 allocations and 56 frees (see slab_magazine.c):
 * the CPU holds two full magazines and the depot two more, 14 objects of
 * 1 KiB each, so 4 to a one-page slab and 14 slabs in all.
 */
static bool rig_fill_depot(struct ktap_test *t, struct rig *rig,
			   const char *name)
{
	struct kslab_cache_stats st;

	if (!rig_start(t, rig, name, 1024))
		return false;
	rig_alloc(t, rig, 56);
	rig_free(rig, 56);
	st = cache_stats(rig->cache);
	KTAP_EXPECT_EQ(t, st.depot_full, 2);
	KTAP_EXPECT_EQ(t, st.magazine_objs, 56);
	KTAP_EXPECT_EQ(t, st.num_slabs, 56 / st.objs_per_slab);
	return true;
}

/* @pages came from this reap of @cache, whose slabs were @before. */
static void expect_reaped(struct ktap_test *t, struct kslab_cache *cache,
			  const struct kslab_cache_stats *before, int pages)
{
	struct kslab_cache_stats after = cache_stats(cache);
	unsigned long freed = after.slab_frees - before->slab_frees;

	KTAP_EXPECT(t, pages > 0);
	KTAP_EXPECT(t, freed > 0);
	KTAP_EXPECT_EQ(t, after.num_slabs, before->num_slabs - freed);
	KTAP_EXPECT(t, after.num_slabs - after.active_slabs <= 2);
	KTAP_EXPECT_EQ(t, after.depot_full, 0);
	KTAP_EXPECT_EQ(t, after.depot_objs, 0);
	/* The CPU's two magazines are not the depot's to reap. */
	KTAP_EXPECT_EQ(t, after.magazine_objs, 2 * RIG_MAGAZINE);
	KTAP_EXPECT_EQ(t, after.active_objs, 2 * RIG_MAGAZINE);
}

static void test_reap_frees_idle_depot(struct ktap_test *t)
{
	struct kslab_cache_stats before;
	struct rig rig;
	int pages;

	if (!rig_fill_depot(t, &rig, "t-reap-idle"))
		return;
	/* The first reap opens the interval: nothing was seen idle yet. */
	KTAP_EXPECT_EQ(t, kslab_cache_reap(rig.cache), 0);
	before = cache_stats(rig.cache);
	KTAP_EXPECT_EQ(t, before.depot_full, 2);
	pages = kslab_cache_reap(rig.cache);
	expect_reaped(t, rig.cache, &before, pages);
	KTAP_EXPECT_EQ(t, pages, (cache_stats(rig.cache).slab_frees -
				  before.slab_frees) * before.pages_per_slab);
	KTAP_EXPECT_EQ(t, kslab_cache_check(rig.cache), 0);
	rig_end(t, &rig);
}

/* Only magazines no CPU needed during the interval are freed. */
static void test_reap_keeps_working_set(struct ktap_test *t)
{
	struct kslab_cache_stats st;
	struct rig rig;

	if (!rig_fill_depot(t, &rig, "t-reap-working"))
		return;
	kslab_cache_reap(rig.cache);
	/* Take one full magazine from the depot and leave an empty one. */
	rig_alloc(t, &rig, 29);
	st = cache_stats(rig.cache);
	KTAP_EXPECT_EQ(t, st.depot_full, 1);
	KTAP_EXPECT_EQ(t, st.depot_empty, 1);
	kslab_cache_reap(rig.cache);
	st = cache_stats(rig.cache);
	KTAP_EXPECT_EQ(t, st.depot_full, 0);	/* idle all interval */
	KTAP_EXPECT_EQ(t, st.depot_empty, 1);	/* arrived meanwhile */
	kslab_cache_reap(rig.cache);
	st = cache_stats(rig.cache);
	KTAP_EXPECT_EQ(t, st.depot_empty, 0);	/* idle since */
	KTAP_EXPECT_EQ(t, st.active_objs, rig.nr_held + st.magazine_objs);
	rig_end(t, &rig);
}

static void test_reap_all(struct ktap_test *t)
{
	struct kslab_cache_stats before;
	struct rig rig;
	int pages;

	if (!rig_fill_depot(t, &rig, "t-reap-all"))
		return;
	kslab_reap_all();
	before = cache_stats(rig.cache);
	KTAP_EXPECT_EQ(t, before.depot_full, 2);
	pages = kslab_reap_all();
	expect_reaped(t, rig.cache, &before, pages);
	/* Other caches may give pages back too. */
	KTAP_EXPECT(t, (unsigned long)pages >=
		       (cache_stats(rig.cache).slab_frees - before.slab_frees) *
		       before.pages_per_slab);
	rig_end(t, &rig);
}

/*
 * kslab_memory_stats() sees a cache's slabs and its freed objects;
 * kslab_shrink_all() flushes every cache, so the cache is left with no
 * slab, and the figures agree with each other after.
 */
static void test_shrink_all_and_memory_stats(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-shrink-all", 512, NULL, 0);
	struct kslab_memory_stats before, after;
	struct kslab_cache_stats st;
	unsigned long cache_bytes;

	if (!cache || !alloc_objs(t, cache, scratch, SHRINK_OBJS))
		goto out;
	free_objs(cache, scratch, SHRINK_OBJS);
	st = cache_stats(cache);
	cache_bytes = slab_bytes(&st) * st.num_slabs;
	kslab_memory_stats(&before);
	KTAP_EXPECT(t, before.cached_objs >= SHRINK_OBJS);
	KTAP_EXPECT(t, before.slab_bytes >= cache_bytes);
	KTAP_EXPECT(t, before.zone_bytes >= before.slab_bytes);
	KTAP_EXPECT(t, kslab_shrink_all() > 0);
	st = cache_stats(cache);
	KTAP_EXPECT_EQ(t, st.num_slabs, 0);
	KTAP_EXPECT_EQ(t, st.magazine_objs, 0);
	kslab_memory_stats(&after);
	KTAP_EXPECT(t, after.cached_objs < before.cached_objs);
	/* The cache's slabs left the figures: no slab byte counted twice. */
	KTAP_EXPECT(t, before.slab_bytes - after.slab_bytes >= cache_bytes);
out:
	test_cache_destroy(t, cache);
}

static const struct ktap_case slab_reclaim_cases[] = {
	{ "free_gives_back_empty_slabs", test_free_gives_back_empty_slabs },
	{ "shrink_returns_pages", test_shrink_returns_pages },
	{ "shrink_flushes_magazines", test_shrink_flushes_magazines },
	{ "shrink_keeps_held", test_shrink_keeps_held },
	{ "reap_frees_idle_depot", test_reap_frees_idle_depot },
	{ "reap_keeps_working_set", test_reap_keeps_working_set },
	{ "reap_all", test_reap_all },
	{ "shrink_all_and_memory_stats", test_shrink_all_and_memory_stats },
};

const struct ktap_suite slab_reclaim_suite =
	KTAP_SUITE("slab_reclaim", slab_reclaim_cases);
