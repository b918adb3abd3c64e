// SPDX-License-Identifier: GPL-2.0
/*
 * Buddy tests of every kind of bad free: foreign memory (stack, static,
 * a chunk already given back), misaligned addresses, wrong orders, double
 * frees before and after merging, addresses inside a block and orders
 * above the maximum. Each must give exactly one report and change
 * nothing else; freeing NULL must do nothing at all.
 */
#include <kslab/buddy.h>

#include "buddy_tests.h"

static int bad_free_static_var;

static void bad_free_stack_and_static(struct ktap_test *t,
				      struct test_zone *tz, void *a)
{
	int bad_free_stack_var = 0;

	expect_bad_free(t, tz, &bad_free_stack_var, 0, REASON_FOREIGN);
	expect_bad_free(t, tz, &bad_free_static_var, 0, REASON_FOREIGN);
	kslab_free_pages(a, 0);
}

DEFINE_FIRST_BLOCK_TEST(bad_free_stack_and_static, "bf-stack", 0)

static void test_bad_free_given_back_chunk(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bf-gone", 0, 0);
	void *a;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	if (a) {
		kslab_free_pages(a, 0);
		KTAP_EXPECT_EQ(t, tz->src.take_backs, 1);
		expect_bad_free(t, tz, a, 0, REASON_FOREIGN);
	}
	test_zone_destroy(t, tz);
}

static void bad_free_misaligned(struct ktap_test *t, struct test_zone *tz,
				void *b)
{
	expect_bad_free(t, tz, byte_at(b, KSLAB_PAGE_SIZE), 1,
			REASON_MISALIGNED);
	expect_bad_free(t, tz, byte_at(b, 2 * KSLAB_PAGE_SIZE), 2,
			REASON_MISALIGNED);
	expect_bad_free(t, tz, byte_at(b, KSLAB_PAGE_SIZE / 2), 0,
			REASON_MISALIGNED);
	expect_bad_free(t, tz, byte_at(b, 1), 2, REASON_MISALIGNED);
	kslab_free_pages(b, 2);
}

DEFINE_FIRST_BLOCK_TEST(bad_free_misaligned, "bf-align", 2)

static void bad_free_wrong_order_smaller(struct ktap_test *t,
					 struct test_zone *tz, void *b)
{
	expect_bad_free(t, tz, b, 1, REASON_WRONG_ORDER);
	expect_bad_free(t, tz, b, 0, REASON_WRONG_ORDER);
	kslab_free_pages(b, 2);
}

DEFINE_FIRST_BLOCK_TEST(bad_free_wrong_order_smaller, "bf-small", 2)

static void bad_free_wrong_order_larger(struct ktap_test *t,
					struct test_zone *tz, void *b)
{
	/* At its chunk's start, so aligned for any order: only size is off. */
	expect_bad_free(t, tz, b, 3, REASON_WRONG_ORDER);
	expect_bad_free(t, tz, b, KSLAB_MAX_ORDER, REASON_WRONG_ORDER);
	kslab_free_pages(b, 2);
}

DEFINE_FIRST_BLOCK_TEST(bad_free_wrong_order_larger, "bf-large", 2)

static void bad_free_double_order0(struct ktap_test *t, struct test_zone *tz,
				   void **pages)
{
	/* pages[1] stays allocated, so pages[0] stays a free order-0 block. */
	kslab_free_pages(pages[0], 0);
	expect_bad_free(t, tz, pages[0], 0, REASON_DOUBLE);
	kslab_free_pages(pages[1], 0);
	expect_bad_free(t, tz, pages[1], 0, REASON_DOUBLE);
}

DEFINE_FIRST_PAGES_TEST(bad_free_double_order0, "bf-twice", 2)

static void bad_free_double_after_merge(struct ktap_test *t,
					struct test_zone *tz, void **pages)
{
	/* Pages 0 and 1 merge into one order-1 block; 2-3 stay used. */
	kslab_free_pages(pages[0], 0);
	kslab_free_pages(pages[1], 0);
	KTAP_EXPECT_EQ(t, zone_stats(tz->zone).free_blocks[1], 1);
	/* The second half is no block's start any more. */
	expect_bad_free(t, tz, pages[1], 0, REASON_DOUBLE);
	/* The first starts a free block, of another order. */
	expect_bad_free(t, tz, pages[0], 0, REASON_DOUBLE);
	kslab_free_pages(pages[2], 0);
	kslab_free_pages(pages[3], 0);
	/* And once all merged into the chunk's single block. */
	expect_bad_free(t, tz, pages[3], 0, REASON_DOUBLE);
}

DEFINE_FIRST_PAGES_TEST(bad_free_double_after_merge, "bf-merged", 4)

static void bad_free_inside_block(struct ktap_test *t, struct test_zone *tz,
				  void *b)
{
	expect_bad_free(t, tz, byte_at(b, KSLAB_PAGE_SIZE), 0, REASON_INSIDE);
	expect_bad_free(t, tz, byte_at(b, 2 * KSLAB_PAGE_SIZE), 1,
			REASON_INSIDE);
	expect_bad_free(t, tz, byte_at(b, 3 * KSLAB_PAGE_SIZE), 0,
			REASON_INSIDE);
	kslab_free_pages(b, 2);
}

DEFINE_FIRST_BLOCK_TEST(bad_free_inside_block, "bf-interior", 2)

static void bad_free_order_above_max(struct ktap_test *t,
				     struct test_zone *tz, void *b)
{
	expect_bad_free(t, tz, b, KSLAB_MAX_ORDER + 1, REASON_ABOVE_MAX);
	expect_bad_free(t, tz, b, 64, REASON_ABOVE_MAX);
	expect_bad_free(t, tz, b, ~0u, REASON_ABOVE_MAX);
	kslab_free_pages(b, 0);
}

DEFINE_FIRST_BLOCK_TEST(bad_free_order_above_max, "bf-order", 0)

static void test_free_null_is_noop(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bf-null", 1, 1);
	struct kslab_buddy_stats before, after, dbefore, dafter;
	static struct report_capture cap;	/* too big for a kernel stack */
	void *a;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	before = zone_stats(tz->zone);
	kslab_buddy_stats(&dbefore);
	capture_start(&cap);
	kslab_free_pages(NULL, 0);
	kslab_free_pages(NULL, KSLAB_MAX_ORDER);
	kslab_free_pages(NULL, KSLAB_MAX_ORDER + 1);
	capture_stop(&cap);
	after = zone_stats(tz->zone);
	kslab_buddy_stats(&dafter);

	KTAP_EXPECT_EQ(t, cap.seen, 0);
	KTAP_EXPECT_EQ(t, cap.counted, 0);
	expect_same_free_state(t, &before, &after);
	KTAP_EXPECT_EQ(t, after.events.bad_frees, before.events.bad_frees);
	expect_same_free_state(t, &dbefore, &dafter);
	KTAP_EXPECT_EQ(t, dafter.events.bad_frees, dbefore.events.bad_frees);
	kslab_free_pages(a, 0);
	test_zone_destroy(t, tz);
}

static const struct ktap_case buddy_bad_free_cases[] = {
	{ "bad_free_stack_and_static", test_bad_free_stack_and_static },
	{ "bad_free_given_back_chunk", test_bad_free_given_back_chunk },
	{ "bad_free_misaligned", test_bad_free_misaligned },
	{ "bad_free_wrong_order_smaller", test_bad_free_wrong_order_smaller },
	{ "bad_free_wrong_order_larger", test_bad_free_wrong_order_larger },
	{ "bad_free_double_order0", test_bad_free_double_order0 },
	{ "bad_free_double_after_merge", test_bad_free_double_after_merge },
	{ "bad_free_inside_block", test_bad_free_inside_block },
	{ "bad_free_order_above_max", test_bad_free_order_above_max },
	{ "free_null_is_noop", test_free_null_is_noop },
};

const struct ktap_suite buddy_bad_free_suite =
	KTAP_SUITE("buddy_bad_free", buddy_bad_free_cases);
