// SPDX-License-Identifier: GPL-2.0
/*
 * Slab layout: the order each cache's slabs get (the smallest that wastes
 * at most 1/32, else the least wasteful), how many objects they hold,
 * whether the slab header lives on or off the slab, colouring (the first
 * object of consecutive slabs moves by a colour step, wrapping after the
 * last colour), and alignment of every object handed out.
 *
 * Expected layouts come from two places: a table worked out by hand for
 * a few sizes, and this file's own statement of the rule for a sweep of
 * sizes; addresses of real objects then confirm what the counters claim.
 */
#include "../../mm/slab.h"
#include "slab_tests.h"

/* Objects this large keep the header off the slab unless the waste holds it. */
#define OFF_SLAB_MIN		(KSLAB_PAGE_SIZE / 8)
#define MIN_ALIGN		8UL
/* A slab wastes at most 1/WASTE_SHARE of itself where an order allows. */
#define WASTE_SHARE		32

struct layout {
	unsigned long size;		/* stride */
	unsigned long pages;
	unsigned long objs;
	bool off_slab;
	unsigned long colours;
};

/* A slab header with its free map, a bit an object, padded to the alignment. */
static unsigned long header_bytes(unsigned long objs, unsigned long align)
{
	return KSLAB_ALIGN_UP(sizeof(struct kslab_slab) +
			      (objs + 63) / 64 * sizeof(unsigned long), align);
}

/* Most objects in @bytes, the header too if @header; *@left: what remains. */
static unsigned long fit_objs(unsigned long bytes, unsigned long stride,
			      unsigned long align, bool header,
			      unsigned long *left)
{
	unsigned long n, used;

	for (n = bytes / stride; n; n--) {
		used = n * stride + (header ? header_bytes(n, align) : 0);
		if (used <= bytes) {
			*left = bytes - used;
			return n;
		}
	}
	*left = bytes;
	return 0;
}

/* The rule of Documentation/slab.rst, stated independently of mm/slab.c. */
static struct layout expected_layout(unsigned long size, unsigned long align)
{
	unsigned long order, left, best_left = 0, best_order = 0, best_objs = 0;
	struct layout l = { 0 };
	bool small;

	align = align > MIN_ALIGN ? align : MIN_ALIGN;
	l.size = KSLAB_ALIGN_UP(size, align);
	small = l.size < OFF_SLAB_MIN;
	for (order = 0; order <= KSLAB_SLAB_MAX_ORDER; order++) {
		unsigned long bytes = KSLAB_PAGE_SIZE << order;
		unsigned long n = fit_objs(bytes, l.size, align, small, &left);

		if (!n)
			continue;
		/* Compare waste shares left/bytes without dividing. */
		if (!best_objs || (left << best_order) < (best_left << order)) {
			best_objs = n;
			best_left = left;
			best_order = order;
		}
		if (left * WASTE_SHARE <= bytes)
			break;
	}
	l.pages = 1UL << best_order;
	l.objs = best_objs;
	left = best_left;
	l.off_slab = !small && left < header_bytes(l.objs, align);
	if (!small && !l.off_slab)
		left -= header_bytes(l.objs, align);
	l.colours = left / (align > KSLAB_CACHE_LINE ? align : KSLAB_CACHE_LINE) + 1;
	return l;
}

static bool same_layout(const struct layout *a, const struct layout *b)
{
	return a->size == b->size && a->pages == b->pages &&
	       a->objs == b->objs && a->off_slab == b->off_slab &&
	       a->colours == b->colours;
}

static void expect_layout(struct ktap_test *t, unsigned int size,
			  unsigned int align, const struct layout *want)
{
	struct kslab_cache_args args = { .align = align };
	struct kslab_cache_stats st;
	struct kslab_cache *cache;
	struct layout got;

	cache = test_cache(t, "t-layout", size, &args, 0);
	if (!cache)
		return;
	st = cache_stats(cache);
	got.size = st.size;
	got.pages = st.pages_per_slab;
	got.objs = st.objs_per_slab;
	got.off_slab = st.off_slab;
	got.colours = st.colours;
	ktap_check(t, same_layout(&got, want), __FILE__, __LINE__,
		   "size %u align %u: stride %lu, %lu pages, %lu objs, %s, %lu colours; expected %lu, %lu, %lu, %s, %lu",
		   size, align, st.size, st.pages_per_slab, st.objs_per_slab,
		   st.off_slab ? "off" : "on", st.colours, want->size,
		   want->pages, want->objs, want->off_slab ? "off" : "on",
		   want->colours);
	test_cache_destroy(t, cache);
}

struct layout_case {
	unsigned int size;
	struct layout want;
};

/* Worked out by hand: a header is 48 bytes and 8 more per 64 objects. */
static void test_layout_table(struct ktap_test *t)
{
	static const struct layout_case cases[] = {
		{ 8, { 8, 1, 498, false, 1 } },
		{ 64, { 64, 1, 63, false, 1 } },
		{ 100, { 104, 1, 38, false, 2 } },
		{ 256, { 256, 2, 31, false, 4 } },
		{ 512, { 512, 1, 8, true, 1 } },
		{ 700, { 704, 4, 23, false, 3 } },
		{ 3000, { 3000, 32, 43, false, 32 } },
		{ 4096, { 4096, 1, 1, true, 1 } },
		{ 20000, { 20000, 16, 3, false, 86 } },
		/* No order wastes at most 1/32: the least wasteful one. */
		{ 70000, { 70000, 32, 1, false, 954 } },
		{ 131072, { 131072, 32, 1, true, 1 } },
	};
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(cases); i++) {
		struct layout rule = expected_layout(cases[i].size, 0);

		/* The table and this file's rule agree before mm/ is asked. */
		ktap_check(t, same_layout(&rule, &cases[i].want), __FILE__,
			   __LINE__, "rule agrees with table for %u",
			   cases[i].size);
		expect_layout(t, cases[i].size, 0, &cases[i].want);
	}
}

/* The chosen slab holds no room for another object, nor a smaller order's. */
static void expect_packed(struct ktap_test *t, const struct layout *l,
			  unsigned long align)
{
	unsigned long bytes = l->pages * KSLAB_PAGE_SIZE, order, left;
	bool small = l->size < OFF_SLAB_MIN;

	KTAP_EXPECT(t, l->objs * l->size +
		       (l->off_slab ? 0 : header_bytes(l->objs, align)) <= bytes);
	KTAP_EXPECT(t, (l->objs + 1) * l->size +
		       (small ? header_bytes(l->objs + 1, align) : 0) > bytes);
	for (order = 0; (KSLAB_PAGE_SIZE << order) < bytes; order++) {
		unsigned long smaller = KSLAB_PAGE_SIZE << order;

		if (fit_objs(smaller, l->size, align, small, &left))
			ktap_check(t, left * WASTE_SHARE > smaller, __FILE__, __LINE__,
				   "stride %lu: order %lu wastes %lu of %lu yet was passed over",
				   l->size, order, left, smaller);
	}
}

/* Sizes across the whole range, at two alignments, against the rule. */
static void test_layout_sweep(struct ktap_test *t)
{
	static const unsigned int aligns[] = { 0, 64 };
	unsigned long size;
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(aligns); i++)
		for (size = 8; size <= KSLAB_MAX_OBJECT_SIZE;
		     size += size / 5 + 7) {
			struct layout want = expected_layout(size, aligns[i]);

			expect_packed(t, &want, aligns[i] > MIN_ALIGN ?
						aligns[i] : MIN_ALIGN);
			expect_layout(t, (unsigned int)size, aligns[i], &want);
		}
}

/*
 * Allocate @nr_slabs fresh slabs' worth from a NO_MAGAZINE cache: each
 * slab is made when the previous one fills, so objs[s * objs_per_slab]
 * onwards are slab s's objects, in the slab's shuffled order.
 */
static void **alloc_slabs(struct ktap_test *t, struct kslab_cache *cache,
			  const struct kslab_cache_stats *st,
			  unsigned long nr_slabs)
{
	unsigned long n = nr_slabs * st->objs_per_slab;
	void **objs = meta_alloc(t, n * sizeof(void *));

	if (objs && !alloc_objs(t, cache, objs, n)) {
		meta_free(objs, n * sizeof(void *));
		return NULL;
	}
	return objs;
}

/* Sort @n addresses (insertion sort: portable, and n is one slab). */
static void sort_addresses(void **objs, unsigned long n)
{
	unsigned long i, j;
	void *obj;

	for (i = 1; i < n; i++) {
		obj = objs[i];
		for (j = i; j && objs[j - 1] > obj; j--)
			objs[j] = objs[j - 1];
		objs[j] = obj;
	}
}

/*
 * Slab @s's objects all lie in one block, one at each stride after the
 * colour, each handed out once. Sorts them. Return: the first's offset.
 */
static unsigned long first_offset(struct ktap_test *t, void **objs,
				  unsigned long s,
				  const struct kslab_cache_stats *st)
{
	void **mine = objs + s * st->objs_per_slab;
	unsigned long base, i;

	sort_addresses(mine, st->objs_per_slab);
	base = (unsigned long)mine[0] - offset_in_slab(mine[0], st);
	for (i = 1; i < st->objs_per_slab; i++)
		if ((unsigned long)mine[i] != (unsigned long)mine[0] + i * st->size)
			break;
	ktap_check(t, i == st->objs_per_slab, __FILE__, __LINE__,
		   "slab %lu: object %lu at %p, first at %p", s, i,
		   i < st->objs_per_slab ? mine[i] : NULL, mine[0]);
	KTAP_EXPECT(t, (unsigned long)mine[st->objs_per_slab - 1] + st->size <=
		       base + slab_bytes(st));
	return offset_in_slab(mine[0], st);
}

#define SHUFFLE_SLABS	32

/* How many positions of slabs @a and @b hold objects of the same index. */
static unsigned long positions_alike(void **objs, char **first,
				     unsigned long n, unsigned long a,
				     unsigned long b)
{
	unsigned long i, same = 0;

	for (i = 0; i < n; i++)
		same += (char *)objs[a * n + i] - first[a] ==
			(char *)objs[b * n + i] - first[b];
	return same;
}

/*
 * Hardening: a new slab hands its objects out in a shuffled order, a
 * different one in each slab, and every object exactly once. Slabs side
 * by side agree on their orders as random permutations do: a pair has
 * no position alike with chance 1/e, so about 37% of the 496 pairs of 32
 * slabs do (one standard deviation 2.2%; the bounds are 6), and no pair
 * has 16 alike (a random pair, about once in 10^13). Keys that differed
 * only in the slab's address bits gave 61-66% with no position alike,
 * and in every run a pair with 41 to all 63 alike.
 */
static void test_slab_order_shuffled(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-shuffle", 64, NULL,
					       KSLAB_NO_MAGAZINE);
	unsigned long n, s, b, i, in_order, same, most = 0, apart = 0;
	unsigned long pairs = SHUFFLE_SLABS * (SHUFFLE_SLABS - 1) / 2;
	char *first[SHUFFLE_SLABS];
	struct kslab_cache_stats st;
	void **objs;

	if (!cache)
		return;
	st = cache_stats(cache);
	n = st.objs_per_slab;
	objs = alloc_slabs(t, cache, &st, SHUFFLE_SLABS);
	if (!objs)
		goto out;
	for (s = 0; s < SHUFFLE_SLABS; s++) {
		in_order = 0;
		first[s] = objs[s * n];
		for (i = 1; i < n; i++) {
			in_order += objs[s * n + i] > objs[s * n + i - 1];
			if ((char *)objs[s * n + i] < first[s])
				first[s] = objs[s * n + i];
		}
		ktap_check(t, in_order < n - 1, __FILE__, __LINE__,
			   "slab %lu: %lu objects in order", s, n);
	}
	for (s = 0; s < SHUFFLE_SLABS; s++) {
		for (b = s + 1; b < SHUFFLE_SLABS; b++) {
			same = positions_alike(objs, first, n, s, b);
			apart += !same;
			if (same > most)
				most = same;
		}
	}
	ktap_diag("%lu of %lu pairs of slabs with no position alike, at most %lu alike",
		  apart, pairs, most);
	KTAP_EXPECT(t, apart * 100 > pairs * 24 && apart * 100 < pairs * 50);
	KTAP_EXPECT(t, most < 16);
	for (s = 0; s < SHUFFLE_SLABS; s++)
		first_offset(t, objs, s, &st);
	free_objs(cache, objs, SHUFFLE_SLABS * n);
	meta_free(objs, SHUFFLE_SLABS * n * sizeof(void *));
out:
	test_cache_destroy(t, cache);
}

/* A cache without magazines, each allocation its slab's next; @st set. */
static struct kslab_cache *order_cache(struct ktap_test *t, const char *name,
				       unsigned int size,
				       struct kslab_cache_stats *st)
{
	struct kslab_cache *cache = test_cache(t, name, size, NULL,
					       KSLAB_NO_MAGAZINE);

	if (cache)
		*st = cache_stats(cache);
	return cache;
}

/*
 * The shuffle for slabs of every shape: domains whose bits are odd and
 * even, one page or several, windows with a partial one last. Each slab
 * hands every object out once; objects freed back into a slab (all but
 * one, in a scrambled order) come out of it again, each once.
 */
static void expect_shuffle_whole(struct ktap_test *t, unsigned int size)
{
	struct kslab_cache_stats st;
	struct kslab_cache *cache = order_cache(t, "t-shuffle-sizes", size, &st);
	unsigned long i, strays = 0, n = cache ? st.objs_per_slab : 0;
	void **objs = cache ? alloc_slabs(t, cache, &st, 2) : NULL;

	if (!objs)
		goto out;
	first_offset(t, objs, 1, &st);
	for (i = 1; i < n; i += 2)
		kslab_cache_free(cache, objs[i]);
	for (i = (n - 1) & ~1UL; i >= 2; i -= 2)
		kslab_cache_free(cache, objs[i]);
	for (i = 1; i < n; i++) {
		objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
		strays += !objs[i] ||
			  kslab_obj_to_slab(objs[i]) != kslab_obj_to_slab(objs[0]);
	}
	ktap_check(t, strays == 0, __FILE__, __LINE__,
		   "size %u: %lu of %lu objects not back from their slab",
		   size, strays, n - 1);
	if (!strays)
		first_offset(t, objs, 0, &st);
	free_objs(cache, objs, 2 * n);
	meta_free(objs, 2 * n * sizeof(void *));
out:
	if (cache)
		test_cache_destroy(t, cache);
}

static void test_slab_order_every_shape(struct ktap_test *t)
{
	static const unsigned int sizes[] = {
		8, 24, 48, 96, 200, 700, 1408, 3000,
	};
	unsigned long i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		expect_shuffle_whole(t, sizes[i]);
}

/*
 * Objects given back to a slab that still has objects never out: each
 * free walks the shuffle back to tell the object from those, and must
 * agree with the order allocation took. They come out again before any
 * fresh object, lowest address first, and then the slab's fresh objects,
 * every object of the slab once.
 */
static void expect_reuse_given_back(struct ktap_test *t, unsigned int size)
{
	struct kslab_cache_stats st;
	struct kslab_cache *cache = order_cache(t, "t-given-back", size, &st);
	unsigned long i, half, n = cache ? st.objs_per_slab : 0, wrong = 0;
	void **objs = cache ? meta_alloc(t, n * sizeof(void *)) : NULL;
	void *again;

	half = n / 2;
	if (!objs || !half || !alloc_objs(t, cache, objs, half))
		goto out;
	for (i = 1; i < half; i += 2)
		kslab_cache_free(cache, objs[i]);
	for (i = ((half - 1) & ~1UL) + 2; i >= 2; i -= 2)
		kslab_cache_free(cache, objs[i - 2]);
	KTAP_EXPECT_EQ(t, cache_stats(cache).bad_frees, 0);
	sort_addresses(objs, half);
	for (i = 0; i < half; i++) {
		again = kslab_cache_alloc(cache, GFP_KERNEL);
		wrong += again != objs[i];
		if (again != objs[i])
			kslab_cache_free(cache, again);
	}
	ktap_check(t, wrong == 0, __FILE__, __LINE__,
		   "size %u: %lu of %lu objects given back not reused lowest first",
		   size, wrong, half);
	if (!wrong && alloc_objs(t, cache, objs + half, n - half)) {
		first_offset(t, objs, 0, &st);
		free_objs(cache, objs, n);
	} else if (!wrong) {
		free_objs(cache, objs, half);
	}
out:
	if (objs)
		meta_free(objs, n * sizeof(void *));
	if (cache)
		test_cache_destroy(t, cache);
}

static void test_slab_reuse_given_back(struct ktap_test *t)
{
	static const unsigned int sizes[] = { 24, 200, 700, 3000 };
	unsigned long i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		expect_reuse_given_back(t, sizes[i]);
}

/* Distinct pages that the first @k of @objs (each @size bytes) touch. */
static unsigned long pages_touched(void **objs, unsigned long k,
				   unsigned long size)
{
	unsigned long seen[64], nr = 0, i, j, p;

	for (i = 0; i < k; i++)
		for (p = (unsigned long)objs[i] / KSLAB_PAGE_SIZE;
		     p <= ((unsigned long)objs[i] + size - 1) / KSLAB_PAGE_SIZE;
		     p++) {
			for (j = 0; j < nr && seen[j] != p; j++)
				;
			if (j == nr && nr < 64)
				seen[nr++] = p;
		}
	return nr;
}

/*
 * Hardening's shuffle goes a page's worth of objects (a window) at a
 * time: a slab of several pages hands out every object of one window, in
 * an order of the window's own, before any of the next, and the windows
 * come in an order of the slab's own. A window lies across two pages at
 * most, so the first k objects of a slab touch at most two pages for
 * every window begun, where a shuffle over the whole slab touches about
 * one page an object. Objects of 700 bytes: a few windows of several.
 */
static void test_slab_order_page_by_page(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-windows", 700, NULL,
					       KSLAB_NO_MAGAZINE);
	unsigned long n, w, windows, s, i, strays = 0, pages_over = 0;
	unsigned long ascending = 0, inside = 0;
	struct kslab_cache_stats st;
	void **objs;

	if (!cache)
		return;
	st = cache_stats(cache);
	n = st.objs_per_slab;
	w = n / st.pages_per_slab;
	if (!KTAP_EXPECT(t, st.pages_per_slab >= 4 && w >= 4))
		goto out;
	windows = n / w;
	objs = alloc_slabs(t, cache, &st, 2);
	if (!objs)
		goto out;
	for (s = 0; s < 2; s++) {
		void **mine = objs + s * n;
		unsigned long low = ~0UL, window[64];

		for (i = 0; i < n; i++)
			if ((unsigned long)mine[i] < low)
				low = (unsigned long)mine[i];
		for (i = 0; i < windows * w && i / w < 64; i++) {
			unsigned long index = ((unsigned long)mine[i] - low) /
					      st.size;

			if (i % w == 0)
				window[i / w] = index / w;
			else
				inside += mine[i] > mine[i - 1];
			strays += index / w != window[i / w];
		}
		for (i = 1; i < windows && i < 64; i++)
			ascending += window[i] > window[i - 1];
		for (i = 1; i <= n; i++)
			pages_over += pages_touched(mine, i, st.size) >
				      2 * ((i + w - 1) / w);
	}
	KTAP_EXPECT_EQ(t, strays, 0);
	KTAP_EXPECT_EQ(t, pages_over, 0);
	/* Not both the windows and the objects inside them in address order. */
	ktap_check(t, ascending < 2 * (windows - 1) ||
		      inside < 2 * windows * (w - 1), __FILE__, __LINE__,
		   "%lu windows of %lu: %lu of %lu window steps ascending, %lu of %lu inside",
		   windows, w, ascending, 2 * (windows - 1), inside,
		   2 * windows * (w - 1));
	free_objs(cache, objs, 2 * n);
	meta_free(objs, 2 * n * sizeof(void *));
out:
	test_cache_destroy(t, cache);
}

#define INTERNAL_OBJS	200

/*
 * kslab's internal caches (here the smallest magazines') hand their
 * objects out in address order within each slab: no caller holds them,
 * so there is no layout to hide, and a few of them touch few pages.
 */
static void test_internal_caches_in_order(struct ktap_test *t)
{
	struct kslab_cache *cache = kslab_magazine_cache(6);
	void *objs[INTERNAL_OBJS];
	unsigned long i, n = 0, descents = 0;

	KTAP_ASSERT(t, cache != NULL);
	while (n < INTERNAL_OBJS && (objs[n] = kslab_cache_alloc(cache, GFP_KERNEL)))
		n++;
	KTAP_EXPECT_EQ(t, n, INTERNAL_OBJS);
	for (i = 1; i < n; i++)
		descents += kslab_obj_to_slab(objs[i]) ==
			    kslab_obj_to_slab(objs[i - 1]) &&
			    objs[i] < objs[i - 1];
	KTAP_EXPECT_EQ(t, descents, 0);
	free_objs(cache, objs, n);
}

static void expect_colour_cycle(struct ktap_test *t, unsigned int size,
				unsigned int align, unsigned long colours)
{
	struct kslab_cache_args args = { .align = align };
	unsigned long eff = align > MIN_ALIGN ? align : MIN_ALIGN;
	unsigned long step = eff > KSLAB_CACHE_LINE ? eff : KSLAB_CACHE_LINE;
	unsigned long s, nr_slabs, first, off;
	struct kslab_cache_stats st;
	struct kslab_cache *cache;
	void **objs;

	cache = test_cache(t, "t-colour", size, &args, KSLAB_NO_MAGAZINE);
	if (!cache)
		return;
	st = cache_stats(cache);
	KTAP_EXPECT_EQ(t, st.colours, colours);
	nr_slabs = st.colours + 2;	/* round once, and on to colour 1 */
	objs = alloc_slabs(t, cache, &st, nr_slabs);
	if (objs) {
		first = first_offset(t, objs, 0, &st);
		KTAP_EXPECT_EQ(t, first, st.off_slab ? 0 :
				  header_bytes(st.objs_per_slab, eff));
		for (s = 1; s < nr_slabs; s++) {
			off = first_offset(t, objs, s, &st);
			ktap_check(t, off == first + (s % st.colours) * step,
				   __FILE__, __LINE__,
				   "slab %lu: first object at offset %lu, expected %lu",
				   s, off, first + (s % st.colours) * step);
			KTAP_EXPECT_EQ(t, off % eff, 0);
		}
		/* One more colour would push the last object off the slab. */
		KTAP_EXPECT(t, first + st.colours * step +
			       st.objs_per_slab * st.size > slab_bytes(&st));
		KTAP_EXPECT_EQ(t, cache_stats(cache).num_slabs, nr_slabs);
		free_objs(cache, objs, nr_slabs * st.objs_per_slab);
		meta_free(objs, nr_slabs * st.objs_per_slab * sizeof(void *));
	}
	test_cache_destroy(t, cache);
}

static void test_colour_on_slab(struct ktap_test *t)
{
	expect_colour_cycle(t, 256, 0, 4);
}

/* A large object whose header still fits the waste: on the slab, 32 colours. */
static void test_colour_many(struct ktap_test *t)
{
	expect_colour_cycle(t, 3000, 0, 32);
}

/* The colour step is the alignment when that exceeds a cache line. */
static void test_colour_aligned(struct ktap_test *t)
{
	expect_colour_cycle(t, 1300, 256, 2);
}

/* Off the slab only when the waste cannot hold a header: no room to colour. */
static void test_colour_off_slab(struct ktap_test *t)
{
	expect_colour_cycle(t, 512, 0, 1);
}

#define ALIGN_OBJS	96

/* Objects across many slabs and colours, through the magazines. */
static void expect_aligned(struct ktap_test *t, unsigned int size,
			   unsigned int align, unsigned long flags,
			   unsigned long want_align, unsigned long want_size)
{
	struct kslab_cache_args args = { .align = align };
	struct kslab_cache *cache;
	void *objs[ALIGN_OBJS];
	unsigned long i, bad = 0;

	cache = test_cache(t, "t-align", size, &args, flags);
	if (!cache)
		return;
	KTAP_EXPECT_EQ(t, cache_stats(cache).size, want_size);
	if (alloc_objs(t, cache, objs, ALIGN_OBJS)) {
		for (i = 0; i < ALIGN_OBJS; i++)
			bad += (unsigned long)objs[i] % want_align != 0;
		ktap_check(t, !bad, __FILE__, __LINE__,
			   "size %u align %u: %lu of %u objects off %lu-byte alignment",
			   size, align, bad, ALIGN_OBJS, want_align);
		KTAP_EXPECT(t, objs_disjoint(objs, ALIGN_OBJS, want_size));
		free_objs(cache, objs, ALIGN_OBJS);
	}
	test_cache_destroy(t, cache);
}

static void test_align_64(struct ktap_test *t)
{
	expect_aligned(t, 40, 64, 0, 64, 64);
	expect_aligned(t, 1300, 64, 0, 64, 1344);
}

static void test_align_256(struct ktap_test *t)
{
	expect_aligned(t, 100, 256, 0, 256, 256);
	expect_aligned(t, 1300, 256, 0, 256, 1536);
}

static void test_align_page(struct ktap_test *t)
{
	expect_aligned(t, 100, KSLAB_PAGE_SIZE, 0, KSLAB_PAGE_SIZE,
		       KSLAB_PAGE_SIZE);
	expect_aligned(t, 5000, KSLAB_PAGE_SIZE, KSLAB_NO_MAGAZINE,
		       KSLAB_PAGE_SIZE, 2 * KSLAB_PAGE_SIZE);
}

/* A cache line each, but small objects share one rather than pad it. */
static void test_hwcache_align(struct ktap_test *t)
{
	expect_aligned(t, 100, 0, KSLAB_HWCACHE_ALIGN, 64, 128);
	expect_aligned(t, 33, 0, KSLAB_HWCACHE_ALIGN, 64, 64);
	expect_aligned(t, 20, 0, KSLAB_HWCACHE_ALIGN, 32, 32);
	expect_aligned(t, 12, 0, KSLAB_HWCACHE_ALIGN, 16, 16);
	expect_aligned(t, 8, 0, KSLAB_HWCACHE_ALIGN, 8, 8);
	expect_aligned(t, 100, 256, KSLAB_HWCACHE_ALIGN, 256, 256);
}

static const struct ktap_case slab_layout_cases[] = {
	{ "slab_order_shuffled", test_slab_order_shuffled },
	{ "slab_order_page_by_page", test_slab_order_page_by_page },
	{ "slab_order_every_shape", test_slab_order_every_shape },
	{ "slab_reuse_given_back", test_slab_reuse_given_back },
	{ "internal_caches_in_order", test_internal_caches_in_order },
	{ "layout_table", test_layout_table },
	{ "layout_sweep", test_layout_sweep },
	{ "colour_on_slab", test_colour_on_slab },
	{ "colour_many", test_colour_many },
	{ "colour_aligned", test_colour_aligned },
	{ "colour_off_slab", test_colour_off_slab },
	{ "align_64", test_align_64 },
	{ "align_256", test_align_256 },
	{ "align_page", test_align_page },
	{ "hwcache_align", test_hwcache_align },
};

const struct ktap_suite slab_layout_suite =
	KTAP_SUITE("slab_layout", slab_layout_cases);
