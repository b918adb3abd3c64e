// SPDX-License-Identifier: GPL-2.0
/*
 * The slab consistency checker: walks a cache's slab lists under the
 * cache lock and reports every broken invariant; in a debugged cache also
 * every object's poison, red zones and state. Owns nothing.
 *
 * Objects cached in magazines count as out of their slabs, so the checker
 * needs no view of the per-CPU layer and may run while it is busy.
 */
#include <kslab/buddy.h>
#include <kslab/report.h>

#include "check.h"
#include "slab_debug.h"

struct slab_census {
	struct kslab_cache *cache;
	unsigned long problems;
	unsigned long slabs;
	unsigned long empty;
	unsigned long inuse;
};

#define problem(census, ...) \
	kslab_check_problem((census)->cache->name, &(census)->problems, __VA_ARGS__)

/* The free map counts what the use count leaves, past the last object none. */
static void check_map(struct slab_census *census, const struct kslab_slab *slab)
{
	const struct kslab_cache *cache = census->cache;
	unsigned long counted = kslab_map_free_count(cache, slab);

	if (counted == ~0UL)
		problem(census, "slab %p free map marks objects past its %lu",
			(void *)slab, cache->objs_per_slab);
	else if (counted != cache->objs_per_slab - slab->inuse)
		problem(census, "slab %p free map holds %lu free objects, not %lu",
			(void *)slab, counted, cache->objs_per_slab - slab->inuse);
}

/* Every page of the slab carries the word frees are checked against. */
static void check_words(struct slab_census *census,
			const struct kslab_slab *slab)
{
	const struct kslab_cache *cache = census->cache;
	const char *pages = kslab_slab_pages(cache, slab);
	unsigned long want = kslab_slab_word(cache, slab->s_mem), i;

	for (i = 0; i < 1UL << cache->order; i++) {
		const unsigned long *word =
			kslab_env_page_word(pages + i * KSLAB_PAGE_SIZE);

		if (!word || *word != want) {
			problem(census, "slab %p page %lu has word %#lx, not %#lx",
				(void *)slab, i, word ? *word : 0, want);
			return;
		}
	}
}

static void check_slab(struct slab_census *census,
		       const struct kslab_slab *slab, unsigned int lo,
		       unsigned int hi, const char *list)
{
	const struct kslab_cache *cache = census->cache;

	census->slabs++;
	census->inuse += slab->inuse;
	if (slab->cache != cache || kslab_obj_to_slab(slab->s_mem) != slab) {
		problem(census, "slab %p on the %s list is not this cache's",
			(void *)slab, list);
		return;
	}
	if (slab->inuse < lo || slab->inuse > hi)
		problem(census, "slab %p with %u of %lu objects out is on the %s list",
			(void *)slab, slab->inuse, cache->objs_per_slab, list);
	if (slab->colour >= cache->colours * cache->colour_step ||
	    slab->colour % cache->colour_step)
		problem(census, "slab %p has colour offset %u", (void *)slab,
			slab->colour);
	check_words(census, slab);
	check_map(census, slab);
	if (cache->flags & KSLAB_DEBUG_FLAGS)
		census->problems += kslab_debug_slab_check(census->cache, slab);
}

static void check_list(struct slab_census *census,
		       const struct kslab_list_head *head, unsigned int lo,
		       unsigned int hi, const char *list)
{
	const struct kslab_slab *slab;
	unsigned long walked = 0;

	kslab_list_for_each_entry(slab, head, node) {
		if (++walked > census->cache->nr_slabs) {
			problem(census, "the %s list is longer than the slab count",
				list);
			return;
		}
		check_slab(census, slab, lo, hi, list);
		if (!hi)
			census->empty++;
	}
}

unsigned long kslab_cache_check(struct kslab_cache *cache)
{
	struct slab_census census = { .cache = cache };
	unsigned int full = cache->objs_per_slab, node;

	kslab_spin_lock(&cache->lock);
	check_list(&census, &cache->slabs_full, full, full, "full");
	for (node = 0; node < KSLAB_MAX_NODES; node++) {
		check_list(&census, &cache->node_slabs[node].partial, 1,
			   full - 1, "partial");
		check_list(&census, &cache->node_slabs[node].empty, 0, 0,
			   "empty");
	}
	if (census.slabs != cache->nr_slabs || census.empty != cache->nr_empty)
		problem(&census, "%lu slabs and %lu empty found, %lu and %lu counted",
			census.slabs, census.empty, cache->nr_slabs,
			cache->nr_empty);
	if (census.inuse != cache->active_objs)
		problem(&census, "%lu objects out of slabs found, %lu counted",
			census.inuse, cache->active_objs);
	kslab_check_done(cache->name, census.problems);
	kslab_spin_unlock(&cache->lock);
	return census.problems;
}

unsigned long kslab_check_all(void)
{
	struct kslab_cache *cache;
	unsigned long problems = 0;
	unsigned int node;

	kslab_mutex_lock(&kslab_caches_lock);
	kslab_list_for_each_entry(cache, &kslab_caches, cache_node)
		problems += kslab_cache_check(cache);
	kslab_mutex_unlock(&kslab_caches_lock);
	for (node = 0; node < kslab_nr_nodes(); node++)
		problems += kslab_zone_check(kslab_node_zone(node));
	return problems;
}
