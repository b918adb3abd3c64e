// SPDX-License-Identifier: GPL-2.0
/*
 * Buddy allocator tests that only make sense in userspace, and the test
 * program's main().
 *
 * Covered: malloc'd memory is foreign to kslab (descriptor lookup and
 * frees), several threads allocating and freeing on one zone with blocks
 * handed between them, chunks given back really leaving the process's
 * resident set, and the environment populating what it is asked to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <kslab/buddy.h>

#include "../../mm/slab.h"
#include "../../mm/zone.h"
#include "../process.h"
#include "../stress.h"
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
#define STRESS_MAX_CHUNKS	32
#define STRESS_YIELD_EVERY	16

/* Blocks of random orders, every page marked with the item's tag. */
static bool stress_block_alloc(struct stress_thread *th,
			       struct stress_item *item)
{
	struct kslab_zone *zone = th->ctx;
	unsigned int order = random_order(&th->rng);
	gfp_t gfp = ktap_rng_below(&th->rng, 2) ? GFP_KERNEL : GFP_ATOMIC;
	struct kslab_page *page;
	void *addr;

	addr = kslab_zone_alloc_pages(zone, gfp, order);
	if (!addr)
		return true;
	page = kslab_virt_to_page(addr);
	item->addr = addr;
	item->order = order;
	block_fill(addr, order, item->tag);
	return page && page->state == KSLAB_PAGE_HEAD && page->order == order &&
	       !((unsigned long)addr & ((KSLAB_PAGE_SIZE << order) - 1));
}

static bool stress_block_release(struct stress_thread *th,
				 const struct stress_item *item)
{
	bool intact = block_verify(item->addr, item->order, item->tag);

	(void)th;	/* a block finds its zone from its address */
	kslab_free_pages(item->addr, item->order);
	return intact;
}

static const struct stress_ops stress_block_ops = {
	.alloc = stress_block_alloc,
	.release = stress_block_release,
};

static void run_stress(struct ktap_test *t, unsigned int n)
{
	struct test_zone *tz = test_zone_create(t, "stress",
						STRESS_MAX_CHUNKS, 2);
	struct stress_config cfg = {
		.ops = &stress_block_ops,
		.nr_threads = n,
		.nr_ops = STRESS_OPS,
		.yield_every = STRESS_YIELD_EVERY,
		.seed = 0x7e57,
	};
	struct kslab_buddy_stats stats;

	if (!tz)
		return;
	/* The zone is capped, so an allocation may fail: no check on that. */
	cfg.ctx = tz->zone;
	stress_run(t, &cfg);
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

	if (!KTAP_EXPECT(t, arena_rss(&start)))
		goto out;
	tz = test_zone_create(t, "rss", 0, 0);
	if (!tz || !KTAP_EXPECT(t, big && small))
		goto out;
	nr_big = rss_fill(tz->zone, big, RSS_BIG, KSLAB_MAX_ORDER);
	nr_small = rss_fill(tz->zone, small, RSS_SMALL, 0);
	arena_rss(&full);
	KTAP_EXPECT_EQ(t, nr_big, RSS_BIG);
	KTAP_EXPECT_EQ(t, nr_small, RSS_SMALL);
	KTAP_EXPECT_EQ(t, zone_stats(tz->zone).nr_chunks,
		       RSS_TOTAL / KSLAB_CHUNK_SIZE);
	ktap_check(t, full >= start + RSS_RISE_MIN, __FILE__, __LINE__,
		   "RSS rose from %lu to %lu KiB", start >> 10, full >> 10);

	rss_free(big, nr_big, KSLAB_MAX_ORDER);
	rss_free(small, nr_small, 0);
	arena_rss(&end);
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

#define DISCARD_CHUNKS	16

/*
 * Chunks a zone keeps free stay resident until discarded; then they stay
 * the zone's (and mapped) but their memory goes back, and they still work.
 */
static void test_discard_kept_chunks(struct ktap_test *t)
{
	struct kslab_zone_params params = { .keep_free_chunks = DISCARD_CHUNKS };
	struct kslab_zone *zone = kslab_zone_create("discard", &params);
	unsigned long start, full, kept, discarded, n;
	void *blocks[DISCARD_CHUNKS];

	KTAP_ASSERT(t, zone);
	if (!KTAP_EXPECT(t, arena_rss(&start)))
		goto out;
	n = rss_fill(zone, blocks, DISCARD_CHUNKS, KSLAB_MAX_ORDER);
	KTAP_EXPECT_EQ(t, n, DISCARD_CHUNKS);
	arena_rss(&full);
	rss_free(blocks, n, KSLAB_MAX_ORDER);
	arena_rss(&kept);
	KTAP_EXPECT_EQ(t, zone_stats(zone).nr_chunks, DISCARD_CHUNKS);
	ktap_check(t, kept + RSS_SLACK >= full, __FILE__, __LINE__,
		   "kept chunks stay resident: %lu -> %lu KiB", full >> 10,
		   kept >> 10);

	KTAP_EXPECT_EQ(t, kslab_zone_discard_free(zone), DISCARD_CHUNKS);
	arena_rss(&discarded);
	KTAP_EXPECT_EQ(t, zone_stats(zone).nr_chunks, DISCARD_CHUNKS);
	KTAP_EXPECT_EQ(t, zone_stats(zone).free_blocks[KSLAB_MAX_ORDER],
		       DISCARD_CHUNKS);
	KTAP_EXPECT_EQ(t, kslab_zone_check(zone), 0);
	ktap_check(t, discarded <= start + RSS_SLACK, __FILE__, __LINE__,
		   "RSS after discard %lu KiB, started at %lu KiB",
		   discarded >> 10, start >> 10);

	/* A discarded chunk serves the next allocation as before. */
	n = rss_fill(zone, blocks, 1, KSLAB_MAX_ORDER);
	KTAP_EXPECT_EQ(t, n, 1);
	KTAP_EXPECT_EQ(t, zone_stats(zone).events.chunks_granted, DISCARD_CHUNKS);
	rss_free(blocks, n, KSLAB_MAX_ORDER);
out:
	kslab_zone_destroy(zone);
}

#define FIRST_ALLOC_ARG	"--first-alloc-no-flags"

/* In a fresh process: the very first chunk, asked for with no gfp flags. */
static int first_alloc_no_flags(void)
{
	void *p = kslab_alloc_pages(0, 0);

	printf("%s\n", p ? "allocated" : "NULL");
	kslab_free_pages(p, 0);
	return 0;
}

/*
 * gfp 0 (no flags: may not sleep, may not dip into reserves) is still an
 * allocation: even the first chunk of an empty page map is made for it.
 */
static void test_no_gfp_flags_allocate(struct ktap_test *t)
{
	struct capture c;

	KTAP_ASSERT(t, capture_self(&c, FIRST_ALLOC_ARG, environ));
	ktap_check(t, !strcmp(c.out, "allocated\n"), __FILE__, __LINE__,
		   "first allocation with gfp 0: %s %s", c.out, c.err);
}

/*
 * The page map takes a chunk for a free slot in one atomic step, and
 * refuses a second chunk for a slot already taken. The chunks here are
 * descriptors of address space reserved and never used.
 */
static void test_pagemap_refuses_taken_slot(struct ktap_test *t)
{
	struct kslab_chunk *first = calloc(1, sizeof(*first));
	struct kslab_chunk *second = calloc(1, sizeof(*second));
	void *space = mmap(NULL, 2 * KSLAB_CHUNK_SIZE, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	unsigned long base;

	KTAP_ASSERT(t, first && second && space != MAP_FAILED);
	base = KSLAB_ALIGN_UP((unsigned long)space, KSLAB_CHUNK_SIZE);
	first->base = second->base = base;
	KTAP_EXPECT(t, !kslab_pagemap_lookup(base));
	if (KTAP_EXPECT_EQ(t, kslab_pagemap_insert(first, GFP_KERNEL), 0)) {
		KTAP_EXPECT_EQ(t, kslab_pagemap_insert(second, GFP_KERNEL), -1);
		KTAP_EXPECT(t, kslab_pagemap_lookup(base + KSLAB_PAGE_SIZE) ==
			       first);
		kslab_pagemap_remove(first);
	}
	KTAP_EXPECT(t, !kslab_pagemap_lookup(base));
	munmap(space, 2 * KSLAB_CHUNK_SIZE);
	free(first);
	free(second);
}

#define POPULATE_ARG	"--populate-resident"
#define GROUP_PAGES	(1UL << KSLAB_POPULATE_ORDER)
#define GROUP_BYTES	(KSLAB_PAGE_SIZE * GROUP_PAGES)
/* The chunk descriptor's bytes up to the middle page's, populated ahead. */
#define DESC_HEAD_BYTES	KSLAB_ALIGN_UP(__builtin_offsetof(struct kslab_chunk, \
				pages[KSLAB_CHUNK_PAGES / 2 + 1]), KSLAB_PAGE_SIZE)
#define DESC_BYTES	KSLAB_ALIGN_UP(sizeof(struct kslab_chunk), KSLAB_PAGE_SIZE)

/*
 * In a fresh process with 4 KiB pages: the first page of a new zone's
 * chunk, unwritten; print how many pages of its group are resident, then
 * how many once a second page is taken, and of the next group, and of
 * the chunk descriptor's head and the rest.
 */
static int populate_resident(void)
{
	struct kslab_zone *zone = kslab_zone_create("populate-env", NULL);
	void *page = zone ? kslab_zone_alloc_pages(zone, GFP_KERNEL, 0) : NULL;
	unsigned long alone;
	void *second;
	char *desc;

	if (!page) {
		printf("no page\n");
		return 1;
	}
	alone = resident_pages(page, GROUP_BYTES);
	second = kslab_zone_alloc_pages(zone, GFP_KERNEL, 0);
	desc = (char *)kslab_page_chunk(kslab_virt_to_page(page));
	printf("%lu %lu %lu desc %lu %lu\n", alone,
	       resident_pages(page, GROUP_BYTES),
	       resident_pages((char *)page + GROUP_BYTES, GROUP_BYTES),
	       resident_pages(desc, DESC_HEAD_BYTES),
	       resident_pages(desc + DESC_HEAD_BYTES,
			      DESC_BYTES - DESC_HEAD_BYTES));
	if (second)
		kslab_free_pages(second, 0);
	kslab_free_pages(page, 0);
	kslab_zone_destroy(zone);
	return 0;
}

/*
 * The environment's page source populates: a chunk's first block makes
 * its own page resident before anything writes it, and the second block
 * the whole group, and only its group. The chunk's fresh descriptor has
 * the head its first split writes in scattered places populated in one
 * step, and only the head: of its pages, the split itself writes all but
 * one (mm/buddy.c, zone_grow()).
 */
static void test_populate_makes_resident(struct ktap_test *t)
{
	char *envp[] = { "KSLAB_THP=off", NULL };
	char expected[64];
	struct capture c;

	snprintf(expected, sizeof(expected), "1 %lu 0 desc %lu 0\n",
		 GROUP_PAGES, DESC_HEAD_BYTES / KSLAB_PAGE_SIZE);
	KTAP_ASSERT(t, capture_self(&c, POPULATE_ARG, envp));
	ktap_check(t, !strcmp(c.out, expected), __FILE__, __LINE__,
		   "resident pages of the group, alone and after a second block, the next group and the descriptor: %s %s",
		   c.out, c.err);
}

#define SLAB_POPULATE_ARG	"--slab-populate"
#define SLAB_POPULATE_SIZE	1400	/* 23 objects to an 8-page slab */

/* How many pages of the slab that holds @obj are resident. */
static unsigned long slab_resident(const struct kslab_cache *cache,
				   const void *obj)
{
	unsigned long bytes = KSLAB_PAGE_SIZE << cache->order;

	return resident_pages((void *)((unsigned long)obj & ~(bytes - 1)),
			      bytes);
}

/*
 * In a fresh process: a cache of 8-page slabs; print its order, how many
 * pages of its first slab are resident once an object came out of it,
 * and how many of its second slab's are as soon as that slab exists.
 */
static int slab_populate(void)
{
	struct kslab_cache *cache = kslab_cache_create("populate-slab",
						       SLAB_POPULATE_SIZE,
						       NULL, 0);
	unsigned long first_pages, second_pages = 0, mask, i, n = 0;
	void *objs[64], *first;

	if (!cache || !(first = kslab_cache_alloc(cache, GFP_KERNEL)))
		return 1;
	objs[n++] = first;
	first_pages = slab_resident(cache, first);
	mask = ~((KSLAB_PAGE_SIZE << cache->order) - 1);
	for (i = 1; i < KSLAB_ARRAY_SIZE(objs); i++) {
		objs[n] = kslab_cache_alloc(cache, GFP_KERNEL);
		if (!objs[n])
			break;
		if (((unsigned long)objs[n++] & mask) !=
		    ((unsigned long)first & mask)) {
			second_pages = slab_resident(cache, objs[n - 1]);
			break;
		}
	}
	printf("order %u first %lu second %lu\n", cache->order, first_pages,
	       second_pages);
	while (n)
		kslab_cache_free(cache, objs[--n]);
	kslab_cache_destroy(cache);
	return 0;
}

/*
 * A cache's first multi-page slab keeps only the pages it touched; once
 * the cache is in use its next slab is populated whole as it is made
 * (mm/buddy.c, "Populating", __GFP_WRITE from mm/slab.c).
 */
static void test_slab_populate_in_use(struct ktap_test *t)
{
	char *envp[] = { "KSLAB_THP=off", NULL };
	unsigned long first, second;
	unsigned int order;
	struct capture c;

	KTAP_ASSERT(t, capture_self(&c, SLAB_POPULATE_ARG, envp));
	if (!ktap_check(t, sscanf(c.out, "order %u first %lu second %lu",
				  &order, &first, &second) == 3,
			__FILE__, __LINE__, "probe: \"%s\" %s", c.out, c.err))
		return;
	KTAP_ASSERT(t, order == KSLAB_POPULATE_ORDER);
	ktap_check(t, first < GROUP_PAGES / 2, __FILE__, __LINE__,
		   "first slab: %lu of %lu pages resident", first, GROUP_PAGES);
	KTAP_EXPECT_EQ(t, second, GROUP_PAGES);
}

#define PINNED_CHUNKS	16
#define PINNED_PAGES	(PINNED_CHUNKS * KSLAB_CHUNK_PAGES)

/*
 * A page kept in each chunk pins it: no chunk is wholly free, none can be
 * given back. Discarding the free blocks still gives their memory back.
 */
static void test_discard_pinned_chunks(struct ktap_test *t)
{
	struct kslab_zone *zone = kslab_zone_create("pinned", NULL);
	void **pages = calloc(PINNED_PAGES, sizeof(void *));
	unsigned long full, discarded, n, i, kept = 0;

	KTAP_ASSERT(t, zone);
	n = pages ? rss_fill(zone, pages, PINNED_PAGES, 0) : 0;
	KTAP_EXPECT_EQ(t, n, PINNED_PAGES);
	/* Keep each chunk's first page, free every other one. */
	for (i = 0; i < n; i++) {
		if (!((unsigned long)pages[i] & (KSLAB_CHUNK_SIZE - 1))) {
			pages[kept++] = pages[i];
			continue;
		}
		kslab_free_pages(pages[i], 0);
	}
	KTAP_EXPECT_EQ(t, kept, PINNED_CHUNKS);
	KTAP_EXPECT_EQ(t, zone_stats(zone).nr_chunks, PINNED_CHUNKS);
	if (!KTAP_EXPECT(t, arena_rss(&full)))
		goto out;
	KTAP_EXPECT(t, kslab_zone_discard_free(zone) >= PINNED_CHUNKS);
	arena_rss(&discarded);
	ktap_check(t, full - discarded >= PINNED_CHUNKS * KSLAB_CHUNK_SIZE * 3 / 4,
		   __FILE__, __LINE__, "discard gave back %lu of %lu KiB",
		   (full - discarded) >> 10,
		   (PINNED_CHUNKS * KSLAB_CHUNK_SIZE) >> 10);
	KTAP_EXPECT_EQ(t, kslab_zone_check(zone), 0);
out:
	for (i = 0; i < kept; i++)
		kslab_free_pages(pages[i], 0);
	free(pages);
	kslab_zone_destroy(zone);
}

static const struct ktap_case buddy_user_cases[] = {
	{ "discard_pinned_chunks", test_discard_pinned_chunks },
	{ "no_gfp_flags_allocate", test_no_gfp_flags_allocate },
	{ "page_desc_malloc", test_page_desc_malloc },
	{ "bad_free_malloc", test_bad_free_malloc },
	{ "threads_2", test_threads_2 },
	{ "threads_4", test_threads_4 },
	{ "threads_8", test_threads_8 },
	{ "rss_returns_to_os", test_rss_returns_to_os },
	{ "discard_kept_chunks", test_discard_kept_chunks },
	{ "populate_makes_resident", test_populate_makes_resident },
	{ "slab_populate_in_use", test_slab_populate_in_use },
	{ "pagemap_refuses_taken_slot", test_pagemap_refuses_taken_slot },
};

static const struct ktap_suite buddy_user_suite =
	KTAP_SUITE("buddy_user", buddy_user_cases);

int main(int argc, char **argv)
{
	const struct ktap_suite suites[] = {
		buddy_split_suite, buddy_limits_suite, buddy_model_suite,
		buddy_bad_free_suite, buddy_checker_suite, buddy_populate_suite,
		buddy_user_suite,
	};

	if (argc > 1 && !strcmp(argv[1], FIRST_ALLOC_ARG))
		return first_alloc_no_flags();
	if (argc > 1 && !strcmp(argv[1], POPULATE_ARG))
		return populate_resident();
	if (argc > 1 && !strcmp(argv[1], SLAB_POPULATE_ARG))
		return slab_populate();
	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
