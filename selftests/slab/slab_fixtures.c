// SPDX-License-Identifier: GPL-2.0
/*
 * Fixtures shared by the object-cache tests (declared in slab_tests.h):
 * string matching without libc, capturing kslab's reports, creating and
 * tearing down test caches, reading their counters, the test constructor
 * and destructor, and capping the default zone to make memory run out.
 */
#include "../../mm/page.h"
#include "../../mm/zone.h"
#include "slab_tests.h"

/* ------------------------------------------------------------------ */
/* Caches and objects                                                  */
/* ------------------------------------------------------------------ */

struct kslab_cache *test_cache(struct ktap_test *t, const char *name,
			       unsigned int size,
			       const struct kslab_cache_args *args,
			       unsigned long flags)
{
	struct kslab_cache *cache = kslab_cache_create(name, size, args, flags);

	ktap_check(t, cache != NULL, __FILE__, __LINE__,
		   "cache %s of %u bytes created", name, size);
	return cache;
}

/* Destroy a cache the test emptied: consistent, and no leak reported. */
void test_cache_destroy(struct ktap_test *t, struct kslab_cache *cache)
{
	struct report_capture cap;

	if (!cache)
		return;
	KTAP_EXPECT_EQ(t, kslab_cache_check(cache), 0);
	capture_start(&cap);
	kslab_cache_destroy(cache);
	capture_stop(&cap);
	expect_no_report(t, &cap);
}

struct kslab_cache_stats cache_stats(struct kslab_cache *cache)
{
	struct kslab_cache_stats st;

	kslab_cache_stats(cache, &st);
	return st;
}

/* Objects with callers: out of the slabs and in no magazine. */
unsigned long held_objs(struct kslab_cache *cache)
{
	struct kslab_cache_stats st = cache_stats(cache);

	return st.active_objs - st.magazine_objs - st.delayed_objs;
}

bool alloc_objs(struct ktap_test *t, struct kslab_cache *cache, void **objs,
		unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
		if (!objs[i]) {
			ktap_check(t, false, __FILE__, __LINE__,
				   "allocation %lu of %lu failed", i, n);
			free_objs(cache, objs, i);
			return false;
		}
	}
	return true;
}

void free_objs(struct kslab_cache *cache, void **objs, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		kslab_cache_free(cache, objs[i]);
}

unsigned long slab_bytes(const struct kslab_cache_stats *st)
{
	return st->pages_per_slab * KSLAB_PAGE_SIZE;
}

/* Slabs are buddy blocks, aligned to their size: masking finds the slab. */
unsigned long offset_in_slab(const void *obj,
			     const struct kslab_cache_stats *st)
{
	return (unsigned long)obj & (slab_bytes(st) - 1);
}

/* No two of @objs closer than @size bytes: they cannot overlap. */
bool objs_disjoint(void *const *objs, unsigned long n, unsigned long size)
{
	unsigned long i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			unsigned long a = (unsigned long)objs[i];
			unsigned long b = (unsigned long)objs[j];

			if ((a > b ? a - b : b - a) < size)
				return false;
		}
	return true;
}

/* Scratch memory from outside kslab, so using it disturbs no counter. */
void *meta_alloc(struct ktap_test *t, unsigned long bytes)
{
	void *p = kslab_env_meta_alloc(bytes, GFP_KERNEL);

	KTAP_EXPECT(t, p != NULL);
	return p;
}

void meta_free(void *p, unsigned long bytes)
{
	if (p)
		kslab_env_meta_free(p, bytes);
}

/* ------------------------------------------------------------------ */
/* The magazine rig                                                    */
/* ------------------------------------------------------------------ */

bool rig_start(struct ktap_test *t, struct rig *rig, const char *name,
	       unsigned int size)
{
	struct kslab_cache_args args = { .magazine_size = RIG_MAGAZINE };

	rig->nr_held = 0;
	rig->cache = test_cache(t, name, size, &args, 0);
	if (!rig->cache)
		return false;
	if (!test_cpu_pin(t, &rig->cpu)) {
		kslab_cache_destroy(rig->cache);
		rig->cache = NULL;
		return false;
	}
	return true;
}

void rig_alloc(struct ktap_test *t, struct rig *rig, unsigned long n)
{
	if (!KTAP_EXPECT(t, rig->nr_held + n <= RIG_MAX_HELD))
		return;
	if (alloc_objs(t, rig->cache, rig->held + rig->nr_held, n))
		rig->nr_held += n;
}

void rig_free(struct rig *rig, unsigned long n)
{
	while (n-- && rig->nr_held)
		kslab_cache_free(rig->cache, rig->held[--rig->nr_held]);
}

void rig_end(struct ktap_test *t, struct rig *rig)
{
	rig_free(rig, rig->nr_held);
	test_cpu_unpin();
	test_cache_destroy(t, rig->cache);
}

/* ------------------------------------------------------------------ */
/* The test constructor and destructor                                 */
/* ------------------------------------------------------------------ */

struct ctor_counts ctor_counts;

const struct kslab_cache_args ctor_args = {
	.ctor = test_ctor,
	.dtor = test_dtor,
};

void ctor_counts_reset(void)
{
	kslab_atomic_set(&ctor_counts.ctors, 0);
	kslab_atomic_set(&ctor_counts.dtors, 0);
	kslab_atomic_set(&ctor_counts.bad_dtors, 0);
}

void test_ctor(void *obj)
{
	struct ctor_obj *o = obj;

	o->magic = CTOR_MAGIC;
	o->self = o;
	o->state = 0;
	kslab_memset(o->fill, CTOR_FILL, sizeof(o->fill));
	kslab_atomic_add(&ctor_counts.ctors, 1);
}

bool ctor_obj_constructed(const struct ctor_obj *o)
{
	unsigned int i;

	if (o->magic != CTOR_MAGIC || o->self != o || o->state)
		return false;
	for (i = 0; i < sizeof(o->fill); i++)
		if (o->fill[i] != CTOR_FILL)
			return false;
	return true;
}

/* The contract: objects reach the destructor in constructed state. */
void test_dtor(void *obj)
{
	if (!ctor_obj_constructed(obj))
		kslab_atomic_add(&ctor_counts.bad_dtors, 1);
	kslab_atomic_add(&ctor_counts.dtors, 1);
}

/* ------------------------------------------------------------------ */
/* Running out of memory                                               */
/* ------------------------------------------------------------------ */

/*
 * Caches take their pages from the default zones (one per NUMA node),
 * whose page source never refuses. Capping each zone at the chunks it
 * holds now makes page allocations fail once those are used up, as a
 * real shortage would; a node's zone that holds none is given one first
 * (a page taken and freed: the zone keeps the chunk), since a cap of 0
 * would lift the limit instead. Return: false if a zone could not be
 * capped.
 */
bool default_zone_cap(struct ktap_test *t)
{
	bool capped = true;
	unsigned int node;

	for (node = 0; node < kslab_nr_nodes(); node++) {
		struct kslab_zone *zone = kslab_node_zone(node);

		kslab_free_pages(kslab_alloc_pages_node(GFP_KERNEL |
							__GFP_THISNODE, 0,
							(int)node), 0);
		kslab_spin_lock(&zone->lock);
		capped &= zone->nr_chunks && !zone->max_chunks;
		if (zone->nr_chunks && !zone->max_chunks)
			zone->max_chunks = zone->nr_chunks;
		kslab_spin_unlock(&zone->lock);
	}
	return KTAP_EXPECT(t, capped);
}

void default_zone_uncap(void)
{
	unsigned int node;

	for (node = 0; node < kslab_nr_nodes(); node++) {
		struct kslab_zone *zone = kslab_node_zone(node);

		kslab_spin_lock(&zone->lock);
		zone->max_chunks = 0;
		kslab_spin_unlock(&zone->lock);
	}
}
