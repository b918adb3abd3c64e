/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Object cache internals (as the kernel keeps struct kmem_cache in
 * mm/slab.h): the cache and slab descriptors, the O(1) lookups from an
 * address to its slab, cache and object, and the functions the files of
 * the object cache layers offer each other: mm/slab.c and mm/slab_map.c
 * (the slab layer), mm/slab_check.c, mm/slab_common.c (creation,
 * destruction, statistics). The fast paths built on them are in
 * mm/fast_path.h. Internal to mm/.
 */
#ifndef KSLAB_MM_SLAB_H
#define KSLAB_MM_SLAB_H

#include <kslab/buddy.h>
#include <kslab/slab.h>

#include "list.h"
#include "magazine.h"
#include "page.h"

#define KSLAB_CACHE_NAME_LEN	32
/*
 * The head page of a slab names it for the slow paths (kslab_obj_to_slab()):
 * owner is the slab, private the cache's address XOR this tag, which no
 * other owner of a page descriptor writes there.
 */
#define KSLAB_PAGE_OWNER_SLAB	0x5ab5ab5aUL

static inline unsigned long kslab_slab_page_tag(const struct kslab_cache *cache)
{
	return (unsigned long)cache ^ KSLAB_PAGE_OWNER_SLAB;
}
/* Internal caches (headers, magazines): headers on the slab, no magazines. */
#define KSLAB_CACHE_INTERNAL	0x80000000UL

/*
 * cache->fault: why fault injection sends every allocation of a cache to
 * the slow path, past its magazines (mm/fault.c).
 */
#define KSLAB_CACHE_FAULT_TARGET	0x1	/* the cache point names it */

/*
 * A slab: one buddy block cut into objects. Which objects are free is a
 * bitmap in the header, never anything in the objects, so a free object
 * keeps the state its constructor (or its last user) left; one bit per
 * object, so a 64-byte object costs 1/512 of itself in the header. Bit k
 * stands for object k given back; objects never out yet are those the
 * slab's shuffle puts at positions from fresh on. Each word, and fresh,
 * is stored XORed with a key drawn from the cache's secret and its
 * address (mm/slab_map.c).
 */
struct kslab_slab {
	struct kslab_list_head node;	/* cache's full, partial or empty list */
	struct kslab_cache *cache;
	char *s_mem;			/* first object, after the colour */
	unsigned short inuse;
	unsigned short fresh;		/* keyed: positions below were out once */
	unsigned int colour : 24;	/* byte offset of s_mem in the object area */
	unsigned int nid : 8;		/* NUMA node of its pages, for good */
	unsigned short *sites;		/* profiling: each object's site, or NULL */
	unsigned long free_map[];
};

/* Objects are 8 bytes or more (KSLAB_MIN_ALIGN): a slab's count fits. */
_Static_assert((KSLAB_PAGE_SIZE << KSLAB_SLAB_MAX_ORDER) / 8 <= 0xffff,
	       "a slab's objects must fit inuse and fresh");
_Static_assert((KSLAB_PAGE_SIZE << KSLAB_SLAB_MAX_ORDER) <= 1UL << 24 &&
	       KSLAB_MAX_NODES <= 256, "a slab's colour and node must fit");

/*
 * A slab's shuffle (mm/slab_map.c): a keyed permutation of its objects,
 * a page's worth (a window) at a time. Each permutation is over a domain
 * of @n values, by a Feistel network over @high + @low bits, the value's
 * high and low parts (@high 0: none).
 */
#define KSLAB_SHUFFLE_ROUNDS	4
struct kslab_shuffle_domain {
	unsigned long n;
	unsigned int high;
	unsigned int low;
};

/* What every slab of a cache shares: set once, as the layout is chosen. */
struct kslab_shuffle_shape {
	unsigned long per_window;	/* objects in a window; 0: no shuffle */
	unsigned long window_recip;	/* 2^32 / per_window, rounded up */
	unsigned long windows;		/* whole windows; a partial one last */
	struct kslab_shuffle_domain order;	/* of the whole windows */
	struct kslab_shuffle_domain within;	/* inside a whole window */
	struct kslab_shuffle_domain tail;	/* inside the partial one */
};

/*
 * A NUMA node's slabs of a cache that have a free object. Full slabs are
 * never taken from, so they share one list.
 */
struct kslab_node_slabs {
	struct kslab_list_head partial;
	struct kslab_list_head empty;
};

struct kslab_cache {
	/* read on every allocation and free */
	struct kslab_cpu_cache *cpu;	/* per-CPU handle */
	unsigned long obj_key;		/* see kslab_obj_valid() */
	unsigned long index_magic;	/* see kslab_obj_index() */
	unsigned long objs_per_slab;
	unsigned int index_shift;
	unsigned int size;		/* stride between objects */
	unsigned long flags;
	unsigned int object_size;
	unsigned int fault;		/* KSLAB_CACHE_FAULT_*, read on slow paths */
	unsigned long free_tag;		/* kmalloc's classes: see mm/kmalloc.h */
	void (*ctor)(void *obj);
	void (*dtor)(void *obj);

	/* slab layer, under ->lock */
	struct kslab_spinlock lock;
	struct kslab_list_head slabs_full;
	struct kslab_node_slabs node_slabs[KSLAB_MAX_NODES];
	unsigned long nr_slabs;
	unsigned long nr_empty;		/* of every node */
	unsigned long active_objs;	/* out of the slabs */
	unsigned long quarantined;	/* of those, never to be used again */
	unsigned int colour_next;
	unsigned long slab_grows;
	unsigned long slab_frees;
	unsigned long refills;
	unsigned long flushes;
	struct kslab_atomic bad_frees;

	/* fixed layout, chosen at creation */
	unsigned int align;
	unsigned int order;		/* of each slab */
	unsigned int colours;
	unsigned int colour_step;
	unsigned int header_size;	/* struct kslab_slab and its free map */
	unsigned int useroffset;	/* usercopy window, kept for users */
	unsigned int usersize;
	struct kslab_cache *header_cache; /* off-slab headers come from here */
	unsigned int max_empty;		/* empty slabs kept */
	unsigned long secret;		/* random: free-map keys, slab shuffles */
	struct kslab_shuffle_shape shuffle;	/* its slabs' (mm/slab_map.c) */
	unsigned int obj_offset;	/* debug: left red zone before each object */
	unsigned int meta_offset;	/* debug: object start to its state */
	/* debug: freed objects held back before reuse, oldest at the head */
	void **delayed;
	unsigned int delayed_cap;
	unsigned int delayed_head;
	unsigned int delayed_count;

	struct kslab_depot depot;
	struct kslab_list_head cache_node;	/* kslab_caches */
	char name[KSLAB_CACHE_NAME_LEN];
};

/* The free map of a slab (mm/slab_map.c); under the cache's lock. */
#define KSLAB_MAP_BITS		(8 * sizeof(unsigned long))

static inline unsigned long kslab_map_words(unsigned long objs)
{
	return (objs + KSLAB_MAP_BITS - 1) / KSLAB_MAP_BITS;
}

void kslab_map_shape_init(struct kslab_cache *cache);
void kslab_map_fill(const struct kslab_cache *cache, struct kslab_slab *slab);
void kslab_map_clear(const struct kslab_cache *cache, struct kslab_slab *slab);

/*
 * One slab's: its cache's shape and its own key; and the last whole
 * window a position was found in, with its place in the windows' order,
 * since a run of takes goes a window at a time (~0UL: none yet).
 */
struct kslab_shuffle {
	const struct kslab_shuffle_shape *shape;
	unsigned long key;
	unsigned long window;
	unsigned long window_to;
};

/*
 * A run of kslab_map_take() on one slab, under one hold of the cache's
 * lock: the shuffle's keys made once, and the map word the search goes
 * on from (nothing is given back meanwhile, so the lowest object given
 * back only rises).
 */
struct kslab_map_cursor {
	struct kslab_shuffle sh;
	unsigned long word;
};

void kslab_map_cursor_init(const struct kslab_cache *cache,
			   const struct kslab_slab *slab,
			   struct kslab_map_cursor *cursor);
unsigned int kslab_map_take(const struct kslab_cache *cache,
			    struct kslab_slab *slab,
			    struct kslab_map_cursor *cursor, bool *first);
unsigned int kslab_map_window_ahead(const struct kslab_cache *cache,
				    const struct kslab_slab *slab,
				    struct kslab_map_cursor *cursor);
unsigned int kslab_map_take_window(const struct kslab_cache *cache,
				   struct kslab_slab *slab,
				   struct kslab_map_cursor *cursor);
void kslab_map_window_shuffle(const struct kslab_map_cursor *cursor,
			      unsigned int first, void **objs, unsigned int n);
bool kslab_map_was_out(const struct kslab_cache *cache,
		       const struct kslab_slab *slab, unsigned int index,
		       unsigned long fresh);

/* 2^64 over the golden ratio: a multiplier that spreads a word's bits. */
#define KSLAB_GOLDEN		0x9e3779b97f4a7c15UL

/*
 * The key a map word, or slab->fresh, is stored XORed with (hardening,
 * mm/slab_map.c): the cache's secret and the word's address.
 */
static inline unsigned long kslab_map_key(const struct kslab_cache *cache,
					  const void *word)
{
	if (!KSLAB_HARDENING)
		return 0;
	return cache->secret ^ ((unsigned long)word * KSLAB_GOLDEN);
}

/* Word @i of @slab's map, and the word stored keyed. */
static inline unsigned long kslab_map_get(const struct kslab_cache *cache,
					  const struct kslab_slab *slab,
					  unsigned long i)
{
	return slab->free_map[i] ^ kslab_map_key(cache, &slab->free_map[i]);
}

static inline void kslab_map_set(const struct kslab_cache *cache,
				 struct kslab_slab *slab, unsigned long i,
				 unsigned long bits)
{
	slab->free_map[i] = bits ^ kslab_map_key(cache, &slab->free_map[i]);
}

/* Positions of @slab's shuffle taken so far. */
static inline unsigned long kslab_map_fresh(const struct kslab_cache *cache,
					    const struct kslab_slab *slab)
{
	return (unsigned short)(slab->fresh ^ kslab_map_key(cache, &slab->fresh));
}

/*
 * kslab_map_take()'s first choice, inline for a refill's loop: the lowest
 * object given back in the cursor's word, taken, its index in *@index.
 * Return: false, taking nothing, where that word holds none (the cursor's
 * last word, or none left): kslab_map_take() looks on.
 */
static inline bool kslab_map_take_given(const struct kslab_cache *cache,
					struct kslab_slab *slab,
					struct kslab_map_cursor *cursor,
					unsigned int *index)
{
	unsigned long bits;

	if (cursor->word >= kslab_map_words(cache->objs_per_slab))
		return false;
	bits = kslab_map_get(cache, slab, cursor->word);
	if (!bits)
		return false;
	kslab_map_set(cache, slab, cursor->word, bits & (bits - 1));
	*index = (unsigned int)(cursor->word * KSLAB_MAP_BITS +
				(unsigned long)__builtin_ctzl(bits));
	return true;
}

/**
 * kslab_map_give() - mark an object free again
 * @cache: its cache
 * @slab:  its slab
 * @index: its index, below objs_per_slab
 *
 * Inline, for a flush gives each of a magazine's objects back this way:
 * once a slab has handed out every object, a give back is one bit set in
 * one keyed word, with no call.
 * Return: false, changing nothing, if it is free already (a double free):
 * given back, or never out.
 */
static inline bool kslab_map_give(const struct kslab_cache *cache,
				  struct kslab_slab *slab, unsigned int index)
{
	unsigned long i = index / KSLAB_MAP_BITS;
	unsigned long bit = 1UL << (index % KSLAB_MAP_BITS);
	unsigned long fresh = kslab_map_fresh(cache, slab), bits;

	if (fresh < cache->objs_per_slab &&
	    !kslab_map_was_out(cache, slab, index, fresh))
		return false;
	bits = kslab_map_get(cache, slab, i);
	if (bits & bit)
		return false;
	kslab_map_set(cache, slab, i, bits | bit);
	return true;
}

unsigned long kslab_map_free_count(const struct kslab_cache *cache,
				   const struct kslab_slab *slab);

/*
 * All caches. Lock order: kslab_caches_lock, then kslab_caches_list_lock
 * or a CPU's section (never both), then depot, then cache.
 */
extern struct kslab_list_head kslab_caches;
extern struct kslab_mutex kslab_caches_lock;

/*
 * The list's links alone, for the walker that may not take
 * kslab_caches_lock (kslab_cpu_dead(), under the CPU hotplug lock): a
 * cache is linked and unlinked under both.
 */
extern struct kslab_spinlock kslab_caches_list_lock;

/*
 * Bytes of the objects in the depots' full magazines and of empty slabs:
 * what kslab_reclaim() could give back, kept where those change so that
 * kslab_reclaimable_bytes() reads it without a lock.
 */
extern struct kslab_atomic kslab_idle_bytes;

/*
 * Caches by number, written under kslab_caches_lock and read without it.
 * A cache's number is part of its key, so a page word names its cache.
 */
#define KSLAB_MAX_CACHES	4096
#define KSLAB_CACHE_KEY_SHIFT	(KSLAB_CHUNK_SHIFT + 1)
#define KSLAB_CACHE_KEY(id)	((1UL << 62) + ((unsigned long)(id) << KSLAB_CACHE_KEY_SHIFT))
/* An address less its page word and KSLAB_CACHE_KEY(0), less its number. */
#define KSLAB_CACHE_KEY_OFFSET	((1UL << KSLAB_CACHE_KEY_SHIFT) - 1)
extern struct kslab_cache *kslab_cache_ids[KSLAB_MAX_CACHES] kslab_hidden;

static inline unsigned long kslab_cache_id(const struct kslab_cache *cache)
{
	return (cache->obj_key - KSLAB_CACHE_KEY(0)) >> KSLAB_CACHE_KEY_SHIFT;
}

/**
 * kslab_cache_number() - the number of the cache an object belongs to
 * @obj: any address
 * @word: the page word of @obj (kslab_env_page_word()), not NULL
 *
 * @obj less its page word is its cache's key plus its offset from its
 * slab's first object, and a key's number sits above every offset. For an
 * address that is no object the answer is a guess: kslab_obj_valid() with
 * its cache is the proof. A word of 0 (a page in no slab) names no cache
 * without a test of its own: only an address in [2^62, 2^62 + 2^35) would
 * give a number in range, and no 64-bit machine maps such non-canonical
 * addresses. Return: the number, KSLAB_MAX_CACHES or more if none.
 */
static inline unsigned long kslab_cache_number(const void *obj,
					       unsigned long word)
{
	return ((unsigned long)obj - word - KSLAB_CACHE_KEY(0)) >>
	       KSLAB_CACHE_KEY_SHIFT;
}

/*
 * Does @obj hold @cache's free tag (mm/kmalloc.h), or has the cache none?
 * A peek: a memory checker may have closed the object, or left its bytes
 * undefined.
 */
static inline bool kslab_free_tag_held(const struct kslab_cache *cache,
				       const void *obj)
{
	return !cache->free_tag ||
	       kslab_env_mem_peek_word(obj) == cache->free_tag;
}

/* The cache kslab_cache_number() names, or NULL. */
static inline struct kslab_cache *kslab_cache_of(const void *obj,
						 unsigned long word)
{
	unsigned long id = kslab_cache_number(obj, word);

	if (id >= KSLAB_MAX_CACHES)
		return NULL;
	return KSLAB_READ_ONCE(kslab_cache_ids[id]);
}

/*
 * Set once kslab_nr_nodes() says more than one node (mm/buddy.c, before
 * the first object exists); read by every free after that.
 */
extern bool kslab_numa kslab_hidden;

/**
 * kslab_obj_away() - is @obj of another node's memory than this CPU's?
 * @obj: an object, proven one
 *
 * Such an object goes back to its slab, on its own node's lists, never
 * into this CPU's magazine: a CPU's magazines hold its node's objects
 * alone, so its allocations are node-local. On a system of one node this
 * is one load and a branch predicted not taken; on more, a page map
 * lookup as well. The CPU is a hint (the thread may move at once): a
 * rare object lands in a magazine of another node, which costs distance,
 * never correctness.
 */
static inline bool kslab_obj_away(const void *obj)
{
	return kslab_unlikely(KSLAB_READ_ONCE(kslab_numa)) &&
	       kslab_page_node(obj) != (int)kslab_cpu_node(kslab_cpu_id());
}

/* Slab layer (mm/slab.c) */
int kslab_slab_layout(struct kslab_cache *cache);
unsigned int kslab_slab_alloc_batch(struct kslab_cache *cache, gfp_t gfp,
				    unsigned int node, void **objs,
				    unsigned int nr, unsigned long caller);
void kslab_slab_free_batch(struct kslab_cache *cache, void **objs,
			   unsigned int nr, unsigned long caller);
unsigned long kslab_slab_release_empty(struct kslab_cache *cache,
				       unsigned long keep);
void kslab_slab_release_all(struct kslab_cache *cache);
void kslab_slab_drain_delayed(struct kslab_cache *cache);
/* What kslab_obj_check() found wrong with a pointer handed to a free. */
enum kslab_obj_error {
	KSLAB_OBJ_OK,
	KSLAB_OBJ_FOREIGN,	/* no kslab chunk holds it */
	KSLAB_OBJ_NOT_SLAB,	/* kslab memory, but no slab's */
	KSLAB_OBJ_WRONG_CACHE,	/* another cache's object */
	KSLAB_OBJ_INSIDE,	/* not the start of an object */
	KSLAB_OBJ_DOUBLE_FREE,	/* its slab has no object out */
	KSLAB_OBJ_TAG_LOST,	/* a free one whose free tag is gone */
};


/* The head page of the block @page lies in, if that block is allocated. */
static inline struct kslab_page *kslab_block_head(struct kslab_page *page)
{
	struct kslab_page *head;

	if (kslab_likely(page->state == KSLAB_PAGE_HEAD))
		return page;
	/* A tail mark outlives its block: trust it only if covered. */
	head = kslab_page_head(page);
	if (head->state != KSLAB_PAGE_HEAD ||
	    page->index >= head->index + (1UL << head->order))
		return NULL;
	return head;
}

/**
 * kslab_page_to_slab() - the slab a page lies in
 * @page: a page descriptor, or NULL
 *
 * Return: the slab, or NULL if @page is in no slab.
 */
static inline struct kslab_slab *kslab_page_to_slab(struct kslab_page *page)
{
	struct kslab_slab *slab;

	if (kslab_unlikely(!page))
		return NULL;
	page = kslab_block_head(page);
	if (!page || !page->owner || !page->private)
		return NULL;
	slab = page->owner;
	return page->private == kslab_slab_page_tag(slab->cache) ? slab : NULL;
}

/**
 * kslab_obj_to_slab() - the slab an address lies in
 * @obj: any address
 *
 * Return: the slab, or NULL if @obj is in no slab.
 */
static inline struct kslab_slab *kslab_obj_to_slab(const void *obj)
{
	return kslab_page_to_slab(kslab_virt_to_page(obj));
}

/* kslab_obj_index() of a cache whose index_magic and index_shift are given. */
static inline unsigned long kslab_index_at(unsigned long off,
					   unsigned long magic,
					   unsigned int shift)
{
	unsigned long x = off * magic;

	return (x >> shift) | (x << ((64 - shift) & 63));
}

/**
 * kslab_obj_index() - which object starts at an offset into a slab
 * @cache: the cache
 * @off:   bytes from the slab's first object, any value at all
 *
 * The size is 2^index_shift times an odd factor, and index_magic is that
 * factor's inverse modulo 2^64. Multiplying by the inverse and rotating
 * right by the shift maps every multiple j * size to j, and is a bijection
 * of 64-bit words, so every other offset maps elsewhere: negative,
 * misaligned and past-the-end offsets all come out at objs_per_slab or
 * more (exact division as in Granlund and Montgomery, PLDI 1994).
 * Return: the index, below objs_per_slab only if an object starts at @off.
 */
static inline unsigned long kslab_obj_index(const struct kslab_cache *cache,
					    unsigned long off)
{
	return kslab_index_at(off, cache->index_magic, cache->index_shift);
}

/* kslab_obj_valid() given the page word of @obj. */
static inline bool kslab_obj_in(const struct kslab_cache *cache,
				const void *obj, unsigned long word)
{
	return kslab_obj_index(cache, (unsigned long)obj - word -
					     cache->obj_key) <
	       cache->objs_per_slab;
}

/**
 * kslab_obj_valid() - is @obj the start of an object of @cache?
 * @cache: the cache it is being freed to
 * @obj:   the pointer
 *
 * The free fast path's whole check: one page word and some arithmetic.
 * Every page of a slab has the word s_mem - obj_key of its cache (0 for a
 * page in no slab), so @obj less the word less @cache's key is @obj's
 * offset from s_mem when the slab is @cache's. Keys are 2^62 plus a cache
 * number times twice the largest slab (KSLAB_CACHE_KEY()), so for another
 * cache's slab, or a page in none, that difference lands outside every
 * slab-sized range at zero: kslab_obj_index() then says no object starts
 * there.
 * Return: true if it is; kslab_obj_check() then says what is wrong.
 */
static inline bool kslab_obj_valid(const struct kslab_cache *cache,
				   const void *obj)
{
	const unsigned long *word = kslab_env_page_word(obj);

	if (kslab_unlikely(!word))
		return false;
	return kslab_obj_in(cache, obj, *word);
}

/* The first page of a slab's block. */
static inline void *kslab_slab_pages(const struct kslab_cache *cache,
				     const struct kslab_slab *slab)
{
	if (cache->header_cache)
		return slab->s_mem - slab->colour - cache->obj_offset;
	return (void *)slab;
}

/* The page word of every page of a slab whose first object is @s_mem. */
static inline unsigned long kslab_slab_word(const struct kslab_cache *cache,
					    const void *s_mem)
{
	return (unsigned long)s_mem - cache->obj_key;
}

enum kslab_obj_error kslab_obj_check(struct kslab_cache *cache,
				     const void *obj, struct kslab_slab **slab,
				     unsigned long *offset);

/* Deferred frees (mm/rcu_free.c) */
int kslab_rcu_init(void);
void kslab_rcu_exit(void);
void kslab_rcu_wait_frees(void);

/* Creation and teardown (mm/slab_common.c) */
void kslab_report_bad_free(struct kslab_cache *cache, enum kslab_obj_error err,
			   const void *obj, const struct kslab_slab *slab,
			   unsigned long offset);
struct kslab_cache *kslab_header_cache(unsigned int size);
struct kslab_cache *kslab_magazine_cache(unsigned int capacity);
bool kslab_cache_release(struct kslab_cache *cache);

#endif /* KSLAB_MM_SLAB_H */
