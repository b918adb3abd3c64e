// SPDX-License-Identifier: GPL-2.0
/*
 * What a cache says about itself, and the bulk interface: counters agree
 * with the objects a test holds at every step of a random workload;
 * slabinfo has the 2.1 version and header lines and a line per cache
 * whose columns parse back to the cache's counters, with snprintf()
 * semantics for short buffers; internal fragmentation (bytes asked for,
 * of stride, of slabs, and each waste) matches hand-computed cases, with
 * objects in magazines counted free; bulk allocation is all or nothing, even
 * when memory runs out half way, and a plain allocation then fails
 * cleanly with NULL.
 */
#include "slab_tests.h"

#define TRACK_OPS	3000
#define TRACK_MAX	200
#define TRACK_EVERY	50

static void expect_consistent_stats(struct ktap_test *t,
				    struct kslab_cache *cache,
				    unsigned long held)
{
	struct kslab_cache_stats st = cache_stats(cache);

	KTAP_EXPECT_EQ(t, st.active_objs - st.magazine_objs, held);
	KTAP_EXPECT_EQ(t, st.num_objs, st.num_slabs * st.objs_per_slab);
	KTAP_EXPECT(t, st.active_objs <= st.num_objs);
	KTAP_EXPECT(t, st.active_slabs <= st.num_slabs);
	KTAP_EXPECT(t, st.depot_objs <= st.magazine_objs);
	KTAP_EXPECT_EQ(t, st.num_slabs, st.slab_grows - st.slab_frees);
	KTAP_EXPECT_EQ(t, st.bad_frees, 0);
}

static void test_stats_track_held(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-stats-track", 96, NULL, 0);
	void *objs[TRACK_MAX];
	struct ktap_rng rng;
	unsigned long n = 0, op, i;

	if (!cache)
		return;
	ktap_rng_seed(&rng, 0x57a75ULL);
	for (op = 0; op < TRACK_OPS; op++) {
		/* Drift up, then down, so slabs are made and freed. */
		bool grow = op < TRACK_OPS / 2 ? ktap_rng_below(&rng, 3) :
						 !ktap_rng_below(&rng, 3);

		if (n < TRACK_MAX && (grow || !n)) {
			objs[n] = kslab_cache_alloc(cache, GFP_KERNEL);
			if (!KTAP_EXPECT(t, objs[n] != NULL))
				break;
			n++;
		} else {
			i = ktap_rng_below(&rng, n);
			kslab_cache_free(cache, objs[i]);
			objs[i] = objs[--n];
		}
		if (op % TRACK_EVERY == 0)
			expect_consistent_stats(t, cache, n);
		if (op == TRACK_OPS * 3 / 4)
			kslab_cache_reap(cache);
	}
	expect_consistent_stats(t, cache, n);
	free_objs(cache, objs, n);
	expect_consistent_stats(t, cache, 0);
	kslab_cache_shrink(cache);
	expect_consistent_stats(t, cache, 0);
	KTAP_EXPECT_EQ(t, cache_stats(cache).num_slabs, 0);
	test_cache_destroy(t, cache);
}

/* ------------------------------------------------------------------ */
/* slabinfo                                                            */
/* ------------------------------------------------------------------ */

struct slabinfo {
	char *text;
	size_t size;
};

/* The whole text, in a buffer sized by asking first. */
static bool slabinfo_read(struct ktap_test *t, struct slabinfo *si)
{
	size_t len = kslab_slabinfo_format(NULL, 0), got;

	si->size = len + 1;
	si->text = meta_alloc(t, si->size);
	if (!si->text)
		return false;
	got = kslab_slabinfo_format(si->text, si->size);
	KTAP_EXPECT_EQ(t, got, len);
	KTAP_EXPECT_EQ(t, str_len(si->text), len);
	return true;
}

static void slabinfo_free(struct slabinfo *si)
{
	meta_free(si->text, si->size);
}

#define LINE_MAX_LEN	512

/* Copy the line describing @name into @line. Return: false if none does. */
static bool slabinfo_line(const char *text, const char *name, char *line)
{
	size_t n = str_len(name), i;
	const char *at;

	for (at = text; *at; at++) {
		if ((at == text || at[-1] == '\n') && str_starts_with(at, name) &&
		    at[n] == ' ')
			break;
	}
	if (!*at)
		return false;
	for (i = 0; at[i] && at[i] != '\n' && i < LINE_MAX_LEN - 1; i++)
		line[i] = at[i];
	line[i] = '\0';
	return true;
}

/* Read @nr decimal numbers that follow @from, blanks between. */
static bool read_numbers(const char *from, unsigned long *vals,
			 unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		while (*from == ' ')
			from++;
		if (*from < '0' || *from > '9')
			return false;
		for (vals[i] = 0; *from >= '0' && *from <= '9'; from++)
			vals[i] = vals[i] * 10 + (unsigned long)(*from - '0');
	}
	return true;
}

/* The numbers after @label in @line, which must have them. */
static bool read_after(struct ktap_test *t, const char *line,
		       const char *label, unsigned long *vals, unsigned int nr)
{
	const char *at = str_find(line, label);

	return ktap_check(t, at && read_numbers(at + str_len(label), vals, nr),
			  __FILE__, __LINE__, "%u numbers after \"%s\" in \"%s\"",
			  nr, label, line);
}

static void test_slabinfo_header(struct ktap_test *t)
{
	static const char *const columns[] = {
		"<active_objs>", "<num_objs>", "<objsize>", "<objperslab>",
		"<pagesperslab>", "<active_slabs>", "<num_slabs>",
	};
	struct slabinfo si;
	const char *second;
	unsigned int i;

	if (!slabinfo_read(t, &si))
		return;
	KTAP_EXPECT(t, str_starts_with(si.text, "slabinfo - version: 2.1\n"));
	second = str_find(si.text, "\n");
	if (KTAP_EXPECT(t, second != NULL)) {
		KTAP_EXPECT(t, str_starts_with(second + 1, "# name"));
		for (i = 0; i < KSLAB_ARRAY_SIZE(columns); i++)
			EXPECT_CONTAINS(t, second + 1, columns[i]);
	}
	KTAP_EXPECT(t, si.text[str_len(si.text) - 1] == '\n');
	slabinfo_free(&si);
}

/* A cache's line reads back as its counters; a destroyed one has none. */
static void test_slabinfo_cache_line(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-slabinfo-line", 200, NULL, 0);
	struct kslab_cache *gone = test_cache(t, "t-slabinfo-gone", 200, NULL, 0);
	unsigned long cols[5], slabdata[3], slab[3], frag[6];
	struct kslab_cache_stats st;
	char line[LINE_MAX_LEN];
	struct slabinfo si;
	void *objs[50];

	test_cache_destroy(t, gone);
	if (!cache || !alloc_objs(t, cache, objs, 50))
		goto out;
	free_objs(cache, objs + 40, 10);
	st = cache_stats(cache);
	if (slabinfo_read(t, &si)) {
		KTAP_EXPECT(t, !slabinfo_line(si.text, "t-slabinfo-gone", line));
		if (KTAP_EXPECT(t, slabinfo_line(si.text, "t-slabinfo-line", line)) &&
		    read_after(t, line, "t-slabinfo-line", cols, 5)) {
			KTAP_EXPECT_EQ(t, cols[0], st.active_objs);
			KTAP_EXPECT_EQ(t, cols[1], st.num_objs);
			KTAP_EXPECT_EQ(t, cols[2], st.size);
			KTAP_EXPECT_EQ(t, cols[3], st.objs_per_slab);
			KTAP_EXPECT_EQ(t, cols[4], st.pages_per_slab);
		}
		if (read_after(t, line, ": slabdata ", slabdata, 3)) {
			KTAP_EXPECT_EQ(t, slabdata[0], st.active_slabs);
			KTAP_EXPECT_EQ(t, slabdata[1], st.num_slabs);
		}
		if (read_after(t, line, ": slab ", slab, 3)) {
			KTAP_EXPECT_EQ(t, slab[0], st.slab_grows);
			KTAP_EXPECT_EQ(t, slab[1], st.slab_frees);
			KTAP_EXPECT_EQ(t, slab[2], st.colours);
		}
		if (read_after(t, line, ": frag ", frag, 6)) {
			KTAP_EXPECT_EQ(t, frag[0], st.requested_bytes);
			KTAP_EXPECT_EQ(t, frag[1], st.stride_bytes);
			KTAP_EXPECT_EQ(t, frag[2], st.slab_bytes);
			KTAP_EXPECT_EQ(t, frag[3], st.padding_waste);
			KTAP_EXPECT_EQ(t, frag[4], st.free_waste);
			KTAP_EXPECT_EQ(t, frag[5], st.tail_waste);
		}
		slabinfo_free(&si);
	}
	free_objs(cache, objs, 40);
out:
	test_cache_destroy(t, cache);
}

/* ------------------------------------------------------------------ */
/* Internal fragmentation                                              */
/* ------------------------------------------------------------------ */

struct frag_case {
	unsigned int size;
	unsigned int align;
	unsigned long objs;		/* allocated, none freed */
	/* worked out by hand, as test_layout_table() has the layouts */
	unsigned long requested, stride, slab, padding, free, tail;
};

/*
 * Caches without magazines, so every object not allocated is free in a
 * slab: 3000 bytes go 43 to a slab of 32 pages, 2072 bytes left over;
 * 100 bytes take a stride of 104, 38 to a page, 144 left; aligned to 64
 * a stride of 128, 31 to a page beside a 64-byte header.
 */
static const struct frag_case frag_cases[] = {
	{ 3000, 0, 50, 150000, 150000, 262144, 0, 36 * 3000, 2 * 2072 },
	{ 100, 0, 40, 4000, 4160, 8192, 160, 36 * 104, 2 * 144 },
	{ 100, 64, 31, 3100, 3968, 4096, 868, 0, 128 },
	{ 100, 64, 32, 3200, 4096, 8192, 896, 30 * 128, 2 * 128 },
};

static void test_frag_hand_computed(struct ktap_test *t)
{
	struct kslab_cache_stats st;
	struct kslab_cache *cache;
	void *objs[64];
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(frag_cases); i++) {
		const struct frag_case *c = &frag_cases[i];
		struct kslab_cache_args args = { .align = c->align };

		cache = test_cache(t, "t-frag", c->size, &args,
				   KSLAB_NO_MAGAZINE);
		if (!cache)
			continue;
		if (alloc_objs(t, cache, objs, c->objs)) {
			st = cache_stats(cache);
			ktap_check(t, st.requested_bytes == c->requested &&
				   st.stride_bytes == c->stride &&
				   st.slab_bytes == c->slab &&
				   st.padding_waste == c->padding &&
				   st.free_waste == c->free &&
				   st.tail_waste == c->tail, __FILE__, __LINE__,
				   "%u bytes align %u, %lu objects: %lu %lu %lu %lu %lu %lu; expected %lu %lu %lu %lu %lu %lu",
				   c->size, c->align, c->objs,
				   st.requested_bytes, st.stride_bytes,
				   st.slab_bytes, st.padding_waste,
				   st.free_waste, st.tail_waste, c->requested,
				   c->stride, c->slab, c->padding, c->free,
				   c->tail);
			free_objs(cache, objs, c->objs);
		}
		st = cache_stats(cache);
		KTAP_EXPECT_EQ(t, st.requested_bytes, 0);
		KTAP_EXPECT_EQ(t, st.free_waste, st.num_objs * st.size);
		test_cache_destroy(t, cache);
	}
}

/* Objects in magazines are free: only those with callers are asked for. */
static void test_frag_magazines_free(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-frag-mag", 3000, NULL, 0);
	struct kslab_cache_stats st;
	void *objs[50];

	if (!cache || !alloc_objs(t, cache, objs, 50))
		goto out;
	free_objs(cache, objs + 40, 10);
	st = cache_stats(cache);
	KTAP_EXPECT(t, st.magazine_objs >= 10);
	KTAP_EXPECT_EQ(t, st.requested_bytes, 40 * 3000);
	KTAP_EXPECT_EQ(t, st.stride_bytes, 40 * 3000);
	KTAP_EXPECT_EQ(t, st.slab_bytes, st.num_slabs * 131072);
	KTAP_EXPECT_EQ(t, st.free_waste, (st.num_slabs * 43 - 40) * 3000);
	KTAP_EXPECT_EQ(t, st.tail_waste, st.num_slabs * 2072);
	free_objs(cache, objs, 40);
out:
	test_cache_destroy(t, cache);
}

#define SHORT_LEN	10

/* Short buffers get what fits, always terminated; the length is the whole. */
static void test_slabinfo_snprintf(struct ktap_test *t)
{
	char short_buf[SHORT_LEN + 2];
	struct slabinfo si;
	size_t len, i;

	if (!slabinfo_read(t, &si))
		return;
	len = str_len(si.text);
	kslab_memset(short_buf, 'Z', sizeof(short_buf));
	KTAP_EXPECT_EQ(t, kslab_slabinfo_format(short_buf, SHORT_LEN), len);
	KTAP_EXPECT_EQ(t, str_len(short_buf), SHORT_LEN - 1);
	for (i = 0; i < SHORT_LEN - 1; i++)
		if (short_buf[i] != si.text[i])
			break;
	KTAP_EXPECT_EQ(t, i, SHORT_LEN - 1);
	KTAP_EXPECT_EQ(t, short_buf[SHORT_LEN], 'Z');	/* nothing past size */
	KTAP_EXPECT_EQ(t, kslab_slabinfo_format(short_buf, 1), len);
	KTAP_EXPECT_EQ(t, short_buf[0], '\0');
	KTAP_EXPECT_EQ(t, short_buf[1], si.text[1]);	/* left as it was */
	/* One byte short of the whole: all but the last character. */
	KTAP_EXPECT_EQ(t, kslab_slabinfo_format(si.text, len), len);
	KTAP_EXPECT_EQ(t, str_len(si.text), len - 1);
	slabinfo_free(&si);
}

/* ------------------------------------------------------------------ */
/* Bulk allocation and running out of memory                           */
/* ------------------------------------------------------------------ */

#define BULK_OBJS	100

static void test_bulk_alloc_free(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-bulk", 128, NULL, 0);
	void *objs[BULK_OBJS];
	unsigned long i;

	if (!cache)
		return;
	KTAP_EXPECT_EQ(t, kslab_cache_alloc_bulk(cache, GFP_KERNEL, BULK_OBJS,
						 objs), BULK_OBJS);
	KTAP_EXPECT_EQ(t, held_objs(cache), BULK_OBJS);
	KTAP_EXPECT(t, objs_disjoint(objs, BULK_OBJS, 128));
	for (i = 0; i < BULK_OBJS; i++)
		kslab_memset(objs[i], (int)i, 128);
	kslab_cache_free_bulk(cache, BULK_OBJS, objs);
	KTAP_EXPECT_EQ(t, held_objs(cache), 0);
	KTAP_EXPECT_EQ(t, cache_stats(cache).bad_frees, 0);
	/* Zeroed in bulk too, over what the last users wrote. */
	KTAP_EXPECT_EQ(t, kslab_cache_alloc_bulk(cache, GFP_KERNEL | __GFP_ZERO,
						 BULK_OBJS, objs), BULK_OBJS);
	for (i = 0; i < BULK_OBJS; i++)
		if (*(unsigned long *)objs[i] || ((char *)objs[i])[127])
			break;
	KTAP_EXPECT_EQ(t, i, BULK_OBJS);
	kslab_cache_free_bulk(cache, BULK_OBJS, objs);
	test_cache_destroy(t, cache);
}

static void test_bulk_none(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-bulk-none", 128, NULL, 0);
	struct kslab_cache_stats before, after;
	void *objs[1] = { NULL };

	if (!cache)
		return;
	before = cache_stats(cache);
	KTAP_EXPECT_EQ(t, kslab_cache_alloc_bulk(cache, GFP_KERNEL, 0, objs), 0);
	after = cache_stats(cache);
	KTAP_EXPECT_PTR_EQ(t, objs[0], NULL);
	KTAP_EXPECT_EQ(t, after.active_objs, before.active_objs);
	KTAP_EXPECT_EQ(t, after.refills, before.refills);
	KTAP_EXPECT_EQ(t, after.magazine.alloc_miss + after.magazine.alloc_hit, 0);
	test_cache_destroy(t, cache);
}

/*
 * A capped default zone: more top-size objects than its free pages can
 * hold. Return: how many to ask for, or 0 if the zone could not be capped.
 */
static unsigned long cap_beyond_memory(struct ktap_test *t,
				       struct kslab_cache *cache)
{
	unsigned long pages_per_obj = cache_stats(cache).pages_per_slab;
	struct kslab_buddy_stats bs;

	if (!default_zone_cap(t))
		return 0;
	kslab_buddy_stats(&bs);
	return bs.free_pages / pages_per_obj + 2;
}

static void test_bulk_all_or_nothing(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-bulk-oom",
					       KSLAB_MAX_OBJECT_SIZE, NULL, 0);
	void **objs = NULL;
	unsigned long nr;

	if (!cache)
		return;
	nr = cap_beyond_memory(t, cache);
	objs = nr ? meta_alloc(t, nr * sizeof(void *)) : NULL;
	if (objs) {
		KTAP_EXPECT_EQ(t, kslab_cache_alloc_bulk(cache, GFP_KERNEL, nr,
							 objs), 0);
		KTAP_EXPECT_EQ(t, held_objs(cache), 0);
		KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	}
	default_zone_uncap();
	/* The same request succeeds once memory is there: it was memory. */
	if (objs && KTAP_EXPECT_EQ(t, kslab_cache_alloc_bulk(cache, GFP_KERNEL,
							     nr, objs), nr)) {
		KTAP_EXPECT_EQ(t, held_objs(cache), nr);
		kslab_cache_free_bulk(cache, nr, objs);
	}
	meta_free(objs, nr * sizeof(void *));
	kslab_cache_shrink(cache);
	test_cache_destroy(t, cache);
}

static void test_alloc_out_of_memory(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-alloc-oom",
					       KSLAB_MAX_OBJECT_SIZE, NULL,
					       KSLAB_NO_MAGAZINE);
	unsigned long nr, got = 0;
	void **objs = NULL;

	if (!cache)
		return;
	nr = cap_beyond_memory(t, cache);
	objs = nr ? meta_alloc(t, nr * sizeof(void *)) : NULL;
	while (objs && got < nr &&
	       (objs[got] = kslab_cache_alloc(cache, GFP_KERNEL)))
		got++;
	ktap_check(t, got < nr, __FILE__, __LINE__,
		   "allocation failed after %lu of %lu objects", got, nr);
	KTAP_EXPECT_EQ(t, held_objs(cache), got);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	default_zone_uncap();
	if (objs && got < nr) {
		objs[got] = kslab_cache_alloc(cache, GFP_KERNEL);
		if (KTAP_EXPECT(t, objs[got] != NULL))
			got++;
	}
	if (objs)
		free_objs(cache, objs, got);
	meta_free(objs, nr * sizeof(void *));
	test_cache_destroy(t, cache);
}

static const struct ktap_case slab_stats_cases[] = {
	{ "stats_track_held", test_stats_track_held },
	{ "slabinfo_header", test_slabinfo_header },
	{ "slabinfo_cache_line", test_slabinfo_cache_line },
	{ "slabinfo_snprintf", test_slabinfo_snprintf },
	{ "frag_hand_computed", test_frag_hand_computed },
	{ "frag_magazines_free", test_frag_magazines_free },
	{ "bulk_alloc_free", test_bulk_alloc_free },
	{ "bulk_none", test_bulk_none },
	{ "bulk_all_or_nothing", test_bulk_all_or_nothing },
	{ "alloc_out_of_memory", test_alloc_out_of_memory },
};

const struct ktap_suite slab_stats_suite =
	KTAP_SUITE("slab_stats", slab_stats_cases);
