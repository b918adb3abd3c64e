// SPDX-License-Identifier: GPL-2.0
/*
 * Report fixtures shared by the buddy tests (declared in buddy_tests.h):
 * string matching without libc, capturing kslab's reports instead of
 * printing them, and expect_bad_free(), which frees wrongly on purpose
 * and checks for exactly one report and no other change.
 */
#include <kslab/buddy.h>
#include <kslab/report.h>

#include "../../mm/page.h"
#include "../../mm/zone.h"
#include "buddy_tests.h"

/* ------------------------------------------------------------------ */
/* Strings, without libc                                               */
/* ------------------------------------------------------------------ */

/*
 * Exactly one error report naming @addr and @reason, and the zone when
 * the address is one kslab could attribute to a zone.
 */
static void expect_one_report(struct ktap_test *t,
			      const struct report_capture *cap,
			      const char *reason, const void *addr,
			      const char *zone_name)
{
	char addr_text[32];

	KTAP_EXPECT_EQ(t, cap->seen, 1);
	KTAP_EXPECT_EQ(t, cap->counted, 1);
	if (!cap->seen)
		return;
	KTAP_EXPECT_EQ(t, cap->level[0], KSLAB_LOG_ERR);
	ktap_check(t, str_starts_with(cap->msg[0], "kslab: "), __FILE__, __LINE__,
		   "\"%s\" starts with \"kslab: \"", cap->msg[0]);
	EXPECT_CONTAINS(t, cap->msg[0], reason);
	kslab_snprintf(addr_text, sizeof(addr_text), "%p", addr);
	EXPECT_HAS_WORD(t, cap->msg[0], addr_text);
	if (zone_name)
		EXPECT_HAS_WORD(t, cap->msg[0], zone_name);
}

/* ------------------------------------------------------------------ */
/* Bad frees: one report, nothing else changed                         */
/* ------------------------------------------------------------------ */

void expect_same_free_state(struct ktap_test *t,
			    const struct kslab_buddy_stats *before,
			    const struct kslab_buddy_stats *after)
{
	unsigned int order;

	KTAP_EXPECT_EQ(t, after->managed_pages, before->managed_pages);
	KTAP_EXPECT_EQ(t, after->free_pages, before->free_pages);
	KTAP_EXPECT_EQ(t, after->nr_chunks, before->nr_chunks);
	KTAP_EXPECT_EQ(t, after->events.merges, before->events.merges);
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		KTAP_EXPECT_EQ(t, after->free_blocks[order],
			       before->free_blocks[order]);
}

static void expect_zone_still_works(struct ktap_test *t,
				    struct kslab_zone *zone)
{
	unsigned long used = zone_used_pages(zone);
	void *page = kslab_zone_alloc_pages(zone, GFP_KERNEL, 0);

	if (!KTAP_EXPECT(t, page != NULL))
		return;
	KTAP_EXPECT_EQ(t, zone_used_pages(zone), used + 1);
	kslab_free_pages(page, 0);
	KTAP_EXPECT_EQ(t, zone_used_pages(zone), used);
}

/*
 * Free @addr with @order, which is wrong for @reason: exactly one report
 * and nothing else may change. A managed address is blamed on its zone;
 * one kslab does not manage cannot be, so no zone counts it.
 */
void expect_bad_free(struct ktap_test *t, struct test_zone *tz, void *addr,
		     unsigned int order, const char *reason)
{
	struct kslab_zone *zone = tz->zone;
	bool managed = kslab_virt_to_page(addr) != NULL;
	struct kslab_buddy_stats before, after;
	struct report_capture cap;

	before = zone_stats(zone);
	capture_start(&cap);
	kslab_free_pages(addr, order);
	capture_stop(&cap);
	after = zone_stats(zone);

	expect_one_report(t, &cap, reason, addr, managed ? zone->name : NULL);
	KTAP_EXPECT_EQ(t, after.events.bad_frees, before.events.bad_frees + managed);
	expect_same_free_state(t, &before, &after);
	KTAP_EXPECT_EQ(t, kslab_zone_check(zone), 0);
	expect_zone_still_works(t, zone);
}
