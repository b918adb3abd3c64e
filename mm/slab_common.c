// SPDX-License-Identifier: GPL-2.0
/*
 * Object caches as a whole: creation and its checks, destruction,
 * shrinking and reaping, reclaim under memory pressure, a CPU going away,
 * statistics and slabinfo.
 *
 * Owns the list of caches, the estimate of what reclaim could give back
 * (kslab_idle_bytes) and the internal caches that slab headers and
 * magazines come from. Internal caches keep their headers on the slab and
 * use no magazines, so making them needs nothing but the buddy allocator.
 *
 * Lock order: kslab_caches_lock (a mutex: creation, destruction, shrink,
 * reap and slabinfo are process-context work), then the per-CPU sections,
 * depot and cache locks of mm/magazine.c and mm/slab.c. Shrink and the
 * statistics visit every CPU under kslab_caches_lock, which in the kernel
 * takes the CPU hotplug lock (kslab_each_cpu_exclusive()); so the hotplug
 * callback, which runs with that lock held for writing, must not take
 * kslab_caches_lock. kslab_cpu_dead() walks the list under
 * kslab_caches_list_lock instead: a spinlock taken inside
 * kslab_caches_lock only to link or unlink a cache, never held while the
 * hotplug lock or a CPU's section is taken. Reclaim may run inside any
 * allocation, kslab's own under kslab_caches_lock included, so it only
 * tries that mutex (kslab_reclaim()).
 */
#include <kslab/report.h>

#include "check.h"
#include "fault.h"
#include "kmalloc.h"
#include "kmalloc_guard.h"
#include "kmalloc_large.h"
#include "name.h"
#include "profile.h"
#include "region.h"
#include "slab_debug.h"
#include "zone.h"

/* The smallest alignment an object gets: room for any scalar. */
#define KSLAB_MIN_ALIGN		8
/* Empty slabs a cache keeps for reuse before giving them back. */
#define KSLAB_EMPTY_SLABS_KEPT	2

struct kslab_list_head kslab_caches = { &kslab_caches, &kslab_caches };
struct kslab_cache *kslab_cache_ids[KSLAB_MAX_CACHES] kslab_env_table;
KSLAB_DEFINE_MUTEX(kslab_caches_lock);
KSLAB_DEFINE_SPINLOCK(kslab_caches_list_lock);
struct kslab_atomic kslab_idle_bytes = KSLAB_ATOMIC_INIT(0);

static const unsigned int header_sizes[] = { 64, 128, 256, 512, 1024 };
static struct kslab_cache *header_caches[KSLAB_ARRAY_SIZE(header_sizes)];
/* Magazines are 64 to 2048 bytes: 16 of header, then 6 to 254 rounds. */
#define MAGAZINE_CLASSES	6
static struct kslab_cache *magazine_caches[MAGAZINE_CLASSES];
static bool internal_caches_ready;

/**
 * kslab_header_cache() - the internal cache off-slab headers come from
 * @size: bytes the header needs
 *
 * Return: the smallest header cache that fits, or NULL if none does.
 */
struct kslab_cache *kslab_header_cache(unsigned int size)
{
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(header_sizes); i++)
		if (header_sizes[i] >= size)
			return header_caches[i];
	return NULL;
}

static unsigned int magazine_bytes(unsigned int capacity)
{
	return sizeof(struct kslab_magazine) + capacity * sizeof(void *);
}

/**
 * kslab_magazine_cache() - the internal cache magazines of a capacity use
 * @capacity: one of the magazine capacity classes
 *
 * Return: the cache.
 */
struct kslab_cache *kslab_magazine_cache(unsigned int capacity)
{
	unsigned int bytes = magazine_bytes(capacity);

	KSLAB_BUG_ON(bytes & (bytes - 1));
	return magazine_caches[__builtin_ctz(bytes) - 6];
}

const char *kslab_cache_name(const struct kslab_cache *cache)
{
	return cache->name;
}

unsigned int kslab_cache_size(const struct kslab_cache *cache)
{
	return cache->object_size;
}

static unsigned int cache_align(unsigned int size, unsigned int align,
				unsigned long flags)
{
	unsigned int line = KSLAB_CACHE_LINE;

	if (align < KSLAB_MIN_ALIGN)
		align = KSLAB_MIN_ALIGN;
	if (flags & KSLAB_HWCACHE_ALIGN) {
		/* Small objects share a line rather than each padding one. */
		while (size <= line / 2 && line > KSLAB_MIN_ALIGN)
			line /= 2;
		if (line > align)
			align = line;
	}
	return align;
}

/* Undo cache_new(). Under kslab_caches_lock. */
static void cache_descriptor_free(struct kslab_cache *cache)
{
	unsigned long id = kslab_cache_id(cache);

	if (cache->cpu)
		kslab_magazine_exit(cache);
	if (cache->delayed)
		kslab_env_meta_free(cache->delayed,
				    cache->delayed_cap * sizeof(void *));
	if (id < KSLAB_MAX_CACHES && kslab_cache_ids[id] == cache)
		kslab_store_release(&kslab_cache_ids[id], NULL);
	kslab_env_meta_free(cache, sizeof(*cache));
}

/*
 * The magic kslab_obj_index() divides by: the size's power of two, and the
 * inverse of its odd factor modulo 2^64 (Newton's iteration doubles the
 * bits correct each step; an odd number is its own inverse to 3 bits).
 */
static void cache_set_index(struct kslab_cache *cache)
{
	unsigned long odd, inverse;
	unsigned int step;

	cache->index_shift = (unsigned int)__builtin_ctz(cache->size);
	odd = cache->size >> cache->index_shift;
	inverse = odd;
	for (step = 0; step < 5; step++)
		inverse *= 2 - odd * inverse;
	cache->index_magic = inverse;
}

/* Numbers from here up were never given: their table entries are unread. */
static unsigned long cache_ids_given;

/*
 * Give @cache the lowest free number and its key: 2^62 plus the number
 * times twice the largest slab (see kslab_obj_valid()). A destroyed
 * cache's number is free again: its slabs, and so its page words, are
 * gone. Only numbers given before are searched, so a new entry is
 * written before anything reads it: a table page read first would fault
 * in as zeroes, then fault again at the write. Under kslab_caches_lock.
 * Return: false if all are taken.
 */
static bool cache_number(struct kslab_cache *cache)
{
	unsigned long id;

	for (id = 0; id < cache_ids_given; id++)
		if (!kslab_cache_ids[id])
			break;
	if (id == KSLAB_MAX_CACHES)
		return false;
	if (id == cache_ids_given)
		cache_ids_given++;
	cache->obj_key = KSLAB_CACHE_KEY(id);
	kslab_store_release(&kslab_cache_ids[id], cache);
	return true;
}

/* Make and list a cache whose arguments are valid. Under kslab_caches_lock. */
static struct kslab_cache *cache_new(const char *name, unsigned int size,
				     const struct kslab_cache_args *args,
				     unsigned long flags)
{
	struct kslab_cache *cache;
	unsigned int node;

	cache = kslab_meta_alloc(sizeof(*cache), GFP_KERNEL);
	if (!cache)
		return NULL;
	kslab_name_copy(cache->name, sizeof(cache->name), name);
	cache->flags = flags;
	cache->secret = kslab_env_random();
	cache->object_size = size;
	cache->align = cache_align(size, args ? args->align : 0, flags);
	cache->size = KSLAB_ALIGN_UP(size, cache->align);
	if (args) {
		cache->ctor = args->ctor;
		cache->dtor = args->dtor;
		cache->useroffset = args->useroffset;
		cache->usersize = args->usersize;
	}
	if (!(flags & KSLAB_CACHE_INTERNAL))
		cache->flags |= kslab_debug_flags_for(cache->name);
	if (cache->flags & KSLAB_DEBUG_FLAGS)
		kslab_debug_layout(cache);
	/* Without room for it, a debugged cache holds nothing back. */
	if (cache->flags & KSLAB_DEBUG_FLAGS) {
		cache->delayed_cap = kslab_debug_quarantine_size();
		cache->delayed = cache->delayed_cap ?
			kslab_meta_alloc(cache->delayed_cap * sizeof(void *),
					 GFP_KERNEL) : NULL;
		if (!cache->delayed)
			cache->delayed_cap = 0;
	}
	cache_set_index(cache);
	kslab_spin_init(&cache->lock);
	kslab_list_init(&cache->slabs_full);
	for (node = 0; node < KSLAB_MAX_NODES; node++) {
		kslab_list_init(&cache->node_slabs[node].partial);
		kslab_list_init(&cache->node_slabs[node].empty);
	}
	cache->max_empty = KSLAB_EMPTY_SLABS_KEPT;
	cache->fault = kslab_fault_cache_bits(cache);
	if (kslab_slab_layout(cache) || !cache_number(cache) ||
	    kslab_magazine_init(cache, args ? args->magazine_size : 0)) {
		cache_descriptor_free(cache);
		return NULL;
	}
	/* Internal caches last, so reaping visits their users first. */
	kslab_spin_lock(&kslab_caches_list_lock);
	if (flags & KSLAB_CACHE_INTERNAL)
		kslab_list_add_tail(&cache->cache_node, &kslab_caches);
	else
		kslab_list_add(&cache->cache_node, &kslab_caches);
	kslab_spin_unlock(&kslab_caches_list_lock);
	return cache;
}

static int internal_caches_init(void)
{
	unsigned long flags = KSLAB_CACHE_INTERNAL | KSLAB_NO_MAGAZINE;
	char name[KSLAB_CACHE_NAME_LEN];
	unsigned int i;

	if (internal_caches_ready)
		return 0;
	kslab_profile_init();
	for (i = 0; i < KSLAB_ARRAY_SIZE(header_sizes); i++) {
		if (header_caches[i])
			continue;
		kslab_name_number(name, sizeof(name), "kslab-slab-",
				  header_sizes[i]);
		header_caches[i] = cache_new(name, header_sizes[i], NULL, flags);
		if (!header_caches[i])
			return -1;
	}
	for (i = 0; i < MAGAZINE_CLASSES; i++) {
		unsigned int bytes = 64U << i;

		if (magazine_caches[i])
			continue;
		kslab_name_number(name, sizeof(name), "kslab-magazine-",
				  (bytes - magazine_bytes(0)) / sizeof(void *));
		magazine_caches[i] = cache_new(name, bytes, NULL, flags);
		if (!magazine_caches[i])
			return -1;
	}
	if (kslab_rcu_init())
		return -1;
	internal_caches_ready = true;
	return 0;
}

static const char *args_error(const char *name, unsigned int size,
			      const struct kslab_cache_args *args,
			      unsigned long flags)
{
	const char *c;

	if (!name || !*name)
		return "no name";
	for (c = name; *c; c++)
		if (*c <= ' ')	/* slabinfo columns are split on blanks */
			return "name contains a blank or control character";
	if (!size || size > KSLAB_MAX_OBJECT_SIZE)
		return "object size out of range";
	if (args && (args->align & (args->align - 1)))
		return "alignment is not a power of two";
	if (args && args->align > KSLAB_PAGE_SIZE)
		return "alignment larger than a page";
	if (args && args->magazine_size > KSLAB_MAGAZINE_MAX)
		return "magazine size too large";
	/* Another allocator's flag read as one of these would do harm. */
	if (flags & ~KSLAB_CACHE_FLAGS)
		return "unknown flags";
	if (args && (args->useroffset > size ||
		     args->usersize > size - args->useroffset))
		return "usercopy window outside the object";
	if (args && args->use_freeptr_offset &&
	    (args->freeptr_offset % sizeof(void *) ||
	     size < sizeof(void *) ||
	     args->freeptr_offset > size - sizeof(void *)))
		return "free pointer offset outside the object or misaligned";
	if (args && args->use_freeptr_offset && !args->ctor &&
	    !(flags & KSLAB_TYPESAFE_BY_RCU))
		return "free pointer offset for a cache neither constructed nor TYPESAFE_BY_RCU";
	return NULL;
}

/*
 * A TYPESAFE_BY_RCU cache's empty slabs go back through kslab_call_rcu(),
 * under kslab_caches_lock: made safe on this thread first.
 */
static bool typesafe_caches_made;

static void rcu_prepare_for(const struct kslab_cache *cache)
{
	if (cache ? cache->flags & KSLAB_TYPESAFE_BY_RCU :
		    KSLAB_READ_ONCE(typesafe_caches_made))
		kslab_rcu_prepare();
}

struct kslab_cache *kslab_cache_create(const char *name, unsigned int size,
				       const struct kslab_cache_args *args,
				       unsigned long flags)
{
	struct kslab_cache *cache = NULL;
	const char *error;
	char msg[160];

	error = args_error(name, size, args, flags);
	if (!error) {
		/* Its destroy calls RCU under the lock (kslab_rcu_prepare()). */
		if (flags & KSLAB_TYPESAFE_BY_RCU) {
			kslab_rcu_prepare();
			KSLAB_WRITE_ONCE(typesafe_caches_made, true);
		}
		kslab_mutex_lock(&kslab_caches_lock);
		if (!internal_caches_init())
			cache = cache_new(name, size, args, flags);
		kslab_mutex_unlock(&kslab_caches_lock);
		if (cache)
			return cache;
		error = "out of memory";
	}
	kslab_snprintf(msg, sizeof(msg),
		       "cache %s not created: %s (size %u, align %u, flags %#lx)",
		       name ? name : "(null)", error, size,
		       args ? args->align : 0, flags);
	if (flags & KSLAB_PANIC) {
		char line[192];

		kslab_snprintf(line, sizeof(line), "kslab: %s", msg);
		kslab_env_panic(line);
	}
	kslab_report(KSLAB_LOG_ERR, "%s", msg);
	return NULL;
}

/* Read one of the counters cache->lock guards. */
static unsigned long cache_counter(struct kslab_cache *cache,
				   const unsigned long *counter)
{
	unsigned long n;

	kslab_spin_lock(&cache->lock);
	n = *counter;
	kslab_spin_unlock(&cache->lock);
	return n;
}

/*
 * Destroy @cache unless it has objects out; quarantined ones do not count,
 * their slabs go back with the rest. Its descriptor stays, off the list,
 * for cache_descriptor_release(). Under kslab_caches_lock, after
 * kslab_rcu_wait_frees() brought the objects freed with kslab_kfree_rcu()
 * back.
 */
static bool cache_destroy(struct kslab_cache *cache)
{
	unsigned long live;

	kslab_magazine_flush_all(cache);
	kslab_slab_drain_delayed(cache);
	kslab_slab_release_empty(cache, 0);
	kslab_spin_lock(&cache->lock);
	live = cache->active_objs - cache->quarantined;
	kslab_spin_unlock(&cache->lock);
	if (live) {
		kslab_report(KSLAB_LOG_ERR,
			     "BUG %s: destroyed with objects still allocated: %lu; cache kept",
			     cache->name, live);
		if (cache->flags & KSLAB_DEBUG_FLAGS)
			kslab_debug_report_leaks(cache);
		return false;
	}
	kslab_slab_release_all(cache);
	kslab_spin_lock(&kslab_caches_list_lock);
	kslab_list_del(&cache->cache_node);
	kslab_spin_unlock(&kslab_caches_list_lock);
	return true;
}

/* Free the descriptor of a cache cache_destroy() took off the list. */
static void cache_descriptor_release(struct kslab_cache *cache)
{
	/* Its slabs go back after a grace period, and need the cache then. */
	if (cache->flags & KSLAB_TYPESAFE_BY_RCU)
		kslab_rcu_barrier();
	cache_descriptor_free(cache);
}

/**
 * kslab_cache_release() - kslab_cache_destroy(), saying whether it did
 * @cache: the cache
 *
 * Return: true if the cache is gone, false if it had objects out (reported).
 */
bool kslab_cache_release(struct kslab_cache *cache)
{
	bool gone;

	/*
	 * The waits for grace periods are made outside kslab_caches_lock:
	 * in userspace they may allocate, and the drop-in malloc making a
	 * size class would wait for that lock (kslab_rcu_prepare()).
	 */
	kslab_rcu_wait_frees();
	rcu_prepare_for(cache);
	kslab_mutex_lock(&kslab_caches_lock);
	gone = cache_destroy(cache);
	kslab_mutex_unlock(&kslab_caches_lock);
	if (gone)
		cache_descriptor_release(cache);
	return gone;
}

void kslab_cache_destroy(struct kslab_cache *cache)
{
	if (cache)
		kslab_cache_release(cache);
}

/**
 * kslab_shutdown() - give everything back, for the kernel module's unload
 *
 * Reports and destroys every region still alive, destroys kmalloc's
 * classes, reports every other cache still alive (its name and the
 * objects it has out), and, if none is, destroys the internal caches and
 * gives the default zone's chunks and the page map's leaves back. Nothing
 * may use kslab meanwhile.
 * Return: the number of problems reported; 0 when nothing was left
 * behind and all memory went back.
 */
unsigned long kslab_shutdown(void)
{
	struct kslab_cache *cache, *tmp;
	unsigned long problems, regions;

	kslab_rcu_wait_frees();
	regions = kslab_regions_exit();
	problems = kslab_kmalloc_exit();

	kslab_mutex_lock(&kslab_caches_lock);
	kslab_list_for_each_entry(cache, &kslab_caches, cache_node) {
		if (cache->flags & KSLAB_CACHE_INTERNAL)
			continue;
		kslab_magazine_flush_all(cache);	/* count only users' objects */
		kslab_report(KSLAB_LOG_ERR,
			     "BUG %s: cache still exists at unload, %lu objects allocated",
			     cache->name, cache_counter(cache, &cache->active_objs));
		problems++;
	}
	if (!problems) {
		/* Users of an internal cache come first on the list: all gone. */
		kslab_list_for_each_entry_safe(cache, tmp, &kslab_caches,
					       cache_node) {
			if (cache_destroy(cache))
				cache_descriptor_release(cache);
			else
				problems++;
		}
		kslab_memset(header_caches, 0, sizeof(header_caches));
		kslab_memset(magazine_caches, 0, sizeof(magazine_caches));
		kslab_rcu_exit();
		kslab_profile_exit();
		internal_caches_ready = false;
	}
	kslab_mutex_unlock(&kslab_caches_lock);
	if (problems)
		return problems + regions;
	problems = kslab_default_zone_release() ? 1 : 0;
	kslab_pagemap_release();
	return problems + regions;
}

/* How far cache_trim() goes. */
enum trim {
	TRIM_IDLE,	/* reap: what the last interval left idle */
	TRIM_DEPOT,	/* reclaim: what no CPU holds; never sleeps */
	TRIM_ALL,	/* shrink: the CPUs' magazines and quarantine too */
};

/*
 * Flushing magazines already gives back the slabs it empties beyond the
 * few kept; count those too. Under kslab_caches_lock. Return: pages.
 */
static unsigned long cache_trim(struct kslab_cache *cache, enum trim how)
{
	unsigned long before = cache_counter(cache, &cache->slab_frees), pages;

	switch (how) {
	case TRIM_ALL:
		kslab_magazine_flush_all(cache);
		kslab_slab_drain_delayed(cache);
		break;
	case TRIM_DEPOT:
		kslab_depot_drain(cache);
		break;
	case TRIM_IDLE:
		kslab_depot_reap(cache);
		break;
	}
	kslab_slab_release_empty(cache, how == TRIM_IDLE ? cache->max_empty : 0);
	pages = (cache_counter(cache, &cache->slab_frees) - before) << cache->order;
	KSLAB_TRACE(reap, kslab_cache_id(cache), pages);
	return pages;
}

/*
 * Shrinking a cache frees its magazines and off-slab headers into the
 * internal caches; give their empty slabs back too, or they pin chunks.
 */
static unsigned long internal_caches_shrink(void)
{
	struct kslab_cache *cache;
	unsigned long pages = 0;

	kslab_list_for_each_entry(cache, &kslab_caches, cache_node)
		if (cache->flags & KSLAB_CACHE_INTERNAL)
			pages += cache_trim(cache, TRIM_ALL);
	return pages;
}

int kslab_cache_shrink(struct kslab_cache *cache)
{
	unsigned long pages;

	rcu_prepare_for(cache);
	kslab_mutex_lock(&kslab_caches_lock);
	pages = cache_trim(cache, TRIM_ALL);
	internal_caches_shrink();
	kslab_mutex_unlock(&kslab_caches_lock);
	return (int)pages;
}

int kslab_cache_reap(struct kslab_cache *cache)
{
	unsigned long pages;

	rcu_prepare_for(cache);
	kslab_mutex_lock(&kslab_caches_lock);
	pages = cache_trim(cache, TRIM_IDLE);
	kslab_mutex_unlock(&kslab_caches_lock);
	return (int)pages;
}

/*
 * Trim every cache as @how says, then kmalloc's kept large memory: all of
 * it for TRIM_ALL, else what was kept already at the last call.
 * Return: the pages given back.
 */
static unsigned long trim_all(enum trim how)
{
	struct kslab_cache *cache;
	unsigned long pages = 0;

	/* Partial batches of deferred frees go too, so none waits for ever. */
	kslab_rcu_flush();
	rcu_prepare_for(NULL);
	kslab_mutex_lock(&kslab_caches_lock);
	kslab_list_for_each_entry(cache, &kslab_caches, cache_node)
		pages += cache_trim(cache, how);
	kslab_mutex_unlock(&kslab_caches_lock);
	return pages + (kslab_kmalloc_large_reap(how == TRIM_ALL) >>
			KSLAB_PAGE_SHIFT);
}

int kslab_reap_all(void)
{
	return (int)trim_all(TRIM_IDLE);
}

int kslab_shrink_all(void)
{
	return (int)(trim_all(TRIM_ALL) +
		     kslab_default_zone_trim() * KSLAB_CHUNK_PAGES);
}

void kslab_memory_stats(struct kslab_memory_stats *stats)
{
	struct kslab_buddy_stats zone;
	struct kslab_cache_stats st;
	struct kslab_cache *cache;
	unsigned long free_objs;

	kslab_memset(stats, 0, sizeof(*stats));
	kslab_buddy_stats(&zone);
	stats->zone_bytes = zone.managed_pages << KSLAB_PAGE_SHIFT;
	stats->zone_free_bytes = zone.free_pages << KSLAB_PAGE_SHIFT;
	kslab_mutex_lock(&kslab_caches_lock);
	kslab_list_for_each_entry(cache, &kslab_caches, cache_node) {
		kslab_cache_stats(cache, &st);
		free_objs = st.num_objs - st.active_objs + st.magazine_objs +
			    st.delayed_objs;
		stats->slab_bytes += (st.num_slabs * st.pages_per_slab)
				     << KSLAB_PAGE_SHIFT;
		stats->cached_objs += free_objs;
		stats->cached_bytes += free_objs * st.size;
		stats->requested_bytes += st.requested_bytes;
		stats->padding_waste += st.padding_waste;
		stats->tail_waste += st.tail_waste;
	}
	kslab_mutex_unlock(&kslab_caches_lock);
	kslab_kmalloc_large_usage(stats);
	stats->in_use_bytes = stats->zone_bytes - stats->zone_free_bytes -
			      stats->cached_bytes + stats->large_bytes;
}

/**
 * kslab_reclaimable_bytes() - what kslab_reclaim() could give back
 *
 * The objects in the depots' full magazines, the empty slabs and the
 * default zone's kept free chunks: an estimate, read without a lock (the
 * objects' slabs need not all empty, and the CPUs' magazines are not
 * counted, since reclaim leaves them).
 * Context: any.
 * Return: bytes.
 */
size_t kslab_reclaimable_bytes(void)
{
	long idle = kslab_atomic_read(&kslab_idle_bytes);

	return (idle > 0 ? (size_t)idle : 0) +
	       kslab_default_zone_free_chunks() * KSLAB_CHUNK_SIZE;
}

/**
 * kslab_reclaim() - give memory back under pressure, never waiting
 * @nr_pages: pages wanted; more may go
 *
 * For the kernel's shrinker, which may run from direct reclaim inside any
 * allocation that may sleep, kslab's own included: caches' depots,
 * idle magazines or not, and empty slabs go back, cache by cache until
 * @nr_pages went to the buddy allocator, then the default zone's kept
 * free chunks. The CPUs' magazines stay: reaching them takes the CPU
 * hotplug lock, which the task reclaiming may hold already. Only tries
 * kslab_caches_lock, so a reclaim inside cache creation (which holds it
 * while it allocates) gives up rather than deadlock.
 * Context: process context; never sleeps.
 * Return: the pages given to the buddy allocator, or -1 if
 * kslab_caches_lock was held.
 */
long kslab_reclaim(unsigned long nr_pages)
{
	struct kslab_cache *cache;
	unsigned long pages = 0;

	if (!kslab_mutex_trylock(&kslab_caches_lock))
		return -1;
	kslab_list_for_each_entry(cache, &kslab_caches, cache_node) {
		pages += cache_trim(cache, TRIM_DEPOT);
		if (pages >= nr_pages)
			break;
	}
	kslab_mutex_unlock(&kslab_caches_lock);
	if (pages < nr_pages)
		pages += kslab_default_zone_trim() * KSLAB_CHUNK_PAGES;
	return (long)pages;
}

/**
 * kslab_cpu_dead() - take back what a CPU that went away held
 * @cpu: the CPU; it runs nothing of kslab's any more
 *
 * Its magazines in every cache go to the depots, counted as before. The
 * caller makes sure no kslab_each_cpu_exclusive() runs meanwhile (the
 * kernel: a CPU hotplug callback, with the hotplug lock held); the list
 * is walked under kslab_caches_list_lock, which is why that lock exists.
 * Context: process context; never sleeps.
 * Return: the objects the CPU's magazines held.
 */
unsigned long kslab_cpu_dead(unsigned int cpu)
{
	struct kslab_cache *cache;
	unsigned long objs = 0;

	kslab_spin_lock(&kslab_caches_list_lock);
	kslab_list_for_each_entry(cache, &kslab_caches, cache_node)
		objs += kslab_magazine_cpu_dead(cache, cpu);
	kslab_spin_unlock(&kslab_caches_list_lock);
	return objs;
}

/*
 * Internal fragmentation from the counts: the magazines are read after
 * the slabs, apart, so an object moving meanwhile may be counted on both
 * sides; the callers' share is kept within the slabs' objects.
 */
static void cache_frag_stats(struct kslab_cache_stats *st)
{
	unsigned long cached = st->magazine_objs + st->delayed_objs;
	unsigned long used = st->active_objs > cached ?
			     st->active_objs - cached : 0;
	unsigned long slab_size = st->pages_per_slab << KSLAB_PAGE_SHIFT;

	st->requested_bytes = used * st->object_size;
	st->stride_bytes = used * st->size;
	st->slab_bytes = st->num_slabs * slab_size;
	st->padding_waste = st->stride_bytes - st->requested_bytes;
	st->free_waste = (st->num_objs - used) * st->size;
	st->tail_waste = st->num_slabs *
			 (slab_size - st->objs_per_slab * st->size);
}

void kslab_cache_stats(struct kslab_cache *cache,
		       struct kslab_cache_stats *stats)
{
	kslab_memset(stats, 0, sizeof(*stats));
	stats->flags = cache->flags;
	stats->object_size = cache->object_size;
	stats->useroffset = cache->useroffset;
	stats->usersize = cache->usersize;
	stats->size = cache->size;
	stats->objs_per_slab = cache->objs_per_slab;
	stats->pages_per_slab = 1UL << cache->order;
	stats->off_slab = cache->header_cache != NULL;
	stats->colours = cache->colours;
	stats->bad_frees = (unsigned long)kslab_atomic_read(&cache->bad_frees);

	kslab_spin_lock(&cache->lock);
	stats->active_objs = cache->active_objs;
	stats->quarantined = cache->quarantined;
	stats->delayed_objs = cache->delayed_count;
	stats->num_slabs = cache->nr_slabs;
	stats->num_objs = cache->nr_slabs * cache->objs_per_slab;
	stats->active_slabs = cache->nr_slabs - cache->nr_empty;
	stats->slab_grows = cache->slab_grows;
	stats->slab_frees = cache->slab_frees;
	stats->refills = cache->refills;
	stats->flushes = cache->flushes;
	kslab_spin_unlock(&cache->lock);

	kslab_magazine_stats(cache, stats);
	cache_frag_stats(stats);
}

void kslab_cache_cpu_stats(struct kslab_cache *cache, unsigned int cpu,
			   struct kslab_cache_stats *stats)
{
	kslab_cpu_cache_stats(cache, cpu, stats);
}

/**
 * kslab_report_bad_free() - report a free that was refused
 * @cache:  the cache the object was freed to
 * @err:    what was wrong
 * @obj:    the pointer
 * @slab:   the slab it lies in, if any
 * @offset: how far into an object it points
 */
void kslab_report_bad_free(struct kslab_cache *cache, enum kslab_obj_error err,
			   const void *obj, const struct kslab_slab *slab,
			   unsigned long offset)
{
	static const char *const what[] = {
		[KSLAB_OBJ_FOREIGN] = "free of address not managed by kslab",
		[KSLAB_OBJ_NOT_SLAB] = "free of address that is not a slab object",
		[KSLAB_OBJ_WRONG_CACHE] = "free to wrong cache",
		[KSLAB_OBJ_INSIDE] = "free of address inside an object",
		[KSLAB_OBJ_DOUBLE_FREE] = "double free",
		[KSLAB_OBJ_TAG_LOST] =
			"double free or write after free: free tag gone from",
	};

	kslab_atomic_add(&cache->bad_frees, 1);
	if (err == KSLAB_OBJ_WRONG_CACHE)
		kslab_report(KSLAB_LOG_ERR,
			     "BUG %s: %s object=%p offset=%lu, it belongs to %s",
			     cache->name, what[err], obj, offset,
			     slab->cache->name);
	else
		kslab_report(KSLAB_LOG_ERR, "BUG %s: %s object=%p offset=%lu",
			     cache->name, what[err], obj, offset);
	kslab_corrupted();
}

size_t kslab_slabinfo_format(char *buf, size_t size)
{
	struct kslab_cache_stats st;
	struct kslab_cache *cache;
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	len = kslab_append(buf, size, len, "slabinfo - version: 2.1\n");
	len = kslab_append(buf, size, len,
			   "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail> : magazine <alloc_hit> <alloc_miss> <free_hit> <free_miss> : depot <full_gets> <full_puts> <contended> : slab <grows> <frees> <colours> : frag <requested> <stride> <slab> <padding> <free> <tail>\n");
	kslab_mutex_lock(&kslab_caches_lock);
	kslab_list_for_each_entry(cache, &kslab_caches, cache_node) {
		kslab_cache_stats(cache, &st);
		len = kslab_append(buf, size, len,
				   "%-17s %6lu %6lu %6lu %4lu %4lu : tunables %4lu %4lu %4u : slabdata %6lu %6lu %6lu",
				   cache->name, st.active_objs, st.num_objs,
				   st.size, st.objs_per_slab, st.pages_per_slab,
				   st.magazine_size, st.magazine_size, 0U,
				   st.active_slabs, st.num_slabs, st.depot_objs);
		len = kslab_append(buf, size, len,
				   " : magazine %lu %lu %lu %lu : depot %lu %lu %lu : slab %lu %lu %lu",
				   st.magazine.alloc_hit + st.magazine.alloc_swap, st.magazine.alloc_miss,
				   st.magazine.free_hit + st.magazine.free_swap, st.magazine.free_miss,
				   st.depot_full_gets, st.depot_full_puts,
				   st.depot_contended, st.slab_grows,
				   st.slab_frees, st.colours);
		len = kslab_append(buf, size, len,
				   " : frag %lu %lu %lu %lu %lu %lu\n",
				   st.requested_bytes, st.stride_bytes,
				   st.slab_bytes, st.padding_waste,
				   st.free_waste, st.tail_waste);
	}
	kslab_mutex_unlock(&kslab_caches_lock);
	return len;
}

/*
 * Holding every lock, for fork(): a child must not inherit a lock that
 * another thread held, nor data it was changing. The environment takes
 * its own locks between and after these, in lock order (see
 * Documentation/architecture.rst): kslab_lock_outer(), the per-CPU sections,
 * kslab_lock_inner(), then the page source's lock.
 */

/**
 * kslab_lock_outer() - take kmalloc's class lock and kslab_caches_lock
 */
void kslab_lock_outer(void)
{
	kslab_kmalloc_lock();
	kslab_mutex_lock(&kslab_caches_lock);
}

/**
 * kslab_unlock_outer() - release what kslab_lock_outer() took
 */
void kslab_unlock_outer(void)
{
	kslab_mutex_unlock(&kslab_caches_lock);
	kslab_kmalloc_unlock();
}

/**
 * kslab_lock_inner() - take every cache's depot and slab lock, the zones',
 * fault injection's, the guarded blocks', then the list of regions'
 *
 * After kslab_lock_outer() and the per-CPU sections.
 */
void kslab_lock_inner(void)
{
	struct kslab_cache *cache;

	kslab_list_for_each_entry(cache, &kslab_caches, cache_node) {
		kslab_spin_lock(&cache->depot.lock);
		kslab_spin_lock(&cache->lock);
	}
	kslab_zones_lock_all();
	kslab_fault_lock();
	kslab_guard_lock();
	kslab_regions_lock();
	kslab_profile_lock();
}

/**
 * kslab_unlock_inner() - release what kslab_lock_inner() took
 */
void kslab_unlock_inner(void)
{
	struct kslab_cache *cache;

	kslab_profile_unlock();
	kslab_regions_unlock();
	kslab_guard_unlock();
	kslab_fault_unlock();
	kslab_zones_unlock_all();
	kslab_list_for_each_entry_reverse(cache, &kslab_caches, cache_node) {
		kslab_spin_unlock(&cache->lock);
		kslab_spin_unlock(&cache->depot.lock);
	}
}
