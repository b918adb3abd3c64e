// SPDX-License-Identifier: GPL-2.0
/*
 * kmalloc: general-purpose allocation on top of the object caches.
 *
 * Owns the size-class caches (kmalloc-8 to kmalloc-32768), made on first
 * use, and the page words of the buddy blocks it hands out whole. Sizes up
 * to 64 bytes go in steps of 8, then eight classes per power of two, so a
 * class is at most an eighth larger than anything it serves above 56
 * bytes. Larger sizes take a buddy block of the next power of two pages,
 * and beyond the largest block the environment's large allocations.
 *
 * kslab_kfree() tells the three apart by the address alone: a slab
 * object's page word names its cache (kslab_cache_of()), a block's head
 * page word holds KMALLOC_BLOCK_WORD(order), and the environment answers
 * for its own allocations. Anything else is reported and ignored.
 *
 * The sizes up to KSLAB_KMALLOC_FAST_MAX also have a slot each in
 * kslab_kmalloc_fast, the table kmalloc's inline hit reads (mm/kmalloc.h):
 * filled as the classes are made, emptied while the kmalloc fault point is
 * armed (kslab_kmalloc_fast_sync()).
 *
 * Lock order: kmalloc_lock (class creation only), then kslab_caches_lock.
 * The fast table takes no lock.
 */
#include <kslab/buddy.h>
#include <kslab/report.h>

#include "check.h"
#include "fault.h"
#include "kmalloc.h"
#include "kmalloc_guard.h"
#include "kmalloc_large.h"
#include "name.h"
#include "profile.h"
#include "slab_debug.h"

/*
 * Classes: 8 of 8 bytes up to 64, then 2^KMALLOC_STEP_BITS per power of
 * two up to 32 KiB.
 */
#define KMALLOC_SMALL_CLASSES	8
#define KMALLOC_SMALL_MAX	64
#define KMALLOC_STEP_BITS	3
#define KMALLOC_STEPS		(1U << KMALLOC_STEP_BITS)
#define KMALLOC_CLASSES		(KMALLOC_SMALL_CLASSES + KMALLOC_STEPS * (15 - 6))
_Static_assert(KMALLOC_CLASSES == KSLAB_KMALLOC_CLASSES,
	       "mm/kmalloc.h counts the classes too");

/*
 * The head page word of a block kmalloc handed out whole: bit 61 and the
 * order. A slab's words have bit 63 set (see kslab_obj_valid()), and such
 * a word names no cache, so neither kind is ever taken for the other.
 */
#define KMALLOC_BLOCK_TAG	(1UL << 61)
#define KMALLOC_BLOCK_ORDER	0xffUL
#define KMALLOC_BLOCK_WORD(order)	(KMALLOC_BLOCK_TAG | (order))

static struct kslab_cache *kmalloc_caches[KMALLOC_CLASSES];
static KSLAB_DEFINE_MUTEX(kmalloc_lock);
struct kslab_kmalloc_class kslab_kmalloc_by_id[KSLAB_MAX_CACHES] kslab_env_table;
struct kslab_cpu_cache *kslab_kmalloc_fast[KSLAB_KMALLOC_FAST_SLOTS];
unsigned int kslab_kmalloc_fast_size[KSLAB_KMALLOC_FAST_SLOTS];

/* The class of @size bytes, 1 to KSLAB_KMALLOC_MAX_CACHE_SIZE. */
static unsigned int kmalloc_index(size_t size)
{
	unsigned int k;

	if (size <= KMALLOC_SMALL_MAX)
		return (unsigned int)((size - 1) >> 3);
	/* size - 1 is in [2^k, 2^(k+1)): steps of 2^(k-3) from 2^k. */
	k = 63 - (unsigned int)__builtin_clzl(size - 1);
	return KMALLOC_SMALL_CLASSES + (k - 6) * KMALLOC_STEPS +
	       (unsigned int)((size - 1) >> (k - KMALLOC_STEP_BITS)) -
	       KMALLOC_STEPS;
}

static size_t kmalloc_class_size(unsigned int index)
{
	unsigned int k, step;

	if (index < KMALLOC_SMALL_CLASSES)
		return (index + 1) * 8UL;
	k = 6 + (index - KMALLOC_SMALL_CLASSES) / KMALLOC_STEPS;
	step = (index - KMALLOC_SMALL_CLASSES) % KMALLOC_STEPS;
	return (size_t)(KMALLOC_STEPS + 1 + step) << (k - KMALLOC_STEP_BITS);
}

/* A class's alignment: the largest power of two dividing it, up to a page. */
static size_t kmalloc_class_align(unsigned int index)
{
	size_t size = kmalloc_class_size(index);
	size_t align = size & -size;

	return align < KSLAB_PAGE_SIZE ? align : KSLAB_PAGE_SIZE;
}

/*
 * Make the fast table's slots @from to @to - 1 say what they must now:
 * each holds its class, or nothing while the class is not made or the
 * kmalloc fault point is armed. Takes no lock. Two calls may overlap (a
 * class made while the point is armed): each goes over its slots again
 * until the point's state it read is still the state after its writes,
 * so the last word is the current state's. The slots go class by class,
 * each class's run of them written with one lookup: the whole table is
 * synced once as a process starts (the fault point's first reading), and
 * a lookup per slot cost that first malloc some 16,000 instructions.
 */
static void fast_sync_slots(unsigned long from, unsigned long to)
{
	struct kslab_cpu_cache *cpu;
	unsigned long armed, slot, end;
	struct kslab_cache *cache;
	unsigned int index, size;

	do {
		armed = kslab_load_acquire(&kslab_fault_armed) &
			(1UL << KSLAB_FAULT_KMALLOC);
		for (slot = from; slot < to; slot = end) {
			index = kmalloc_index(slot * 8);
			size = (unsigned int)kmalloc_class_size(index);
			cache = kslab_load_acquire(&kmalloc_caches[index]);
			cpu = cache && !armed ? cache->cpu : NULL;
			end = size / 8 + 1 < to ? size / 8 + 1 : to;
			for (; slot < end; slot++) {
				kslab_kmalloc_fast_size[slot] = size;
				KSLAB_WRITE_ONCE(kslab_kmalloc_fast[slot], cpu);
			}
		}
		kslab_smp_mb();
	} while ((KSLAB_READ_ONCE(kslab_fault_armed) &
		  (1UL << KSLAB_FAULT_KMALLOC)) != armed);
}

/**
 * kslab_kmalloc_fast_sync() - make the whole fast table say what it must
 *
 * After the kmalloc fault point is armed or cleared, or classes go, from
 * any context.
 */
void kslab_kmalloc_fast_sync(void)
{
	fast_sync_slots(1, KSLAB_KMALLOC_FAST_SLOTS);
}

/*
 * Sync only the slots of classes @first to @last: a program that makes
 * its classes one at a time (15 for blocks of 16 to 215 bytes) would
 * otherwise rewrite all 513 slots each time, a quarter of the
 * instructions its first thousand mallocs take.
 */
static void fast_sync_classes(unsigned int first, unsigned int last)
{
	unsigned long from = first ? kmalloc_class_size(first - 1) / 8 + 1 : 1;
	unsigned long to = kmalloc_class_size(last) / 8 + 1;

	if (from < KSLAB_KMALLOC_FAST_SLOTS)
		fast_sync_slots(from, to < KSLAB_KMALLOC_FAST_SLOTS ?
				to : KSLAB_KMALLOC_FAST_SLOTS);
}

/*
 * Make the class caches from @first to @last not made yet: one at a time
 * as sizes are first asked for, so a short program pays only for the
 * classes it uses. Return: the cache of @last.
 */
static kslab_cold kslab_noinline
struct kslab_cache *kmalloc_caches_init(unsigned int first, unsigned int last)
{
	struct kslab_cache_args args = { 0 };
	char name[KSLAB_CACHE_NAME_LEN];
	unsigned int i;

	kslab_mutex_lock(&kmalloc_lock);
	for (i = first; i <= last; i++) {
		struct kslab_cache *cache;

		if (kmalloc_caches[i])
			continue;
		args.align = (unsigned int)kmalloc_class_align(i);
		kslab_name_number(name, sizeof(name), "kmalloc-",
				  kmalloc_class_size(i));
		cache = kslab_cache_create(name, (unsigned int)kmalloc_class_size(i),
					   &args, 0);
		/*
		 * A debugged class (no magazines) finds a double free in its
		 * objects' state, and poisons them: no tag, no fast free.
		 */
		if (cache && !(cache->flags & KSLAB_NO_MAGAZINE)) {
			struct kslab_kmalloc_class *class =
				&kslab_kmalloc_by_id[kslab_cache_id(cache)];

			if (KSLAB_HARDENING)
				cache->free_tag = (unsigned long)cache->cpu;
			class->cache = cache;
			class->cpu = cache->cpu;
			class->index_magic = cache->index_magic;
			class->index_shift = cache->index_shift;
			kslab_store_release(&class->objs_per_slab,
					    (unsigned int)cache->objs_per_slab);
		}
		kslab_store_release(&kmalloc_caches[i], cache);
	}
	fast_sync_classes(first, last);
	kslab_mutex_unlock(&kmalloc_lock);
	return kmalloc_caches[last];
}

/* Class creation's lock, outermost of all: for kslab_lock_outer(). */
void kslab_kmalloc_lock(void)
{
	kslab_mutex_lock(&kmalloc_lock);
}

void kslab_kmalloc_unlock(void)
{
	kslab_mutex_unlock(&kmalloc_lock);
}

/**
 * kslab_kmalloc_exit() - destroy the size-class caches
 *
 * For the kernel module's unload. A class with objects still allocated is
 * reported by kslab_cache_destroy() and kept.
 * Return: the classes kept.
 */
unsigned int kslab_kmalloc_exit(void)
{
	unsigned int i, kept = 0, objs;
	unsigned long id;

	kslab_mutex_lock(&kmalloc_lock);
	for (i = 0; i < KMALLOC_CLASSES; i++) {
		if (!kmalloc_caches[i])
			continue;
		/* No kfree may find a descriptor being freed. */
		id = kslab_cache_id(kmalloc_caches[i]);
		objs = kslab_kmalloc_by_id[id].objs_per_slab;
		kslab_store_release(&kslab_kmalloc_by_id[id].objs_per_slab, 0);
		if (kslab_cache_release(kmalloc_caches[i])) {
			kslab_store_release(&kmalloc_caches[i], NULL);
		} else {
			kslab_store_release(&kslab_kmalloc_by_id[id].objs_per_slab,
					    objs);
			kept++;
		}
	}
	kslab_kmalloc_fast_sync();
	kslab_mutex_unlock(&kmalloc_lock);
	kslab_guard_drain();
	kslab_kmalloc_large_reap(true);
	return kept;
}

int kslab_kmalloc_init(void)
{
	unsigned int i;

	kmalloc_caches_init(0, KMALLOC_CLASSES - 1);
	for (i = 0; i < KMALLOC_CLASSES; i++)
		if (!kslab_load_acquire(&kmalloc_caches[i]))
			return -1;
	return 0;
}

/**
 * kslab_kmalloc_class() - one of kmalloc's size classes, for statistics
 * @index: 0 for the smallest
 *
 * Return: its cache; NULL if it is not made yet, or @index is past the
 * largest (KSLAB_KMALLOC_CLASSES).
 */
struct kslab_cache *kslab_kmalloc_class(unsigned int index)
{
	return index < KMALLOC_CLASSES ?
	       kslab_load_acquire(&kmalloc_caches[index]) : NULL;
}

static struct kslab_cache *kmalloc_cache(unsigned int index)
{
	struct kslab_cache *cache = kslab_load_acquire(&kmalloc_caches[index]);

	if (kslab_unlikely(!cache))
		cache = kmalloc_caches_init(index, index);
	return cache;
}

/**
 * kslab_kmalloc_cache() - the cache kslab_kmalloc() serves a size from
 * @size: 1 to KSLAB_KMALLOC_MAX_CACHE_SIZE bytes
 *
 * For the selftests, which look at the classes' statistics.
 * Return: the class cache, NULL if it cannot be made.
 */
struct kslab_cache *kslab_kmalloc_cache(size_t size)
{
	return kmalloc_cache(kmalloc_index(size));
}

/* An object of @cache, of @node's memory (-1: the calling CPU's). */
static inline void *class_get(struct kslab_cache *cache, gfp_t gfp, int node,
			      unsigned long caller)
{
	if (kslab_likely(node < 0))
		return kslab_cache_alloc_fast(cache, gfp, caller);
	return kslab_cache_alloc_node_at(cache, gfp, node, caller);
}

/*
 * @node: as for kslab_kmalloc_node(), -1 for the calling CPU's.
 * @caller: the site debugged caches record; each entry point passes its
 * own. The object's first word loses the free tag (mm/kmalloc.h).
 */
static void *kmalloc_class_alloc(unsigned int index, gfp_t gfp, int node,
				 unsigned long caller)
{
	struct kslab_cache *cache = kmalloc_cache(index);
	unsigned long *obj;

	if (!cache)
		return NULL;
	if (!cache->free_tag)
		return class_get(cache, gfp, node, caller);
	/* Each copy of a block freed twice but the first is dropped. */
	while ((obj = class_get(cache, gfp & ~__GFP_ZERO, node, caller)) &&
	       kslab_unlikely(!kslab_free_tag_held(cache, obj))) {
		kslab_profile_free(cache, obj);	/* never the caller's */
		kslab_kmalloc_tag_lost(obj);
	}
	if (!obj)
		return NULL;
	*obj = 0;
	if (gfp & __GFP_ZERO)
		kslab_memset(obj, 0, cache->object_size);
	return obj;
}

/* The buddy order whose blocks hold @bytes. */
unsigned int kslab_kmalloc_block_order(size_t bytes)
{
	unsigned int order = 0;

	while ((KSLAB_PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

/*
 * Beyond the classes: a whole buddy block, or the environment's memory,
 * page-aligned at least; in debug mode a guarded block (@align 0: its
 * natural alignment).
 */
static void *kmalloc_large_block(size_t size, size_t align, gfp_t gfp,
				 int node, unsigned long caller)
{
	unsigned int order;
	size_t need;
	void *p;

	if (kslab_unlikely(kslab_guard_on()))
		return kslab_guard_alloc(size, align, gfp, caller);
	if (align < KSLAB_PAGE_SIZE)
		align = KSLAB_PAGE_SIZE;
	need = size > align ? size : align;
	if (need > KSLAB_CHUNK_SIZE)
		return kslab_kmalloc_large_alloc(size, align, gfp);
	order = kslab_kmalloc_block_order(need);
	p = kslab_kmalloc_block_alloc(order, gfp, node);
	if (p)
		*kslab_env_page_word(p) = KMALLOC_BLOCK_WORD(order);
	return p;
}

static void *kmalloc_large(size_t size, size_t align, gfp_t gfp, int node,
			   unsigned long caller)
{
	void *p = kmalloc_large_block(size, align, gfp, node, caller);

	kslab_profile_alloc_large(p, caller);
	return p;
}

/* @node: -1 for the calling CPU's. */
static void *kmalloc_node_sized(size_t size, gfp_t gfp, int node,
				unsigned long caller)
{
	if (kslab_unlikely(!size))
		return KSLAB_ZERO_SIZE_PTR;
	if (kslab_fault_hit(KSLAB_FAULT_KMALLOC, gfp))
		return NULL;
	if (kslab_likely(size <= KSLAB_KMALLOC_MAX_CACHE_SIZE))
		return kmalloc_class_alloc(kmalloc_index(size), gfp, node,
					   caller);
	return kmalloc_large(size, 0, gfp, node, caller);
}

static void *kmalloc_sized(size_t size, gfp_t gfp, unsigned long caller)
{
	return kmalloc_node_sized(size, gfp, -1, caller);
}

void *kslab_kmalloc(size_t size, gfp_t gfp)
{
	void *p;

	if (kslab_likely(!(gfp & __GFP_ZERO))) {
		p = kslab_kmalloc_hit(size);
		if (kslab_likely(p))
			return p;
	}
	return kmalloc_sized(size, gfp, KSLAB_RET_IP);
}

/* The calling CPU's node still takes the magazines: class_get(). */
void *kslab_kmalloc_node(size_t size, gfp_t gfp, int node)
{
	return kmalloc_node_sized(size, gfp, node, KSLAB_RET_IP);
}

static void *kmalloc_aligned(size_t size, size_t align, gfp_t gfp,
			     unsigned long caller)
{
	unsigned int index;

	if (!align || (align & (align - 1)) ||
	    kslab_fault_hit(KSLAB_FAULT_KMALLOC, gfp))
		return NULL;
	if (!size)
		size = 1;
	if (size <= KSLAB_KMALLOC_MAX_CACHE_SIZE)
		for (index = kmalloc_index(size); index < KMALLOC_CLASSES; index++)
			if (kmalloc_class_align(index) >= align)
				return kmalloc_class_alloc(index, gfp, -1,
							   caller);
	return kmalloc_large(size, align, gfp, -1, caller);
}

void *kslab_kmalloc_aligned(size_t size, size_t align, gfp_t gfp)
{
	return kmalloc_aligned(size, align, gfp, KSLAB_RET_IP);
}

/**
 * kslab_kmalloc_caller() - kmalloc's full path, for a front end
 * @size:   bytes
 * @align:  0 for kslab_kmalloc(), else as for kslab_kmalloc_aligned()
 * @gfp:    allocation flags
 * @caller: the site debugged caches record: the front end's caller
 *
 * For the userspace malloc, after kmalloc's hit (mm/kmalloc.h) missed.
 * Return: the memory, or NULL.
 */
void *kslab_kmalloc_caller(size_t size, size_t align, gfp_t gfp,
			 unsigned long caller)
{
	if (!align)
		return kmalloc_sized(size, gfp, caller);
	return kmalloc_aligned(size, align, gfp, caller);
}

void *kslab_kzalloc(size_t size, gfp_t gfp)
{
	return kmalloc_sized(size, gfp | __GFP_ZERO, KSLAB_RET_IP);
}

void *kslab_kcalloc(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kmalloc_sized(bytes, gfp | __GFP_ZERO, KSLAB_RET_IP);
}

/* What an address handed to kslab_kfree() or kslab_ksize() is. */
enum kmalloc_kind {
	KMALLOC_OBJECT,		/* an object of a kslab cache */
	KMALLOC_FREED,		/* a class object with the free tag: freed */
	KMALLOC_BLOCK,		/* a buddy block kmalloc handed out whole */
	KMALLOC_LARGE,		/* the environment's large allocation */
	KMALLOC_GUARDED,	/* a region of a guarded block (debug mode) */
	KMALLOC_NONE,		/* none of them: a bad address */
};

/*
 * The last blocks and large allocations kmalloc freed, so that a second
 * free of one is named a double free: their memory went back to the
 * buddy allocator or the environment, so nothing else remembers them.
 */
#define LARGE_FREED_KEPT	64
static const void *large_freed[LARGE_FREED_KEPT];
static struct kslab_atomic large_freed_next;

static void large_freed_note(const void *p)
{
	unsigned long i = (unsigned long)kslab_atomic_add_return(&large_freed_next, 1);

	KSLAB_WRITE_ONCE(large_freed[i % LARGE_FREED_KEPT], p);
}

static bool large_freed_lately(const void *p)
{
	unsigned int i;

	for (i = 0; i < LARGE_FREED_KEPT; i++)
		if (KSLAB_READ_ONCE(large_freed[i]) == p)
			return true;
	return false;
}

struct kmalloc_alloc {
	struct kslab_cache *cache;	/* KMALLOC_OBJECT */
	unsigned long *word;		/* KMALLOC_BLOCK, _GUARDED: the page word */
	size_t size;			/* usable bytes; 0 for no guarded block */
};

static enum kmalloc_kind kmalloc_kind(const void *p, struct kmalloc_alloc *a)
{
	unsigned long *word = kslab_env_page_word(p);
	unsigned long w = word ? *word : 0;

	a->cache = kslab_cache_of(p, w);
	if (a->cache && kslab_obj_in(a->cache, p, w)) {
		a->size = a->cache->object_size;
		/* A debugged cache keeps each object's state; no tag there. */
		if (a->cache->flags & KSLAB_DEBUG_FLAGS)
			return kslab_debug_is_free(a->cache, (void *)p) ?
			       KMALLOC_FREED : KMALLOC_OBJECT;
		return a->cache->free_tag && kslab_free_tag_held(a->cache, p) ?
		       KMALLOC_FREED : KMALLOC_OBJECT;
	}
	if ((w & ~KMALLOC_BLOCK_ORDER) == KMALLOC_BLOCK_TAG &&
	    !((unsigned long)p & (KSLAB_PAGE_SIZE - 1))) {
		a->word = word;
		a->size = KSLAB_PAGE_SIZE << (w & KMALLOC_BLOCK_ORDER);
		return KMALLOC_BLOCK;
	}
	if (kslab_guard_word(w)) {
		a->word = word;
		a->size = kslab_guard_size(w, p);
		return KMALLOC_GUARDED;
	}
	a->size = kslab_env_large_size(p);
	return a->size ? KMALLOC_LARGE : KMALLOC_NONE;
}

/*
 * Report a free, krealloc or ksize of an address kmalloc did not hand
 * out, or handed out and took back. A free or krealloc of one is heap
 * corruption (kslab_corrupted()); a ksize reads nothing and changes
 * nothing, so the program carries on.
 */
static kslab_cold kslab_noinline void kmalloc_bad_address(const char *op,
							   const void *p,
							   enum kmalloc_kind kind,
							   bool corrupts)
{
	struct kslab_slab *slab = kslab_obj_to_slab(p);
	enum kslab_obj_error err;
	unsigned long offset;

	if (kind == KMALLOC_FREED && slab) {
		if (corrupts)
			kslab_atomic_add(&slab->cache->bad_frees, 1);
		kslab_report(KSLAB_LOG_ERR, "BUG %s: %s of freed object=%p",
			     slab->cache->name, op, p);
	} else if (slab) {
		err = kslab_obj_check(slab->cache, p, &slab, &offset);
		if (err != KSLAB_OBJ_OK && corrupts) {
			kslab_report_bad_free(slab->cache, err, p, slab, offset);
			return;		/* which acts on it */
		}
		kslab_report(KSLAB_LOG_ERR, "BUG %s: %s of object=%p, %s",
			     slab->cache->name, op, p,
			     err == KSLAB_OBJ_INSIDE ? "an address inside an object" :
						       "which starts no allocation");
	} else if (large_freed_lately(p)) {
		kslab_report(KSLAB_LOG_ERR,
			     "BUG kmalloc: %s of freed large block object=%p%s",
			     op, p, corrupts ? " (double free)" : "");
	} else {
		kslab_report(KSLAB_LOG_ERR,
			     "BUG kmalloc: %s of address %s object=%p", op,
			     kslab_virt_to_page(p) ? "that starts no allocation" :
						     "not managed by kslab", p);
	}
	if (corrupts)
		kslab_corrupted();
}

/**
 * kslab_kmalloc_bad_pointer() - report a pointer no kmalloc handed out
 * @op:       what was done with it: "free", "realloc", ...
 * @p:        the pointer
 * @corrupts: whether @op would have changed memory (heap corruption)
 *
 * For the malloc, whose callers may not pass kmalloc's small values
 * (KSLAB_ZERO_SIZE_PTR) either.
 */
void kslab_kmalloc_bad_pointer(const char *op, const void *p, bool corrupts)
{
	kmalloc_bad_address(op, p, KMALLOC_NONE, corrupts);
}

/**
 * kslab_kmalloc_overflow() - report a block written past its end
 * @cache: its class
 * @obj:   the block
 * @size:  the bytes its owner may write; the front end's canary after them
 *         was found overwritten
 */
void kslab_kmalloc_overflow(struct kslab_cache *cache, const void *obj,
			    size_t size)
{
	kslab_atomic_add(&cache->bad_frees, 1);
	kslab_report(KSLAB_LOG_ERR,
		     "BUG %s: canary after the block overwritten (overflow) object=%p offset=%zu",
		     cache->name, obj, size);
	kslab_corrupted();
}

/**
 * kslab_kmalloc_double_free() - report and refuse a second free of a block
 * @cache: its class
 * @obj:   the block, whose first word is the free tag
 */
void kslab_kmalloc_double_free(struct kslab_cache *cache, const void *obj)
{
	kslab_report_bad_free(cache, KSLAB_OBJ_DOUBLE_FREE, obj,
			      kslab_obj_to_slab(obj), 0);
}

/**
 * kslab_kmalloc_tag_lost() - report a block taken from a magazine without
 * its free tag
 * @obj: the block: the second copy of a block freed twice (or one whose
 *       first word was written after its free), dropped by the caller
 */
kslab_cold kslab_noinline void kslab_kmalloc_tag_lost(const void *obj)
{
	unsigned long *word = kslab_env_page_word(obj);
	struct kslab_cache *cache = kslab_cache_of(obj, word ? *word : 0);

	kslab_report_bad_free(cache, KSLAB_OBJ_TAG_LOST, obj,
			      kslab_obj_to_slab(obj), 0);
}

/**
 * kslab_kfree_slow() - what kfree's fast path leaves
 * @p:      NULL, another cache's object, a block, large memory or a bad
 *          address: everything kslab_kmalloc_free_hit() did not take
 * @caller: the site debugged caches record; 0 when tail-called from a
 *          kfree or free, whose caller is then this function's return
 *          address
 *
 * For kslab_kfree() and the userspace free().
 */
kslab_cold kslab_noinline void kslab_kfree_slow(const void *p,
						 unsigned long caller)
{
	struct kmalloc_alloc a;

	if (KSLAB_ZERO_OR_NULL_PTR(p))
		return;
	if (!caller)
		caller = KSLAB_RET_IP;
	switch (kmalloc_kind(p, &a)) {
	case KMALLOC_OBJECT:
		if (a.cache->free_tag)
			*(unsigned long *)p = a.cache->free_tag;
		kslab_cache_free_object(a.cache, (void *)p, caller);
		break;
	case KMALLOC_FREED:
		/* A debugged cache's own report names the sites. */
		if (a.cache->flags & KSLAB_DEBUG_FLAGS)
			kslab_cache_free_object(a.cache, (void *)p, caller);
		else
			kslab_kmalloc_double_free(a.cache, p);
		break;
	case KMALLOC_NONE:
		kmalloc_bad_address("free", p, KMALLOC_NONE, true);
		break;
	case KMALLOC_BLOCK:
		kslab_profile_free_large(p);
		*a.word = 0;
		large_freed_note(p);
		kslab_kmalloc_block_free((void *)p,
					 kslab_kmalloc_block_order(a.size));
		break;
	case KMALLOC_GUARDED:
		kslab_profile_free_large(p);
		kslab_guard_free(*a.word, p, caller);
		break;
	case KMALLOC_LARGE:
		kslab_profile_free_large(p);
		large_freed_note(p);
		kslab_kmalloc_large_free((void *)p);
		break;
	}
}

void kslab_kfree(const void *p)
{
	/* Callers 0: the slow halves, tail-called, see kfree()'s caller. */
	if (kslab_unlikely(!kslab_kmalloc_free_hit(p, 0, NULL)))
		kslab_kfree_slow(p, 0);
}

/* kslab_kfree() on behalf of @caller, for krealloc(). */
static void kfree_caller(const void *p, unsigned long caller)
{
	if (kslab_unlikely(!kslab_kmalloc_free_hit(p, caller, NULL)))
		kslab_kfree_slow(p, caller);
}

/**
 * kslab_kmalloc_usable() - kslab_ksize() for a front end
 * @p:  the memory
 * @op: the call to name in a report: "ksize", "malloc_usable_size"
 *
 * Return: the usable size, or 0 with a report for an address that starts
 * no allocation or a freed one.
 */
size_t kslab_kmalloc_usable(const void *p, const char *op)
{
	struct kmalloc_alloc a;
	enum kmalloc_kind kind;

	kind = kmalloc_kind(p, &a);
	if (kind == KMALLOC_NONE || kind == KMALLOC_FREED)
		kmalloc_bad_address(op, p, kind, false);
	else if (kind == KMALLOC_GUARDED && !a.size)
		kslab_guard_bad(*a.word, p, op, false);
	return kind == KMALLOC_NONE || kind == KMALLOC_FREED ? 0 : a.size;
}

size_t kslab_ksize(const void *p)
{
	if (KSLAB_ZERO_OR_NULL_PTR(p))
		return 0;
	return kslab_kmalloc_usable(p, "ksize");
}

/*
 * The usable size kmalloc gives @size, or 0 beyond the buddy blocks; a
 * guarded block's is its size.
 */
static size_t kmalloc_usable_for(size_t size)
{
	if (size <= KSLAB_KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_class_size(kmalloc_index(size));
	if (kslab_guard_on())
		return size;
	if (size <= KSLAB_CHUNK_SIZE)
		return KSLAB_PAGE_SIZE << kslab_kmalloc_block_order(size);
	return 0;
}

/**
 * kslab_kmalloc_check_size() - could @p have been allocated with @size?
 * @op:    the call that says so, named in a report ("free_sized", ...)
 * @p:     a live allocation
 * @size:  the size its caller says it asked for (as kmalloc was asked)
 * @align: the alignment it says it asked for; 0 for none
 *
 * Without an alignment the block must be the one kmalloc gives @size;
 * with one, at least @size bytes aligned to @align. A mismatch is
 * reported as heap corruption (kslab_corrupted()).
 */
void kslab_kmalloc_check_size(const char *op, const void *p, size_t size,
			      size_t align)
{
	struct kmalloc_alloc a;
	enum kmalloc_kind kind = kmalloc_kind(p, &a);
	size_t want;
	bool fits;

	if (kind == KMALLOC_NONE || kind == KMALLOC_FREED || !a.size)
		return;		/* the free itself reports it */
	want = kmalloc_usable_for(size);
	if (align)
		fits = !(align & (align - 1)) && size <= a.size &&
		       !((unsigned long)p & (align - 1));
	else if (want)
		fits = want == a.size;
	else		/* the environment's: pages for the size asked */
		fits = size <= a.size && a.size - size < KSLAB_CHUNK_SIZE;
	if (fits)
		return;
	kslab_report(KSLAB_LOG_ERR,
		     "BUG kmalloc: %s of object=%p with size %zu (align %zu): its block holds %zu bytes",
		     op, p, size, align, a.size);
	kslab_corrupted();
}

/*
 * Grow a whole buddy block in place for krealloc() when the pages after it
 * are free. A buffer grown step by step (realloc to twice the size, again
 * and again) then copies nothing, and leaves no freed block of each size
 * behind: a program's peak memory is its buffer, not the sum of them all.
 * Only to the block kmalloc gives the new size: an aligned block
 * reallocated to a size a class serves goes to that class, or a sized
 * free of it would find a block that kmalloc never gives that size.
 */
static bool kmalloc_block_grow(void *p, struct kmalloc_alloc *a, size_t size,
			       gfp_t gfp, unsigned long caller)
{
	unsigned int order, new_order;

	if (size <= a->size || size > KSLAB_CHUNK_SIZE)
		return false;
	order = kslab_kmalloc_block_order(a->size);
	new_order = kslab_kmalloc_block_order(size);
	if (kmalloc_usable_for(size) != KSLAB_PAGE_SIZE << new_order ||
	    !kslab_grow_pages(p, order, new_order))
		return false;
	*a->word = KMALLOC_BLOCK_WORD(new_order);
	if (gfp & __GFP_ZERO)
		kslab_memset((char *)p + a->size, 0,
			     (KSLAB_PAGE_SIZE << new_order) - a->size);
	/* Counted again at its new size, as a block that moved would be. */
	kslab_profile_free_large(p);
	kslab_profile_alloc_large(p, caller);
	return true;
}

/**
 * kslab_krealloc_op() - kslab_krealloc() for a front end
 * @p:    as for kslab_krealloc()
 * @size: as for kslab_krealloc()
 * @gfp:  as for kslab_krealloc()
 * @op:   the call a report names: "krealloc", "realloc"
 * @caller: the site debugged caches record: the front end's caller
 *
 * Return: as kslab_krealloc().
 */
void *kslab_krealloc_op(void *p, size_t size, gfp_t gfp, const char *op,
			unsigned long caller)
{
	struct kmalloc_alloc a;
	enum kmalloc_kind kind;
	void *q;

	if (KSLAB_ZERO_OR_NULL_PTR(p))
		return kmalloc_sized(size, gfp, caller);
	if (!size) {
		kfree_caller(p, caller);
		return KSLAB_ZERO_SIZE_PTR;
	}
	kind = kmalloc_kind(p, &a);
	switch (kind) {
	case KMALLOC_NONE:
	case KMALLOC_FREED:
		kmalloc_bad_address(op, p, kind, true);
		return NULL;
	case KMALLOC_GUARDED:
		if (!a.size) {
			kslab_guard_bad(*a.word, p, op, true);
			return NULL;
		}
		break;
	case KMALLOC_LARGE:
		/* Keep it while it stays over half used: no copy, no new area. */
		if (size <= a.size && size > a.size / 2)
			return p;
		break;
	default:
		if (kmalloc_usable_for(size) == a.size ||
		    (kind == KMALLOC_BLOCK &&
		     kmalloc_block_grow(p, &a, size, gfp, caller)))
			return p;
		break;
	}
	/* A magazine's hit first: what __GFP_ZERO asks is zeroed below. */
	q = kslab_kmalloc_hit(size);
	if (!q)
		q = kmalloc_sized(size, gfp & ~__GFP_ZERO, caller);
	if (!q)
		return NULL;
	kslab_memcpy(q, p, size < a.size ? size : a.size);
	if ((gfp & __GFP_ZERO) && size > a.size)
		kslab_memset((char *)q + a.size, 0, kslab_ksize(q) - a.size);
	kfree_caller(p, caller);
	return q;
}

void *kslab_krealloc(void *p, size_t size, gfp_t gfp)
{
	return kslab_krealloc_op(p, size, gfp, "krealloc", KSLAB_RET_IP);
}
