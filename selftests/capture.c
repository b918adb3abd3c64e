// SPDX-License-Identifier: GPL-2.0
/*
 * Report capture, report expectations, libc-free string checks and the
 * buddy allocator's use count, shared by the test programs (see capture.h).
 */
#include <kslab/buddy.h>

#include "capture.h"

size_t str_len(const char *s)
{
	const char *end = s;

	while (*end)
		end++;
	return (size_t)(end - s);
}

bool str_starts_with(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (*s != *prefix)
			return false;
	return true;
}

const char *str_find(const char *haystack, const char *needle)
{
	for (; *haystack; haystack++)
		if (str_starts_with(haystack, needle))
			return haystack;
	return NULL;
}

/* Names (zones, caches) may hold '-': it belongs to the word. */
static bool word_char(char c)
{
	return c == '_' || c == '-' || (c >= '0' && c <= '9') ||
	       (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Does @word stand alone in @haystack? A count of 3 must not match
 * inside 13, nor a name inside a longer one.
 */
bool str_has_word(const char *haystack, const char *word)
{
	size_t n = str_len(word);
	const char *at;

	for (at = str_find(haystack, word); at; at = str_find(at + 1, word))
		if ((at == haystack || !word_char(at[-1])) && !word_char(at[n]))
			return true;
	return false;
}

static bool capture_hook(enum kslab_log_level level, const char *msg,
			 void *arg)
{
	struct report_capture *cap = arg;

	if (cap->seen < CAPTURE_MSGS) {
		cap->level[cap->seen] = level;
		kslab_snprintf(cap->msg[cap->seen], CAPTURE_LEN, "%s", msg);
	}
	cap->seen++;
	return true;	/* swallowed: expected reports must not clutter TAP */
}

void capture_start(struct report_capture *cap)
{
	kslab_memset(cap, 0, sizeof(*cap));
	cap->counted = kslab_report_count();
	kslab_set_report_hook(capture_hook, cap);
}

void capture_stop(struct report_capture *cap)
{
	kslab_set_report_hook(NULL, NULL);
	cap->counted = kslab_report_count() - cap->counted;
}

/* Exactly one error report, saying @what and naming @cache_name. */
void expect_one_error(struct ktap_test *t, const struct report_capture *cap,
		      const char *what, const char *cache_name)
{
	KTAP_EXPECT_EQ(t, cap->seen, 1);
	KTAP_EXPECT_EQ(t, cap->counted, 1);
	if (!cap->seen)
		return;
	KTAP_EXPECT_EQ(t, cap->level[0], KSLAB_LOG_ERR);
	ktap_check(t, str_starts_with(cap->msg[0], "kslab: "), __FILE__,
		   __LINE__, "\"%s\" starts with \"kslab: \"", cap->msg[0]);
	EXPECT_CONTAINS(t, cap->msg[0], what);
	if (cache_name)
		EXPECT_HAS_WORD(t, cap->msg[0], cache_name);
}

void expect_no_report(struct ktap_test *t, const struct report_capture *cap)
{
	ktap_check(t, cap->seen == 0 && cap->counted == 0, __FILE__, __LINE__,
		   "no report (got %lu, first \"%s\")", cap->seen,
		   cap->seen ? cap->msg[0] : "");
}

/* Pages the default zone has handed out. */
unsigned long buddy_used_pages(void)
{
	struct kslab_buddy_stats bs;

	kslab_buddy_stats(&bs);
	return bs.managed_pages - bs.free_pages;
}

size_t pattern(unsigned char *p, size_t n, size_t seed, bool check)
{
	size_t i, bad = 0;

	for (i = 0; i < n; i++) {
		unsigned char v = (unsigned char)(i * 13 + seed);

		if (!check)
			p[i] = v;
		else
			bad += p[i] != v;
	}
	return bad;
}
