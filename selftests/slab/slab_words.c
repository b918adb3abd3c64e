// SPDX-License-Identifier: GPL-2.0
/*
 * The free fast path's check (kslab_obj_valid()): the object index found
 * by exact division is right for every offset, in range or not; every
 * page of a slab carries its word while the slab lives and loses it when
 * the slab goes back; the consistency checker notices a wrong word; and
 * the cache numbers the words carry are reused lowest first.
 */
#include "../../mm/slab.h"
#include "slab_tests.h"

/* Offsets tried beyond each end of a slab's objects, in object sizes. */
#define INDEX_MARGIN	3

/*
 * Compare kslab_obj_index() with plain division over every offset from
 * INDEX_MARGIN objects before the first to INDEX_MARGIN after the last,
 * and at the ends of the 64-bit range. Return: the offsets it got wrong.
 */
static unsigned long index_errors(const struct kslab_cache *cache)
{
	unsigned long size = cache->size, objs = cache->objs_per_slab;
	unsigned long bad = 0, off, i;
	static const unsigned long far[] = {
		1UL << 63, ~0UL, ~0UL - 7, 1UL << 40, 1UL << 22,
	};

	for (off = -INDEX_MARGIN * size; off != (objs + INDEX_MARGIN) * size;
	     off++) {
		bool starts = off < objs * size && off % size == 0;
		unsigned long index = kslab_obj_index(cache, off);

		if (starts ? index != off / size : index < objs)
			bad++;
	}
	for (i = 0; i < KSLAB_ARRAY_SIZE(far); i++)
		bad += kslab_obj_index(cache, far[i]) < objs;
	return bad;
}

/* Odd, even and power-of-two strides, on and off the slab. */
static void test_obj_index_exact(struct ktap_test *t)
{
	static const unsigned int sizes[] = {
		8, 24, 40, 56, 64, 72, 96, 192, 520, 1000, 4096, 12296,
	};
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++) {
		struct kslab_cache *cache = test_cache(t, "t-obj-index",
						       sizes[i], NULL, 0);

		if (!cache)
			continue;
		ktap_check(t, index_errors(cache) == 0, __FILE__, __LINE__,
			   "size %u (stride %u): %lu offsets indexed wrongly",
			   sizes[i], cache->size, index_errors(cache));
		test_cache_destroy(t, cache);
	}
}

/* The word of the page holding @addr, or a value no slab word has. */
static unsigned long word_at(const void *addr)
{
	const unsigned long *word = kslab_env_page_word(addr);

	return word ? *word : 1;
}

static void expect_stale_free_refused(struct ktap_test *t,
				      struct kslab_cache *cache, void *obj)
{
	struct report_capture cap;

	capture_start(&cap);
	kslab_cache_free(cache, obj);
	capture_stop(&cap);
	expect_one_error(t, &cap, "not a slab object", kslab_cache_name(cache));
	KTAP_EXPECT_EQ(t, cache_stats(cache).bad_frees, 1);
	KTAP_EXPECT_EQ(t, cache_stats(cache).num_slabs, 0);
}

/*
 * Every page of a live slab has the slab's word; once the slab is given
 * back its pages have 0, so a stale pointer into it is refused.
 */
static void test_words_follow_slabs(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-words", 3000, NULL,
					       KSLAB_NO_MAGAZINE);
	unsigned long pages, i, wrong = 0;
	struct kslab_cache_stats st;
	char *obj, *first;

	if (!cache)
		return;
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	if (!KTAP_EXPECT(t, obj != NULL))
		goto out;
	st = cache_stats(cache);
	pages = slab_bytes(&st) / KSLAB_PAGE_SIZE;
	KTAP_EXPECT(t, pages > 1);
	first = obj - offset_in_slab(obj, &st);
	for (i = 0; i < pages; i++)
		wrong += word_at(first + i * KSLAB_PAGE_SIZE) !=
			 word_at(obj) || !word_at(obj);
	KTAP_EXPECT_EQ(t, wrong, 0);
	KTAP_EXPECT(t, kslab_obj_valid(cache, obj));

	/* Keep the chunk, so its words are the slab layer's doing alone. */
	kslab_zone_set_keep_free(kslab_default_zone(), ~0UL);
	kslab_cache_free(cache, obj);
	kslab_cache_shrink(cache);
	KTAP_EXPECT_EQ(t, cache_stats(cache).num_slabs, 0);
	for (i = 0; i < pages; i++)
		wrong += word_at(first + i * KSLAB_PAGE_SIZE) != 0;
	KTAP_EXPECT_EQ(t, wrong, 0);
	KTAP_EXPECT(t, !kslab_obj_valid(cache, obj));
	expect_stale_free_refused(t, cache, obj);
	kslab_zone_set_keep_free(kslab_default_zone(),
				 KSLAB_KEEP_FREE_CHUNKS_DEFAULT);
out:
	test_cache_destroy(t, cache);
}

/* A page word gone wrong is a problem the checker reports, and a free refuses. */
static void test_check_catches_word(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-word-check", 64, NULL, 0);
	struct report_capture cap;
	unsigned long *word, saved, problems;
	void *obj;

	if (!cache)
		return;
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	if (!KTAP_EXPECT(t, obj != NULL))
		goto out;
	word = kslab_env_page_word(obj);
	if (!KTAP_EXPECT(t, word != NULL))
		goto out;
	saved = *word;
	*word = saved + 8;	/* as if the objects began 8 bytes later */
	KTAP_EXPECT(t, !kslab_obj_valid(cache, obj));
	capture_start(&cap);
	problems = kslab_cache_check(cache);
	capture_stop(&cap);
	*word = saved;
	KTAP_EXPECT_EQ(t, problems, 1);
	KTAP_EXPECT_EQ(t, cap.seen, 1);
	if (cap.seen)
		EXPECT_CONTAINS(t, cap.msg[0], "has word");
	KTAP_EXPECT(t, kslab_obj_valid(cache, obj));
	kslab_cache_free(cache, obj);
out:
	test_cache_destroy(t, cache);
}

/*
 * Cache numbers, which the words carry: a destroyed cache's number goes
 * to the next cache made, the lowest free one first; past those, numbers
 * never given before, in turn.
 */
static void test_cache_numbers_reused(struct ktap_test *t)
{
	struct kslab_cache *a = kslab_cache_create("number-a", 64, NULL, 0);
	struct kslab_cache *b = kslab_cache_create("number-b", 64, NULL, 0);
	struct kslab_cache *c = NULL, *d = NULL;
	unsigned long id_a;

	if (!KTAP_EXPECT(t, a && b))
		goto out;
	id_a = kslab_cache_id(a);
	KTAP_EXPECT(t, kslab_cache_id(b) != id_a);
	kslab_cache_destroy(a);
	a = NULL;
	c = kslab_cache_create("number-c", 64, NULL, 0);
	d = kslab_cache_create("number-d", 64, NULL, 0);
	if (!KTAP_EXPECT(t, c && d))
		goto out;
	KTAP_EXPECT_EQ(t, kslab_cache_id(c), id_a);
	KTAP_EXPECT(t, kslab_cache_id(d) > kslab_cache_id(b));
out:
	kslab_cache_destroy(d);
	kslab_cache_destroy(c);
	kslab_cache_destroy(b);
	kslab_cache_destroy(a);
}

static const struct ktap_case words_cases[] = {
	{ "obj_index_exact", test_obj_index_exact },
	{ "words_follow_slabs", test_words_follow_slabs },
	{ "check_catches_word", test_check_catches_word },
	{ "cache_numbers_reused", test_cache_numbers_reused },
};

const struct ktap_suite slab_words_suite = KTAP_SUITE("slab_words", words_cases);
