/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between the portable buddy tests (buddy_tests.c, which may one day
 * run inside the kernel module) and the userspace-only ones (buddy_user.c):
 * the suite table and the fixtures both halves need.
 *
 * A test zone is a private zone fed by a page source that records every
 * chunk it hands out, so a test can tell where each block must lie and
 * prove that every chunk went back. A report capture swallows kslab's
 * reports so bad-input tests can read them instead of printing them.
 */
#ifndef KSLAB_SELFTESTS_BUDDY_TESTS_H
#define KSLAB_SELFTESTS_BUDDY_TESTS_H

#include <kslab/buddy.h>
#include <kslab/report.h>

#include "../ktap.h"

extern const struct ktap_suite buddy_core_suite;

/* Enough for the largest test zone (the RSS test's 256 MiB) with slack. */
#define TEST_SOURCE_MAX_CHUNKS	128

/* grant_budget value for a source that never refuses. */
#define TEST_SOURCE_UNLIMITED	(-1L)

struct test_source {
	struct kslab_page_source source;
	struct kslab_spinlock lock;	/* the fields below */
	long grant_budget;		/* grants left; TEST_SOURCE_UNLIMITED */
	unsigned long grants;
	unsigned long refusals;
	unsigned long take_backs;
	unsigned long strays;		/* take-backs of chunks never granted */
	unsigned long overflows;	/* grants beyond the held[] record */
	unsigned long nr_held;
	void *held[TEST_SOURCE_MAX_CHUNKS];	/* in grant order */
};

struct test_zone {
	struct kslab_zone *zone;
	struct test_source src;
};

struct test_zone *test_zone_create(struct ktap_test *t, const char *name,
				   unsigned long max_chunks,
				   unsigned long keep_free_chunks);
unsigned long test_zone_release(struct test_zone *tz);
void test_zone_free(struct test_zone *tz);
void test_zone_destroy(struct ktap_test *t, struct test_zone *tz);
void expect_source_drained(struct ktap_test *t, struct test_source *src);
void test_source_set_budget(struct test_source *src, long budget);

struct kslab_buddy_stats zone_stats(struct kslab_zone *zone);
unsigned long zone_used_pages(struct kslab_zone *zone);

/* Geometric: each order half as likely as the one below it. */
unsigned int random_order(struct ktap_rng *rng);

/* Mark each page of a block with @tag so overlapping blocks are caught. */
void block_fill(void *block, unsigned int order, unsigned long tag);
bool block_verify(const void *block, unsigned int order, unsigned long tag);

#define CAPTURE_MSGS	4
#define CAPTURE_LEN	320

struct report_capture {
	unsigned long count;		/* seen by the hook */
	unsigned long reported;		/* kslab_report_count() rise */
	enum kslab_log_level level[CAPTURE_MSGS];
	char msg[CAPTURE_MSGS][CAPTURE_LEN];
};

void capture_start(struct report_capture *cap);
void capture_stop(struct report_capture *cap);
bool str_contains(const char *haystack, const char *needle);

void expect_bad_free(struct ktap_test *t, struct test_zone *tz, void *addr,
		     unsigned int order, const char *reason);

#endif /* KSLAB_SELFTESTS_BUDDY_TESTS_H */
