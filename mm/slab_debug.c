// SPDX-License-Identifier: GPL-2.0
/*
 * Debugged caches: red zones, poison, object states and alloc/free tracks
 * (see mm/slab_debug.h for the slot layout, and
 * Documentation/debugging.rst).
 *
 * Owns the bytes of each debugged slot outside the object, and the object
 * itself while it is free and poisoned. Every function here runs under the
 * cache's lock (the slab layer's, or the checker's), so a slot changes
 * hands atomically with its free-list entry. Reports are made under that
 * lock, which is why report hooks must not call into kslab.
 *
 * A free object's slot is closed to memory checkers (ASan, memcheck), an
 * allocated one's but for the object itself: every function here opens
 * the slots it reads and closes them again (slot_open()/slot_close()).
 *
 * An object found damaged is quarantined: it stays out of the free map
 * for good (the slab layer counts it), so memory that was written after
 * it was freed, or past its end, is never handed out again.
 *
 * A freed object is also held back: it waits, poisoned and in the
 * delayed state, in its cache's FIFO of cache->delayed_cap objects
 * (KSLAB_QUARANTINE, mm/debug_option.c) before it goes back to the free
 * map, its poison checked as it leaves. So a program that allocates again
 * at once does not get the block it freed back, and a write through a
 * stale pointer is found in freed memory, not in a new owner's object.
 */
#include <kslab/report.h>

#include "check.h"
#include "slab_debug.h"

#define RED_ZONE_BYTES		16
#define POISON_FREE		0x6b	/* a freed object's bytes */
#define POISON_END		0xa5	/* its last byte */
#define RED_FREE		0xbb	/* red zones of a free object */
#define RED_ALLOCATED		0xcc	/* of an allocated one */
#define STATE_FREE		0xf7eef7eeUL
#define STATE_ALLOCATED		0xa110ca7eUL
#define STATE_QUARANTINED	0x0bad0badUL
#define STATE_DELAYED		0xde1a7ed0UL
/* Bytes shown from the first wrong one. */
#define SHOWN_BYTES		16
#define LEAKS_SHOWN		16

static struct kslab_debug_meta *meta_of(const struct kslab_cache *cache,
					void *obj)
{
	return (struct kslab_debug_meta *)((char *)obj + cache->meta_offset);
}

/* A slot, all of it, to memory checkers: kslab's own bytes are read. */
static void slot_open(const struct kslab_cache *cache, unsigned char *obj)
{
	kslab_env_mem_open(obj - cache->obj_offset, cache->size);
}

static void slot_close(const struct kslab_cache *cache, unsigned char *obj)
{
	kslab_env_mem_close(obj - cache->obj_offset, cache->size);
}

static bool poisoned(const struct kslab_cache *cache)
{
	return cache->flags & KSLAB_POISON;
}

static bool red_zoned(const struct kslab_cache *cache)
{
	return cache->flags & KSLAB_RED_ZONE;
}

/**
 * kslab_debug_layout() - lay a debugged cache's slots out
 * @cache: a cache with object_size, align, ctor and flags set
 *
 * Sets obj_offset, meta_offset and the stride, and takes the magazines
 * away: debugged objects are checked in their slabs. Poisoning would undo
 * a constructor's work, or what RCU readers of a TYPESAFE_BY_RCU cache
 * revalidate, so such caches are not poisoned; a slot too
 * large for any slab drops debugging altogether.
 */
void kslab_debug_layout(struct kslab_cache *cache)
{
	unsigned int zone, meta;
	unsigned long size;

	if (cache->ctor || (cache->flags & KSLAB_TYPESAFE_BY_RCU))
		cache->flags &= ~KSLAB_POISON;
	zone = red_zoned(cache) ? RED_ZONE_BYTES : 0;
	meta = cache->flags & KSLAB_STORE_USER ?
	       sizeof(struct kslab_debug_meta) : sizeof(unsigned long);
	cache->obj_offset = zone ? KSLAB_ALIGN_UP(zone, cache->align) : 0;
	cache->meta_offset = KSLAB_ALIGN_UP(cache->object_size + zone,
					    sizeof(unsigned long));
	size = KSLAB_ALIGN_UP((unsigned long)cache->obj_offset +
			      cache->meta_offset + meta, cache->align);
	if (size > KSLAB_MAX_OBJECT_SIZE) {
		kslab_report(KSLAB_LOG_WARN,
			     "%s: %lu bytes with debugging exceed a slab; not debugged",
			     cache->name, size);
		cache->flags &= ~KSLAB_DEBUG_FLAGS;
		cache->obj_offset = 0;
		cache->meta_offset = 0;
		return;
	}
	cache->size = (unsigned int)size;
	cache->flags |= KSLAB_NO_MAGAZINE;
}

/**
 * kslab_debug_track() - record where an allocation or free happens
 * @t:      the track
 * @caller: the call site
 */
void kslab_debug_track(struct kslab_track *t, unsigned long caller)
{
	t->caller = caller;
	t->cpu = (int)kslab_cpu_id();
	t->pid = kslab_env_thread_id();
}

/**
 * kslab_debug_report_track() - a report's line for a track, if it has one
 * @what: "allocated" or "freed"
 * @t:    the track
 */
void kslab_debug_report_track(const char *what, const struct kslab_track *t)
{
	char name[96];

	if (!t->caller)
		return;
	kslab_env_caller_name(name, sizeof(name), t->caller);
	kslab_report(KSLAB_LOG_INFO, "  %s by %s on CPU %d, thread %d", what,
		     name, t->cpu, t->pid);
}

/* Bytes found where a pattern should be: the first wrong, and how many. */
struct wrong_bytes {
	const unsigned char *at;
	size_t left;		/* to the end of the pattern's area */
	unsigned int want;
};

/*
 * The one shape of every debug report: the BUG line naming cache, what
 * was wrong, object and offset; the bytes from the first wrong one when
 * there are some; the last alloc and free sites when tracked; what kslab
 * did about it.
 */
static void report(struct kslab_cache *cache, void *obj, const char *what,
		   long offset, const struct wrong_bytes *bad,
		   const char *action)
{
	struct kslab_debug_meta *meta = meta_of(cache, obj);
	char bytes[SHOWN_BYTES * 3 + 1];
	size_t len = 0, i;

	kslab_report(KSLAB_LOG_ERR, "BUG %s: %s object=%p offset=%ld",
		     cache->name, what, obj, offset);
	if (bad) {
		for (i = 0; i < SHOWN_BYTES && i < bad->left; i++)
			len = kslab_append(bytes, sizeof(bytes), len, " %02x",
					   bad->at[i]);
		kslab_report(KSLAB_LOG_INFO, "  bytes at offset %ld:%s (expected %02x)",
			     offset, bytes, bad->want);
	}
	if (cache->flags & KSLAB_STORE_USER) {
		kslab_debug_report_track("allocated", &meta->alloc);
		kslab_debug_report_track("freed", &meta->free);
	}
	kslab_report(KSLAB_LOG_INFO, "  %s", action);
}

/* report() of heap corruption, then what kslab_corrupted() says to do. */
static void report_corruption(struct kslab_cache *cache, void *obj,
			      const char *what, long offset,
			      const struct wrong_bytes *bad, const char *action)
{
	report(cache, obj, what, offset, bad, action);
	kslab_corrupted();
}

/* Find the first byte of [p, p + n) that is not @want. */
static bool find_wrong(const unsigned char *p, size_t n, unsigned int want,
		       struct wrong_bytes *bad)
{
	for (; n; p++, n--) {
		if (*p != want) {
			*bad = (struct wrong_bytes){ .at = p, .left = n,
						     .want = want };
			return true;
		}
	}
	return false;
}

static void fill_zones(const struct kslab_cache *cache, unsigned char *obj,
		       unsigned int value)
{
	kslab_memset(obj - cache->obj_offset, (int)value, cache->obj_offset);
	kslab_memset(obj + cache->object_size, (int)value,
		     cache->meta_offset - cache->object_size);
}

/* Red zones hold @want; else report the first wrong byte. */
static bool zones_intact(struct kslab_cache *cache, unsigned char *obj,
			 unsigned int want, const char *action)
{
	struct wrong_bytes bad;

	if (find_wrong(obj - cache->obj_offset, cache->obj_offset, want, &bad)) {
		report_corruption(cache, obj,
				  "red zone before the object overwritten (underflow)",
				  bad.at - obj, &bad, action);
		return false;
	}
	if (find_wrong(obj + cache->object_size,
		       cache->meta_offset - cache->object_size, want, &bad)) {
		report_corruption(cache, obj,
				  "red zone after the object overwritten (overflow)",
				  bad.at - obj, &bad, action);
		return false;
	}
	return true;
}

static void poison(const struct kslab_cache *cache, unsigned char *obj)
{
	kslab_memset(obj, POISON_FREE, cache->object_size - 1);
	obj[cache->object_size - 1] = POISON_END;
}

/* A free object's poison is whole; else report the first wrong byte. */
static bool poison_intact(struct kslab_cache *cache, unsigned char *obj,
			  const char *action)
{
	struct wrong_bytes bad;

	if (!find_wrong(obj, cache->object_size - 1, POISON_FREE, &bad) &&
	    !find_wrong(obj + cache->object_size - 1, 1, POISON_END, &bad))
		return true;
	report_corruption(cache, obj, "poison overwritten (use after free)",
			  bad.at - obj, &bad, action);
	return false;
}

/* A free object as it must be: poison and free red zones whole. */
static bool free_intact(struct kslab_cache *cache, unsigned char *obj,
			const char *action)
{
	return (!poisoned(cache) || poison_intact(cache, obj, action)) &&
	       (!red_zoned(cache) || zones_intact(cache, obj, RED_FREE, action));
}

static void make_free(const struct kslab_cache *cache, unsigned char *obj)
{
	if (poisoned(cache))
		poison(cache, obj);
	if (red_zoned(cache))
		fill_zones(cache, obj, RED_FREE);
	meta_of(cache, obj)->state = STATE_FREE;
}

/**
 * kslab_debug_slab_init() - give a new slab's slots their free state
 * @cache: a debugged cache
 * @slab:  the slab, its objects constructed
 */
void kslab_debug_slab_init(struct kslab_cache *cache, struct kslab_slab *slab)
{
	unsigned int i;

	for (i = 0; i < cache->objs_per_slab; i++) {
		unsigned char *obj = (unsigned char *)slab->s_mem +
				     (unsigned long)i * cache->size;

		kslab_memset(meta_of(cache, obj), 0,
			     cache->size - cache->obj_offset - cache->meta_offset);
		make_free(cache, obj);
	}
}

/**
 * kslab_debug_alloc() - check an object the slab layer is handing out
 * @cache:  a debugged cache
 * @obj:    the object its free map gave
 * @caller: the allocation's call site, for the track
 *
 * Return: KSLAB_DEBUG_OK and the object marked allocated, or
 * KSLAB_DEBUG_QUARANTINE: it was written while free, or its state is not
 * free, and must not be handed out.
 */
enum kslab_debug_verdict kslab_debug_alloc(struct kslab_cache *cache,
					   void *obj, unsigned long caller)
{
	static const char quarantined[] = "object quarantined; another one allocated";
	struct kslab_debug_meta *meta = meta_of(cache, obj);
	enum kslab_debug_verdict verdict = KSLAB_DEBUG_QUARANTINE;

	slot_open(cache, obj);
	if (meta->state != STATE_FREE) {
		report_corruption(cache, obj, "free map names an object not free",
				  0, NULL, quarantined);
	} else if (free_intact(cache, obj, quarantined)) {
		if (red_zoned(cache))
			fill_zones(cache, obj, RED_ALLOCATED);
		if (cache->flags & KSLAB_STORE_USER)
			kslab_debug_track(&meta->alloc, caller);
		verdict = KSLAB_DEBUG_OK;
	}
	meta->state = verdict == KSLAB_DEBUG_OK ? STATE_ALLOCATED :
						  STATE_QUARANTINED;
	slot_close(cache, obj);
	return verdict;
}

/**
 * kslab_debug_free() - check an object coming back to its slab
 * @cache:  a debugged cache
 * @obj:    a valid object address of @cache
 * @caller: the free's call site, for the track
 *
 * Return: KSLAB_DEBUG_OK and the object poisoned and marked free;
 * KSLAB_DEBUG_REFUSE for a second free (nothing changes); or
 * KSLAB_DEBUG_QUARANTINE if its red zones or state were overwritten.
 */
enum kslab_debug_verdict kslab_debug_free(struct kslab_cache *cache,
					  void *obj, unsigned long caller)
{
	static const char quarantined[] = "object quarantined";
	struct kslab_debug_meta *meta = meta_of(cache, obj);
	enum kslab_debug_verdict verdict = KSLAB_DEBUG_QUARANTINE;

	slot_open(cache, obj);
	if (meta->state == STATE_FREE || meta->state == STATE_DELAYED ||
	    meta->state == STATE_QUARANTINED) {
		report_corruption(cache, obj,
				  meta->state == STATE_QUARANTINED ?
				  "free of a quarantined object" : "double free",
				  0, NULL, "free ignored");
		slot_close(cache, obj);
		return KSLAB_DEBUG_REFUSE;
	}
	if (cache->flags & KSLAB_STORE_USER)
		kslab_debug_track(&meta->free, caller);
	if (meta->state != STATE_ALLOCATED) {
		report_corruption(cache, obj,
				  "object state overwritten (overflow past the red zone)",
				  (long)cache->meta_offset, NULL, quarantined);
		meta->state = STATE_QUARANTINED;
	} else if (red_zoned(cache) &&
		   !zones_intact(cache, obj, RED_ALLOCATED, quarantined)) {
		meta->state = STATE_QUARANTINED;
	} else {
		make_free(cache, obj);
		verdict = KSLAB_DEBUG_OK;
	}
	slot_close(cache, obj);
	return verdict;
}

/*
 * Check an object leaving the FIFO: free if its poison is whole, else
 * quarantined for good.
 */
static enum kslab_debug_verdict undelay(struct kslab_cache *cache,
					unsigned char *obj)
{
	static const char quarantined[] = "object quarantined";
	struct kslab_debug_meta *meta = meta_of(cache, obj);
	enum kslab_debug_verdict verdict = KSLAB_DEBUG_OK;

	slot_open(cache, obj);
	if (free_intact(cache, obj, quarantined)) {
		meta->state = STATE_FREE;
	} else {
		meta->state = STATE_QUARANTINED;
		verdict = KSLAB_DEBUG_QUARANTINE;
	}
	slot_close(cache, obj);
	return verdict;
}

/**
 * kslab_debug_undelay_oldest() - let the oldest held-back object go
 * @cache:   a debugged cache, locked
 * @verdict: set for the object returned: KSLAB_DEBUG_OK if it may go back
 *           to the free map, KSLAB_DEBUG_QUARANTINE if it was written to
 *
 * Return: the object, or NULL if the FIFO is empty.
 */
void *kslab_debug_undelay_oldest(struct kslab_cache *cache,
				 enum kslab_debug_verdict *verdict)
{
	void *obj;

	if (!cache->delayed_count)
		return NULL;
	obj = cache->delayed[cache->delayed_head];
	cache->delayed_head = (cache->delayed_head + 1) % cache->delayed_cap;
	cache->delayed_count--;
	*verdict = undelay(cache, obj);
	return obj;
}

/**
 * kslab_debug_delay() - hold a freed object back
 * @cache:   a debugged cache, locked
 * @obj:     an object kslab_debug_free() has just poisoned and freed
 * @verdict: set for the object returned, as kslab_debug_undelay_oldest()
 *
 * Return: the object that goes back to the free map now: @obj itself
 * where the cache holds none back, the oldest one held when the FIFO is
 * full, or NULL while it has room.
 */
void *kslab_debug_delay(struct kslab_cache *cache, void *obj,
			enum kslab_debug_verdict *verdict)
{
	void *oldest = NULL;

	*verdict = KSLAB_DEBUG_OK;
	if (!cache->delayed_cap)
		return obj;
	if (cache->delayed_count == cache->delayed_cap)
		oldest = kslab_debug_undelay_oldest(cache, verdict);
	slot_open(cache, obj);
	meta_of(cache, obj)->state = STATE_DELAYED;
	slot_close(cache, obj);
	cache->delayed[(cache->delayed_head + cache->delayed_count) %
		       cache->delayed_cap] = obj;
	cache->delayed_count++;
	return oldest;
}

/**
 * kslab_debug_is_free() - is a debugged object free (or held back)?
 * @cache: a debugged cache
 * @obj:   one of its objects
 *
 * For kmalloc's ksize and krealloc, which must not take a freed block for
 * a live one. No lock: a state read whole, for a report.
 * Return: true if its state says it is not allocated.
 */
bool kslab_debug_is_free(struct kslab_cache *cache, void *obj)
{
	unsigned long state;

	kslab_env_mem_open(meta_of(cache, obj), sizeof(state));
	state = KSLAB_READ_ONCE(meta_of(cache, obj)->state);
	kslab_env_mem_close(meta_of(cache, obj), sizeof(state));
	return state != STATE_ALLOCATED;
}

/**
 * kslab_debug_slab_check() - check every slot of a slab
 * @cache: a debugged cache, locked
 * @slab:  one of its slabs
 *
 * Free objects must be intact (poison, red zones) and as many as the
 * free list says; allocated ones must have their red zones whole. Each
 * damaged object is reported in full.
 * Return: the number of problems.
 */
unsigned long kslab_debug_slab_check(struct kslab_cache *cache,
				     const struct kslab_slab *slab)
{
	static const char noted[] = "found by a check";
	unsigned long problems = 0, free = 0;
	unsigned int i;

	for (i = 0; i < cache->objs_per_slab; i++) {
		unsigned char *obj = (unsigned char *)slab->s_mem +
				     (unsigned long)i * cache->size;
		unsigned long state;

		slot_open(cache, obj);
		state = meta_of(cache, obj)->state;
		if (state == STATE_FREE || state == STATE_DELAYED) {
			free += state == STATE_FREE;
			problems += !free_intact(cache, obj, noted);
		} else if (state == STATE_ALLOCATED) {
			problems += red_zoned(cache) &&
				    !zones_intact(cache, obj, RED_ALLOCATED, noted);
		} else if (state != STATE_QUARANTINED) {
			report_corruption(cache, obj, "object state overwritten",
					  (long)cache->meta_offset, NULL, noted);
			problems++;
		}
		slot_close(cache, obj);
		/* An allocated object is its user's: open it again. */
		if (state == STATE_ALLOCATED)
			kslab_env_mem_open(obj, cache->object_size);
	}
	if (free != cache->objs_per_slab - slab->inuse) {
		kslab_report(KSLAB_LOG_ERR,
			     "BUG %s: slab=%p has %lu objects in the free state, its free map %lu",
			     cache->name, (void *)slab, free,
			     cache->objs_per_slab - slab->inuse);
		problems++;
	}
	return problems;
}

static unsigned long report_slab_leaks(struct kslab_cache *cache,
				       const struct kslab_slab *slab,
				       unsigned long shown)
{
	unsigned int i;

	for (i = 0; i < cache->objs_per_slab; i++) {
		unsigned char *obj = (unsigned char *)slab->s_mem +
				     (unsigned long)i * cache->size;
		bool leaked;

		slot_open(cache, obj);
		leaked = meta_of(cache, obj)->state == STATE_ALLOCATED;
		if (leaked && shown++ < LEAKS_SHOWN)
			report(cache, obj, "leaked: still allocated at destroy",
			       0, NULL, "cache kept");
		slot_close(cache, obj);
		/* The program may still use and free what it leaked. */
		if (leaked)
			kslab_env_mem_open(obj, cache->object_size);
	}
	return shown;
}

/**
 * kslab_debug_report_leaks() - name the objects a destroy found still out
 * @cache: a debugged cache, its magazines flushed
 *
 * Each with its allocation site when tracked, up to a limit.
 */
void kslab_debug_report_leaks(struct kslab_cache *cache)
{
	struct kslab_slab *slab;
	unsigned long shown = 0;
	unsigned int node;

	kslab_spin_lock(&cache->lock);
	kslab_list_for_each_entry(slab, &cache->slabs_full, node)
		shown = report_slab_leaks(cache, slab, shown);
	for (node = 0; node < KSLAB_MAX_NODES; node++)
		kslab_list_for_each_entry(slab,
					  &cache->node_slabs[node].partial, node)
			shown = report_slab_leaks(cache, slab, shown);
	kslab_spin_unlock(&cache->lock);
	if (shown > LEAKS_SHOWN)
		kslab_report(KSLAB_LOG_ERR, "BUG %s: %lu more leaked objects not shown",
			     cache->name, shown - LEAKS_SHOWN);
}
