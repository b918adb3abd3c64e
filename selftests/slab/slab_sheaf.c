// SPDX-License-Identifier: GPL-2.0
/*
 * Sheaves (mm/sheaf.c): a magazine of the depot lent whole and taken back
 * whole; the objects a section that must not fail takes while every other
 * allocation of the cache fails; a sheaf larger than a magazine; refill
 * and zeroing; a prefill that fails holds nothing; a debugged cache's
 * sheaf. Portable: runs in the kernel module's tests too.
 */
#include <kslab/fault.h>

#include "slab_tests.h"

#define SHEAF_MAGAZINE	30
#define CHAIN_OBJS	600

/* Tests run one at a time: their object arrays stay off kernel stacks. */
static void *scratch[CHAIN_OBJS];

static struct kslab_cache *sheaf_cache(struct ktap_test *t, const char *name,
				       unsigned long flags)
{
	struct kslab_cache_args args = { .magazine_size = SHEAF_MAGAZINE };

	return test_cache(t, name, 96, &args, flags);
}

static bool arm_cache_point(const char *name, unsigned long every,
			    unsigned long nth)
{
	struct kslab_fault_config config = { .every = every, .nth = nth };
	unsigned int i;

	for (i = 0; name[i] && i + 1 < sizeof(config.cache); i++)
		config.cache[i] = name[i];
	return kslab_fault_set(KSLAB_FAULT_CACHE, &config) == 0;
}

/*
 * With full magazines in the depot, a prefill takes one whole: the depot
 * has one fewer, no slab is made, and its objects leave the magazine
 * count; the return puts it back.
 */
static void test_lent_whole_from_depot(struct ktap_test *t)
{
	struct kslab_cache *cache = sheaf_cache(t, "t-sheaf-depot", 0);
	struct kslab_cache_stats before, lent, back;
	struct kslab_sheaf *sheaf;

	if (!cache || !alloc_objs(t, cache, scratch, 200))
		goto out;
	free_objs(cache, scratch, 200);
	before = cache_stats(cache);
	KTAP_EXPECT(t, before.depot_full > 0);
	sheaf = kslab_sheaf_prefill(cache, GFP_KERNEL, 20);
	if (!KTAP_EXPECT(t, sheaf != NULL))
		goto out;
	lent = cache_stats(cache);
	KTAP_EXPECT_EQ(t, lent.depot_full, before.depot_full - 1);
	KTAP_EXPECT_EQ(t, lent.slab_grows, before.slab_grows);
	KTAP_EXPECT_EQ(t, kslab_sheaf_size(sheaf), SHEAF_MAGAZINE);
	KTAP_EXPECT_EQ(t, lent.magazine_objs,
		       before.magazine_objs - SHEAF_MAGAZINE);
	kslab_sheaf_return(cache, GFP_KERNEL, sheaf);
	back = cache_stats(cache);
	KTAP_EXPECT_EQ(t, back.depot_full, before.depot_full);
	KTAP_EXPECT_EQ(t, back.magazine_objs, before.magazine_objs);
out:
	test_cache_destroy(t, cache);
}

/*
 * The section: once prefilled, the sheaf's objects come even though every
 * other allocation of the cache fails, and then it says it is empty.
 */
static void test_section_cannot_fail(struct ktap_test *t)
{
	struct kslab_cache *cache = sheaf_cache(t, "t-sheaf-section", 0);
	struct kslab_sheaf *sheaf;
	unsigned int got;

	if (!cache)
		return;
	sheaf = kslab_sheaf_prefill(cache, GFP_KERNEL, 24);
	if (!KTAP_EXPECT(t, sheaf != NULL))
		goto out;
	KTAP_ASSERT(t, arm_cache_point("t-sheaf-section", 1, 0));
	KTAP_EXPECT(t, kslab_cache_alloc(cache, GFP_ATOMIC) == NULL);
	for (got = 0; got < CHAIN_OBJS; got++) {
		scratch[got] = kslab_sheaf_alloc(cache, GFP_ATOMIC, sheaf);
		if (!scratch[got])
			break;
	}
	kslab_fault_clear(KSLAB_FAULT_CACHE);
	KTAP_EXPECT(t, got >= 24);
	KTAP_EXPECT_EQ(t, kslab_sheaf_size(sheaf), 0);
	KTAP_EXPECT(t, kslab_sheaf_alloc(cache, GFP_KERNEL, sheaf) == NULL);
	KTAP_EXPECT(t, objs_disjoint(scratch, got, 96));
	kslab_sheaf_return(cache, GFP_KERNEL, sheaf);
	free_objs(cache, scratch, got);
out:
	test_cache_destroy(t, cache);
}

/* Past a magazine's rounds: a chain; refill tops up; __GFP_ZERO zeroes. */
static void test_chain_refill_zero(struct ktap_test *t)
{
	struct kslab_cache *cache = sheaf_cache(t, "t-sheaf-chain", 0);
	struct kslab_sheaf *sheaf;
	unsigned long *obj, held;
	unsigned int i, got = 0;

	if (!cache)
		return;
	held = held_objs(cache);
	sheaf = kslab_sheaf_prefill(cache, GFP_KERNEL, CHAIN_OBJS);
	if (!KTAP_EXPECT(t, sheaf != NULL))
		goto out;
	KTAP_EXPECT(t, kslab_sheaf_size(sheaf) >= CHAIN_OBJS);
	KTAP_EXPECT_EQ(t, held_objs(cache), held + kslab_sheaf_size(sheaf));
	for (i = 0; i < CHAIN_OBJS; i++) {
		scratch[i] = kslab_sheaf_alloc(cache, GFP_KERNEL, sheaf);
		got += scratch[i] != NULL;
	}
	KTAP_EXPECT_EQ(t, got, CHAIN_OBJS);
	KTAP_EXPECT(t, got == CHAIN_OBJS &&
		       objs_disjoint(scratch, CHAIN_OBJS, 96));

	KTAP_EXPECT_EQ(t, kslab_sheaf_refill(cache, GFP_KERNEL, &sheaf, 40), 0);
	KTAP_EXPECT(t, kslab_sheaf_size(sheaf) >= 40);
	for (i = 0; i < 40; i++) {
		obj = kslab_sheaf_alloc(cache, GFP_KERNEL | __GFP_ZERO, sheaf);
		if (!KTAP_EXPECT(t, obj && !obj[0] && !obj[11]))
			break;
		kslab_cache_free(cache, obj);
	}
	kslab_sheaf_return(cache, GFP_KERNEL, sheaf);
	kslab_sheaf_return(cache, GFP_KERNEL, NULL);
	free_objs(cache, scratch, CHAIN_OBJS);
	KTAP_EXPECT_EQ(t, held_objs(cache), held);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
out:
	test_cache_destroy(t, cache);
}

/* A prefill the cache cannot fill returns NULL and keeps nothing out. */
static void test_failed_prefill_holds_nothing(struct ktap_test *t)
{
	struct kslab_cache *cache = sheaf_cache(t, "t-sheaf-fail", 0);
	unsigned long held;

	if (!cache)
		return;
	held = held_objs(cache);
	KTAP_ASSERT(t, arm_cache_point("t-sheaf-fail", 0, 100));
	KTAP_EXPECT(t, kslab_sheaf_prefill(cache, GFP_KERNEL, 300) == NULL);
	kslab_fault_clear(KSLAB_FAULT_CACHE);
	KTAP_EXPECT_EQ(t, held_objs(cache), held);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	test_cache_destroy(t, cache);
}

/*
 * A debugged cache has no magazines of its own to lend: its sheaf is
 * filled through the checked path, and its objects go back through it.
 */
static void test_debugged_cache(struct ktap_test *t)
{
	struct kslab_cache *cache = sheaf_cache(t, "t-sheaf-debug",
						KSLAB_RED_ZONE | KSLAB_POISON);
	struct kslab_sheaf *sheaf;
	void *obj;

	if (!cache)
		return;
	sheaf = kslab_sheaf_prefill(cache, GFP_KERNEL, 10);
	if (!KTAP_EXPECT(t, sheaf != NULL))
		goto out;
	KTAP_EXPECT(t, kslab_sheaf_size(sheaf) >= 10);
	KTAP_EXPECT_EQ(t, cache_stats(cache).magazine_objs, 0);
	obj = kslab_sheaf_alloc(cache, GFP_KERNEL, sheaf);
	KTAP_EXPECT(t, obj != NULL);
	kslab_cache_free(cache, obj);
	kslab_sheaf_return(cache, GFP_KERNEL, sheaf);
	KTAP_EXPECT_EQ(t, held_objs(cache), 0);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
out:
	test_cache_destroy(t, cache);
}

static const struct ktap_case slab_sheaf_cases[] = {
	{ "lent_whole_from_depot", test_lent_whole_from_depot },
	{ "section_cannot_fail", test_section_cannot_fail },
	{ "chain_refill_zero", test_chain_refill_zero },
	{ "failed_prefill_holds_nothing", test_failed_prefill_holds_nothing },
	{ "debugged_cache", test_debugged_cache },
};

const struct ktap_suite slab_sheaf_suite =
	KTAP_SUITE("slab_sheaf", slab_sheaf_cases);
