// SPDX-License-Identifier: GPL-2.0
/*
 * Populating: the first one-page block out of a group of
 * 2^KSLAB_POPULATE_ORDER pages, or block up to that order said to be
 * written (__GFP_WRITE), has the page source populate the whole group,
 * once, until a discard takes the group's memory back; a block up to
 * that order not said to be written has its first page populated; larger
 * blocks never populate. Told by the recording page source's log.
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

/*
 * Order-0 blocks of a fresh chunk come from its start upward: one
 * populate a group, made by the group's first block, none by the rest.
 */
static void test_populate_one_call_a_group(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "populate", 1, 1);
	void *pages[GROUPS_FILLED * GROUP_PAGES];
	unsigned long i, group;

	if (!tz)
		return;
	for (i = 0; i < KSLAB_ARRAY_SIZE(pages); i++) {
		pages[i] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
		if (!KTAP_EXPECT(t, pages[i] != NULL))
			break;
		KTAP_EXPECT_EQ(t, tz->src.populates, i / GROUP_PAGES + 1);
	}
	if (i == KSLAB_ARRAY_SIZE(pages))
		for (group = 0; group < GROUPS_FILLED; group++)
			KTAP_EXPECT(t, populated_group(&tz->src, group,
						       chunk_base(pages[0]),
						       group));
	free_all(pages, i, 0);
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
 * taken the memory back, the next block out of it populates it again.
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
	KTAP_EXPECT_EQ(t, tz->src.populates, 2);
	if (!n)
		goto out;
	base = chunk_base(pages[0]);
	free_all(pages, n, 0);
	pages[0] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	KTAP_EXPECT_PTR_EQ(t, pages[0], page_at(base, 0));
	KTAP_EXPECT_EQ(t, tz->src.populates, 2);
	kslab_free_pages(pages[0], 0);

	KTAP_EXPECT(t, kslab_zone_discard_free(tz->zone) >= 1);
	KTAP_EXPECT(t, tz->src.discards >= 1);
	pages[0] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	KTAP_EXPECT_PTR_EQ(t, pages[0], page_at(base, 0));
	if (KTAP_EXPECT_EQ(t, tz->src.populates, 3))
		KTAP_EXPECT(t, populated_group(&tz->src, 2, base, 0));
	kslab_free_pages(pages[0], 0);
out:
	test_zone_destroy(t, tz);
}

static const struct ktap_case buddy_populate_cases[] = {
	{ "populate_one_call_a_group", test_populate_one_call_a_group },
	{ "populate_small_blocks_only", test_populate_small_blocks_only },
	{ "populate_again_after_discard", test_populate_again_after_discard },
};

const struct ktap_suite buddy_populate_suite =
	KTAP_SUITE("buddy_populate", buddy_populate_cases);
