// SPDX-License-Identifier: GPL-2.0
/*
 * The slab layer: buddy blocks cut into objects, kept on full, partial and
 * empty lists, handed to the magazine layer in batches. Partial and empty
 * slabs are listed per NUMA node (a slab is its pages' node for good), so
 * a fill takes the node it is asked for and a freed object goes back to
 * its own node's lists, whichever CPU frees it.
 *
 * Owns each cache's slab lists, slab layout and colouring. A slab's header
 * (struct kslab_slab and its free map, mm/slab_map.c) sits at the start of the
 * slab for objects under KSLAB_OFF_SLAB_MIN bytes, or when it fits in the
 * space the objects leave over; otherwise it comes from an internal header
 * cache, so large objects pack the slab densely. The head page's
 * descriptor points at the slab, so any object finds its slab in O(1).
 *
 * Constructors run when a slab is made and destructors when it goes back,
 * both outside every lock: objects stay constructed in between.
 *
 * Hardening: a new slab hands its objects out in a random order, drawn
 * from the cache's secret and the slab's address, so where the next
 * object lies cannot be guessed from where the last one was. The free
 * map's words are stored XORed with a key made of the secret and the
 * word's address, so an overflow into an on-slab header cannot mark
 * objects free without knowing it; a slab whose map does not count the
 * free objects its use count says is reported and never allocated from
 * again. A free of an object the map holds free is a double free, found
 * in O(1) for every free that reaches a slab.
 *
 * A cache with a free tag (kmalloc's classes, mm/kmalloc.h) keeps the tag
 * in every object the slab layer holds free or hands out: an object out
 * for the first time gets it (slab->fresh says which those are, so a new
 * slab's objects are not touched before they are wanted), any other
 * taken out must hold it, and one given back must hold it too. An object
 * the slabs hold free that lost it was handed out by a copy a second
 * free left in a magazine: it is reported and stays out until its holder
 * frees it. A copy given back without it is the second copy of an object
 * out: reported and dropped.
 *
 * Lock order: cache->lock, then the buddy zone's lock. Slabs are made and
 * destroyed (page allocation, ctor, dtor) with no lock held.
 */
#include <kslab/buddy.h>
#include <kslab/report.h>

#include "check.h"
#include "profile.h"
#include "slab_debug.h"

/* Objects this large or larger keep their slab header off the slab. */
#define KSLAB_OFF_SLAB_MIN	(KSLAB_PAGE_SIZE / 8)

/*
 * A TYPESAFE_BY_RCU slab's header waits out its grace period in the room
 * of its free map, which it no longer needs: at least an rcu_head's worth.
 */
static unsigned int header_bytes(const struct kslab_cache *cache,
				 unsigned int objs)
{
	unsigned int map = kslab_map_words(objs) * sizeof(unsigned long);

	if ((cache->flags & KSLAB_TYPESAFE_BY_RCU) &&
	    map < sizeof(struct kslab_rcu_head))
		map = sizeof(struct kslab_rcu_head);
	return sizeof(struct kslab_slab) + map;
}

/* How a slab of one order would be cut. */
struct slab_fit {
	unsigned int objs;
	unsigned long leftover;
	bool on_slab;
};

static struct slab_fit slab_fit(const struct kslab_cache *cache,
				unsigned int order, bool on_slab)
{
	unsigned long bytes = KSLAB_PAGE_SIZE << order;
	struct slab_fit fit = { .on_slab = on_slab };
	unsigned long used;

	fit.objs = bytes / cache->size;
	for (;;) {
		used = (unsigned long)fit.objs * cache->size;
		if (on_slab && fit.objs)
			used += KSLAB_ALIGN_UP(header_bytes(cache, fit.objs),
					       cache->align);
		if (used <= bytes || !fit.objs)
			break;
		fit.objs--;
	}
	fit.leftover = bytes - used;
	return fit;
}

/*
 * A slab may waste at most this share of itself, where an order up to the
 * cap allows: 1/32, not the 1/8 a slab allocator classically allows, since
 * mixed-size programs pay the waste on every class at once (the malloc
 * benchmark's peak RSS: 125 MiB with 1/8, 120 with 1/32, same speed).
 */
#define SLAB_WASTE_SHARE	32

/*
 * Pick the smallest order whose slab wastes at most 1/SLAB_WASTE_SHARE of
 * itself; failing that, the order that wastes the smallest share.
 */
static unsigned int choose_order(const struct kslab_cache *cache,
				 bool on_slab, struct slab_fit *best)
{
	unsigned int order, best_order = KSLAB_SLAB_MAX_ORDER;

	best->objs = 0;
	for (order = 0; order <= KSLAB_SLAB_MAX_ORDER; order++) {
		struct slab_fit fit = slab_fit(cache, order, on_slab);
		unsigned long bytes = KSLAB_PAGE_SIZE << order;

		if (!fit.objs)
			continue;
		if (!best->objs || fit.leftover * (KSLAB_PAGE_SIZE << best_order) <
				   best->leftover * bytes) {
			*best = fit;
			best_order = order;
		}
		if (fit.leftover * SLAB_WASTE_SHARE <= bytes)
			return order;
	}
	return best_order;
}

/**
 * kslab_slab_layout() - decide how a cache's slabs are cut
 * @cache: a cache with size and align set
 *
 * Return: 0, or -1 if no slab order holds an object or no header cache
 * exists for the header size.
 */
int kslab_slab_layout(struct kslab_cache *cache)
{
	bool on_slab = cache->size < KSLAB_OFF_SLAB_MIN ||
		       (cache->flags & KSLAB_CACHE_INTERNAL);
	struct slab_fit fit;

	cache->order = choose_order(cache, on_slab, &fit);
	if (!fit.objs)
		return -1;
	/* Off-slab only if the header does not fit in the leftover anyway. */
	if (!on_slab && fit.leftover >=
	    KSLAB_ALIGN_UP(header_bytes(cache, fit.objs), cache->align)) {
		fit.leftover -= KSLAB_ALIGN_UP(header_bytes(cache, fit.objs),
					       cache->align);
		fit.on_slab = true;
	}
	cache->objs_per_slab = fit.objs;
	kslab_map_shape_init(cache);
	cache->header_size = header_bytes(cache, fit.objs);
	cache->colour_step = cache->align > KSLAB_CACHE_LINE ?
			     cache->align : KSLAB_CACHE_LINE;
	cache->colours = fit.leftover / cache->colour_step + 1;
	cache->header_cache = NULL;
	if (!fit.on_slab) {
		cache->header_cache = kslab_header_cache(cache->header_size);
		if (!cache->header_cache)
			return -1;
	}
	return 0;
}

static void *slab_obj(const struct kslab_cache *cache,
		      const struct kslab_slab *slab, unsigned int index)
{
	return slab->s_mem + (unsigned long)index * cache->size;
}

/* Set the page word of every page of a slab (see kslab_obj_valid()). */
static void slab_set_words(const struct kslab_cache *cache, void *pages,
			   unsigned long word)
{
	unsigned long i;

	for (i = 0; i < 1UL << cache->order; i++) {
		unsigned long *w = kslab_env_page_word((char *)pages +
						       i * KSLAB_PAGE_SIZE);

		KSLAB_BUG_ON(!w);
		*w = word;
	}
}

/*
 * Make a slab, constructed, on no list, of @node's memory (or another
 * node's, when @node has none and @gfp allows). Called with no lock held.
 */
static struct kslab_slab *slab_create(struct kslab_cache *cache, gfp_t gfp,
				      unsigned int node)
{
	struct kslab_page *head;
	struct kslab_slab *slab;
	unsigned int colour, i;
	char *area;
	void *pages;

	gfp &= ~__GFP_ZERO;
	pages = kslab_alloc_pages_node(gfp, cache->order, (int)node);
	if (!pages)
		return NULL;
	if (cache->header_cache) {
		slab = kslab_cache_alloc(cache->header_cache, gfp);
		if (!slab) {
			kslab_free_pages(pages, cache->order);
			return NULL;
		}
		area = pages;
	} else {
		slab = pages;
		area = (char *)pages +
		       KSLAB_ALIGN_UP(cache->header_size, cache->align);
	}

	kslab_spin_lock(&cache->lock);
	colour = cache->colour_next;
	cache->colour_next = colour + 1 == cache->colours ? 0 : colour + 1;
	kslab_spin_unlock(&cache->lock);

	colour = colour * cache->colour_step & 0xffffff;
	/*
	 * Whole words stored, none read first: an on-slab header's page is
	 * fresh, and a read (the bit fields' read-modify-write) would map
	 * the zero page, for the write to fault a second time.
	 */
	*slab = (struct kslab_slab){
		.cache = cache,
		.s_mem = area + colour + cache->obj_offset,
		.colour = colour,
		.nid = (unsigned int)kslab_page_node(pages) & 0xff,
	};
	kslab_list_init(&slab->node);
	kslab_map_fill(cache, slab);
	if (cache->ctor)
		for (i = 0; i < cache->objs_per_slab; i++)
			cache->ctor(slab_obj(cache, slab, i));
	if (cache->flags & KSLAB_DEBUG_FLAGS)
		kslab_debug_slab_init(cache, slab);
	/*
	 * Free objects are no one's to touch: closed to memory checkers. But
	 * RCU readers may read a TYPESAFE_BY_RCU cache's at any time.
	 */
	if (!(cache->flags & KSLAB_TYPESAFE_BY_RCU))
		kslab_env_mem_close(slab->s_mem - cache->obj_offset,
				    cache->objs_per_slab * (unsigned long)cache->size);

	head = kslab_virt_to_page(pages);
	head->owner = slab;
	head->private = kslab_slab_page_tag(cache);
	slab_set_words(cache, pages, kslab_slab_word(cache, slab->s_mem));
	return slab;
}

/* Give a slab, off every list, back to the buddy allocator. No lock held. */
static void slab_pages_release(struct kslab_cache *cache,
			       struct kslab_slab *slab)
{
	void *pages = kslab_slab_pages(cache, slab);
	struct kslab_page *head = kslab_virt_to_page(pages);
	unsigned int i;

	/* Writes to free objects since the last allocation show up here. */
	if (cache->flags & KSLAB_DEBUG_FLAGS) {
		kslab_spin_lock(&cache->lock);
		kslab_debug_slab_check(cache, slab);
		kslab_spin_unlock(&cache->lock);
	}
	kslab_env_mem_open(slab->s_mem - cache->obj_offset,
			   cache->objs_per_slab * (unsigned long)cache->size);
	if (cache->dtor)
		for (i = 0; i < cache->objs_per_slab; i++)
			cache->dtor(slab_obj(cache, slab, i));
	slab_set_words(cache, pages, 0);
	head->owner = NULL;
	head->private = 0;
	kslab_profile_slab_release(cache, slab);
	if (cache->header_cache)
		kslab_cache_free(cache->header_cache, slab);
	kslab_free_pages(pages, cache->order);
}

static void slab_pages_release_rcu(struct kslab_rcu_head *head)
{
	struct kslab_slab *slab = kslab_container_of((unsigned long *)head,
						     struct kslab_slab, free_map);

	slab_pages_release(slab->cache, slab);
}

/*
 * A TYPESAFE_BY_RCU slab's pages stay the cache's until every reader that
 * might hold one of its objects is done: only then do they go back.
 */
static void slab_destroy(struct kslab_cache *cache, struct kslab_slab *slab)
{
	if (cache->flags & KSLAB_TYPESAFE_BY_RCU)
		kslab_call_rcu((struct kslab_rcu_head *)slab->free_map,
			       slab_pages_release_rcu);
	else
		slab_pages_release(cache, slab);
}

/* @n slabs joined (or, negative, left) the empty list. Under cache->lock. */
static void count_empty(struct kslab_cache *cache, long n)
{
	cache->nr_empty += n;
	kslab_atomic_add(&kslab_idle_bytes,
			 n * (long)(KSLAB_PAGE_SIZE << cache->order));
}

/*
 * Put a slab whose use count changed from @was on the list for its new
 * count. Partial slabs that fill up go to the head of the partial list and
 * those that drain below half go to the tail, so allocation, which takes
 * the head, prefers the fullest slabs without sorting: emptier slabs get
 * the time to empty completely and go back. Inline, as slab_give_back()
 * is: a flush gives back and relinks each object of a magazine.
 */
static kslab_always_inline void slab_relink(struct kslab_cache *cache,
					    struct kslab_slab *slab,
					    unsigned int was)
{
	unsigned int now = slab->inuse, full = cache->objs_per_slab;

	struct kslab_node_slabs *home = &cache->node_slabs[slab->nid];

	if (now == full) {
		kslab_list_del(&slab->node);
		kslab_list_add(&slab->node, &cache->slabs_full);
	} else if (now == 0) {
		kslab_list_del(&slab->node);
		kslab_list_add(&slab->node, &home->empty);
		count_empty(cache, 1);
	} else if (was == 0 || was == full) {
		kslab_list_del(&slab->node);
		kslab_list_add(&slab->node, &home->partial);
	} else if (now * 2 < full && was * 2 >= full) {
		kslab_list_del(&slab->node);
		kslab_list_add_tail(&slab->node, &home->partial);
	}
	if (was == 0 && now)
		count_empty(cache, -1);
}

/*
 * A free map that does not count what the use count says: the header was
 * overwritten. Report it, and take the slab's free objects out of use for
 * good, so nothing more is handed out of it: they count as out of the
 * slab (the caller adds them to active_objs) and as quarantined, and the
 * map starts over with every object in use. Its objects still out may be
 * freed as ever. Under the lock.
 */
static kslab_cold void slab_quarantine(struct kslab_cache *cache,
				       struct kslab_slab *slab,
				       unsigned long counted)
{
	unsigned int lost = cache->objs_per_slab - slab->inuse;

	if (counted == ~0UL)
		kslab_report(KSLAB_LOG_ERR,
			     "BUG %s: free map corrupted: slab=%p marks objects past its %lu; %u free objects quarantined",
			     cache->name, (void *)slab, cache->objs_per_slab,
			     lost);
	else
		kslab_report(KSLAB_LOG_ERR,
			     "BUG %s: free map corrupted: slab=%p holds %lu free objects where its use count leaves %u; %u quarantined",
			     cache->name, (void *)slab, counted, lost, lost);
	kslab_corrupted();
	slab->inuse = cache->objs_per_slab;
	kslab_map_clear(cache, slab);
	cache->quarantined += lost;
}

static struct kslab_slab *slab_to_fill(struct kslab_cache *cache,
				       unsigned int node)
{
	struct kslab_node_slabs *lists = &cache->node_slabs[node];

	if (!kslab_list_empty(&lists->partial))
		return kslab_list_first_entry(&lists->partial,
					      struct kslab_slab, node);
	if (!kslab_list_empty(&lists->empty))
		return kslab_list_first_entry(&lists->empty,
					      struct kslab_slab, node);
	return NULL;
}

/*
 * Does @obj, out of the slabs again, hold its cache's free tag, if the
 * cache has one? One out for the first time gets it here.
 */
static bool tag_held(const struct kslab_cache *cache, void *obj, bool first)
{
	if (!cache->free_tag)
		return true;
	if (!first)
		return kslab_free_tag_held(cache, obj);
	kslab_env_mem_open(obj, sizeof(unsigned long));
	*(unsigned long *)obj = cache->free_tag;
	kslab_env_mem_close(obj, sizeof(unsigned long));
	return true;
}

/*
 * The free tags of the objects a fill took from one slab, from @from to
 * @to: checked on those out before, below @fresh, and given to those out
 * for the first time, from @fresh on (a pass takes the objects given
 * back first, so these come last). Checked once the slab's pass is done, so
 * that the loads asked for as each object was taken have landed: a
 * refill's objects are as a rule not in the CPU's cache, and the check
 * had waited on each in turn. One whose tag is gone is set in @lost and
 * left out. Return: where the objects kept end.
 */
static unsigned int tags_settle(const struct kslab_cache *cache,
				void **objs, unsigned int from,
				unsigned int fresh, unsigned int to,
				void **lost)
{
	unsigned int i, kept = from;

	for (i = from; i < to; i++) {
		/*
		 * Out already: a copy a second free left in a magazine
		 * handed it out. Its holder's free brings it back; until
		 * then it stays out.
		 */
		if (kslab_unlikely(!tag_held(cache, objs[i], i >= fresh))) {
			*lost = objs[i];
			continue;
		}
		objs[kept++] = objs[i];
	}
	return kept;
}

/*
 * A whole window of @slab's objects never out, where the next to take
 * begins one (kslab_map_window_ahead()) and @room holds it, into @objs
 * in a shuffled order. Not for a debugged cache, which sees each object
 * as it goes. Return: how many, or 0; *@too_big set where a window was
 * next but @room could not hold it.
 */
static unsigned int take_window(struct kslab_cache *cache,
				struct kslab_slab *slab,
				struct kslab_map_cursor *cursor, void **objs,
				unsigned int room, bool *too_big)
{
	unsigned int first, n, i;

	*too_big = false;
	if (cache->flags & KSLAB_DEBUG_FLAGS)
		return 0;
	n = kslab_map_window_ahead(cache, slab, cursor);
	*too_big = n > room;
	if (!n || *too_big)
		return 0;
	first = kslab_map_take_window(cache, slab, cursor);
	for (i = 0; i < n; i++)
		objs[i] = slab_obj(cache, slab, first + i);
	kslab_map_window_shuffle(cursor, first, objs, n);
	slab->inuse += n;
	return n;
}

/* The smallest window a refill ends early rather than walk the shuffle for. */
#define REFILL_END_EARLY_MIN	8

/**
 * kslab_slab_alloc_batch() - take objects out of the cache's slabs
 * @cache: the cache
 * @gfp:   for new slabs
 * @node:  the NUMA node whose slabs they come from (below
 *         kslab_nr_nodes()); a new slab is of another node's memory only
 *         when @node has none and @gfp has no __GFP_THISNODE
 * @objs:  receives the objects
 * @nr:    how many are wanted
 * @caller: the allocation's site, for debugged caches; 0 for a refill
 *
 * A refill ends at a window's end, once it has objects, rather than begin
 * a window of fresh objects it cannot take whole: taken one by one, each
 * walks the slab's shuffle, about 100 instructions, where a whole window
 * costs a few an object (kslab_map_take_window()), and a window begun
 * leaves the next refill to walk the rest of it too. Windows of fewer
 * than REFILL_END_EARLY_MIN objects cost less to walk than the refill
 * that ending early brings on.
 *
 * Return: how many were taken; fewer than @nr only if memory ran out, or
 * for a refill that ended at a window's end.
 */
unsigned int kslab_slab_alloc_batch(struct kslab_cache *cache, gfp_t gfp,
				    unsigned int node, void **objs,
				    unsigned int nr, unsigned long caller)
{
	unsigned int got = 0, from, fresh;
	void *lost = NULL;

	kslab_spin_lock(&cache->lock);
	while (got < nr) {
		struct kslab_slab *slab = slab_to_fill(cache, node);
		struct kslab_map_cursor cursor;
		unsigned long counted;
		unsigned int was;

		if (!slab) {
			/* A class in use: its multi-page slab is written whole. */
			gfp_t write = cache->slab_grows ? __GFP_WRITE : 0;

			kslab_spin_unlock(&cache->lock);
			slab = slab_create(cache, gfp | write, node);
			kslab_spin_lock(&cache->lock);
			if (!slab)
				break;
			kslab_list_add(&slab->node,
				       &cache->node_slabs[slab->nid].empty);
			count_empty(cache, 1);
			cache->nr_slabs++;
			cache->slab_grows++;
			KSLAB_TRACE(slab_grow, kslab_cache_id(cache), cache->order);
			/* Another node's memory: fill from it, not look again. */
			if (slab->nid == node)
				continue;
		}
		was = slab->inuse;
		counted = kslab_map_free_count(cache, slab);
		if (kslab_unlikely(counted != cache->objs_per_slab - slab->inuse))
			slab_quarantine(cache, slab, counted);
		kslab_map_cursor_init(cache, slab, &cursor);
		from = got;
		fresh = nr;
		while (got < nr && slab->inuse < cache->objs_per_slab) {
			unsigned int index, taken;
			bool first, too_big;

			/* Objects given back go first, from the map's word. */
			first = !kslab_map_take_given(cache, slab, &cursor,
						      &index);
			if (first) {
				taken = take_window(cache, slab, &cursor,
						    objs + got, nr - got,
						    &too_big);
				if (taken) {
					if (fresh == nr)
						fresh = got;
					got += taken;
					continue;
				}
				if (too_big && got && !caller &&
				    cache->shuffle.per_window >=
				    REFILL_END_EARLY_MIN) {
					nr = got;
					break;
				}
				index = kslab_map_take(cache, slab, &cursor,
						       &first);
			}
			slab->inuse++;
			objs[got] = slab_obj(cache, slab, index);
			if (kslab_unlikely(cache->flags & KSLAB_DEBUG_FLAGS) &&
			    kslab_debug_alloc(cache, objs[got], caller) !=
			    KSLAB_DEBUG_OK) {
				cache->quarantined++;
				continue;
			}
			if (!first)
				kslab_prefetch(objs[got]);
			else if (fresh == nr)
				fresh = got;
			got++;
		}
		got = tags_settle(cache, objs, from, fresh, got, &lost);
		/* Counted now: the lock may drop for the next slab. */
		cache->active_objs += slab->inuse - was;
		/* A refill may end before it took any of this slab's. */
		if (slab->inuse != was)
			slab_relink(cache, slab, was);
	}
	cache->refills++;
	kslab_spin_unlock(&cache->lock);
	if (kslab_unlikely(lost))
		kslab_report_bad_free(cache, KSLAB_OBJ_TAG_LOST, lost,
				      kslab_obj_to_slab(lost), 0);
	return got;
}

/*
 * Move empty slabs beyond @keep from the cache to @doomed, the longest
 * empty of each node first, node 0's first: @keep counts every node's.
 * Under its lock.
 */
static unsigned long slabs_detach_empty(struct kslab_cache *cache,
					unsigned long keep,
					struct kslab_list_head *doomed)
{
	unsigned int node = 0;
	unsigned long n = 0;

	while (cache->nr_empty > keep) {
		struct kslab_list_head *empty = &cache->node_slabs[node].empty;
		struct kslab_slab *slab;

		if (kslab_list_empty(empty)) {	/* nr_empty says a later one has */
			node++;
			continue;
		}
		slab = kslab_list_entry(empty->prev, struct kslab_slab, node);

		kslab_list_del(&slab->node);
		kslab_list_add(&slab->node, doomed);
		count_empty(cache, -1);
		cache->nr_slabs--;
		cache->slab_frees++;
		KSLAB_TRACE(slab_free, kslab_cache_id(cache), cache->order);
		n++;
	}
	return n;
}

static void slabs_destroy(struct kslab_cache *cache,
			  struct kslab_list_head *doomed)
{
	struct kslab_slab *slab, *tmp;

	kslab_list_for_each_entry_safe(slab, tmp, doomed, node)
		slab_destroy(cache, slab);
}

/* A double free found under the lock: reported without it. */
static kslab_cold void report_double_free(struct kslab_cache *cache,
					  void *obj, struct kslab_slab *slab,
					  enum kslab_obj_error err)
{
	kslab_spin_unlock(&cache->lock);
	kslab_report_bad_free(cache, err, obj, slab, 0);
	kslab_spin_lock(&cache->lock);
}

/*
 * Put @obj back in its slab's free map. Objects were checked when freed,
 * so only a double free gets here wrong: its slab is empty, or already
 * given back (and maybe reused, where no object may start at it), or its
 * map holds it free already. @slab: kslab_obj_to_slab(@obj), looked up
 * by the caller. Under cache->lock.
 */
static kslab_always_inline void slab_give_back(struct kslab_cache *cache,
					       void *obj,
					       struct kslab_slab *slab)
{
	unsigned long index = ~0UL;
	unsigned int was;

	if (slab)
		index = kslab_obj_index(cache, (unsigned long)
					((char *)obj - slab->s_mem));
	if (kslab_unlikely(!slab || slab->cache != cache || !slab->inuse ||
			   index >= cache->objs_per_slab ||
			   !kslab_map_give(cache, slab, (unsigned int)index))) {
		report_double_free(cache, obj, slab, KSLAB_OBJ_DOUBLE_FREE);
		return;
	}
	was = slab->inuse--;
	slab_relink(cache, slab, was);
	cache->active_objs--;
}

/*
 * A debugged cache knows each object's state and says more: check @obj
 * and hold it back (kslab_debug_delay()). Under cache->lock.
 * Return: the object to give back now, or NULL.
 */
static void *debug_free(struct kslab_cache *cache, void *obj,
			unsigned long caller)
{
	enum kslab_debug_verdict verdict;

	verdict = kslab_debug_free(cache, obj, caller);
	if (verdict == KSLAB_DEBUG_OK)
		obj = kslab_debug_delay(cache, obj, &verdict);
	cache->quarantined += verdict == KSLAB_DEBUG_QUARANTINE;
	if (verdict == KSLAB_DEBUG_REFUSE)
		kslab_atomic_add(&cache->bad_frees, 1);
	return verdict == KSLAB_DEBUG_OK ? obj : NULL;
}

/*
 * A flushed magazine's objects lie in slabs all over, and giving one back
 * reads its slab's header and its own first word (the free tag), each as
 * a rule a cache miss. So the batch asks for them ahead, FREE_AHEAD
 * objects on, to overlap. An on-slab header starts its slab's block,
 * which is aligned to its size: the object's address gives it, once the
 * object's page word proves it one of the cache's objects (flushed_slab()),
 * and no page descriptor is read. An off-slab header is found through the
 * page descriptor, asked for FREE_AHEAD objects on as well, and the header
 * through it half as far: one page map lookup an object, kept in a ring
 * until the object's turn. Prefetches never fault, so a stale owner or a
 * bad address does no harm.
 */
#define FREE_AHEAD	8

/* The start of @obj's slab's block: an on-slab header. */
static inline struct kslab_slab *block_slab(const struct kslab_cache *cache,
					    const void *obj)
{
	return (struct kslab_slab *)((unsigned long)obj &
				     ~((KSLAB_PAGE_SIZE << cache->order) - 1));
}

/*
 * Ask for object @i, FREE_AHEAD ahead of the one given back now, and for
 * its header, or for its page descriptor, looked up once and kept in
 * @pages (slot i % FREE_AHEAD) until the object's turn, and then for the
 * off-slab header of the object half as far ahead (none below
 * FREE_AHEAD / 2: the unsigned difference wraps past @nr).
 */
static inline void free_batch_ahead(const struct kslab_cache *cache,
				    void *const *objs, unsigned int i,
				    unsigned int nr, struct kslab_page **pages)
{
	struct kslab_page *page;

	if (i < nr) {
		kslab_prefetch(objs[i]);
		if (!cache->header_cache) {
			kslab_prefetch(block_slab(cache, objs[i]));
			return;
		}
		page = kslab_virt_to_page(objs[i]);
		pages[i % FREE_AHEAD] = page;
		kslab_prefetch(page);
	} else if (!cache->header_cache) {
		return;
	}
	i -= FREE_AHEAD / 2;
	if (i < nr && pages[i % FREE_AHEAD])
		kslab_prefetch(KSLAB_DATA_RACE(pages[i % FREE_AHEAD]->owner));
}

/*
 * The slab of @obj, the flush's object @i; NULL or another cache's slab
 * for an address that is no object of @cache, which the give back reports.
 */
static inline struct kslab_slab *flushed_slab(const struct kslab_cache *cache,
					      const void *obj,
					      struct kslab_page *const *pages,
					      unsigned int i)
{
	if (cache->header_cache)
		return kslab_page_to_slab(pages[i % FREE_AHEAD]);
	if (kslab_unlikely(!kslab_obj_valid(cache, obj)))
		return kslab_obj_to_slab(obj);
	return block_slab(cache, obj);
}

/**
 * kslab_slab_free_batch() - return objects to their slabs
 * @cache: the cache they belong to (already checked)
 * @objs:  the objects
 * @nr:    how many
 * @caller: the free's site, for debugged caches; 0 for a flush
 *
 * Empty slabs beyond the cache's quota go back to the buddy allocator.
 */
void kslab_slab_free_batch(struct kslab_cache *cache, void **objs,
			   unsigned int nr, unsigned long caller)
{
	struct kslab_page *pages[FREE_AHEAD];
	struct kslab_list_head doomed;
	unsigned int i;

	kslab_list_init(&doomed);
	for (i = 0; i < FREE_AHEAD; i++)
		free_batch_ahead(cache, objs, i, nr, pages);
	kslab_spin_lock(&cache->lock);
	for (i = 0; i < nr; i++) {
		void *obj = objs[i];
		struct kslab_slab *slab = flushed_slab(cache, obj, pages, i);

		free_batch_ahead(cache, objs, i + FREE_AHEAD, nr, pages);
		if (kslab_unlikely(cache->flags & KSLAB_DEBUG_FLAGS) &&
		    slab && slab->cache == cache)
			obj = debug_free(cache, obj, caller);
		/* A second copy of an object out again: keep it out. */
		if (obj && kslab_unlikely(!kslab_free_tag_held(cache, obj))) {
			report_double_free(cache, obj, slab, KSLAB_OBJ_TAG_LOST);
			obj = NULL;
		}
		/* A debugged cache may give back another, held back before. */
		if (obj)
			slab_give_back(cache, obj, obj == objs[i] ? slab :
					kslab_obj_to_slab(obj));
	}
	cache->flushes++;
	slabs_detach_empty(cache, cache->max_empty, &doomed);
	kslab_spin_unlock(&cache->lock);
	slabs_destroy(cache, &doomed);
}

/**
 * kslab_slab_drain_delayed() - give back every object a debugged cache
 * holds back
 * @cache: the cache
 *
 * For shrink and destroy: each one's poison checked as it leaves.
 */
void kslab_slab_drain_delayed(struct kslab_cache *cache)
{
	enum kslab_debug_verdict verdict;
	void *obj;

	if (!cache->delayed_cap)
		return;
	kslab_spin_lock(&cache->lock);
	while ((obj = kslab_debug_undelay_oldest(cache, &verdict))) {
		cache->quarantined += verdict == KSLAB_DEBUG_QUARANTINE;
		if (verdict == KSLAB_DEBUG_OK)
			slab_give_back(cache, obj, kslab_obj_to_slab(obj));
	}
	kslab_spin_unlock(&cache->lock);
}

/**
 * kslab_obj_check() - what is wrong with freeing @obj to @cache
 * @cache:  the cache it is being freed to
 * @obj:    the pointer
 * @slab:   receives its slab, when it has one
 * @offset: receives its offset into the object it lies in, for reports
 *
 * The slow twin of kslab_obj_valid(), for reports.
 * Return: KSLAB_OBJ_OK, or what is wrong with it.
 */
enum kslab_obj_error kslab_obj_check(struct kslab_cache *cache,
				     const void *obj, struct kslab_slab **slab,
				     unsigned long *offset)
{
	unsigned long off;

	*offset = 0;
	*slab = kslab_obj_to_slab(obj);
	if (!*slab)
		return kslab_virt_to_page(obj) ? KSLAB_OBJ_NOT_SLAB :
						 KSLAB_OBJ_FOREIGN;
	if ((*slab)->cache != cache)
		return KSLAB_OBJ_WRONG_CACHE;
	if (kslab_obj_valid(cache, obj))
		return KSLAB_OBJ_OK;
	off = (const char *)obj - (*slab)->s_mem;
	if ((const char *)obj >= (*slab)->s_mem)
		*offset = off % cache->size;
	return KSLAB_OBJ_INSIDE;
}

/**
 * kslab_slab_release_empty() - give back empty slabs
 * @cache: the cache
 * @keep:  empty slabs to keep
 *
 * Return: the number of pages given back.
 */
unsigned long kslab_slab_release_empty(struct kslab_cache *cache,
				       unsigned long keep)
{
	struct kslab_list_head doomed;
	unsigned long n;

	kslab_list_init(&doomed);
	kslab_spin_lock(&cache->lock);
	n = slabs_detach_empty(cache, keep, &doomed);
	kslab_spin_unlock(&cache->lock);
	slabs_destroy(cache, &doomed);
	return n << cache->order;
}

/**
 * kslab_slab_release_all() - give back every slab, for destroy
 * @cache: a cache with nothing out but quarantined objects
 *
 * Slabs holding quarantined objects count as full or partial; they go too.
 */
void kslab_slab_release_all(struct kslab_cache *cache)
{
	struct kslab_list_head doomed;
	unsigned int node;

	kslab_list_init(&doomed);
	kslab_spin_lock(&cache->lock);
	kslab_list_splice(&cache->slabs_full, &doomed);
	for (node = 0; node < KSLAB_MAX_NODES; node++) {
		kslab_list_splice(&cache->node_slabs[node].partial, &doomed);
		kslab_list_splice(&cache->node_slabs[node].empty, &doomed);
	}
	cache->slab_frees += cache->nr_slabs;
	cache->nr_slabs = 0;
	count_empty(cache, -(long)cache->nr_empty);
	cache->active_objs = 0;
	cache->quarantined = 0;
	kslab_spin_unlock(&cache->lock);
	slabs_destroy(cache, &doomed);
}
