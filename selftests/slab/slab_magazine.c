// SPDX-License-Identifier: GPL-2.0
/*
 * The magazine layer, path by path, read from its counters. On one CPU
 * with magazines of 14 rounds (A, B, C, D below, in the order they are
 * made) every step is predictable:
 *
 *   allocations 1, 15, 29, 43 miss: each has the slab layer fill a
 *     magazine, which passes through the depot to the CPU; the rest hit.
 *     From the third miss the empty magazine the CPU gives back waits in
 *     the depot, and the fourth refill reuses it;
 *   frees fill the loaded magazine (hits), then swap in the previous
 *     one, then trade a full magazine for an empty one at the depot, and
 *     when the depot has none a new empty magazine is made for the trade;
 *   allocations then swap back to a full previous magazine.
 *
 * Caches without magazines never touch them: every allocation and free
 * is a batch of one to or from the slab layer.
 */
#include "slab_tests.h"

/* Counters a script predicts; those left out of a prediction must be 0. */
struct mag_counts {
	unsigned long alloc_hit, alloc_swap, alloc_miss;
	unsigned long free_hit, free_swap, free_miss;
	unsigned long full_gets, full_puts, empty_gets, empty_puts;
	unsigned long depot_full, depot_empty;
	unsigned long refills, magazine_objs;
};

static struct mag_counts mag_counts_of(const struct kslab_cache_stats *st)
{
	struct mag_counts c = {
		.alloc_hit = st->magazine.alloc_hit,
		.alloc_swap = st->magazine.alloc_swap,
		.alloc_miss = st->magazine.alloc_miss,
		.free_hit = st->magazine.free_hit,
		.free_swap = st->magazine.free_swap,
		.free_miss = st->magazine.free_miss,
		.full_gets = st->depot_full_gets,
		.full_puts = st->depot_full_puts,
		.empty_gets = st->depot_empty_gets,
		.empty_puts = st->depot_empty_puts,
		.depot_full = st->depot_full, .depot_empty = st->depot_empty,
		.refills = st->refills, .magazine_objs = st->magazine_objs,
	};

	return c;
}

#define EXPECT_COUNT(t, got, want, field)				\
	ktap_check((t), (got).field == (want)->field, __FILE__, __LINE__,\
		   "%s: %lu, expected %lu", #field, (got).field,	\
		   (want)->field)

/* The cache's counters, summed and for the rig's CPU, are @want. */
static void expect_counts(struct ktap_test *t, const struct rig *rig,
			  const struct mag_counts *want)
{
	struct kslab_cache_stats st = cache_stats(rig->cache), cpu;
	struct mag_counts got = mag_counts_of(&st);

	EXPECT_COUNT(t, got, want, alloc_hit);
	EXPECT_COUNT(t, got, want, alloc_swap);
	EXPECT_COUNT(t, got, want, alloc_miss);
	EXPECT_COUNT(t, got, want, free_hit);
	EXPECT_COUNT(t, got, want, free_swap);
	EXPECT_COUNT(t, got, want, free_miss);
	EXPECT_COUNT(t, got, want, full_gets);
	EXPECT_COUNT(t, got, want, full_puts);
	EXPECT_COUNT(t, got, want, empty_gets);
	EXPECT_COUNT(t, got, want, empty_puts);
	EXPECT_COUNT(t, got, want, depot_full);
	EXPECT_COUNT(t, got, want, depot_empty);
	EXPECT_COUNT(t, got, want, refills);
	EXPECT_COUNT(t, got, want, magazine_objs);
	KTAP_EXPECT_EQ(t, st.active_objs, rig->nr_held + st.magazine_objs);
	KTAP_EXPECT_EQ(t, st.depot_objs, st.depot_full * RIG_MAGAZINE);

	/* Pinned: all of it happened on the rig's CPU. */
	kslab_cache_cpu_stats(rig->cache, rig->cpu, &cpu);
	got = mag_counts_of(&cpu);
	EXPECT_COUNT(t, got, want, alloc_hit);
	EXPECT_COUNT(t, got, want, alloc_swap);
	EXPECT_COUNT(t, got, want, alloc_miss);
	EXPECT_COUNT(t, got, want, free_hit);
	EXPECT_COUNT(t, got, want, free_swap);
	EXPECT_COUNT(t, got, want, free_miss);
	KTAP_EXPECT_EQ(t, cpu.magazine_objs, st.magazine_objs - st.depot_objs);
}

/*
 * A script: allocate (objs > 0) or free (objs < 0, last in first out),
 * then, where want is set, check every counter.
 */
struct mag_step {
	int objs;
	const struct mag_counts *want;
};

static void run_script(struct ktap_test *t, const char *name,
		       const struct mag_step *steps, unsigned int nr)
{
	struct rig rig;
	unsigned int i;

	if (!rig_start(t, &rig, name, 64))
		return;
	for (i = 0; i < nr; i++) {
		if (steps[i].objs > 0)
			rig_alloc(t, &rig, (unsigned long)steps[i].objs);
		else
			rig_free(&rig, (unsigned long)-steps[i].objs);
		if (steps[i].want)
			expect_counts(t, &rig, steps[i].want);
	}
	rig_end(t, &rig);
}

#define DEFINE_SCRIPT_TEST(fn, cache_name, steps)			\
	static void fn(struct ktap_test *t)				\
	{								\
		run_script(t, (cache_name), (steps),			\
			   KSLAB_ARRAY_SIZE(steps));			\
	}

#define COUNTS(...)	(&(const struct mag_counts){ __VA_ARGS__ })

/*
 * After 42 allocations: A, B and C were filled and passed through the
 * depot (3 full puts), and A waits there empty (1 empty put).
 */
#define AFTER_ALLOC_42							\
	.alloc_hit = 39, .alloc_miss = 3, .refills = 3, .full_gets = 3

/*
 * After 56: the fourth refill took A from the depot (1 empty get) and
 * put it back full (4 full puts); B waits there empty (2 empty puts).
 */
#define AFTER_ALLOC_56							\
	.alloc_hit = 52, .alloc_miss = 4, .refills = 4, .full_gets = 4

static const struct mag_step first_alloc_misses[] = {
	{ 0, COUNTS(0) },
	{ 1, COUNTS(.alloc_miss = 1, .refills = 1, .full_puts = 1,
		    .full_gets = 1, .magazine_objs = RIG_MAGAZINE - 1) },
};
DEFINE_SCRIPT_TEST(test_mag_first_alloc_misses, "t-mag-first",
		   first_alloc_misses)

static const struct mag_step alloc_hits[] = {
	{ RIG_MAGAZINE, COUNTS(.alloc_hit = RIG_MAGAZINE - 1, .alloc_miss = 1,
			       .refills = 1, .full_puts = 1, .full_gets = 1) },
};
DEFINE_SCRIPT_TEST(test_mag_alloc_hits, "t-mag-hits", alloc_hits)

static const struct mag_step alloc_depot[] = {
	{ 28, COUNTS(.alloc_hit = 26, .alloc_miss = 2, .refills = 2,
		     .full_puts = 2, .full_gets = 2) },
	{ 14, COUNTS(AFTER_ALLOC_42, .full_puts = 3, .empty_puts = 1,
		     .depot_empty = 1) },
	{ 14, COUNTS(AFTER_ALLOC_56, .full_puts = 4, .empty_puts = 2,
		     .empty_gets = 1, .depot_empty = 1) },
};
DEFINE_SCRIPT_TEST(test_mag_alloc_depot, "t-mag-depot", alloc_depot)

static const struct mag_step free_hit_then_swap[] = {
	{ 42, NULL },
	{ -14, COUNTS(AFTER_ALLOC_42, .full_puts = 3, .empty_puts = 1,
		      .depot_empty = 1, .free_hit = 14, .magazine_objs = 14) },
	{ -1, COUNTS(AFTER_ALLOC_42, .full_puts = 3, .empty_puts = 1,
		     .depot_empty = 1, .free_hit = 14, .free_swap = 1,
		     .magazine_objs = 15) },
	{ -13, COUNTS(AFTER_ALLOC_42, .full_puts = 3, .empty_puts = 1,
		      .depot_empty = 1, .free_hit = 27, .free_swap = 1,
		      .magazine_objs = 28) },
};
DEFINE_SCRIPT_TEST(test_mag_free_hit_then_swap, "t-mag-free-swap",
		   free_hit_then_swap)

/* Both CPU magazines full: trade the full one for the depot's empty A. */
static const struct mag_step free_depot_exchange[] = {
	{ 42, NULL },
	{ -42, COUNTS(AFTER_ALLOC_42, .full_puts = 4, .empty_puts = 1,
		      .empty_gets = 1, .free_hit = 40, .free_swap = 1,
		      .free_miss = 1, .depot_full = 1, .magazine_objs = 42) },
};
DEFINE_SCRIPT_TEST(test_mag_free_depot_exchange, "t-mag-free-depot",
		   free_depot_exchange)

/* No empty magazine in the depot: one is made for the trade (D). */
static const struct mag_step free_new_magazine[] = {
	{ 56, NULL },
	{ -42, COUNTS(AFTER_ALLOC_56, .full_puts = 5, .empty_gets = 2,
		      .empty_puts = 2, .free_hit = 40, .free_swap = 1,
		      .free_miss = 1, .depot_full = 1, .magazine_objs = 42) },
	{ -14, COUNTS(AFTER_ALLOC_56, .full_puts = 6, .empty_gets = 3,
		      .empty_puts = 3, .free_hit = 53, .free_swap = 1,
		      .free_miss = 2, .depot_full = 2, .magazine_objs = 56) },
};
DEFINE_SCRIPT_TEST(test_mag_free_new_magazine, "t-mag-free-new",
		   free_new_magazine)

/* After 56 allocations and 56 frees, as the script above leaves them. */
#define AFTER_FREE_56							\
	.refills = 4, .empty_gets = 3, .full_puts = 6, .free_hit = 53,	\
	.free_swap = 1, .free_miss = 2

/* Loaded D drained, previous B full: swap; then trade D for the depot's C. */
static const struct mag_step alloc_swap[] = {
	{ 56, NULL },
	{ -56, NULL },
	{ 15, COUNTS(AFTER_FREE_56, .alloc_hit = 52 + 14, .alloc_swap = 1,
		     .alloc_miss = 4, .full_gets = 4, .empty_puts = 3,
		     .depot_full = 2, .magazine_objs = 56 - 15) },
	{ 14, COUNTS(AFTER_FREE_56, .alloc_hit = 52 + 27, .alloc_swap = 1,
		     .alloc_miss = 5, .full_gets = 5, .empty_puts = 4,
		     .depot_full = 1, .depot_empty = 1,
		     .magazine_objs = 56 - 29) },
};
DEFINE_SCRIPT_TEST(test_mag_alloc_swap, "t-mag-alloc-swap", alloc_swap)

/* __GFP_ZERO changes what the object holds, not the path it takes. */
static void test_mag_gfp_zero_hits(struct ktap_test *t)
{
	struct rig rig;
	void *obj;

	if (!rig_start(t, &rig, "t-mag-zero", 64))
		return;
	rig_alloc(t, &rig, 1);
	obj = kslab_cache_alloc(rig.cache, GFP_KERNEL | __GFP_ZERO);
	if (KTAP_EXPECT(t, obj != NULL))
		rig.held[rig.nr_held++] = obj;
	expect_counts(t, &rig, COUNTS(.alloc_hit = 1, .alloc_miss = 1,
				      .refills = 1, .full_puts = 1,
				      .full_gets = 1,
				      .magazine_objs = RIG_MAGAZINE - 2));
	rig_end(t, &rig);
}

#define NO_MAG_OBJS	40

static void test_mag_none(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-mag-none", 64, NULL,
					       KSLAB_NO_MAGAZINE);
	struct mag_counts got, want = { .alloc_miss = NO_MAG_OBJS,
					.free_miss = NO_MAG_OBJS };
	struct kslab_cache_stats st;
	void *objs[NO_MAG_OBJS];

	if (!cache || !alloc_objs(t, cache, objs, NO_MAG_OBJS))
		goto out;
	st = cache_stats(cache);
	KTAP_EXPECT_EQ(t, st.refills, NO_MAG_OBJS);
	KTAP_EXPECT_EQ(t, st.active_objs, NO_MAG_OBJS);
	free_objs(cache, objs, NO_MAG_OBJS);
	st = cache_stats(cache);
	KTAP_EXPECT_EQ(t, st.flushes, NO_MAG_OBJS);
	KTAP_EXPECT_EQ(t, st.active_objs, 0);
	KTAP_EXPECT_EQ(t, st.magazine_size, 0);
	KTAP_EXPECT_EQ(t, st.depot_objs, 0);
	/*
	 * Every allocation and free went to the slab layer: a miss each. The
	 * other magazine counters stay 0, refills and flushes aside.
	 */
	got = mag_counts_of(&st);
	got.refills = 0;
	KTAP_EXPECT_EQ(t, got.alloc_miss, NO_MAG_OBJS);
	KTAP_EXPECT_EQ(t, got.free_miss, NO_MAG_OBJS);
	KTAP_EXPECT(t, !kslab_memcmp(&got, &want, sizeof(got)));
out:
	test_cache_destroy(t, cache);
}

#define SUM_OPS		4000
#define SUM_HELD	100

/* Per-CPU counters, summed over every CPU, are the cache's counters. */
static void test_mag_cpu_stats_sum(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-mag-cpu-sum", 64, NULL, 0);
	struct mag_counts sum = { 0 }, total;
	struct kslab_cache_stats st;
	struct ktap_rng rng;
	void *objs[SUM_HELD];
	unsigned long n = 0, allocs = 0, i;
	unsigned int cpu;

	if (!cache)
		return;
	ktap_rng_seed(&rng, 0x5ca1ab1eULL);
	for (i = 0; i < SUM_OPS; i++) {
		if (n < SUM_HELD && (!n || ktap_rng_below(&rng, 2))) {
			objs[n++] = kslab_cache_alloc(cache, GFP_KERNEL);
			allocs++;
		} else {
			kslab_cache_free(cache, objs[--n]);
		}
	}
	free_objs(cache, objs, n);
	for (cpu = 0; cpu < kslab_nr_cpus(); cpu++) {
		kslab_cache_cpu_stats(cache, cpu, &st);
		sum.alloc_hit += st.magazine.alloc_hit;
		sum.alloc_swap += st.magazine.alloc_swap;
		sum.alloc_miss += st.magazine.alloc_miss;
		sum.free_hit += st.magazine.free_hit;
		sum.free_swap += st.magazine.free_swap;
		sum.free_miss += st.magazine.free_miss;
	}
	st = cache_stats(cache);
	total = mag_counts_of(&st);
	KTAP_EXPECT_EQ(t, sum.alloc_hit, total.alloc_hit);
	KTAP_EXPECT_EQ(t, sum.alloc_swap, total.alloc_swap);
	KTAP_EXPECT_EQ(t, sum.alloc_miss, total.alloc_miss);
	KTAP_EXPECT_EQ(t, sum.free_hit, total.free_hit);
	KTAP_EXPECT_EQ(t, sum.free_swap, total.free_swap);
	KTAP_EXPECT_EQ(t, sum.free_miss, total.free_miss);
	/* Every call went through exactly one path. */
	KTAP_EXPECT_EQ(t, total.alloc_hit + total.alloc_swap + total.alloc_miss,
		       allocs);
	KTAP_EXPECT_EQ(t, total.free_hit + total.free_swap + total.free_miss,
		       allocs);
	test_cache_destroy(t, cache);
}

/* A new cache's statistics after its first allocation, into @st. */
static bool after_first_alloc(struct ktap_test *t, const char *name,
			      unsigned int size, struct kslab_cache_stats *st)
{
	struct kslab_cache *cache = test_cache(t, name, size, NULL, 0);
	void *obj;

	if (!cache)
		return false;
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	if (obj) {
		*st = cache_stats(cache);
		kslab_cache_free(cache, obj);
	}
	test_cache_destroy(t, cache);
	return KTAP_EXPECT(t, obj != NULL);
}

/* Objects a test holds at once: off small kernel stacks. */
#define MAG_SCRATCH	256
static void *scratch_objs[MAG_SCRATCH];

/* The objects a first fill takes: a page's worth. */
static unsigned long page_worth(const struct kslab_cache_stats *st)
{
	unsigned long objs = st->objs_per_slab / st->pages_per_slab;

	return objs ? objs : 1;
}

/*
 * A cache whose magazine size kslab chose fills its first magazines with
 * a page's worth of objects each, not a whole magazine and not more each
 * time, so a class a program barely uses touches the slab pages its
 * objects need and no more.
 */
static void test_mag_first_fills_small(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-mag-warm", 64, NULL, 0);
	struct kslab_cache_stats st;
	unsigned long worth, i;
	unsigned int cpu;

	if (!cache || !test_cpu_pin(t, &cpu))
		goto out;
	scratch_objs[0] = kslab_cache_alloc(cache, GFP_KERNEL);
	st = cache_stats(cache);
	worth = page_worth(&st);
	KTAP_EXPECT(t, st.magazine_size > worth / 2);
	KTAP_EXPECT_EQ(t, st.active_objs, worth);
	KTAP_EXPECT_EQ(t, st.num_slabs, 1);
	/* The second fill is a page's worth too: one slab more. */
	for (i = 1; i <= worth && i < MAG_SCRATCH; i++)
		scratch_objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
	st = cache_stats(cache);
	KTAP_EXPECT_EQ(t, st.active_objs, 2 * worth);
	KTAP_EXPECT_EQ(t, st.num_slabs, 2);
	free_objs(cache, scratch_objs, i);
	test_cpu_unpin();
out:
	test_cache_destroy(t, cache);
}

/*
 * A new slab hands its objects out a page's worth at a time, shuffled
 * within the page and in the order of its pages, so a cache of large
 * objects fills its first magazine with a page's worth, at least one: a
 * class a program barely uses touches about as many pages as it needs.
 */
static void test_mag_first_fill_spares_slab_pages(struct ktap_test *t)
{
	struct kslab_cache_stats st;

	if (!after_first_alloc(t, "t-mag-pages", 700, &st))
		return;
	KTAP_EXPECT(t, st.pages_per_slab > 1);
	KTAP_EXPECT_EQ(t, st.active_objs, page_worth(&st));
}

#define WINDOW_SLABS	4

/*
 * Fills from fresh slabs take a window, a page's worth of objects, whole
 * (kslab_map_take_window()) and hand it out shuffled: every object comes
 * out once and in no address order, and all go back into their slabs'
 * maps, which then agree with the slabs' counts; a second round takes
 * them again, from magazines and from windows partly used, each once.
 */
static void expect_windows_whole(struct ktap_test *t, unsigned int size)
{
	struct kslab_cache *cache = test_cache(t, "t-mag-windows", size, NULL, 0);
	unsigned long n, i, round, descents = 0;
	struct kslab_cache_stats st;
	void **objs;

	if (!cache)
		return;
	st = cache_stats(cache);
	n = WINDOW_SLABS * st.objs_per_slab;
	objs = meta_alloc(t, n * sizeof(void *));
	for (round = 0; objs && round < 2; round++) {
		if (!alloc_objs(t, cache, objs, n))
			break;
		ktap_check(t, objs_disjoint(objs, n, st.size), __FILE__, __LINE__,
			   "size %u, round %lu: an object out twice", size, round);
		for (i = 1; i < n; i++)
			descents += objs[i] < objs[i - 1];
		free_objs(cache, objs, n);
		KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	}
	ktap_check(t, descents > 0, __FILE__, __LINE__,
		   "size %u: %lu objects in address order", size, n);
	meta_free(objs, n * sizeof(void *));
	test_cache_destroy(t, cache);
}

static void test_mag_fill_takes_windows(struct ktap_test *t)
{
	expect_windows_whole(t, 64);	/* one page, one window */
	expect_windows_whole(t, 700);	/* windows of several, a tail */
	expect_windows_whole(t, 3000);	/* windows of one object */
}

#define REFILL_WINDOWS	12

/*
 * A refill that wants more than a window of fresh objects, but not a
 * second whole one, ends at the first's end rather than walk the shuffle
 * for each object of the next: the objects a cache of 24-byte ones has
 * taken from fresh slabs are a whole number of windows.
 */
static void test_mag_refill_ends_at_window(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-mag-refill", 24, NULL, 0);
	unsigned long worth, n = 0;
	struct kslab_cache_stats st;
	void **objs = NULL;

	if (!cache)
		return;
	st = cache_stats(cache);
	worth = page_worth(&st);
	if (!KTAP_EXPECT(t, st.magazine_size > worth &&
			    st.magazine_size < 2 * worth))
		goto out;
	n = REFILL_WINDOWS * worth;
	objs = meta_alloc(t, n * sizeof(void *));
	if (objs && alloc_objs(t, cache, objs, n)) {
		st = cache_stats(cache);
		ktap_check(t, st.active_objs % worth == 0 && st.active_objs >= n,
			   __FILE__, __LINE__,
			   "%lu objects out of slabs for %lu held, windows of %lu",
			   st.active_objs, n, worth);
		free_objs(cache, objs, n);
	}
out:
	if (objs)
		meta_free(objs, n * sizeof(void *));
	test_cache_destroy(t, cache);
}

#define BOUND_OBJS	4096	/* of 1 KiB: four times what a depot keeps */
#define DEPOT_KEEPS	(1UL << 20)

/*
 * A cache that frees far more than its depot keeps sends the rest back to
 * its slabs a magazine at a time rather than buying a magazine for every
 * few hundred objects: the depot's full magazines hold at most 1 MiB of
 * objects (or two per CPU), and every object is accounted for.
 */
static void test_mag_depot_full_bounded(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-mag-bound", 1024, NULL, 0);
	void **objs = meta_alloc(t, BOUND_OBJS * sizeof(void *));
	struct kslab_cache_stats before, st;
	unsigned long keep;

	if (!cache || !objs || !alloc_objs(t, cache, objs, BOUND_OBJS))
		goto out;
	before = cache_stats(cache);
	free_objs(cache, objs, BOUND_OBJS);
	st = cache_stats(cache);
	keep = DEPOT_KEEPS / (st.magazine_size * st.size);
	if (keep < 2UL * kslab_nr_cpus())
		keep = 2UL * kslab_nr_cpus();
	KTAP_EXPECT(t, st.depot_full <= keep);
	KTAP_EXPECT(t, st.depot_full * st.magazine_size * st.size <
		       BOUND_OBJS * st.size / 2);
	KTAP_EXPECT(t, st.flushes > before.flushes);
	/* A fill and a teardown alone never grow the magazines. */
	KTAP_EXPECT_EQ(t, st.magazine_resizes, 0);
	/* What the magazines do not hold is back in the slabs. */
	KTAP_EXPECT_EQ(t, st.active_objs, st.magazine_objs);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
out:
	meta_free(objs, BOUND_OBJS * sizeof(void *));
	if (cache)
		test_cache_destroy(t, cache);
}

#define CHURN_OBJS	150	/* of 1 KiB: more than two magazines of 62 */
#define CHURN_MAX	20000	/* turns, should a reap keep resetting */
#define CHURN_SMALL	30	/* rounds, 1 KiB objects' magazines at first */
#define CHURN_GROWN	126	/* the most of them 128 KiB holds */
#define CHURN_TURNS	256
#define SWAPS_GROW	128	/* KSLAB_SWAPS_GROW, mm/magazine.c */

/* One turn: allocate CHURN_OBJS objects of @cache, then free them. */
static void churn_once(struct ktap_test *t, struct kslab_cache *cache)
{
	if (alloc_objs(t, cache, scratch_objs, CHURN_OBJS))
		free_objs(cache, scratch_objs, CHURN_OBJS);
}

static unsigned long swaps_of(const struct kslab_cache_stats *st)
{
	return st->magazine.alloc_swap + st->magazine.free_swap;
}

static unsigned long trades_of(const struct kslab_cache_stats *st)
{
	return st->depot_full_gets + st->depot_empty_gets;
}

/*
 * A CPU that allocates and frees a class by turns, more objects a turn
 * than its two magazines hold, swaps them and trades with the depot on
 * every turn, each time in a CPU section: with magazines of 30 rounds at
 * least three trades each way. Past KSLAB_SWAPS_GROW swaps between reaps
 * the depot's size grows a class, up to 128 KiB of objects, and the CPU
 * trades its small magazines away for ones of the new size: then at most
 * one trade each way. A cache whose creator chose the size keeps it, and
 * so does a fill and a teardown (test_mag_depot_full_bounded()).
 */
static void test_mag_grows_with_churn(struct ktap_test *t)
{
	struct kslab_cache_args asked = { .magazine_size = CHURN_SMALL };
	struct kslab_cache *cache = test_cache(t, "t-mag-churn", 1024, NULL, 0);
	struct kslab_cache *kept = test_cache(t, "t-mag-asked", 1024, &asked, 0);
	struct kslab_cache_stats st, settled;
	unsigned long i;
	unsigned int cpu;

	if (!cache || !kept || !test_cpu_pin(t, &cpu))
		goto out;
	st = cache_stats(cache);
	KTAP_EXPECT_EQ(t, st.magazine_size, CHURN_SMALL);
	for (i = 0; i < CHURN_MAX && st.magazine_size < CHURN_GROWN; i++) {
		churn_once(t, cache);
		st = cache_stats(cache);
	}
	KTAP_EXPECT_EQ(t, st.magazine_size, CHURN_GROWN);
	KTAP_EXPECT_EQ(t, st.magazine_resizes, 2);	/* 30, 62, 126 */
	KTAP_EXPECT(t, swaps_of(&st) > 2 * SWAPS_GROW);
	/* A few turns trade the small magazines away. */
	for (i = 0; i < 16; i++)
		churn_once(t, cache);
	settled = cache_stats(cache);
	for (i = 0; i < CHURN_TURNS; i++)
		churn_once(t, cache);
	st = cache_stats(cache);
	KTAP_EXPECT(t, trades_of(&st) - trades_of(&settled) <= 2 * CHURN_TURNS);
	KTAP_EXPECT_EQ(t, st.active_objs, st.magazine_objs);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);

	settled = cache_stats(kept);
	for (i = 0; i < CHURN_TURNS; i++)
		churn_once(t, kept);
	st = cache_stats(kept);
	KTAP_EXPECT(t, swaps_of(&st) > SWAPS_GROW);
	KTAP_EXPECT(t, trades_of(&st) - trades_of(&settled) >= 6 * CHURN_TURNS);
	KTAP_EXPECT_EQ(t, st.magazine_size, CHURN_SMALL);
	KTAP_EXPECT_EQ(t, st.magazine_resizes, 0);
	test_cpu_unpin();
out:
	if (kept)
		test_cache_destroy(t, kept);
	if (cache)
		test_cache_destroy(t, cache);
}

static const struct ktap_case slab_magazine_cases[] = {
	{ "mag_first_fills_small", test_mag_first_fills_small },
	{ "mag_fill_takes_windows", test_mag_fill_takes_windows },
	{ "mag_refill_ends_at_window", test_mag_refill_ends_at_window },
	{ "mag_first_fill_spares_slab_pages",
	  test_mag_first_fill_spares_slab_pages },
	{ "mag_depot_full_bounded", test_mag_depot_full_bounded },
	{ "mag_grows_with_churn", test_mag_grows_with_churn },
	{ "mag_first_alloc_misses", test_mag_first_alloc_misses },
	{ "mag_alloc_hits", test_mag_alloc_hits },
	{ "mag_gfp_zero_hits", test_mag_gfp_zero_hits },
	{ "mag_alloc_depot", test_mag_alloc_depot },
	{ "mag_free_hit_then_swap", test_mag_free_hit_then_swap },
	{ "mag_free_depot_exchange", test_mag_free_depot_exchange },
	{ "mag_free_new_magazine", test_mag_free_new_magazine },
	{ "mag_alloc_swap", test_mag_alloc_swap },
	{ "mag_none", test_mag_none },
	{ "mag_cpu_stats_sum", test_mag_cpu_stats_sum },
};

const struct ktap_suite slab_magazine_suite =
	KTAP_SUITE("slab_magazine", slab_magazine_cases);
