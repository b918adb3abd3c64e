/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmalloc: memory of any size, from size classes made of object caches
 * up to KSLAB_KMALLOC_MAX_CACHE_SIZE, from whole buddy blocks up to the
 * largest order, and straight from the environment beyond. Every kind is
 * freed with kslab_kfree(), which tells them apart from the address alone.
 * Documentation/kmalloc.rst has the class table.
 */
#ifndef KSLAB_KMALLOC_H
#define KSLAB_KMALLOC_H

#include <kslab/gfp.h>
#include <kslab/types.h>

KSLAB_BEGIN_DECLS

/* The largest size served by a size-class cache. */
#define KSLAB_KMALLOC_MAX_CACHE_SIZE	32768UL

/*
 * What kslab_kmalloc(0) returns: not NULL, so callers see success, yet
 * inside the page no mapping ever has, so any access faults. kslab_kfree()
 * and kslab_ksize() take it.
 */
#define KSLAB_ZERO_SIZE_PTR	((void *)16)
#define KSLAB_ZERO_OR_NULL_PTR(p) \
	((unsigned long)(p) <= (unsigned long)KSLAB_ZERO_SIZE_PTR)

/**
 * kslab_kmalloc_init() - make the size-class caches now
 *
 * kmalloc makes them on first use anyway; this lets a caller choose when
 * (the kernel module at load, where first use might be in atomic context;
 * the malloc at its first call). Process context; may sleep.
 * Return: 0, or -1 if a cache could not be made (the next use retries).
 */
KSLAB_API
int kslab_kmalloc_init(void);

/**
 * kslab_kmalloc() - allocate memory
 * @size: bytes wanted
 * @gfp:  GFP_KERNEL, GFP_ATOMIC, optionally with __GFP_ZERO
 *
 * Sizes up to KSLAB_KMALLOC_MAX_CACHE_SIZE come from the smallest size
 * class that holds them, aligned to the largest power of two dividing the
 * class size (up to a page): 8 at least, and a power-of-two size is aligned
 * to itself. Larger sizes get page-aligned memory.
 * Return: the memory, KSLAB_ZERO_SIZE_PTR if @size is 0, or NULL.
 */
KSLAB_API
void *kslab_kmalloc(size_t size, gfp_t gfp);

/**
 * kslab_kmalloc_node() - allocate memory of a NUMA node
 * @size: bytes wanted
 * @gfp:  as for kslab_kmalloc(); with __GFP_THISNODE, @node's memory or
 *        NULL
 * @node: the node, or -1 (NUMA_NO_NODE) for the calling CPU's
 *
 * kslab_kmalloc() for the calling CPU's node; for another node, its
 * size-class objects come from that node's slabs and its buddy blocks
 * from that node's zone. Sizes above a chunk (4 MiB) come from the
 * environment's large allocations, which take no node. Return: the
 * memory, KSLAB_ZERO_SIZE_PTR for 0 bytes, or NULL.
 */
KSLAB_API
void *kslab_kmalloc_node(size_t size, gfp_t gfp, int node);

/**
 * kslab_kmalloc_aligned() - allocate memory with a stronger alignment
 * @size:  bytes wanted, 0 included (then at least one byte is given)
 * @align: a power of two
 * @gfp:   as for kslab_kmalloc()
 *
 * Picks the smallest size class of at least @size whose alignment is at
 * least @align, else a buddy block or environment memory aligned to it.
 * Return: the memory, which kslab_kfree() frees, or NULL (also when @align
 * is not a power of two).
 */
KSLAB_API
void *kslab_kmalloc_aligned(size_t size, size_t align, gfp_t gfp);

/**
 * kslab_kzalloc() - allocate zeroed memory
 * @size: bytes wanted
 * @gfp:  as for kslab_kmalloc()
 *
 * Return: as kslab_kmalloc().
 */
KSLAB_API
void *kslab_kzalloc(size_t size, gfp_t gfp);

/**
 * kslab_kcalloc() - allocate a zeroed array
 * @n:    elements
 * @size: bytes per element
 * @gfp:  as for kslab_kmalloc()
 *
 * Return: as kslab_kmalloc(); NULL if @n * @size overflows.
 */
KSLAB_API
void *kslab_kcalloc(size_t n, size_t size, gfp_t gfp);

/**
 * kslab_krealloc() - change the size of an allocation
 * @p:    memory from kslab_kmalloc() and friends, NULL or KSLAB_ZERO_SIZE_PTR
 * @size: the new size
 * @gfp:  as for kslab_kmalloc(); __GFP_ZERO zeroes what lies beyond the
 *        old usable size when the memory moves
 *
 * The memory stays where it is when the new size would be served from the
 * same class (or block size) as the old one; otherwise it moves, with the
 * contents up to the smaller size kept. A @size of 0 frees @p.
 * Return: the memory, KSLAB_ZERO_SIZE_PTR if @size is 0, or NULL, in which
 * case @p is left as it was.
 */
KSLAB_API
void *kslab_krealloc(void *p, size_t size, gfp_t gfp);

/**
 * kslab_kfree() - free memory from kslab_kmalloc() and friends
 * @p: the memory; NULL and KSLAB_ZERO_SIZE_PTR do nothing
 *
 * Finds the kind of allocation from the address alone, in O(1). Also frees
 * an object of any kslab cache. An address that is none of these is
 * reported and ignored.
 */
KSLAB_API
void kslab_kfree(const void *p);
KSLAB_API
void kslab_kfree_rcu(const void *p);

/**
 * kslab_ksize() - the usable size of an allocation
 * @p: memory from kslab_kmalloc() and friends
 *
 * Return: the bytes usable at @p, at least the size asked for; 0 for NULL,
 * KSLAB_ZERO_SIZE_PTR and addresses that start no allocation.
 */
KSLAB_API
size_t kslab_ksize(const void *p);

KSLAB_END_DECLS

#endif /* KSLAB_KMALLOC_H */
