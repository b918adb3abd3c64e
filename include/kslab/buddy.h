/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The buddy page allocator: blocks of 2^order pages, order 0 to
 * KSLAB_MAX_ORDER. See Documentation/buddy.rst.
 *
 * Most callers use the default zone through kslab_alloc_pages() and
 * kslab_free_pages(). Private zones, each with its own page source and
 * limits, exist for tests and for users who want separate accounting.
 */
#ifndef KSLAB_BUDDY_H
#define KSLAB_BUDDY_H

#include <kslab/gfp.h>
#include <kslab/types.h>

KSLAB_BEGIN_DECLS

/* Free max-order chunks the default zone keeps before giving them back. */
#define KSLAB_KEEP_FREE_CHUNKS_DEFAULT	1

struct kslab_zone;

/**
 * struct kslab_buddy_events - what a zone has done since it was made
 * @chunks_granted: chunks taken from the page source
 * @chunks_released: chunks given back to it
 * @splits:         blocks split in two by allocations
 * @merges:         buddy pairs coalesced by frees
 * @alloc_failures: allocations that returned NULL
 * @bad_frees:      frees reported as invalid and ignored
 * @grows:          blocks grown in place by kslab_grow_pages()
 */
struct kslab_buddy_events {
	unsigned long chunks_granted;
	unsigned long chunks_released;
	unsigned long splits;
	unsigned long merges;
	unsigned long alloc_failures;
	unsigned long bad_frees;
	unsigned long grows;
};

/**
 * struct kslab_buddy_stats - a snapshot of one zone
 * @managed_pages:  pages in the chunks the zone holds
 * @free_pages:     pages on its free lists
 * @nr_chunks:      chunks it holds
 * @free_blocks:    free blocks of each order
 * @events:         its event counters
 */
struct kslab_buddy_stats {
	unsigned long managed_pages;
	unsigned long free_pages;
	unsigned long nr_chunks;
	unsigned long free_blocks[KSLAB_MAX_ORDER + 1];
	struct kslab_buddy_events events;
};

/**
 * struct kslab_page_source - where a zone gets its chunks
 * @grant:     return one KSLAB_CHUNK_SIZE block aligned to its size, or NULL
 * @take_back: accept a block @grant returned
 * @discard:   optional: the contents of @size bytes at @p, inside a
 *             granted block, are not needed, but they stay granted (the
 *             environment may reclaim their memory)
 * @populate:  optional: @size bytes at @p, inside a granted block, are
 *             about to be written: make them resident now, in one step
 *             rather than a page fault a page (a hint; may do nothing)
 *
 * Embed it in a larger struct to carry state; the hooks get it back.
 */
struct kslab_page_source {
	void *(*grant)(struct kslab_page_source *source, gfp_t gfp);
	void (*take_back)(struct kslab_page_source *source, void *chunk);
	void (*discard)(struct kslab_page_source *source, void *p, size_t size);
	void (*populate)(struct kslab_page_source *source, void *p,
			 size_t size);
};

/**
 * struct kslab_zone_params - how to build a zone
 * @source:           page source; NULL for the environment's
 * @max_chunks:       most chunks held at once; 0 for no limit
 * @keep_free_chunks: wholly free chunks kept before giving one back; 0
 *                    gives each chunk back the moment it is wholly free
 *                    (NULL params keep KSLAB_KEEP_FREE_CHUNKS_DEFAULT)
 */
struct kslab_zone_params {
	struct kslab_page_source *source;
	unsigned long max_chunks;
	unsigned long keep_free_chunks;
};

/**
 * kslab_alloc_pages() - allocate a block from the default zones
 * @gfp:   GFP_KERNEL or GFP_ATOMIC, optionally with __GFP_ZERO, and with
 *         __GFP_WRITE where a block of up to 8 pages is written whole soon
 *         (its pages are then made resident ahead, where the environment
 *         can; without it only the block's first page is: see
 *         Documentation/buddy.rst, "Populating")
 * @order: log2 of the number of pages, 0 to KSLAB_MAX_ORDER
 *
 * kslab_alloc_pages_node() for the calling CPU's node.
 * Return: the block, aligned to its size, or NULL if @order is too large
 * or the page source is exhausted.
 */
KSLAB_API
void *kslab_alloc_pages(gfp_t gfp, unsigned int order);

/**
 * kslab_alloc_pages_node() - allocate a block of a NUMA node's memory
 * @gfp:   as for kslab_alloc_pages(); with __GFP_THISNODE, @node's memory
 *         or none
 * @order: log2 of the number of pages, 0 to KSLAB_MAX_ORDER
 * @node:  the node, or -1 (NUMA_NO_NODE) for the calling CPU's; one kslab
 *         does not know counts as -1
 *
 * From @node's default zone; when that node has no memory to give and
 * @gfp allows, from another node's. On a system of one node, the same as
 * kslab_alloc_pages().
 * Return: the block, aligned to its size, or NULL.
 */
KSLAB_API
void *kslab_alloc_pages_node(gfp_t gfp, unsigned int order, int node);

/**
 * kslab_page_node() - the NUMA node of the memory at an address
 * @addr: any address
 *
 * Return: the node whose zone holds @addr; -1 for an address in no zone,
 * or in a private zone with a page source of its own.
 */
KSLAB_API
int kslab_page_node(const void *addr);

/**
 * kslab_free_pages() - free a block allocated by kslab_alloc_pages()
 * @addr:  the block, as returned; NULL does nothing
 * @order: the order it was allocated with
 *
 * Works for blocks of any zone. An address kslab does not manage, one
 * misaligned for @order, a wrong @order or a second free is reported and
 * ignored; the owning zone's bad_frees counts it (an address no zone owns
 * is counted by kslab_report_count() only).
 */
KSLAB_API
void kslab_free_pages(void *addr, unsigned int order);

/**
 * kslab_grow_pages() - grow a block in place to a larger order
 * @addr:      a live block from kslab_alloc_pages() or
 *             kslab_zone_alloc_pages()
 * @order:     its order
 * @new_order: the order it should have, above @order
 *
 * Succeeds when @addr is aligned for @new_order and the pages after the
 * block up to that size are free: they join it, holding whatever they
 * held. Growing a buffer so copies nothing and leaves no freed block
 * behind. Free the block with @new_order afterwards.
 *
 * Return: true if the block now has @new_order; false, changing nothing,
 * otherwise (a bad @addr or @order included).
 */
KSLAB_API
bool kslab_grow_pages(void *addr, unsigned int order, unsigned int new_order);

/**
 * kslab_buddyinfo_format() - describe every zone like /proc/buddyinfo
 * @buf:  where to write; may be NULL if @size is 0
 * @size: bytes available in @buf
 *
 * One line per zone: "Node <n>, zone <name>" (a private zone with its
 * own page source says node 0) then the free blocks of each
 * order. Return: the length the full text needs, as snprintf() does.
 */
KSLAB_API
size_t kslab_buddyinfo_format(char *buf, size_t size);

/**
 * kslab_default_zone() - node 0's default zone
 *
 * On a system of one node, the zone behind kslab_alloc_pages().
 * Return: the zone, set up on first use.
 */
KSLAB_API
struct kslab_zone *kslab_default_zone(void);

/**
 * kslab_node_zone() - the default zone of a NUMA node
 * @node: the node; one kslab does not know counts as 0
 *
 * Each node's zone is granted that node's memory alone.
 * Return: the zone, set up on first use.
 */
KSLAB_API
struct kslab_zone *kslab_node_zone(unsigned int node);

/**
 * kslab_zone_create() - make a private zone
 * @name:   shown in buddyinfo and in reports (truncated to 31 characters)
 * @params: its page source and limits; NULL for the defaults
 *
 * Return: the zone, or NULL if its descriptor could not be allocated.
 */
KSLAB_API
struct kslab_zone *kslab_zone_create(const char *name,
				     const struct kslab_zone_params *params);

/**
 * kslab_zone_destroy() - give every chunk of a zone back and free it
 * @zone: a zone from kslab_zone_create()
 *
 * Blocks still allocated are reported as leaks and released all the same.
 * Return: the number of pages that were still allocated.
 */
KSLAB_API
unsigned long kslab_zone_destroy(struct kslab_zone *zone);

/**
 * kslab_zone_alloc_pages() - allocate a block from a given zone
 * @zone:  the zone
 * @gfp:   as for kslab_alloc_pages()
 * @order: as for kslab_alloc_pages()
 *
 * Return: the block or NULL. Free it with kslab_free_pages().
 */
KSLAB_API
void *kslab_zone_alloc_pages(struct kslab_zone *zone, gfp_t gfp,
			     unsigned int order);

/**
 * kslab_zone_stats() - take a consistent snapshot of a zone's counters
 * @zone:  the zone
 * @stats: filled in
 */
KSLAB_API
void kslab_zone_stats(struct kslab_zone *zone, struct kslab_buddy_stats *stats);

/**
 * kslab_buddy_stats() - kslab_zone_stats() of the default zones, summed
 * @stats: filled in: every node's default zone's figures added up
 */
KSLAB_API
void kslab_buddy_stats(struct kslab_buddy_stats *stats);

/**
 * struct kslab_buddy_frag - how fragmented a zone's free memory is, by the
 * order of an allocation, in thousandths (as the kernel's extfrag files
 * in debugfs give them)
 * @unusable:      of the free pages, those in blocks too small for an
 *                 allocation of the order: 0 when every free page could
 *                 serve it, 1000 when none could (unusable_index)
 * @fragmentation: -1000 when a free block of the order or larger exists,
 *                 so the allocation succeeds; otherwise towards 0 its
 *                 failure is for want of free memory, towards 1000 for
 *                 want of contiguous memory (extfrag_index); 0 with no
 *                 free page at all
 */
struct kslab_buddy_frag {
	long unusable[KSLAB_MAX_ORDER + 1];
	long fragmentation[KSLAB_MAX_ORDER + 1];
};

/**
 * kslab_buddy_frag() - the fragmentation indices of a zone's snapshot
 * @stats: from kslab_zone_stats() or kslab_buddy_stats()
 * @frag:  filled in, for every order
 */
KSLAB_API
void kslab_buddy_frag(const struct kslab_buddy_stats *stats,
		      struct kslab_buddy_frag *frag);

/**
 * kslab_zone_set_keep_free() - tune how many free chunks a zone keeps
 * @zone:      the zone
 * @nr_chunks: wholly free chunks to keep; the surplus goes back at once
 *
 * Return: the number of chunks given back now.
 */
KSLAB_API
unsigned long kslab_zone_set_keep_free(struct kslab_zone *zone,
				       unsigned long nr_chunks);

/*
 * Free blocks this large or larger are discarded by kslab_zone_discard_free()
 * (inside a huge page, KSLAB_THP: 2 MiB ones, smaller ones only where half
 * of the huge page is free).
 */
#define KSLAB_DISCARD_MIN_ORDER	4

/**
 * kslab_zone_discard_free() - release the memory of a zone's free blocks
 * @zone: the zone
 *
 * Free blocks of KSLAB_DISCARD_MIN_ORDER or more, the wholly free chunks
 * the zone keeps (see kslab_zone_set_keep_free()) among them, stay mapped
 * and ready, but their memory goes back to the environment, so resident
 * memory falls to what is allocated even where scattered slabs keep a
 * chunk from being given back; the next use faults the pages back in.
 * Does nothing where the page source cannot discard. Process context.
 * Return: the number of blocks discarded.
 */
KSLAB_API
unsigned long kslab_zone_discard_free(struct kslab_zone *zone);

/**
 * kslab_zone_free_blocks() - list the free blocks of one order
 * @zone:   the zone
 * @order:  the free list to read
 * @blocks: receives up to @max block addresses, in list order (the block
 *          the next allocation of this order takes comes first)
 * @max:    room in @blocks
 *
 * Return: the number of blocks on the list, which may exceed @max; 0 for
 * an @order above KSLAB_MAX_ORDER.
 */
KSLAB_API
size_t kslab_zone_free_blocks(struct kslab_zone *zone, unsigned int order,
			      void **blocks, size_t max);

/**
 * kslab_zone_check() - verify every invariant of a zone
 * @zone: the zone
 *
 * Walks the free lists and every chunk: blocks tile each chunk with no
 * overlap and no gap, every free block is on the list of its order exactly
 * once, no two free buddies of one order are left uncoalesced, and the
 * counters agree with what the walk found. Each violation is reported.
 * Return: the number of violations found; 0 when consistent.
 */
KSLAB_API
unsigned long kslab_zone_check(struct kslab_zone *zone);

KSLAB_END_DECLS

#endif /* KSLAB_BUDDY_H */
