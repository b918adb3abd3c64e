// SPDX-License-Identifier: GPL-2.0
/*
 * Buddy tests of the consistency checker catching corruption planted on
 * purpose (a free block's order, a tail page, a free block on no list, a
 * list missing a block, a counter), of the buddyinfo text and zone names,
 * of leak reports when a zone is destroyed, of the default zone, and of
 * the fragmentation indices against hand-computed cases.
 */
#include <kslab/buddy.h>

#include "../../mm/page.h"
#include "../../mm/zone.h"
#include "buddy_tests.h"

/* ------------------------------------------------------------------ */
/* The consistency checker                                             */
/* ------------------------------------------------------------------ */

/* The zone is broken on purpose: the checker must say so, in reports. */
static void expect_check_fails(struct ktap_test *t, struct kslab_zone *zone)
{
	struct report_capture cap;
	unsigned long found;

	capture_start(&cap);
	found = kslab_zone_check(zone);
	capture_stop(&cap);
	KTAP_EXPECT(t, found > 0);
	/* Past a cap the checker summarises: not one report per problem. */
	KTAP_EXPECT(t, cap.seen >= 1);
	KTAP_EXPECT_EQ(t, cap.seen, cap.counted);
	if (cap.seen) {
		KTAP_EXPECT_EQ(t, cap.level[0], KSLAB_LOG_ERR);
		EXPECT_CONTAINS(t, cap.msg[0], "kslab: ");
		EXPECT_HAS_WORD(t, cap.msg[0], zone->name);
	}
}

/*
 * Set *@field to @bad, check that the checker notices, then restore it and
 * check that the checker is satisfied again.
 */
static void expect_check_catches_byte(struct ktap_test *t,
				      struct kslab_zone *zone,
				      unsigned char *field, unsigned char bad)
{
	unsigned char good = *field;

	*field = bad;
	expect_check_fails(t, zone);
	*field = good;
	KTAP_EXPECT_EQ(t, kslab_zone_check(zone), 0);
}

static void check_catches_free_order(struct ktap_test *t,
				     struct test_zone *tz, void *a)
{
	/* The free order-3 block at page 8 claims to be order 2. */
	struct kslab_page *page = kslab_virt_to_page(page_at(chunk_base(a), 8));

	KTAP_EXPECT_EQ(t, page->order, 3);
	expect_check_catches_byte(t, tz->zone, &page->order, 2);
	kslab_free_pages(a, 0);
}

DEFINE_FIRST_BLOCK_TEST(check_catches_free_order, "ck-order", 0)

static void check_catches_tail(struct ktap_test *t, struct test_zone *tz,
			       void *a)
{
	struct kslab_page *page;
	void *b;

	b = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 2);
	if (KTAP_EXPECT(t, b != NULL)) {
		page = kslab_virt_to_page(byte_at(b, KSLAB_PAGE_SIZE));
		KTAP_EXPECT_EQ(t, page->state, KSLAB_PAGE_TAIL);
		expect_check_catches_byte(t, tz->zone, &page->state,
					  KSLAB_PAGE_UNUSED);
		kslab_free_pages(b, 2);
	}
	kslab_free_pages(a, 0);
}

DEFINE_FIRST_BLOCK_TEST(check_catches_tail, "ck-tail", 0)

static void check_catches_unlisted_free(struct ktap_test *t,
					struct test_zone *tz, void *a)
{
	/* An allocated block marked free, but on no free list. */
	struct kslab_page *page = kslab_virt_to_page(a);

	KTAP_EXPECT_EQ(t, page->state, KSLAB_PAGE_HEAD);
	expect_check_catches_byte(t, tz->zone, &page->state, KSLAB_PAGE_FREE);
	kslab_free_pages(a, 0);
}

DEFINE_FIRST_BLOCK_TEST(check_catches_unlisted_free, "ck-unlisted", 0)

static void check_catches_unlisted_block(struct ktap_test *t,
					 struct test_zone *tz, void *a)
{
	/*
	 * The free order-3 block at page 8 drops off its list while its
	 * descriptor and the count still say free: only a walk of the list
	 * itself can tell.
	 */
	struct kslab_page *page = kslab_virt_to_page(page_at(chunk_base(a), 8));
	struct kslab_list_head *list = &tz->zone->free_area[3].blocks;

	KTAP_EXPECT(t, list->next == &page->buddy_node &&
		       list->prev == &page->buddy_node);
	kslab_list_del(&page->buddy_node);
	expect_check_fails(t, tz->zone);
	kslab_list_add(&page->buddy_node, list);
	KTAP_EXPECT_EQ(t, kslab_zone_check(tz->zone), 0);
	kslab_free_pages(a, 0);
}

DEFINE_FIRST_BLOCK_TEST(check_catches_unlisted_block, "ck-list", 0)

static void check_catches_counter(struct ktap_test *t, struct test_zone *tz,
				  void *a)
{
	/* Single-threaded: nothing else touches the zone meanwhile. */
	tz->zone->free_pages++;
	expect_check_fails(t, tz->zone);
	tz->zone->free_pages--;
	KTAP_EXPECT_EQ(t, kslab_zone_check(tz->zone), 0);
	kslab_free_pages(a, 0);
}

DEFINE_FIRST_BLOCK_TEST(check_catches_counter, "ck-count", 0)

/* ------------------------------------------------------------------ */
/* buddyinfo                                                           */
/* ------------------------------------------------------------------ */

/* Is @line (newline included) one whole line of @text? */
static bool text_has_line(const char *text, const char *line)
{
	const char *at = text;

	while ((at = str_find(at, line))) {
		if (at == text || at[-1] == '\n')
			return true;
		at++;
	}
	return false;
}

/* The whole buddyinfo text, in memory the caller frees with its size. */
static char *buddyinfo_text(struct ktap_test *t, size_t *size)
{
	size_t len = kslab_buddyinfo_format(NULL, 0);
	char *text;

	*size = len + 1;
	text = kslab_env_meta_alloc(*size, GFP_KERNEL);
	if (!KTAP_EXPECT(t, text != NULL))
		return NULL;
	KTAP_EXPECT_EQ(t, kslab_buddyinfo_format(text, *size), len);
	return text;
}

/* The line buddyinfo must show for zone @name with @counts free blocks. */
static void buddyinfo_line(char *line, size_t size, const char *name,
			   const unsigned long *counts)
{
	size_t len = kslab_snprintf(line, size, "Node 0, zone %8s", name);
	unsigned int order;

	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		len += kslab_snprintf(line + len, size - len, " %6lu",
				      counts[order]);
	kslab_snprintf(line + len, size - len, "\n");
}

static void expect_buddyinfo_line(struct ktap_test *t, const char *name,
				  const unsigned long *counts, bool present)
{
	char line[160];
	size_t size;
	char *text = buddyinfo_text(t, &size);

	if (!text)
		return;
	buddyinfo_line(line, sizeof(line), name, counts);
	ktap_check(t, text_has_line(text, line) == present, __FILE__, __LINE__,
		   "buddyinfo %s line \"%s\" in:\n%s",
		   present ? "has" : "lacks", line, text);
	kslab_env_meta_free(text, size);
}

static void test_buddyinfo_snprintf(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bi-fmt", 1, 1);
	char small[16];
	size_t size, len;
	char *full;
	void *a;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	full = buddyinfo_text(t, &size);
	if (full) {
		len = size - 1;
		KTAP_EXPECT(t, len > 0);
		KTAP_EXPECT_EQ(t, str_len(full), len);
		KTAP_EXPECT_EQ(t, full[len - 1], '\n');
		/* Truncation keeps a terminated prefix and the full length. */
		kslab_memset(small, 'X', sizeof(small));
		KTAP_EXPECT_EQ(t, kslab_buddyinfo_format(small, 10), len);
		KTAP_EXPECT_EQ(t, small[9], '\0');
		KTAP_EXPECT(t, !kslab_memcmp(small, full, 9));
		KTAP_EXPECT_EQ(t, small[10], 'X');
		kslab_memset(small, 'X', sizeof(small));
		KTAP_EXPECT_EQ(t, kslab_buddyinfo_format(small, 1), len);
		KTAP_EXPECT_EQ(t, small[0], '\0');
		KTAP_EXPECT_EQ(t, small[1], 'X');
		/* Exactly its length: the last character gives way to NUL. */
		full[len - 1] = 'X';
		KTAP_EXPECT_EQ(t, kslab_buddyinfo_format(full, len), len);
		KTAP_EXPECT_EQ(t, full[len - 1], '\0');
		KTAP_EXPECT_EQ(t, full[len], '\0');
		kslab_env_meta_free(full, size);
	}
	kslab_free_pages(a, 0);
	test_zone_destroy(t, tz);
}

static void test_buddyinfo_zone_line(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bi-line", 1, 1);
	unsigned long counts[KSLAB_MAX_ORDER + 1] = {};
	unsigned int order;
	void *a;

	if (!tz)
		return;
	a = first_block(t, tz, 0);
	if (a) {
		for (order = 0; order < KSLAB_MAX_ORDER; order++)
			counts[order] = 1;
		expect_buddyinfo_line(t, "bi-line", counts, true);
		kslab_free_pages(a, 0);
		kslab_memset(counts, 0, sizeof(counts));
		counts[KSLAB_MAX_ORDER] = 1;
		expect_buddyinfo_line(t, "bi-line", counts, true);
	}
	test_zone_destroy(t, tz);
	expect_buddyinfo_line(t, "bi-line", counts, false);
}

static void test_zone_name_truncated(struct ktap_test *t)
{
	static const char long_name[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char short_name[KSLAB_ZONE_NAME_LEN];
	unsigned long counts[KSLAB_MAX_ORDER + 1] = {};
	/* Room for a second chunk: the first is used whole. */
	struct test_zone *tz = test_zone_create(t, long_name, 2, 2);
	void *a;

	if (!tz)
		return;
	kslab_memcpy(short_name, long_name, sizeof(short_name) - 1);
	short_name[sizeof(short_name) - 1] = '\0';
	a = first_block(t, tz, KSLAB_MAX_ORDER);
	if (a) {
		expect_buddyinfo_line(t, short_name, counts, true);
		/* Reports name the zone by the same 31 characters. */
		expect_bad_free(t, tz, a, 0, REASON_WRONG_ORDER);
		kslab_free_pages(a, KSLAB_MAX_ORDER);
	}
	test_zone_destroy(t, tz);
}

/* ------------------------------------------------------------------ */
/* Destroy and the default zone                                        */
/* ------------------------------------------------------------------ */

static void test_destroy_reports_leaks(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "leaky", 0, 1);
	struct report_capture cap;
	void *blocks[3];
	unsigned long leaked;
	char count[16];

	if (!tz)
		return;
	blocks[0] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 0);
	blocks[1] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 3);
	blocks[2] = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL,
					   KSLAB_MAX_ORDER);
	KTAP_EXPECT(t, blocks[0] && blocks[1] && blocks[2]);
	KTAP_EXPECT_EQ(t, tz->src.grants, 2);

	capture_start(&cap);
	leaked = test_zone_release(tz);
	capture_stop(&cap);
	KTAP_EXPECT_EQ(t, leaked, 1 + 8 + KSLAB_CHUNK_PAGES);
	KTAP_EXPECT_EQ(t, cap.seen, 1);
	if (cap.seen) {
		KTAP_EXPECT_EQ(t, cap.level[0], KSLAB_LOG_ERR);
		EXPECT_HAS_WORD(t, cap.msg[0], "leaky");
		kslab_snprintf(count, sizeof(count), "%lu", leaked);
		EXPECT_HAS_WORD(t, cap.msg[0], count);
	}
	/* Leaked or not, every chunk went back, and kslab forgot them. */
	expect_source_drained(t, &tz->src);
	KTAP_EXPECT(t, !kslab_virt_to_page(blocks[0]));
	KTAP_EXPECT(t, !kslab_virt_to_page(blocks[2]));
	test_zone_free(tz);
}

static unsigned long default_used_pages(void)
{
	struct kslab_buddy_stats stats;

	kslab_buddy_stats(&stats);
	return stats.managed_pages - stats.free_pages;
}

static void test_default_zone_round_trip(struct ktap_test *t)
{
	static const unsigned int orders[] = { 0, 3, KSLAB_MAX_ORDER };
	struct kslab_zone *zone = kslab_default_zone();
	unsigned long used = default_used_pages();
	unsigned int i;

	KTAP_EXPECT(t, zone != NULL);
	KTAP_EXPECT_EQ(t, zone_used_pages(zone), used);
	for (i = 0; i < KSLAB_ARRAY_SIZE(orders); i++) {
		unsigned int order = orders[i];
		void *a = kslab_alloc_pages(GFP_KERNEL | __GFP_ZERO, order);

		if (!KTAP_EXPECT(t, a != NULL))
			continue;
		KTAP_EXPECT(t, aligned_to_order(a, order));
		KTAP_EXPECT(t, block_is_zero(a, order));
		if (KTAP_EXPECT(t, resolves_to_block(a, a, order)))
			KTAP_EXPECT_PTR_EQ(t, kslab_page_chunk(
					   kslab_virt_to_page(a))->zone, zone);
		KTAP_EXPECT_EQ(t, default_used_pages(), used + (1UL << order));
		kslab_free_pages(a, order);
		KTAP_EXPECT_EQ(t, default_used_pages(), used);
	}
	KTAP_EXPECT_EQ(t, kslab_zone_check(zone), 0);
}

/*
 * The kernel's extfrag indices, worked by hand. Four free pages and one
 * free block of order 2: 8 free pages in 5 blocks. Orders 0 to 2 have a
 * block that fits (-1000); half the free pages are in blocks too small
 * for order 1 or 2 (500), all of them for order 3 up (1000). For order 3
 * the index is 1000 - (1000 + 8 * 1000 / 8) / 5 = 600, for order 4
 * 1000 - (1000 + 500) / 5 = 700. With no free page both are 0; with one
 * free chunk every order fits.
 */
static void test_frag_index(struct ktap_test *t)
{
	struct kslab_buddy_stats st;
	struct kslab_buddy_frag frag;
	unsigned int order;

	kslab_memset(&st, 0, sizeof(st));
	st.free_blocks[0] = 4;
	st.free_blocks[2] = 1;
	kslab_buddy_frag(&st, &frag);
	for (order = 0; order <= 2; order++)
		KTAP_EXPECT_EQ(t, frag.fragmentation[order], -1000);
	KTAP_EXPECT_EQ(t, frag.unusable[0], 0);
	KTAP_EXPECT_EQ(t, frag.unusable[1], 500);
	KTAP_EXPECT_EQ(t, frag.unusable[2], 500);
	KTAP_EXPECT_EQ(t, frag.unusable[3], 1000);
	KTAP_EXPECT_EQ(t, frag.unusable[KSLAB_MAX_ORDER], 1000);
	KTAP_EXPECT_EQ(t, frag.fragmentation[3], 600);
	KTAP_EXPECT_EQ(t, frag.fragmentation[4], 700);

	kslab_memset(&st, 0, sizeof(st));
	kslab_buddy_frag(&st, &frag);
	KTAP_EXPECT(t, frag.unusable[0] == 0 && frag.fragmentation[0] == 0 &&
		       frag.unusable[KSLAB_MAX_ORDER] == 0 &&
		       frag.fragmentation[KSLAB_MAX_ORDER] == 0);

	st.free_blocks[KSLAB_MAX_ORDER] = 1;
	kslab_buddy_frag(&st, &frag);
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		KTAP_EXPECT(t, frag.unusable[order] == 0 &&
			       frag.fragmentation[order] == -1000);
}

static const struct ktap_case buddy_checker_cases[] = {
	{ "check_catches_free_order", test_check_catches_free_order },
	{ "check_catches_tail", test_check_catches_tail },
	{ "check_catches_unlisted_free", test_check_catches_unlisted_free },
	{ "check_catches_unlisted_block", test_check_catches_unlisted_block },
	{ "check_catches_counter", test_check_catches_counter },
	{ "buddyinfo_snprintf", test_buddyinfo_snprintf },
	{ "buddyinfo_zone_line", test_buddyinfo_zone_line },
	{ "zone_name_truncated", test_zone_name_truncated },
	{ "destroy_reports_leaks", test_destroy_reports_leaks },
	{ "default_zone_round_trip", test_default_zone_round_trip },
	{ "frag_index", test_frag_index },
};

const struct ktap_suite buddy_checker_suite =
	KTAP_SUITE("buddy_checker", buddy_checker_cases);
