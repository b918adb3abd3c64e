// SPDX-License-Identifier: GPL-2.0
/*
 * Regions (suite region): every alignment from 1 byte to past a
 * max-order block honoured, objects never overlapping; a reset to a mark
 * gives back exactly what came after it and rewinds to the same address,
 * the mark itself staying valid; a reset keeps the newest block alone
 * and a region reset every frame stops taking blocks; destroy gives
 * every block back (the zone's checker clean, its pages all free); large
 * objects in kmalloc memory, freed by resets; failures under fault
 * injection change nothing; stale, foreign and made-up marks, bad
 * alignments and bad arguments reported and harmless; zeroing, the
 * figures and the text. Regions take their blocks from a private zone
 * that gives each chunk back as soon as it is free, so its page counts
 * are the region's alone.
 * Portable: kslab headers only.
 */
#include <kslab/buddy.h>
#include <kslab/fault.h>
#include <kslab/kmalloc.h>
#include <kslab/region.h>

#include "../capture.h"
#include "region_tests.h"

#define MAX_OBJS	600
#define MAX_BLOCK	(KSLAB_PAGE_SIZE << KSLAB_MAX_ORDER)

static struct kslab_zone *zone_new(struct ktap_test *t)
{
	struct kslab_zone_params params = { .keep_free_chunks = 0 };
	struct kslab_zone *zone = kslab_zone_create("t-region", &params);

	KTAP_EXPECT(t, zone != NULL);
	return zone;
}

static unsigned long zone_used(struct kslab_zone *zone)
{
	struct kslab_buddy_stats bs;

	kslab_zone_stats(zone, &bs);
	return bs.managed_pages - bs.free_pages;
}

/* The zone is sound and every page went back: destroy it. */
static void zone_done(struct ktap_test *t, struct kslab_zone *zone)
{
	KTAP_EXPECT_EQ(t, zone_used(zone), 0);
	KTAP_EXPECT_EQ(t, kslab_zone_check(zone), 0);
	KTAP_EXPECT_EQ(t, kslab_zone_destroy(zone), 0);
}

static struct kslab_region_stats region_stats(struct kslab_region *r)
{
	struct kslab_region_stats st;

	kslab_region_stats(r, &st);
	return st;
}

/* @r holds what @a says it held (its event counters aside). */
static void expect_holds(struct ktap_test *t, struct kslab_region *r,
			 const struct kslab_region_stats *a)
{
	struct kslab_region_stats now = region_stats(r), *b = &now;

	KTAP_EXPECT_EQ(t, a->blocks, b->blocks);
	KTAP_EXPECT_EQ(t, a->block_bytes, b->block_bytes);
	KTAP_EXPECT_EQ(t, a->used_bytes, b->used_bytes);
	KTAP_EXPECT_EQ(t, a->wasted_bytes, b->wasted_bytes);
	KTAP_EXPECT_EQ(t, a->free_bytes, b->free_bytes);
	KTAP_EXPECT_EQ(t, a->large_objects, b->large_objects);
	KTAP_EXPECT_EQ(t, a->large_bytes, b->large_bytes);
}

/* Every block byte is used, wasted or free. */
static void expect_balanced(struct ktap_test *t,
			    const struct kslab_region_stats *st)
{
	KTAP_EXPECT_EQ(t, st->used_bytes + st->wasted_bytes + st->free_bytes,
		       st->block_bytes);
}

struct objs {
	unsigned char *p[MAX_OBJS];
	size_t size[MAX_OBJS];
	unsigned int nr;
};

/*
 * Allocate @n objects of 1 to @max_size bytes aligned to @align, each
 * filled with its own pattern. Return: how many were misaligned or NULL.
 */
static unsigned long fill(struct kslab_region *r, struct objs *o,
			  unsigned int n, size_t max_size, size_t align,
			  struct ktap_rng *rng)
{
	unsigned long bad = 0;
	size_t want = align ? align : KSLAB_REGION_MIN_ALIGN;

	while (n-- && o->nr < MAX_OBJS) {
		size_t size = 1 + ktap_rng_below(rng, max_size);
		unsigned char *p = kslab_region_alloc(r, size, align, GFP_KERNEL);

		if (!p || ((unsigned long)p & (want - 1))) {
			bad++;
			continue;
		}
		pattern(p, size, o->nr, false);
		o->p[o->nr] = p;
		o->size[o->nr++] = size;
	}
	return bad;
}

/* Objects @from to @to - 1 whose pattern changed: an overlap, or memory given away. */
static unsigned long damaged(const struct objs *o, unsigned int from,
			     unsigned int to)
{
	unsigned long bad = 0;
	unsigned int i;

	for (i = from; i < to && i < o->nr; i++)
		bad += pattern(o->p[i], o->size[i], i, true) != 0;
	return bad;
}

/*
 * Every power of two from 1 byte to half a max-order block (a block's
 * header comes first, so no block holds more), and 0 for the default:
 * each object aligned, none overlapping another.
 */
static void test_alignment(struct ktap_test *t)
{
	struct kslab_zone *zone = zone_new(t);
	struct ktap_rng rng;
	unsigned int shift;

	if (!zone)
		return;
	ktap_rng_seed(&rng, 0xa11a);
	for (shift = 0; (1UL << shift) <= MAX_BLOCK / 2; shift++) {
		struct kslab_region *r = kslab_region_create_zone(zone, "t-align",
								  KSLAB_PAGE_SIZE, 0);
		size_t align = shift ? 1UL << shift : 0;
		unsigned int n = shift <= 12 ? 400 : 6;
		struct objs *o = kslab_kzalloc(sizeof(*o), GFP_KERNEL);
		unsigned long bad;

		if (!KTAP_EXPECT(t, r && o)) {
			kslab_kfree(o);
			kslab_region_destroy(r);
			break;
		}
		bad = fill(r, o, n, 300, align, &rng);
		ktap_check(t, bad == 0 && damaged(o, 0, o->nr) == 0, __FILE__, __LINE__,
			   "alignment %zu: %lu objects misaligned or missing, %lu damaged",
			   align, bad, damaged(o, 0, o->nr));
		kslab_region_destroy(r);
		kslab_kfree(o);
		KTAP_EXPECT_EQ(t, zone_used(zone), 0);
	}
	zone_done(t, zone);
}

/*
 * Past a block: an alignment no block can hold fails without
 * KSLAB_REGION_KMALLOC_LARGE, and gets kmalloc memory with it, up to a
 * max-order block (beyond, the environment's large memory decides:
 * region_user.c).
 */
static void test_alignment_beyond_blocks(struct ktap_test *t)
{
	struct kslab_zone *zone = zone_new(t);
	struct kslab_region *plain, *large;
	struct report_capture cap;
	size_t align;

	if (!zone)
		return;
	plain = kslab_region_create_zone(zone, "t-align-plain", KSLAB_PAGE_SIZE, 0);
	large = kslab_region_create_zone(zone, "t-align-large", KSLAB_PAGE_SIZE,
					 KSLAB_REGION_KMALLOC_LARGE);
	KTAP_ASSERT(t, plain && large);
	capture_start(&cap);
	KTAP_EXPECT(t, !kslab_region_alloc(plain, 8, MAX_BLOCK, GFP_KERNEL));
	KTAP_EXPECT(t, !kslab_region_alloc(plain, MAX_BLOCK, 0, GFP_KERNEL));
	capture_stop(&cap);
	expect_no_report(t, &cap);
	KTAP_EXPECT_EQ(t, region_stats(plain).alloc_failures, 2);
	KTAP_EXPECT_EQ(t, region_stats(plain).blocks, 0);
	for (align = MAX_BLOCK / 4; align <= MAX_BLOCK; align *= 2) {
		unsigned char *p = kslab_region_alloc(large, 100, align, GFP_KERNEL);

		ktap_check(t, p && !((unsigned long)p & (align - 1)), __FILE__,
			   __LINE__, "alignment %zu: %p", align, (void *)p);
		if (p)
			p[99] = 1;
	}
	KTAP_EXPECT_EQ(t, region_stats(large).large_objects, 3);
	kslab_region_destroy(plain);
	kslab_region_destroy(large);
	zone_done(t, zone);
}

/*
 * A reset to a mark gives back the blocks taken after it and rewinds to
 * where it was: the same figures, the same pages held, the next object
 * at the same address as the first after the mark; what came before is
 * intact, and the mark stays valid, as does an earlier one.
 */
static void test_marks(struct ktap_test *t)
{
	struct kslab_zone *zone = zone_new(t);
	struct kslab_region_stats at_m1, at_m2;
	unsigned long m1, m2, pages_m1, pages_m2;
	struct kslab_region *r;
	struct ktap_rng rng;
	unsigned int kept, before_m2;
	struct objs *o;
	void *first;

	if (!zone)
		return;
	ktap_rng_seed(&rng, 0x3a7c);
	r = kslab_region_create_zone(zone, "t-marks", KSLAB_PAGE_SIZE, 0);
	o = kslab_kzalloc(sizeof(*o), GFP_KERNEL);
	if (!KTAP_EXPECT(t, r && o))
		goto out;
	KTAP_EXPECT_EQ(t, fill(r, o, 20, 100, 0, &rng), 0);
	kept = o->nr;
	m1 = kslab_region_mark(r, GFP_KERNEL);
	at_m1 = region_stats(r);
	pages_m1 = zone_used(zone);
	first = kslab_region_alloc(r, 64, 64, GFP_KERNEL);
	KTAP_EXPECT_EQ(t, fill(r, o, 200, 1000, 16, &rng), 0);
	before_m2 = o->nr;
	m2 = kslab_region_mark(r, GFP_KERNEL);
	at_m2 = region_stats(r);
	pages_m2 = zone_used(zone);
	KTAP_EXPECT_EQ(t, fill(r, o, 300, 2000, 0, &rng), 0);
	KTAP_EXPECT(t, m1 && m2 && m1 != m2 && first);
	KTAP_EXPECT(t, region_stats(r).blocks > at_m2.blocks);
	KTAP_EXPECT(t, at_m2.blocks > at_m1.blocks);

	KTAP_EXPECT_EQ(t, kslab_region_reset_to(r, m2), 0);
	at_m2.resets++;
	KTAP_EXPECT_EQ(t, zone_used(zone), pages_m2);
	expect_holds(t, r, &at_m2);
	KTAP_EXPECT_EQ(t, damaged(o, 0, before_m2), 0);

	KTAP_EXPECT_EQ(t, kslab_region_reset_to(r, m1), 0);
	KTAP_EXPECT_EQ(t, zone_used(zone), pages_m1);
	expect_holds(t, r, &at_m1);
	KTAP_EXPECT_EQ(t, damaged(o, 0, kept), 0);
	KTAP_EXPECT_PTR_EQ(t, kslab_region_alloc(r, 64, 64, GFP_KERNEL), first);

	/* The mark outlives a reset to itself. */
	KTAP_EXPECT_EQ(t, kslab_region_reset_to(r, m1), 0);
	expect_holds(t, r, &at_m1);
	expect_balanced(t, &at_m1);
	expect_balanced(t, &at_m2);
out:
	kslab_kfree(o);
	kslab_region_destroy(r);
	zone_done(t, zone);
}

/* A refused reset: reported, the region as it was. */
static void expect_refused(struct ktap_test *t, struct kslab_region *r,
			   unsigned long mark)
{
	struct kslab_region_stats before = region_stats(r);
	struct report_capture cap;
	int ret;

	capture_start(&cap);
	ret = kslab_region_reset_to(r, mark);
	capture_stop(&cap);
	KTAP_EXPECT_EQ(t, ret, -1);
	expect_one_error(t, &cap, "does not hold", "t-bad");
	expect_holds(t, r, &before);
	KTAP_EXPECT_EQ(t, region_stats(r).resets, before.resets);
}

/*
 * Marks a region does not hold: one overtaken by a reset to an earlier
 * mark, one of another region, one from before a whole reset, and 0.
 * Then bad alignments and bad arguments to create.
 */
static void test_bad_input(struct ktap_test *t)
{
	struct kslab_zone *zone = zone_new(t);
	struct kslab_region *r, *other;
	unsigned long m1, m2, theirs;
	struct report_capture cap;

	if (!zone)
		return;
	r = kslab_region_create_zone(zone, "t-bad", KSLAB_PAGE_SIZE, 0);
	other = kslab_region_create_zone(zone, "t-other", KSLAB_PAGE_SIZE, 0);
	KTAP_ASSERT(t, r && other);
	m1 = kslab_region_mark(r, GFP_KERNEL);
	KTAP_EXPECT(t, kslab_region_alloc(r, 5000, 0, GFP_KERNEL) != NULL);
	m2 = kslab_region_mark(r, GFP_KERNEL);
	KTAP_EXPECT(t, kslab_region_alloc(r, 100, 0, GFP_KERNEL) != NULL);
	KTAP_EXPECT_EQ(t, kslab_region_reset_to(r, m1), 0);
	expect_refused(t, r, m2);
	theirs = kslab_region_mark(other, GFP_KERNEL);
	KTAP_EXPECT(t, theirs != 0);
	expect_refused(t, r, theirs);
	expect_refused(t, r, 0);
	kslab_region_reset(r);
	expect_refused(t, r, m1);
	KTAP_EXPECT_EQ(t, kslab_region_reset_to(other, theirs), 0);

	capture_start(&cap);
	KTAP_EXPECT(t, !kslab_region_alloc(r, 8, 3, GFP_KERNEL));
	capture_stop(&cap);
	expect_one_error(t, &cap, "not a power of two", "t-bad");
	capture_start(&cap);
	KTAP_EXPECT(t, !kslab_region_alloc(r, 8, 48, GFP_KERNEL));
	capture_stop(&cap);
	expect_one_error(t, &cap, "not a power of two", "t-bad");
	capture_start(&cap);
	KTAP_EXPECT(t, !kslab_region_create("t-zero", 0, 0));
	capture_stop(&cap);
	expect_one_error(t, &cap, "not created", "t-zero");
	capture_start(&cap);
	KTAP_EXPECT(t, !kslab_region_create("t-big", MAX_BLOCK + 1, 0));
	capture_stop(&cap);
	expect_one_error(t, &cap, "not created", "t-big");
	capture_start(&cap);
	KTAP_EXPECT(t, !kslab_region_create("t-flags", 4096, 0x100));
	capture_stop(&cap);
	expect_one_error(t, &cap, "not created", "t-flags");
	kslab_region_destroy(NULL);
	kslab_region_destroy(r);
	kslab_region_destroy(other);
	zone_done(t, zone);
}

#define FRAMES		12
#define FRAME_OBJS	3000

/*
 * A whole reset keeps the newest block alone, its pages the only ones
 * held; marks made before it are stale. A region reset every frame of
 * the same work stops taking blocks after the first frames.
 */
static void test_reset(struct ktap_test *t)
{
	struct kslab_zone *zone = zone_new(t);
	unsigned long grows[FRAMES], blocks_after_reset = 0;
	struct kslab_region_stats st;
	struct kslab_region *r;
	struct ktap_rng rng;
	unsigned int frame, i;
	unsigned long failed = 0;

	if (!zone)
		return;
	r = kslab_region_create_zone(zone, "t-reset", KSLAB_PAGE_SIZE, 0);
	KTAP_ASSERT(t, r != NULL);
	ktap_rng_seed(&rng, 0xf4a3e);
	for (frame = 0; frame < FRAMES; frame++) {
		for (i = 0; i < FRAME_OBJS; i++) {
			size_t size = 1 + ktap_rng_below(&rng, 256);

			failed += !kslab_region_alloc(r, size, 0, GFP_KERNEL);
		}
		if (frame == 0)
			KTAP_EXPECT(t, region_stats(r).blocks > 3);
		kslab_region_reset(r);
		st = region_stats(r);
		blocks_after_reset += st.blocks != 1;
		grows[frame] = st.grows;
		KTAP_EXPECT_EQ(t, zone_used(zone) * KSLAB_PAGE_SIZE, st.block_bytes);
		KTAP_EXPECT_EQ(t, st.used_bytes, 0);
		KTAP_EXPECT_EQ(t, st.wasted_bytes, 16);	/* the block's header */
	}
	KTAP_EXPECT_EQ(t, failed, 0);
	KTAP_EXPECT_EQ(t, blocks_after_reset, 0);
	KTAP_EXPECT_EQ(t, grows[FRAMES - 1], grows[FRAMES / 2]);
	KTAP_EXPECT_EQ(t, st.resets, FRAMES);
	KTAP_EXPECT(t, st.peak_used > FRAME_OBJS * 100);
	kslab_region_destroy(r);
	zone_done(t, zone);
}

/*
 * Destroy gives every block back, marks, kmalloc objects and all, on a
 * private zone and on the default one.
 */
static void test_destroy(struct ktap_test *t)
{
	struct kslab_zone *zone = zone_new(t);
	unsigned long base = buddy_used_pages();
	struct kslab_region *r;
	struct ktap_rng rng;
	struct objs *o;
	int i;

	if (!zone)
		return;
	o = kslab_kzalloc(sizeof(*o), GFP_KERNEL);
	KTAP_ASSERT(t, o != NULL);
	ktap_rng_seed(&rng, 0xde57);
	r = kslab_region_create_zone(zone, "t-destroy", 3 * KSLAB_PAGE_SIZE,
				     KSLAB_REGION_KMALLOC_LARGE);
	KTAP_ASSERT(t, r != NULL);
	for (i = 0; i < 5; i++) {
		KTAP_EXPECT(t, kslab_region_mark(r, GFP_KERNEL) != 0);
		KTAP_EXPECT_EQ(t, fill(r, o, 100, 4000, 0, &rng), 0);
		KTAP_EXPECT(t, kslab_region_alloc(r, 50000, 0, GFP_KERNEL) != NULL);
	}
	KTAP_EXPECT(t, zone_used(zone) > 0);
	KTAP_EXPECT_EQ(t, damaged(o, 0, o->nr), 0);
	kslab_region_destroy(r);
	KTAP_EXPECT_EQ(t, buddy_used_pages(), base);
	zone_done(t, zone);

	o->nr = 0;
	r = kslab_region_create("t-destroy-default", 8 * KSLAB_PAGE_SIZE, 0);
	KTAP_ASSERT(t, r != NULL);
	KTAP_EXPECT_EQ(t, fill(r, o, 300, 3000, 0, &rng), 0);
	KTAP_EXPECT(t, buddy_used_pages() > base);
	kslab_region_destroy(r);
	KTAP_EXPECT_EQ(t, buddy_used_pages(), base);
	KTAP_EXPECT_EQ(t, kslab_zone_check(kslab_default_zone()), 0);
	kslab_kfree(o);
}

/*
 * Large objects: with KSLAB_REGION_KMALLOC_LARGE in kmalloc memory (whole
 * buddy blocks of the default zone at these sizes), counted apart and
 * freed by a reset to an earlier mark and by a whole reset; without it,
 * in a block sized for them.
 */
static void test_large(struct ktap_test *t)
{
	struct kslab_zone *zone = zone_new(t);
	unsigned long base = buddy_used_pages(), with_one, m;
	struct kslab_region_stats st;
	struct kslab_region *r;
	unsigned char *p, *q;

	if (!zone)
		return;
	r = kslab_region_create_zone(zone, "t-large", KSLAB_PAGE_SIZE,
				     KSLAB_REGION_KMALLOC_LARGE);
	KTAP_ASSERT(t, r != NULL);
	p = kslab_region_alloc(r, 100000, 0, GFP_KERNEL);
	KTAP_ASSERT(t, p != NULL);
	KTAP_EXPECT(t, kslab_ksize(p) >= 100000);
	pattern(p, 100000, 1, false);
	st = region_stats(r);
	KTAP_EXPECT_EQ(t, st.large_objects, 1);
	KTAP_EXPECT_EQ(t, st.large_bytes, 100000);
	KTAP_EXPECT_EQ(t, st.used_bytes, 0);
	KTAP_EXPECT_EQ(t, st.blocks, 1);	/* the object's record */
	KTAP_EXPECT_EQ(t, zone_used(zone), 1);
	with_one = buddy_used_pages();
	KTAP_EXPECT(t, with_one > base);
	/* A small object still goes to the block. */
	KTAP_EXPECT(t, kslab_region_alloc(r, 100, 0, GFP_KERNEL) != NULL);
	KTAP_EXPECT_EQ(t, region_stats(r).large_objects, 1);

	m = kslab_region_mark(r, GFP_KERNEL);
	q = kslab_region_alloc(r, 200000, KSLAB_PAGE_SIZE, GFP_KERNEL);
	KTAP_EXPECT(t, q && !((unsigned long)q & (KSLAB_PAGE_SIZE - 1)));
	KTAP_EXPECT_EQ(t, region_stats(r).large_objects, 2);
	KTAP_EXPECT_EQ(t, kslab_region_reset_to(r, m), 0);
	st = region_stats(r);
	KTAP_EXPECT_EQ(t, st.large_objects, 1);
	KTAP_EXPECT_EQ(t, st.large_bytes, 100000);
	KTAP_EXPECT_EQ(t, buddy_used_pages(), with_one);
	KTAP_EXPECT_EQ(t, pattern(p, 100000, 1, true), 0);
	KTAP_EXPECT_EQ(t, st.peak_used, 300100);
	kslab_region_reset(r);
	KTAP_EXPECT_EQ(t, region_stats(r).large_objects, 0);
	KTAP_EXPECT_EQ(t, buddy_used_pages(), base);
	kslab_region_destroy(r);

	/* Without the flag: a block of 128 KiB holds it. */
	r = kslab_region_create_zone(zone, "t-large-plain", KSLAB_PAGE_SIZE, 0);
	KTAP_ASSERT(t, r != NULL);
	p = kslab_region_alloc(r, 100000, 0, GFP_KERNEL);
	st = region_stats(r);
	KTAP_EXPECT(t, p != NULL);
	KTAP_EXPECT_EQ(t, st.large_objects, 0);
	KTAP_EXPECT_EQ(t, st.block_bytes, 128UL << 10);
	KTAP_EXPECT_EQ(t, zone_used(zone), 32);
	KTAP_EXPECT_EQ(t, buddy_used_pages(), base);
	kslab_region_destroy(r);
	zone_done(t, zone);
}

/* Arm @point to fail every call. */
static void fail_every(enum kslab_fault_point point)
{
	struct kslab_fault_config config = { .every = 1 };

	kslab_fault_set(point, &config);
}

/*
 * A failed block, kmalloc object or descriptor: NULL (0 for a mark), the
 * region and the zones as they were, the failure counted.
 */
static void test_fault_injection(struct ktap_test *t)
{
	struct kslab_zone *zone = zone_new(t);
	struct kslab_region_stats before, after;
	unsigned long base = buddy_used_pages();
	struct kslab_region *r, *large;

	if (!zone)
		return;
	r = kslab_region_create_zone(zone, "t-fault", KSLAB_PAGE_SIZE, 0);
	large = kslab_region_create_zone(zone, "t-fault-large", KSLAB_PAGE_SIZE,
					 KSLAB_REGION_KMALLOC_LARGE);
	KTAP_ASSERT(t, r && large);
	fail_every(KSLAB_FAULT_PAGES);
	KTAP_EXPECT(t, !kslab_region_alloc(r, 10, 0, GFP_KERNEL));
	KTAP_EXPECT_EQ(t, kslab_region_mark(r, GFP_KERNEL), 0);
	/* The environment's memory for the object comes, a block for its record cannot. */
	KTAP_EXPECT(t, !kslab_region_alloc(large, 5UL << 20, 0, GFP_KERNEL));
	kslab_fault_clear(KSLAB_FAULT_PAGES);
	after = region_stats(r);
	KTAP_EXPECT_EQ(t, after.blocks, 0);
	KTAP_EXPECT_EQ(t, after.alloc_failures, 2);
	after = region_stats(large);
	KTAP_EXPECT_EQ(t, after.blocks, 0);
	KTAP_EXPECT_EQ(t, after.large_objects, 0);
	KTAP_EXPECT_EQ(t, after.alloc_failures, 1);
	KTAP_EXPECT_EQ(t, zone_used(zone), 0);

	/* A full block, so the next object needs a new one. */
	KTAP_EXPECT(t, kslab_region_alloc(r, KSLAB_PAGE_SIZE - 16, 1, GFP_KERNEL));
	before = region_stats(r);
	fail_every(KSLAB_FAULT_PAGES);
	KTAP_EXPECT(t, !kslab_region_alloc(r, 100, 0, GFP_KERNEL));
	kslab_fault_clear(KSLAB_FAULT_PAGES);
	expect_holds(t, r, &before);
	KTAP_EXPECT_EQ(t, region_stats(r).alloc_failures, before.alloc_failures + 1);

	before = region_stats(large);
	fail_every(KSLAB_FAULT_KMALLOC);
	KTAP_EXPECT(t, !kslab_region_alloc(large, 100000, 0, GFP_KERNEL));
	kslab_fault_clear(KSLAB_FAULT_KMALLOC);
	expect_holds(t, large, &before);
	KTAP_EXPECT_EQ(t, buddy_used_pages(), base);

	fail_every(KSLAB_FAULT_META);
	KTAP_EXPECT(t, !kslab_region_create("t-fault-meta", 4096, 0));
	kslab_fault_clear(KSLAB_FAULT_META);
	kslab_region_destroy(r);
	kslab_region_destroy(large);
	zone_done(t, zone);
}

static bool all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/*
 * __GFP_ZERO zeroes reused memory; the figures add up to the blocks and
 * the sizes asked for; the text names the region with its figures.
 */
static void test_zero_stats_text(struct ktap_test *t)
{
	struct kslab_zone *zone = zone_new(t);
	static const size_t sizes[] = { 1, 7, 64, 100, 3000, 5000, 20000 };
	struct kslab_region_stats st;
	struct kslab_region *r;
	size_t i, sum = 0, len;
	char *text;

	if (!zone)
		return;
	r = kslab_region_create_zone(zone, "t-stats", 2 * KSLAB_PAGE_SIZE, 0);
	KTAP_ASSERT(t, r != NULL);
	for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++) {
		void *p = kslab_region_alloc(r, sizes[i], 32, GFP_KERNEL);

		if (KTAP_EXPECT(t, p != NULL))
			kslab_memset(p, 0xa5, sizes[i]);
	}
	kslab_region_reset(r);
	for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++) {
		unsigned char *p = kslab_region_alloc(r, sizes[i], 32,
						      GFP_KERNEL | __GFP_ZERO);

		KTAP_EXPECT(t, p && all_zero(p, sizes[i]));
		sum += sizes[i];
	}
	st = region_stats(r);
	KTAP_EXPECT_EQ(t, st.used_bytes, sum);
	KTAP_EXPECT_EQ(t, st.allocs, 2 * KSLAB_ARRAY_SIZE(sizes));
	KTAP_EXPECT_EQ(t, zone_used(zone) * KSLAB_PAGE_SIZE, st.block_bytes);
	KTAP_EXPECT_EQ(t, st.peak_block_bytes >= st.block_bytes, 1);
	expect_balanced(t, &st);

	len = kslab_region_format(r, NULL, 0);
	text = kslab_kmalloc(len + 1, GFP_KERNEL);
	KTAP_ASSERT(t, text != NULL);
	KTAP_EXPECT_EQ(t, kslab_region_format(r, text, len + 1), len);
	KTAP_EXPECT(t, str_starts_with(text, "regioninfo - version: 1.0\n"));
	EXPECT_HAS_WORD(t, text, "t-stats");
	kslab_kfree(text);
	len = kslab_regioninfo_format(NULL, 0);
	text = kslab_kmalloc(len + 1, GFP_KERNEL);
	KTAP_ASSERT(t, text != NULL);
	KTAP_EXPECT_EQ(t, kslab_regioninfo_format(text, len + 1), len);
	EXPECT_HAS_WORD(t, text, "t-stats");
	kslab_kfree(text);
	kslab_region_destroy(r);
	zone_done(t, zone);
}

static const struct ktap_case region_cases[] = {
	{ "alignment", test_alignment },
	{ "alignment_beyond_blocks", test_alignment_beyond_blocks },
	{ "marks", test_marks },
	{ "bad_input", test_bad_input },
	{ "reset", test_reset },
	{ "destroy", test_destroy },
	{ "large", test_large },
	{ "fault_injection", test_fault_injection },
	{ "zero_stats_text", test_zero_stats_text },
};

const struct ktap_suite region_suite = KTAP_SUITE("region", region_cases);
