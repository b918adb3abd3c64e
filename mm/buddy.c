// SPDX-License-Identifier: GPL-2.0
/*
 * The buddy allocator: zones of max-order chunks, blocks split on
 * allocation and coalesced with their buddy on free.
 *
 * Owns the zones (free lists, chunk lists, counters), the default zones
 * (one per NUMA node, each granted its node's memory: a chunk, and every
 * block in it, belongs to its node for good, so a block freed from any
 * CPU goes back to its own node's free lists) and the list of all zones. A block of order k starting at page index i of its
 * chunk has its buddy at index i ^ (1 << k); both halves of a split block
 * are buddies, so freeing merges upward while the buddy is a free block of
 * the same order. A chunk whose pages all come back merges into one free
 * max-order block, which is how a wholly free chunk is recognised.
 *
 * Lock order: default_zone_lock, kslab_zones_lock, zone->lock, then fault
 * injection's (the pages point decides under the zone lock). The page
 * source and the metadata allocator are only called with no lock held
 * (they may sleep in the kernel): growing drops the zone lock and retries.
 */
#include <kslab/report.h>

#include "check.h"
#include "fault.h"
#include "name.h"
#include "zone.h"

struct kslab_list_head kslab_zones = { &kslab_zones, &kslab_zones };
KSLAB_DEFINE_SPINLOCK(kslab_zones_lock);

/* Every CPU's page allocations write them: not beside read-mostly data. */
static struct kslab_zone default_zones[KSLAB_MAX_NODES] kslab_line_aligned;
static bool default_zone_ready[KSLAB_MAX_NODES];
static KSLAB_DEFINE_SPINLOCK(default_zone_lock);

/* The environment's page source, one for each node. */
static struct kslab_page_source env_page_sources[KSLAB_MAX_NODES];

static void *env_grant(struct kslab_page_source *source, gfp_t gfp)
{
	return kslab_env_chunk_grant(gfp, (unsigned int)(source -
							  env_page_sources));
}

static void env_take_back(struct kslab_page_source *source, void *chunk)
{
	(void)source;
	kslab_env_chunk_take_back(chunk);
}

static void env_discard(struct kslab_page_source *source, void *p,
			size_t size)
{
	(void)source;
	kslab_env_chunk_discard(p, size);
}

static void env_populate(struct kslab_page_source *source, void *p,
			 size_t size)
{
	(void)source;
	kslab_env_chunk_populate(p, size);
}

static struct kslab_page_source env_page_sources[KSLAB_MAX_NODES] = {
	[0 ... KSLAB_MAX_NODES - 1] = {
		.grant = env_grant,
		.take_back = env_take_back,
		.discard = env_discard,
		.populate = KSLAB_ENV_POPULATE ? env_populate : NULL,
	},
};

/*
 * @node: the node whose memory the zone is granted, from the environment's
 * page source; -1 for a zone with a source of its own.
 */
static void zone_init(struct kslab_zone *zone, const char *name, int node,
		      const struct kslab_zone_params *params)
{
	unsigned int order;

	kslab_spin_init(&zone->lock);
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		kslab_list_init(&zone->free_area[order].blocks);
	kslab_list_init(&zone->chunks);
	kslab_list_init(&zone->spare_descs);
	zone->node = node;
	if (node >= 0)
		zone->source = &env_page_sources[node];
	zone->keep_free_chunks = KSLAB_KEEP_FREE_CHUNKS_DEFAULT;
	if (params) {
		if (params->source) {
			zone->source = params->source;
			zone->node = -1;
		}
		zone->max_chunks = params->max_chunks;
		zone->keep_free_chunks = params->keep_free_chunks;
	}
	kslab_name_copy(zone->name, sizeof(zone->name), name);

	kslab_spin_lock(&kslab_zones_lock);
	kslab_list_add_tail(&zone->zone_node, &kslab_zones);
	kslab_spin_unlock(&kslab_zones_lock);
}

bool kslab_numa;

struct kslab_zone *kslab_node_zone(unsigned int node)
{
	char name[KSLAB_ZONE_NAME_LEN];

	if (node >= kslab_nr_nodes())
		node = 0;
	if (kslab_unlikely(kslab_nr_nodes() > 1 && !KSLAB_READ_ONCE(kslab_numa)))
		KSLAB_WRITE_ONCE(kslab_numa, true);
	if (kslab_unlikely(!kslab_load_acquire(&default_zone_ready[node]))) {
		/* Node 0's keeps the name of the one zone of a one-node system. */
		if (node)
			kslab_name_number(name, sizeof(name), "kslab-node", node);
		else
			kslab_name_copy(name, sizeof(name), "kslab");
		kslab_spin_lock(&default_zone_lock);
		if (!default_zone_ready[node]) {
			zone_init(&default_zones[node], name, (int)node, NULL);
			kslab_store_release(&default_zone_ready[node], true);
		}
		kslab_spin_unlock(&default_zone_lock);
	}
	return &default_zones[node];
}

struct kslab_zone *kslab_default_zone(void)
{
	return kslab_node_zone(0);
}

struct kslab_zone *kslab_zone_create(const char *name,
				     const struct kslab_zone_params *params)
{
	struct kslab_zone *zone;

	zone = kslab_meta_alloc(sizeof(*zone), GFP_KERNEL);
	/* Without a source of its own, memory of the creating CPU's node. */
	if (zone)
		zone_init(zone, name, (int)kslab_cpu_node(kslab_cpu_id()),
			  params);
	return zone;
}

/* Put a free block of @order starting at @page on its free list. */
static void free_area_add(struct kslab_zone *zone, struct kslab_page *page,
			  unsigned int order)
{
	page->state = KSLAB_PAGE_FREE;
	page->order = order;
	kslab_list_add(&page->buddy_node, &zone->free_area[order].blocks);
	zone->free_area[order].nr_free++;
}

static void free_area_del(struct kslab_zone *zone, struct kslab_page *page,
			  unsigned int order)
{
	kslab_list_del(&page->buddy_node);
	zone->free_area[order].nr_free--;
	page->state = KSLAB_PAGE_UNUSED;
}

static void mark_allocated(struct kslab_page *page, unsigned int order)
{
	unsigned long i;

	page->state = KSLAB_PAGE_HEAD;
	page->order = order;
	page->owner = NULL;
	page->private = 0;
	page->user = 0;
	for (i = 1; i < (1UL << order); i++) {
		page[i].state = KSLAB_PAGE_TAIL;
		page[i].index = page->index + i;
		page[i].head = page->index;
	}
}

/* Take the smallest free block that fits and split it down to @order. */
static struct kslab_page *take_block(struct kslab_zone *zone,
				     unsigned int order)
{
	struct kslab_page *page;
	unsigned int found;

	for (found = order; found <= KSLAB_MAX_ORDER; found++)
		if (!kslab_list_empty(&zone->free_area[found].blocks))
			break;
	if (found > KSLAB_MAX_ORDER)
		return NULL;

	page = kslab_list_first_entry(&zone->free_area[found].blocks,
				      struct kslab_page, buddy_node);
	free_area_del(zone, page, found);
	if (found > order)	/* one probe a split-up block: from, to */
		KSLAB_TRACE(buddy_split, found, order);
	while (found > order) {
		found--;
		page[1UL << found].index = page->index + (1UL << found);
		free_area_add(zone, page + (1UL << found), found);
		zone->events.splits++;
	}
	mark_allocated(page, order);
	zone->free_pages -= 1UL << order;
	return page;
}

/*
 * A page's index is written when the page first starts a block (page 0
 * here, a split's upper half in take_block()) or joins one as a tail
 * (mark_allocated()); until then the page is UNUSED with index 0, and
 * nothing reads the index of such a page: descriptors are found from an
 * address through the chunk, or as a block's head. A new descriptor is
 * zeroed memory (the port's promise), so setting up a chunk writes none of
 * its 24 KiB of page descriptors, which would be six page faults for a
 * short program; only a reused one is cleared, and it is resident.
 */
static void chunk_setup(struct kslab_chunk *chunk, struct kslab_zone *zone,
			unsigned long base, bool reused)
{
	if (reused) {
		kslab_memset(chunk->pages, 0, sizeof(chunk->pages));
		kslab_memset(chunk->populated, 0, sizeof(chunk->populated));
		kslab_memset(chunk->started, 0, sizeof(chunk->started));
		kslab_memset(chunk->heads, 0, sizeof(chunk->heads));
	}
	chunk->base = base;
	chunk->zone = zone;
}

static struct kslab_chunk *spare_desc_get(struct kslab_zone *zone)
{
	struct kslab_chunk *chunk;

	if (kslab_list_empty(&zone->spare_descs))
		return NULL;
	chunk = kslab_list_first_entry(&zone->spare_descs, struct kslab_chunk,
				       node);
	kslab_list_del(&chunk->node);
	return chunk;
}

/*
 * Add one chunk from the page source. Called and returns without the zone
 * lock. Descriptors of chunks given back are kept for reuse rather than
 * freed, so a lock-free kslab_virt_to_page() racing with a give-back reads
 * a stale descriptor, never unmapped memory.
 */
static int zone_grow(struct kslab_zone *zone, gfp_t gfp)
{
	struct kslab_chunk *chunk;
	bool reused;
	void *base;

	kslab_spin_lock(&zone->lock);
	if (zone->max_chunks &&
	    zone->nr_chunks + zone->nr_growing >= zone->max_chunks) {
		kslab_spin_unlock(&zone->lock);
		return -1;
	}
	zone->nr_growing++;
	chunk = spare_desc_get(zone);
	kslab_spin_unlock(&zone->lock);

	reused = chunk != NULL;
	if (!chunk) {
		chunk = kslab_meta_alloc(sizeof(*chunk), gfp);
		if (!chunk)
			goto out_unreserve;
		/*
		 * The chunk's first block splits it from the top order down,
		 * writing the head of each upper half: pages[512], [256] and
		 * on down. Those lie in the first half of the array, which is
		 * populated in one step rather than faulted in a page at a
		 * time; the rest is written as the chunk fills.
		 */
		kslab_env_meta_populate(chunk,
					__builtin_offsetof(struct kslab_chunk,
						 pages[KSLAB_CHUNK_PAGES / 2 + 1]));
	}
	base = zone->source->grant(zone->source, gfp);
	if (!base)
		goto out_spare;
	if ((unsigned long)base & (KSLAB_CHUNK_SIZE - 1)) {
		kslab_report(KSLAB_LOG_ERR,
			     "BUG %s: page source gave a misaligned chunk %p",
			     zone->name, base);
		goto out_take_back;
	}
	chunk_setup(chunk, zone, (unsigned long)base, reused);
	if (kslab_pagemap_insert(chunk, gfp))
		goto out_take_back;

	kslab_spin_lock(&zone->lock);
	zone->nr_growing--;
	zone->nr_chunks++;
	zone->events.chunks_granted++;
	KSLAB_TRACE(chunk_map, (unsigned long)zone, (unsigned long)base);
	zone->managed_pages += KSLAB_CHUNK_PAGES;
	zone->free_pages += KSLAB_CHUNK_PAGES;
	kslab_list_add(&chunk->node, &zone->chunks);
	free_area_add(zone, &chunk->pages[0], KSLAB_MAX_ORDER);
	kslab_spin_unlock(&zone->lock);
	return 0;

out_take_back:
	zone->source->take_back(zone->source, base);
out_spare:
	kslab_spin_lock(&zone->lock);
	kslab_list_add(&chunk->node, &zone->spare_descs);
	zone->nr_growing--;
	kslab_spin_unlock(&zone->lock);
	return -1;
out_unreserve:
	kslab_spin_lock(&zone->lock);
	zone->nr_growing--;
	kslab_spin_unlock(&zone->lock);
	return -1;
}

/*
 * Populating. A fresh page costs a page fault at its first write, where
 * one step that makes a run of pages resident costs less a page (the
 * page source's populate). A small block is written soon after it is
 * handed out (a slab's header and objects), and the blocks after it in
 * its group are the next small ones handed out: a fresh chunk's blocks go
 * from its start upward, each split keeping its lower half. So the second
 * block of one page out of a group since the chunk came, or since a
 * discard took the group's memory back, populates the whole group; so
 * does one of up to KSLAB_POPULATE_ORDER whose caller says, with
 * __GFP_WRITE, that all of it is written soon. The first such block has
 * its own page populated alone and marks the group started: a program
 * that takes one small block in a group, as a short one takes its first,
 * does not pay for seven pages nothing writes, and one that goes on pays
 * a second call for the group. A multi-page slab's objects go out a
 * page's worth at a time, so the slab layer says __GFP_WRITE only for a
 * cache's slabs after its first (mm/slab.c): a class a program uses once
 * keeps just the pages it touched. Such a block without the flag has its
 * first page populated alone too, since whoever takes a block writes its
 * start (a slab's header or first objects), and leaves its group as it
 * was. A page populated alone is marked in chunk->heads, so that its
 * block freed and taken again makes no call. Larger blocks are left to
 * their page faults: a large kmalloc may be written only in part.
 */
enum populate_span {
	POPULATE_NONE,
	POPULATE_GROUP,
	POPULATE_FIRST_PAGE,
};

/* Bit @n of one of a chunk's bitmaps (a group's, or a page's). */
static bool chunk_bit(const unsigned long *map, unsigned long n)
{
	return map[n / KSLAB_GROUP_WORD_BITS] &
	       (1UL << (n % KSLAB_GROUP_WORD_BITS));
}

static void chunk_mark(unsigned long *map, unsigned long n, bool on)
{
	unsigned long bit = 1UL << (n % KSLAB_GROUP_WORD_BITS);

	if (on)
		map[n / KSLAB_GROUP_WORD_BITS] |= bit;
	else
		map[n / KSLAB_GROUP_WORD_BITS] &= ~bit;
}

/* Under the zone lock: what to populate for @page, now marked as populated. */
static enum populate_span group_claim(const struct kslab_zone *zone,
				      const struct kslab_page *page,
				      unsigned int order, gfp_t gfp)
{
	struct kslab_chunk *chunk = kslab_page_chunk(page);
	unsigned long group = page->index >> KSLAB_POPULATE_ORDER;

	if (order > KSLAB_POPULATE_ORDER || !zone->source->populate ||
	    chunk_bit(chunk->populated, group) ||
	    chunk_bit(chunk->heads, page->index))
		return POPULATE_NONE;
	if (gfp & __GFP_WRITE ||
	    (!order && chunk_bit(chunk->started, group))) {
		chunk_mark(chunk->populated, group, true);
		return POPULATE_GROUP;
	}
	if (!order)
		chunk_mark(chunk->started, group, true);
	chunk_mark(chunk->heads, page->index, true);
	return POPULATE_FIRST_PAGE;
}

/* Under the zone lock: the block of @order at @page lost its memory. */
static void groups_forget(const struct kslab_page *page, unsigned int order)
{
	struct kslab_chunk *chunk = kslab_page_chunk(page);
	unsigned long group = page->index >> KSLAB_POPULATE_ORDER;
	unsigned long end = group + 1, i;

	for (i = page->index; i < page->index + (1UL << order); i++)
		chunk_mark(chunk->heads, i, false);
	if (order > KSLAB_POPULATE_ORDER)
		end = group + (1UL << (order - KSLAB_POPULATE_ORDER));

	for (; group < end; group++) {
		chunk_mark(chunk->populated, group, false);
		chunk_mark(chunk->started, group, false);
	}
}

/*
 * With @injected, fault injection's pages point may fail it first, and
 * says so there.
 */
static void *zone_alloc(struct kslab_zone *zone, gfp_t gfp,
			unsigned int order, bool *injected)
{
	enum populate_span populate = POPULATE_NONE;
	struct kslab_page *page = NULL;
	void *addr;

	kslab_spin_lock(&zone->lock);
	if (injected)
		*injected = kslab_fault_hit(KSLAB_FAULT_PAGES, gfp);
	if (order <= KSLAB_MAX_ORDER && !(injected && *injected)) {
		while (!(page = take_block(zone, order))) {
			kslab_spin_unlock(&zone->lock);
			if (zone_grow(zone, gfp)) {
				kslab_spin_lock(&zone->lock);
				break;
			}
			kslab_spin_lock(&zone->lock);
		}
	}
	if (!page)
		zone->events.alloc_failures++;
	else
		populate = group_claim(zone, page, order, gfp);
	kslab_spin_unlock(&zone->lock);
	if (!page)
		return NULL;

	addr = kslab_page_address(page);
	if (populate == POPULATE_GROUP)
		zone->source->populate(zone->source,
				       (void *)((unsigned long)addr &
						~((KSLAB_PAGE_SIZE <<
						   KSLAB_POPULATE_ORDER) - 1)),
				       KSLAB_PAGE_SIZE << KSLAB_POPULATE_ORDER);
	else if (populate == POPULATE_FIRST_PAGE)
		zone->source->populate(zone->source, addr, KSLAB_PAGE_SIZE);
	if (gfp & __GFP_ZERO)
		kslab_memset(addr, 0, KSLAB_PAGE_SIZE << order);
	return addr;
}

void *kslab_zone_alloc_pages(struct kslab_zone *zone, gfp_t gfp,
			     unsigned int order)
{
	bool injected;

	return zone_alloc(zone, gfp, order, &injected);
}

/**
 * kslab_home_node() - the node a request for @node is served from first
 * @node: a node, or -1 (NUMA_NO_NODE) for the calling CPU's
 *
 * A node past kslab_nr_nodes() counts as -1.
 */
unsigned int kslab_home_node(int node)
{
	if (node < 0 || (unsigned int)node >= kslab_nr_nodes())
		return kslab_cpu_node(kslab_cpu_id());
	return (unsigned int)node;
}

void *kslab_alloc_pages_node(gfp_t gfp, unsigned int order, int node)
{
	unsigned int nodes = kslab_nr_nodes(), home = kslab_home_node(node), i;
	bool injected;
	void *addr;

	addr = zone_alloc(kslab_node_zone(home), gfp, order, &injected);
	if (addr || injected || order > KSLAB_MAX_ORDER ||
	    (gfp & __GFP_THISNODE))
		return addr;
	/*
	 * The home node is out of memory: the nearest other would be best,
	 * but the port gives no distances, so the next ids in turn. A failure
	 * fault injection chose stays one.
	 */
	for (i = 1; i < nodes && !addr; i++)
		addr = zone_alloc(kslab_node_zone((home + i) % nodes), gfp,
				  order, NULL);
	return addr;
}

void *kslab_alloc_pages(gfp_t gfp, unsigned int order)
{
	return kslab_alloc_pages_node(gfp, order, -1);
}

int kslab_page_node(const void *addr)
{
	struct kslab_page *page = kslab_virt_to_page(addr);

	return page ? kslab_page_chunk(page)->zone->node : -1;
}

/*
 * Unhook a wholly free chunk from its zone, under the zone lock; the
 * caller gives its memory back once the lock is dropped.
 */
static void *chunk_detach(struct kslab_zone *zone, struct kslab_chunk *chunk)
{
	free_area_del(zone, &chunk->pages[0], KSLAB_MAX_ORDER);
	kslab_list_del(&chunk->node);
	kslab_pagemap_remove(chunk);
	kslab_list_add(&chunk->node, &zone->spare_descs);
	zone->nr_chunks--;
	zone->events.chunks_released++;
	KSLAB_TRACE(chunk_unmap, (unsigned long)zone, chunk->base);
	zone->managed_pages -= KSLAB_CHUNK_PAGES;
	zone->free_pages -= KSLAB_CHUNK_PAGES;
	return (void *)chunk->base;
}

/*
 * Return the block of @order at page @index to the free lists, merging it
 * with its buddy as long as the buddy is free and of the same order.
 * Return: true if that made the chunk wholly free beyond what the zone keeps.
 */
static bool free_block(struct kslab_zone *zone, struct kslab_chunk *chunk,
		       unsigned long index, unsigned int order)
{
	struct kslab_page *pages = chunk->pages;
	unsigned int freed = order;

	zone->free_pages += 1UL << order;
	pages[index].state = KSLAB_PAGE_UNUSED;
	while (order < KSLAB_MAX_ORDER) {
		unsigned long buddy = index ^ (1UL << order);

		if (pages[buddy].state != KSLAB_PAGE_FREE ||
		    pages[buddy].order != order)
			break;
		free_area_del(zone, &pages[buddy], order);
		index &= buddy;
		order++;
		zone->events.merges++;
	}
	if (order > freed)	/* one probe a merged-up block: from, to */
		KSLAB_TRACE(buddy_merge, freed, order);
	free_area_add(zone, &pages[index], order);
	return order == KSLAB_MAX_ORDER &&
	       zone->free_area[KSLAB_MAX_ORDER].nr_free > zone->keep_free_chunks;
}

/*
 * Why freeing @addr with @order would be wrong, or NULL if it is right.
 * @head receives the block an interior address falls in, if any.
 */
static const char *free_error(struct kslab_chunk *chunk, unsigned long addr,
			      unsigned int order, struct kslab_page **head)
{
	struct kslab_page *page;

	if (order > KSLAB_MAX_ORDER)
		return "free with order above max";
	if (addr & ((KSLAB_PAGE_SIZE << order) - 1))
		return "free of misaligned address";
	page = &chunk->pages[(addr - chunk->base) >> KSLAB_PAGE_SHIFT];
	switch (page->state) {
	case KSLAB_PAGE_HEAD:
		*head = page;
		return page->order == order ? NULL : "free with wrong order";
	case KSLAB_PAGE_TAIL:
		/* A tail mark outlives its block; trust it only if still covered. */
		*head = kslab_page_head(page);
		if ((*head)->state == KSLAB_PAGE_HEAD &&
		    page->index < (*head)->index + (1UL << (*head)->order))
			return "free of address inside a block";
		*head = NULL;
		return "double free";
	default:
		return "double free";
	}
}

static void report_bad_free(const char *zone_name, const char *what,
			    void *addr, unsigned int order,
			    const struct kslab_page *head)
{
	if (head)
		kslab_report(KSLAB_LOG_ERR,
			     "BUG %s: %s addr=%p order=%u, block %p has order %u",
			     zone_name, what, addr, order,
			     kslab_page_address(head), head->order);
	else
		kslab_report(KSLAB_LOG_ERR, "BUG %s: %s addr=%p order=%u",
			     zone_name, what, addr, order);
	kslab_corrupted();
}

void kslab_free_pages(void *addr, unsigned int order)
{
	unsigned long a = (unsigned long)addr;
	struct kslab_page *head = NULL;
	struct kslab_chunk *chunk;
	struct kslab_zone *zone;
	void *release = NULL;
	const char *error;

	if (!addr)
		return;
	chunk = kslab_pagemap_lookup(a);
	if (!chunk) {
		kslab_report(KSLAB_LOG_ERR,
			     "BUG: free of address not managed by kslab addr=%p order=%u",
			     addr, order);
		kslab_corrupted();
		return;
	}
	zone = chunk->zone;

	kslab_spin_lock(&zone->lock);
	/* Only a bad free can race with its chunk going back: look again. */
	if (kslab_pagemap_lookup(a) != chunk)
		error = "free of address not managed by kslab";
	else
		error = free_error(chunk, a, order, &head);
	if (error) {
		zone->events.bad_frees++;
		kslab_spin_unlock(&zone->lock);
		report_bad_free(zone->name, error, addr, order,
				head);
		return;
	}
	if (free_block(zone, chunk, (a - chunk->base) >> KSLAB_PAGE_SHIFT, order))
		release = chunk_detach(zone, chunk);
	kslab_spin_unlock(&zone->lock);
	if (release)
		zone->source->take_back(zone->source, release);
}

/*
 * Whether the pages from @index + 2^@order up to @index + 2^@new_order are
 * all free: the block's buddy at each order in between must be one free
 * block of that order, since a wholly free buddy would have merged into
 * exactly that.
 */
static bool block_can_grow(const struct kslab_page *pages, unsigned long index,
			   unsigned int order, unsigned int new_order)
{
	if (index & ((1UL << new_order) - 1))
		return false;
	for (; order < new_order; order++) {
		const struct kslab_page *buddy = &pages[index + (1UL << order)];

		if (buddy->state != KSLAB_PAGE_FREE || buddy->order != order)
			return false;
	}
	return true;
}

bool kslab_grow_pages(void *addr, unsigned int order, unsigned int new_order)
{
	unsigned long a = (unsigned long)addr, index;
	struct kslab_chunk *chunk = kslab_pagemap_lookup(a);
	struct kslab_page *pages;
	struct kslab_zone *zone;
	unsigned int o;
	bool grown = false;

	if (!chunk || new_order > KSLAB_MAX_ORDER || new_order <= order)
		return false;
	zone = chunk->zone;
	pages = chunk->pages;
	index = (a - chunk->base) >> KSLAB_PAGE_SHIFT;
	kslab_spin_lock(&zone->lock);
	if (kslab_pagemap_lookup(a) == chunk &&
	    pages[index].state == KSLAB_PAGE_HEAD &&
	    pages[index].order == order &&
	    block_can_grow(pages, index, order, new_order)) {
		for (o = order; o < new_order; o++)
			free_area_del(zone, &pages[index + (1UL << o)], o);
		mark_allocated(&pages[index], new_order);
		zone->free_pages -= (1UL << new_order) - (1UL << order);
		zone->events.grows++;
		grown = true;
	}
	kslab_spin_unlock(&zone->lock);
	return grown;
}

/* Give back the wholly free chunks beyond @keep (the zone's quota, or 0). */
static unsigned long zone_trim(struct kslab_zone *zone, bool keep)
{
	unsigned long released = 0;

	kslab_spin_lock(&zone->lock);
	while (zone->free_area[KSLAB_MAX_ORDER].nr_free >
	       (keep ? zone->keep_free_chunks : 0)) {
		struct kslab_page *page = kslab_list_first_entry(
			&zone->free_area[KSLAB_MAX_ORDER].blocks,
			struct kslab_page, buddy_node);
		void *base = chunk_detach(zone, kslab_page_chunk(page));

		kslab_spin_unlock(&zone->lock);
		zone->source->take_back(zone->source, base);
		released++;
		kslab_spin_lock(&zone->lock);
	}
	kslab_spin_unlock(&zone->lock);
	return released;
}

unsigned long kslab_zone_set_keep_free(struct kslab_zone *zone,
				       unsigned long nr_chunks)
{
	kslab_spin_lock(&zone->lock);
	zone->keep_free_chunks = nr_chunks;
	kslab_spin_unlock(&zone->lock);
	return zone_trim(zone, true);
}

/*
 * Free pages in blocks worth a discard within the aligned run of 1 <<
 * @order pages that holds @page, read block by block: the run is tiled by
 * blocks no larger than itself (one larger would hold @page's own free
 * block, which is smaller), each starting at a free or head page.
 */
static unsigned long run_discardable_pages(const struct kslab_page *page,
					   unsigned int order)
{
	const struct kslab_chunk *chunk = kslab_page_chunk(page);
	unsigned long i = page->index & ~((1UL << order) - 1);
	unsigned long end = i + (1UL << order), free = 0;

	while (i < end) {
		const struct kslab_page *p = &chunk->pages[i];

		if (p->state == KSLAB_PAGE_FREE &&
		    p->order >= KSLAB_DISCARD_MIN_ORDER)
			free += 1UL << p->order;
		i += p->state == KSLAB_PAGE_FREE || p->state == KSLAB_PAGE_HEAD ?
		     1UL << p->order : 1;
	}
	return free;
}

/*
 * Whether to discard the free block @page of @order. Where the
 * environment asks for larger discards at that address (a huge page's),
 * a smaller block goes only when at least half of its huge page is free
 * in blocks worth discarding: the environment then splits the huge page,
 * and the half or more that is free goes back at once; a huge page in
 * use more than that keeps its blocks, and its mapping, whole.
 */
static bool discard_worth(const struct kslab_page *page, unsigned int order)
{
	unsigned int keep = kslab_env_discard_order(kslab_page_address(page));

	return order >= keep ||
	       2 * run_discardable_pages(page, keep) >= 1UL << keep;
}

/*
 * Discarded under the zone lock: a free block must not be allocated and
 * written while its memory goes, and taking blocks off the lists instead
 * would make concurrent allocations grow the zone meanwhile. The lists
 * live in the page descriptors, never in the free pages, so a discarded
 * block is as free as before. Once a second, from a reap, with a few
 * hundred blocks at most: a short hold. Blocks smaller than the
 * environment discards at that address (a huge page's, KSLAB_THP) go
 * only from a huge page at least half free (discard_worth()).
 */
unsigned long kslab_zone_discard_free(struct kslab_zone *zone)
{
	struct kslab_page *page;
	unsigned long n = 0;
	unsigned int order;

	if (!zone->source->discard)
		return 0;
	kslab_spin_lock(&zone->lock);
	for (order = KSLAB_DISCARD_MIN_ORDER; order <= KSLAB_MAX_ORDER; order++) {
		kslab_list_for_each_entry(page, &zone->free_area[order].blocks,
					  buddy_node) {
			if (!discard_worth(page, order))
				continue;
			zone->source->discard(zone->source,
					      kslab_page_address(page),
					      KSLAB_PAGE_SIZE << order);
			groups_forget(page, order);
			n++;
		}
	}
	kslab_spin_unlock(&zone->lock);
	zone_trim(zone, true);	/* the quota may have been lowered meanwhile */
	return n;
}

/**
 * kslab_discard_pages() - an allocated block's contents are not needed
 * @addr:  the block
 * @order: its order, KSLAB_DISCARD_MIN_ORDER or more
 *
 * The block stays allocated; its memory goes back to the environment
 * where the page source can discard, and the next writes fault it in.
 */
void kslab_discard_pages(void *addr, unsigned int order)
{
	struct kslab_page *page = kslab_virt_to_page(addr);
	struct kslab_zone *zone = kslab_page_chunk(page)->zone;

	if (!zone->source->discard)
		return;
	zone->source->discard(zone->source, addr, KSLAB_PAGE_SIZE << order);
	kslab_spin_lock(&zone->lock);
	groups_forget(page, order);
	kslab_spin_unlock(&zone->lock);
}

unsigned long kslab_zone_destroy(struct kslab_zone *zone)
{
	struct kslab_chunk *chunk, *tmp;
	unsigned long leaked;

	kslab_spin_lock(&kslab_zones_lock);
	kslab_list_del(&zone->zone_node);
	kslab_spin_unlock(&kslab_zones_lock);

	leaked = zone->managed_pages - zone->free_pages;
	if (leaked)
		kslab_report(KSLAB_LOG_ERR,
			     "BUG %s: zone destroyed with %lu pages still allocated",
			     zone->name, leaked);
	kslab_list_for_each_entry_safe(chunk, tmp, &zone->chunks, node) {
		kslab_pagemap_remove(chunk);
		zone->source->take_back(zone->source, (void *)chunk->base);
		kslab_env_meta_free(chunk, sizeof(*chunk));
	}
	kslab_list_for_each_entry_safe(chunk, tmp, &zone->spare_descs, node)
		kslab_env_meta_free(chunk, sizeof(*chunk));
	kslab_env_meta_free(zone, sizeof(*zone));
	return leaked;
}

/**
 * kslab_zones_lock_all() - hold every zone's lock, in lock order
 *
 * For kslab_lock_inner(); kslab_zones_unlock_all() releases them.
 */
void kslab_zones_lock_all(void)
{
	struct kslab_zone *zone;

	kslab_spin_lock(&default_zone_lock);
	kslab_spin_lock(&kslab_zones_lock);
	kslab_list_for_each_entry(zone, &kslab_zones, zone_node)
		kslab_spin_lock(&zone->lock);
}

void kslab_zones_unlock_all(void)
{
	struct kslab_zone *zone;

	kslab_list_for_each_entry_reverse(zone, &kslab_zones, zone_node)
		kslab_spin_unlock(&zone->lock);
	kslab_spin_unlock(&kslab_zones_lock);
	kslab_spin_unlock(&default_zone_lock);
}

/**
 * kslab_default_zone_free_chunks() - the default zones' wholly free chunks
 *
 * Read without the zone lock, for an estimate (kslab_reclaimable_bytes()).
 * Context: any.
 * Return: the count, 0 before any zone is made.
 */
unsigned long kslab_default_zone_free_chunks(void)
{
	unsigned long n = 0;
	unsigned int node;

	for (node = 0; node < KSLAB_MAX_NODES; node++) {
		struct kslab_free_area *area;

		if (!kslab_load_acquire(&default_zone_ready[node]))
			continue;
		area = &default_zones[node].free_area[KSLAB_MAX_ORDER];
		n += KSLAB_READ_ONCE(area->nr_free);
	}
	return n;
}

/**
 * kslab_default_zone_trim() - give back every wholly free chunk, kept too
 *
 * Of every node's default zone. For reclaim under memory pressure: the
 * chunks a zone keeps for its
 * next growth go back as well; the quota stays, for later frees.
 * Context: any but NMI; never sleeps.
 * Return: the chunks given back.
 */
unsigned long kslab_default_zone_trim(void)
{
	unsigned long n = 0;
	unsigned int node;

	for (node = 0; node < KSLAB_MAX_NODES; node++)
		if (kslab_load_acquire(&default_zone_ready[node]))
			n += zone_trim(&default_zones[node], false);
	return n;
}

/* Every wholly free chunk back, spare descriptors freed, leaks reported. */
static unsigned long zone_release(struct kslab_zone *zone)
{
	struct kslab_chunk *chunk, *tmp;
	struct kslab_list_head spares;
	unsigned long used;

	kslab_zone_set_keep_free(zone, 0);
	kslab_list_init(&spares);
	kslab_spin_lock(&zone->lock);
	kslab_list_for_each_entry_safe(chunk, tmp, &zone->spare_descs, node) {
		kslab_list_del(&chunk->node);
		kslab_list_add(&chunk->node, &spares);
	}
	used = zone->managed_pages - zone->free_pages;
	kslab_spin_unlock(&zone->lock);
	kslab_list_for_each_entry_safe(chunk, tmp, &spares, node)
		kslab_env_meta_free(chunk, sizeof(*chunk));
	if (used)
		kslab_report(KSLAB_LOG_ERR,
			     "BUG %s: %lu pages still allocated at release",
			     zone->name, used);
	return used;
}

/**
 * kslab_default_zone_release() - give the default zones' memory back
 *
 * For the kernel module's unload, once every cache is gone: in every
 * node's default zone, every wholly free chunk goes back and the spare
 * chunk descriptors are freed. Pages still allocated keep their chunks,
 * and are reported.
 * Return: the pages still allocated.
 */
unsigned long kslab_default_zone_release(void)
{
	unsigned long used = 0;
	unsigned int node;

	kslab_default_zone();
	for (node = 0; node < KSLAB_MAX_NODES; node++)
		if (kslab_load_acquire(&default_zone_ready[node]))
			used += zone_release(&default_zones[node]);
	return used;
}
