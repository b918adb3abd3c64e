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

#include "fault.h"
#include "kmalloc.h"

/*
 * Classes: 8 of 8 bytes up to 64, then 2^KMALLOC_STEP_BITS per power of
 * two up to 32 KiB.
 */
#define KMALLOC_SMALL_CLASSES	8
#define KMALLOC_SMALL_MAX	64
#define KMALLOC_STEP_BITS	3
#define KMALLOC_STEPS		(1U << KMALLOC_STEP_BITS)
#define KMALLOC_CLASSES		(KMALLOC_SMALL_CLASSES + KMALLOC_STEPS * (15 - 6))

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

/**
 * kslab_kmalloc_fast_sync() - make the fast table say what it must now
 *
 * Each slot holds its class, or nothing while the class is not made or
 * the kmalloc fault point is armed. Called after either changes, from any
 * context; takes no lock. Two calls may overlap (a class made while the
 * point is armed): each goes over the table again until the point's state
 * it read is still the state after its writes, so the last word is the
 * current state's.
 */
void kslab_kmalloc_fast_sync(void)
{
	struct kslab_cache *cache;
	unsigned long armed, slot;

	do {
		armed = kslab_load_acquire(&kslab_fault_armed) &
			(1UL << KSLAB_FAULT_KMALLOC);
		for (slot = 1; slot < KSLAB_KMALLOC_FAST_SLOTS; slot++) {
			cache = kslab_load_acquire(&kmalloc_caches[kmalloc_index(slot * 8)]);
			kslab_kmalloc_fast_size[slot] =
				(unsigned int)kmalloc_class_size(kmalloc_index(slot * 8));
			KSLAB_WRITE_ONCE(kslab_kmalloc_fast[slot],
					 cache && !armed ? cache->cpu : NULL);
		}
		kslab_smp_mb();
	} while ((KSLAB_READ_ONCE(kslab_fault_armed) &
		  (1UL << KSLAB_FAULT_KMALLOC)) != armed);
}

/* Make every class cache not made yet. Return: the cache of @index. */
static kslab_cold kslab_noinline
struct kslab_cache *kmalloc_caches_init(unsigned int index)
{
	struct kslab_cache_args args = { 0 };
	char name[KSLAB_CACHE_NAME_LEN];
	unsigned int i;

	kslab_mutex_lock(&kmalloc_lock);
	for (i = 0; i < KMALLOC_CLASSES; i++) {
		if (kmalloc_caches[i])
			continue;
		args.align = (unsigned int)kmalloc_class_align(i);
		kslab_snprintf(name, sizeof(name), "kmalloc-%lu",
			       (unsigned long)kmalloc_class_size(i));
		kslab_store_release(&kmalloc_caches[i],
				    kslab_cache_create(name,
						       (unsigned int)kmalloc_class_size(i),
						       &args, 0));
	}
	kslab_kmalloc_fast_sync();
	kslab_mutex_unlock(&kmalloc_lock);
	return kmalloc_caches[index];
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
	unsigned int i, kept = 0;

	kslab_mutex_lock(&kmalloc_lock);
	for (i = 0; i < KMALLOC_CLASSES; i++) {
		if (!kmalloc_caches[i])
			continue;
		if (kslab_cache_release(kmalloc_caches[i]))
			kslab_store_release(&kmalloc_caches[i], NULL);
		else
			kept++;
	}
	kslab_kmalloc_fast_sync();
	kslab_mutex_unlock(&kmalloc_lock);
	return kept;
}

int kslab_kmalloc_init(void)
{
	unsigned int i;

	kmalloc_caches_init(0);
	for (i = 0; i < KMALLOC_CLASSES; i++)
		if (!kslab_load_acquire(&kmalloc_caches[i]))
			return -1;
	return 0;
}

static struct kslab_cache *kmalloc_cache(unsigned int index)
{
	struct kslab_cache *cache = kslab_load_acquire(&kmalloc_caches[index]);

	if (kslab_unlikely(!cache))
		cache = kmalloc_caches_init(index);
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

/* @caller: the site debugged caches record; each entry point passes its own. */
static void *kmalloc_class_alloc(unsigned int index, gfp_t gfp,
				 unsigned long caller)
{
	struct kslab_cache *cache = kmalloc_cache(index);

	return cache ? kslab_cache_alloc_fast(cache, gfp, caller) : NULL;
}

/* The buddy order whose blocks hold @bytes. */
static unsigned int kmalloc_block_order(size_t bytes)
{
	unsigned int order = 0;

	while ((KSLAB_PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

/* Beyond the classes: a whole buddy block, or the environment's memory. */
static void *kmalloc_large(size_t size, size_t align, gfp_t gfp)
{
	size_t need = size > align ? size : align;
	unsigned int order;
	void *p;

	if (need > KSLAB_CHUNK_SIZE)
		return kslab_env_large_alloc(size, align, gfp);
	order = kmalloc_block_order(need);
	p = kslab_alloc_pages(gfp, order);
	if (p)
		*kslab_env_page_word(p) = KMALLOC_BLOCK_WORD(order);
	return p;
}

static void *kmalloc_sized(size_t size, gfp_t gfp, unsigned long caller)
{
	if (kslab_unlikely(!size))
		return KSLAB_ZERO_SIZE_PTR;
	if (kslab_fault_hit(KSLAB_FAULT_KMALLOC))
		return NULL;
	if (kslab_likely(size <= KSLAB_KMALLOC_MAX_CACHE_SIZE))
		return kmalloc_class_alloc(kmalloc_index(size), gfp, caller);
	return kmalloc_large(size, KSLAB_PAGE_SIZE, gfp);
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

static void *kmalloc_aligned(size_t size, size_t align, gfp_t gfp,
			     unsigned long caller)
{
	unsigned int index;

	if (!align || (align & (align - 1)) ||
	    kslab_fault_hit(KSLAB_FAULT_KMALLOC))
		return NULL;
	if (!size)
		size = 1;
	if (size <= KSLAB_KMALLOC_MAX_CACHE_SIZE)
		for (index = kmalloc_index(size); index < KMALLOC_CLASSES; index++)
			if (kmalloc_class_align(index) >= align)
				return kmalloc_class_alloc(index, gfp, caller);
	return kmalloc_large(size, align > KSLAB_PAGE_SIZE ? align :
			     KSLAB_PAGE_SIZE, gfp);
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
	KMALLOC_BLOCK,		/* a buddy block kmalloc handed out whole */
	KMALLOC_LARGE,		/* the environment's large allocation */
	KMALLOC_NONE,		/* none of them: a bad address */
};

struct kmalloc_alloc {
	struct kslab_cache *cache;	/* KMALLOC_OBJECT */
	unsigned long *word;		/* KMALLOC_BLOCK: its head page word */
	size_t size;			/* usable bytes */
};

static enum kmalloc_kind kmalloc_kind(const void *p, struct kmalloc_alloc *a)
{
	unsigned long *word = kslab_env_page_word(p);
	unsigned long w = word ? *word : 0;

	a->cache = kslab_cache_of(p, w);
	if (a->cache && kslab_obj_in(a->cache, p, w)) {
		a->size = a->cache->object_size;
		return KMALLOC_OBJECT;
	}
	if ((w & ~KMALLOC_BLOCK_ORDER) == KMALLOC_BLOCK_TAG &&
	    !((unsigned long)p & (KSLAB_PAGE_SIZE - 1))) {
		a->word = word;
		a->size = KSLAB_PAGE_SIZE << (w & KMALLOC_BLOCK_ORDER);
		return KMALLOC_BLOCK;
	}
	a->size = kslab_env_large_size(p);
	return a->size ? KMALLOC_LARGE : KMALLOC_NONE;
}

/* Report a free (or krealloc) of an address kmalloc did not hand out. */
static kslab_cold kslab_noinline void kmalloc_bad_address(const char *op,
							   const void *p)
{
	struct kslab_slab *slab = kslab_obj_to_slab(p);
	enum kslab_obj_error err;
	unsigned long offset;

	if (slab) {
		err = kslab_obj_check(slab->cache, p, &slab, &offset);
		if (err != KSLAB_OBJ_OK) {
			kslab_report_bad_free(slab->cache, err, p, slab, offset);
			return;
		}
		kslab_report(KSLAB_LOG_ERR,
			     "BUG %s: %s of object=%p whose page word names no cache",
			     slab->cache->name, op, p);
		return;
	}
	kslab_report(KSLAB_LOG_ERR, "BUG kmalloc: %s of address %s object=%p",
		     op, kslab_virt_to_page(p) ? "that starts no allocation" :
						 "not managed by kslab", p);
}

/**
 * kslab_kfree_slow() - what kfree's fast path leaves
 * @p:      NULL, a block, large memory or a bad address: everything
 *          kslab_free_any_object() did not take (an object it would have
 *          taken is freed all the same; kmalloc_kind() agrees with it)
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
		kslab_cache_free_object(a.cache, (void *)p, caller);
		break;
	case KMALLOC_NONE:
		kmalloc_bad_address("free", p);
		break;
	case KMALLOC_BLOCK:
		*a.word = 0;
		kslab_free_pages((void *)p, kmalloc_block_order(a.size));
		break;
	case KMALLOC_LARGE:
		kslab_env_large_free((void *)p);
		break;
	}
}

void kslab_kfree(const void *p)
{
	/* Callers 0: the slow halves, tail-called, see kfree()'s caller. */
	if (kslab_unlikely(!kslab_free_any_object(p, 0)))
		kslab_kfree_slow(p, 0);
}

/* kslab_kfree() on behalf of @caller, for krealloc(). */
static void kfree_caller(const void *p, unsigned long caller)
{
	if (kslab_unlikely(!kslab_free_any_object(p, caller)))
		kslab_kfree_slow(p, caller);
}

size_t kslab_ksize(const void *p)
{
	struct kmalloc_alloc a;

	if (KSLAB_ZERO_OR_NULL_PTR(p) || kmalloc_kind(p, &a) == KMALLOC_NONE)
		return 0;
	return a.size;
}

/* The usable size kmalloc gives @size, or 0 beyond the buddy blocks. */
static size_t kmalloc_usable_for(size_t size)
{
	if (size <= KSLAB_KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_class_size(kmalloc_index(size));
	if (size <= KSLAB_CHUNK_SIZE)
		return KSLAB_PAGE_SIZE << kmalloc_block_order(size);
	return 0;
}

void *kslab_krealloc(void *p, size_t size, gfp_t gfp)
{
	struct kmalloc_alloc a;
	void *q;

	if (KSLAB_ZERO_OR_NULL_PTR(p))
		return kmalloc_sized(size, gfp, KSLAB_RET_IP);
	if (!size) {
		kfree_caller(p, KSLAB_RET_IP);
		return KSLAB_ZERO_SIZE_PTR;
	}
	switch (kmalloc_kind(p, &a)) {
	case KMALLOC_NONE:
		kmalloc_bad_address("krealloc", p);
		return NULL;
	case KMALLOC_LARGE:
		/* Keep it while it stays over half used: no copy, no new area. */
		if (size <= a.size && size > a.size / 2)
			return p;
		break;
	default:
		if (kmalloc_usable_for(size) == a.size)
			return p;
		break;
	}
	q = kmalloc_sized(size, gfp & ~__GFP_ZERO, KSLAB_RET_IP);
	if (!q)
		return NULL;
	kslab_memcpy(q, p, size < a.size ? size : a.size);
	if ((gfp & __GFP_ZERO) && size > a.size)
		kslab_memset((char *)q + a.size, 0, kslab_ksize(q) - a.size);
	kfree_caller(p, KSLAB_RET_IP);
	return q;
}
