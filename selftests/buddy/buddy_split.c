// SPDX-License-Identifier: GPL-2.0
/*
 * Buddy tests of splitting and merging, scripted step by step: after each
 * allocation or free, the exact free lists (block addresses, in list
 * order), the split and merge counters and the checker's verdict. Also
 * the smallest fitting order being split, max-order blocks taking a whole
 * chunk, LIFO free lists, kslab_zone_free_blocks() truncating and blocks
 * grown in place (kslab_grow_pages()).
 */
#include <kslab/buddy.h>

#include "buddy_tests.h"

/* ------------------------------------------------------------------ */
/* Expected free lists                                                 */
/* ------------------------------------------------------------------ */

/* Free blocks per order, as page numbers in their chunk, in list order. */
struct free_state {
	unsigned int nr[KSLAB_MAX_ORDER + 1];
	unsigned long page[KSLAB_MAX_ORDER + 1][FREE_STATE_DEPTH];
};

static void free_state_add(struct free_state *s, unsigned int order,
			   unsigned long page)
{
	if (s->nr[order] < FREE_STATE_DEPTH)
		s->page[order][s->nr[order]] = page;
	s->nr[order]++;
}

/*
 * What splitting the block of order @from at @page down to order @to
 * leaves free: one upper half of each order from @to to @from - 1.
 */
static void free_state_split(struct free_state *s, unsigned long page,
			     unsigned int from, unsigned int to)
{
	unsigned int order;

	for (order = to; order < from; order++)
		free_state_add(s, order, page + (1UL << order));
}

/*
 * The zone's free lists are exactly @s (pages of the chunk at @base), the
 * counters agree with them and the checker finds nothing wrong.
 */
static void expect_free_state(struct ktap_test *t, struct kslab_zone *zone,
			      unsigned long base, const struct free_state *s)
{
	struct kslab_buddy_stats stats = zone_stats(zone);
	void *expected[FREE_STATE_DEPTH];
	unsigned long free_pages = 0;
	unsigned int order, i;

	for (order = 0; order <= KSLAB_MAX_ORDER; order++) {
		for (i = 0; i < s->nr[order] && i < FREE_STATE_DEPTH; i++)
			expected[i] = page_at(base, s->page[order][i]);
		expect_free_list(t, zone, order, expected, s->nr[order]);
		KTAP_EXPECT_EQ(t, stats.free_blocks[order], s->nr[order]);
		free_pages += (unsigned long)s->nr[order] << order;
	}
	KTAP_EXPECT_EQ(t, stats.free_pages, free_pages);
	KTAP_EXPECT_EQ(t, kslab_zone_check(zone), 0);
}

static void expect_whole_chunk_free(struct ktap_test *t,
				    struct kslab_zone *zone, unsigned long base)
{
	struct free_state s = {};

	free_state_add(&s, KSLAB_MAX_ORDER, 0);
	expect_free_state(t, zone, base, &s);
}

static void expect_split_merge(struct ktap_test *t, struct kslab_zone *zone,
			       unsigned long splits, unsigned long merges)
{
	struct kslab_buddy_stats stats = zone_stats(zone);

	KTAP_EXPECT_EQ(t, stats.events.splits, splits);
	KTAP_EXPECT_EQ(t, stats.events.merges, merges);
}

/* expect_free_state(), after @splits splits and @merges merges in all. */
static void expect_free_state_after(struct ktap_test *t,
				    struct kslab_zone *zone, unsigned long base,
				    const struct free_state *s,
				    unsigned long splits, unsigned long merges)
{
	expect_free_state(t, zone, base, s);
	expect_split_merge(t, zone, splits, merges);
}

/* ------------------------------------------------------------------ */
/* Scripted splits and merges                                          */
/* ------------------------------------------------------------------ */

static void split_first_order0(struct ktap_test *t, struct test_zone *tz,
			       void *a)
{
	struct free_state s = {};

	free_state_split(&s, 0, KSLAB_MAX_ORDER, 0);
	expect_free_state_after(t, tz->zone, chunk_base(a), &s,
				KSLAB_MAX_ORDER, 0);
	KTAP_EXPECT_EQ(t, zone_stats(tz->zone).nr_chunks, 1);
	kslab_free_pages(a, 0);
}

DEFINE_FIRST_BLOCK_TEST(split_first_order0, "split0", 0)

static void free_coalesces_whole_chunk(struct ktap_test *t,
				       struct test_zone *tz, void *a)
{
	unsigned long base = chunk_base(a);

	kslab_free_pages(a, 0);
	expect_whole_chunk_free(t, tz->zone, base);
	expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER, KSLAB_MAX_ORDER);

	/* The kept chunk serves again, split and merged alike. */
	a = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	KTAP_EXPECT_PTR_EQ(t, a, page_at(base, 0));
	kslab_free_pages(a, 0);
	expect_whole_chunk_free(t, tz->zone, base);
	expect_split_merge(t, tz->zone, 2 * KSLAB_MAX_ORDER,
			   2 * KSLAB_MAX_ORDER);
	KTAP_EXPECT_EQ(t, tz->src.grants, 1);
}

DEFINE_FIRST_BLOCK_TEST(free_coalesces_whole_chunk, "merge0", 0)

static void second_order0_is_buddy(struct ktap_test *t, struct test_zone *tz,
				   void **pages)
{
	unsigned long base = chunk_base(pages[0]);
	struct free_state s = {};

	/* The buddy came off the order-0 list: no new split. */
	free_state_split(&s, 0, KSLAB_MAX_ORDER, 1);
	expect_free_state_after(t, tz->zone, base, &s, KSLAB_MAX_ORDER, 0);

	kslab_free_pages(pages[0], 0);
	free_state_add(&s, 0, 0);
	expect_free_state_after(t, tz->zone, base, &s, KSLAB_MAX_ORDER, 0);

	kslab_free_pages(pages[1], 0);
	expect_whole_chunk_free(t, tz->zone, base);
	expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER, KSLAB_MAX_ORDER);
}

DEFINE_FIRST_PAGES_TEST(second_order0_is_buddy, "buddy0", 2)

static void non_buddies_stay_apart(struct ktap_test *t, struct test_zone *tz,
				   void **pages)
{
	unsigned long base = chunk_base(pages[0]);
	struct free_state s = {};

	/* Pages 1 and 2 touch but are not buddies (1 ^ 1 == 0). */
	kslab_free_pages(pages[1], 0);
	kslab_free_pages(pages[2], 0);
	free_state_add(&s, 0, 2);
	free_state_add(&s, 0, 1);
	free_state_split(&s, 0, KSLAB_MAX_ORDER, 2);
	/* Pages 2-3 came from splitting the order-1 block at 2. */
	expect_free_state_after(t, tz->zone, base, &s, KSLAB_MAX_ORDER + 1, 0);

	/* Page 0 merges with 1; the pair's buddy (2-3) is half used. */
	kslab_free_pages(pages[0], 0);
	kslab_memset(&s, 0, sizeof(s));
	free_state_add(&s, 0, 2);
	free_state_add(&s, 1, 0);
	free_state_split(&s, 0, KSLAB_MAX_ORDER, 2);
	expect_free_state_after(t, tz->zone, base, &s, KSLAB_MAX_ORDER + 1, 1);

	/* Page 3 completes everything: one merge per order. */
	kslab_free_pages(pages[3], 0);
	expect_whole_chunk_free(t, tz->zone, base);
	expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER + 1,
			   KSLAB_MAX_ORDER + 1);
}

DEFINE_FIRST_PAGES_TEST(non_buddies_stay_apart, "apart", 4)

static void order3_after_order0(struct ktap_test *t, struct test_zone *tz,
				void *a)
{
	unsigned long base = chunk_base(a);
	struct free_state s = {};
	void *b;

	b = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 3);
	KTAP_EXPECT_PTR_EQ(t, b, page_at(base, 8));
	free_state_split(&s, 0, 3, 0);
	free_state_split(&s, 0, KSLAB_MAX_ORDER, 4);
	expect_free_state_after(t, tz->zone, base, &s, KSLAB_MAX_ORDER, 0);

	/* Its buddy (pages 0-7) is split, so it goes back unmerged. */
	kslab_free_pages(b, 3);
	kslab_memset(&s, 0, sizeof(s));
	free_state_split(&s, 0, KSLAB_MAX_ORDER, 0);
	expect_free_state_after(t, tz->zone, base, &s, KSLAB_MAX_ORDER, 0);
	kslab_free_pages(a, 0);
}

DEFINE_FIRST_BLOCK_TEST(order3_after_order0, "ord3", 0)

static void smallest_fitting_order(struct ktap_test *t, struct test_zone *tz,
				   void *a)
{
	unsigned long base = chunk_base(a);
	struct free_state s = {};
	void *blk[5] = { a };

	/* An exact fit is taken as is. */
	blk[1] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 4);
	KTAP_EXPECT_PTR_EQ(t, blk[1], page_at(base, 16));
	expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER, 0);
	/* None left: the next order up is split, not a larger one. */
	blk[2] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 4);
	KTAP_EXPECT_PTR_EQ(t, blk[2], page_at(base, 32));
	expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER + 1, 0);
	blk[3] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 2);
	KTAP_EXPECT_PTR_EQ(t, blk[3], page_at(base, 4));
	/* Order 5 was used up by blk[2]: order 6 gets split. */
	blk[4] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 5);
	KTAP_EXPECT_PTR_EQ(t, blk[4], page_at(base, 64));
	expect_split_merge(t, tz->zone, KSLAB_MAX_ORDER + 2, 0);

	free_state_add(&s, 0, 1);
	free_state_add(&s, 1, 2);
	free_state_add(&s, 3, 8);
	free_state_add(&s, 4, 48);
	free_state_add(&s, 5, 96);
	free_state_split(&s, 0, KSLAB_MAX_ORDER, 7);
	expect_free_state(t, tz->zone, base, &s);

	kslab_free_pages(blk[4], 5);
	kslab_free_pages(blk[3], 2);
	kslab_free_pages(blk[2], 4);
	kslab_free_pages(blk[1], 4);
	kslab_free_pages(blk[0], 0);
	expect_whole_chunk_free(t, tz->zone, base);
}

DEFINE_FIRST_BLOCK_TEST(smallest_fitting_order, "fit", 0)

static void test_max_order_takes_whole_chunk(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "maxord", 2, 2);
	struct free_state none = {};
	void *a, *b, *lifo[2];

	if (!tz)
		return;
	a = first_block(t, tz, KSLAB_MAX_ORDER);
	if (a) {
		expect_free_state(t, tz->zone, chunk_base(a), &none);
		b = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL,
					   KSLAB_MAX_ORDER);
		KTAP_EXPECT(t, b != NULL);
		KTAP_EXPECT_EQ(t, tz->src.nr_held, 2);
		KTAP_EXPECT_PTR_EQ(t, b, tz->src.held[1]);
		/* Both chunks are wholly used and the limit is reached. */
		KTAP_EXPECT(t, !kslab_zone_alloc_pages(tz->zone, GFP_KERNEL,
						       0));
		KTAP_EXPECT_EQ(t, zone_stats(tz->zone).events.alloc_failures, 1);
		KTAP_EXPECT_EQ(t, tz->src.grants, 2);

		kslab_free_pages(a, KSLAB_MAX_ORDER);
		kslab_free_pages(b, KSLAB_MAX_ORDER);
		lifo[0] = b;
		lifo[1] = a;
		expect_free_list(t, tz->zone, KSLAB_MAX_ORDER, lifo, 2);
		expect_split_merge(t, tz->zone, 0, 0);
		KTAP_EXPECT_EQ(t, tz->src.take_backs, 0);
	}
	test_zone_destroy(t, tz);
}

static void free_lists_are_lifo(struct ktap_test *t, struct test_zone *tz,
				void **pages)
{
	unsigned long base = chunk_base(pages[0]);
	void *expected[3];

	/* Odd pages: their buddies stay allocated, so none merges. */
	kslab_free_pages(pages[5], 0);
	kslab_free_pages(pages[1], 0);
	kslab_free_pages(pages[3], 0);
	expected[0] = pages[3];
	expected[1] = pages[1];
	expected[2] = pages[5];
	expect_free_list(t, tz->zone, 0, expected, 3);

	pages[3] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	pages[1] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	pages[5] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	KTAP_EXPECT_PTR_EQ(t, pages[3], page_at(base, 3));
	KTAP_EXPECT_PTR_EQ(t, pages[1], page_at(base, 1));
	KTAP_EXPECT_PTR_EQ(t, pages[5], page_at(base, 5));
	free_all(pages, 8, 0);
	expect_whole_chunk_free(t, tz->zone, base);
}

DEFINE_FIRST_PAGES_TEST(free_lists_are_lifo, "lifo", 8)

static void free_blocks_listing_truncates(struct ktap_test *t,
					  struct test_zone *tz, void **pages)
{
	void *got[3];
	void *sentinel = &got;

	kslab_free_pages(pages[1], 0);
	kslab_free_pages(pages[3], 0);
	kslab_free_pages(pages[5], 0);
	got[0] = got[1] = got[2] = sentinel;
	/* The count is the whole list's, however little room. */
	KTAP_EXPECT_EQ(t, kslab_zone_free_blocks(tz->zone, 0, got, 2), 3);
	KTAP_EXPECT_PTR_EQ(t, got[0], pages[5]);
	KTAP_EXPECT_PTR_EQ(t, got[1], pages[3]);
	KTAP_EXPECT_PTR_EQ(t, got[2], sentinel);
	got[0] = sentinel;
	KTAP_EXPECT_EQ(t, kslab_zone_free_blocks(tz->zone, 0, got, 0), 3);
	KTAP_EXPECT_PTR_EQ(t, got[0], sentinel);
	KTAP_EXPECT_EQ(t, kslab_zone_free_blocks(tz->zone, 1, got, 3), 0);
	kslab_free_pages(pages[0], 0);
	kslab_free_pages(pages[2], 0);
	kslab_free_pages(pages[4], 0);
	kslab_free_pages(pages[6], 0);
	kslab_free_pages(pages[7], 0);
}

DEFINE_FIRST_PAGES_TEST(free_blocks_listing_truncates, "listing", 8)

/*
 * Growing in place takes the free buddy of each order in between, keeps
 * the contents, and leaves the free lists an allocation of the larger
 * order would have left. The grown block frees as one.
 */
static void grow_takes_free_buddies(struct ktap_test *t, struct test_zone *tz,
				    void *a)
{
	unsigned long base = chunk_base(a);
	struct free_state s = {};

	*(unsigned char *)a = 0x5a;
	KTAP_EXPECT(t, kslab_grow_pages(a, 0, 3));
	free_state_split(&s, 0, KSLAB_MAX_ORDER, 3);
	expect_free_state_after(t, tz->zone, base, &s, KSLAB_MAX_ORDER, 0);
	KTAP_EXPECT_EQ(t, zone_stats(tz->zone).events.grows, 1);
	KTAP_EXPECT_EQ(t, *(unsigned char *)a, 0x5a);
	KTAP_EXPECT(t, resolves_to_block(byte_at(a, order_bytes(3) - 1), a, 3));

	KTAP_EXPECT(t, kslab_grow_pages(a, 3, KSLAB_MAX_ORDER));
	KTAP_EXPECT_EQ(t, zone_stats(tz->zone).free_pages, 0);
	KTAP_EXPECT_EQ(t, kslab_zone_check(tz->zone), 0);
	kslab_free_pages(a, KSLAB_MAX_ORDER);
	expect_whole_chunk_free(t, tz->zone, base);
}

DEFINE_FIRST_BLOCK_TEST(grow_takes_free_buddies, "grow", 0)

/*
 * A block grows only when it is the lower half at every order and each
 * buddy on the way is wholly free; otherwise, and for any bad argument,
 * nothing changes.
 */
static void grow_refused_changes_nothing(struct ktap_test *t,
					 struct test_zone *tz, void **pages)
{
	unsigned long base = chunk_base(pages[0]);
	struct free_state s = {};
	int not_a_block;

	kslab_free_pages(pages[2], 0);
	KTAP_EXPECT(t, !kslab_grow_pages(pages[0], 0, 1));	/* page 1 used */
	KTAP_EXPECT(t, !kslab_grow_pages(pages[1], 0, 1));	/* upper half */
	KTAP_EXPECT(t, !kslab_grow_pages(pages[0], 1, 2));	/* wrong order */
	KTAP_EXPECT(t, !kslab_grow_pages(pages[0], 0, 0));
	KTAP_EXPECT(t, !kslab_grow_pages(pages[0], 0, KSLAB_MAX_ORDER + 1));
	KTAP_EXPECT(t, !kslab_grow_pages(pages[2], 0, 1));	/* free */
	KTAP_EXPECT(t, !kslab_grow_pages(&not_a_block, 0, 1));
	free_state_add(&s, 0, 2);
	free_state_split(&s, 0, KSLAB_MAX_ORDER, 2);
	expect_free_state_after(t, tz->zone, base, &s, KSLAB_MAX_ORDER + 1, 0);

	/* With page 1 free, page 0 grows to order 1, not on: page 3 is used. */
	kslab_free_pages(pages[1], 0);
	KTAP_EXPECT(t, kslab_grow_pages(pages[0], 0, 1));
	KTAP_EXPECT(t, !kslab_grow_pages(pages[0], 1, 2));
	expect_free_state_after(t, tz->zone, base, &s, KSLAB_MAX_ORDER + 1, 0);
	KTAP_EXPECT_EQ(t, zone_stats(tz->zone).events.grows, 1);

	kslab_free_pages(pages[0], 1);
	kslab_free_pages(pages[3], 0);
	expect_whole_chunk_free(t, tz->zone, base);
}

DEFINE_FIRST_PAGES_TEST(grow_refused_changes_nothing, "nogrow", 4)

static const struct ktap_case buddy_split_cases[] = {
	{ "split_first_order0", test_split_first_order0 },
	{ "free_coalesces_whole_chunk", test_free_coalesces_whole_chunk },
	{ "second_order0_is_buddy", test_second_order0_is_buddy },
	{ "non_buddies_stay_apart", test_non_buddies_stay_apart },
	{ "order3_after_order0", test_order3_after_order0 },
	{ "smallest_fitting_order", test_smallest_fitting_order },
	{ "max_order_takes_whole_chunk", test_max_order_takes_whole_chunk },
	{ "free_lists_are_lifo", test_free_lists_are_lifo },
	{ "free_blocks_listing_truncates", test_free_blocks_listing_truncates },
	{ "grow_takes_free_buddies", test_grow_takes_free_buddies },
	{ "grow_refused_changes_nothing", test_grow_refused_changes_nothing },
};

const struct ktap_suite buddy_split_suite =
	KTAP_SUITE("buddy_split", buddy_split_cases);
