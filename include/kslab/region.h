/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Regions: arenas that take buddy blocks in growing sizes and hand out
 * memory by bumping a cursor through them, with any power-of-two
 * alignment. Nothing is freed on its own: a region is reset to a mark,
 * reset whole or destroyed, and everything allocated since goes at once.
 * See Documentation/region.rst.
 *
 * A region has one owner: its calls must not run at the same time as
 * each other (kslab_regioninfo_format() excepted, which any thread may
 * call). Different regions are independent.
 */
#ifndef KSLAB_REGION_H
#define KSLAB_REGION_H

#include <kslab/buddy.h>
#include <kslab/gfp.h>
#include <kslab/types.h>

KSLAB_BEGIN_DECLS

struct kslab_region;

/*
 * Objects too large for the region's blocks (more than a quarter of the
 * block the region would take next) get kmalloc memory of their own,
 * freed with the region's reset or destroy, instead of a block sized
 * for them.
 */
#define KSLAB_REGION_KMALLOC_LARGE	0x1UL

/* The alignment kslab_region_alloc() gives for an @align of 0. */
#define KSLAB_REGION_MIN_ALIGN		8UL

/**
 * struct kslab_region_stats - what a region holds and has done
 * @blocks:         buddy blocks it holds
 * @block_bytes:    their bytes
 * @used_bytes:     bytes asked for by the allocations it holds, in blocks
 * @wasted_bytes:   bytes of its blocks given to nobody: alignment padding,
 *                  each block's header and mark records, and the unused
 *                  ends of blocks the region has moved past
 * @free_bytes:     bytes left at the end of its newest block
 * @large_objects:  objects it holds in kmalloc memory
 *                  (KSLAB_REGION_KMALLOC_LARGE)
 * @large_bytes:    bytes asked for by them
 * @peak_used:      the most @used_bytes plus @large_bytes it has held
 * @peak_block_bytes: the most @block_bytes it has held
 * @allocs:         allocations made since it was created
 * @grows:          blocks it has taken from the buddy allocator
 * @resets:         resets, whole and to a mark
 * @alloc_failures: allocations that returned NULL
 */
struct kslab_region_stats {
	unsigned long blocks;
	unsigned long block_bytes;
	unsigned long used_bytes;
	unsigned long wasted_bytes;
	unsigned long free_bytes;
	unsigned long large_objects;
	unsigned long large_bytes;
	unsigned long peak_used;
	unsigned long peak_block_bytes;
	unsigned long allocs;
	unsigned long grows;
	unsigned long resets;
	unsigned long alloc_failures;
};

/**
 * kslab_region_create() - make a region on the default zone
 * @name:       shown in kslab_regioninfo_format() and in reports
 *              (truncated to 31 characters)
 * @chunk_size: bytes of the first block, rounded up to a power-of-two
 *              number of pages; each later block is twice the one
 *              before, up to KSLAB_PAGE_SIZE << KSLAB_MAX_ORDER
 * @flags:      0 or KSLAB_REGION_KMALLOC_LARGE
 *
 * No block is taken until the first allocation. Process context.
 * Return: the region, or NULL if its descriptor could not be allocated
 * or @chunk_size is 0 or larger than a block can be (reported).
 */
KSLAB_API
struct kslab_region *kslab_region_create(const char *name, size_t chunk_size,
					 unsigned long flags);

/**
 * kslab_region_create_zone() - make a region on a given zone
 * @zone:       the zone its blocks come from, which must outlive it
 * @name:       as for kslab_region_create()
 * @chunk_size: as for kslab_region_create()
 * @flags:      as for kslab_region_create()
 *
 * Return: as for kslab_region_create().
 */
KSLAB_API
struct kslab_region *kslab_region_create_zone(struct kslab_zone *zone,
					      const char *name,
					      size_t chunk_size,
					      unsigned long flags);

/**
 * kslab_region_alloc() - allocate memory from a region
 * @region: the region
 * @size:   bytes wanted; 0 is taken as 1
 * @align:  a power of two; 0 for KSLAB_REGION_MIN_ALIGN. Up to half a
 *          max-order block from the blocks; with
 *          KSLAB_REGION_KMALLOC_LARGE up to a whole one, and beyond
 *          where the environment's large memory aligns so far (userspace
 *          does; the kernel's vmalloc does not)
 * @gfp:    for the blocks and kmalloc memory taken (GFP_KERNEL,
 *          GFP_ATOMIC); __GFP_ZERO zeroes the memory returned
 *
 * Bumps the cursor of the newest block; when the object does not fit
 * there, takes the next block (large enough for the object, at most
 * KSLAB_PAGE_SIZE << KSLAB_MAX_ORDER bytes) or, with
 * KSLAB_REGION_KMALLOC_LARGE and a large object, kmalloc memory aligned
 * to @align. The memory stays until the region is reset past it or
 * destroyed; it is never freed alone.
 * Return: the memory, aligned to @align, or NULL: out of memory (the
 * region unchanged), or an @align that is not a power of two (reported).
 */
KSLAB_API
void *kslab_region_alloc(struct kslab_region *region, size_t size,
			 size_t align, gfp_t gfp);

/**
 * kslab_region_mark() - remember how far a region is allocated
 * @region: the region
 * @gfp:    for a block, if the mark's small record needs one
 *
 * The mark is a record in the region's memory. It stays valid until the
 * region is reset to a mark taken before it, reset whole or destroyed;
 * resetting to the mark itself keeps it valid.
 * Return: the mark, a number never 0 and never given twice, or 0 if no
 * memory was left for its record.
 */
KSLAB_API
unsigned long kslab_region_mark(struct kslab_region *region, gfp_t gfp);

/**
 * kslab_region_reset_to() - drop everything allocated after a mark
 * @region: the region
 * @mark:   from kslab_region_mark() on @region, still valid
 *
 * Every block taken after the mark goes back to its zone, every kmalloc
 * object allocated after it is freed, and the cursor returns to where the
 * mark left it: the region holds exactly what it held when the mark was
 * taken. A @mark the region does not hold (stale, another region's, or
 * never given) is reported and changes nothing.
 * Return: 0, or -1 for a @mark refused.
 */
KSLAB_API
int kslab_region_reset_to(struct kslab_region *region, unsigned long mark);

/**
 * kslab_region_reset() - drop everything allocated from a region
 * @region: the region
 *
 * Frees every kmalloc object and gives back every block but the largest,
 * which the region keeps empty for its next allocations, so a region
 * reset once a frame or a request soon holds one block that fits a whole
 * frame and no longer calls the buddy allocator. Every mark becomes
 * stale.
 */
KSLAB_API
void kslab_region_reset(struct kslab_region *region);

/**
 * kslab_region_destroy() - give everything of a region back and free it
 * @region: the region; NULL does nothing
 *
 * Every block goes back to its zone and every kmalloc object is freed.
 */
KSLAB_API
void kslab_region_destroy(struct kslab_region *region);

/**
 * kslab_region_stats() - what a region holds now
 * @region: the region
 * @stats:  filled in
 */
KSLAB_API
void kslab_region_stats(struct kslab_region *region,
			struct kslab_region_stats *stats);

/**
 * kslab_region_format() - describe one region in the regioninfo format
 * @region: the region
 * @buf:    where to write; may be NULL if @size is 0
 * @size:   bytes available in @buf
 *
 * The header line of kslab_regioninfo_format() and the region's line.
 * Return: the length the full text needs, as snprintf() does.
 */
KSLAB_API
size_t kslab_region_format(struct kslab_region *region, char *buf,
			   size_t size);

/**
 * kslab_regioninfo_format() - describe every region, like slabinfo
 * @buf:  where to write; may be NULL if @size is 0
 * @size: bytes available in @buf
 *
 * A header line, then one line per region, oldest first: its name, its
 * blocks and their bytes, bytes used, wasted and free, its kmalloc
 * objects and their bytes, its peaks and its counters. Any thread may
 * call it; a region its owner is changing meanwhile shows figures from
 * just before or just after each change.
 * Return: the length the full text needs, as snprintf() does.
 */
KSLAB_API
size_t kslab_regioninfo_format(char *buf, size_t size);

KSLAB_END_DECLS

#endif /* KSLAB_REGION_H */
