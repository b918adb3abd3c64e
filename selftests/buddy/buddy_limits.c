// SPDX-License-Identifier: GPL-2.0
/*
 * Buddy tests of a zone's limits and contents: max_chunks stopping growth,
 * keep_free_chunks giving chunks back (and its hysteresis), page sources
 * that refuse or run dry, orders above the maximum, __GFP_ZERO, and page
 * descriptors of allocated, free and foreign memory.
 */
#include <kslab/buddy.h>

#include "../../mm/page.h"
#include "buddy_tests.h"

/* ------------------------------------------------------------------ */
/* Limits, give-back and page sources                                  */
/* ------------------------------------------------------------------ */

/* Order-0 pages allocated up to a cap, with a bitmap to prove them distinct. */
struct page_set {
	void **pages;
	unsigned long nr;
	unsigned long cap;
	unsigned char *seen;	/* a bit per (granted chunk, page) */
};

static bool page_set_init(struct ktap_test *t, struct page_set *set,
			  unsigned long cap)
{
	set->nr = 0;
	set->cap = cap;
	set->pages = kslab_env_meta_alloc(cap * sizeof(void *), GFP_KERNEL);
	set->seen = kslab_env_meta_alloc(TEST_SOURCE_MAX_CHUNKS *
					 KSLAB_CHUNK_PAGES / 8, GFP_KERNEL);
	return KTAP_EXPECT(t, set->pages && set->seen);
}

static void page_set_exit(struct page_set *set)
{
	if (set->pages)
		kslab_env_meta_free(set->pages, set->cap * sizeof(void *));
	if (set->seen)
		kslab_env_meta_free(set->seen, TEST_SOURCE_MAX_CHUNKS *
				    KSLAB_CHUNK_PAGES / 8);
}

/* Mark @page seen. Return: false if it is foreign or was seen before. */
static bool page_set_mark(struct page_set *set, struct test_source *src,
			  void *page)
{
	unsigned long base = chunk_base(page), bit, i;

	for (i = 0; i < src->nr_held; i++)
		if ((unsigned long)src->held[i] == base)
			break;
	if (i == src->nr_held)
		return false;
	bit = i * KSLAB_CHUNK_PAGES +
	      (((unsigned long)page - base) >> KSLAB_PAGE_SHIFT);
	if (set->seen[bit / 8] & (1u << (bit % 8)))
		return false;
	set->seen[bit / 8] |= 1u << (bit % 8);
	return true;
}

/* Allocate order-0 pages until the zone refuses or the set is full. */
static bool page_set_fill(struct ktap_test *t, struct page_set *set,
			  struct test_zone *tz)
{
	while (set->nr < set->cap) {
		void *page = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);

		if (!page)
			break;
		set->pages[set->nr++] = page;
		if (!ktap_check(t, aligned_to_order(page, 0) &&
				page_set_mark(set, &tz->src, page), __FILE__,
				__LINE__, "page %p is new and page-aligned",
				page))
			return false;
	}
	return true;
}

static void page_set_free(struct page_set *set)
{
	free_all(set->pages, set->nr, 0);
	set->nr = 0;
}

/* After filling and freeing, only whole free chunks remain. */
static void expect_only_free_chunks(struct ktap_test *t,
				    struct kslab_zone *zone,
				    unsigned long nr_chunks)
{
	struct kslab_buddy_stats stats = zone_stats(zone);
	unsigned int order;

	for (order = 0; order < KSLAB_MAX_ORDER; order++)
		KTAP_EXPECT_EQ(t, stats.free_blocks[order], 0);
	KTAP_EXPECT_EQ(t, stats.free_blocks[KSLAB_MAX_ORDER], nr_chunks);
	KTAP_EXPECT_EQ(t, stats.nr_chunks, nr_chunks);
	KTAP_EXPECT_EQ(t, stats.free_pages, nr_chunks * KSLAB_CHUNK_PAGES);
	KTAP_EXPECT_EQ(t, stats.managed_pages, nr_chunks * KSLAB_CHUNK_PAGES);
	KTAP_EXPECT_EQ(t, kslab_zone_check(zone), 0);
}

/*
 * Fill @tz, a fresh zone (NULL if creating it failed), with order-0 pages
 * up to @cap or until it refuses, and hand them to @body; then free what
 * is left of them and destroy the zone.
 */
static void with_filled_zone(struct ktap_test *t, struct test_zone *tz,
			     unsigned long cap,
			     void (*body)(struct ktap_test *t,
					  struct test_zone *tz,
					  struct page_set *set))
{
	struct page_set set;

	if (!tz)
		return;
	if (page_set_init(t, &set, cap) && page_set_fill(t, &set, tz))
		body(t, tz, &set);
	page_set_free(&set);
	page_set_exit(&set);
	test_zone_destroy(t, tz);
}

static void exhaust_max_chunks(struct ktap_test *t, struct test_zone *tz,
			       struct page_set *set)
{
	struct kslab_buddy_stats stats = zone_stats(tz->zone);
	void *order_chunks[3];

	KTAP_EXPECT_EQ(t, set->nr, 3 * KSLAB_CHUNK_PAGES);
	KTAP_EXPECT_EQ(t, stats.nr_chunks, 3);
	KTAP_EXPECT_EQ(t, stats.free_pages, 0);
	KTAP_EXPECT_EQ(t, stats.events.alloc_failures, 1);
	/* The zone's own limit stopped it, not the source. */
	KTAP_EXPECT_EQ(t, tz->src.grants, 3);
	KTAP_EXPECT_EQ(t, tz->src.refusals, 0);

	/* Chunks fill in grant order, so they empty in it too. */
	order_chunks[0] = tz->src.held[2];
	order_chunks[1] = tz->src.held[1];
	order_chunks[2] = tz->src.held[0];
	page_set_free(set);
	expect_only_free_chunks(t, tz->zone, 3);
	expect_free_list(t, tz->zone, KSLAB_MAX_ORDER, order_chunks, 3);
	KTAP_EXPECT_EQ(t, tz->src.take_backs, 0);
}

static void test_exhaust_max_chunks(struct ktap_test *t)
{
	with_filled_zone(t, test_zone_create(t, "exhaust", 3, 3),
			 3 * KSLAB_CHUNK_PAGES + 1, exhaust_max_chunks);
}

static void set_keep_free_gives_back(struct ktap_test *t,
				     struct test_zone *tz,
				     struct page_set *set)
{
	struct kslab_buddy_stats stats;

	page_set_free(set);
	expect_only_free_chunks(t, tz->zone, 3);

	KTAP_EXPECT_EQ(t, kslab_zone_set_keep_free(tz->zone, 2), 1);
	KTAP_EXPECT_EQ(t, tz->src.take_backs, 1);
	expect_only_free_chunks(t, tz->zone, 2);
	KTAP_EXPECT_EQ(t, kslab_zone_set_keep_free(tz->zone, 0), 2);
	KTAP_EXPECT_EQ(t, tz->src.take_backs, 3);
	expect_only_free_chunks(t, tz->zone, 0);
	stats = zone_stats(tz->zone);
	KTAP_EXPECT_EQ(t, stats.events.chunks_granted, 3);
	KTAP_EXPECT_EQ(t, stats.events.chunks_released, 3);
	KTAP_EXPECT_EQ(t, kslab_zone_set_keep_free(tz->zone, 5), 0);
	expect_source_drained(t, &tz->src);
}

static void test_set_keep_free_gives_back(struct ktap_test *t)
{
	with_filled_zone(t, test_zone_create(t, "giveback", 3, 3),
			 3 * KSLAB_CHUNK_PAGES, set_keep_free_gives_back);
}

static void keep_free_hysteresis(struct ktap_test *t, struct test_zone *tz,
				 struct page_set *set)
{
	void *kept, *again;

	KTAP_EXPECT_EQ(t, tz->src.grants, 4);
	page_set_free(set);
	expect_only_free_chunks(t, tz->zone, 1);
	KTAP_EXPECT_EQ(t, tz->src.take_backs, 3);
	KTAP_EXPECT_EQ(t, zone_stats(tz->zone).events.chunks_released, 3);

	/* The kept chunk serves the next request without a grant. */
	kept = tz->src.held[0];
	again = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, KSLAB_MAX_ORDER);
	KTAP_EXPECT_PTR_EQ(t, again, kept);
	KTAP_EXPECT_EQ(t, tz->src.grants, 4);
	kslab_free_pages(again, KSLAB_MAX_ORDER);
	KTAP_EXPECT_EQ(t, tz->src.take_backs, 3);
	expect_only_free_chunks(t, tz->zone, 1);
}

static void test_keep_free_hysteresis(struct ktap_test *t)
{
	with_filled_zone(t, test_zone_create(t, "keep1", 0, 1),
			 4 * KSLAB_CHUNK_PAGES, keep_free_hysteresis);
}

static void expect_no_chunks(struct ktap_test *t, struct test_zone *tz)
{
	struct kslab_buddy_stats stats = zone_stats(tz->zone);

	KTAP_EXPECT_EQ(t, stats.nr_chunks, 0);
	KTAP_EXPECT_EQ(t, stats.managed_pages, 0);
	KTAP_EXPECT_EQ(t, stats.free_pages, 0);
	KTAP_EXPECT_EQ(t, tz->src.nr_held, 0);
	KTAP_EXPECT_EQ(t, kslab_zone_check(tz->zone), 0);
}

static void test_failing_source(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "nosrc", 0, 1);
	void *a;

	if (!tz)
		return;
	test_source_set_budget(&tz->src, 0);
	KTAP_EXPECT(t, !kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0));
	KTAP_EXPECT(t, !kslab_zone_alloc_pages(tz->zone, GFP_ATOMIC,
					       KSLAB_MAX_ORDER));
	KTAP_EXPECT_EQ(t, zone_stats(tz->zone).events.alloc_failures, 2);
	KTAP_EXPECT_EQ(t, tz->src.refusals, 2);
	KTAP_EXPECT_EQ(t, tz->src.grants, 0);
	expect_no_chunks(t, tz);

	/* Once the source recovers, so does the zone. */
	test_source_set_budget(&tz->src, TEST_SOURCE_UNLIMITED);
	a = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	KTAP_EXPECT(t, a != NULL);
	kslab_free_pages(a, 0);
	test_zone_destroy(t, tz);
}

static void test_source_runs_dry(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "dry", 0, 1);
	void *a, *b;

	if (!tz)
		return;
	test_source_set_budget(&tz->src, 1);
	a = first_block(t, tz, KSLAB_MAX_ORDER);
	if (a) {
		KTAP_EXPECT(t, !kslab_zone_alloc_pages(tz->zone, GFP_KERNEL,
						       0));
		KTAP_EXPECT_EQ(t, tz->src.refusals, 1);
		KTAP_EXPECT_EQ(t, zone_stats(tz->zone).events.alloc_failures, 1);
		KTAP_EXPECT_EQ(t, zone_stats(tz->zone).nr_chunks, 1);
		KTAP_EXPECT_EQ(t, kslab_zone_check(tz->zone), 0);

		/* Memory already held still serves after the source dried. */
		kslab_free_pages(a, KSLAB_MAX_ORDER);
		b = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
		KTAP_EXPECT_PTR_EQ(t, b, a);
		KTAP_EXPECT_EQ(t, tz->src.grants, 1);
		kslab_free_pages(b, 0);
	}
	test_zone_destroy(t, tz);
}

static void test_alloc_order_above_max(struct ktap_test *t)
{
	static const unsigned int orders[] = {
		KSLAB_MAX_ORDER + 1, 31, 32, 63, 64, ~0u,
	};
	/* One chunk at most: a missing order check fails, not hangs. */
	struct test_zone *tz = test_zone_create(t, "toobig", 1, 1);
	struct kslab_buddy_stats before, after;
	unsigned int i;

	if (!tz)
		return;
	for (i = 0; i < KSLAB_ARRAY_SIZE(orders); i++)
		ktap_check(t, !kslab_zone_alloc_pages(tz->zone, GFP_KERNEL,
						      orders[i]),
			   __FILE__, __LINE__, "order %u refused", orders[i]);
	KTAP_EXPECT_EQ(t, zone_stats(tz->zone).events.alloc_failures,
		       KSLAB_ARRAY_SIZE(orders));
	/* Refused up front: the zone did not grow trying. */
	if (!KTAP_EXPECT_EQ(t, tz->src.grants + tz->src.refusals, 0)) {
		/* The default zone has no limit: it would grow forever. */
		test_zone_destroy(t, tz);
		return;
	}
	expect_no_chunks(t, tz);

	kslab_buddy_stats(&before);
	KTAP_EXPECT(t, !kslab_alloc_pages(GFP_KERNEL, KSLAB_MAX_ORDER + 1));
	kslab_buddy_stats(&after);
	KTAP_EXPECT_EQ(t, after.managed_pages, before.managed_pages);
	KTAP_EXPECT_EQ(t, after.events.alloc_failures, before.events.alloc_failures + 1);
	test_zone_destroy(t, tz);
}

/* ------------------------------------------------------------------ */
/* Contents and page descriptors                                       */
/* ------------------------------------------------------------------ */

static void test_gfp_zero(struct ktap_test *t)
{
	static const unsigned int orders[] = { 0, 3, KSLAB_MAX_ORDER };
	struct test_zone *tz = test_zone_create(t, "zero", 1, 1);
	unsigned int i;

	if (!tz)
		return;
	for (i = 0; i < KSLAB_ARRAY_SIZE(orders); i++) {
		unsigned int order = orders[i];
		void *dirty, *clean;

		dirty = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, order);
		if (!KTAP_EXPECT(t, dirty != NULL))
			break;
		kslab_memset(dirty, 0xa5, order_bytes(order));
		kslab_free_pages(dirty, order);
		clean = kslab_zone_alloc_pages(tz->zone,
					       GFP_KERNEL | __GFP_ZERO, order);
		/* The same block, or the test proves nothing. */
		KTAP_EXPECT_PTR_EQ(t, clean, dirty);
		if (clean) {
			ktap_check(t, block_is_zero(clean, order), __FILE__,
				   __LINE__, "order %u block zeroed", order);
			kslab_free_pages(clean, order);
		}
	}
	test_zone_destroy(t, tz);
}

/* First, middle and last byte of @block all lead to its head. */
static void expect_block_descriptors(struct ktap_test *t, void *block,
				     unsigned int order)
{
	unsigned long offsets[] = {
		0, order_bytes(order) / 2 + 123, order_bytes(order) - 1,
	};
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(offsets); i++) {
		void *addr = byte_at(block, offsets[i]);
		struct kslab_page *page = kslab_virt_to_page(addr);
		unsigned int state = offsets[i] < KSLAB_PAGE_SIZE ?
				     KSLAB_PAGE_HEAD : KSLAB_PAGE_TAIL;

		if (!ktap_check(t, page != NULL, __FILE__, __LINE__,
				"%p has a descriptor", addr))
			continue;
		KTAP_EXPECT_EQ(t, page->state, state);
		ktap_check(t, resolves_to_block(addr, block, order), __FILE__,
			   __LINE__, "%p resolves to block %p order %u", addr,
			   block, order);
	}
}

static void test_page_desc_allocated(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "desc", 2, 2);
	void *blocks[KSLAB_MAX_ORDER + 1];
	unsigned int order;

	if (!tz)
		return;
	/* All live at once, so neighbours of every size surround each. */
	for (order = 0; order <= KSLAB_MAX_ORDER; order++) {
		blocks[order] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL,
						       order);
		KTAP_EXPECT(t, blocks[order] &&
			       aligned_to_order(blocks[order], order));
	}
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		if (blocks[order])
			expect_block_descriptors(t, blocks[order], order);
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		kslab_free_pages(blocks[order], order);
	test_zone_destroy(t, tz);
}

static void expect_free_head(struct ktap_test *t, void *addr,
			     unsigned int order)
{
	struct kslab_page *page = kslab_virt_to_page(addr);

	if (!ktap_check(t, page != NULL, __FILE__, __LINE__,
			"free block %p has a descriptor", addr))
		return;
	KTAP_EXPECT_EQ(t, page->state, KSLAB_PAGE_FREE);
	KTAP_EXPECT_EQ(t, page->order, order);
	KTAP_EXPECT_PTR_EQ(t, kslab_page_address(page), addr);
}

static void page_desc_free_blocks(struct ktap_test *t, struct test_zone *tz,
				  void *a)
{
	unsigned long base = chunk_base(a);
	unsigned int order;

	(void)tz;	/* the descriptors are found from the addresses */
	for (order = 0; order < KSLAB_MAX_ORDER; order++)
		expect_free_head(t, page_at(base, 1UL << order), order);
	kslab_free_pages(a, 0);
	expect_free_head(t, a, KSLAB_MAX_ORDER);
}

DEFINE_FIRST_BLOCK_TEST(page_desc_free_blocks, "descfree", 0)

static int foreign_static_var;

static void test_page_desc_foreign(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "descforeign", 1, 0);
	int foreign_stack_var = 0;
	void *a;

	KTAP_EXPECT(t, !kslab_virt_to_page(&foreign_stack_var));
	KTAP_EXPECT(t, !kslab_virt_to_page(&foreign_static_var));
	KTAP_EXPECT(t, !kslab_virt_to_page(NULL));
	if (!tz)
		return;
	/* A chunk given back stops being kslab's at once. */
	a = first_block(t, tz, 0);
	if (a) {
		KTAP_EXPECT(t, kslab_virt_to_page(a) != NULL);
		kslab_free_pages(a, 0);
		KTAP_EXPECT_EQ(t, tz->src.take_backs, 1);
		KTAP_EXPECT(t, !kslab_virt_to_page(a));
		KTAP_EXPECT(t, !kslab_virt_to_page(byte_at(a,
						   KSLAB_CHUNK_SIZE / 2)));
	}
	test_zone_destroy(t, tz);
}

static const struct ktap_case buddy_limits_cases[] = {
	{ "exhaust_max_chunks", test_exhaust_max_chunks },
	{ "set_keep_free_gives_back", test_set_keep_free_gives_back },
	{ "keep_free_hysteresis", test_keep_free_hysteresis },
	{ "failing_source", test_failing_source },
	{ "source_runs_dry", test_source_runs_dry },
	{ "alloc_order_above_max", test_alloc_order_above_max },
	{ "gfp_zero", test_gfp_zero },
	{ "page_desc_allocated", test_page_desc_allocated },
	{ "page_desc_free_blocks", test_page_desc_free_blocks },
	{ "page_desc_foreign", test_page_desc_foreign },
};

const struct ktap_suite buddy_limits_suite =
	KTAP_SUITE("buddy_limits", buddy_limits_cases);
