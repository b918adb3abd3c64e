/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capturing kslab's reports in tests, and the few string checks needed to
 * read them, without libc: the test sources that use them also run in the
 * kernel test module.
 */
#ifndef KSLAB_SELFTESTS_CAPTURE_H
#define KSLAB_SELFTESTS_CAPTURE_H

#include <kslab/report.h>

#include "ktap.h"

size_t str_len(const char *s);
bool str_starts_with(const char *s, const char *prefix);
const char *str_find(const char *haystack, const char *needle);
bool str_has_word(const char *haystack, const char *word);

#define EXPECT_CONTAINS(t, haystack, needle)				\
	ktap_check((t), str_find((haystack), (needle)) != NULL,		\
		   __FILE__, __LINE__, "\"%s\" contains \"%s\"",	\
		   (haystack), (needle))

#define EXPECT_HAS_WORD(t, haystack, word)				\
	ktap_check((t), str_has_word((haystack), (word)), __FILE__,	\
		   __LINE__, "\"%s\" has the word \"%s\"", (haystack), (word))

#define CAPTURE_MSGS	4
#define CAPTURE_LEN	320

/* Reports made between capture_start() and capture_stop(), swallowed. */
struct report_capture {
	unsigned long seen;		/* reports the hook saw */
	unsigned long counted;		/* rise of kslab_report_count() */
	enum kslab_log_level level[CAPTURE_MSGS];
	char msg[CAPTURE_MSGS][CAPTURE_LEN];
};

void capture_start(struct report_capture *cap);
void capture_stop(struct report_capture *cap);

/* Exactly one error report, saying @what and naming @cache_name if given. */
void expect_one_error(struct ktap_test *t, const struct report_capture *cap,
		      const char *what, const char *cache_name);
void expect_no_report(struct ktap_test *t, const struct report_capture *cap);

unsigned long buddy_used_pages(void);

/*
 * Write a pattern that depends on @seed and each byte's position over @n
 * bytes at @p; with @check, count the bytes that differ from it instead.
 */
size_t pattern(unsigned char *p, size_t n, size_t seed, bool check);

#endif /* KSLAB_SELFTESTS_CAPTURE_H */
