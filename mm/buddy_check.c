// SPDX-License-Identifier: GPL-2.0
/*
 * Looking at zones: statistics, buddyinfo text, free-list snapshots and the
 * consistency checker.
 *
 * Owns nothing; reads zone state under the locks mm/buddy.c defines
 * (kslab_zones_lock, then zone->lock). The checker reports what it finds
 * while holding the zone lock, so report hooks must not call into kslab.
 */
#include <kslab/report.h>

#include "check.h"
#include "zone.h"

void kslab_zone_stats(struct kslab_zone *zone, struct kslab_buddy_stats *stats)
{
	unsigned int order;

	kslab_spin_lock(&zone->lock);
	stats->managed_pages = zone->managed_pages;
	stats->free_pages = zone->free_pages;
	stats->nr_chunks = zone->nr_chunks;
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		stats->free_blocks[order] = zone->free_area[order].nr_free;
	stats->events = zone->events;
	kslab_spin_unlock(&zone->lock);
}

void kslab_buddy_stats(struct kslab_buddy_stats *stats)
{
	struct kslab_buddy_stats node_stats;
	unsigned long *sum = (unsigned long *)stats;
	const unsigned long *add = (const unsigned long *)&node_stats;
	unsigned int node;
	size_t i;

	/* Every field is an unsigned long: summed as an array of them. */
	_Static_assert(sizeof(*stats) % sizeof(unsigned long) == 0,
		       "struct kslab_buddy_stats holds unsigned longs only");
	kslab_zone_stats(kslab_default_zone(), stats);
	for (node = 1; node < kslab_nr_nodes(); node++) {
		kslab_zone_stats(kslab_node_zone(node), &node_stats);
		for (i = 0; i < sizeof(*stats) / sizeof(unsigned long); i++)
			sum[i] += add[i];
	}
}

/*
 * For each order, from the largest down, the free blocks and pages that
 * could serve it: those of its order and every larger one.
 */
void kslab_buddy_frag(const struct kslab_buddy_stats *stats,
		      struct kslab_buddy_frag *frag)
{
	unsigned long blocks = 0, suitable_blocks = 0, suitable_pages = 0;
	unsigned long free_pages = 0;
	unsigned int order;

	for (order = 0; order <= KSLAB_MAX_ORDER; order++) {
		blocks += stats->free_blocks[order];
		free_pages += stats->free_blocks[order] << order;
	}
	for (order = KSLAB_MAX_ORDER + 1; order-- > 0;) {
		suitable_blocks += stats->free_blocks[order];
		suitable_pages += stats->free_blocks[order] << order;
		frag->unusable[order] = free_pages ?
			(long)((free_pages - suitable_pages) * 1000 / free_pages) : 0;
		if (!blocks)
			frag->fragmentation[order] = 0;
		else if (suitable_blocks)
			frag->fragmentation[order] = -1000;
		else	/* the free pages in requests' worth, over the blocks */
			frag->fragmentation[order] = 1000 -
				(long)((1000 + free_pages * 1000 / (1UL << order)) /
				       blocks);
	}
}

size_t kslab_buddyinfo_format(char *buf, size_t size)
{
	struct kslab_zone *zone;
	unsigned int order;
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	kslab_default_zone();	/* always listed, like a node's Normal zone */
	kslab_spin_lock(&kslab_zones_lock);
	kslab_list_for_each_entry(zone, &kslab_zones, zone_node) {
		kslab_spin_lock(&zone->lock);
		len = kslab_append(buf, size, len, "Node %d, zone %8s",
				   zone->node < 0 ? 0 : zone->node, zone->name);
		for (order = 0; order <= KSLAB_MAX_ORDER; order++)
			len = kslab_append(buf, size, len, " %6lu",
				     zone->free_area[order].nr_free);
		len = kslab_append(buf, size, len, "\n");
		kslab_spin_unlock(&zone->lock);
	}
	kslab_spin_unlock(&kslab_zones_lock);
	return len;
}

size_t kslab_zone_free_blocks(struct kslab_zone *zone, unsigned int order,
			      void **blocks, size_t max)
{
	struct kslab_page *page;
	size_t n = 0;

	if (order > KSLAB_MAX_ORDER)
		return 0;
	kslab_spin_lock(&zone->lock);
	kslab_list_for_each_entry(page, &zone->free_area[order].blocks,
				  buddy_node) {
		if (n < max)
			blocks[n] = kslab_page_address(page);
		n++;
	}
	kslab_spin_unlock(&zone->lock);
	return n;
}

/* What a walk of the chunks found, to compare with lists and counters. */
struct zone_census {
	struct kslab_zone *zone;
	unsigned long problems;
	unsigned long chunks;
	unsigned long free_pages;
	unsigned long free_blocks[KSLAB_MAX_ORDER + 1];
};

#define problem(census, ...) \
	kslab_check_problem((census)->zone->name, &(census)->problems, __VA_ARGS__)

/* The pages after a block's first must be inside it, not heads of blocks. */
static void check_block_body(struct zone_census *census,
			     struct kslab_chunk *chunk, unsigned long index)
{
	const struct kslab_page *head = &chunk->pages[index];
	unsigned long i;

	for (i = index + 1; i < index + (1UL << head->order); i++) {
		const struct kslab_page *page = &chunk->pages[i];
		bool inside = head->state == KSLAB_PAGE_HEAD ?
			page->state == KSLAB_PAGE_TAIL && page->head == index :
			page->state == KSLAB_PAGE_UNUSED ||
			page->state == KSLAB_PAGE_TAIL;

		if (!inside) {
			problem(census, "chunk %p page %lu overlaps block at page %lu order %u",
				(void *)chunk->base, i, index, head->order);
			return;
		}
	}
}

/* Blocks must tile the chunk: each starts where the previous one ended. */
static void check_chunk(struct zone_census *census, struct kslab_chunk *chunk)
{
	unsigned long index = 0;

	census->chunks++;
	if (chunk->zone != census->zone ||
	    kslab_pagemap_lookup(chunk->base) != chunk)
		problem(census, "chunk %p is not mapped to this zone",
			(void *)chunk->base);
	while (index < KSLAB_CHUNK_PAGES) {
		const struct kslab_page *page = &chunk->pages[index];
		unsigned int order = page->order;

		if (page->state != KSLAB_PAGE_FREE &&
		    page->state != KSLAB_PAGE_HEAD) {
			problem(census, "chunk %p page %lu starts no block",
				(void *)chunk->base, index);
			return;
		}
		if (order > KSLAB_MAX_ORDER || index & ((1UL << order) - 1)) {
			problem(census, "chunk %p page %lu has a misaligned block of order %u",
				(void *)chunk->base, index, order);
			return;
		}
		if (page->state == KSLAB_PAGE_FREE) {
			unsigned long buddy = index ^ (1UL << order);

			census->free_blocks[order]++;
			census->free_pages += 1UL << order;
			if (order < KSLAB_MAX_ORDER && buddy > index &&
			    chunk->pages[buddy].state == KSLAB_PAGE_FREE &&
			    chunk->pages[buddy].order == order)
				problem(census, "chunk %p free buddies at pages %lu and %lu of order %u not merged",
					(void *)chunk->base, index, buddy, order);
		}
		check_block_body(census, chunk, index);
		index += 1UL << order;
	}
}

static void check_free_list(struct zone_census *census, unsigned int order)
{
	struct kslab_free_area *area = &census->zone->free_area[order];
	unsigned long listed = 0;
	struct kslab_page *page;

	kslab_list_for_each_entry(page, &area->blocks, buddy_node) {
		if (++listed > census->zone->managed_pages)
			break;	/* a cycle: the count check below reports it */
		if (page->state != KSLAB_PAGE_FREE || page->order != order ||
		    kslab_page_chunk(page)->zone != census->zone)
			problem(census, "free list %u holds %p, state %u order %u",
				order, kslab_page_address(page), page->state,
				page->order);
	}
	if (listed != area->nr_free || listed != census->free_blocks[order])
		problem(census, "free list %u: %lu listed, %lu counted, %lu found in chunks",
			order, listed, area->nr_free,
			census->free_blocks[order]);
}

unsigned long kslab_zone_check(struct kslab_zone *zone)
{
	struct zone_census census = { .zone = zone };
	struct kslab_chunk *chunk;
	unsigned int order;

	kslab_spin_lock(&zone->lock);
	kslab_list_for_each_entry(chunk, &zone->chunks, node)
		check_chunk(&census, chunk);
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		check_free_list(&census, order);
	if (census.chunks != zone->nr_chunks ||
	    zone->managed_pages != census.chunks * KSLAB_CHUNK_PAGES)
		problem(&census, "%lu chunks found, %lu counted, %lu managed pages",
			census.chunks, zone->nr_chunks, zone->managed_pages);
	if (census.free_pages != zone->free_pages)
		problem(&census, "%lu free pages found, %lu counted",
			census.free_pages, zone->free_pages);
	kslab_check_done(zone->name, census.problems);
	kslab_spin_unlock(&zone->lock);
	return census.problems;
}
