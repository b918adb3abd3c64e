// SPDX-License-Identifier: GPL-2.0
/*
 * The kmalloc API (suite kmalloc): every size up to the largest class gets
 * its class, aligned and within a quarter (an eighth from 57 bytes) of
 * waste; zero sizes, overflow and NULL behave as documented; larger sizes
 * get buddy blocks and then the environment's memory; krealloc keeps or
 * moves memory as its rule says, with the contents, and grows a buddy
 * block in place where it can; kfree finds every kind
 * and refuses addresses that are none. Portable: kslab headers only.
 */
#include <kslab/buddy.h>
#include <kslab/kmalloc.h>
#include <kslab/slab.h>

#include "../capture.h"
#include "kmalloc_tests.h"

/* The class the documented table gives @size (Documentation/kmalloc.rst). */
static size_t expected_class(size_t size)
{
	size_t step = 8, base = 64;

	if (size <= 64)
		return (size + 7) & ~7UL;
	while (size > base * 2)
		base *= 2;
	step = base / 8;
	return (size + step - 1) / step * step;
}

static size_t natural_align(size_t size)
{
	size_t align = size & -size;

	return align < KSLAB_PAGE_SIZE ? align : KSLAB_PAGE_SIZE;
}

/*
 * Every size from 1 to the largest class: its class, its alignment, no
 * more than a quarter wasted from 25 bytes up and no more than an eighth
 * from 57 up.
 */
static void test_every_size(struct ktap_test *t)
{
	unsigned long wrong_class = 0, misaligned = 0, wasteful = 0, failed = 0;
	size_t size;

	for (size = 1; size <= KSLAB_KMALLOC_MAX_CACHE_SIZE; size++) {
		char *p = kslab_kmalloc(size, GFP_KERNEL);
		size_t usable = kslab_ksize(p);

		if (!p) {
			failed++;
			continue;
		}
		wrong_class += usable != expected_class(size);
		misaligned += ((unsigned long)p & (natural_align(usable) - 1)) != 0;
		wasteful += (size >= 25 && (usable - size) * 4 > usable) ||
			    (size >= 57 && (usable - size) * 8 > usable);
		p[0] = 1;
		p[size - 1] = 2;
		kslab_kfree(p);
	}
	KTAP_EXPECT_EQ(t, failed, 0);
	KTAP_EXPECT_EQ(t, wrong_class, 0);
	KTAP_EXPECT_EQ(t, misaligned, 0);
	KTAP_EXPECT_EQ(t, wasteful, 0);
}

/* Size 0, NULL and the zero-size token, in every function. */
static void test_zero_and_null(struct ktap_test *t)
{
	struct report_capture cap;
	void *p;

	capture_start(&cap);
	KTAP_EXPECT(t, kslab_kmalloc(0, GFP_KERNEL) == KSLAB_ZERO_SIZE_PTR);
	KTAP_EXPECT(t, kslab_kzalloc(0, GFP_KERNEL) == KSLAB_ZERO_SIZE_PTR);
	KTAP_EXPECT(t, kslab_kcalloc(0, 8, GFP_KERNEL) == KSLAB_ZERO_SIZE_PTR);
	KTAP_EXPECT_EQ(t, kslab_ksize(KSLAB_ZERO_SIZE_PTR), 0);
	KTAP_EXPECT_EQ(t, kslab_ksize(NULL), 0);
	kslab_kfree(NULL);
	kslab_kfree(KSLAB_ZERO_SIZE_PTR);
	p = kslab_krealloc(NULL, 40, GFP_KERNEL);
	KTAP_EXPECT_EQ(t, kslab_ksize(p), 40);
	KTAP_EXPECT(t, kslab_krealloc(p, 0, GFP_KERNEL) == KSLAB_ZERO_SIZE_PTR);
	p = kslab_krealloc(KSLAB_ZERO_SIZE_PTR, 8, GFP_KERNEL);
	KTAP_EXPECT_EQ(t, kslab_ksize(p), 8);
	kslab_kfree(p);
	capture_stop(&cap);
	expect_no_report(t, &cap);
}

static bool bytes_are(const unsigned char *p, unsigned char v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* kzalloc and kcalloc zero even reused memory; kcalloc refuses overflow. */
static void test_zeroed(struct ktap_test *t)
{
	static const size_t sizes[] = { 8, 72, 1000, 32768, 40000, 5UL << 20 };
	struct report_capture cap;
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++) {
		unsigned char *p = kslab_kmalloc(sizes[i], GFP_KERNEL);

		if (!KTAP_EXPECT(t, p != NULL))
			continue;
		kslab_memset(p, 0xa5, sizes[i]);
		kslab_kfree(p);
		p = kslab_kzalloc(sizes[i], GFP_KERNEL);
		KTAP_EXPECT(t, p && bytes_are(p, 0, sizes[i]));
		kslab_kfree(p);
		p = kslab_kcalloc(sizes[i] / 8, 8, GFP_KERNEL);
		KTAP_EXPECT(t, p && bytes_are(p, 0, sizes[i] / 8 * 8));
		kslab_kfree(p);
	}
	capture_start(&cap);
	KTAP_EXPECT(t, kslab_kcalloc(~0UL / 2 + 1, 2, GFP_KERNEL) == NULL);
	KTAP_EXPECT(t, kslab_kcalloc(2, ~0UL / 2 + 1, GFP_KERNEL) == NULL);
	KTAP_EXPECT(t, kslab_kmalloc(~0UL, GFP_KERNEL) == NULL);
	capture_stop(&cap);
	expect_no_report(t, &cap);
}

/*
 * Past the classes: power-of-two blocks of pages, aligned to their size,
 * then the environment's memory; each goes back on kfree.
 */
static void test_large(struct ktap_test *t)
{
	static const struct {
		size_t size;
		size_t usable;		/* 0: the environment's, at least size */
	} cases[] = {
		{ KSLAB_KMALLOC_MAX_CACHE_SIZE + 1, 65536 },
		{ 65536, 65536 },
		{ 65537, 131072 },
		{ 1UL << 20, 1UL << 20 },
		{ KSLAB_CHUNK_SIZE, KSLAB_CHUNK_SIZE },
		{ KSLAB_CHUNK_SIZE + 1, 0 },
		{ 3 * KSLAB_CHUNK_SIZE, 0 },
	};
	unsigned long used = buddy_used_pages();
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(cases); i++) {
		size_t size = cases[i].size;
		char *p = kslab_kmalloc(size, GFP_KERNEL);
		size_t usable = kslab_ksize(p);

		if (!KTAP_EXPECT(t, p != NULL))
			continue;
		KTAP_EXPECT_EQ(t, (unsigned long)p & (KSLAB_PAGE_SIZE - 1), 0);
		if (cases[i].usable) {
			KTAP_EXPECT_EQ(t, usable, cases[i].usable);
			KTAP_EXPECT_EQ(t, (unsigned long)p & (usable - 1), 0);
		} else {
			KTAP_EXPECT(t, usable >= size);
		}
		p[0] = 1;
		p[size - 1] = 2;
		kslab_kfree(p);
		KTAP_EXPECT_EQ(t, kslab_ksize(p), 0);
	}
	KTAP_EXPECT_EQ(t, buddy_used_pages(), used);
}

/*
 * krealloc stays in place while the class is the same, and otherwise
 * moves with the contents, up and down, into and out of large memory.
 */
static void test_krealloc(struct ktap_test *t)
{
	static const size_t steps[] = {
		24, 20, 100, 112, 40000, 70000, 5UL << 20, 6UL << 20, 3000, 16,
	};
	size_t old = 30, kept, i;
	unsigned char *p = kslab_kmalloc(old, GFP_KERNEL), *q;

	KTAP_ASSERT(t, p != NULL);
	pattern(p, old, 3, false);
	for (i = 0; i < KSLAB_ARRAY_SIZE(steps); i++) {
		size_t usable = kslab_ksize(p);

		q = kslab_krealloc(p, steps[i], GFP_KERNEL);
		if (!KTAP_EXPECT(t, q != NULL))
			break;
		kept = old < steps[i] ? old : steps[i];
		ktap_check(t, pattern(q, kept, 3, true) == 0, __FILE__, __LINE__,
			   "%zu -> %zu bytes: contents kept", old, steps[i]);
		if (steps[i] <= usable && kslab_ksize(q) == usable)
			KTAP_EXPECT(t, q == p);
		KTAP_EXPECT(t, kslab_ksize(q) >= steps[i]);
		pattern(q, steps[i], 3, false);
		p = q;
		old = steps[i];
	}
	/* Growing with __GFP_ZERO zeroes what lies beyond the old size. */
	q = kslab_krealloc(p, 500, GFP_KERNEL | __GFP_ZERO);
	if (KTAP_EXPECT(t, q != NULL)) {
		KTAP_EXPECT_EQ(t, pattern(q, old, 3, true), 0);
		KTAP_EXPECT(t, bytes_are(q + 32, 0, 500 - 32));
		p = q;
	}
	kslab_kfree(p);
}

/* Is @p on the default zone's free list of @order? */
static bool block_is_free(const void *p, unsigned int order)
{
	void *free[64];
	size_t n, i;

	n = kslab_zone_free_blocks(kslab_default_zone(), order, free,
				   KSLAB_ARRAY_SIZE(free));
	for (i = 0; i < n && i < KSLAB_ARRAY_SIZE(free); i++)
		if (free[i] == p)
			return true;
	return false;
}

#define PAIR_TRIES	16

/*
 * Allocate @size bytes (aligned to @align, if not 0), each an order-@order
 * buddy block, into @held until one is the lower half of a pair whose
 * upper half is free. Return: that one, or NULL; @held keeps the *@n
 * allocated before it, for the caller to free.
 */
static unsigned char *lower_half_of_free_pair(struct ktap_test *t,
					      unsigned char **held,
					      unsigned int *n, size_t size,
					      size_t align, unsigned int order)
{
	size_t block = KSLAB_PAGE_SIZE << order;

	for (*n = 0; *n < PAIR_TRIES; ++*n) {
		held[*n] = align ? kslab_kmalloc_aligned(size, align, GFP_KERNEL) :
				   kslab_kmalloc(size, GFP_KERNEL);
		if (!KTAP_EXPECT(t, held[*n] != NULL))
			return NULL;
		if (!((unsigned long)held[*n] & (2 * block - 1)) &&
		    block_is_free(held[*n] + block, order))
			return held[*n];
	}
	return NULL;
}

/*
 * krealloc grows a whole buddy block in place when the pages after it are
 * free: the same address, the larger block, the contents kept, and the
 * buddy gone from the free list. 40000 bytes take an order-4 block (64
 * KiB), 100000 an order-5 one; blocks are taken until one is the lower
 * half of a pair whose upper half is free.
 */
static void test_krealloc_grows_in_place(struct ktap_test *t)
{
	const size_t small = 40000, large = 100000, block = 16 * KSLAB_PAGE_SIZE;
	unsigned char *held[PAIR_TRIES], *p, *q;
	unsigned int n, i;

	p = lower_half_of_free_pair(t, held, &n, small, 0, 4);
	if (KTAP_EXPECT(t, p != NULL)) {
		pattern(p, small, 5, false);
		q = kslab_krealloc(p, large, GFP_KERNEL);
		KTAP_EXPECT_PTR_EQ(t, q, p);
		KTAP_EXPECT_EQ(t, kslab_ksize(q), 2 * block);
		KTAP_EXPECT_EQ(t, pattern(q, small, 5, true), 0);
		KTAP_EXPECT(t, !block_is_free(p + block, 4));
		pattern(q, large, 5, false);
		kslab_kfree(q);
	}
	for (i = 0; i < n; i++)
		kslab_kfree(held[i]);
}

/*
 * A whole buddy block grows in place only to the block kmalloc would give
 * the new size: an 8 KiB block aligned to 8 KiB (a buddy block, no class
 * being so aligned) reallocated to 8562 bytes, which kmalloc serves from
 * its 9216-byte class, moves there, even when the pages after it are
 * free. Grown in place it would hold 16 KiB, which a sized free of 8562
 * bytes (kslab_kmalloc_check_size()) reports as heap corruption.
 */
static void test_krealloc_block_to_class(struct ktap_test *t)
{
	const size_t first = 1383, then = 8562, block = 2 * KSLAB_PAGE_SIZE;
	unsigned char *held[PAIR_TRIES], *p, *q;
	unsigned int n, i;

	p = lower_half_of_free_pair(t, held, &n, first, block, 1);
	if (KTAP_EXPECT(t, p != NULL)) {
		KTAP_EXPECT_EQ(t, kslab_ksize(p), block);
		pattern(p, first, 9, false);
		q = kslab_krealloc(p, then, GFP_KERNEL);
		if (KTAP_EXPECT(t, q != NULL)) {
			KTAP_EXPECT_EQ(t, kslab_ksize(q), 9216);
			KTAP_EXPECT_EQ(t, pattern(q, first, 9, true), 0);
			kslab_kfree(q);
		}
	}
	for (i = 0; i < n; i++)
		kslab_kfree(held[i]);
}

/*
 * Alignments up to a chunk, each honoured; bad ones refused. (Userspace
 * serves more, up to the arena: the malloc tests ask for 8 MiB. vmalloc
 * aligns to a page only, so the kernel serves a chunk at most.)
 */
static void test_aligned(struct ktap_test *t)
{
	static const size_t aligns[] = {
		1, 8, 16, 32, 64, 256, 4096, 8192, 1UL << 20, KSLAB_CHUNK_SIZE,
	};
	static const size_t sizes[] = { 0, 1, 24, 100, 5000, 40000 };
	unsigned long misaligned = 0, failed = 0;
	unsigned int i, j;

	for (i = 0; i < KSLAB_ARRAY_SIZE(aligns); i++) {
		for (j = 0; j < KSLAB_ARRAY_SIZE(sizes); j++) {
			char *p = kslab_kmalloc_aligned(sizes[j], aligns[i],
							 GFP_KERNEL);

			if (!p) {
				failed++;
				continue;
			}
			misaligned += ((unsigned long)p & (aligns[i] - 1)) != 0;
			misaligned += kslab_ksize(p) < (sizes[j] ? sizes[j] : 1);
			p[0] = 1;
			kslab_kfree(p);
		}
	}
	KTAP_EXPECT_EQ(t, failed, 0);
	KTAP_EXPECT_EQ(t, misaligned, 0);
	KTAP_EXPECT(t, kslab_kmalloc_aligned(64, 0, GFP_KERNEL) == NULL);
	KTAP_EXPECT(t, kslab_kmalloc_aligned(64, 48, GFP_KERNEL) == NULL);
}

/* kfree also takes objects of caches kmalloc did not make. */
static void test_kfree_cache_object(struct ktap_test *t)
{
	struct kslab_cache *cache = kslab_cache_create("t-kfree-obj", 200,
						       NULL, 0);
	struct kslab_cache_stats st;
	void *obj;

	KTAP_ASSERT(t, cache != NULL);
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	KTAP_EXPECT_EQ(t, kslab_ksize(obj), 200);
	kslab_kfree(obj);
	kslab_cache_shrink(cache);
	kslab_cache_stats(cache, &st);
	KTAP_EXPECT_EQ(t, st.active_objs, 0);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	kslab_cache_destroy(cache);
}

/* Free @p, which is no allocation; expect one report saying @what. */
static void expect_bad_kfree(struct ktap_test *t, const void *p,
			     const char *what)
{
	struct report_capture cap;

	capture_start(&cap);
	kslab_kfree(p);
	capture_stop(&cap);
	KTAP_EXPECT_EQ(t, cap.seen, 1);
	if (cap.seen)
		EXPECT_CONTAINS(t, cap.msg[0], what);
}

/*
 * Addresses kfree must refuse: memory kslab does not manage, inside a
 * class object, inside or past a freed block, a block freed twice.
 */
static void test_kfree_refused(struct ktap_test *t)
{
	unsigned long on_stack[4];
	char *obj = kslab_kmalloc(64, GFP_KERNEL);
	char *block = kslab_kmalloc(65536, GFP_KERNEL);
	unsigned long used;

	KTAP_ASSERT(t, obj && block);
	expect_bad_kfree(t, on_stack, "not managed by kslab");
	expect_bad_kfree(t, obj + 8, "inside an object");
	expect_bad_kfree(t, block + KSLAB_PAGE_SIZE, "starts no allocation");
	KTAP_EXPECT_EQ(t, kslab_ksize(obj), 64);
	KTAP_EXPECT_EQ(t, kslab_ksize(block), 65536);
	kslab_kfree(obj);
	used = buddy_used_pages();
	kslab_kfree(block);
	KTAP_EXPECT_EQ(t, buddy_used_pages(), used - 16);
	expect_bad_kfree(t, block, "double free");
	KTAP_EXPECT_EQ(t, buddy_used_pages(), used - 16);
}

/*
 * A second free of a class object, whatever was freed in between, is
 * found when its copy leaves the magazine, before the block could be
 * handed out twice: the allocations after it get distinct blocks, and
 * exactly one of them reports it (kmalloc_user's double_free_after_shrink
 * frees the second time after the block went back to its slab). ksize
 * and krealloc of a freed block are reported and refused too.
 */
static void test_double_free_refused(struct ktap_test *t)
{
	struct report_capture cap;
	char *p = kslab_kmalloc(48, GFP_KERNEL);
	char *q = kslab_kmalloc(48, GFP_KERNEL);
	char *a, *b, *c;

	KTAP_ASSERT(t, p && q);
	kslab_kfree(p);
	kslab_kfree(q);
	capture_start(&cap);
	kslab_kfree(p);
	a = kslab_kmalloc(48, GFP_KERNEL);
	b = kslab_kmalloc(48, GFP_KERNEL);
	c = kslab_kmalloc(48, GFP_KERNEL);
	capture_stop(&cap);
	KTAP_EXPECT(t, a && b && c && a != b && b != c && a != c);
	KTAP_EXPECT_EQ(t, cap.seen, 1);
	if (cap.seen)
		EXPECT_CONTAINS(t, cap.msg[0], "double free");
	/* The first word a program sees is its own: the tag is gone. */
	KTAP_EXPECT(t, a && *(unsigned long *)a == 0);
	kslab_kfree(c);
	capture_start(&cap);
	KTAP_EXPECT_EQ(t, kslab_ksize(c), 0);
	KTAP_EXPECT(t, kslab_krealloc(c, 500, GFP_KERNEL) == NULL);
	capture_stop(&cap);
	KTAP_EXPECT_EQ(t, cap.seen, 2);
	if (cap.seen == 2) {
		EXPECT_CONTAINS(t, cap.msg[0], "ksize of freed object");
		EXPECT_CONTAINS(t, cap.msg[1], "krealloc of freed object");
	}
	kslab_kfree(a);
	kslab_kfree(b);
}

static const struct ktap_case kmalloc_cases[] = {
	{ "every_size", test_every_size },
	{ "zero_and_null", test_zero_and_null },
	{ "zeroed", test_zeroed },
	{ "large", test_large },
	{ "krealloc", test_krealloc },
	{ "krealloc_block_to_class", test_krealloc_block_to_class },
	{ "krealloc_grows_in_place", test_krealloc_grows_in_place },
	{ "aligned", test_aligned },
	{ "kfree_cache_object", test_kfree_cache_object },
	{ "kfree_refused", test_kfree_refused },
	{ "double_free_refused", test_double_free_refused },
};

const struct ktap_suite kmalloc_suite = KTAP_SUITE("kmalloc", kmalloc_cases);
