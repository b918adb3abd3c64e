// SPDX-License-Identifier: GPL-2.0
/*
 * The page map: from any address to the descriptor of the chunk holding it.
 *
 * A two-level radix table indexed by the address's chunk number (its bits
 * KSLAB_CHUNK_SHIFT..KSLAB_VA_BITS-1). The root is static; a leaf is
 * allocated the first time a chunk lands in its range and then lives for
 * the life of the program (a leaf maps 2^PAGEMAP_LEAF_BITS chunks, 32 GiB
 * with 4 MiB chunks, for 64 KiB). Lookups take no lock and cost two
 * dependent loads (inline, in mm/pagemap.h): they serve every free,
 * including the slab layer's.
 *
 * Locking: none of its own. Each slot belongs to the one chunk whose base
 * maps to it, so only that chunk's zone, under its lock, writes it. Leaves
 * are installed with a release store and read with an acquire load.
 *
 * Addresses are masked to KSLAB_VA_BITS bits, so two addresses differing
 * only above them share a slot; lookups compare the chunk's base with the
 * whole address, and insertion refuses a taken slot.
 */
#include "fault.h"
#include "zone.h"

struct kslab_pagemap_leaf *kslab_pagemap_root[1UL << KSLAB_PAGEMAP_ROOT_BITS]
	kslab_env_table;

/*
 * The slot of @addr's chunk; with @create, a missing leaf is allocated
 * with @gfp (which may be 0: no flags is still an allocation).
 */
static struct kslab_chunk **pagemap_slot(unsigned long addr, bool create,
					 gfp_t gfp)
{
	unsigned long key = kslab_pagemap_key(addr);
	struct kslab_pagemap_leaf **rootp =
		&kslab_pagemap_root[key >> KSLAB_PAGEMAP_LEAF_BITS];
	struct kslab_pagemap_leaf *leaf = kslab_load_acquire(rootp);

	if (!leaf && create) {
		struct kslab_pagemap_leaf *fresh;

		fresh = kslab_meta_alloc(sizeof(struct kslab_pagemap_leaf), gfp);
		if (!fresh)
			return NULL;
		leaf = kslab_cmpxchg(rootp, NULL, fresh);
		if (leaf)	/* another thread installed one first */
			kslab_env_meta_free(fresh, sizeof(struct kslab_pagemap_leaf));
		else
			leaf = fresh;
	}
	if (!leaf)
		return NULL;
	return &leaf->chunks[key & ((1UL << KSLAB_PAGEMAP_LEAF_BITS) - 1)];
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
	struct kslab_chunk **slot = pagemap_slot(chunk->base, true, gfp);

	/*
	 * One atomic step, not a load and then a store: a new leaf's page
	 * read first would fault in as zeroes and fault again at the write.
	 */
	if (!slot || kslab_cmpxchg(slot, NULL, chunk))
		return -1;
	return 0;
}

/**
 * kslab_pagemap_remove() - forget a chunk that is going back
 * @chunk: a chunk kslab_pagemap_insert() accepted
 */
void kslab_pagemap_remove(struct kslab_chunk *chunk)
{
	kslab_store_release(pagemap_slot(chunk->base, false, 0), NULL);
}

/**
 * kslab_pagemap_release() - free the leaves that map no chunk
 *
 * For the kernel module's unload, after every zone gave its chunks back:
 * nothing may look up or insert meanwhile.
 */
void kslab_pagemap_release(void)
{
	unsigned long r, i;

	for (r = 0; r < KSLAB_ARRAY_SIZE(kslab_pagemap_root); r++) {
		struct kslab_pagemap_leaf *leaf = kslab_pagemap_root[r];

		if (!leaf)
			continue;
		for (i = 0; i < KSLAB_ARRAY_SIZE(leaf->chunks); i++)
			if (leaf->chunks[i])
				break;
		if (i < KSLAB_ARRAY_SIZE(leaf->chunks))
			continue;
		kslab_pagemap_root[r] = NULL;
		kslab_env_meta_free(leaf, sizeof(*leaf));
	}
}

/**
 * kslab_chunk_holds() - does a chunk kslab was granted hold @addr?
 * @addr: any address
 *
 * The page map's answer for the environment (mm/port.h), which keeps the
 * page words: the kernel's kslab_env_page_word() asks it first. Lock-free.
 * Return: true if a granted chunk holds @addr.
 */
bool kslab_chunk_holds(const void *addr)
{
	return kslab_pagemap_lookup((unsigned long)addr) != NULL;
}
