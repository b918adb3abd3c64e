// SPDX-License-Identifier: GPL-2.0
/*
 * The page map: from any address to the descriptor of the chunk holding it.
 *
 * A two-level radix table indexed by the address's chunk number (its bits
 * KSLAB_CHUNK_SHIFT..KSLAB_VA_BITS-1). The root is static; a leaf is
 * allocated the first time a chunk lands in its range and then lives for
 * the life of the program (a leaf maps 2^PAGEMAP_LEAF_BITS chunks, 32 GiB
 * with 4 MiB chunks, for 64 KiB). Lookups take no lock and cost two
 * dependent loads: they serve every free, including the slab layer's.
 *
 * Locking: none of its own. Each slot belongs to the one chunk whose base
 * maps to it, so only that chunk's zone, under its lock, writes it. Leaves
 * are installed with a release store and read with an acquire load.
 *
 * Addresses are masked to KSLAB_VA_BITS bits, so two addresses differing
 * only above them share a slot; lookups compare the chunk's base with the
 * whole address, and insertion refuses a taken slot.
 */
#include <kslab/zone.h>

#define PAGEMAP_KEY_BITS	(KSLAB_VA_BITS - KSLAB_CHUNK_SHIFT)
#define PAGEMAP_LEAF_BITS	13
#define PAGEMAP_ROOT_BITS	(PAGEMAP_KEY_BITS - PAGEMAP_LEAF_BITS)
#define PAGEMAP_LEAF_SIZE	(sizeof(struct kslab_chunk *) << PAGEMAP_LEAF_BITS)

struct pagemap_leaf {
	struct kslab_chunk *chunks[1UL << PAGEMAP_LEAF_BITS];
};

static struct pagemap_leaf *pagemap_root[1UL << PAGEMAP_ROOT_BITS];

static unsigned long pagemap_key(unsigned long addr)
{
	return (addr & ((1UL << KSLAB_VA_BITS) - 1)) >> KSLAB_CHUNK_SHIFT;
}

static struct kslab_chunk **pagemap_slot(unsigned long addr, gfp_t gfp)
{
	unsigned long key = pagemap_key(addr);
	struct pagemap_leaf **rootp = &pagemap_root[key >> PAGEMAP_LEAF_BITS];
	struct pagemap_leaf *leaf = kslab_load_acquire(rootp);

	if (!leaf && gfp) {
		struct pagemap_leaf *fresh;

		fresh = kslab_env_meta_alloc(PAGEMAP_LEAF_SIZE, gfp);
		if (!fresh)
			return NULL;
		leaf = kslab_cmpxchg(rootp, NULL, fresh);
		if (leaf)	/* another thread installed one first */
			kslab_env_meta_free(fresh, PAGEMAP_LEAF_SIZE);
		else
			leaf = fresh;
	}
	if (!leaf)
		return NULL;
	return &leaf->chunks[key & ((1UL << PAGEMAP_LEAF_BITS) - 1)];
}

/**
 * kslab_pagemap_insert() - make a chunk findable by address
 * @chunk: the chunk, with ->base set
 * @gfp:   for the leaf, if one must be allocated
 *
 * Return: 0, or -1 if no leaf could be allocated or the slot is taken.
 */
int kslab_pagemap_insert(struct kslab_chunk *chunk, gfp_t gfp)
{
	struct kslab_chunk **slot = pagemap_slot(chunk->base, gfp);

	if (!slot || kslab_load_acquire(slot))
		return -1;
	kslab_store_release(slot, chunk);
	return 0;
}

/**
 * kslab_pagemap_remove() - forget a chunk that is going back
 * @chunk: a chunk kslab_pagemap_insert() accepted
 */
void kslab_pagemap_remove(struct kslab_chunk *chunk)
{
	kslab_store_release(pagemap_slot(chunk->base, 0), NULL);
}

/**
 * kslab_pagemap_lookup() - the chunk holding an address
 * @addr: any address
 *
 * Return: the chunk, or NULL if no kslab chunk holds @addr.
 */
struct kslab_chunk *kslab_pagemap_lookup(unsigned long addr)
{
	struct kslab_chunk **slot = pagemap_slot(addr, 0);
	struct kslab_chunk *chunk;

	if (!slot)
		return NULL;
	chunk = kslab_load_acquire(slot);
	if (!chunk || chunk->base != KSLAB_ALIGN_DOWN(addr, KSLAB_CHUNK_SIZE))
		return NULL;
	return chunk;
}

struct kslab_page *kslab_virt_to_page(const void *addr)
{
	unsigned long a = (unsigned long)addr;
	struct kslab_chunk *chunk = kslab_pagemap_lookup(a);

	if (!chunk)
		return NULL;
	return &chunk->pages[(a - chunk->base) >> KSLAB_PAGE_SHIFT];
}
