// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel code of 6.12 to 6.18 and after on userspace kslab (suite
 * compat_new), through <linux/slab.h> and <linux/gfp.h> alone: the
 * kmem_cache_args form of kmem_cache_create() and the old one side by
 * side, KMEM_CACHE, flags kslab refuses, bulk calls and
 * kmem_cache_alloc_lru(), 6.18's sheaves, the GFP names with the
 * kernel's values, failing exactly the non-blocking allocations, the
 * typed allocators (kmalloc_obj and its family), and the everyday helpers
 * (kvmalloc, kmemdup, kstrdup, krealloc_array, kfree_sensitive,
 * kvfree_rcu).
 */
#include <linux/gfp.h>
#include <linux/slab.h>
#include <kslab/fault.h>

#include "compat_tests.h"

#define CTOR_MAGIC	0x6e6f6465UL

struct node_like {
	unsigned long magic;
	unsigned long key;
	char name[24];		/* the part copied to and from user memory */
	void *slots[5];
};

static void node_ctor(void *p)
{
	((struct node_like *)p)->magic = CTOR_MAGIC;
}

/* The cache's statistics, for what the kernel's API cannot ask. */
static struct kslab_cache_stats stats_of(struct kmem_cache *cache)
{
	struct kslab_cache_stats st;

	kslab_cache_stats(cache, &st);
	return st;
}

/* kmem_cache_create() with args, with NULL, and in 6.1's form; KMEM_CACHE. */
static void test_create_forms(struct ktap_test *t)
{
	struct kmem_cache_args args = {
		.align = 64,
		.ctor = node_ctor,
		.useroffset = offsetof(struct node_like, name),
		.usersize = sizeof(((struct node_like *)0)->name),
		.freeptr_offset = offsetof(struct node_like, slots),
		.use_freeptr_offset = true,
		.sheaf_capacity = 30,
	};
	struct kmem_cache *with_args, *with_null, *old_form, *macro, *usercopy;
	struct kslab_cache_stats st;
	struct node_like *node;

	with_args = kmem_cache_create("compat_args", sizeof(struct node_like),
				      &args, SLAB_ACCOUNT | SLAB_TYPESAFE_BY_RCU);
	with_null = kmem_cache_create("compat_null", 48, NULL,
				      SLAB_RECLAIM_ACCOUNT | SLAB_NO_MERGE);
	old_form = kmem_cache_create("compat_old", 40, 8, SLAB_HWCACHE_ALIGN,
				     NULL);
	macro = KMEM_CACHE(node_like, SLAB_PANIC);
	usercopy = KMEM_CACHE_USERCOPY(node_like, 0, name);
	KTAP_ASSERT(t, with_args && with_null && old_form && macro && usercopy);

	node = kmem_cache_alloc(with_args, GFP_KERNEL);
	KTAP_ASSERT(t, node != NULL);
	KTAP_EXPECT_EQ(t, node->magic, CTOR_MAGIC);
	KTAP_EXPECT_EQ(t, (unsigned long)node % 64, 0);
	kmem_cache_free(with_args, node);
	st = stats_of(with_args);
	KTAP_EXPECT_EQ(t, st.useroffset, offsetof(struct node_like, name));
	KTAP_EXPECT_EQ(t, st.usersize, 24);
	KTAP_EXPECT_EQ(t, st.magazine_size, 30);
	KTAP_EXPECT(t, (st.flags & KSLAB_ACCOUNT) && (st.flags & KSLAB_TYPESAFE_BY_RCU));
	KTAP_EXPECT(t, stats_of(with_null).flags & KSLAB_RECLAIM_ACCOUNT);
	KTAP_EXPECT_EQ(t, kmem_cache_size(with_null), 48);
	KTAP_EXPECT_EQ(t, kmem_cache_size(macro), sizeof(struct node_like));
	KTAP_EXPECT_EQ(t, stats_of(usercopy).usersize, 24);
	KTAP_EXPECT_EQ(t, stats_of(old_form).size % 64, 0);

	kmem_cache_destroy(with_args);
	kmem_cache_destroy(with_null);
	kmem_cache_destroy(old_form);
	kmem_cache_destroy(macro);
	kmem_cache_destroy(usercopy);
	kmem_cache_destroy(NULL);
}

/* What kslab cannot honour is refused, with a report, never misread. */
static void test_bad_args_refused(struct ktap_test *t)
{
	struct kmem_cache_args window = { .useroffset = 40, .usersize = 16 };
	struct kmem_cache_args freeptr = { .freeptr_offset = 8,
					   .use_freeptr_offset = true };
	struct kmem_cache_args misaligned = { .freeptr_offset = 4,
					      .use_freeptr_offset = true };
	struct report_capture cap;
	struct kmem_cache *cache;

	capture_start(&cap);
	/*
	 * 2: SLAB_RED_ZONE of 6.12's numbering, and SLAB_PANIC of the
	 * kernel's own userspace harness; no kslab flag. Once it was read as
	 * KSLAB_NO_MAGAZINE.
	 */
	KTAP_EXPECT(t, !kmem_cache_create("compat_bad", 64, NULL, 2u));
	capture_stop(&cap);
	expect_one_error(t, &cap, "unknown flags", "compat_bad");
	EXPECT_CONTAINS(t, cap.msg[0], "flags 0x2)");
	/* 0x20000: 6.1's SLAB_RECLAIM_ACCOUNT, and kslab's. */
	cache = kmem_cache_create("compat_raw", 64, NULL, 0x20000u);
	KTAP_EXPECT(t, cache && (stats_of(cache).flags & KSLAB_RECLAIM_ACCOUNT));
	kmem_cache_destroy(cache);

	capture_start(&cap);
	KTAP_EXPECT(t, !kmem_cache_create("compat_window", 48, &window, 0));
	capture_stop(&cap);
	expect_one_error(t, &cap, "usercopy window outside the object", NULL);

	capture_start(&cap);
	KTAP_EXPECT(t, !kmem_cache_create("compat_freeptr", 48, &freeptr, 0));
	capture_stop(&cap);
	expect_one_error(t, &cap, "neither constructed nor TYPESAFE_BY_RCU", NULL);

	capture_start(&cap);
	KTAP_EXPECT(t, !kmem_cache_create("compat_misaligned", 48, &misaligned,
					  SLAB_TYPESAFE_BY_RCU));
	capture_stop(&cap);
	expect_one_error(t, &cap, "misaligned", NULL);
}

/* Bulk calls under the kernel's names; NULL cache frees kmalloc blocks. */
static void test_bulk_and_lru(struct ktap_test *t)
{
	struct kmem_cache *cache = kmem_cache_create("compat_bulk", 72, NULL, 0);
	struct kslab_fault_config nth = { .nth = 9 };
	void *objs[64], *blocks[8];
	unsigned int i;
	void *obj;

	KTAP_ASSERT(t, cache != NULL);
	KTAP_EXPECT_EQ(t, kmem_cache_alloc_bulk(cache, GFP_KERNEL, 64, objs), 64);
	KTAP_EXPECT_EQ(t, stats_of(cache).active_objs >= 64, true);
	kmem_cache_free_bulk(cache, 64, objs);
	obj = kmem_cache_alloc_lru(cache, NULL, GFP_KERNEL);
	KTAP_EXPECT(t, obj != NULL);
	kmem_cache_free(cache, obj);

	/* All or nothing: the ninth allocation fails, the eight are undone. */
	kslab_memcpy(nth.cache, "compat_bulk", sizeof("compat_bulk"));
	KTAP_ASSERT(t, kslab_fault_set(KSLAB_FAULT_CACHE, &nth) == 0);
	KTAP_EXPECT_EQ(t, kmem_cache_alloc_bulk(cache, GFP_KERNEL, 16, objs), 0);
	kslab_fault_clear(KSLAB_FAULT_CACHE);
	KTAP_EXPECT_EQ(t, stats_of(cache).active_objs - stats_of(cache).magazine_objs, 0);

	for (i = 0; i < 8; i++)
		blocks[i] = kmalloc(24 * (i + 1), GFP_KERNEL);
	kmem_cache_free_bulk(NULL, 4, blocks);
	kfree_bulk(4, blocks + 4);
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	kmem_cache_destroy(cache);
}

/*
 * 6.18's sheaves under the kernel's names (selftests/slab/slab_sheaf.c
 * tests kslab's own): prefill, take in the section, refill, zero, return.
 */
static void test_sheaves(struct ktap_test *t)
{
	struct kmem_cache_args args = { .sheaf_capacity = 30 };
	struct kmem_cache *cache = kmem_cache_create("compat_sheaf", 96, &args, 0);
	struct slab_sheaf *sheaf;
	unsigned long *objs[21];
	unsigned int i, got = 0;

	KTAP_ASSERT(t, cache != NULL);
	sheaf = kmem_cache_prefill_sheaf(cache, GFP_KERNEL, 20);
	KTAP_ASSERT(t, sheaf != NULL);
	KTAP_EXPECT(t, kmem_cache_sheaf_size(sheaf) >= 20);
	for (i = 0; i < 20; i++) {
		objs[i] = kmem_cache_alloc_from_sheaf(cache, GFP_NOWAIT, sheaf);
		got += objs[i] != NULL;
	}
	KTAP_EXPECT_EQ(t, got, 20);
	KTAP_EXPECT_EQ(t, kmem_cache_refill_sheaf(cache, GFP_KERNEL, &sheaf, 25), 0);
	KTAP_EXPECT(t, kmem_cache_sheaf_size(sheaf) >= 25);
	objs[20] = kmem_cache_alloc_from_sheaf(cache, GFP_KERNEL | __GFP_ZERO, sheaf);
	KTAP_ASSERT(t, objs[20] != NULL);
	KTAP_EXPECT(t, !objs[20][0] && !objs[20][11]);
	kmem_cache_return_sheaf(cache, GFP_KERNEL, sheaf);
	kmem_cache_free_bulk(cache, 21, (void **)objs);
	KTAP_EXPECT_EQ(t, stats_of(cache).active_objs, stats_of(cache).magazine_objs);
	kmem_cache_destroy(cache);
}

/* The kernel's GFP names, with the kernel's values. */
static void test_gfp_names(struct ktap_test *t)
{
	void *p;

	KTAP_EXPECT_EQ(t, GFP_KERNEL, 0xcc0u);
	KTAP_EXPECT_EQ(t, GFP_ATOMIC, 0x820u);
	KTAP_EXPECT_EQ(t, GFP_NOWAIT, 0x2800u);
	KTAP_EXPECT_EQ(t, __GFP_ZERO, 0x100u);
	KTAP_EXPECT_EQ(t, __GFP_ACCOUNT, 0x400000u);
	KTAP_EXPECT_EQ(t, __GFP_NOWARN, 0x2000u);
	KTAP_EXPECT_EQ(t, __GFP_BITS_MASK, (1u << __GFP_BITS_SHIFT) - 1);
	KTAP_EXPECT_EQ(t, GFP_ZONEMASK, 0xfu);
	KTAP_EXPECT(t, gfpflags_allow_blocking(GFP_KERNEL));
	KTAP_EXPECT(t, gfpflags_allow_blocking(GFP_NOFS | __GFP_NOWARN));
	KTAP_EXPECT(t, !gfpflags_allow_blocking(GFP_ATOMIC));
	KTAP_EXPECT(t, !gfpflags_allow_blocking(GFP_NOWAIT));
	p = kzalloc(100, GFP_KERNEL_ACCOUNT | __GFP_NOWARN | __GFP_RETRY_MAYFAIL);
	KTAP_EXPECT(t, p && !((char *)p)[99]);
	kfree(p);
}

/*
 * "nonblocking" fails exactly the allocations that may not sleep, so the
 * code that handles their failure runs, while blocking ones go on.
 */
static void *alloc_with_fallback(size_t size, unsigned int *fell_back)
{
	void *p = kmalloc(size, GFP_NOWAIT);

	if (!p) {
		(*fell_back)++;
		p = kmalloc(size, GFP_KERNEL);
	}
	return p;
}

static void test_nowait_failure_injection(struct ktap_test *t)
{
	struct kmem_cache *cache = kmem_cache_create("compat_nowait", 64, NULL, 0);
	unsigned int fell_back = 0, i;
	void *p[10], *obj;

	KTAP_ASSERT(t, cache != NULL);
	KTAP_ASSERT(t, kslab_fault_configure("kmalloc:every=2,nonblocking;cache/compat_nowait:every=1,nonblocking") == 0);
	for (i = 0; i < 10; i++)
		p[i] = alloc_with_fallback(32 + 16 * i, &fell_back);
	KTAP_EXPECT(t, kmem_cache_alloc(cache, GFP_ATOMIC) == NULL);
	obj = kmem_cache_alloc(cache, GFP_KERNEL);
	KTAP_EXPECT(t, obj != NULL);
	KTAP_ASSERT(t, kslab_fault_configure("") == 0);
	KTAP_EXPECT_EQ(t, fell_back, 5);
	for (i = 0; i < 10; i++) {
		KTAP_EXPECT(t, p[i] != NULL);
		kfree(p[i]);
	}
	kmem_cache_free(cache, obj);
	kmem_cache_destroy(cache);
}

struct flex_like {
	unsigned int count;
	unsigned long items[];
};

/* kmalloc_obj and its family: typed, sized by the type, overflow-checked. */
static void test_typed_allocators(struct ktap_test *t)
{
	struct node_like *node, *nodes, *big;
	struct flex_like *flex, *huge;
	unsigned long *zeroed;

	node = kmalloc_obj(*node, GFP_KERNEL);
	zeroed = kzalloc_objs(*zeroed, 10);
	nodes = kmalloc_objs(*nodes, 7, GFP_KERNEL);
	flex = kzalloc_flex(*flex, items, 5);
	KTAP_ASSERT(t, node && zeroed && nodes && flex);
	KTAP_EXPECT(t, ksize(node) >= sizeof(*node));
	KTAP_EXPECT(t, ksize(nodes) >= 7 * sizeof(*nodes));
	KTAP_EXPECT(t, !zeroed[0] && !zeroed[9]);
	KTAP_EXPECT(t, ksize(flex) >= sizeof(*flex) + 5 * sizeof(unsigned long));
	KTAP_EXPECT(t, !flex->count && !flex->items[4]);
	big = kmalloc_objs(*big, (size_t)-1 / 16, GFP_KERNEL);
	huge = kmalloc_flex(*huge, items, (size_t)-1 / 4);
	KTAP_EXPECT(t, big == NULL && huge == NULL);
	node = kvzalloc_obj(struct node_like);
	KTAP_EXPECT(t, node && !node->magic);
	kvfree(node);
	kfree(zeroed);
	kfree(nodes);
	kfree(flex);
}

/* Whether kfree_sensitive() zeroed a block, seen when kmalloc hands it back. */
static bool sensitive_block_zeroed(bool *seen)
{
	unsigned char *p = kmalloc(200, GFP_KERNEL), *q;
	unsigned int i, nonzero = 0;

	if (!p)
		return false;
	for (i = 0; i < 200; i++)
		p[i] = 0xa5;
	kfree_sensitive(p);
	q = kmalloc(200, GFP_KERNEL);
	/* The same block, unless this thread moved to another CPU between. */
	*seen = q == p;
	/* kmalloc keeps its free tag in the first word of a free block. */
	for (i = sizeof(unsigned long); *seen && i < 200; i++)
		nonzero += q[i] != 0;
	kfree(q);
	return !nonzero;
}

static void test_everyday_helpers(struct ktap_test *t)
{
	static const char text[] = "kslab";
	unsigned int *array, *grown, tries, seen_ok = 0;
	char *dup, *ndup, *nul;
	const char *cdup;
	void *v, *w;
	bool seen;

	dup = kstrdup(text, GFP_KERNEL);
	ndup = kstrndup(text, 3, GFP_KERNEL);
	nul = kmemdup_nul("abcdef", 2, GFP_KERNEL);
	cdup = kstrdup_const(text, GFP_KERNEL);
	array = kmemdup(text, sizeof(text), GFP_KERNEL);
	KTAP_ASSERT(t, dup && ndup && nul && cdup && array);
	KTAP_EXPECT(t, !kslab_memcmp(dup, "kslab", 6) && !kslab_memcmp(ndup, "ksl", 4));
	KTAP_EXPECT(t, !kslab_memcmp(nul, "ab", 3) && !kslab_memcmp(cdup, "kslab", 6));
	KTAP_EXPECT(t, !kslab_memcmp(array, text, sizeof(text)));
	KTAP_EXPECT(t, kstrdup(NULL, GFP_KERNEL) == NULL);
	kfree(dup);
	kfree(ndup);
	kfree(nul);
	kfree_const(cdup);
	kfree(array);

	array = kmalloc_array(4, sizeof(*array), GFP_KERNEL);
	KTAP_ASSERT(t, array != NULL);
	array[3] = 77;
	grown = krealloc_array(array, 4000, sizeof(*array), GFP_KERNEL);
	KTAP_ASSERT(t, grown != NULL);
	KTAP_EXPECT_EQ(t, grown[3], 77);
	KTAP_EXPECT(t, krealloc_array(grown, (size_t)-1 / 2, 4, GFP_KERNEL) == NULL);
	kfree(grown);

	v = kvmalloc_array(1000, 1000, GFP_KERNEL);
	KTAP_ASSERT(t, v != NULL);
	((char *)v)[999999] = 1;
	w = kvrealloc(v, 2000000, GFP_KERNEL);		/* 6.12's form */
	KTAP_ASSERT(t, w != NULL);
	KTAP_EXPECT_EQ(t, ((char *)w)[999999], 1);
	v = kvrealloc(w, 2000000, 3000000, GFP_KERNEL);	/* 6.1's form */
	KTAP_ASSERT(t, v != NULL);
	KTAP_EXPECT_EQ(t, ((char *)v)[999999], 1);
	kvfree(v);
	v = kvcalloc(100, 8, GFP_KERNEL);
	KTAP_EXPECT(t, v && !((unsigned long *)v)[99]);
	kvfree_sensitive(v, 800);

	for (tries = 0; tries < 10; tries++)
		if (sensitive_block_zeroed(&seen) && seen)
			seen_ok++;
	KTAP_EXPECT(t, seen_ok > 0);
}

struct rcu_freed {
	unsigned long value;
	void *rcu_room[3];	/* where a struct rcu_head would go */
};

/* kvfree_rcu() in both forms and the _mightsleep names. */
static void test_kvfree_rcu(struct ktap_test *t)
{
	struct rcu_freed *a = kmalloc(sizeof(*a), GFP_KERNEL);
	struct rcu_freed *b = kvmalloc(sizeof(*b), GFP_KERNEL);
	void *c = kmalloc(300, GFP_KERNEL), *d = kvzalloc(5000, GFP_KERNEL);
	struct kslab_rcu_stats before;

	KTAP_ASSERT(t, a && b && c && d);
	kslab_rcu_stats(&before);
	kvfree_rcu(a, rcu_room);
	kvfree_rcu(b);
	kfree_rcu_mightsleep(c);
	kvfree_rcu_mightsleep(d);
	expect_rcu_frees(t, &before, 4);
}

static const struct ktap_case compat_new_cases[] = {
	{ "create_forms", test_create_forms },
	{ "bad_args_refused", test_bad_args_refused },
	{ "bulk_and_lru", test_bulk_and_lru },
	{ "sheaves", test_sheaves },
	{ "gfp_names", test_gfp_names },
	{ "nowait_failure_injection", test_nowait_failure_injection },
	{ "typed_allocators", test_typed_allocators },
	{ "everyday_helpers", test_everyday_helpers },
	{ "kvfree_rcu", test_kvfree_rcu },
};

const struct ktap_suite compat_new_suite =
	KTAP_SUITE("compat_new", compat_new_cases);
