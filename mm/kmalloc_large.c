// SPDX-License-Identifier: GPL-2.0
/*
 * kmalloc's largest blocks: the environment's large allocations, beyond
 * the buddy allocator's largest block, and how much of their memory is
 * kept for reuse when they are freed; and how the whole buddy blocks
 * below them are zeroed.
 *
 * Giving a large allocation back at each free makes a program that frees
 * and allocates such blocks in turn fault every page in again each time:
 * a 16 MiB block is 4096 faults, the kernel zeroing each page. So a freed
 * one's memory is kept (kslab_env_large_free() with keep) while the kept
 * bytes stay within KEPT_MIN_BYTES or a third of the live large bytes,
 * whichever is more; the environment hands kept memory out again first,
 * to large allocations and chunk grants alike. Kept memory decays: each
 * reap pass (kslab_reap_all()) gives back what was kept already at the
 * pass before, so a freed block's memory is back within two reap
 * intervals, and kslab_kmalloc_large_reap(true) gives it all back at
 * once.
 *
 * Owns the count of live large allocations and their bytes. No locks of
 * its own.
 */
#include <kslab/buddy.h>
#include <kslab/slab.h>

#include "kmalloc_large.h"
#include "page.h"

#define KEPT_MIN_BYTES	(64UL << 20)
#define KEPT_SHARE	3	/* of the live bytes, a third */

static struct kslab_atomic live_bytes;
static struct kslab_atomic live_blocks;
static unsigned long peak_bytes;
static unsigned long peak_blocks;

/* Raise *@peak to @now if it is higher; racing raisers keep the highest. */
static void peak_raise(unsigned long *peak, long now)
{
	unsigned long old = KSLAB_READ_ONCE(*peak);

	while (now > 0 && (unsigned long)now > old) {
		unsigned long found = kslab_cmpxchg(peak, old, (unsigned long)now);

		if (found == old)
			break;
		old = found;
	}
}

/*
 * Whole buddy blocks of 128 KiB (glibc's first mmap threshold) or more are
 * treated as glibc treats its large chunks, fresh mappings, until the
 * program shows that it frees and allocates blocks of their size again:
 *
 * - a free gives the block's pages back at once, where the environment
 *   can (kslab_discard_pages()), rather than leaving them resident in
 *   the buddy allocator until the next reap: a program whose tables grow
 *   by doubling frees a block of each size once, and without this its
 *   peak held all of them (python3 filling a 300k-key dict: 90.6 MiB
 *   against glibc's 86.0);
 * - a zeroed one is zeroed by discarding its pages where that leaves
 *   zeroes (KSLAB_ENV_DISCARD_ZEROES), not by writing them, so pages
 *   nobody writes are never touched: a table calloc'd large and used
 *   sparsely costs the pages it uses (git's 512 KiB index hash).
 *
 * The first free of a block of some order ends both for that order and
 * those below (fresh_from rises), so a program that allocates and frees
 * one size in a loop reuses warm pages instead of faulting them all in
 * each time. Where a discard would split a huge page
 * (kslab_env_discard_order()), a block is zeroed by writing and kept
 * resident instead. The bound is read and raised without a lock: a race costs
 * at most one more discard.
 */
#define FRESH_FROM_ORDER	5

static unsigned int fresh_from = FRESH_FROM_ORDER;

/**
 * kslab_kmalloc_block_alloc() - a whole buddy block for kmalloc
 * @order: its order
 * @gfp:   allocation flags; __GFP_ZERO zeroes it
 * @node:  the NUMA node, or -1 for the calling CPU's
 *
 * Return: the block, or NULL.
 */
void *kslab_kmalloc_block_alloc(unsigned int order, gfp_t gfp, int node)
{
	void *p;

	if (!KSLAB_ENV_DISCARD_ZEROES || !(gfp & __GFP_ZERO) ||
	    order < KSLAB_READ_ONCE(fresh_from))
		return kslab_alloc_pages_node(gfp, order, node);
	p = kslab_alloc_pages_node(gfp & ~__GFP_ZERO, order, node);
	if (p && order >= kslab_env_discard_order(p))
		kslab_discard_pages(p, order);
	else if (p)
		kslab_memset(p, 0, KSLAB_PAGE_SIZE << order);
	return p;
}

/**
 * kslab_kmalloc_block_free() - free a whole buddy block kmalloc handed out
 * @p:     the block
 * @order: its order
 */
void kslab_kmalloc_block_free(void *p, unsigned int order)
{
	if (order >= KSLAB_READ_ONCE(fresh_from)) {
		if (order >= kslab_env_discard_order(p))
			kslab_discard_pages(p, order);
		KSLAB_WRITE_ONCE(fresh_from, order + 1);
	}
	kslab_free_pages(p, order);
}

/**
 * kslab_kmalloc_large_alloc() - a large allocation
 * @size:  bytes, more than the buddy allocator's largest block
 * @align: a power of two, a page at least
 * @gfp:   allocation flags
 *
 * Return: the memory, or NULL.
 */
void *kslab_kmalloc_large_alloc(size_t size, size_t align, gfp_t gfp)
{
	void *p = kslab_env_large_alloc(size, align, gfp);

	if (p) {
		peak_raise(&peak_bytes,
			   kslab_atomic_add_return(&live_bytes,
						   (long)kslab_env_large_size(p)));
		peak_raise(&peak_blocks,
			   kslab_atomic_add_return(&live_blocks, 1));
	}
	return p;
}

/**
 * kslab_kmalloc_large_free() - free a large allocation, keeping its
 * memory if the kept bytes allow
 * @p: a live large allocation
 */
void kslab_kmalloc_large_free(void *p)
{
	size_t size = kslab_env_large_size(p), cap;
	long live = kslab_atomic_add_return(&live_bytes, -(long)size);

	kslab_atomic_add(&live_blocks, -1);

	cap = live > 0 ? (size_t)live / KEPT_SHARE : 0;
	if (cap < KEPT_MIN_BYTES)
		cap = KEPT_MIN_BYTES;
	kslab_env_large_free(p, kslab_env_large_kept() + size <= cap);
}

/**
 * kslab_kmalloc_large_reap() - give kept memory back
 * @all: all of it; else what was kept already at the last call
 *
 * Return: the bytes given back.
 */
size_t kslab_kmalloc_large_reap(bool all)
{
	return kslab_env_large_release(all);
}

/**
 * kslab_kmalloc_large_usage() - the large allocations live now
 * @stats: their count, bytes, peaks, and the freed bytes kept for reuse,
 *         filled in
 */
void kslab_kmalloc_large_usage(struct kslab_memory_stats *stats)
{
	long bytes = kslab_atomic_read(&live_bytes);
	long blocks = kslab_atomic_read(&live_blocks);

	stats->large_bytes = bytes > 0 ? (size_t)bytes : 0;
	stats->large_blocks = blocks > 0 ? (unsigned long)blocks : 0;
	stats->large_kept_bytes = kslab_env_large_kept();
	stats->large_peak_blocks = KSLAB_READ_ONCE(peak_blocks);
	stats->large_peak_bytes = KSLAB_READ_ONCE(peak_bytes);
}
