// SPDX-License-Identifier: GPL-2.0
/*
 * Each allocation failed in turn (suite fault_scenarios): cache creation,
 * slab growth with on- and off-slab headers, magazine refills and the
 * depot, bulk allocation, and krealloc across every kind of memory, each
 * run with the 1st call of a fault point failed, then the 2nd, and so on
 * until a run sees no failure; the pages point, the meta point, the cache
 * point on every cache and on kslab's own caches, and the kmalloc point;
 * and a region's blocks, marks and kmalloc objects.
 * After every run: each failure came back as NULL (or the documented
 * error), no page, no cache and no cache number was left behind, every
 * cache and the zone pass their checks, and the only reports were of
 * caches not created.
 * Portable: kslab headers only.
 */
#include <kslab/buddy.h>
#include <kslab/kmalloc.h>
#include <kslab/region.h>

#include "../../mm/kmalloc.h"
#include "../capture.h"
#include "fault_tests.h"

/* A scenario with more allocation points than this is a runaway. */
#define MAX_RUNS		400
#define SLABINFO_BYTES		(64UL << 10)

static const struct {
	enum kslab_fault_point point;
	const char *cache;
	const char *name;
} injections[FAULT_INJECTIONS] = {
	[FAULT_INJECT_PAGES] = { KSLAB_FAULT_PAGES, "", "pages" },
	[FAULT_INJECT_META] = { KSLAB_FAULT_META, "", "meta" },
	[FAULT_INJECT_CACHES] = { KSLAB_FAULT_CACHE, "", "cache" },
	[FAULT_INJECT_INTERNAL] = { KSLAB_FAULT_CACHE, "kslab-*", "cache/kslab-*" },
	[FAULT_INJECT_KMALLOC] = { KSLAB_FAULT_KMALLOC, "", "kmalloc" },
};

void fault_outcome_check(struct fault_outcome *o, bool ok, const char *what,
			 int line)
{
	if (ok)
		return;
	if (!o->problems++) {
		o->first_problem = what;
		o->first_line = line;
	}
}

/* ---- the driver ---- */

/*
 * What settling needs: a cache whose shrinking also empties kslab's own
 * caches, and the kmalloc classes the scenario uses.
 */
struct settle {
	struct kslab_cache *anchor;
	struct kslab_cache *classes[FAULT_MAX_SIZES];
	char *slabinfo;
};

/* Give back every empty slab the scenario can have left cached. */
static void settle(const struct settle *s)
{
	unsigned int i;

	for (i = 0; i < FAULT_MAX_SIZES && s->classes[i]; i++)
		kslab_cache_shrink(s->classes[i]);
	kslab_cache_shrink(s->anchor);
}

static unsigned long cache_count(const struct settle *s)
{
	unsigned long lines = 0;
	const char *c;

	kslab_slabinfo_format(s->slabinfo, SLABINFO_BYTES);
	for (c = s->slabinfo; *c; c++)
		lines += *c == '\n';
	return lines;
}

static bool settle_start(struct ktap_test *t, struct settle *s,
			 const size_t *sizes)
{
	unsigned int i;

	s->anchor = kslab_cache_create("fault-anchor", 8, NULL, 0);
	s->slabinfo = kslab_env_meta_alloc(SLABINFO_BYTES, GFP_KERNEL);
	for (i = 0; i < FAULT_MAX_SIZES && sizes[i]; i++) {
		s->classes[i] = kslab_kmalloc_cache(sizes[i]);
		KTAP_EXPECT(t, s->classes[i] != NULL);
	}
	return KTAP_EXPECT(t, s->anchor && s->slabinfo);
}

static void settle_end(struct settle *s)
{
	kslab_cache_destroy(s->anchor);
	if (s->slabinfo)
		kslab_env_meta_free(s->slabinfo, SLABINFO_BYTES);
}

/*
 * The number the next cache gets: the lowest free one, so a number a
 * failed creation keeps shows as a change. Outside any injection.
 */
static unsigned long next_cache_id(void)
{
	struct kslab_cache *cache = kslab_cache_create("fault-id", 8, NULL, 0);
	unsigned long id = cache ? kslab_cache_id(cache) : ~0UL;

	kslab_cache_destroy(cache);
	return id;
}

/* What the runs of one injection found, summed. */
struct tally {
	unsigned long runs;
	unsigned long failed;		/* failures handed to the scenario */
	unsigned long leaks;		/* runs that left pages or caches */
	unsigned long ids_kept;		/* runs that kept a cache number */
	unsigned long problems;		/* broken contracts, all told */
	unsigned long inconsistent;	/* check violations */
	unsigned long stray_reports;	/* reports not of a cache not created */
	struct fault_outcome first;	/* the first run with a problem */
};

static unsigned long stray_reports(const struct report_capture *cap)
{
	unsigned long i, stray = 0;

	for (i = 0; i < cap->seen && i < CAPTURE_MSGS; i++)
		stray += !str_find(cap->msg[i], "not created: out of memory");
	return stray + (cap->seen != cap->counted);
}

/* One run of @s with call @nth of injection @inj failed. Return: failures. */
static unsigned long run_once(const struct fault_scenario *s, unsigned int inj,
			      unsigned long nth, const struct settle *st,
			      struct tally *tally)
{
	struct kslab_fault_config config = { .nth = nth };
	struct fault_outcome o = { 0 };
	struct kslab_fault_counts counts;
	unsigned long pages, caches, id = next_cache_id();
	struct report_capture cap;

	kslab_memcpy(config.cache, injections[inj].cache,
		     str_len(injections[inj].cache) + 1);
	kslab_fault_set(injections[inj].point, &config);
	settle(st);	/* arming flushed magazines: count from here */
	pages = buddy_used_pages();
	caches = cache_count(st);
	capture_start(&cap);
	s->run(&o);
	capture_stop(&cap);
	kslab_fault_read(injections[inj].point, &counts);
	kslab_fault_clear(injections[inj].point);
	settle(st);

	FAULT_CHECK(&o, o.failed <= counts.failures);
	FAULT_CHECK(&o, cap.seen <= counts.failures);
	tally->runs++;
	tally->failed += o.failed;
	tally->leaks += buddy_used_pages() != pages || cache_count(st) != caches;
	tally->ids_kept += next_cache_id() != id;
	tally->inconsistent += kslab_check_all();
	tally->stray_reports += stray_reports(&cap);
	if (o.problems && !tally->problems)
		tally->first = o;
	tally->problems += o.problems;
	return counts.failures;
}

void fault_drive(struct ktap_test *t, const struct fault_scenario *s)
{
	struct settle st = { 0 };
	unsigned int inj;

	if (!settle_start(t, &st, s->sizes))
		goto out;
	for (inj = 0; inj < FAULT_INJECTIONS; inj++) {
		struct tally tally = { 0 };
		unsigned long nth;

		for (nth = 1; nth <= MAX_RUNS; nth++)
			if (!run_once(s, inj, nth, &st, &tally))
				break;
		ktap_diag("%s, %s: %lu runs, %lu failures handed back",
			  s->name, injections[inj].name, tally.runs, tally.failed);
		ktap_check(t, nth <= MAX_RUNS, __FILE__, __LINE__,
			   "%s, %s: a run saw no failure within %d",
			   s->name, injections[inj].name, MAX_RUNS);
		if (s->must_reach & (1U << inj))
			ktap_check(t, tally.runs > 1, __FILE__, __LINE__,
				   "%s reaches the %s point", s->name,
				   injections[inj].name);
		ktap_check(t, !tally.problems, __FILE__, __LINE__,
			   "%s, %s: %lu problems, the first: %s (line %d)",
			   s->name, injections[inj].name, tally.problems,
			   tally.first.first_problem, tally.first.first_line);
		ktap_check(t, !tally.leaks, __FILE__, __LINE__,
			   "%s, %s: %lu runs left pages or caches behind",
			   s->name, injections[inj].name, tally.leaks);
		KTAP_EXPECT_EQ(t, tally.ids_kept, 0);
		KTAP_EXPECT_EQ(t, tally.inconsistent, 0);
		KTAP_EXPECT_EQ(t, tally.stray_reports, 0);
	}
out:
	settle_end(&st);
}

/* ---- the scenarios ---- */

#define CTOR_MAGIC	0xfa017c7eUL

static void magic_ctor(void *obj)
{
	*(unsigned long *)obj = CTOR_MAGIC;
}

static bool all_distinct(void *const *objs, unsigned long n)
{
	unsigned long i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (objs[i] && objs[i] == objs[j])
				return false;
	return true;
}

/* Make a scenario's cache of constructed objects; NULL is a failure seen. */
static struct kslab_cache *scenario_cache(struct fault_outcome *o,
					  const char *name, unsigned int size,
					  unsigned int magazine_size,
					  unsigned long flags)
{
	struct kslab_cache_args args = { .ctor = magic_ctor,
					 .magazine_size = magazine_size };
	struct kslab_cache *cache = kslab_cache_create(name, size, &args, flags);

	o->failed += !cache;
	return cache;
}

#define MAX_OBJS	48

/* Allocate @nr objects, each constructed and its own, and free them. */
static void alloc_free(struct fault_outcome *o, struct kslab_cache *cache,
		       unsigned int nr)
{
	void *objs[MAX_OBJS];
	unsigned int i;

	for (i = 0; i < nr; i++) {
		objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
		o->failed += !objs[i];
		FAULT_CHECK(o, !objs[i] || *(unsigned long *)objs[i] == CTOR_MAGIC);
	}
	FAULT_CHECK(o, all_distinct(objs, nr));
	for (i = 0; i < nr; i++)
		kslab_cache_free(cache, objs[i]);
}

/* A cache, made and used once. */
static void run_create(struct fault_outcome *o)
{
	struct kslab_cache *cache = scenario_cache(o, "fault-create", 200, 0, 0);

	if (!cache)
		return;
	alloc_free(o, cache, 1);
	kslab_cache_destroy(cache);
}

static const struct fault_scenario create_scenario = {
	.name = "cache create",
	.run = run_create,
	.must_reach = 1U << FAULT_INJECT_META | 1U << FAULT_INJECT_CACHES |
		      1U << FAULT_INJECT_PAGES,
};

/*
 * Grow caches without magazines slab by slab, so every failure of a
 * slab's pages or header reaches the caller: 45 objects, two slabs with
 * the header on the slab (31 objects a slab), and 6, three slabs with it
 * off (2 objects a slab).
 */
static void run_grow(struct fault_outcome *o)
{
	struct kslab_cache *on, *off;

	on = scenario_cache(o, "fault-grow-on", 256, 0, KSLAB_NO_MAGAZINE);
	if (on) {
		alloc_free(o, on, 3 * 15);
		kslab_cache_destroy(on);
	}
	off = scenario_cache(o, "fault-grow-off", 2048, 0, KSLAB_NO_MAGAZINE);
	if (off) {
		alloc_free(o, off, 3 * 2);
		kslab_cache_destroy(off);
	}
}

static const struct fault_scenario grow_scenario = {
	.name = "slab growth",
	.run = run_grow,
	.must_reach = 1U << FAULT_INJECT_PAGES | 1U << FAULT_INJECT_META |
		      1U << FAULT_INJECT_CACHES | 1U << FAULT_INJECT_INTERNAL,
};

/*
 * Magazines of 6: allocations refill from the slabs into new magazines,
 * frees fill magazines and trade them with the depot, allocating empty
 * ones, and the second round takes the depot's full ones.
 */
static void run_magazines(struct fault_outcome *o)
{
	struct kslab_cache *cache = scenario_cache(o, "fault-mag", 64, 6, 0);

	if (!cache)
		return;
	alloc_free(o, cache, 40);
	alloc_free(o, cache, 40);
	kslab_cache_shrink(cache);
	kslab_cache_destroy(cache);
}

static const struct fault_scenario magazine_scenario = {
	.name = "magazines and depot",
	.run = run_magazines,
	.must_reach = 1U << FAULT_INJECT_PAGES | 1U << FAULT_INJECT_META |
		      1U << FAULT_INJECT_CACHES | 1U << FAULT_INJECT_INTERNAL,
};

#define BULK_OBJS	40

/* All or nothing: a bulk allocation that fails part-way keeps nothing. */
static void run_bulk(struct fault_outcome *o)
{
	struct kslab_cache *cache = scenario_cache(o, "fault-bulk", 128, 0, 0);
	struct kslab_cache_stats st;
	void *objs[BULK_OBJS];
	int got;

	if (!cache)
		return;
	got = kslab_cache_alloc_bulk(cache, GFP_KERNEL, BULK_OBJS, objs);
	kslab_cache_stats(cache, &st);
	FAULT_CHECK(o, got == 0 || got == BULK_OBJS);
	FAULT_CHECK(o, st.active_objs - st.magazine_objs == (unsigned long)got);
	if (got) {
		FAULT_CHECK(o, all_distinct(objs, BULK_OBJS));
		kslab_cache_free_bulk(cache, BULK_OBJS, objs);
	} else {
		o->failed++;
	}
	kslab_cache_destroy(cache);
}

static const struct fault_scenario bulk_scenario = {
	.name = "bulk alloc",
	.run = run_bulk,
	.must_reach = 1U << FAULT_INJECT_PAGES | 1U << FAULT_INJECT_META |
		      1U << FAULT_INJECT_CACHES,
};

/*
 * krealloc through a slab class, larger classes, buddy blocks, the
 * environment's memory and back: a failure leaves the block where it was,
 * with its contents; a move keeps them.
 */
static void run_krealloc(struct fault_outcome *o)
{
	static const size_t sizes[] = { 24, 200, 3000, 20000, 40000, 300000,
					5UL << 20, 100 };
	size_t size = 16, i;
	unsigned char *p = kslab_kmalloc(size, GFP_KERNEL), *q;

	if (!p) {
		o->failed++;
		return;
	}
	pattern(p, size, 7, false);
	for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++) {
		size_t kept = size < sizes[i] ? size : sizes[i];

		q = kslab_krealloc(p, sizes[i], GFP_KERNEL);
		if (!q) {
			o->failed++;
			FAULT_CHECK(o, !pattern(p, size, 7, true));
			continue;
		}
		FAULT_CHECK(o, !pattern(q, kept, 7, true));
		FAULT_CHECK(o, kslab_ksize(q) >= sizes[i]);
		p = q;
		size = sizes[i];
		pattern(p, size, 7, false);
	}
	kslab_kfree(p);
}

static const struct fault_scenario krealloc_scenario = {
	.name = "krealloc",
	.run = run_krealloc,
	.must_reach = 1U << FAULT_INJECT_PAGES | 1U << FAULT_INJECT_CACHES |
		      1U << FAULT_INJECT_KMALLOC,
	.sizes = { 16, 24, 100, 200, 3000, 20000 },
};

/* What a region holds, its event counters aside, is the same in both. */
static bool region_same(const struct kslab_region_stats *a,
			const struct kslab_region_stats *b)
{
	return a->blocks == b->blocks && a->block_bytes == b->block_bytes &&
	       a->used_bytes == b->used_bytes &&
	       a->wasted_bytes == b->wasted_bytes &&
	       a->large_objects == b->large_objects &&
	       a->large_bytes == b->large_bytes;
}

#define REGION_OBJS	80

/*
 * A region through several blocks, a mark and kmalloc objects (whole
 * buddy blocks at 40000 bytes): a failed block, record or object leaves
 * the region holding what it held before the call; whatever failed, the
 * reset to the mark, the reset and destroy give everything back.
 */
static void run_region(struct fault_outcome *o)
{
	struct kslab_region *r = kslab_region_create("fault-region",
						     KSLAB_PAGE_SIZE,
						     KSLAB_REGION_KMALLOC_LARGE);
	struct kslab_region_stats before, after;
	unsigned long mark = 0;
	unsigned int i;

	if (!r) {
		o->failed++;
		return;
	}
	for (i = 0; i < REGION_OBJS; i++) {
		size_t size = i % 16 == 15 ? 40000 : 16 + i * 37 % 300;
		size_t align = 1UL << (i % 8);
		unsigned char *p;

		if (i == REGION_OBJS / 2) {
			mark = kslab_region_mark(r, GFP_KERNEL);
			o->failed += !mark;
		}
		kslab_region_stats(r, &before);
		p = kslab_region_alloc(r, size, align, GFP_KERNEL);
		kslab_region_stats(r, &after);
		if (!p) {
			o->failed++;
			FAULT_CHECK(o, region_same(&before, &after));
			continue;
		}
		FAULT_CHECK(o, !((unsigned long)p & (align - 1)));
		pattern(p, size, i, false);
	}
	if (mark)
		FAULT_CHECK(o, kslab_region_reset_to(r, mark) == 0);
	kslab_region_reset(r);
	kslab_region_destroy(r);
}

static const struct fault_scenario region_scenario = {
	.name = "region",
	.run = run_region,
	.must_reach = 1U << FAULT_INJECT_PAGES | 1U << FAULT_INJECT_META |
		      1U << FAULT_INJECT_KMALLOC,
};

static void test_create(struct ktap_test *t)
{
	fault_drive(t, &create_scenario);
}

static void test_grow(struct ktap_test *t)
{
	fault_drive(t, &grow_scenario);
}

static void test_magazines(struct ktap_test *t)
{
	fault_drive(t, &magazine_scenario);
}

static void test_bulk(struct ktap_test *t)
{
	fault_drive(t, &bulk_scenario);
}

static void test_krealloc(struct ktap_test *t)
{
	fault_drive(t, &krealloc_scenario);
}

static void test_region(struct ktap_test *t)
{
	fault_drive(t, &region_scenario);
}

static const struct ktap_case fault_scenario_cases[] = {
	{ "cache_create", test_create },
	{ "slab_growth", test_grow },
	{ "magazines_and_depot", test_magazines },
	{ "bulk_alloc", test_bulk },
	{ "krealloc", test_krealloc },
	{ "region", test_region },
};

const struct ktap_suite fault_scenarios_suite =
	KTAP_SUITE("fault_scenarios", fault_scenario_cases);
