// SPDX-License-Identifier: GPL-2.0
/*
 * Frees kslab must refuse: an object of another cache, a pointer inside
 * an object or into a slab's header or tail, memory kslab does not manage
 * (a stack variable), a buddy block that is no slab, a second free that
 * reaches the slabs (at once without magazines, or when the magazine
 * holding it twice goes back), and a second free of the object on top of
 * this CPU's magazine, and a free of an object its slab never handed
 * out. Also a slab header's free map or its count of objects handed out
 * overwritten: reported, the slab's free objects
 * quarantined, the rest of the cache unharmed. Each is reported exactly
 * once, naming the cache and the address, counted in the cache's
 * bad_frees, and changes nothing else: the real object stays usable and
 * freeable.
 * Also: freeing NULL, and destroying a cache that still has objects out.
 */
#include <kslab/buddy.h>

#include "../../mm/slab.h"
#include "slab_tests.h"

#define WHAT_WRONG_CACHE	"free to wrong cache"
#define WHAT_INSIDE		"inside an object"
#define WHAT_FOREIGN		"not managed by kslab"
#define WHAT_NOT_SLAB		"not a slab object"
#define WHAT_DOUBLE		"double free"

/* What a refused free must leave as it was. */
static void expect_objects_unchanged(struct ktap_test *t,
				     const struct kslab_cache_stats *before,
				     const struct kslab_cache_stats *after)
{
	KTAP_EXPECT_EQ(t, after->active_objs, before->active_objs);
	KTAP_EXPECT_EQ(t, after->magazine_objs, before->magazine_objs);
	KTAP_EXPECT_EQ(t, after->num_slabs, before->num_slabs);
	KTAP_EXPECT_EQ(t, after->active_slabs, before->active_slabs);
	KTAP_EXPECT_EQ(t, after->magazine.free_hit, before->magazine.free_hit);
	KTAP_EXPECT_EQ(t, after->magazine.free_swap, before->magazine.free_swap);
}

/* Free @ptr to @cache, which is wrong for reason @what. Return: the report. */
static const char *expect_bad_free(struct ktap_test *t,
				   struct kslab_cache *cache, void *ptr,
				   const char *what)
{
	static struct report_capture cap;
	struct kslab_cache_stats before, after;
	char addr[32];

	before = cache_stats(cache);
	capture_start(&cap);
	kslab_cache_free(cache, ptr);
	capture_stop(&cap);
	after = cache_stats(cache);

	expect_one_error(t, &cap, what, kslab_cache_name(cache));
	kslab_snprintf(addr, sizeof(addr), "%p", ptr);
	if (cap.seen)
		EXPECT_HAS_WORD(t, cap.msg[0], addr);
	KTAP_EXPECT_EQ(t, after.bad_frees, before.bad_frees + 1);
	expect_objects_unchanged(t, &before, &after);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	return cap.seen ? cap.msg[0] : "";
}

/* The object a bad free was aimed near is still the caller's: use, free it. */
static void expect_still_usable(struct ktap_test *t,
				struct kslab_cache *cache, void *obj,
				unsigned int size)
{
	unsigned long held = held_objs(cache);

	kslab_memset(obj, 0x3c, size);
	kslab_cache_free(cache, obj);
	KTAP_EXPECT_EQ(t, held_objs(cache), held - 1);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
}

static void test_bad_free_wrong_cache(struct ktap_test *t)
{
	struct kslab_cache *a = test_cache(t, "t-wrong-owner", 64, NULL, 0);
	struct kslab_cache *b = test_cache(t, "t-wrong-target", 64, NULL, 0);
	const char *msg;
	void *obj;

	if (!a || !b)
		goto out;
	obj = kslab_cache_alloc(a, GFP_KERNEL);
	if (!KTAP_EXPECT(t, obj != NULL))
		goto out;
	msg = expect_bad_free(t, b, obj, WHAT_WRONG_CACHE);
	EXPECT_HAS_WORD(t, msg, "t-wrong-owner");
	KTAP_EXPECT_EQ(t, cache_stats(a).bad_frees, 0);
	KTAP_EXPECT_EQ(t, held_objs(a), 1);
	expect_still_usable(t, a, obj, 64);
out:
	test_cache_destroy(t, a);
	test_cache_destroy(t, b);
}

/*
 * Inside an object, in an on-slab header and in the waste after the last
 * object: all within a slab of this cache, none an object's start.
 */
static void expect_inside_refused(struct ktap_test *t, const char *name,
				  unsigned long flags)
{
	struct kslab_cache *cache = test_cache(t, name, 64, NULL, flags);
	struct kslab_cache_stats st;
	char *obj, *slab;

	if (!cache)
		return;
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	if (!KTAP_EXPECT(t, obj != NULL))
		goto out;
	st = cache_stats(cache);
	KTAP_EXPECT(t, !st.off_slab);
	slab = obj - offset_in_slab(obj, &st);
	EXPECT_CONTAINS(t, expect_bad_free(t, cache, obj + 1, WHAT_INSIDE),
			"offset=1");
	EXPECT_CONTAINS(t, expect_bad_free(t, cache, obj + 63, WHAT_INSIDE),
			"offset=63");
	expect_bad_free(t, cache, slab, WHAT_INSIDE);
	expect_bad_free(t, cache, slab + slab_bytes(&st) - 8, WHAT_INSIDE);
	expect_still_usable(t, cache, obj, 64);
out:
	test_cache_destroy(t, cache);
}

static void test_bad_free_inside(struct ktap_test *t)
{
	expect_inside_refused(t, "t-inside", 0);
	expect_inside_refused(t, "t-inside-nomag", KSLAB_NO_MAGAZINE);
}

static void test_bad_free_foreign(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-foreign", 64, NULL, 0);
	unsigned long on_stack[8];
	void *obj;

	if (!cache)
		return;
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	if (KTAP_EXPECT(t, obj != NULL)) {
		expect_bad_free(t, cache, on_stack, WHAT_FOREIGN);
		expect_bad_free(t, cache, &on_stack[3], WHAT_FOREIGN);
		expect_still_usable(t, cache, obj, 64);
	}
	test_cache_destroy(t, cache);
}

/* Pages from the buddy allocator are kslab's, but no slab's. */
static void test_bad_free_buddy_block(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-buddy-block", 64, NULL, 0);
	char *block = kslab_alloc_pages(GFP_KERNEL, 1);
	void *obj;

	if (!cache || !KTAP_EXPECT(t, block != NULL))
		goto out;
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	if (KTAP_EXPECT(t, obj != NULL)) {
		expect_bad_free(t, cache, block, WHAT_NOT_SLAB);
		expect_bad_free(t, cache, block + KSLAB_PAGE_SIZE, WHAT_NOT_SLAB);
		expect_bad_free(t, cache, block + 64, WHAT_NOT_SLAB);
		expect_still_usable(t, cache, obj, 64);
	}
out:
	kslab_free_pages(block, 1);
	test_cache_destroy(t, cache);
}

/*
 * After a refused second free the cache was not corrupted: the next two
 * allocations are two objects, not the freed one twice. Frees them.
 */
static void expect_handed_out_once(struct ktap_test *t,
				   struct kslab_cache *cache)
{
	void *obj = kslab_cache_alloc(cache, GFP_KERNEL);
	void *again = kslab_cache_alloc(cache, GFP_KERNEL);

	KTAP_EXPECT(t, obj && again && obj != again);
	kslab_cache_free(cache, obj);
	kslab_cache_free(cache, again);
}

/*
 * Without magazines a free reaches its slab at once, so freeing the only
 * object of a slab twice is caught: the slab has nothing out.
 */
static void test_bad_free_double(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-double", 64, NULL,
					       KSLAB_NO_MAGAZINE);
	void *obj;

	if (!cache)
		return;
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	if (KTAP_EXPECT(t, obj != NULL)) {
		kslab_cache_free(cache, obj);
		KTAP_EXPECT_EQ(t, cache_stats(cache).active_objs, 0);
		expect_bad_free(t, cache, obj, WHAT_DOUBLE);
		expect_handed_out_once(t, cache);
		KTAP_EXPECT_EQ(t, cache_stats(cache).active_objs, 0);
	}
	test_cache_destroy(t, cache);
}

/*
 * Without magazines every double free is caught, also while the slab has
 * other objects out: the object is still among its slab's free ones.
 */
static void test_bad_free_double_partial(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-double-partial", 64, NULL,
					       KSLAB_NO_MAGAZINE);
	void *objs[3], *again[2];

	if (!cache || !alloc_objs(t, cache, objs, 3))
		goto out;
	kslab_cache_free(cache, objs[1]);
	expect_bad_free(t, cache, objs[1], WHAT_DOUBLE);
	/* Listed free once: handed out once. */
	if (alloc_objs(t, cache, again, 2)) {
		KTAP_EXPECT(t, again[0] != again[1]);
		free_objs(cache, again, 2);
	}
	kslab_cache_free(cache, objs[0]);
	kslab_cache_free(cache, objs[2]);
out:
	test_cache_destroy(t, cache);
}

/*
 * With magazines, the free fast path refuses the object already on top of
 * this CPU's magazine: freeing it again is reported, not cached twice.
 */
static void test_bad_free_double_magazine(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-double-mag", 64, NULL, 0);
	void *spare, *obj;

	if (!cache)
		return;
	/*
	 * The first allocation loads a full magazine; with two out, the free
	 * of one leaves room for a second push, which only the check refuses.
	 */
	spare = kslab_cache_alloc(cache, GFP_KERNEL);
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	if (KTAP_EXPECT(t, obj && spare)) {
		kslab_cache_free(cache, obj);
		KTAP_EXPECT(t, cache_stats(cache).magazine_objs <
			       cache_stats(cache).magazine_size);
		expect_bad_free(t, cache, obj, WHAT_DOUBLE);
		expect_handed_out_once(t, cache);
	}
	kslab_cache_free(cache, spare);
	test_cache_destroy(t, cache);
}

/*
 * A double free the fast path cannot see (another object went on top in
 * between) waits in the magazine; when the magazine goes back to the
 * slabs, the free map already holds the object free: reported once, and
 * the slab stays sound.
 */
static void test_bad_free_double_flushed(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-double-flush", 64, NULL, 0);
	struct report_capture cap;
	void *spare, *a, *b;

	if (!cache)
		return;
	spare = kslab_cache_alloc(cache, GFP_KERNEL);
	a = kslab_cache_alloc(cache, GFP_KERNEL);
	b = kslab_cache_alloc(cache, GFP_KERNEL);
	if (KTAP_EXPECT(t, spare && a && b)) {
		kslab_cache_free(cache, a);
		kslab_cache_free(cache, b);
		capture_start(&cap);
		kslab_cache_free(cache, a);
		kslab_cache_shrink(cache);
		capture_stop(&cap);
		expect_one_error(t, &cap, "double free", "t-double-flush");
		KTAP_EXPECT_EQ(t, cache_stats(cache).active_objs, 1);
		KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	}
	kslab_cache_free(cache, spare);
	test_cache_destroy(t, cache);
}

/*
 * An overflow into an on-slab header: one bit of the free map flips, the
 * first past the last object where there is one, or (@fresh) one bit of
 * the count of positions ever handed out, which would hand back objects
 * out. The allocation reports it once and is served from a new slab; the
 * old slab's free objects are quarantined, its object out is freed as
 * ever, and destroy gives every page back.
 */
static void expect_header_corruption(struct ktap_test *t, const char *name,
				     bool fresh)
{
	struct kslab_cache *cache = test_cache(t, name, 64, NULL,
					       KSLAB_NO_MAGAZINE);
	unsigned long pages = buddy_used_pages(), n;
	struct report_capture cap;
	struct kslab_slab *slab;
	void *obj, *other = NULL;

	if (!cache)
		return;
	obj = kslab_cache_alloc(cache, GFP_KERNEL);
	slab = obj ? kslab_obj_to_slab(obj) : NULL;
	if (KTAP_EXPECT(t, slab && !cache_stats(cache).off_slab)) {
		/* Whatever the key, a flipped bit is a wrong count or a stray. */
		n = cache_stats(cache).objs_per_slab;
		if (fresh)
			slab->fresh ^= 1;
		else if (n % KSLAB_MAP_BITS)
			slab->free_map[n / KSLAB_MAP_BITS] ^=
				1UL << (n % KSLAB_MAP_BITS);
		else
			slab->free_map[0] ^= 1;
		capture_start(&cap);
		other = kslab_cache_alloc(cache, GFP_KERNEL);
		capture_stop(&cap);
		expect_one_error(t, &cap, "free map corrupted", name);
		KTAP_EXPECT(t, other && kslab_obj_to_slab(other) != slab);
		KTAP_EXPECT_EQ(t, cache_stats(cache).quarantined,
			       cache_stats(cache).objs_per_slab - 1);
		KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
		kslab_cache_free(cache, other);
	}
	kslab_cache_free(cache, obj);
	capture_start(&cap);
	kslab_cache_destroy(cache);
	capture_stop(&cap);
	expect_no_report(t, &cap);
	KTAP_EXPECT_EQ(t, buddy_used_pages(), pages);
}

static void test_freelist_corrupt(struct ktap_test *t)
{
	expect_header_corruption(t, "t-corrupt", false);
}

static void test_fresh_corrupt(struct ktap_test *t)
{
	expect_header_corruption(t, "t-corrupt-fresh", true);
}

/*
 * A free of an object its slab never handed out, while the slab still has
 * such objects: the slab holds it free already, so it is a double free,
 * told from the objects out by walking the slab's shuffle back. Refused,
 * and the slab then hands each object out once.
 */
static void test_bad_free_never_out(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-never-out", 64, NULL,
					       KSLAB_NO_MAGAZINE);
	struct kslab_cache_stats st;
	struct kslab_slab *slab;
	char *never = NULL;
	unsigned long i;
	void *objs[2];

	if (!cache || !alloc_objs(t, cache, objs, 2))
		goto out;
	st = cache_stats(cache);
	slab = kslab_obj_to_slab(objs[0]);
	for (i = 0; slab && i < st.objs_per_slab && !never; i++)
		if (slab->s_mem + i * st.size != objs[0] &&
		    slab->s_mem + i * st.size != objs[1])
			never = slab->s_mem + i * st.size;
	if (KTAP_EXPECT(t, never != NULL)) {
		expect_bad_free(t, cache, never, WHAT_DOUBLE);
		expect_handed_out_once(t, cache);
	}
	free_objs(cache, objs, 2);
out:
	test_cache_destroy(t, cache);
}

static void expect_free_null_ignored(struct ktap_test *t, const char *name,
				     unsigned long flags)
{
	struct kslab_cache *cache = test_cache(t, name, 64, NULL, flags);
	struct kslab_cache_stats before, after;
	struct report_capture cap;

	if (!cache)
		return;
	before = cache_stats(cache);
	capture_start(&cap);
	kslab_cache_free(cache, NULL);
	kslab_cache_free_bulk(cache, 0, NULL);
	capture_stop(&cap);
	after = cache_stats(cache);
	expect_no_report(t, &cap);
	expect_objects_unchanged(t, &before, &after);
	KTAP_EXPECT_EQ(t, after.magazine.free_miss, before.magazine.free_miss);
	KTAP_EXPECT_EQ(t, after.flushes, before.flushes);
	KTAP_EXPECT_EQ(t, after.bad_frees, 0);
	test_cache_destroy(t, cache);
}

static void test_free_null(struct ktap_test *t)
{
	expect_free_null_ignored(t, "t-free-null", 0);
	expect_free_null_ignored(t, "t-free-null-nomag", KSLAB_NO_MAGAZINE);
}

#define LIVE_OBJS	3
#define CACHED_OBJS	40

/*
 * Destroying a cache with objects out reports their count and keeps the
 * cache, so those objects stay valid; its spare memory goes back anyway.
 */
static void test_destroy_with_live_objects(struct ktap_test *t)
{
	struct kslab_cache *cache = test_cache(t, "t-destroy-live", 512, NULL, 0);
	void *objs[LIVE_OBJS + CACHED_OBJS], *extra;
	struct kslab_cache_stats st;
	struct report_capture cap;

	if (!cache || !alloc_objs(t, cache, objs, LIVE_OBJS + CACHED_OBJS))
		goto out;
	free_objs(cache, objs + LIVE_OBJS, CACHED_OBJS);
	capture_start(&cap);
	kslab_cache_destroy(cache);
	capture_stop(&cap);
	expect_one_error(t, &cap, "still allocated", "t-destroy-live");
	if (cap.seen)
		EXPECT_HAS_WORD(t, cap.msg[0], "3");

	st = cache_stats(cache);
	KTAP_EXPECT_EQ(t, st.active_objs, LIVE_OBJS);
	KTAP_EXPECT_EQ(t, st.magazine_objs, 0);
	KTAP_EXPECT_EQ(t, st.num_slabs, st.active_slabs);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	extra = kslab_cache_alloc(cache, GFP_KERNEL);
	if (KTAP_EXPECT(t, extra != NULL))
		kslab_cache_free(cache, extra);
	free_objs(cache, objs, LIVE_OBJS);
out:
	test_cache_destroy(t, cache);
}

static void test_destroy_null(struct ktap_test *t)
{
	struct report_capture cap;

	capture_start(&cap);
	kslab_cache_destroy(NULL);
	capture_stop(&cap);
	expect_no_report(t, &cap);
}

/*
 * A bulk free pushes many objects inside one section: the same object
 * twice in its list, and a pointer inside an object, are reported one
 * each, the rest is freed, and nothing is handed out twice after.
 */
static void test_bad_free_in_bulk(struct ktap_test *t)
{
	static void *list[22], *again[200];
	struct kslab_cache *cache = test_cache(t, "t-bad-bulk", 64, NULL, 0);
	struct report_capture cap;
	unsigned int i;

	if (!cache || !KTAP_EXPECT(t, kslab_cache_alloc_bulk(cache, GFP_KERNEL,
							     20, list) == 20))
		goto out;
	/* o0..o9, o9 again, o10..o19, and a pointer inside o11 */
	for (i = 20; i > 10; i--)
		list[i] = list[i - 1];
	list[10] = list[9];
	list[21] = (char *)list[12] + 8;
	capture_start(&cap);
	kslab_cache_free_bulk(cache, 22, list);
	capture_stop(&cap);
	KTAP_EXPECT_EQ(t, cap.seen, 2);
	EXPECT_CONTAINS(t, cap.msg[0], "double free");
	EXPECT_CONTAINS(t, cap.msg[1], "t-bad-bulk");
	KTAP_EXPECT_EQ(t, held_objs(cache), 0);
	if (KTAP_EXPECT(t, kslab_cache_alloc_bulk(cache, GFP_KERNEL | __GFP_ZERO,
						  200, again) == 200)) {
		KTAP_EXPECT(t, objs_disjoint(again, 200, 64));
		KTAP_EXPECT(t, !((unsigned long *)again[0])[0] &&
			       !((unsigned long *)again[199])[7]);
		kslab_cache_free_bulk(cache, 200, again);
	}
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
out:
	test_cache_destroy(t, cache);
}

static const struct ktap_case slab_bad_free_cases[] = {
	{ "bad_free_wrong_cache", test_bad_free_wrong_cache },
	{ "bad_free_inside", test_bad_free_inside },
	{ "bad_free_foreign", test_bad_free_foreign },
	{ "bad_free_buddy_block", test_bad_free_buddy_block },
	{ "bad_free_double", test_bad_free_double },
	{ "bad_free_double_partial", test_bad_free_double_partial },
	{ "bad_free_double_magazine", test_bad_free_double_magazine },
	{ "bad_free_double_flushed", test_bad_free_double_flushed },
	{ "freelist_corrupt", test_freelist_corrupt },
	{ "fresh_corrupt", test_fresh_corrupt },
	{ "bad_free_never_out", test_bad_free_never_out },
	{ "free_null", test_free_null },
	{ "destroy_with_live_objects", test_destroy_with_live_objects },
	{ "destroy_null", test_destroy_null },
	{ "bad_free_in_bulk", test_bad_free_in_bulk },
};

const struct ktap_suite slab_bad_free_suite =
	KTAP_SUITE("slab_bad_free", slab_bad_free_cases);
