// SPDX-License-Identifier: GPL-2.0
/*
 * Populating: the second one-page block out of a group of
 * 2^KSLAB_POPULATE_ORDER pages, or a block up to that order said to be
 * written (__GFP_WRITE), has the page source populate the whole group,
 * once, until a discard takes the group's memory back; the first one-page
 * block, and a larger block up to that order not said to be written, has
 * its own first page populated alone; larger blocks never populate. Told
 * by the recording page source's log.
 */
#include <kslab/buddy.h>

#include "../../mm/page.h"
#include "buddy_tests.h"

#define GROUP_PAGES	(1UL << KSLAB_POPULATE_ORDER)
#define GROUP_BYTES	(KSLAB_PAGE_SIZE << KSLAB_POPULATE_ORDER)
#define GROUPS_FILLED	3

/* Was populate call @i exactly group @group of the chunk at @base? */
static bool populated_group(const struct test_source *src, unsigned long i,
			    unsigned long base, unsigned long group)
{
	return src->populated[i].p == page_at(base, group * GROUP_PAGES) &&
	       src->populated[i].size == GROUP_BYTES;
}

/* Was populate call @i exactly page @page of the chunk at @base, alone? */
static bool populated_page(const struct test_source *src, unsigned long i,
			   unsigned long base, unsigned long page)
{
	return src->populated[i].p == page_at(base, page) &&
	       src->populated[i].size == KSLAB_PAGE_SIZE;
}

/*
 * Order-0 blocks of a fresh chunk come from its start upward: two
 * populates a group, the first block's page alone and then, at the
 * second block, the whole group; none for the rest.
 */
static void test_populate_two_calls_a_group(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "populate", 1, 1);
	void *pages[GROUPS_FILLED * GROUP_PAGES];
	unsigned long i, group, base;

	if (!tz)
		return;
	for (i = 0; i < KSLAB_ARRAY_SIZE(pages); i++) {
		pages[i] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
		if (!KTAP_EXPECT(t, pages[i] != NULL))
			break;
		KTAP_EXPECT_EQ(t, tz->src.populates,
			       2 * (i / GROUP_PAGES) +
			       (i % GROUP_PAGES ? 2 : 1));
	}
	if (i == KSLAB_ARRAY_SIZE(pages)) {
		base = chunk_base(pages[0]);
		for (group = 0; group < GROUPS_FILLED; group++) {
			KTAP_EXPECT(t, populated_page(&tz->src, 2 * group, base,
						      group * GROUP_PAGES));
			KTAP_EXPECT(t, populated_group(&tz->src, 2 * group + 1,
						       base, group));
		}
	}
	free_all(pages, i, 0);
	test_zone_destroy(t, tz);
}

/*
 * A program that takes one small block makes its page resident, not the
 * seven after it: freed and taken again, it makes no second call, and
 * only another block of the group populates the group.
 */
static void test_populate_lone_block_alone(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "populate-lone", 1, 1);
	void *page, *again, *next;

	if (!tz)
		return;
	page = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	if (!KTAP_EXPECT(t, page != NULL))
		goto out;
	if (KTAP_EXPECT_EQ(t, tz->src.populates, 1))
		KTAP_EXPECT(t, populated_page(&tz->src, 0, chunk_base(page),
					      0));
	kslab_free_pages(page, 0);
	again = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	KTAP_EXPECT_PTR_EQ(t, again, page);
	KTAP_EXPECT_EQ(t, tz->src.populates, 1);
	next = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	if (KTAP_EXPECT(t, next != NULL) &&
	    KTAP_EXPECT_EQ(t, tz->src.populates, 2))
		KTAP_EXPECT(t, populated_group(&tz->src, 1, chunk_base(page),
					       0));
	if (next)
		kslab_free_pages(next, 0);
	if (again)
		kslab_free_pages(again, 0);
out:
	test_zone_destroy(t, tz);
}

/*
 * A block above KSLAB_POPULATE_ORDER populates nothing (a large kmalloc
 * may be written in part), even said to be written; one of the order
 * itself populates its group only if its caller says it will be written
 * (__GFP_WRITE), since a cache's first multi-page slab is touched a page
 * at a time: without the flag, its first page alone, once while its
 * memory stays (freed and taken again, it makes no call), and its group
 * is populated whole by the next block said to be written.
 */
static void test_populate_small_blocks_only(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "populate-large", 1, 1);
	void *large, *quiet, *again, *group;

	if (!tz)
		return;
	large = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL | __GFP_WRITE,
				       KSLAB_POPULATE_ORDER + 1);
	KTAP_EXPECT(t, large != NULL);
	KTAP_EXPECT_EQ(t, tz->src.populates, 0);
	quiet = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL,
				       KSLAB_POPULATE_ORDER);
	if (KTAP_EXPECT(t, quiet != NULL) &&
	    KTAP_EXPECT_EQ(t, tz->src.populates, 1)) {
		KTAP_EXPECT_PTR_EQ(t, tz->src.populated[0].p, quiet);
		KTAP_EXPECT_EQ(t, tz->src.populated[0].size, KSLAB_PAGE_SIZE);
	}
	kslab_free_pages(quiet, KSLAB_POPULATE_ORDER);
	again = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL,
				       KSLAB_POPULATE_ORDER);
	KTAP_EXPECT_PTR_EQ(t, again, quiet);
	KTAP_EXPECT_EQ(t, tz->src.populates, 1);
	quiet = again;
	group = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL | __GFP_WRITE,
				       KSLAB_POPULATE_ORDER);
	if (KTAP_EXPECT(t, group != NULL) &&
	    KTAP_EXPECT_EQ(t, tz->src.populates, 2)) {
		KTAP_EXPECT_PTR_EQ(t, tz->src.populated[1].p, group);
		KTAP_EXPECT_EQ(t, tz->src.populated[1].size, GROUP_BYTES);
	}
	kslab_free_pages(group, KSLAB_POPULATE_ORDER);
	kslab_free_pages(quiet, KSLAB_POPULATE_ORDER);
	kslab_free_pages(large, KSLAB_POPULATE_ORDER + 1);
	test_zone_destroy(t, tz);
}

/*
 * A group populated once is not populated again while its memory stays:
 * freed and allocated again, its blocks make no call. Once a discard has
 * taken the memory back, the next blocks out of it populate it again, as
 * they did a fresh one.
 */
static void test_populate_again_after_discard(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "populate-discard", 1, 1);
	void *pages[2 * GROUP_PAGES];
	unsigned long n, base;

	if (!tz)
		return;
	n = alloc_first_pages(t, tz, pages, KSLAB_ARRAY_SIZE(pages)) ?
	    KSLAB_ARRAY_SIZE(pages) : 0;
	KTAP_EXPECT_EQ(t, tz->src.populates, 4);
	if (!n)
		goto out;
	base = chunk_base(pages[0]);
	free_all(pages, n, 0);
	pages[0] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	pages[1] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	KTAP_EXPECT_PTR_EQ(t, pages[0], page_at(base, 0));
	KTAP_EXPECT_PTR_EQ(t, pages[1], page_at(base, 1));
	KTAP_EXPECT_EQ(t, tz->src.populates, 4);
	free_all(pages, 2, 0);

	KTAP_EXPECT(t, kslab_zone_discard_free(tz->zone) >= 1);
	KTAP_EXPECT(t, tz->src.discards >= 1);
	pages[0] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	pages[1] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	KTAP_EXPECT_PTR_EQ(t, pages[0], page_at(base, 0));
	KTAP_EXPECT_PTR_EQ(t, pages[1], page_at(base, 1));
	if (KTAP_EXPECT_EQ(t, tz->src.populates, 6)) {
		KTAP_EXPECT(t, populated_page(&tz->src, 4, base, 0));
		KTAP_EXPECT(t, populated_group(&tz->src, 5, base, 0));
	}
	free_all(pages, 2, 0);
out:
	test_zone_destroy(t, tz);
}

static const struct ktap_case buddy_populate_cases[] = {
	{ "populate_two_calls_a_group", test_populate_two_calls_a_group },
	{ "populate_lone_block_alone", test_populate_lone_block_alone },
	{ "populate_small_blocks_only", test_populate_small_blocks_only },
	{ "populate_again_after_discard", test_populate_again_after_discard },
};

const struct ktap_suite buddy_populate_suite =
	KTAP_SUITE("buddy_populate", buddy_populate_cases);
