/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page map's lookup side, inline because every free goes through it.
 * mm/pagemap.c owns the table and explains it.
 */
#ifndef KSLAB_PAGEMAP_H
#define KSLAB_PAGEMAP_H

#include "page.h"

#define KSLAB_PAGEMAP_KEY_BITS	(KSLAB_VA_BITS - KSLAB_CHUNK_SHIFT)
#define KSLAB_PAGEMAP_LEAF_BITS	13
#define KSLAB_PAGEMAP_ROOT_BITS	(KSLAB_PAGEMAP_KEY_BITS - KSLAB_PAGEMAP_LEAF_BITS)

struct kslab_pagemap_leaf {
	struct kslab_chunk *chunks[1UL << KSLAB_PAGEMAP_LEAF_BITS];
};

extern struct kslab_pagemap_leaf *kslab_pagemap_root[1UL << KSLAB_PAGEMAP_ROOT_BITS];

static inline unsigned long kslab_pagemap_key(unsigned long addr)
{
	return (addr & ((1UL << KSLAB_VA_BITS) - 1)) >> KSLAB_CHUNK_SHIFT;
}

/**
 * kslab_pagemap_lookup() - the chunk holding an address
 * @addr: any address
 *
 * Lock-free: two dependent loads and a compare.
 * Return: the chunk, or NULL if no kslab chunk holds @addr.
 */
static inline struct kslab_chunk *kslab_pagemap_lookup(unsigned long addr)
{
	unsigned long key = kslab_pagemap_key(addr);
	struct kslab_pagemap_leaf *leaf;
	struct kslab_chunk *chunk;

	leaf = kslab_load_acquire(&kslab_pagemap_root[key >> KSLAB_PAGEMAP_LEAF_BITS]);
	if (kslab_unlikely(!leaf))
		return NULL;
	chunk = kslab_load_acquire(&leaf->chunks[key & ((1UL << KSLAB_PAGEMAP_LEAF_BITS) - 1)]);
	if (kslab_unlikely(!chunk ||
			   chunk->base != KSLAB_ALIGN_DOWN(addr, KSLAB_CHUNK_SIZE)))
		return NULL;
	return chunk;
}

/**
 * kslab_virt_to_page() - find the page descriptor of an address
 * @addr: any address
 *
 * O(1) and lock-free. Safe for addresses the caller owns; for others the
 * answer may be stale by the time it is used. Return: the descriptor of the
 * page holding @addr, or NULL if no kslab chunk holds it.
 */
static inline struct kslab_page *kslab_virt_to_page(const void *addr)
{
	unsigned long a = (unsigned long)addr;
	struct kslab_chunk *chunk = kslab_pagemap_lookup(a);

	if (!chunk)
		return NULL;
	return &chunk->pages[(a - chunk->base) >> KSLAB_PAGE_SHIFT];
}

#endif /* KSLAB_PAGEMAP_H */
