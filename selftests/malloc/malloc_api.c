// SPDX-License-Identifier: GPL-2.0
/*
 * The C library's allocation functions over kmalloc (suite malloc), called
 * by their kslab_ names so that this also runs under ASan: alignment and
 * usable sizes, the fast path's classes against kmalloc's for every size
 * it serves, size 0, errno and overflow, realloc across classes and to
 * and from large memory, every aligned allocator with good and bad
 * alignments, and a bad free reported without harm.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <kslab/kmalloc.h>
#include <kslab/malloc.h>

#include "malloc_tests.h"

#define PAGE		4096UL
#define LARGE		(5UL << 20)	/* beyond the largest buddy block */

/* Allocate each size, check alignment and usable size, write it all. */
static void test_malloc_sizes(struct ktap_test *t)
{
	static const size_t sizes[] = {
		1, 15, 16, 17, 24, 100, 1000, 4095, 4096, 32768, 40000,
		1UL << 20, LARGE,
	};
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++) {
		unsigned char *p = kslab_malloc(sizes[i]);

		if (!KTAP_EXPECT(t, p != NULL))
			continue;
		KTAP_EXPECT_EQ(t, (uintptr_t)p % KSLAB_MALLOC_ALIGN, 0);
		KTAP_EXPECT(t, kslab_malloc_usable_size(p) >= sizes[i]);
		memset(p, 0x5a, kslab_malloc_usable_size(p));
		kslab_free(p);
	}
}

/* malloc(0) gives distinct, freeable pointers; free(NULL) does nothing. */
static void test_malloc_zero(struct ktap_test *t)
{
	void *a = kslab_malloc(0), *b = kslab_malloc(0);

	KTAP_EXPECT(t, a && b && a != b);
	KTAP_EXPECT_EQ(t, kslab_malloc_usable_size(a), 16);
	KTAP_EXPECT_EQ(t, kslab_malloc_usable_size(NULL), 0);
	kslab_free(a);
	kslab_free(b);
	kslab_free(NULL);
}

/* Sizes no allocator can give fail with ENOMEM, and nothing else happens. */
static void test_malloc_too_large(struct ktap_test *t)
{
	void *p = kslab_malloc(64);

	errno = 0;
	KTAP_EXPECT(t, kslab_malloc(SIZE_MAX) == NULL && errno == ENOMEM);
	errno = 0;
	KTAP_EXPECT(t, kslab_malloc(SIZE_MAX - 8) == NULL && errno == ENOMEM);
	errno = 0;
	KTAP_EXPECT(t, kslab_malloc(1UL << 50) == NULL && errno == ENOMEM);
	errno = 0;
	KTAP_EXPECT(t, kslab_calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM);
	errno = 0;
	KTAP_EXPECT(t, kslab_calloc(3, SIZE_MAX / 2) == NULL && errno == ENOMEM);
	errno = 0;
	KTAP_EXPECT(t, kslab_reallocarray(p, SIZE_MAX / 4, 8) == NULL &&
		       errno == ENOMEM);
	errno = 0;
	KTAP_EXPECT(t, kslab_realloc(p, SIZE_MAX) == NULL && errno == ENOMEM);
	/* The failed reallocations left p as it was. */
	KTAP_EXPECT_EQ(t, kslab_malloc_usable_size(p), 64);
	kslab_free(p);
}

static bool all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Every size to twice the reach of malloc's table (4096 bytes): malloc and
 * calloc give the class kmalloc gives the size rounded up to 16, aligned
 * to 16, and calloc zeroes the block malloc just dirtied and freed, which
 * is the one this CPU's magazine hands back.
 */
static void test_malloc_every_size(struct ktap_test *t)
{
	unsigned long wrong_class = 0, misaligned = 0, dirty = 0, failed = 0;
	unsigned char *m, *c;
	size_t size, class;
	void *k;

	for (size = 0; size <= 8192; size++) {
		k = kslab_kmalloc(size ? (size + 15) & ~15UL : 16, GFP_KERNEL);
		class = kslab_ksize(k);
		m = kslab_malloc(size);
		if (!k || !m) {
			failed++;
			kslab_kfree(k);
			kslab_free(m);
			continue;
		}
		wrong_class += kslab_malloc_usable_size(m) != class;
		misaligned += (uintptr_t)m % KSLAB_MALLOC_ALIGN != 0;
		memset(m, 0xff, class);
		kslab_free(m);
		c = kslab_calloc(1, size);
		failed += !c;
		wrong_class += c && kslab_malloc_usable_size(c) != class;
		dirty += c && !all_zero(c, size);
		kslab_free(c);
		kslab_kfree(k);
	}
	KTAP_EXPECT_EQ(t, failed, 0);
	KTAP_EXPECT_EQ(t, wrong_class, 0);
	KTAP_EXPECT_EQ(t, misaligned, 0);
	KTAP_EXPECT_EQ(t, dirty, 0);
}

/* calloc zeroes, also memory that was used before. */
static void test_calloc_zeroes(struct ktap_test *t)
{
	static const size_t sizes[] = { 8, 48, 3000, 40000, LARGE };
	unsigned char *p;
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++) {
		p = kslab_malloc(sizes[i]);
		if (p)
			memset(p, 0xff, sizes[i]);
		kslab_free(p);
		p = kslab_calloc(sizes[i] / 4, 4);
		KTAP_EXPECT(t, p && all_zero(p, sizes[i] / 4 * 4));
		kslab_free(p);
	}
	p = kslab_calloc(0, 0);
	KTAP_EXPECT(t, p && kslab_malloc_usable_size(p) == 16);
	kslab_free(p);
}

/*
 * realloc keeps the contents through growing and shrinking across classes,
 * into and out of buddy blocks and large memory; realloc(NULL) allocates
 * and realloc(p, 0) frees.
 */
static void test_realloc(struct ktap_test *t)
{
	static const size_t steps[] = {
		17, 40, 33, 200, 5000, 40000, 70000, LARGE, 2 * LARGE, 100000,
		300, 1,
	};
	size_t old, i;
	unsigned char *p = kslab_realloc(NULL, 10), *q;

	KTAP_ASSERT(t, p != NULL);
	old = 10;
	pattern(p, old, 1, false);
	for (i = 0; i < KSLAB_ARRAY_SIZE(steps); i++) {
		q = kslab_realloc(p, steps[i]);
		if (!KTAP_EXPECT(t, q != NULL))
			break;
		ktap_check(t, pattern(q, old < steps[i] ? old : steps[i], 1, true) == 0,
			   __FILE__, __LINE__, "%zu -> %zu bytes kept", old, steps[i]);
		KTAP_EXPECT_EQ(t, (uintptr_t)q % KSLAB_MALLOC_ALIGN, 0);
		pattern(q, steps[i], 1, false);
		p = q;
		old = steps[i];
	}
	errno = 0;
	KTAP_EXPECT(t, kslab_realloc(p, 0) == NULL);
	KTAP_EXPECT_EQ(t, errno, 0);
	p = kslab_reallocarray(NULL, 10, 10);
	KTAP_EXPECT(t, p && kslab_malloc_usable_size(p) >= 100);
	kslab_free(p);
}

static bool aligned(const void *p, size_t align)
{
	return p && (uintptr_t)p % align == 0;
}

/* posix_memalign: every power-of-two multiple of a pointer; EINVAL else. */
static void test_posix_memalign(struct ktap_test *t)
{
	static const size_t sizes[] = { 0, 1, 100, 5000, 70000 };
	size_t align, i;
	void *p;

	for (align = sizeof(void *); align <= (8UL << 20); align *= 2) {
		for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++) {
			p = NULL;
			KTAP_EXPECT_EQ(t, kslab_posix_memalign(&p, align, sizes[i]), 0);
			KTAP_EXPECT(t, aligned(p, align));
			KTAP_EXPECT(t, kslab_malloc_usable_size(p) >= sizes[i]);
			kslab_free(p);
		}
	}
	p = (void *)1;
	errno = 0;
	KTAP_EXPECT_EQ(t, kslab_posix_memalign(&p, 0, 8), EINVAL);
	KTAP_EXPECT_EQ(t, kslab_posix_memalign(&p, 24, 8), EINVAL);
	KTAP_EXPECT_EQ(t, kslab_posix_memalign(&p, 4, 8), EINVAL);
	KTAP_EXPECT_EQ(t, kslab_posix_memalign(&p, 64, SIZE_MAX), ENOMEM);
	KTAP_EXPECT_EQ(t, errno, 0);
	KTAP_EXPECT(t, p == (void *)1);
}

/* aligned_alloc, memalign, valloc, pvalloc. */
static void test_aligned_family(struct ktap_test *t)
{
	void *p;

	p = kslab_aligned_alloc(256, 1000);
	KTAP_EXPECT(t, aligned(p, 256));
	kslab_free(p);
	errno = 0;
	KTAP_EXPECT(t, kslab_aligned_alloc(48, 64) == NULL && errno == EINVAL);
	errno = 0;
	KTAP_EXPECT(t, kslab_aligned_alloc(0, 64) == NULL && errno == EINVAL);

	p = kslab_memalign(24, 10);	/* glibc rounds 24 up to 32 */
	KTAP_EXPECT(t, aligned(p, 32));
	kslab_free(p);
	errno = 0;
	KTAP_EXPECT(t, kslab_memalign(SIZE_MAX / 2 + 2, 8) == NULL &&
		       errno == EINVAL);

	p = kslab_valloc(100);
	KTAP_EXPECT(t, aligned(p, PAGE));
	kslab_free(p);
	p = kslab_pvalloc(PAGE + 1);
	KTAP_EXPECT(t, aligned(p, PAGE) &&
		       kslab_malloc_usable_size(p) >= 2 * PAGE);
	kslab_free(p);
	p = kslab_pvalloc(0);
	KTAP_EXPECT(t, aligned(p, PAGE) && kslab_malloc_usable_size(p) >= PAGE);
	kslab_free(p);
}

/* A free of memory that is no allocation is reported once and ignored. */
static void test_bad_free(struct ktap_test *t)
{
	struct report_capture cap;
	char on_stack[32];
	char *p = kslab_malloc(100);

	capture_start(&cap);
	kslab_free(on_stack);
	kslab_free(p + 16);
	capture_stop(&cap);
	KTAP_EXPECT_EQ(t, cap.seen, 2);
	if (cap.seen == 2) {
		EXPECT_CONTAINS(t, cap.msg[0], "not managed by kslab");
		EXPECT_CONTAINS(t, cap.msg[1], "inside an object");
	}
	KTAP_EXPECT_EQ(t, kslab_malloc_usable_size(p), 112);
	kslab_free(p);
}

static const struct ktap_case malloc_cases[] = {
	{ "malloc_sizes", test_malloc_sizes },
	{ "malloc_zero", test_malloc_zero },
	{ "malloc_too_large", test_malloc_too_large },
	{ "calloc_zeroes", test_calloc_zeroes },
	{ "malloc_every_size", test_malloc_every_size },
	{ "realloc", test_realloc },
	{ "posix_memalign", test_posix_memalign },
	{ "aligned_family", test_aligned_family },
	{ "bad_free", test_bad_free },
};

const struct ktap_suite malloc_suite = KTAP_SUITE("malloc", malloc_cases);
