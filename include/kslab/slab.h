/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Object caches: named caches of equal-sized objects with constructors,
 * slab colouring and per-CPU magazines. See Documentation/slab.rst.
 */
#ifndef KSLAB_SLAB_H
#define KSLAB_SLAB_H

#include <kslab/gfp.h>
#include <kslab/types.h>

KSLAB_BEGIN_DECLS

/*
 * Cache flags. Each one the kernel has too has the kernel's value of 6.1
 * (later kernels number them by their configuration), so a value written
 * for it means the same here; kslab's own sit in a bit the kernel keeps
 * for its internal use.
 */
#define KSLAB_HWCACHE_ALIGN		0x00002000UL /* align objects to cache lines */
#define KSLAB_PANIC			0x00040000UL /* stop the system if creation fails */
#define KSLAB_NO_MAGAZINE		0x40000000UL /* no per-CPU layer: straight to slabs */
/*
 * Kept in the cache's flags, changing nothing in how kslab lays out or
 * hands out objects: kslab's pages come from chunks every cache shares,
 * so none is charged to a memory cgroup, and every slab kslab holds free
 * is as reclaimable as another (Documentation/slab.rst).
 */
#define KSLAB_ACCOUNT			0x04000000UL /* charge objects to memory cgroups */
#define KSLAB_RECLAIM_ACCOUNT		0x00020000UL /* objects are reclaimable */
/* Debugging (Documentation/debugging.rst); KSLAB_DEBUG sets them too. */
#define KSLAB_CONSISTENCY_CHECKS	0x00000100UL /* F: object states checked */
#define KSLAB_RED_ZONE			0x00000400UL /* Z: red zones around objects */
#define KSLAB_POISON			0x00000800UL /* P: freed objects poisoned */
#define KSLAB_STORE_USER		0x00010000UL /* U: alloc/free sites kept */
/* Slabs go back only after an RCU grace period (Documentation/rcu.rst). */
#define KSLAB_TYPESAFE_BY_RCU		0x00080000UL
/* Every flag above: kslab_cache_create() refuses any other bit. */
#define KSLAB_CACHE_FLAGS	(KSLAB_HWCACHE_ALIGN | KSLAB_NO_MAGAZINE | \
				 KSLAB_PANIC | KSLAB_ACCOUNT | \
				 KSLAB_RECLAIM_ACCOUNT | KSLAB_POISON | \
				 KSLAB_RED_ZONE | KSLAB_STORE_USER | \
				 KSLAB_CONSISTENCY_CHECKS | KSLAB_TYPESAFE_BY_RCU)

/* The largest object a cache holds: one object in a slab of the top order. */
#define KSLAB_SLAB_MAX_ORDER		5
#define KSLAB_MAX_OBJECT_SIZE		(KSLAB_PAGE_SIZE << KSLAB_SLAB_MAX_ORDER)

/* The most rounds a magazine holds (struct kslab_cache_args). */
#define KSLAB_MAGAZINE_MAX		254

struct kslab_cache;

/**
 * struct kslab_magazine_counters - how allocations and frees were served
 * @alloc_hit:  allocations served by a CPU's loaded magazine
 * @alloc_swap: ... by swapping in the CPU's previous magazine
 * @alloc_miss: ... that went to the depot or the slab layer (all of a
 *              cache without magazines)
 * @free_hit:   frees into a CPU's loaded magazine
 * @free_swap:  ... after swapping in the previous magazine
 * @free_miss:  ... that went to the depot or the slab layer (likewise)
 */
struct kslab_magazine_counters {
	unsigned long alloc_hit;
	unsigned long alloc_swap;
	unsigned long alloc_miss;
	unsigned long free_hit;
	unsigned long free_swap;
	unsigned long free_miss;
};

/**
 * struct kslab_cache_args - optional properties of a cache
 * @align:         object alignment, a power of two; 0 for the natural one
 * @ctor:          run once on each object when its slab is made
 * @dtor:          run on each object when its slab goes back to the pages
 * @magazine_size: rounds per magazine; 0 to choose from the object size
 * @useroffset:    start of the part of an object that may be copied to or
 *                 from user memory (hardened usercopy's window)
 * @usersize:      its length; 0 for none. Kept and shown in the cache's
 *                 statistics; it must lie inside the object.
 * @freeptr_offset: where an allocator may keep its free pointer in a free
 *                 object, with @use_freeptr_offset: kslab keeps none in
 *                 the objects of a cache (free maps and magazines are
 *                 outside them), so it only checks the offset is valid:
 *                 word-aligned, inside the object, and the cache
 *                 KSLAB_TYPESAFE_BY_RCU or constructed
 * @use_freeptr_offset: whether @freeptr_offset is given
 */
struct kslab_cache_args {
	unsigned int align;
	void (*ctor)(void *obj);
	void (*dtor)(void *obj);
	unsigned int magazine_size;
	unsigned int useroffset;
	unsigned int usersize;
	unsigned int freeptr_offset;
	bool use_freeptr_offset;
};

/**
 * struct kslab_cache_stats - a snapshot of one cache
 * @flags:         KSLAB_* flags in force, debugging from KSLAB_DEBUG included
 * @object_size:   bytes asked for at creation
 * @useroffset:    the usercopy window's start (struct kslab_cache_args)
 * @usersize:      its length; 0 for none
 * @size:          bytes between objects (size rounded up to the alignment)
 * @objs_per_slab: objects in each slab
 * @pages_per_slab: pages in each slab
 * @off_slab:      whether slab headers live outside the slab
 * @colours:       distinct colour offsets the cache's slabs cycle through
 * @magazine_size: rounds in the magazines the depot hands out now
 * @active_objs:   objects out of the slabs: with callers or in magazines
 * @num_objs:      objects the cache's slabs hold
 * @active_slabs:  slabs with at least one object out
 * @num_slabs:     slabs the cache holds
 * @magazine_objs: objects cached in per-CPU and depot magazines
 * @depot_objs:    of those, the objects in the depot
 * @magazine:      how allocations and frees were served, summed over CPUs
 * @depot_full_gets: full magazines handed from the depot to a CPU
 * @depot_full_puts: full magazines given to the depot
 * @depot_empty_gets: empty magazines handed from the depot to a CPU
 * @depot_empty_puts: empty magazines given to the depot
 * @depot_full:    full magazines in the depot now
 * @depot_empty:   empty magazines in the depot now
 * @depot_contended: depot lock acquisitions that found it held
 * @magazine_resizes: times contention or churn made the magazines larger
 * @slab_grows:    slabs made
 * @slab_frees:    slabs given back to the buddy allocator
 * @refills:       batches taken from the slab layer
 * @flushes:       batches returned to the slab layer
 * @bad_frees:     frees reported as invalid and ignored
 * @quarantined:   objects found corrupt and kept out of use for good
 * @delayed_objs:  objects a debugged cache holds back after their free
 *                 (KSLAB_QUARANTINE), among the active ones
 * @requested_bytes: internal fragmentation, with @padding_waste to
 *                 @tail_waste (Documentation/stats.rst): @object_size
 *                 times the objects with callers (the active ones less
 *                 those in magazines and held back)
 * @stride_bytes:  @size times those objects
 * @slab_bytes:    the bytes of the cache's slabs' pages
 * @padding_waste: @stride_bytes less @requested_bytes: alignment and
 *                 debugging's red zones and tracks
 * @free_waste:    the strides of the free objects, in slabs and magazines
 * @tail_waste:    what no object's stride covers in each slab (an on-slab
 *                 header, colour slack), times the slabs; @slab_bytes is
 *                 the sum of @requested_bytes and the three wastes
 */
struct kslab_cache_stats {
	unsigned long flags;
	unsigned long object_size;
	unsigned long useroffset;
	unsigned long usersize;
	unsigned long size;
	unsigned long objs_per_slab;
	unsigned long pages_per_slab;
	bool off_slab;
	unsigned long colours;
	unsigned long magazine_size;
	unsigned long active_objs;
	unsigned long num_objs;
	unsigned long active_slabs;
	unsigned long num_slabs;
	unsigned long magazine_objs;
	unsigned long depot_objs;
	struct kslab_magazine_counters magazine;
	unsigned long depot_full_gets;
	unsigned long depot_full_puts;
	unsigned long depot_empty_gets;
	unsigned long depot_empty_puts;
	unsigned long depot_full;
	unsigned long depot_empty;
	unsigned long depot_contended;
	unsigned long magazine_resizes;
	unsigned long slab_grows;
	unsigned long slab_frees;
	unsigned long refills;
	unsigned long flushes;
	unsigned long bad_frees;
	unsigned long quarantined;
	unsigned long delayed_objs;
	unsigned long requested_bytes;
	unsigned long stride_bytes;
	unsigned long slab_bytes;
	unsigned long padding_waste;
	unsigned long free_waste;
	unsigned long tail_waste;
};

/**
 * kslab_debug_configure() - set which caches later creations debug
 * @option: in KSLAB_DEBUG's syntax (Documentation/debugging.rst); NULL or
 *          "" for none
 *
 * Replaces what KSLAB_DEBUG said; caches that exist keep their flags.
 * Return: 0, or -1 with a report if @option is bad (then nothing changes).
 */
KSLAB_API
int kslab_debug_configure(const char *option);

/**
 * kslab_nr_cpus() - how many CPU ids there are
 *
 * Every CPU id, as kslab_cache_cpu_stats() takes, is below it.
 * Return: the count.
 */
KSLAB_API
unsigned int kslab_nr_cpus(void);

/**
 * kslab_env_percpu_mode() - how per-CPU magazines are protected (userspace)
 *
 * Return: "rseq" (restartable sequences, no atomic on the fast path),
 * "lock" (a per-CPU lock; without rseq, or with KSLAB_PERCPU=lock) or
 * "single" (the sequences without rseq, for one thread only).
 */
KSLAB_USER_API
const char *kslab_env_percpu_mode(void);

/**
 * kslab_env_thp_mode() - whether chunks get transparent huge pages (userspace)
 *
 * Read from KSLAB_THP and the system at the first chunk mapped
 * (Documentation/port.rst, "Transparent huge pages").
 * Return: "on" (every chunk advised for huge pages), "off" (none: 4 KiB
 * pages), "auto" (chunks mapped once the process holds 64 MiB of them)
 * or "none" (the system gives no huge pages: THP "never", none in the
 * kernel, or disabled for the process).
 */
KSLAB_USER_API
const char *kslab_env_thp_mode(void);

/**
 * kslab_cache_create() - make a named cache of objects
 * @name:  shown in slabinfo and reports; copied (truncated to 31 bytes)
 * @size:  bytes per object, 1 to KSLAB_MAX_OBJECT_SIZE
 * @args:  alignment, constructor, destructor, magazine size; may be NULL
 * @flags: KSLAB_* flags
 *
 * Return: the cache, or NULL with a report if an argument is bad or memory
 * runs out. With KSLAB_PANIC a failure stops the program instead.
 */
KSLAB_API
struct kslab_cache *kslab_cache_create(const char *name, unsigned int size,
				       const struct kslab_cache_args *args,
				       unsigned long flags);

/**
 * kslab_cache_alloc() - allocate one object
 * @cache: the cache
 * @gfp:   GFP_KERNEL or GFP_ATOMIC; __GFP_ZERO clears the object
 *
 * The object is in its constructed state, as the constructor left it or as
 * it was when last freed. Return: the object, or NULL if memory ran out.
 */
KSLAB_API
void *kslab_cache_alloc(struct kslab_cache *cache, gfp_t gfp);

/**
 * kslab_cache_alloc_node() - allocate one object of a NUMA node's memory
 * @cache: the cache
 * @gfp:   as for kslab_cache_alloc(); with __GFP_THISNODE, @node's memory
 *         or NULL
 * @node:  the node, or -1 (NUMA_NO_NODE) for the calling CPU's
 *
 * The calling CPU's node is what kslab_cache_alloc() gives anyway, from
 * this CPU's magazines; another node's object comes from that node's
 * slabs, more slowly. Without __GFP_THISNODE a node out of memory lends
 * another's. Return: the object, or NULL if memory ran out.
 */
KSLAB_API
void *kslab_cache_alloc_node(struct kslab_cache *cache, gfp_t gfp, int node);

/**
 * kslab_cache_free() - give an object back to its cache
 * @cache: the cache it was allocated from
 * @obj:   the object, in constructed state; NULL does nothing
 *
 * A pointer that is not the start of an object of @cache is reported and
 * ignored. A double free is caught at once if the object is on top of
 * the CPU's magazine, else when it reaches its slab (at once for
 * KSLAB_NO_MAGAZINE and debugged caches, else when magazines are
 * flushed); until then a magazine may hand the object out twice. kmalloc
 * blocks are caught at every double free (Documentation/debugging.rst).
 */
KSLAB_API
void kslab_cache_free(struct kslab_cache *cache, void *obj);
KSLAB_API
void kslab_cache_free_rcu(struct kslab_cache *cache, void *obj);
KSLAB_API
bool kslab_rcu_flush(void);

/**
 * struct kslab_rcu_stats - deferred frees (kslab_kfree_rcu() and friends)
 * @queued:  objects ever given to them
 * @pending: of those, not freed yet
 * @batches: grace-period callbacks queued for them
 */
struct kslab_rcu_stats {
	unsigned long queued;
	unsigned long pending;
	unsigned long batches;
};

KSLAB_API
void kslab_rcu_stats(struct kslab_rcu_stats *stats);

/**
 * kslab_cache_alloc_bulk() - allocate several objects at once
 * @cache: the cache
 * @gfp:   as for kslab_cache_alloc()
 * @nr:    how many
 * @objs:  receives them
 *
 * All or nothing. Return: @nr, or 0 with nothing allocated.
 */
KSLAB_API
int kslab_cache_alloc_bulk(struct kslab_cache *cache, gfp_t gfp, size_t nr,
			   void **objs);

/**
 * kslab_cache_free_bulk() - free several objects of one cache
 * @cache: the cache
 * @nr:    how many
 * @objs:  the objects, each checked as kslab_cache_free() does
 */
KSLAB_API
void kslab_cache_free_bulk(struct kslab_cache *cache, size_t nr, void **objs);

/*
 * Sheaves (mm/sheaf.c): objects set aside beforehand, where the caller may
 * still sleep, for a section that must not fail. A sheaf is one of the
 * cache's magazines lent whole (a chain of them past KSLAB_MAGAZINE_MAX
 * objects); its objects count as allocated until they are given back.
 */
struct kslab_sheaf;

/**
 * kslab_sheaf_prefill() - set objects aside
 * @cache: the cache
 * @gfp:   as for kslab_cache_alloc(); __GFP_ZERO is for kslab_sheaf_alloc()
 * @size:  objects the caller may need; the sheaf may hold more
 *
 * Takes a full magazine from the cache's depot where there is one, else
 * fills a new one through the cache's allocation path (fault injection,
 * debug checks and all). Return: the sheaf, or NULL with nothing held if
 * memory ran out.
 */
KSLAB_API
struct kslab_sheaf *kslab_sheaf_prefill(struct kslab_cache *cache, gfp_t gfp,
					unsigned int size);

/**
 * kslab_sheaf_refill() - make a sheaf hold at least @size objects again
 * @cache:  its cache
 * @gfp:    as for kslab_sheaf_prefill()
 * @sheafp: the sheaf; it may be replaced by a larger one
 * @size:   objects wanted in it
 *
 * Return: 0, or -1 if memory ran out; the sheaf then holds at least what
 * it held before.
 */
KSLAB_API
int kslab_sheaf_refill(struct kslab_cache *cache, gfp_t gfp,
		       struct kslab_sheaf **sheafp, unsigned int size);

/**
 * kslab_sheaf_alloc() - take one object from a sheaf
 * @cache: its cache
 * @gfp:   __GFP_ZERO clears the object; nothing else matters here
 * @sheaf: the sheaf
 *
 * Never sleeps, takes no lock and never reaches the slabs.
 * Context: any, with the sheaf the caller's alone.
 * Return: the object, or NULL if the sheaf is empty.
 */
KSLAB_API
void *kslab_sheaf_alloc(struct kslab_cache *cache, gfp_t gfp,
			struct kslab_sheaf *sheaf);

/**
 * kslab_sheaf_return() - give a sheaf and the objects left in it back
 * @cache: its cache
 * @gfp:   unused: giving back never sleeps
 * @sheaf: the sheaf; NULL does nothing
 *
 * The depot takes the magazine whole where it fits the cache's own.
 */
KSLAB_API
void kslab_sheaf_return(struct kslab_cache *cache, gfp_t gfp,
			struct kslab_sheaf *sheaf);

/**
 * kslab_sheaf_size() - the objects a sheaf holds now
 * @sheaf: the sheaf
 *
 * Return: the count.
 */
KSLAB_API
unsigned int kslab_sheaf_size(const struct kslab_sheaf *sheaf);

/**
 * kslab_cache_shrink() - give back every page the cache can spare
 * @cache: the cache
 *
 * Flushes every CPU's magazines and the depot into the slabs, then gives
 * every empty slab back to the buddy allocator, and the empty slabs of the
 * internal caches the freed magazines and headers went back to. Process
 * context. Return: the number of this cache's pages given back (the
 * internal caches' pages come on top).
 */
KSLAB_API
int kslab_cache_shrink(struct kslab_cache *cache);

/**
 * kslab_cache_reap() - trim a cache to its recent working set
 * @cache: the cache
 *
 * Frees the depot magazines that stayed unused since the previous reap
 * (Bonwick's working-set rule), grows the magazine size if the depot lock
 * was contended meanwhile, and gives back empty slabs beyond the few kept.
 * Process context. Return: the number of pages given back.
 */
KSLAB_API
int kslab_cache_reap(struct kslab_cache *cache);

/**
 * kslab_reap_all() - kslab_cache_reap() on every cache, and kmalloc's
 * large spares freed before the last call back to the system
 *
 * Return: the number of pages given back.
 */
KSLAB_API
int kslab_reap_all(void);

/**
 * kslab_shrink_all() - give back all the memory kslab can, now
 *
 * Every cache shrunk (every CPU's magazines flushed, as
 * kslab_cache_shrink() does), deferred frees flushed, and kmalloc's kept
 * large memory and the default zone's wholly free chunks, kept ones too,
 * given back: with kslab_zone_discard_free() on the default zone, what
 * malloc_trim() asks. Context: process context.
 * Return: the pages given back to the buddy allocator or the environment.
 */
KSLAB_API
int kslab_shrink_all(void);

/**
 * struct kslab_memory_stats - where kslab's memory is, all caches together
 * @zone_bytes:       memory the default zone holds (its chunks)
 * @zone_free_bytes:  of that, in free buddy blocks
 * @slab_bytes:       of that, in the caches' slabs
 * @cached_bytes:     of the slabs, free objects: in slabs, magazines,
 *                    depots, and a debugged cache's held-back frees
 * @cached_objs:      how many objects that is
 * @large_bytes:      kmalloc's allocations beyond the buddy allocator,
 *                    taken from the environment apart from the zone
 * @large_blocks:     how many there are
 * @large_kept_bytes: freed large memory kept for reuse
 * @large_peak_blocks: the most large allocations live at once so far
 * @large_peak_bytes: the most bytes they held at once so far
 * @in_use_bytes:     what callers hold: the zone's memory less its free
 *                    blocks and free objects, plus the large allocations
 *                    (kslab's own descriptors and magazines included)
 * @requested_bytes:  internal fragmentation of all caches together
 *                    (struct kslab_cache_stats): bytes callers asked for,
 * @padding_waste:    the padding of their strides, and
 * @tail_waste:       the slabs' tails; with @cached_bytes, their free
 *                    objects, these add up to @slab_bytes
 */
struct kslab_memory_stats {
	size_t zone_bytes;
	size_t zone_free_bytes;
	size_t slab_bytes;
	size_t cached_bytes;
	unsigned long cached_objs;
	size_t large_bytes;
	unsigned long large_blocks;
	size_t large_kept_bytes;
	unsigned long large_peak_blocks;
	size_t large_peak_bytes;
	size_t in_use_bytes;
	size_t requested_bytes;
	size_t padding_waste;
	size_t tail_waste;
};

/**
 * kslab_memory_stats() - a snapshot of where kslab's memory is
 * @stats: filled in
 *
 * Visits every cache (each CPU's magazines included), so it costs as
 * much as a slabinfo. Context: process context.
 */
KSLAB_API
void kslab_memory_stats(struct kslab_memory_stats *stats);

/**
 * kslab_cache_destroy() - destroy an empty cache
 * @cache: the cache; NULL does nothing
 *
 * A cache with objects still allocated is reported with their count and
 * left in place, so those objects stay valid; its spare pages are given
 * back all the same. Process context.
 */
KSLAB_API
void kslab_cache_destroy(struct kslab_cache *cache);

/**
 * kslab_cache_stats() - read a cache's counters
 * @cache: the cache
 * @stats: filled in; per-CPU counters are summed over all CPUs
 */
KSLAB_API
void kslab_cache_stats(struct kslab_cache *cache,
		       struct kslab_cache_stats *stats);

/**
 * kslab_cache_cpu_stats() - read one CPU's magazine counters
 * @cache: the cache
 * @cpu:   a CPU id below kslab_nr_cpus()
 * @stats: its magazine counters and the objects its two magazines hold
 *         (magazine_objs) filled in, the rest zero
 */
KSLAB_API
void kslab_cache_cpu_stats(struct kslab_cache *cache, unsigned int cpu,
			   struct kslab_cache_stats *stats);

/**
 * kslab_cache_check() - verify every invariant of a cache's slabs
 * @cache: the cache
 *
 * Walks the full, partial and empty lists: each slab is on the list its use
 * count says, its free map holds the free objects its use count leaves and
 * none past its last, its head page points back at it, each of its pages
 * carries the word frees are checked against, and the cache's counts of
 * slabs, empty slabs and objects out agree with the walk. Each violation
 * is reported.
 * Return: the number of violations found; 0 when consistent.
 */
KSLAB_API
unsigned long kslab_cache_check(struct kslab_cache *cache);

/**
 * kslab_check_all() - kslab_cache_check() every cache, then every node's zone
 *
 * Process context. Return: the violations found, all told; 0 when
 * consistent.
 */
KSLAB_API
unsigned long kslab_check_all(void);

/**
 * kslab_cache_size() - the object size a cache was created with
 * @cache: the cache
 *
 * Return: the bytes of each object a caller may use.
 */
KSLAB_API
unsigned int kslab_cache_size(const struct kslab_cache *cache);

/**
 * kslab_cache_name() - the name a cache was created with
 * @cache: the cache
 *
 * Return: its name.
 */
KSLAB_API
const char *kslab_cache_name(const struct kslab_cache *cache);

/**
 * kslab_slabinfo_format() - describe every cache like /proc/slabinfo 2.1
 * @buf:  where to write; may be NULL if @size is 0
 * @size: bytes available in @buf
 *
 * A version line, a header line, then one line per cache with the 2.1
 * columns followed by kslab's magazine, depot and slab counters.
 * Return: the length the full text needs, as snprintf() does.
 */
KSLAB_API
size_t kslab_slabinfo_format(char *buf, size_t size);

/* The version of kslab_stats_json()'s document: raised when a meaning changes. */
#define KSLAB_STATS_JSON_VERSION	1

/**
 * kslab_stats_json() - every figure kslab keeps, as one JSON document
 * @buf:  where it goes, NUL-terminated if @size allows
 * @size: bytes at @buf
 *
 * Where the memory is (struct kslab_memory_stats), each buddy zone, each
 * cache with its magazine, depot and per-CPU figures, and the deferred
 * frees, under "kslab_stats_version" KSLAB_STATS_JSON_VERSION; the schema
 * is Documentation/kslab-stats.schema.json. Costs what a slabinfo does,
 * and a per-CPU walk for each cache. Context: process context.
 * Return: the length of the whole document, as snprintf() counts.
 */
KSLAB_API
size_t kslab_stats_json(char *buf, size_t size);

KSLAB_END_DECLS

#endif /* KSLAB_SLAB_H */
