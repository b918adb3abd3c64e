// SPDX-License-Identifier: GPL-2.0
/*
 * The magazine layer: per-CPU magazines and the depot (Bonwick and Adams,
 * "Magazines and Vmem", USENIX 2001).
 *
 * Owns each cache's per-CPU caches and its depot. A CPU holds a loaded
 * and a previous magazine; allocation pops from the loaded one and free
 * pushes onto it, inside the CPU's exclusive section, with no lock shared
 * between CPUs. When the loaded magazine is empty (or full) the two are
 * swapped; when both are, the CPU trades one with the depot's lists of
 * full and empty magazines. Only when the depot has none does anything
 * reach the slab layer, a whole magazine at a time. A sheaf (mm/sheaf.c)
 * is a magazine lent whole to a caller, from the depot and back to it.
 *
 * NUMA nodes: a CPU's magazines hold its node's objects alone. They are
 * filled from its node's slabs and traded on its node's list of full
 * magazines; an object of another node freed here goes to its slab
 * instead (kslab_obj_away()), and a request for another node's object
 * goes to that node's slabs (kslab_cache_alloc_node()).
 *
 * An empty CPU cache holds empty_magazine, whose capacity is 0, so the
 * fast paths need no NULL test: every check against it misses. A CPU
 * cache starts all zero, as per-CPU memory comes (mm/port.h): its zero
 * state word refuses every pop and push as the empty sentinel's does, and
 * the CPU's first slow path puts the sentinel in place of its NULLs
 * (cpu_harvest()). So making a cache writes nothing on any CPU, and a CPU
 * no thread of the program runs on keeps its pages untouched.
 *
 * Slab-layer work and magazine allocation may sleep in the kernel, so it
 * happens outside the per-CPU section; the result goes to the depot and
 * the CPU path is retried.
 *
 * The hit paths are inline in mm/fast_path.h; their slow halves are here.
 *
 * A CPU that goes away leaves its magazines to the depot
 * (kslab_magazine_cpu_dead()), and reclaim empties the depot without
 * disturbing any CPU (kslab_depot_drain()).
 *
 * Lock order: a CPU's section, then depot->lock, then cache->lock.
 */
#include <kslab/report.h>

#include "fast_path.h"
#include "fault.h"
#include "profile.h"

/* Objects one magazine caches by default, in bytes. */
#define KSLAB_MAGAZINE_BYTES	(32UL << 10)
/* Depot contention per reap interval above which magazines grow. */
#define KSLAB_CONTENTION_GROW	16
/* CPU magazine swaps since the last reap above which magazines grow... */
#define KSLAB_SWAPS_GROW	128
/* ...until one caches this many bytes of objects. */
#define KSLAB_MAGAZINE_GROWN_BYTES	(128UL << 10)
/* Refill attempts before an allocation goes straight to the slabs. */
#define KSLAB_REFILL_TRIES	3
/* Objects a depot's full magazines hold at most, in bytes (depot_spare()). */
#define KSLAB_DEPOT_FULL_BYTES	(1UL << 20)

static struct kslab_magazine empty_magazine;

static const unsigned int magazine_capacities[] = { 6, 14, 30, 62, 126, 254 };

/* The smallest magazine capacity class that holds @rounds. */
static unsigned int magazine_capacity(unsigned int rounds)
{
	unsigned int i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(magazine_capacities) - 1; i++)
		if (magazine_capacities[i] >= rounds)
			break;
	return magazine_capacities[i];
}

/*
 * Bigger objects get smaller magazines: the largest class whose objects
 * fit in @bytes, and never fewer than the smallest class.
 */
static unsigned int magazine_size_for(unsigned int object_size,
				      unsigned long bytes)
{
	unsigned int i = KSLAB_ARRAY_SIZE(magazine_capacities) - 1;

	while (i && (unsigned long)magazine_capacities[i] * object_size > bytes)
		i--;
	return magazine_capacities[i];
}

static struct kslab_magazine *magazine_new(unsigned int capacity, gfp_t gfp)
{
	struct kslab_cache *mcache = kslab_magazine_cache(capacity);
	struct kslab_magazine *mag;

	mag = mcache ? kslab_cache_alloc(mcache, gfp & ~__GFP_ZERO) : NULL;
	if (mag)
		kslab_mag_init(mag, capacity);
	return mag;
}

static void magazine_free(struct kslab_magazine *mag)
{
	kslab_cache_free(kslab_magazine_cache(kslab_mag_capacity(mag)), mag);
}

/* Return a chain of magazines' objects to the slabs and free them. */
static unsigned long magazines_release(struct kslab_cache *cache,
				       struct kslab_magazine *mag)
{
	unsigned long n = 0;

	while (mag) {
		struct kslab_magazine *next = mag->next;

		if (kslab_mag_rounds(mag))
			kslab_slab_free_batch(cache, mag->objs,
					      kslab_mag_rounds(mag), 0);
		magazine_free(mag);
		mag = next;
		n++;
	}
	return n;
}

/* ---- depot; callers hold depot->lock unless said otherwise ---- */

static void depot_lock(struct kslab_depot *depot)
{
	if (kslab_likely(kslab_spin_trylock(&depot->lock)))
		return;
	kslab_spin_lock(&depot->lock);
	depot->contended++;
	depot->contended_total++;
}

static struct kslab_cache *depot_cache(struct kslab_depot *depot)
{
	return kslab_container_of(depot, struct kslab_cache, depot);
}

/* The probes name caches by number (kslab_cache_id()): slabinfo's order. */
static unsigned long depot_cache_id(struct kslab_depot *depot)
{
	return kslab_cache_id(depot_cache(depot));
}

/* A full magazine's objects enter (+1) or leave (-1) the idle count. */
static void depot_count_idle(struct kslab_depot *depot,
			     const struct kslab_magazine *mag, long sign)
{
	kslab_atomic_add(&kslab_idle_bytes, sign * (long)kslab_mag_rounds(mag) *
			 (long)depot_cache(depot)->size);
}

/* @node: whose objects a full @mag holds. */
static void depot_push(struct kslab_depot *depot, struct kslab_magazine *mag,
		       unsigned int node)
{
	KSLAB_TRACE(depot_put, depot_cache_id(depot), kslab_mag_rounds(mag));
	if (kslab_mag_rounds(mag)) {
		depot_count_idle(depot, mag, 1);
		mag->next = depot->full[node];
		depot->full[node] = mag;
		depot->nr_full++;
		depot->full_puts++;
	} else {
		mag->next = depot->empty;
		depot->empty = mag;
		depot->nr_empty++;
		depot->empty_puts++;
	}
}

/* The first node with a full magazine, or KSLAB_MAX_NODES. */
static unsigned int depot_any_full(const struct kslab_depot *depot)
{
	unsigned int node = 0;

	while (node < KSLAB_MAX_NODES && !depot->full[node])
		node++;
	return node;
}

/* A full magazine of @node's objects (any node's, @node -1), or an empty. */
static struct kslab_magazine *depot_pop(struct kslab_depot *depot, bool full,
					int node)
{
	struct kslab_magazine *mag = depot->empty;

	if (full) {
		if (node < 0)
			node = (int)depot_any_full(depot);
		mag = node < KSLAB_MAX_NODES ? depot->full[node] : NULL;
	}
	if (!mag)
		return NULL;
	KSLAB_TRACE(depot_get, depot_cache_id(depot), kslab_mag_rounds(mag));
	if (full) {
		depot_count_idle(depot, mag, -1);
		depot->full[node] = mag->next;
		if (--depot->nr_full < depot->min_full)
			depot->min_full = depot->nr_full;
		depot->full_gets++;
	} else {
		depot->empty = mag->next;
		if (--depot->nr_empty < depot->min_empty)
			depot->min_empty = depot->nr_empty;
		depot->empty_gets++;
	}
	mag->mark = kslab_mag_rounds(mag);	/* bound for a CPU, as a rule */
	return mag;
}

/*
 * Growing with churn. A CPU that allocates and frees one class by turns
 * across a magazine's edge swaps its two magazines, and trades one with
 * the depot when both are spent, each time in a CPU section (two atomic
 * operations) where a hit takes none. With random sizes a class's two
 * magazines of 14 rounds (2 KiB objects) turn over every few dozen
 * operations: the sections took a seventh of the mixed-size benchmark's
 * time. So a depot whose CPUs swapped more than KSLAB_SWAPS_GROW times
 * between reaps moves its size up one class, up to grow_limit. Swaps
 * measure churn alone: a CPU that only allocates, or only frees, never
 * swaps (its other magazine is always spent too), so a program's fill or
 * teardown, and a class it barely uses, keep the small magazines.
 * Under depot->lock.
 */
static void depot_churn(struct kslab_depot *depot, unsigned long swaps)
{
	depot->swaps += swaps;
	if (depot->swaps <= KSLAB_SWAPS_GROW ||
	    depot->magazine_size >= depot->grow_limit)
		return;
	depot->swaps = 0;
	depot->magazine_size = magazine_capacity(depot->magazine_size + 1);
	depot->resizes++;
}

/*
 * Whether @mag is smaller than the size a depot has grown to: one it no
 * longer hands to a CPU, so that the CPUs come to hold the new size
 * (depot_refill() and depot_spare() free it). Before any growth the
 * first fills' small magazines (first_fill()) are as good as any.
 * Under depot->lock.
 */
static bool depot_outgrown(const struct kslab_depot *depot,
			   const struct kslab_magazine *mag)
{
	return mag && depot->resizes &&
	       kslab_mag_capacity(mag) < depot->magazine_size;
}

/* Detach @list's outgrown magazines from its top onto @chain. Under lock. */
static struct kslab_magazine *detach_outgrown(struct kslab_depot *depot,
					      bool full, int node,
					      struct kslab_magazine *chain)
{
	struct kslab_magazine *mag;

	while (depot_outgrown(depot, full ? depot->full[node] : depot->empty)) {
		mag = depot_pop(depot, full, node);
		mag->next = chain;
		chain = mag;
	}
	return chain;
}

/*
 * The outgrown magazines atop the depot's lists, detached, for
 * magazines_release() once the lock is dropped. Under depot->lock.
 */
static struct kslab_magazine *depot_detach_outgrown(struct kslab_depot *depot)
{
	struct kslab_magazine *chain = detach_outgrown(depot, false, -1, NULL);
	int node;

	for (node = 0; node < KSLAB_MAX_NODES; node++)
		chain = detach_outgrown(depot, true, node, chain);
	return chain;
}

/*
 * Trade with the depot for a CPU of @node: take a full magazine of the
 * node's (or an empty one) and, if there was one, leave the CPU's
 * previous magazine in its place; the CPU's swaps since its last trade
 * count towards growth (depot_churn()). Return: the magazine taken, or
 * NULL.
 */
static struct kslab_magazine *depot_exchange(struct kslab_cache *cache,
					     struct kslab_cpu_cache *cc,
					     bool want_full, unsigned int node)
{
	struct kslab_depot *depot = &cache->depot;
	struct kslab_magazine *take = NULL;

	depot_lock(depot);
	depot_churn(depot, cc->swaps);
	cc->swaps = 0;
	if (!depot_outgrown(depot, want_full ? depot->full[node] : depot->empty))
		take = depot_pop(depot, want_full, (int)node);
	if (take && cc->previous != &empty_magazine)
		depot_push(depot, cc->previous, node);
	kslab_spin_unlock(&depot->lock);
	return take;
}

/*
 * An empty magazine for a free whose CPU has two full ones, when the depot
 * has none: a full one from the depot, its objects sent back to their
 * slabs, once the depot's full magazines hold KSLAB_DEPOT_FULL_BYTES of
 * objects (and two per CPU); otherwise a new one. Without the bound a
 * program that frees most of what it holds at once (a build's last
 * phase, a cache server dropping half its keys) buys a magazine for
 * every 254 small objects it frees, 8 bytes an object, at the moment its
 * memory peaks, and leaves the objects in magazines, not in slabs that
 * could then empty. No lock held. Return: the magazine, or NULL.
 */
static struct kslab_magazine *depot_spare(struct kslab_cache *cache)
{
	struct kslab_depot *depot = &cache->depot;
	struct kslab_magazine *mag = NULL, *outgrown;
	unsigned long cap, per_mag;
	unsigned int size;

	depot_lock(depot);
	size = depot->magazine_size;
	per_mag = (unsigned long)size * cache->size;
	cap = KSLAB_DEPOT_FULL_BYTES / (per_mag ? per_mag : 1);
	outgrown = depot_detach_outgrown(depot);
	/*
	 * Its objects go home (any node's) past the bound and two full
	 * magazines a CPU; the CPUs are counted only once the bound is
	 * reached, which a short program never does.
	 */
	if (depot->nr_full >= cap && depot->nr_full >= 2UL * kslab_nr_cpus())
		mag = depot_pop(depot, true, -1);
	kslab_spin_unlock(&depot->lock);
	magazines_release(cache, outgrown);
	if (mag) {
		kslab_slab_free_batch(cache, mag->objs, kslab_mag_rounds(mag), 0);
		kslab_mag_set_rounds(mag, 0);
		if (kslab_mag_capacity(mag) >= size)
			return mag;
		magazine_free(mag);
	}
	/* A free may not sleep: the new magazine is atomic. */
	return magazine_new(size, GFP_ATOMIC);
}

/* Give a magazine no CPU holds, of @node's objects, to the depot. No lock. */
static void depot_give(struct kslab_cache *cache, struct kslab_magazine *mag,
		       unsigned int node)
{
	depot_lock(&cache->depot);
	depot_push(&cache->depot, mag, node);
	kslab_spin_unlock(&cache->depot.lock);
}

/*
 * A cache's first FIRST_FILLS fills from the slabs take a page's worth of
 * objects each (first_fill()), in magazines only that large, and only
 * then whole magazines: a class a program barely uses holds the slab
 * pages its objects need, not a magazine's 32 KiB of them, nor a
 * magazine of 2 KiB for a few rounds (a short program's page faults and
 * peak RSS). Filling a page at a time, rather than a few objects more
 * each time, never touches a page beyond the one the last object needed:
 * kmalloc's classes write the free tag into each object a fill takes
 * (mm/slab.c), so every object taken is a page touched. Caches whose
 * creator chose the magazine size fill whole magazines at once.
 */
#define FIRST_FILLS		6

/*
 * A page's worth of objects (of what a slab holds, its header and colour
 * left out), at least one: a new slab hands them out a page at a time,
 * shuffled or not (mm/slab_map.c).
 */
static unsigned int first_fill(const struct kslab_cache *cache)
{
	unsigned long page_worth = cache->objs_per_slab >> cache->order;

	return page_worth ? (unsigned int)page_worth : 1;
}

/*
 * Fill a magazine from the slab layer and leave it in the depot: one of
 * the depot's size, or during the first fills one that holds a fill. An
 * empty magazine from the depot smaller than that (left by the first
 * fills) goes back to its magazine cache. No lock held.
 * Return: false if no object could be had.
 */
static bool depot_refill(struct kslab_cache *cache, gfp_t gfp,
			 unsigned int node)
{
	struct kslab_depot *depot = &cache->depot;
	struct kslab_magazine *mag, *outgrown;
	unsigned int rounds, want;
	bool first;

	depot_lock(depot);
	outgrown = depot_detach_outgrown(depot);
	mag = depot_pop(depot, false, -1);
	first = depot->refills < FIRST_FILLS;
	if (first)
		depot->refills++;
	want = depot->magazine_size;
	kslab_spin_unlock(&depot->lock);
	magazines_release(cache, outgrown);
	if (first && first_fill(cache) < want)
		want = first_fill(cache);
	if (mag && kslab_mag_capacity(mag) < want) {
		magazine_free(mag);
		mag = NULL;
	}
	if (!mag)
		mag = magazine_new(magazine_capacity(want), gfp);
	if (!mag)
		return false;
	if (want > kslab_mag_capacity(mag))
		want = kslab_mag_capacity(mag);
	rounds = kslab_slab_alloc_batch(cache, gfp, node, mag->objs, want, 0);
	kslab_mag_set_rounds(mag, rounds);
	/* Once given, another CPU may take and empty it: count before. */
	depot_give(cache, mag, node);
	return rounds != 0;
}

/*
 * ---- the CPU layer, inside the CPU's section, between cpu_harvest()
 * and cpu_state_in() ----
 */

/*
 * The loaded magazine's state word lives in the CPU cache for the fast
 * paths (mm/magazine_layout.h). Inside the section the magazine gets it
 * back first, so the code here works on magazines alone, and the CPU
 * cache takes it again, from whichever magazine is loaded then, last.
 * The empty sentinel is never written: every CPU shares it.
 */
static void cpu_state_out(struct kslab_cpu_cache *cc)
{
	if (cc->loaded != &empty_magazine)
		cc->loaded->state = cc->loaded_state & ~KSLAB_MAG_DIVERT;
}

static void cpu_state_in(struct kslab_cpu_cache *cc)
{
	cc->loaded_state = cc->loaded->state |
			   (KSLAB_READ_ONCE(kslab_mag_diverted) ?
				    KSLAB_MAG_DIVERT : 0);
}

/*
 * Diverting: the allocation profile (mm/profile.c) must see every
 * allocation and free, and the fast paths call nothing. So while it
 * counts objects, every CPU's loaded state carries KSLAB_MAG_DIVERT,
 * which every pop and push refuses: they all take the slow halves. There
 * the same pop or push, refusing all but that bit
 * (KSLAB_MAG_REFUSE_DIVERTED), does the work without a section, and the
 * profile is called; a magazine empty or full goes on as ever. Until the
 * profile is stopped with no counted object left: one must never be
 * freed behind its back.
 */
bool kslab_mag_diverted;

static void divert_cpu(unsigned int cpu, void *arg)
{
	bool on = arg != NULL;
	struct kslab_cache *cache;

	kslab_list_for_each_entry(cache, &kslab_caches, cache_node) {
		struct kslab_cpu_cache *cc = kslab_percpu_ptr(cache->cpu, cpu);

		if (on)
			cc->loaded_state |= KSLAB_MAG_DIVERT;
		else
			cc->loaded_state &= ~KSLAB_MAG_DIVERT;
	}
}

/**
 * kslab_magazine_divert_all() - send every fast path to the slow halves
 * @on: true to divert them, false to let them work again
 *
 * Caches made later start as this leaves them. Under kslab_caches_lock.
 */
void kslab_magazine_divert_all(bool on)
{
	KSLAB_WRITE_ONCE(kslab_mag_diverted, on);
	kslab_each_cpu_exclusive(divert_cpu, on ? &kslab_mag_diverted : NULL);
}

/*
 * Take the fast paths' counts in: the first thing a section's work on
 * the CPU cache does (before a magazine leaves, and on misses); it ends
 * with cpu_state_in().
 */
static void cpu_harvest(struct kslab_cpu_cache *cc)
{
	if (kslab_unlikely(!cc->loaded)) {	/* as the cache was made */
		cc->loaded = &empty_magazine;
		cc->previous = &empty_magazine;
	}
	cpu_state_out(cc);
	kslab_mag_harvest(cc, cc->loaded);
	kslab_mag_harvest(cc, cc->previous);
}

/* Load the previous magazine; @counter counts the swap's direction. */
static void cpu_swap(struct kslab_cpu_cache *cc, unsigned long *counter)
{
	struct kslab_magazine *mag = cc->loaded;

	cc->loaded = cc->previous;
	cc->previous = mag;
	(*counter)++;
	cc->swaps++;
}

static void *cpu_alloc_miss(struct kslab_cache *cache, unsigned int cpu,
			    struct kslab_cpu_cache *cc, bool first)
{
	struct kslab_magazine *full = cc->loaded;

	/* The fast path gave up with rounds left: a section, or a harvest. */
	if (kslab_mag_rounds(full)) {
		cc->counts.alloc_hit++;
		return kslab_mag_pop(full);
	}
	if (kslab_mag_rounds(cc->previous)) {
		cpu_swap(cc, &cc->counts.alloc_swap);
		KSLAB_TRACE(magazine_swap, kslab_cache_id(cache), cpu);
		return kslab_mag_pop(cc->loaded);
	}
	if (first) {
		cc->counts.alloc_miss++;
		KSLAB_TRACE(alloc_miss, kslab_cache_id(cache), cpu);
	}
	full = depot_exchange(cache, cc, true, kslab_cpu_node(cpu));
	if (!full)
		return NULL;
	cc->previous = cc->loaded;
	cc->loaded = full;
	return kslab_mag_pop(full);
}

static bool cpu_free_miss(struct kslab_cache *cache, unsigned int cpu,
			  struct kslab_cpu_cache *cc, void *obj, bool first)
{
	struct kslab_magazine *room = cc->loaded;

	if (!kslab_mag_full(room)) {	/* a section, or a harvest */
		kslab_mag_push(room, obj);
		cc->counts.free_hit++;
		return true;
	}
	if (!kslab_mag_full(cc->previous)) {
		cpu_swap(cc, &cc->counts.free_swap);
		KSLAB_TRACE(magazine_swap, kslab_cache_id(cache), cpu);
		kslab_mag_push(cc->loaded, obj);
		return true;
	}
	if (first) {
		cc->counts.free_miss++;
		KSLAB_TRACE(free_miss, kslab_cache_id(cache), cpu);
	}
	room = depot_exchange(cache, cc, false, kslab_cpu_node(cpu));
	if (!room)
		return false;
	cc->previous = cc->loaded;
	cc->loaded = room;
	kslab_mag_push(room, obj);
	return true;
}

/*
 * Whether a slow path may go through the magazines: not in a cache made
 * without them, nor in one fault injection concerns (mm/fault.c).
 */
static bool uses_magazines(const struct kslab_cache *cache)
{
	return !(cache->flags & KSLAB_NO_MAGAZINE) &&
	       !KSLAB_READ_ONCE(cache->fault);
}

/*
 * An allocation or free served by the slab layer because the cache does
 * not use magazines counts as that CPU's miss, so such caches (debugged
 * ones, kslab's own) show their traffic in the statistics too.
 */
static void count_bypass(struct kslab_cache *cache, bool alloc)
{
	unsigned int cpu = kslab_cpu_enter();
	struct kslab_cpu_cache *cc = kslab_percpu_ptr(cache->cpu, cpu);

	if (alloc) {
		cc->counts.alloc_miss++;
		KSLAB_TRACE(alloc_miss, kslab_cache_id(cache), cpu);
	} else {
		cc->counts.free_miss++;
		KSLAB_TRACE(free_miss, kslab_cache_id(cache), cpu);
	}
	kslab_cpu_exit(cpu);
}

/*
 * @node: -1 for the calling CPU's node, through its magazines; another
 * node's objects come from that node's slabs, past every magazine (the
 * magazines of a CPU hold its own node's objects alone).
 * @caller: the allocation's call site, kept by debugged caches.
 */
static void *cache_alloc_slow(struct kslab_cache *cache, gfp_t gfp, int node,
			      unsigned long caller)
{
	bool magazines = uses_magazines(cache) && node < 0;
	void *obj = NULL;
	int tries;

	/* A cache the fault point names comes here on every allocation. */
	if ((KSLAB_READ_ONCE(cache->fault) & KSLAB_CACHE_FAULT_TARGET) &&
	    kslab_fault_should_fail(KSLAB_FAULT_CACHE, gfp))
		return NULL;
	if (magazines) {
		for (tries = 0; tries < KSLAB_REFILL_TRIES; tries++) {
			unsigned int cpu = kslab_cpu_enter();

			struct kslab_cpu_cache *cc = kslab_percpu_ptr(cache->cpu,
								      cpu);

			cpu_harvest(cc);
			obj = cpu_alloc_miss(cache, cpu, cc, !tries);
			cpu_state_in(cc);
			kslab_cpu_exit(cpu);
			if (obj || !depot_refill(cache, gfp,
						 kslab_cpu_node(cpu)))
				break;
		}
	}
	if (!obj) {
		if (!kslab_slab_alloc_batch(cache, gfp, kslab_home_node(node),
					    &obj, 1, caller))
			return NULL;
		if (!magazines)
			count_bypass(cache, true);
	}
	kslab_env_obj_alloc(obj, cache->object_size,
			    cache->ctor || (gfp & __GFP_ZERO));
	if (gfp & __GFP_ZERO)
		kslab_memset(obj, 0, cache->object_size);
	return kslab_profile_alloc(cache, obj, caller);
}

/*
 * @caller: the allocation's call site, kept by debugged caches; 0 from
 * kslab_cache_alloc(), which reaches here by a tail call, so this
 * function's own return address is that site, read only on the slow path.
 * (Without the tail call, as at -O0, the site named is inside kslab.)
 */
kslab_cold kslab_noinline
void *kslab_cache_alloc_slow(struct kslab_cache *cache, gfp_t gfp,
			     unsigned long caller)
{
	void *obj;

	if (!caller)
		caller = KSLAB_RET_IP;
	/*
	 * The profile's detour (below): the fast path's own pop, the detour
	 * aside, then the profile's note, with no section at all.
	 */
	if (kslab_unlikely(KSLAB_READ_ONCE(kslab_mag_diverted)) &&
	    uses_magazines(cache)) {
		obj = kslab_magazine_take(cache->cpu, cache->object_size,
					  cache->ctor || (gfp & __GFP_ZERO),
					  false, KSLAB_MAG_REFUSE_DIVERTED);
		if (obj) {
			if (gfp & __GFP_ZERO)
				kslab_memset(obj, 0, cache->object_size);
			return kslab_profile_alloc(cache, obj, caller);
		}
	}
	return cache_alloc_slow(cache, gfp, -1, caller);
}

/* The fast path's allocation with __GFP_ZERO. */
kslab_cold kslab_noinline
void *kslab_cache_alloc_zeroed(struct kslab_cache *cache, gfp_t gfp,
			       unsigned long caller)
{
	void *obj = kslab_cache_hit(cache);

	if (!obj)
		return kslab_cache_alloc_slow(cache, gfp, caller); /* which zeroes */
	kslab_memset(obj, 0, cache->object_size);
	return obj;
}

void *kslab_cache_alloc(struct kslab_cache *cache, gfp_t gfp)
{
	return kslab_cache_alloc_fast(cache, gfp, KSLAB_TAIL_CALLER);
}

/*
 * The calling CPU's node is served as ever, by its magazines; a request
 * for another node goes to that node's slabs, which costs the cache's
 * lock: such requests are for set-up (per-node structures), not hot paths.
 */
void *kslab_cache_alloc_node_at(struct kslab_cache *cache, gfp_t gfp,
				int node, unsigned long caller)
{
	if (node < 0 || (unsigned int)node >= kslab_nr_nodes() ||
	    (unsigned int)node == kslab_cpu_node(kslab_cpu_id()))
		return kslab_cache_alloc_fast(cache, gfp, caller);
	return cache_alloc_slow(cache, gfp, node, caller);
}

void *kslab_cache_alloc_node(struct kslab_cache *cache, gfp_t gfp, int node)
{
	return kslab_cache_alloc_node_at(cache, gfp, node, KSLAB_RET_IP);
}

/* The fast paths refuse the loaded magazine's top round; look at both. */
static bool cpu_holds_on_top(const struct kslab_cpu_cache *cc, const void *obj)
{
	return kslab_mag_top_is(cc->loaded, obj) ||
	       kslab_mag_top_is(cc->previous, obj);
}

/* @caller as for kslab_cache_alloc_slow(). */
kslab_cold kslab_noinline
void kslab_cache_free_slow(struct kslab_cache *cache, void *obj,
			   unsigned long caller)
{
	int tries;

	if (!caller)
		caller = KSLAB_RET_IP;
	kslab_profile_free(cache, obj);

	/* Another node's object goes home, to its slab: see kslab_obj_away(). */
	if (uses_magazines(cache) && !kslab_obj_away(obj)) {
		/* The profile's detour: its note made, the fast path's push. */
		if (kslab_unlikely(KSLAB_READ_ONCE(kslab_mag_diverted)) &&
		    kslab_cpu_mag_push(cache->cpu, obj,
				       KSLAB_MAG_REFUSE_DIVERTED))
			return;
		for (tries = 0; tries < KSLAB_REFILL_TRIES; tries++) {
			unsigned int cpu = kslab_cpu_enter();
			struct kslab_cpu_cache *cc = kslab_percpu_ptr(cache->cpu,
								      cpu);
			struct kslab_magazine *mag;
			bool done, twice;

			cpu_harvest(cc);
			twice = cpu_holds_on_top(cc, obj);
			done = twice || cpu_free_miss(cache, cpu, cc, obj, !tries);
			cpu_state_in(cc);
			kslab_cpu_exit(cpu);
			if (twice)
				kslab_report_bad_free(cache, KSLAB_OBJ_DOUBLE_FREE,
						      obj, kslab_obj_to_slab(obj), 0);
			if (done)
				return;
			mag = depot_spare(cache);
			if (!mag)
				break;
			depot_give(cache, mag, 0);	/* empty: no node's */
		}
	} else {
		count_bypass(cache, false);
	}
	kslab_slab_free_batch(cache, &obj, 1, caller);
}

/*
 * kslab_cache_free_to()'s push where there are several nodes: another
 * node's object goes home through the slow half (kslab_obj_away()).
 */
kslab_noinline
void kslab_cache_free_numa(struct kslab_cache *cache,
			   struct kslab_cpu_cache *pcpu, void *obj,
			   unsigned long caller)
{
	if (!caller)
		caller = KSLAB_RET_IP;
	if (kslab_obj_away(obj) ||
	    !kslab_cpu_mag_push(pcpu, obj, KSLAB_MAG_REFUSE))
		kslab_cache_free_slow(cache, obj, caller);
}

/* A NULL or bad pointer handed to kslab_cache_free(): bad ones reported. */
kslab_cold kslab_noinline
void kslab_cache_free_invalid(struct kslab_cache *cache, void *obj)
{
	enum kslab_obj_error err;
	struct kslab_slab *slab;
	unsigned long offset;

	if (!obj)
		return;
	err = kslab_obj_check(cache, obj, &slab, &offset);
	kslab_report_bad_free(cache, err, obj, slab, offset);
}

void kslab_cache_free(struct kslab_cache *cache, void *obj)
{
	kslab_cache_free_fast(cache, obj, 0);
}

/* ---- bulk: many rounds in one section ---- */

/*
 * Pop up to @nr rounds from this CPU's loaded magazine and then its
 * previous one, inside the CPU's section, a magazine's worth at a time.
 * Counted by the caller's section as hits, as the fast path's pops are.
 * Return: how many.
 */
static size_t cpu_pop_many(struct kslab_cpu_cache *cc, void **objs, size_t nr)
{
	struct kslab_magazine *mag;
	size_t got = 0, n, rounds;

	while (got < nr) {
		mag = cc->loaded;
		rounds = kslab_mag_rounds(mag);
		if (!rounds) {
			if (!kslab_mag_rounds(cc->previous))
				break;
			cpu_swap(cc, &cc->counts.alloc_swap);
			continue;
		}
		n = rounds < nr - got ? rounds : nr - got;
		kslab_memcpy(objs + got, mag->objs + rounds - n,
			     n * sizeof(void *));
		mag->state += n * ((1UL << KSLAB_MAG_ROOM_SHIFT) - 1);
		mag->mark -= n;
		cc->counts.alloc_hit += n;
		got += n;
	}
	return got;
}

/*
 * Push as many of @objs as this CPU's two magazines have room for, inside
 * its section, stopping at one that is on top already, as the fast path
 * does (a double free, which the slow path reports). Return: how many.
 */
static size_t cpu_push_many(struct kslab_cpu_cache *cc, void *const *objs,
			    size_t nr)
{
	struct kslab_magazine *mag;
	size_t done = 0, n, i, rounds;

	while (done < nr) {
		mag = cc->loaded;
		if (kslab_mag_full(mag)) {
			if (kslab_mag_full(cc->previous))
				break;
			cpu_swap(cc, &cc->counts.free_swap);
			continue;
		}
		rounds = kslab_mag_rounds(mag);
		n = kslab_mag_room(mag) < nr - done ? kslab_mag_room(mag) :
						      nr - done;
		for (i = 0; i < n; i++) {
			if (kslab_mag_top_is(mag, objs[done + i]))
				break;
			mag->objs[rounds + i] = objs[done + i];
			mag->state -= (1UL << KSLAB_MAG_ROOM_SHIFT) - 1;
		}
		mag->mark += i;
		cc->counts.free_hit += i;
		done += i;
		if (i < n)
			break;
	}
	return done;
}

/*
 * Where the fast path is a section per object (no restartable commit:
 * the kernel, where a section turns interrupts off and on), a bulk call
 * enters the CPU's section once for all the rounds its two magazines hold
 * or have room for: the sections were most of a bulk allocation's cost,
 * three times SLUB's for 16 objects. Between such rounds, one object goes
 * the slow way, which brings a full (or empty) magazine. Where pops and
 * pushes are restartable sequences (userspace), a section costs more than
 * the sequences it would save, and bulk calls loop over the fast path.
 * Return: the rounds popped.
 */
#define BULK_SECTIONS	(!KSLAB_ENV_MAG_COMMIT)

static size_t bulk_pop(struct kslab_cache *cache, gfp_t gfp, void **objs,
		       size_t nr, unsigned long caller)
{
	unsigned int cpu = kslab_cpu_enter();
	struct kslab_cpu_cache *cc = kslab_percpu_ptr(cache->cpu, cpu);
	size_t got, i;

	cpu_harvest(cc);
	got = cpu_pop_many(cc, objs, nr);
	cpu_state_in(cc);
	kslab_cpu_exit(cpu);
	for (i = 0; i < got; i++) {
		kslab_env_obj_alloc(objs[i], cache->object_size,
				    cache->ctor || (gfp & __GFP_ZERO));
		if (gfp & __GFP_ZERO)
			kslab_memset(objs[i], 0, cache->object_size);
		kslab_profile_alloc(cache, objs[i], caller);
	}
	return got;
}

static size_t bulk_push(struct kslab_cache *cache, void *const *objs,
			size_t nr)
{
	unsigned int cpu = kslab_cpu_enter();
	struct kslab_cpu_cache *cc = kslab_percpu_ptr(cache->cpu, cpu);
	size_t done;

	cpu_harvest(cc);
	done = cpu_push_many(cc, objs, nr);
	cpu_state_in(cc);
	kslab_cpu_exit(cpu);
	return done;
}

int kslab_cache_alloc_bulk(struct kslab_cache *cache, gfp_t gfp, size_t nr,
			   void **objs)
{
	unsigned long caller = KSLAB_RET_IP;
	size_t got = 0;

	while (got < nr) {
		if (BULK_SECTIONS && uses_magazines(cache)) {
			got += bulk_pop(cache, gfp, objs + got, nr - got,
					caller);
			if (got == nr)
				break;
		}
		objs[got] = kslab_cache_alloc_fast(cache, gfp, caller);
		if (!objs[got]) {
			kslab_cache_free_bulk(cache, got, objs);
			return 0;
		}
		got++;
	}
	return (int)nr;
}

/* Free @run objects already proven to be @cache's. */
static void free_run(struct kslab_cache *cache, void *const *objs, size_t run,
		     unsigned long caller)
{
	size_t done;

	if (!BULK_SECTIONS) {
		for (done = 0; done < run; done++)
			kslab_cache_free_to(cache, cache->cpu, objs[done],
					    caller);
		return;
	}
	/*
	 * Counted down and closed for a memory checker first, as
	 * kslab_cache_free_to() does.
	 */
	for (done = 0; done < run; done++) {
		kslab_profile_free(cache, objs[done]);
		if (KSLAB_ENV_MARKS_OBJECTS &&
		    !(cache->flags & KSLAB_TYPESAFE_BY_RCU))
			kslab_env_obj_free(objs[done], cache->object_size);
	}
	done = 0;
	while (done < run) {
		if (uses_magazines(cache))
			done += bulk_push(cache, objs + done, run - done);
		if (done < run)
			kslab_cache_free_slow(cache, objs[done++], caller);
	}
}

void kslab_cache_free_bulk(struct kslab_cache *cache, size_t nr, void **objs)
{
	unsigned long caller = KSLAB_RET_IP;
	size_t i = 0, run;

	while (i < nr) {
		for (run = 0; i + run < nr &&
			      kslab_likely(kslab_obj_valid(cache, objs[i + run])) &&
			      !kslab_obj_away(objs[i + run]);
		     run++)
			;
		free_run(cache, objs + i, run, caller);
		i += run;
		if (i < nr && kslab_obj_valid(cache, objs[i]))	/* away */
			kslab_cache_free_to(cache, cache->cpu, objs[i++],
					    caller);
		else if (i < nr)
			kslab_cache_free_invalid(cache, objs[i++]);
	}
}

/* ---- set-up, flushing, reaping ---- */

/**
 * kslab_magazine_init() - give a new cache its per-CPU caches and depot
 * @cache: the cache
 * @size:  rounds per magazine asked for; 0 to choose from the object size
 *
 * Return: 0, or -1 if per-CPU memory ran out.
 */
int kslab_magazine_init(struct kslab_cache *cache, unsigned int size)
{
	kslab_spin_init(&cache->depot.lock);
	cache->depot.magazine_size =
		magazine_capacity(size ? size :
				  magazine_size_for(cache->object_size,
						    KSLAB_MAGAZINE_BYTES));
	/* A size asked for grows under contention alone. */
	cache->depot.grow_limit =
		size ? cache->depot.magazine_size :
		       magazine_size_for(cache->object_size,
					 KSLAB_MAGAZINE_GROWN_BYTES);
	/* A size asked for is filled whole from the start. */
	if (size)
		cache->depot.refills = FIRST_FILLS;
	/* Zero on every CPU: empty until the CPU's first slow path. */
	cache->cpu = kslab_meta_percpu_alloc(sizeof(*cache->cpu));
	return cache->cpu ? 0 : -1;
}

/*
 * Give @cpu's magazines to the depot: inside its section, or with the CPU
 * gone. Return: the objects they held.
 */
static unsigned long cpu_flush(struct kslab_cache *cache, unsigned int cpu)
{
	struct kslab_cpu_cache *cc = kslab_percpu_ptr(cache->cpu, cpu);
	unsigned long objs;

	if (!cc->loaded)	/* never used on this CPU: nothing to write */
		return 0;
	cpu_harvest(cc);
	objs = kslab_mag_rounds(cc->loaded) + kslab_mag_rounds(cc->previous);
	depot_lock(&cache->depot);
	if (cc->loaded != &empty_magazine)
		depot_push(&cache->depot, cc->loaded, kslab_cpu_node(cpu));
	if (cc->previous != &empty_magazine)
		depot_push(&cache->depot, cc->previous, kslab_cpu_node(cpu));
	kslab_spin_unlock(&cache->depot.lock);
	cc->loaded = &empty_magazine;
	cc->previous = &empty_magazine;
	cpu_state_in(cc);
	return objs;
}

static void flush_cpu(unsigned int cpu, void *arg)
{
	cpu_flush(arg, cpu);
}

/* Detach up to @nr magazines from a depot list. Under depot->lock. */
static struct kslab_magazine *depot_detach(struct kslab_depot *depot,
					   bool full, unsigned long nr)
{
	struct kslab_magazine *chain = NULL, *mag;

	while (nr-- && (mag = depot_pop(depot, full, -1))) {
		mag->next = chain;
		chain = mag;
	}
	return chain;
}

/**
 * kslab_magazine_flush_all() - empty every CPU's magazines and the depot
 * @cache: the cache
 *
 * Every cached object goes back to its slab and every magazine is freed.
 */
void kslab_magazine_flush_all(struct kslab_cache *cache)
{
	if (cache->flags & KSLAB_NO_MAGAZINE)
		return;
	kslab_each_cpu_exclusive(flush_cpu, cache);
	kslab_depot_drain(cache);
}

/**
 * kslab_depot_drain() - empty the depot, idle magazines or not
 * @cache: the cache
 *
 * Every depot magazine's objects go back to their slabs and the magazines
 * are freed; the CPUs' magazines are not touched, so no CPU is disturbed
 * and no CPU hotplug lock is taken. Never sleeps.
 * Return: the number of magazines freed.
 */
unsigned long kslab_depot_drain(struct kslab_cache *cache)
{
	struct kslab_depot *depot = &cache->depot;
	struct kslab_magazine *full, *empty;

	if (cache->flags & KSLAB_NO_MAGAZINE)
		return 0;
	depot_lock(depot);
	full = depot_detach(depot, true, depot->nr_full);
	empty = depot_detach(depot, false, depot->nr_empty);
	depot->min_full = 0;
	depot->min_empty = 0;
	kslab_spin_unlock(&depot->lock);
	return magazines_release(cache, full) + magazines_release(cache, empty);
}

/**
 * kslab_magazine_cpu_dead() - give a CPU's magazines to the depot
 * @cache: the cache
 * @cpu:   a CPU that runs nothing of kslab's any more (gone offline)
 *
 * Its objects stay cached and counted, in the depot now, where any CPU
 * can use them and reclaim can reach them. The caller makes sure no
 * kslab_each_cpu_exclusive() runs meanwhile (it would visit @cpu
 * directly too): the kernel's hotplug callback holds the CPU hotplug lock.
 * Never sleeps.
 * Return: the objects the CPU's magazines held.
 */
unsigned long kslab_magazine_cpu_dead(struct kslab_cache *cache,
				      unsigned int cpu)
{
	if (cache->flags & KSLAB_NO_MAGAZINE)
		return 0;
	return cpu_flush(cache, cpu);
}

/**
 * kslab_depot_reap() - free the depot magazines the last interval left idle
 * @cache: the cache
 *
 * Return: the number of magazines freed.
 */
unsigned long kslab_depot_reap(struct kslab_cache *cache)
{
	struct kslab_depot *depot = &cache->depot;
	struct kslab_magazine *full, *empty;

	if (cache->flags & KSLAB_NO_MAGAZINE)
		return 0;
	depot_lock(depot);
	full = depot_detach(depot, true, depot->min_full);
	empty = depot_detach(depot, false, depot->min_empty);
	depot->min_full = depot->nr_full;
	depot->min_empty = depot->nr_empty;
	if (depot->contended > KSLAB_CONTENTION_GROW &&
	    depot->magazine_size < KSLAB_MAGAZINE_MAX) {
		depot->magazine_size = magazine_capacity(depot->magazine_size + 1);
		depot->resizes++;
	}
	depot->contended = 0;
	depot->swaps = 0;
	kslab_spin_unlock(&depot->lock);
	return magazines_release(cache, full) + magazines_release(cache, empty);
}

/**
 * kslab_magazine_exit() - free a cache's per-CPU caches; after a flush
 * @cache: the cache
 */
void kslab_magazine_exit(struct kslab_cache *cache)
{
	kslab_percpu_free(cache->cpu);
	cache->cpu = NULL;
}

static void add_cpu_counters(struct kslab_magazine_counters *sum,
			     const struct kslab_magazine_counters *cpu)
{
	sum->alloc_hit += cpu->alloc_hit;
	sum->alloc_swap += cpu->alloc_swap;
	sum->alloc_miss += cpu->alloc_miss;
	sum->free_hit += cpu->free_hit;
	sum->free_swap += cpu->free_swap;
	sum->free_miss += cpu->free_miss;
}

static unsigned long chain_rounds(const struct kslab_magazine *mag)
{
	unsigned long n = 0;

	for (; mag; mag = mag->next)
		n += kslab_mag_rounds(mag);
	return n;
}

struct stats_walk {
	struct kslab_cache *cache;
	struct kslab_cache_stats *stats;
	unsigned int only_cpu;		/* or KSLAB_ALL_CPUS */
};

#define KSLAB_ALL_CPUS	(~0U)

/*
 * Inside each CPU's section: its magazines cannot change under us, and
 * the counts the fast paths keep in the magazines are harvested first.
 */
static void cpu_stats_add(unsigned int cpu, void *arg)
{
	struct stats_walk *walk = arg;
	struct kslab_cpu_cache *cc = kslab_percpu_ptr(walk->cache->cpu, cpu);

	if (walk->only_cpu != KSLAB_ALL_CPUS && walk->only_cpu != cpu)
		return;
	if (!cc->loaded) {	/* no magazine on this CPU yet: no rounds */
		add_cpu_counters(&walk->stats->magazine, &cc->counts);
		return;
	}
	cpu_harvest(cc);
	add_cpu_counters(&walk->stats->magazine, &cc->counts);
	walk->stats->magazine_objs += kslab_mag_rounds(cc->loaded) +
				      kslab_mag_rounds(cc->previous);
	cpu_state_in(cc);
}

/**
 * kslab_magazine_stats() - fill in the magazine and depot counters
 * @cache: the cache
 * @stats: counters are added to what it holds
 *
 * Each CPU is read inside its own section, so each CPU's figures are
 * exact; their sum is a moment's snapshot. Process context.
 */
void kslab_magazine_stats(struct kslab_cache *cache,
			  struct kslab_cache_stats *stats)
{
	struct stats_walk walk = { .cache = cache, .stats = stats,
				   .only_cpu = KSLAB_ALL_CPUS };
	struct kslab_depot *depot = &cache->depot;
	unsigned int node;

	kslab_each_cpu_exclusive(cpu_stats_add, &walk);
	if (cache->flags & KSLAB_NO_MAGAZINE)
		return;
	kslab_spin_lock(&depot->lock);
	stats->magazine_size = depot->magazine_size;
	stats->depot_full = depot->nr_full;
	stats->depot_empty = depot->nr_empty;
	for (node = 0; node < KSLAB_MAX_NODES; node++)
		stats->depot_objs += chain_rounds(depot->full[node]);
	stats->magazine_objs += stats->depot_objs;
	stats->depot_full_gets = depot->full_gets;
	stats->depot_full_puts = depot->full_puts;
	stats->depot_empty_gets = depot->empty_gets;
	stats->depot_empty_puts = depot->empty_puts;
	stats->depot_contended = depot->contended_total;
	stats->magazine_resizes = depot->resizes;
	kslab_spin_unlock(&depot->lock);
}

/**
 * kslab_cpu_cache_stats() - one CPU's hit, swap and miss counters
 * @cache: the cache
 * @cpu:   the CPU
 * @stats: zeroed, then those counters filled in
 *
 * Process context: it enters that CPU's section to harvest its counts.
 */
void kslab_cpu_cache_stats(struct kslab_cache *cache, unsigned int cpu,
			   struct kslab_cache_stats *stats)
{
	struct stats_walk walk = { .cache = cache, .stats = stats,
				   .only_cpu = cpu };

	kslab_memset(stats, 0, sizeof(*stats));
	kslab_each_cpu_exclusive(cpu_stats_add, &walk);
}

/* ---- magazines a caller holds: sheaves (mm/sheaf.c) ---- */

/*
 * A sheaf's objects belong to its holder: a memory checker sees them open
 * from the moment the sheaf holds them, and closed again when the depot
 * takes them back (as kslab_cache_free_to() would close them).
 */
static void objs_mark(struct kslab_cache *cache, struct kslab_magazine *mag,
		      bool open)
{
	unsigned int i;

	if (!KSLAB_ENV_MARKS_OBJECTS ||
	    (!open && (cache->flags & KSLAB_TYPESAFE_BY_RCU)))
		return;
	for (i = 0; i < kslab_mag_rounds(mag); i++) {
		if (open)
			kslab_env_obj_alloc(mag->objs[i], cache->object_size,
					    cache->ctor);
		else
			kslab_env_obj_free(mag->objs[i], cache->object_size);
	}
}

/**
 * kslab_sheaf_magazine() - a magazine for a sheaf that wants @rounds more
 * @cache:  the cache
 * @rounds: the objects still wanted
 * @gfp:    allocation flags, for a new magazine
 *
 * A full magazine from the depot where the cache uses magazines and the
 * depot has one (its objects are the caller's from now on; it may hold
 * fewer than @rounds, or more), else a new empty one of a capacity that
 * holds @rounds, up to KSLAB_MAGAZINE_MAX. No lock held.
 * Return: the magazine, or NULL if memory ran out.
 */
struct kslab_magazine *kslab_sheaf_magazine(struct kslab_cache *cache,
					    unsigned int rounds, gfp_t gfp)
{
	struct kslab_magazine *mag = NULL;

	if (uses_magazines(cache)) {
		depot_lock(&cache->depot);
		/* Its holder allocates on this CPU, as a rule. */
		mag = depot_pop(&cache->depot, true,
				(int)kslab_cpu_node(kslab_cpu_id()));
		kslab_spin_unlock(&cache->depot.lock);
	}
	if (mag) {
		objs_mark(cache, mag, true);
		return mag;
	}
	return magazine_new(magazine_capacity(rounds), gfp);
}

/**
 * kslab_sheaf_magazine_put() - take back one magazine of a sheaf
 * @cache: the cache its objects belong to
 * @mag:   the magazine, with the objects its holder did not use
 *
 * The depot takes it whole if the cache uses magazines and it is no
 * larger than the depot's own; otherwise its objects are freed one by one
 * (debugged caches check each) and it goes back to its magazine cache.
 * No lock held.
 */
void kslab_sheaf_magazine_put(struct kslab_cache *cache,
			      struct kslab_magazine *mag)
{
	if (uses_magazines(cache) &&
	    kslab_mag_capacity(mag) <= cache->depot.magazine_size) {
		objs_mark(cache, mag, false);
		depot_give(cache, mag, kslab_cpu_node(kslab_cpu_id()));
		return;
	}
	kslab_cache_free_bulk(cache, kslab_mag_rounds(mag), mag->objs);
	magazine_free(mag);
}
