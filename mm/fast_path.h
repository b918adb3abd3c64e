/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one allocation and free fast path, inline: a round popped from, or
 * pushed onto, the current CPU's loaded magazine. kslab_cache_alloc() and
 * kslab_cache_free() (mm/magazine.c), kmalloc and kfree (mm/kmalloc.c,
 * mm/kmalloc.h, which add the free tag of kmalloc's blocks) and the
 * userspace malloc front end all come through here; whatever a hit cannot
 * do goes to the slow halves in mm/magazine.c.
 *
 * A memory checker's marks (KSLAB_ENV_MARKS_OBJECTS) are made here too,
 * so no caller needs a path of its own for them.
 */
#ifndef KSLAB_MM_FAST_PATH_H
#define KSLAB_MM_FAST_PATH_H

#include "slab.h"

/**
 * kslab_magazine_take() - a round from this CPU's loaded magazine
 * @pcpu:    the cache's per-CPU handle
 * @size:    its object size, for a memory checker's marks
 * @defined: whether a constructor made the object's bytes defined
 * @tagged:  a kmalloc class's: only a round holding the free tag
 * @refuse:  the state word's bits that make it give up (mm/magazine.h)
 *
 * Return: the object, or NULL if the magazine has none (or the CPU's
 * section is held, or a harvest is due, or the round lost its tag): the
 * slow path's work.
 */
static inline void *kslab_magazine_take(struct kslab_cpu_cache *pcpu,
					unsigned int size, bool defined,
					bool tagged, long refuse)
{
	void *obj = kslab_cpu_mag_pop(pcpu, tagged, refuse);

	if (kslab_likely(obj))
		kslab_env_obj_alloc(obj, size, defined);
	return obj;
}

/* The hit: kslab_magazine_take() as every fast path takes it. */
static inline void *kslab_magazine_hit(struct kslab_cpu_cache *pcpu,
				       unsigned int size, bool defined,
				       bool tagged)
{
	return kslab_magazine_take(pcpu, size, defined, tagged,
				   KSLAB_MAG_REFUSE);
}

/* The hit of @cache. */
static inline void *kslab_cache_hit(struct kslab_cache *cache)
{
	return kslab_magazine_hit(cache->cpu, cache->object_size, cache->ctor,
				  false);
}

/**
 * kslab_cache_alloc_fast() - allocate an object of @cache
 * @cache:  the cache
 * @gfp:    allocation flags
 * @caller: the site debugged caches record; 0 for the slow path's own
 *          return address (kslab_cache_alloc() reaches it by a tail call)
 *
 * Return: the object, or NULL if memory ran out.
 */
static inline void *kslab_cache_alloc_fast(struct kslab_cache *cache,
					   gfp_t gfp, unsigned long caller)
{
	void *obj;

	/* Out of the hit path, so that keeps no register for @gfp. */
	if (kslab_unlikely(gfp & __GFP_ZERO))
		return kslab_cache_alloc_zeroed(cache, gfp, caller);
	obj = kslab_cache_hit(cache);
	if (kslab_unlikely(!obj))
		return kslab_cache_alloc_slow(cache, gfp, caller);
	return obj;
}

/**
 * kslab_cache_free_to() - free an object already proven to be one
 * @cache:  its cache
 * @pcpu:   @cache's per-CPU handle, where the caller has it already
 * @obj:    an object of @cache, as kslab_obj_in() or kslab_obj_valid()
 *          found
 * @caller: as for kslab_cache_alloc_fast()
 */
static inline void kslab_cache_free_to(struct kslab_cache *cache,
				       struct kslab_cpu_cache *pcpu,
				       void *obj, unsigned long caller)
{
	/* RCU readers may read a freed TYPESAFE_BY_RCU object: not closed. */
	if (KSLAB_ENV_MARKS_OBJECTS && !(cache->flags & KSLAB_TYPESAFE_BY_RCU))
		kslab_env_obj_free(obj, cache->object_size);
	/*
	 * With several NUMA nodes, a tail call checks the object's node
	 * (kslab_obj_away()) before the push: a call here would cost every
	 * free a saved register, one node or several.
	 */
	if (kslab_unlikely(KSLAB_READ_ONCE(kslab_numa))) {
		kslab_cache_free_numa(cache, pcpu, obj, caller);
		return;
	}
	if (kslab_unlikely(!kslab_cpu_mag_push(pcpu, obj, KSLAB_MAG_REFUSE)))
		kslab_cache_free_slow(cache, obj, caller);
}

/* kslab_cache_free_to() with the handle read from @cache. */
static inline void kslab_cache_free_object(struct kslab_cache *cache,
					   void *obj, unsigned long caller)
{
	kslab_cache_free_to(cache, cache->cpu, obj, caller);
}

/**
 * kslab_cache_free_fast() - free a pointer to @cache, checking it first
 * @cache:  the cache it is said to belong to
 * @obj:    any pointer; NULL and bad ones are left to the slow path,
 *          which reports the bad ones
 * @caller: as for kslab_cache_alloc_fast()
 */
static inline void kslab_cache_free_fast(struct kslab_cache *cache, void *obj,
					 unsigned long caller)
{
	if (kslab_unlikely(!kslab_obj_valid(cache, obj))) {
		kslab_cache_free_invalid(cache, obj);
		return;
	}
	kslab_cache_free_object(cache, obj, caller);
}

#endif /* KSLAB_MM_FAST_PATH_H */
