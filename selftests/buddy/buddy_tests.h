/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between the portable buddy tests (one file a topic, each one
 * suite; they may one day run inside the kernel module) and the
 * userspace-only ones (buddy_user.c, which holds main()): the suites and
 * the fixtures they need, defined in buddy_fixtures.c and buddy_reports.c.
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

#include "../capture.h"
#include "../ktap.h"

/* The portable suites, in the order main() runs them. */
extern const struct ktap_suite buddy_split_suite;	/* buddy_split.c */
extern const struct ktap_suite buddy_limits_suite;	/* buddy_limits.c */
extern const struct ktap_suite buddy_model_suite;	/* buddy_model.c */
extern const struct ktap_suite buddy_bad_free_suite;	/* buddy_bad_free.c */
extern const struct ktap_suite buddy_checker_suite;	/* buddy_checker.c */
extern const struct ktap_suite buddy_populate_suite;	/* buddy_populate.c */

/* Addresses (buddy_fixtures.c) */
unsigned long order_bytes(unsigned int order);
unsigned long chunk_base(const void *addr);
void *page_at(unsigned long base, unsigned long page);
void *byte_at(void *block, unsigned long offset);
bool aligned_to_order(const void *addr, unsigned int order);
bool resolves_to_block(const void *addr, const void *block,
		       unsigned int order);

/* Enough for the largest test zone (the RSS test's 256 MiB) with slack. */
#define TEST_SOURCE_MAX_CHUNKS	128

/* grant_budget value for a source that never refuses. */
#define TEST_SOURCE_UNLIMITED	(-1L)

/* Populate calls a test source records in full, the first ones. */
#define TEST_POPULATE_LOG	8

struct test_range {
	void *p;
	size_t size;
};

struct test_source {
	struct kslab_page_source source;
	struct kslab_spinlock lock;	/* the fields below */
	long grant_budget;		/* grants left; TEST_SOURCE_UNLIMITED */
	unsigned long grants;
	unsigned long refusals;
	unsigned long take_backs;
	unsigned long strays;		/* take-backs of chunks never granted */
	unsigned long overflows;	/* grants beyond the held[] record */
	unsigned long discards;
	unsigned long populates;
	struct test_range populated[TEST_POPULATE_LOG];
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

void *first_block(struct ktap_test *t, struct test_zone *tz,
		  unsigned int order);
bool alloc_first_pages(struct ktap_test *t, struct test_zone *tz,
		       void **pages, unsigned long n);
void free_all(void **blocks, unsigned long n, unsigned int order);

/* The most pages with_first_pages() hands over. */
#define FIRST_PAGES_MAX		8

void with_first_block(struct ktap_test *t, const char *name,
		      unsigned int order,
		      void (*body)(struct ktap_test *t, struct test_zone *tz,
				   void *block));
void with_first_pages(struct ktap_test *t, const char *name, unsigned long n,
		      void (*body)(struct ktap_test *t, struct test_zone *tz,
				   void **pages));

/*
 * Define test_@body(), the test that runs @body() through with_first_block()
 * on zone @zone_name with a first block of @order.
 */
#define DEFINE_FIRST_BLOCK_TEST(body, zone_name, order)			\
	static void test_##body(struct ktap_test *t)			\
	{								\
		with_first_block(t, (zone_name), (order), body);	\
	}

/* The same through with_first_pages(), with the first @n pages. */
#define DEFINE_FIRST_PAGES_TEST(body, zone_name, n)			\
	static void test_##body(struct ktap_test *t)			\
	{								\
		with_first_pages(t, (zone_name), (n), body);		\
	}

/* Free-list entries the tests record and compare, at most. */
#define FREE_STATE_DEPTH	4

void expect_free_list(struct ktap_test *t, struct kslab_zone *zone,
		      unsigned int order, void *const *expected, size_t nr);

/* Geometric: each order half as likely as the one below it. */
unsigned int random_order(struct ktap_rng *rng);

/* Mark each page of a block with @tag so overlapping blocks are caught. */
void block_fill(void *block, unsigned int order, unsigned long tag);
bool block_verify(const void *block, unsigned int order, unsigned long tag);
bool block_is_zero(const void *block, unsigned int order);

/* Strings, without libc (buddy_reports.c) */


/* What a bad free's report must say, in part. */
#define REASON_FOREIGN		"not managed by kslab"
#define REASON_MISALIGNED	"misaligned"
#define REASON_WRONG_ORDER	"wrong order"
#define REASON_DOUBLE		"double free"
#define REASON_INSIDE		"inside"
#define REASON_ABOVE_MAX	"above max"

void expect_bad_free(struct ktap_test *t, struct test_zone *tz, void *addr,
		     unsigned int order, const char *reason);
void expect_same_free_state(struct ktap_test *t,
			    const struct kslab_buddy_stats *before,
			    const struct kslab_buddy_stats *after);

#endif /* KSLAB_SELFTESTS_BUDDY_TESTS_H */
