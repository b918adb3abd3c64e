/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page and chunk descriptors: kslab-internal, shared by mm/ and the tests.
 *
 * Memory comes from the environment in chunks of one max-order block
 * (KSLAB_CHUNK_SIZE, aligned to its size). Each chunk has a descriptor kept
 * apart from the chunk, so the whole chunk stays usable as one block; in it,
 * one struct kslab_page per page. kslab_virt_to_page() finds the descriptor
 * of any address in O(1) through the page map (mm/pagemap.c).
 */
#ifndef KSLAB_PAGE_H
#define KSLAB_PAGE_H

#include <kslab/buddy.h>

#include "list.h"
#include "port.h"

struct kslab_zone;

/* What a page is to the buddy allocator. */
enum kslab_page_state {
	KSLAB_PAGE_UNUSED,	/* not the first page of any block */
	KSLAB_PAGE_FREE,	/* first page of a free block, on a free list */
	KSLAB_PAGE_HEAD,	/* first page of an allocated block */
	KSLAB_PAGE_TAIL,	/* other page of an allocated block */
};

struct kslab_page {
	unsigned char state;	/* enum kslab_page_state */
	unsigned char order;	/* FREE and HEAD: order of the block */
	unsigned short index;	/* page number within its chunk, fixed */
	unsigned short head;	/* TAIL: index of the block's first page */
	unsigned short user;	/* HEAD: a small field for the block's owner */
	union {
		/* FREE: link in zone->free_area[order] */
		struct kslab_list_head buddy_node;
		/*
		 * HEAD: owned by whoever allocated the block (the slab layer
		 * keeps its slab and a tag naming its cache here); zeroed by
		 * every allocation
		 */
		struct {
			void *owner;
			unsigned long private;
		};
	};
};

_Static_assert(KSLAB_MAX_ORDER <= 15, "page index must fit 16 bits");

/*
 * A chunk's pages are made resident a group at a time, as small blocks are
 * first handed out of them (mm/buddy.c): 2^KSLAB_POPULATE_ORDER pages, no
 * more than the smallest block discarded, so a discard covers whole groups.
 */
#define KSLAB_POPULATE_ORDER	3
#define KSLAB_CHUNK_GROUPS	(KSLAB_CHUNK_PAGES >> KSLAB_POPULATE_ORDER)
#define KSLAB_GROUP_WORD_BITS	(8 * sizeof(unsigned long))

_Static_assert(KSLAB_POPULATE_ORDER <= KSLAB_DISCARD_MIN_ORDER,
	       "a discard must cover whole populate groups");
_Static_assert(KSLAB_CHUNK_GROUPS % KSLAB_GROUP_WORD_BITS == 0,
	       "populate groups fill whole words");

struct kslab_chunk {
	unsigned long base;		/* address of page 0 */
	struct kslab_zone *zone;
	struct kslab_list_head node;	/* zone->chunks, or zone->spare_descs */
	/* Groups populated since granted or last discarded; zone->lock */
	unsigned long populated[KSLAB_CHUNK_GROUPS / KSLAB_GROUP_WORD_BITS];
	/* Groups a one-page block had its page populated alone in; zone->lock */
	unsigned long started[KSLAB_CHUNK_GROUPS / KSLAB_GROUP_WORD_BITS];
	/* Pages populated alone, each a block's first; zone->lock */
	unsigned long heads[KSLAB_CHUNK_PAGES / KSLAB_GROUP_WORD_BITS];
	struct kslab_page pages[KSLAB_CHUNK_PAGES];
};

static inline struct kslab_chunk *kslab_page_chunk(const struct kslab_page *page)
{
	return kslab_container_of(page - page->index, struct kslab_chunk, pages);
}

static inline void *kslab_page_address(const struct kslab_page *page)
{
	return (void *)(kslab_page_chunk(page)->base +
			((unsigned long)page->index << KSLAB_PAGE_SHIFT));
}

/*
 * The first page of the allocated block @page belongs to. Only meaningful
 * while the block is allocated: a freed block's pages keep stale tail
 * marks, so code checking a doubtful address must confirm that the head is
 * KSLAB_PAGE_HEAD and that its order covers @page.
 */
static inline struct kslab_page *kslab_page_head(struct kslab_page *page)
{
	if (page->state == KSLAB_PAGE_TAIL)
		return page - (page->index - page->head);
	return page;
}

/* The node @node names, or the calling CPU's for -1 (mm/buddy.c). */
unsigned int kslab_home_node(int node);

/* An allocated block's memory goes back, the block stays (mm/buddy.c). */
void kslab_discard_pages(void *addr, unsigned int order);

/* kslab_virt_to_page() is inline there; it needs struct kslab_chunk. */
#include "pagemap.h"

#endif /* KSLAB_PAGE_H */
