/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmalloc's fast path, inline, for kslab_kmalloc() and the userspace
 * malloc front end (mm/kmalloc.c owns the table and the classes): the
 * per-CPU handle of the class of a size up to KSLAB_KMALLOC_FAST_MAX is
 * one load from a table indexed by 8-byte steps, and its allocation is
 * the magazine hit (mm/fast_path.h). Whatever the table cannot serve goes
 * through kmalloc's full path, kslab_kmalloc_caller().
 *
 * A slot is empty before its class exists and while the kmalloc fault
 * point is armed, so the full path, which decides the failures, sees
 * every call then.
 *
 * The free tag: kmalloc's blocks have no constructor, so their bytes are
 * kslab's while free. A free block's first word holds the tag, the
 * address of its class's per-CPU handle (cache->free_tag), which no
 * program holds: every free writes it, and the slab layer keeps it in
 * every block it holds free (mm/slab.c). Every block that leaves the
 * magazines or the slabs for a caller must hold it, and loses it: a
 * block freed twice sits in the magazines twice with one tag, so the
 * second copy is found, reported and dropped when it is taken, or when
 * it goes back to the slabs, and no block is handed out twice (unless
 * the program wrote the tag's value into a block it holds). The free
 * only stores: a block freed cold costs no load of it, where checking
 * the tag on free would wait for its line; the allocation loads a block
 * its magazine took last, as a rule still in the cache. A write into a
 * freed block's first word is found the same way. A second free of the
 * block on top of the magazine is refused on the spot by the push, and
 * a front end that reads every freed block anyway (the hardened malloc),
 * or a memory checker's build, checks the tag on free and refuses every
 * second free there.
 * Part of hardening: -DKSLAB_HARDENING=0 (mm/compiler.h) leaves it out.
 */
#ifndef KSLAB_MM_KMALLOC_H
#define KSLAB_MM_KMALLOC_H

#include <kslab/kmalloc.h>

#include "fast_path.h"

/* The largest size the table serves; entry k serves 8k - 7 to 8k bytes. */
#define KSLAB_KMALLOC_FAST_MAX		4096UL
#define KSLAB_KMALLOC_FAST_SLOTS	(KSLAB_KMALLOC_FAST_MAX / 8 + 1)

void kslab_kmalloc_tag_lost(const void *obj) kslab_hidden;

/*
 * The classes by cache number (kslab_cache_id()): everything kfree's hit
 * reads, in one entry of half a cache line, so that it reaches the
 * magazine with no load from the descriptor. That is the cache, its
 * per-CPU handle and a copy of what kslab_obj_in() reads there; the key
 * is the number's own (KSLAB_CACHE_KEY()), so that is not needed. Other
 * caches and debugged classes, which kfree's slow path serves, have no
 * objects here (objs_per_slab 0), so that every check fails.
 */
struct kslab_kmalloc_class {
	struct kslab_cache *cache;
	struct kslab_cpu_cache *cpu;
	unsigned long index_magic;
	unsigned int objs_per_slab;
	unsigned int index_shift;
} __attribute__((__aligned__(32)));

extern struct kslab_kmalloc_class kslab_kmalloc_by_id[KSLAB_MAX_CACHES]
	kslab_hidden;

/* Each slot's class: its per-CPU handle, and its size for checkers' marks. */
extern struct kslab_cpu_cache *kslab_kmalloc_fast[KSLAB_KMALLOC_FAST_SLOTS]
	kslab_hidden;
extern unsigned int kslab_kmalloc_fast_size[KSLAB_KMALLOC_FAST_SLOTS]
	kslab_hidden;

/**
 * kslab_kmalloc_rounded_hit() - kmalloc's hit for a size rounded up
 * @rounded: the size rounded up to a multiple of 8 (or of 16, as the
 *           malloc rounds), 0 to KSLAB_KMALLOC_FAST_MAX; 0 never hits
 *
 * The table has one 8-byte entry per 8 bytes of size, so the entry for
 * @rounded sits @rounded bytes into it: the index costs no shift.
 * Return: an object of the class from this CPU's magazine, or NULL (no
 * class there yet, the fault point armed, the magazine empty, the round
 * on top without its free tag: the full path reports that one).
 */
static inline void *kslab_kmalloc_rounded_hit(size_t rounded)
{
	struct kslab_cpu_cache *pcpu =
		KSLAB_DATA_RACE(kslab_kmalloc_fast[rounded / 8]);
	unsigned long *obj;

	if (kslab_unlikely(!pcpu))
		return NULL;
	obj = kslab_magazine_hit(pcpu, kslab_kmalloc_fast_size[rounded / 8],
				 false, KSLAB_HARDENING);
	if (KSLAB_HARDENING && kslab_likely(obj))
		*obj = 0;	/* the free tag, checked by the pop */
	return obj;
}

/**
 * kslab_kmalloc_hit() - kmalloc's hit for @size bytes
 * @size: any size; 0 and sizes over KSLAB_KMALLOC_FAST_MAX never hit
 *
 * Return: the memory, or NULL: then kslab_kmalloc_caller() does it all.
 */
static inline void *kslab_kmalloc_hit(size_t size)
{
	if (kslab_unlikely(size > KSLAB_KMALLOC_FAST_MAX))
		return NULL;
	return kslab_kmalloc_rounded_hit(KSLAB_ALIGN_UP(size, 8));
}

void kslab_kmalloc_double_free(struct kslab_cache *cache, const void *obj)
	kslab_hidden;
void kslab_kmalloc_bad_pointer(const char *op, const void *p, bool corrupts);
void kslab_kmalloc_overflow(struct kslab_cache *cache, const void *obj,
			    size_t size);
size_t kslab_kmalloc_usable(const void *p, const char *op);
void kslab_kmalloc_check_size(const char *op, const void *p, size_t size,
			      size_t align);

/*
 * kfree's proof, from one page word and one entry: the class whose block
 * @p starts, or NULL for everything else (NULL, other caches' objects,
 * debugged classes, buddy blocks, large memory, bad addresses). The block
 * may be free: only its tag says so.
 */
static kslab_always_inline struct kslab_kmalloc_class *
kslab_kmalloc_class_at(const void *p)
{
	const unsigned long *word = kslab_env_page_word(p);
	struct kslab_kmalloc_class *class;
	unsigned long off, id;

	if (kslab_unlikely(!word))
		return NULL;
	/* kslab_cache_number() and kslab_obj_in(), from the entry alone */
	off = (unsigned long)p - *word - KSLAB_CACHE_KEY(0);
	id = off >> KSLAB_CACHE_KEY_SHIFT;
	if (kslab_unlikely(id >= KSLAB_MAX_CACHES))
		return NULL;
	class = &kslab_kmalloc_by_id[id];
	if (kslab_unlikely(kslab_index_at(off & KSLAB_CACHE_KEY_OFFSET,
					  KSLAB_DATA_RACE(class->index_magic),
					  KSLAB_DATA_RACE(class->index_shift)) >=
			   KSLAB_DATA_RACE(class->objs_per_slab)))
		return NULL;
	return class;
}

/**
 * kslab_kmalloc_free_hit() - kfree's fast path: free a kmalloc block
 * @p:      any address
 * @caller: the site debugged caches record; 0 for the slow halves' own
 *          return address (tail calls)
 * @check:  NULL, or what a front end does to each block before it goes
 *          (the hardened malloc: its canary, then zeroes)
 *
 * One page word names the class and proves the block
 * (kslab_kmalloc_class_at()); the free tag (above) is written, so a
 * second free is found when its copy leaves the magazines.
 * Return: true if @p was a kmalloc class object, now freed; false for
 * everything else, which the caller hands to kslab_kfree_slow().
 */
static kslab_always_inline bool
kslab_kmalloc_free_hit(const void *p, unsigned long caller,
		       void (*check)(struct kslab_cache *cache, void *obj))
{
	struct kslab_kmalloc_class *class = kslab_kmalloc_class_at(p);
	unsigned long *obj = (unsigned long *)p;
	struct kslab_cpu_cache *pcpu;
	struct kslab_cache *cache;

	if (kslab_unlikely(!class))
		return false;
	cache = KSLAB_DATA_RACE(class->cache);
	pcpu = KSLAB_DATA_RACE(class->cpu);
	/*
	 * A front end that checks each block reads it anyway, and a memory
	 * checker's build would see the tag written into a freed block it
	 * has closed: there a second free is refused on the spot, before
	 * anything reads or writes the block. (Closed: peek.)
	 */
	if (check || KSLAB_ENV_MARKS_OBJECTS) {
		if (KSLAB_HARDENING &&
		    kslab_unlikely(kslab_env_mem_peek_word(obj) ==
				   (unsigned long)pcpu)) {
			kslab_kmalloc_double_free(cache, p);
			return true;
		}
		if (check)
			check(cache, obj);
	}
	if (KSLAB_HARDENING)
		*obj = (unsigned long)pcpu;	/* the free tag */
	kslab_cache_free_to(cache, pcpu, obj, caller);
	return true;
}

void *kslab_kmalloc_caller(size_t size, size_t align, gfp_t gfp,
			   unsigned long caller);
void kslab_kfree_slow(const void *p, unsigned long caller);
void *kslab_krealloc_op(void *p, size_t size, gfp_t gfp, const char *op,
			unsigned long caller);
void kslab_kmalloc_fast_sync(void);
struct kslab_cache *kslab_kmalloc_cache(size_t size);

/* kmalloc's size classes, all told (mm/kmalloc.c counts them in its way). */
#define KSLAB_KMALLOC_CLASSES	80
struct kslab_cache *kslab_kmalloc_class(unsigned int index);
void kslab_kmalloc_lock(void);
void kslab_kmalloc_unlock(void);
unsigned int kslab_kmalloc_exit(void);

#endif /* KSLAB_MM_KMALLOC_H */
