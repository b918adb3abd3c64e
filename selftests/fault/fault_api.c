// SPDX-License-Identifier: GPL-2.0
/*
 * The fault points and their configuration (suite fault_api): every Nth
 * call, the Nth call only, a limit on failures, seeded probabilities that
 * repeat; the cache point failing the allocation calls themselves, even
 * those a magazine would serve, for a cache by name, a family by prefix
 * or every cache; the pages and meta points; counters; and the option
 * text, whose errors are reported and change nothing. Portable: kslab
 * headers only.
 */
#include <kslab/buddy.h>
#include <kslab/kmalloc.h>
#include <kslab/slab.h>

#include "../capture.h"
#include "fault_tests.h"

#define CALLS		12
#define RANDOM_CALLS	1000

static struct kslab_fault_config every(unsigned long n)
{
	struct kslab_fault_config config = { .every = n };

	return config;
}

/*
 * Make @n kmalloc calls; bit i of the result says call i + 1 failed. The
 * memory is freed once all calls are made, so every call allocates.
 */
static unsigned long kmalloc_calls(unsigned int n)
{
	void *p[CALLS * 4];
	unsigned long failed = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		p[i] = kslab_kmalloc(40, GFP_KERNEL);
		if (!p[i])
			failed |= 1UL << i;
	}
	for (i = 0; i < n; i++)
		kslab_kfree(p[i]);
	return failed;
}

static void expect_counts(struct ktap_test *t, enum kslab_fault_point point,
			  bool armed, unsigned long calls,
			  unsigned long failures)
{
	struct kslab_fault_counts c;

	kslab_fault_read(point, &c);
	KTAP_EXPECT_EQ(t, c.armed, armed);
	KTAP_EXPECT_EQ(t, c.calls, calls);
	KTAP_EXPECT_EQ(t, c.failures, failures);
}

/* every=3 fails calls 3, 6, 9, 12; clearing stops it and keeps the counts. */
static void test_every(struct ktap_test *t)
{
	struct kslab_fault_config config = every(3);

	KTAP_ASSERT(t, kslab_fault_set(KSLAB_FAULT_KMALLOC, &config) == 0);
	KTAP_EXPECT_EQ(t, kmalloc_calls(CALLS), 0x924);	/* bits 2, 5, 8, 11 */
	expect_counts(t, KSLAB_FAULT_KMALLOC, true, CALLS, 4);
	kslab_fault_clear(KSLAB_FAULT_KMALLOC);
	KTAP_EXPECT_EQ(t, kmalloc_calls(CALLS), 0);
	expect_counts(t, KSLAB_FAULT_KMALLOC, false, CALLS, 4);
	config = every(1);
	KTAP_ASSERT(t, kslab_fault_set(KSLAB_FAULT_KMALLOC, &config) == 0);
	KTAP_EXPECT_EQ(t, kmalloc_calls(CALLS), (1UL << CALLS) - 1);
	kslab_fault_clear(KSLAB_FAULT_KMALLOC);
}

static void test_nth_and_times(struct ktap_test *t)
{
	struct kslab_fault_config config = { .nth = 5 };

	KTAP_ASSERT(t, kslab_fault_set(KSLAB_FAULT_KMALLOC, &config) == 0);
	KTAP_EXPECT_EQ(t, kmalloc_calls(CALLS), 1UL << 4);
	expect_counts(t, KSLAB_FAULT_KMALLOC, true, CALLS, 1);
	config = every(2);
	config.times = 3;
	KTAP_ASSERT(t, kslab_fault_set(KSLAB_FAULT_KMALLOC, &config) == 0);
	KTAP_EXPECT_EQ(t, kmalloc_calls(CALLS), 0x2a);	/* 2, 4, 6, then no more */
	expect_counts(t, KSLAB_FAULT_KMALLOC, true, CALLS, 3);
	kslab_fault_clear(KSLAB_FAULT_KMALLOC);
}

/* Which of RANDOM_CALLS calls fail at @probability from @seed, as bits. */
static unsigned long random_run(unsigned long probability, unsigned long seed,
				unsigned long *bits, unsigned int words)
{
	struct kslab_fault_config config = { .probability = probability,
					     .seed = seed };
	struct kslab_fault_counts c;
	unsigned int i;

	kslab_memset(bits, 0, words * sizeof(*bits));
	if (kslab_fault_set(KSLAB_FAULT_KMALLOC, &config))
		return 0;
	for (i = 0; i < RANDOM_CALLS; i++) {
		void *p = kslab_kmalloc(40, GFP_KERNEL);

		if (!p)
			bits[i / 64] |= 1UL << (i % 64);
		kslab_kfree(p);
	}
	kslab_fault_read(KSLAB_FAULT_KMALLOC, &c);
	kslab_fault_clear(KSLAB_FAULT_KMALLOC);
	return c.failures;
}

/* A seed repeats its failures exactly; another seed fails other calls. */
static void test_probability(struct ktap_test *t)
{
	unsigned long a[RANDOM_CALLS / 64 + 1], b[KSLAB_ARRAY_SIZE(a)];
	unsigned int words = KSLAB_ARRAY_SIZE(a);
	unsigned long n;

	n = random_run(300000, 42, a, words);	/* 30% */
	ktap_check(t, n > RANDOM_CALLS / 5 && n < RANDOM_CALLS * 2 / 5,
		   __FILE__, __LINE__, "30%% of %d calls failed: %lu",
		   RANDOM_CALLS, n);
	KTAP_EXPECT_EQ(t, random_run(300000, 42, b, words), n);
	KTAP_EXPECT(t, !kslab_memcmp(a, b, sizeof(a)));
	random_run(300000, 43, b, words);
	KTAP_EXPECT(t, kslab_memcmp(a, b, sizeof(a)) != 0);
	KTAP_EXPECT_EQ(t, random_run(KSLAB_FAULT_CERTAIN, 0, a, words),
		       RANDOM_CALLS);
	KTAP_EXPECT_EQ(t, random_run(1, 0, a, words), 0);	/* one in a million */
}

/*
 * nonblocking: only calls that may not sleep are counted and failed, at
 * the kmalloc, cache and pages points, so code can test its handling of
 * a failed GFP_NOWAIT or GFP_ATOMIC allocation while its GFP_KERNEL ones
 * go on working.
 */
static void test_nonblocking(struct ktap_test *t)
{
	struct kslab_cache *cache = kslab_cache_create("fault-nowait", 64, NULL, 0);
	struct kslab_fault_config config = every(1);
	void *kernel, *nowait, *atomic, *page;

	KTAP_ASSERT(t, cache);
	config.nonblocking = true;
	KTAP_ASSERT(t, kslab_fault_set(KSLAB_FAULT_KMALLOC, &config) == 0);
	kernel = kslab_kmalloc(40, GFP_KERNEL);
	nowait = kslab_kmalloc(40, GFP_NOWAIT);
	atomic = kslab_kzalloc(5000, GFP_ATOMIC);
	KTAP_EXPECT(t, kernel && !nowait && !atomic);
	expect_counts(t, KSLAB_FAULT_KMALLOC, true, 2, 2);
	kslab_kfree(kernel);
	kslab_fault_clear(KSLAB_FAULT_KMALLOC);

	KTAP_ASSERT(t, kslab_fault_configure("cache/fault-nowait:every=1,nonblocking;pages:every=1,nonblocking") == 0);
	kernel = kslab_cache_alloc(cache, GFP_KERNEL);
	KTAP_EXPECT(t, kernel != NULL);
	KTAP_EXPECT(t, !kslab_cache_alloc(cache, GFP_NOWAIT));
	KTAP_EXPECT(t, !kslab_cache_alloc(cache, GFP_ATOMIC | __GFP_ZERO));
	expect_counts(t, KSLAB_FAULT_CACHE, true, 2, 2);
	KTAP_EXPECT(t, !kslab_alloc_pages(GFP_ATOMIC, 0));
	page = kslab_alloc_pages(GFP_KERNEL, 0);
	KTAP_EXPECT(t, page != NULL);
	expect_counts(t, KSLAB_FAULT_PAGES, true, 1, 1);
	kslab_free_pages(page, 0);
	kslab_cache_free(cache, kernel);
	KTAP_EXPECT_EQ(t, kslab_fault_configure(""), 0);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	kslab_cache_destroy(cache);
}

static bool arm_cache(const char *pattern, struct kslab_fault_config config)
{
	kslab_memcpy(config.cache, pattern, str_len(pattern) + 1);
	return kslab_fault_set(KSLAB_FAULT_CACHE, &config) == 0;
}

/* Allocate from @cache once; Return: whether that failed. */
static bool alloc_fails(struct kslab_cache *cache)
{
	void *obj = kslab_cache_alloc(cache, GFP_KERNEL);

	kslab_cache_free(cache, obj);
	return !obj;
}

/*
 * The cache point fails kslab_cache_alloc() calls of the caches its name
 * or prefix names, and only theirs, caches made later included.
 */
static void test_cache_names(struct ktap_test *t)
{
	struct kslab_cache *a = kslab_cache_create("fault-name-a", 64, NULL, 0);
	struct kslab_cache *b = kslab_cache_create("fault-name-b", 64, NULL, 0);
	struct kslab_cache *other = kslab_cache_create("fault-other", 64, NULL, 0);
	struct kslab_cache *later;

	KTAP_ASSERT(t, a && b && other);
	KTAP_ASSERT(t, arm_cache("fault-name-a", every(1)));
	KTAP_EXPECT(t, alloc_fails(a));
	KTAP_EXPECT(t, !alloc_fails(b) && !alloc_fails(other));
	KTAP_ASSERT(t, arm_cache("fault-name-*", every(1)));
	KTAP_EXPECT(t, alloc_fails(a) && alloc_fails(b));
	KTAP_EXPECT(t, !alloc_fails(other));
	later = kslab_cache_create("fault-name-later", 64, NULL, 0);
	KTAP_EXPECT(t, later && alloc_fails(later));
	KTAP_ASSERT(t, arm_cache("", every(1)));
	KTAP_EXPECT(t, alloc_fails(other));
	KTAP_ASSERT(t, arm_cache("*", every(1)));
	KTAP_EXPECT(t, alloc_fails(other));
	kslab_fault_clear(KSLAB_FAULT_CACHE);
	KTAP_EXPECT(t, !alloc_fails(a) && !alloc_fails(b) && !alloc_fails(later));
	kslab_cache_destroy(a);
	kslab_cache_destroy(b);
	kslab_cache_destroy(other);
	kslab_cache_destroy(later);
}

/*
 * nth=3 fails the third call even when the magazines hold objects that
 * would serve it: the calls themselves are counted, not slab growth.
 */
static void test_cache_calls(struct ktap_test *t)
{
	struct kslab_fault_config config = { .nth = 3 };
	struct kslab_cache *cache = kslab_cache_create("fault-calls", 64, NULL, 0);
	struct kslab_cache_stats st;
	unsigned int i;
	void *objs[CALLS];

	KTAP_ASSERT(t, cache);
	for (i = 0; i < CALLS; i++)
		objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
	for (i = 0; i < CALLS; i++)
		kslab_cache_free(cache, objs[i]);
	kslab_cache_stats(cache, &st);
	KTAP_EXPECT(t, st.magazine_objs >= CALLS);
	KTAP_ASSERT(t, arm_cache("fault-calls", config));
	for (i = 0; i < CALLS; i++)
		objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
	for (i = 0; i < CALLS; i++)
		KTAP_EXPECT_EQ(t, objs[i] == NULL, i == 2);
	expect_counts(t, KSLAB_FAULT_CACHE, true, CALLS, 1);
	kslab_cache_free_bulk(cache, CALLS, objs);
	kslab_fault_clear(KSLAB_FAULT_CACHE);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	kslab_cache_destroy(cache);
}

static void test_pages_and_meta(struct ktap_test *t)
{
	struct kslab_fault_config config = { .nth = 1 };
	struct kslab_buddy_stats before, after;
	struct report_capture cap;
	void *p;

	KTAP_ASSERT(t, kslab_fault_set(KSLAB_FAULT_PAGES, &config) == 0);
	kslab_buddy_stats(&before);
	KTAP_EXPECT(t, kslab_alloc_pages(GFP_KERNEL, 0) == NULL);
	kslab_buddy_stats(&after);
	KTAP_EXPECT_EQ(t, after.events.alloc_failures,
		       before.events.alloc_failures + 1);
	p = kslab_alloc_pages(GFP_KERNEL, 0);
	KTAP_EXPECT(t, p != NULL);
	kslab_free_pages(p, 0);
	expect_counts(t, KSLAB_FAULT_PAGES, true, 2, 1);
	kslab_fault_clear(KSLAB_FAULT_PAGES);

	config = every(1);
	KTAP_ASSERT(t, kslab_fault_set(KSLAB_FAULT_META, &config) == 0);
	capture_start(&cap);
	KTAP_EXPECT(t, kslab_cache_create("fault-meta", 64, NULL, 0) == NULL);
	KTAP_EXPECT(t, kslab_zone_create("fault-meta", NULL) == NULL);
	capture_stop(&cap);
	kslab_fault_clear(KSLAB_FAULT_META);
	expect_one_error(t, &cap, "cache fault-meta not created: out of memory",
			 NULL);
}

static void expect_armed(struct ktap_test *t, unsigned int points)
{
	struct kslab_fault_counts c;
	unsigned int point;

	for (point = 0; point < KSLAB_FAULT_POINTS; point++) {
		kslab_fault_read(point, &c);
		ktap_check(t, c.armed == !!(points & (1U << point)), __FILE__,
			   __LINE__, "point %u armed: %d", point, c.armed);
	}
}

#define BIT(point)	(1U << (point))

/* Texts that parse arm what they name and disarm the rest. */
static void test_configure(struct ktap_test *t)
{
	struct report_capture cap;

	capture_start(&cap);
	KTAP_EXPECT_EQ(t, kslab_fault_configure("kmalloc:every=2,times=1"), 0);
	expect_armed(t, BIT(KSLAB_FAULT_KMALLOC));
	KTAP_EXPECT_EQ(t, kmalloc_calls(4), 0x2);
	KTAP_EXPECT_EQ(t, kslab_fault_configure(
		"cache/fault-*:probability=0.5,seed=9,times=4;pages:nth=3;meta:every=100;"),
		0);
	expect_armed(t, BIT(KSLAB_FAULT_CACHE) | BIT(KSLAB_FAULT_PAGES) |
		     BIT(KSLAB_FAULT_META));
	KTAP_EXPECT_EQ(t, kslab_fault_configure("cache:every=1"), 0);
	expect_armed(t, BIT(KSLAB_FAULT_CACHE));
	KTAP_EXPECT_EQ(t, kslab_fault_configure("kmalloc:probability=100"), 0);
	KTAP_EXPECT_EQ(t, kmalloc_calls(3), 0x7);
	KTAP_EXPECT_EQ(t, kslab_fault_configure(""), 0);
	expect_armed(t, 0);
	capture_stop(&cap);
	expect_no_report(t, &cap);
}

/* A bad text is reported, saying where, and changes nothing. */
static void test_configure_errors(struct ktap_test *t)
{
	static const struct {
		const char *text;
		const char *what;
		const char *where;
	} bad[] = {
		{ "kmalloc", "expected point:options", "\"kmalloc\"" },
		{ "malloc:every=1", "unknown point", "\"malloc\"" },
		{ "kmalloc:every=0", "bad value", "\"every=0\"" },
		{ "kmalloc:every=x", "bad value", "\"every=x\"" },
		{ "kmalloc:every=99999999999999999999", "bad value", "every=9" },
		{ "kmalloc:evry=3", "unknown option", "\"evry=3\"" },
		{ "kmalloc:every=3,nth=2", "exactly one of every, nth and probability", "" },
		{ "kmalloc:", "exactly one", "" },
		{ "kmalloc:probability=101", "bad value", "" },
		{ "kmalloc:probability=0", "bad value", "" },
		{ "kmalloc:probability=1.23456", "bad value", "" },
		{ "pages/kmalloc-64:every=1", "only the cache point takes a cache name", "" },
		{ "cache/a*b:every=1", "'*' may only end a cache name", "" },
		{ "cache/a-name-longer-than-thirty-one-bytes:every=1", "cache name too long", "" },
		{ "kmalloc:every=1;kmalloc:nth=2", "point given twice", "\"kmalloc:nth=2\"" },
		{ "pages:nth=1;meta every=1", "expected point:options", "\"meta every=1\"" },
		{ "kmalloc:every=1,nonblocking=1", "unknown option", "\"nonblocking=1\"" },
		{ "meta:every=1,nonblocking", "the meta point takes no nonblocking", "" },
	};
	struct kslab_fault_config config = every(1000);
	struct report_capture cap;
	unsigned int i;

	KTAP_ASSERT(t, kslab_fault_set(KSLAB_FAULT_META, &config) == 0);
	for (i = 0; i < KSLAB_ARRAY_SIZE(bad); i++) {
		capture_start(&cap);
		KTAP_EXPECT_EQ(t, kslab_fault_configure(bad[i].text), -1);
		capture_stop(&cap);
		KTAP_EXPECT_EQ(t, cap.seen, 1);
		KTAP_EXPECT_EQ(t, cap.level[0], KSLAB_LOG_WARN);
		EXPECT_CONTAINS(t, cap.msg[0], bad[i].text);
		EXPECT_CONTAINS(t, cap.msg[0], bad[i].what);
		EXPECT_CONTAINS(t, cap.msg[0], bad[i].where);
		EXPECT_CONTAINS(t, cap.msg[0], "fault injection unchanged");
		expect_armed(t, BIT(KSLAB_FAULT_META));
	}
	config.nth = 2;
	capture_start(&cap);
	KTAP_EXPECT_EQ(t, kslab_fault_set(KSLAB_FAULT_PAGES, &config), -1);
	KTAP_EXPECT_EQ(t, kslab_fault_set(KSLAB_FAULT_POINTS, &config), -1);
	capture_stop(&cap);
	KTAP_EXPECT_EQ(t, cap.seen, 2);
	EXPECT_CONTAINS(t, cap.msg[0], "kslab_fault_set(pages): give exactly one");
	EXPECT_CONTAINS(t, cap.msg[1], "no such fault point");
	expect_armed(t, BIT(KSLAB_FAULT_META));
	kslab_fault_clear(KSLAB_FAULT_META);
	expect_armed(t, 0);
}

static const struct ktap_case fault_api_cases[] = {
	{ "every", test_every },
	{ "nth_and_times", test_nth_and_times },
	{ "probability", test_probability },
	{ "nonblocking", test_nonblocking },
	{ "cache_names", test_cache_names },
	{ "cache_calls", test_cache_calls },
	{ "pages_and_meta", test_pages_and_meta },
	{ "configure", test_configure },
	{ "configure_errors", test_configure_errors },
};

const struct ktap_suite fault_api_suite =
	KTAP_SUITE("fault_api", fault_api_cases);
