// SPDX-License-Identifier: GPL-2.0
/*
 * Buddy allocator tests that only make sense in userspace, and the test
 * program's main().
 *
 * Covered: malloc'd memory is foreign to kslab (descriptor lookup and
 * frees), several threads allocating and freeing on one zone with blocks
 * handed between them, and chunks given back really leaving the
 * process's resident set.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <kslab/buddy.h>
#include <kslab/page.h>

#include "buddy_tests.h"

/* ------------------------------------------------------------------ */
/* malloc'd memory                                                     */
/* ------------------------------------------------------------------ */

static void test_page_desc_malloc(struct ktap_test *t)
{
	void *small = malloc(64);
	void *large = malloc(8UL << 20);	/* glibc mmaps this one */
	void *aligned = aligned_alloc(KSLAB_PAGE_SIZE, KSLAB_PAGE_SIZE);

	KTAP_EXPECT(t, small && large && aligned);
	KTAP_EXPECT(t, !kslab_virt_to_page(small));
	KTAP_EXPECT(t, !kslab_virt_to_page(large));
	KTAP_EXPECT(t, !kslab_virt_to_page(aligned));
	free(small);
	free(large);
	free(aligned);
}

static void test_bad_free_malloc(struct ktap_test *t)
{
	struct test_zone *tz = test_zone_create(t, "bf-malloc", 1, 1);
	void *small = malloc(100);
	/* Page-aligned, so no alignment check can speak before ownership. */
	void *aligned = aligned_alloc(KSLAB_PAGE_SIZE, 4 * KSLAB_PAGE_SIZE);
	void *block = NULL;

	if (tz && KTAP_EXPECT(t, small && aligned)) {
		block = kslab_zone_alloc_pages(tz->zone, GFP_KERNEL, 1);
		expect_bad_free(t, tz, small, 0, "not managed by kslab");
		expect_bad_free(t, tz, aligned, 0, "not managed by kslab");
		expect_bad_free(t, tz, aligned, 2, "not managed by kslab");
		kslab_free_pages(block, 1);
	}
	free(small);
	free(aligned);
	if (tz)
		test_zone_destroy(t, tz);
}

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

#define STRESS_OPS		50000
#define STRESS_LOCAL		32
#define STRESS_SLOTS		8
#define STRESS_MAX_CHUNKS	32
#define STRESS_MAX_THREADS	8
#define STRESS_YIELD_EVERY	16

struct stress_block {
	void *addr;		/* NULL: an empty exchange slot */
	unsigned long tag;
	unsigned int order;
	unsigned int owner;	/* the thread that allocated it */
};

struct stress_shared {
	struct kslab_zone *zone;
	bool go;		/* every thread is created: start */
	pthread_mutex_t lock;	/* slot[] */
	struct stress_block slot[STRESS_SLOTS];
};

struct stress_thread {
	pthread_t tid;
	unsigned int id;
	struct stress_shared *sh;
	struct ktap_rng rng;
	struct stress_block live[STRESS_LOCAL];
	unsigned int nr_live;
	unsigned long next_seq;
	unsigned long allocs;
	unsigned long failures;
	unsigned long cross_frees;
	unsigned long corrupt;
};

/* Free a block this thread holds, whoever allocated it. */
static void stress_release(struct stress_thread *th,
			   const struct stress_block *b)
{
	if (!block_verify(b->addr, b->order, b->tag))
		th->corrupt++;
	if (b->owner != th->id)
		th->cross_frees++;
	kslab_free_pages(b->addr, b->order);
}

static void stress_alloc(struct stress_thread *th)
{
	unsigned int order = random_order(&th->rng);
	gfp_t gfp = ktap_rng_below(&th->rng, 2) ? GFP_KERNEL : GFP_ATOMIC;
	struct stress_block *b;
	struct kslab_page *page;
	void *addr;

	addr = kslab_zone_alloc_pages(th->sh->zone, gfp, order);
	if (!addr) {
		th->failures++;
		return;
	}
	page = kslab_virt_to_page(addr);
	if (!page || page->state != KSLAB_PAGE_HEAD || page->order != order ||
	    (unsigned long)addr & ((KSLAB_PAGE_SIZE << order) - 1))
		th->corrupt++;
	b = &th->live[th->nr_live++];
	b->addr = addr;
	b->order = order;
	b->owner = th->id;
	/* Unique across threads: the low bits name the thread. */
	b->tag = ++th->next_seq * STRESS_MAX_THREADS + th->id;
	block_fill(addr, order, b->tag);
	th->allocs++;
}

/* Put live[i] in a random slot; free what was there, from any thread. */
static void stress_exchange(struct stress_thread *th, unsigned int i)
{
	struct stress_shared *sh = th->sh;
	unsigned int s = ktap_rng_below(&th->rng, STRESS_SLOTS);
	struct stress_block mine = th->live[i], theirs;

	th->live[i] = th->live[--th->nr_live];
	pthread_mutex_lock(&sh->lock);
	theirs = sh->slot[s];
	sh->slot[s] = mine;
	pthread_mutex_unlock(&sh->lock);
	if (theirs.addr)
		stress_release(th, &theirs);
}

static void *stress_thread_fn(void *arg)
{
	struct stress_thread *th = arg;
	unsigned long op;

	/* Start together, or early threads finish before late ones begin. */
	while (!__atomic_load_n(&th->sh->go, __ATOMIC_ACQUIRE))
		sched_yield();
	for (op = 0; op < STRESS_OPS; op++) {
		unsigned long r = ktap_rng_below(&th->rng, 10);
		unsigned int i;

		/*
		 * A thread's whole run may fit in one time slice; yielding
		 * now and then makes the threads interleave, so they really
		 * free each other's blocks while the others allocate.
		 */
		if (op % STRESS_YIELD_EVERY == 0)
			sched_yield();
		if (!th->nr_live || (r < 5 && th->nr_live < STRESS_LOCAL)) {
			stress_alloc(th);
			continue;
		}
		i = ktap_rng_below(&th->rng, th->nr_live);
		if (r < 7) {
			stress_exchange(th, i);
		} else {
			stress_release(th, &th->live[i]);
			th->live[i] = th->live[--th->nr_live];
		}
	}
	while (th->nr_live)
		stress_release(th, &th->live[--th->nr_live]);
	return NULL;
}

/* Free what the threads left in the exchange, as an extra "thread". */
static void stress_drain_slots(struct stress_shared *sh,
			       struct stress_thread *th)
{
	unsigned int s;

	for (s = 0; s < STRESS_SLOTS; s++)
		if (sh->slot[s].addr)
			stress_release(th, &sh->slot[s]);
}

static void stress_expect_results(struct ktap_test *t,
				  struct stress_thread *th, unsigned int n)
{
	unsigned long allocs = 0, cross = 0, corrupt = 0;
	unsigned int i;

	for (i = 0; i <= n; i++) {
		allocs += th[i].allocs;
		corrupt += th[i].corrupt;
		if (i < n)
			cross += th[i].cross_frees;
	}
	ktap_diag("%u threads: %lu allocations, %lu cross-thread frees",
		  n, allocs, cross);
	KTAP_EXPECT_EQ(t, corrupt, 0);
	KTAP_EXPECT(t, allocs > n * STRESS_OPS / 4);
	KTAP_EXPECT(t, cross > 0);
}

static void run_stress(struct ktap_test *t, unsigned int n)
{
	struct test_zone *tz = test_zone_create(t, "stress",
						STRESS_MAX_CHUNKS, 2);
	struct stress_thread th[STRESS_MAX_THREADS + 1] = {};
	struct stress_shared sh = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct kslab_buddy_stats stats;
	unsigned int i, started = 0;

	if (!tz)
		return;
	sh.zone = tz->zone;
	for (i = 0; i <= n; i++) {
		th[i].id = i;
		th[i].sh = &sh;
		ktap_rng_seed(&th[i].rng, 0x7e57ULL * (n + 1) + i);
	}
	for (i = 0; i < n; i++)
		if (KTAP_EXPECT(t, !pthread_create(&th[i].tid, NULL,
						   stress_thread_fn, &th[i])))
			started++;
	__atomic_store_n(&sh.go, true, __ATOMIC_RELEASE);
	for (i = 0; i < started; i++)
		pthread_join(th[i].tid, NULL);
	stress_drain_slots(&sh, &th[n]);

	stress_expect_results(t, th, n);
	stats = zone_stats(tz->zone);
	KTAP_EXPECT_EQ(t, stats.free_pages, stats.managed_pages);
	KTAP_EXPECT_EQ(t, stats.events.bad_frees, 0);
	test_zone_destroy(t, tz);
}

static void test_threads_2(struct ktap_test *t)
{
	run_stress(t, 2);
}

static void test_threads_4(struct ktap_test *t)
{
	run_stress(t, 4);
}

static void test_threads_8(struct ktap_test *t)
{
	run_stress(t, 8);
}

/* ------------------------------------------------------------------ */
/* Resident memory                                                     */
/* ------------------------------------------------------------------ */

#define RSS_TOTAL	(256UL << 20)
#define RSS_RISE_MIN	(200UL << 20)
#define RSS_SLACK	(16UL << 20)
#define RSS_BIG		(RSS_TOTAL / 2 / KSLAB_CHUNK_SIZE)
#define RSS_SMALL	(RSS_TOTAL / 2 / KSLAB_PAGE_SIZE)

/* Resident bytes of this process, or 0 if /proc cannot tell. */
static unsigned long rss_bytes(void)
{
	unsigned long size, resident;
	FILE *f = fopen("/proc/self/statm", "r");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "%lu %lu", &size, &resident);
	fclose(f);
	return n == 2 ? resident * (unsigned long)sysconf(_SC_PAGESIZE) : 0;
}

/* Allocate @n blocks of @order and write to every page of each. */
static unsigned long rss_fill(struct kslab_zone *zone, void **blocks,
			      unsigned long n, unsigned int order)
{
	unsigned long i, off;

	for (i = 0; i < n; i++) {
		blocks[i] = kslab_zone_alloc_pages(zone, GFP_KERNEL, order);
		if (!blocks[i])
			break;
		for (off = 0; off < KSLAB_PAGE_SIZE << order;
		     off += KSLAB_PAGE_SIZE)
			((volatile char *)blocks[i])[off] = 1;
	}
	return i;
}

static void rss_free(void **blocks, unsigned long n, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		kslab_free_pages(blocks[i], order);
}

static void test_rss_returns_to_os(struct ktap_test *t)
{
	void **big = calloc(RSS_BIG, sizeof(void *));
	void **small = calloc(RSS_SMALL, sizeof(void *));
	unsigned long start, full, end, nr_big, nr_small;
	struct test_zone *tz = NULL;

	start = rss_bytes();
	if (!start) {
		ktap_skip(t, "/proc/self/statm unreadable");
		goto out;
	}
	tz = test_zone_create(t, "rss", 0, 0);
	if (!tz || !KTAP_EXPECT(t, big && small))
		goto out;
	nr_big = rss_fill(tz->zone, big, RSS_BIG, KSLAB_MAX_ORDER);
	nr_small = rss_fill(tz->zone, small, RSS_SMALL, 0);
	full = rss_bytes();
	KTAP_EXPECT_EQ(t, nr_big, RSS_BIG);
	KTAP_EXPECT_EQ(t, nr_small, RSS_SMALL);
	KTAP_EXPECT_EQ(t, zone_stats(tz->zone).nr_chunks,
		       RSS_TOTAL / KSLAB_CHUNK_SIZE);
	ktap_check(t, full >= start + RSS_RISE_MIN, __FILE__, __LINE__,
		   "RSS rose from %lu to %lu KiB", start >> 10, full >> 10);

	rss_free(big, nr_big, KSLAB_MAX_ORDER);
	rss_free(small, nr_small, 0);
	end = rss_bytes();
	KTAP_EXPECT_EQ(t, zone_stats(tz->zone).nr_chunks, 0);
	KTAP_EXPECT_EQ(t, tz->src.take_backs, RSS_TOTAL / KSLAB_CHUNK_SIZE);
	ktap_check(t, end <= start + RSS_SLACK, __FILE__, __LINE__,
		   "RSS fell back from %lu to %lu KiB (start %lu KiB)",
		   full >> 10, end >> 10, start >> 10);
out:
	if (tz)
		test_zone_destroy(t, tz);
	free(big);
	free(small);
}

static const struct ktap_case buddy_user_cases[] = {
	{ "page_desc_malloc", test_page_desc_malloc },
	{ "bad_free_malloc", test_bad_free_malloc },
	{ "threads_2", test_threads_2 },
	{ "threads_4", test_threads_4 },
	{ "threads_8", test_threads_8 },
	{ "rss_returns_to_os", test_rss_returns_to_os },
};

static const struct ktap_suite buddy_user_suite =
	KTAP_SUITE("buddy_user", buddy_user_cases);

int main(void)
{
	const struct ktap_suite suites[] = {
		buddy_split_suite, buddy_limits_suite, buddy_model_suite,
		buddy_bad_free_suite, buddy_checker_suite, buddy_user_suite,
	};

	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
