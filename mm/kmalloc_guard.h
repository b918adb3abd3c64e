/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guarded large blocks, kmalloc's debug mode beyond the size classes
 * (mm/kmalloc_guard.c): what mm/kmalloc.c asks of them. Internal to mm/.
 */
#ifndef KSLAB_MM_KMALLOC_GUARD_H
#define KSLAB_MM_KMALLOC_GUARD_H

#include "port.h"

/*
 * Every page of a guarded block's region has the page word
 * KSLAB_GUARD_TAG | its record's address. A slab's words have bit 63 set
 * and a whole block's bit 61 (mm/kmalloc.c), so no word is taken for
 * another kind.
 */
#define KSLAB_GUARD_TAG		(1UL << 60)
#define KSLAB_GUARD_RECORD	(KSLAB_GUARD_TAG - 1)

static inline bool kslab_guard_word(unsigned long word)
{
	return (word & ~KSLAB_GUARD_RECORD) == KSLAB_GUARD_TAG;
}

bool kslab_guard_on(void);
void *kslab_guard_alloc(size_t size, size_t align, gfp_t gfp,
			unsigned long caller);
size_t kslab_guard_size(unsigned long word, const void *p);
void kslab_guard_bad(unsigned long word, const void *p, const char *op,
		     bool corrupts);
void kslab_guard_free(unsigned long word, const void *p, unsigned long caller);
unsigned int kslab_guard_drain(void);
void kslab_guard_lock(void);
void kslab_guard_unlock(void);

/* mm/kmalloc.c: the buddy order whose blocks hold @bytes. */
unsigned int kslab_kmalloc_block_order(size_t bytes);

#endif /* KSLAB_MM_KMALLOC_GUARD_H */
