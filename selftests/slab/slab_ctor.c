// SPDX-License-Identifier: GPL-2.0
/*
 * Constructors and destructors: the constructor runs once on every object
 * of a slab when the slab is made and never on allocation; objects keep
 * whatever state they were freed in, byte for byte, because free lists
 * live in slab headers and magazines, never in the objects; __GFP_ZERO
 * overrides that state; the destructor runs on every object of each slab
 * that goes back (shrink, destroy) and on no object still in use.
 *
 * test_ctor() and test_dtor() count into the global ctor_counts, so only
 * one cache with them may be live at a time: each test resets the counts
 * first and empties its cache before it ends.
 */
#include "slab_tests.h"

#define CTOR_OBJS	1000

/* Tests run one at a time: their object arrays stay off small kernel stacks. */
static void *scratch[CTOR_OBJS];

#define STATE_KEY	0x5a5a5a5aUL

static struct kslab_cache *ctor_cache(struct ktap_test *t, const char *name,
				      unsigned long flags)
{
	ctor_counts_reset();
	return test_cache(t, name, sizeof(struct ctor_obj), &ctor_args, flags);
}

static unsigned long ctors(void)
{
	return (unsigned long)kslab_atomic_read(&ctor_counts.ctors);
}

static unsigned long dtors(void)
{
	return (unsigned long)kslab_atomic_read(&ctor_counts.dtors);
}

/* Every slab the cache made was constructed in full, and nothing more. */
static void expect_ctors_per_slab(struct ktap_test *t,
				  struct kslab_cache *cache)
{
	struct kslab_cache_stats st = cache_stats(cache);

	KTAP_EXPECT_EQ(t, ctors(), st.slab_grows * st.objs_per_slab);
}

static unsigned long count_unconstructed(void **objs, unsigned long n)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i++)
		bad += !ctor_obj_constructed(objs[i]);
	return bad;
}

static void test_ctor_once_per_object(struct ktap_test *t)
{
	struct kslab_cache *cache = ctor_cache(t, "t-ctor-once", 0);
	void **objs = scratch;
	unsigned long made, i;

	if (!cache || !alloc_objs(t, cache, objs, 1))
		goto out;
	expect_ctors_per_slab(t, cache);
	made = ctors();
	KTAP_EXPECT(t, made >= cache_stats(cache).objs_per_slab);
	/* Reusing constructed objects constructs nothing. */
	for (i = 0; i < 1000; i++) {
		kslab_cache_free(cache, objs[0]);
		objs[0] = kslab_cache_alloc(cache, GFP_KERNEL);
		if (!KTAP_EXPECT(t, objs[0] != NULL))
			goto out;
	}
	KTAP_EXPECT_EQ(t, ctors(), made);
	kslab_cache_free(cache, objs[0]);
	if (alloc_objs(t, cache, objs, CTOR_OBJS)) {
		KTAP_EXPECT(t, cache_stats(cache).slab_grows > 1);
		expect_ctors_per_slab(t, cache);
		KTAP_EXPECT_EQ(t, count_unconstructed(objs, CTOR_OBJS), 0);
		free_objs(cache, objs, CTOR_OBJS);
	}
	KTAP_EXPECT_EQ(t, dtors(), 0);
out:
	test_cache_destroy(t, cache);
	KTAP_EXPECT_EQ(t, dtors(), ctors());
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&ctor_counts.bad_dtors), 0);
}

/*
 * Give each object a state of its own and free them all, then take every
 * object the cache has: the marked ones come back exactly as they left,
 * the rest as the constructor made them.
 */
static void expect_state_kept(struct ktap_test *t, const char *name,
			      unsigned long flags)
{
	struct kslab_cache *cache = ctor_cache(t, name, flags);
	unsigned long i, n, all, kept = 0, fresh = 0;
	void **objs = scratch;

	if (!cache)
		return;
	/* Over a slab boundary. */
	n = cache_stats(cache).objs_per_slab + 5;
	if (!alloc_objs(t, cache, objs, n))
		goto out;
	KTAP_EXPECT_EQ(t, count_unconstructed(objs, n), 0);
	for (i = 0; i < n; i++)
		((struct ctor_obj *)objs[i])->state = (unsigned long)objs[i] ^ STATE_KEY;
	free_objs(cache, objs, n);
	all = cache_stats(cache).num_objs;
	if (!KTAP_EXPECT(t, all <= CTOR_OBJS) || !alloc_objs(t, cache, objs, all))
		goto out;
	for (i = 0; i < all; i++) {
		struct ctor_obj *o = objs[i];

		kept += o->state == ((unsigned long)o ^ STATE_KEY);
		fresh += !o->state;
		o->state = 0;	/* constructed again, for the destructor */
	}
	KTAP_EXPECT_EQ(t, kept, n);
	KTAP_EXPECT_EQ(t, kept + fresh, all);
	KTAP_EXPECT_EQ(t, count_unconstructed(objs, all), 0);
	expect_ctors_per_slab(t, cache);
	free_objs(cache, objs, all);
out:
	test_cache_destroy(t, cache);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&ctor_counts.bad_dtors), 0);
}

static void test_ctor_state_kept(struct ktap_test *t)
{
	expect_state_kept(t, "t-ctor-state", 0);
}

static void test_ctor_state_kept_no_magazine(struct ktap_test *t)
{
	expect_state_kept(t, "t-ctor-state-nomag", KSLAB_NO_MAGAZINE);
}

static bool bytes_zero(const void *p, unsigned long n)
{
	const unsigned char *b = p;
	unsigned long i;

	for (i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/*
 * __GFP_ZERO clears the whole object on the slow path (first allocation)
 * and on the magazine fast path (the same object again), over what the
 * constructor or the last user left.
 */
static void expect_zeroed(struct ktap_test *t, const char *name,
			  unsigned long flags)
{
	unsigned int size = sizeof(struct ctor_obj);
	struct kslab_cache *cache = ctor_cache(t, name, flags);
	struct ctor_obj *obj;
	int round;

	if (!cache)
		return;
	for (round = 0; round < 3; round++) {
		obj = kslab_cache_alloc(cache, GFP_KERNEL | __GFP_ZERO);
		if (!KTAP_EXPECT(t, obj != NULL))
			break;
		KTAP_EXPECT(t, bytes_zero(obj, size));
		kslab_memset(obj, 0xff, size);
		test_ctor(obj);	/* freed objects must be constructed */
		kslab_cache_free(cache, obj);
	}
	test_cache_destroy(t, cache);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&ctor_counts.bad_dtors), 0);
}

static void test_gfp_zero(struct ktap_test *t)
{
	expect_zeroed(t, "t-gfp-zero", 0);
	expect_zeroed(t, "t-gfp-zero-nomag", KSLAB_NO_MAGAZINE);
}

/* Shrinking destroys every slab, cached objects' slabs included. */
static void test_dtor_on_shrink(struct ktap_test *t)
{
	struct kslab_cache *cache = ctor_cache(t, "t-dtor-shrink", 0);
	struct kslab_cache_stats st;
	void **objs = scratch;

	if (!cache)
		return;
	if (alloc_objs(t, cache, objs, CTOR_OBJS)) {
		free_objs(cache, objs, CTOR_OBJS);
		KTAP_EXPECT_EQ(t, dtors(), 0);
		KTAP_EXPECT(t, kslab_cache_shrink(cache) > 0);
		st = cache_stats(cache);
		KTAP_EXPECT_EQ(t, st.num_slabs, 0);
		KTAP_EXPECT_EQ(t, dtors(), st.slab_frees * st.objs_per_slab);
		KTAP_EXPECT_EQ(t, dtors(), ctors());
	}
	test_cache_destroy(t, cache);
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&ctor_counts.bad_dtors), 0);
}

static void test_dtor_on_destroy(struct ktap_test *t)
{
	struct kslab_cache *cache = ctor_cache(t, "t-dtor-destroy", 0);
	void **objs = scratch;

	if (!cache)
		return;
	if (alloc_objs(t, cache, objs, CTOR_OBJS))
		free_objs(cache, objs, CTOR_OBJS);
	KTAP_EXPECT_EQ(t, dtors(), 0);
	test_cache_destroy(t, cache);
	KTAP_EXPECT(t, ctors() >= CTOR_OBJS);
	KTAP_EXPECT_EQ(t, dtors(), ctors());
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&ctor_counts.bad_dtors), 0);
}

/*
 * Objects still held pin their slabs: a shrink destroys only the slabs
 * left empty, and the held objects' state is untouched.
 */
static void test_dtor_spares_live_slabs(struct ktap_test *t)
{
	struct kslab_cache *cache = ctor_cache(t, "t-dtor-live", 0);
	unsigned long i, held = 0, per_slab;
	struct kslab_cache_stats st;
	void **objs = scratch;

	if (!cache || !alloc_objs(t, cache, objs, CTOR_OBJS))
		goto out;
	per_slab = cache_stats(cache).objs_per_slab;
	/* Keep the first slab's worth of objects, and mark them. */
	for (i = 0; i < CTOR_OBJS; i++) {
		if (i < per_slab) {
			((struct ctor_obj *)objs[held++])->state = i + 1;
			continue;
		}
		kslab_cache_free(cache, objs[i]);
	}
	kslab_cache_shrink(cache);
	st = cache_stats(cache);
	KTAP_EXPECT(t, st.slab_frees > 0);
	KTAP_EXPECT_EQ(t, dtors(), st.slab_frees * st.objs_per_slab);
	KTAP_EXPECT_EQ(t, ctors() - dtors(), st.num_slabs * st.objs_per_slab);
	KTAP_EXPECT_EQ(t, st.active_objs, held);
	for (i = 0; i < held; i++) {
		struct ctor_obj *o = objs[i];

		KTAP_EXPECT_EQ(t, o->state, i + 1);
		o->state = 0;
	}
	KTAP_EXPECT_EQ(t, count_unconstructed(objs, held), 0);
	free_objs(cache, objs, held);
out:
	test_cache_destroy(t, cache);
	KTAP_EXPECT_EQ(t, dtors(), ctors());
	KTAP_EXPECT_EQ(t, kslab_atomic_read(&ctor_counts.bad_dtors), 0);
}

static const struct ktap_case slab_ctor_cases[] = {
	{ "ctor_once_per_object", test_ctor_once_per_object },
	{ "ctor_state_kept", test_ctor_state_kept },
	{ "ctor_state_kept_no_magazine", test_ctor_state_kept_no_magazine },
	{ "gfp_zero", test_gfp_zero },
	{ "dtor_on_shrink", test_dtor_on_shrink },
	{ "dtor_on_destroy", test_dtor_on_destroy },
	{ "dtor_spares_live_slabs", test_dtor_spares_live_slabs },
};

const struct ktap_suite slab_ctor_suite =
	KTAP_SUITE("slab_ctor", slab_ctor_cases);
