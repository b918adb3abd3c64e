// SPDX-License-Identifier: GPL-2.0
/*
 * Report fixtures shared by the buddy tests (declared in buddy_tests.h):
 * string matching without libc, capturing kslab's reports instead of
 * printing them, and expect_bad_free(), which frees wrongly on purpose
 * and checks for exactly one report and no other change.
 */
#include <kslab/buddy.h>
#include <kslab/page.h>
#include <kslab/report.h>
#include <kslab/zone.h>

#include "buddy_tests.h"

/* ------------------------------------------------------------------ */
/* Strings, without libc                                               */
/* ------------------------------------------------------------------ */

size_t str_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* Does @s begin with @prefix? Stops at the first difference, NUL included. */
static bool str_at(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return false;
	return true;
}

const char *str_find(const char *from, const char *needle)
{
	for (; *from; from++)
		if (str_at(from, needle))
			return from;
	return NULL;
}

bool str_contains(const char *haystack, const char *needle)
{
	return str_find(haystack, needle) != NULL;
}

static bool is_word_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '_';
}

/*
 * Does @needle occur in @haystack as a whole word? An address or count must
 * not match merely as the prefix of a longer one.
 */
bool str_contains_word(const char *haystack, const char *needle)
{
	size_t n = str_len(needle);
	const char *at = haystack;

	while ((at = str_find(at, needle))) {
		bool start = at == haystack || !is_word_char(at[-1]);

		if (start && !is_word_char(at[n]))
			return true;
		at++;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Report capture                                                      */
/* ------------------------------------------------------------------ */

static bool capture_hook(enum kslab_log_level level, const char *msg,
			 void *arg)
{
	struct report_capture *cap = arg;

	if (cap->count < CAPTURE_MSGS) {
		cap->level[cap->count] = level;
		kslab_snprintf(cap->msg[cap->count], CAPTURE_LEN, "%s", msg);
	}
	cap->count++;
	return true;
}

void capture_start(struct report_capture *cap)
{
	kslab_memset(cap, 0, sizeof(*cap));
	cap->reported = kslab_report_count();
	kslab_set_report_hook(capture_hook, cap);
}

void capture_stop(struct report_capture *cap)
{
	kslab_set_report_hook(NULL, NULL);
	cap->reported = kslab_report_count() - cap->reported;
}

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

	KTAP_EXPECT_EQ(t, cap->count, 1);
	KTAP_EXPECT_EQ(t, cap->reported, 1);
	if (!cap->count)
		return;
	KTAP_EXPECT_EQ(t, cap->level[0], KSLAB_LOG_ERR);
	ktap_check(t, str_at(cap->msg[0], "kslab: "), __FILE__, __LINE__,
		   "\"%s\" starts with \"kslab: \"", cap->msg[0]);
	EXPECT_CONTAINS(t, cap->msg[0], reason);
	kslab_snprintf(addr_text, sizeof(addr_text), "%p", addr);
	EXPECT_CONTAINS_WORD(t, cap->msg[0], addr_text);
	if (zone_name)
		EXPECT_CONTAINS_WORD(t, cap->msg[0], zone_name);
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
