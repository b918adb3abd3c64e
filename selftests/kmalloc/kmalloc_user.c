// SPDX-License-Identifier: GPL-2.0
/*
 * kmalloc under threads (suite kmalloc_user): mixed sizes, from every
 * kind of memory, freed mostly by another thread than their allocator's,
 * each checked intact before its free; every cache and the zone are
 * consistent afterwards. A freed large block's memory kept, reused and
 * given back by the reap; a large block untouched until written and given
 * back at its first free.
 * Then shutdown, as the kernel module unloads.
 * Also main() for the kmalloc test program.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <kslab/buddy.h>
#include <kslab/kmalloc.h>

#include "../../mm/kmalloc.h"
#include "../../mm/slab.h"
#include "../capture.h"
#include "../process.h"
#include "../stress.h"
#include "kmalloc_tests.h"

#define THREADS		4
#define OPS		20000
/* One item in this many is large: a buddy block or the environment's. */
#define LARGE_EVERY	500

static size_t item_size(struct stress_thread *th, unsigned long tag)
{
	if (tag % LARGE_EVERY == 0)
		return (tag / LARGE_EVERY) % 2 ? 100000 : 5UL << 20;
	return 1 + ktap_rng_below(&th->rng, 2048);
}

/* Bytes of the tag at the start of an item of @size. */
static size_t head_bytes(size_t size)
{
	return size < sizeof(unsigned long) ? size : sizeof(unsigned long);
}

/* Mark the item: the tag's bytes first, its low byte last if beyond them. */
static bool kmalloc_item_alloc(struct stress_thread *th,
			       struct stress_item *item)
{
	size_t size = item_size(th, item->tag);
	unsigned char *p = kslab_kmalloc(size, GFP_KERNEL);

	item->addr = p;
	if (!p)
		return true;
	item->order = (unsigned int)size;
	kslab_memcpy(p, &item->tag, head_bytes(size));
	if (size > sizeof(unsigned long))
		p[size - 1] = (unsigned char)item->tag;
	return kslab_ksize(p) >= size;
}

static bool kmalloc_item_release(struct stress_thread *th,
				 const struct stress_item *item)
{
	size_t size = item->order;
	unsigned char *p = item->addr;
	bool intact = !kslab_memcmp(p, &item->tag, head_bytes(size)) &&
		      (size <= sizeof(unsigned long) ||
		       p[size - 1] == (unsigned char)item->tag);

	(void)th;
	kslab_kfree(p);
	return intact;
}

static const struct stress_ops kmalloc_stress_ops = {
	.alloc = kmalloc_item_alloc,
	.release = kmalloc_item_release,
};

static void test_threads_mixed_sizes(struct ktap_test *t)
{
	struct stress_config cfg = {
		.ops = &kmalloc_stress_ops,
		.nr_threads = THREADS,
		.nr_ops = OPS,
		.yield_every = 64,
		.seed = 0x6b6d616c6c6f63ULL,
	};
	struct stress_counts counts = stress_run(t, &cfg);

	KTAP_EXPECT_EQ(t, counts.failures, 0);
	KTAP_EXPECT_EQ(t, kslab_check_all(), 0);
}

/*
 * Shutdown, as the kernel module unloads: after every user cache is gone
 * it gives every chunk back; a cache left over is reported by name with
 * its objects, and keeps its memory. In a child, as it ends kslab.
 */
static void shutdown_clean(void *unused)
{
	struct kslab_cache *cache = kslab_cache_create("t-shutdown", 300, NULL, 0);
	struct kslab_buddy_stats bs;
	void *obj = kslab_cache_alloc(cache, GFP_KERNEL);
	void *p = kslab_kmalloc(5000, GFP_KERNEL);

	(void)unused;
	kslab_kfree(p);
	kslab_cache_free(cache, obj);
	kslab_cache_destroy(cache);
	printf("problems=%lu", kslab_shutdown());
	kslab_buddy_stats(&bs);
	printf(" pages=%lu\n", bs.managed_pages);
}

static void shutdown_leaky(void *unused)
{
	struct kslab_cache *cache = kslab_cache_create("t-leaky", 300, NULL, 0);

	(void)unused;
	kslab_cache_alloc(cache, GFP_KERNEL);
	printf("problems=%lu\n", kslab_shutdown());
}

static void test_shutdown(struct ktap_test *t)
{
	struct capture c;

	KTAP_ASSERT(t, capture_fork(&c, shutdown_clean, NULL));
	KTAP_EXPECT(t, WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0);
	ktap_check(t, !strcmp(c.out, "problems=0 pages=0\n"), __FILE__, __LINE__,
		   "clean shutdown gave everything back: %s %s", c.out, c.err);
	KTAP_ASSERT(t, capture_fork(&c, shutdown_leaky, NULL));
	KTAP_EXPECT(t, !strcmp(c.out, "problems=1\n"));
	ktap_check(t, strstr(c.err, "BUG t-leaky: cache still exists at unload, 1 objects allocated") != NULL,
		   __FILE__, __LINE__, "leftover cache reported: %s", c.err);
}

#define KEPT_BYTES	(6UL << 20)

/*
 * A freed large block's memory is kept: the next one gets it back
 * resident and zeroed as kzalloc asks; it survives one reap pass and goes
 * back to the system at the second.
 */
static void test_large_kept(struct ktap_test *t)
{
	unsigned long pages = KEPT_BYTES / KSLAB_PAGE_SIZE;
	char *p, *q;

	/* Two passes: nothing kept from earlier tests is left to choose from. */
	kslab_reap_all();
	kslab_reap_all();
	p = kslab_kmalloc(KEPT_BYTES, GFP_KERNEL);
	KTAP_ASSERT(t, p != NULL);
	memset(p, 0x77, KEPT_BYTES);
	kslab_kfree(p);
	KTAP_EXPECT_EQ(t, resident_pages(p, KEPT_BYTES), pages);
	q = kslab_kzalloc(KEPT_BYTES, GFP_KERNEL);
	KTAP_ASSERT(t, q != NULL);
	KTAP_EXPECT(t, q == p);
	KTAP_EXPECT_EQ(t, resident_pages(q, KEPT_BYTES), pages);
	KTAP_EXPECT(t, q[0] == 0 && q[KEPT_BYTES / 2] == 0 && q[KEPT_BYTES - 1] == 0);
	kslab_kfree(q);
	kslab_reap_all();
	KTAP_EXPECT_EQ(t, resident_pages(q, KEPT_BYTES), pages);
	kslab_reap_all();
	KTAP_EXPECT_EQ(t, resident_pages(q, KEPT_BYTES), 0);
}

/*
 * A block freed, given back to its slab (a shrink) and then freed again:
 * the second free leaves a copy in the magazine and the block free in
 * its slab. Whichever is taken first goes out once; the other is found
 * without the free tag, reported and kept out, so the next allocations
 * get distinct blocks, and the slabs stay sound.
 */
static void test_double_free_after_shrink(struct ktap_test *t)
{
	struct report_capture cap;
	char *p = kslab_kmalloc(40, GFP_KERNEL);
	char *q = kslab_kmalloc(40, GFP_KERNEL);	/* keeps the slab */
	char *a, *b, *c;

	KTAP_ASSERT(t, p && q);
	KTAP_ASSERT(t, kslab_obj_to_slab(p) == kslab_obj_to_slab(q));
	kslab_kfree(p);
	kslab_cache_shrink(kslab_kmalloc_cache(40));
	capture_start(&cap);
	kslab_kfree(p);
	a = kslab_kmalloc(40, GFP_KERNEL);
	b = kslab_kmalloc(40, GFP_KERNEL);
	c = kslab_kmalloc(40, GFP_KERNEL);
	kslab_cache_shrink(kslab_kmalloc_cache(40));
	capture_stop(&cap);
	KTAP_EXPECT(t, a && b && c && a != b && b != c && a != c);
	KTAP_EXPECT_EQ(t, cap.seen, 1);
	if (cap.seen)
		EXPECT_CONTAINS(t, cap.msg[0], "double free");
	kslab_kfree(a);
	kslab_kfree(b);
	kslab_kfree(c);
	kslab_kfree(q);
	KTAP_EXPECT_EQ(t, kslab_check_all(), 0);
}

#define FRESH_ARG	"--fresh-blocks"
#define FRESH_BYTES	(1UL << 20)	/* an order-8 block */

/*
 * In a fresh process: a zeroed block of 1 MiB is zero and, until written,
 * holds no pages, and its first free gives them back; once a block of its
 * order has been freed, the next is zeroed by writing and its free keeps
 * its pages. Prints the resident pages at each step.
 */
static int fresh_blocks(void)
{
	unsigned long fresh, first_freed, reused, second_freed;
	char *p = kslab_kzalloc(FRESH_BYTES, GFP_KERNEL), *q;
	int zero;

	if (!p)
		return 1;
	fresh = resident_pages(p, FRESH_BYTES);
	memset(p, 0x55, FRESH_BYTES);
	kslab_kfree(p);
	first_freed = resident_pages(p, FRESH_BYTES);
	q = kslab_kzalloc(FRESH_BYTES, GFP_KERNEL);
	if (!q)
		return 1;
	reused = resident_pages(q, FRESH_BYTES);
	zero = q[0] == 0 && q[FRESH_BYTES / 2] == 0 && q[FRESH_BYTES - 1] == 0;
	memset(q, 0x55, FRESH_BYTES);
	kslab_kfree(q);
	second_freed = resident_pages(q, FRESH_BYTES);
	printf("fresh %lu first_freed %lu reused %lu second_freed %lu of %lu zero %d\n",
	       fresh, first_freed, reused, second_freed,
	       FRESH_BYTES / KSLAB_PAGE_SIZE, zero);
	return 0;
}

/*
 * Large blocks of a size the program has not freed before are treated as
 * fresh mappings: zeroed by discarding their pages, so memory nobody
 * wrote costs nothing (a sparse table calloc'd large), and given back at
 * their free, so blocks of a growing table do not stay resident. After a
 * free of their size, a calloc and free loop keeps its pages warm.
 */
static void test_fresh_blocks_untouched(struct ktap_test *t)
{
	unsigned long got[5] = { ~0UL, ~0UL, 0, 0, 0 };
	struct capture c;
	int zero = 0;

	KTAP_ASSERT(t, capture_self(&c, FRESH_ARG, environ));
	KTAP_EXPECT_EQ(t, sscanf(c.out,
				 "fresh %lu first_freed %lu reused %lu second_freed %lu of %lu zero %d",
				 &got[0], &got[1], &got[2], &got[3], &got[4],
				 &zero), 6);
	KTAP_EXPECT_EQ(t, got[4], FRESH_BYTES / KSLAB_PAGE_SIZE);
	KTAP_EXPECT_EQ(t, got[0], 0);
	KTAP_EXPECT_EQ(t, got[1], 0);
	KTAP_EXPECT_EQ(t, got[2], got[4]);
	KTAP_EXPECT_EQ(t, got[3], got[4]);
	KTAP_EXPECT_EQ(t, zero, 1);
}

static const struct ktap_case kmalloc_user_cases[] = {
	{ "double_free_after_shrink", test_double_free_after_shrink },
	{ "threads_mixed_sizes", test_threads_mixed_sizes },
	{ "large_kept", test_large_kept },
	{ "fresh_blocks_untouched", test_fresh_blocks_untouched },
	{ "shutdown", test_shutdown },
};

int main(int argc, char **argv)
{
	const struct ktap_suite suites[] = {
		kmalloc_suite,
		KTAP_SUITE("kmalloc_user", kmalloc_user_cases),
	};

	if (argc > 1 && !strcmp(argv[1], FRESH_ARG))
		return fresh_blocks();
	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
