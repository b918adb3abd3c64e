// SPDX-License-Identifier: GPL-2.0
/*
 * Cache creation: every bad argument (no name or one with blanks, a size
 * or alignment out of range, too large a magazine) is refused with NULL
 * and exactly one report naming the cache and the reason; the edges of
 * the valid range are accepted and work; names are copied and truncated;
 * magazine sizes are rounded up to a capacity class or chosen from the
 * object size.
 */
#include "slab_tests.h"

/* @name (which may be NULL) with these arguments must be refused. */
static void expect_create_fails(struct ktap_test *t, const char *name,
				unsigned int size,
				const struct kslab_cache_args *args,
				const char *reason)
{
	struct report_capture cap;
	struct kslab_cache *cache;

	capture_start(&cap);
	cache = kslab_cache_create(name, size, args, 0);
	capture_stop(&cap);
	if (!KTAP_EXPECT(t, cache == NULL)) {
		kslab_cache_destroy(cache);
		return;
	}
	expect_one_error(t, &cap, reason, name ? name : "(null)");
	if (cap.seen)
		EXPECT_CONTAINS(t, cap.msg[0], "not created");
}

static void test_create_null_name(struct ktap_test *t)
{
	expect_create_fails(t, NULL, 64, NULL, "no name");
}

/* slabinfo splits its columns on blanks, so names may hold none. */
static void test_create_name_invalid(struct ktap_test *t)
{
	struct report_capture cap;

	capture_start(&cap);
	KTAP_EXPECT(t, !kslab_cache_create("", 64, NULL, 0));
	capture_stop(&cap);
	expect_one_error(t, &cap, "no name", NULL);
	expect_create_fails(t, "t bad", 64, NULL, "blank");
	expect_create_fails(t, "t-tab\tbad", 64, NULL, "blank");
	expect_create_fails(t, "t-newline\n", 64, NULL, "blank");
}

static void test_create_size_zero(struct ktap_test *t)
{
	expect_create_fails(t, "t-size-zero", 0, NULL, "size out of range");
}

static void test_create_size_too_large(struct ktap_test *t)
{
	expect_create_fails(t, "t-size-large", KSLAB_MAX_OBJECT_SIZE + 1, NULL,
			    "size out of range");
	expect_create_fails(t, "t-size-huge", ~0U, NULL, "size out of range");
}

static void test_create_align_not_power_of_two(struct ktap_test *t)
{
	struct kslab_cache_args args = { .align = 3 };

	expect_create_fails(t, "t-align-3", 64, &args, "power of two");
	args.align = 48;
	expect_create_fails(t, "t-align-48", 64, &args, "power of two");
}

static void test_create_align_above_page(struct ktap_test *t)
{
	struct kslab_cache_args args = { .align = 2 * KSLAB_PAGE_SIZE };

	expect_create_fails(t, "t-align-8k", 64, &args, "larger than a page");
	args.align = 1U << 20;
	expect_create_fails(t, "t-align-1m", 64, &args, "larger than a page");
}

static void test_create_magazine_too_large(struct ktap_test *t)
{
	struct kslab_cache_args args = { .magazine_size = KSLAB_MAGAZINE_MAX + 1 };

	expect_create_fails(t, "t-mag-255", 64, &args, "magazine size");
	args.magazine_size = 1000;
	expect_create_fails(t, "t-mag-1000", 64, &args, "magazine size");
}

/* A cache of @size works end to end, and says what it was asked for. */
static void expect_cache_works(struct ktap_test *t, const char *name,
			       unsigned int size,
			       const struct kslab_cache_args *args,
			       unsigned long flags)
{
	struct kslab_cache *cache;
	struct report_capture cap;
	unsigned char *obj;

	capture_start(&cap);
	cache = kslab_cache_create(name, size, args, flags);
	capture_stop(&cap);
	expect_no_report(t, &cap);
	if (!KTAP_EXPECT(t, cache != NULL))
		return;
	KTAP_EXPECT_EQ(t, cache_stats(cache).object_size, size);
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	if (KTAP_EXPECT(t, obj != NULL)) {
		/* Both ends of the object are the caller's to write. */
		obj[0] = 1;
		obj[size - 1] = 2;
		KTAP_EXPECT_EQ(t, held_objs(cache), 1);
		kslab_cache_free(cache, obj);
	}
	KTAP_EXPECT_EQ(t, held_objs(cache), 0);
	test_cache_destroy(t, cache);
}

static void test_create_size_limits(struct ktap_test *t)
{
	expect_cache_works(t, "t-size-1", 1, NULL, 0);
	expect_cache_works(t, "t-size-max", KSLAB_MAX_OBJECT_SIZE, NULL, 0);
	expect_cache_works(t, "t-size-max-nomag", KSLAB_MAX_OBJECT_SIZE, NULL,
			   KSLAB_NO_MAGAZINE);
}

/* Alignments below the minimum are valid and rounded up to 8 bytes. */
static void test_create_small_align(struct ktap_test *t)
{
	static const unsigned int aligns[] = { 0, 1, 2, 4, 8 };
	struct kslab_cache_args args = { 0 };
	struct kslab_cache *cache;
	void *objs[3];
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(aligns); i++) {
		args.align = aligns[i];
		cache = test_cache(t, "t-small-align", 13, &args, 0);
		if (!cache)
			continue;
		KTAP_EXPECT_EQ(t, cache_stats(cache).size, 16);
		if (alloc_objs(t, cache, objs, KSLAB_ARRAY_SIZE(objs))) {
			KTAP_EXPECT_EQ(t, (unsigned long)objs[0] % 8, 0);
			KTAP_EXPECT_EQ(t, (unsigned long)objs[2] % 8, 0);
			free_objs(cache, objs, KSLAB_ARRAY_SIZE(objs));
		}
		test_cache_destroy(t, cache);
	}
}

/* The name is copied, so the caller's buffer may go, and cut to 31 bytes. */
static void test_create_name_copied(struct ktap_test *t)
{
	const char *long_name = "t-name-0123456789abcdefghijklmnopqrstuvwxyz";
	char name[16] = "t-name-copy";
	struct kslab_cache *cache, *longer;

	cache = test_cache(t, name, 32, NULL, 0);
	longer = test_cache(t, long_name, 32, NULL, 0);
	name[0] = 'X';
	if (cache)
		ktap_check(t, str_starts_with(kslab_cache_name(cache), "t-name-copy") &&
			   str_len(kslab_cache_name(cache)) == 11, __FILE__,
			   __LINE__, "name \"%s\"", kslab_cache_name(cache));
	if (longer) {
		KTAP_EXPECT_EQ(t, str_len(kslab_cache_name(longer)), 31);
		KTAP_EXPECT(t, str_starts_with(long_name, kslab_cache_name(longer)));
	}
	test_cache_destroy(t, cache);
	test_cache_destroy(t, longer);
}

struct magazine_case {
	unsigned int object_size;
	unsigned int asked;		/* args.magazine_size */
	unsigned long expected;
};

/*
 * Sizes asked for round up to the classes 6, 14, 30, 62, 126, 254; with
 * none asked, a magazine holds at most 32 KiB of objects (6 at least).
 */
static void test_create_magazine_classes(struct ktap_test *t)
{
	static const struct magazine_case cases[] = {
		{ 64, 1, 6 }, { 64, 6, 6 }, { 64, 7, 14 }, { 64, 14, 14 },
		{ 64, 15, 30 }, { 64, 100, 126 }, { 64, 200, 254 },
		{ 64, KSLAB_MAGAZINE_MAX, 254 },
		{ 8, 0, 254 }, { 128, 0, 254 }, { 136, 0, 126 }, { 256, 0, 126 },
		{ 264, 0, 62 }, { 528, 0, 62 }, { 536, 0, 30 }, { 1088, 0, 30 },
		{ 1096, 0, 14 }, { 2336, 0, 14 }, { 2344, 0, 6 }, { 4096, 0, 6 },
		{ 100000, 0, 6 },
	};
	struct kslab_cache_args args = { 0 };
	struct kslab_cache *cache;
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(cases); i++) {
		args.magazine_size = cases[i].asked;
		cache = test_cache(t, "t-mag-class", cases[i].object_size,
				   &args, 0);
		if (!cache)
			continue;
		ktap_check(t, cache_stats(cache).magazine_size == cases[i].expected,
			   __FILE__, __LINE__,
			   "size %u asking %u: magazine %lu, expected %lu",
			   cases[i].object_size, cases[i].asked,
			   cache_stats(cache).magazine_size, cases[i].expected);
		test_cache_destroy(t, cache);
	}
}

/* Reserved flags and KSLAB_PANIC are accepted when nothing is wrong. */
static void test_create_flags_accepted(struct ktap_test *t)
{
	expect_cache_works(t, "t-flags-reserved", 48, NULL,
			   KSLAB_POISON | KSLAB_RED_ZONE | KSLAB_STORE_USER |
			   KSLAB_CONSISTENCY_CHECKS | KSLAB_TYPESAFE_BY_RCU);
	expect_cache_works(t, "t-flags-panic", 48, NULL, KSLAB_PANIC);
	expect_cache_works(t, "t-flags-all", 48, NULL,
			   KSLAB_PANIC | KSLAB_HWCACHE_ALIGN | KSLAB_NO_MAGAZINE);
}

static const struct ktap_case slab_create_cases[] = {
	{ "create_null_name", test_create_null_name },
	{ "create_name_invalid", test_create_name_invalid },
	{ "create_size_zero", test_create_size_zero },
	{ "create_size_too_large", test_create_size_too_large },
	{ "create_align_not_power_of_two", test_create_align_not_power_of_two },
	{ "create_align_above_page", test_create_align_above_page },
	{ "create_magazine_too_large", test_create_magazine_too_large },
	{ "create_size_limits", test_create_size_limits },
	{ "create_small_align", test_create_small_align },
	{ "create_name_copied", test_create_name_copied },
	{ "create_magazine_classes", test_create_magazine_classes },
	{ "create_flags_accepted", test_create_flags_accepted },
};

const struct ktap_suite slab_create_suite =
	KTAP_SUITE("slab_create", slab_create_cases);
