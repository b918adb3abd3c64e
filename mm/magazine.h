/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The magazine layer's private header (mm/magazine.c owns the layer):
 * magazines, per-CPU caches and the depot, and the fast paths' pop and
 * push on the current CPU's loaded magazine. Internal to mm/.
 */
#ifndef KSLAB_MM_MAGAZINE_H
#define KSLAB_MM_MAGAZINE_H

#include "magazine_layout.h"
#include "port.h"

static inline unsigned int kslab_mag_rounds(const struct kslab_magazine *mag)
{
	return (unsigned int)(mag->state & KSLAB_MAG_ROUNDS_MASK);
}

static inline unsigned int kslab_mag_room(const struct kslab_magazine *mag)
{
	return (unsigned int)((mag->state >> KSLAB_MAG_ROOM_SHIFT) &
			      KSLAB_MAG_ROUNDS_MASK);
}

static inline unsigned int kslab_mag_capacity(const struct kslab_magazine *mag)
{
	return kslab_mag_rounds(mag) + kslab_mag_room(mag);
}

static inline bool kslab_mag_full(const struct kslab_magazine *mag)
{
	return !kslab_mag_room(mag);
}

/* Set the rounds of a magazine no fast path can reach; counts cleared. */
static inline void kslab_mag_set_rounds(struct kslab_magazine *mag,
					unsigned int rounds)
{
	unsigned int capacity = kslab_mag_capacity(mag);

	mag->state = rounds |
		     (unsigned long)(capacity - rounds) << KSLAB_MAG_ROOM_SHIFT;
}

/* An empty magazine of @capacity rounds, as it is made. */
static inline void kslab_mag_init(struct kslab_magazine *mag,
				  unsigned int capacity)
{
	mag->next = NULL;
	mag->state = (unsigned long)capacity << KSLAB_MAG_ROOM_SHIFT;
}

/*
 * Is @obj the round on top? Freeing it again would hand it out twice: the
 * cheap double-free check every push makes, the fast paths included.
 */
static inline bool kslab_mag_top_is(const struct kslab_magazine *mag,
				    const void *obj)
{
	unsigned int rounds = kslab_mag_rounds(mag);

	return KSLAB_HARDENING && rounds && mag->objs[rounds - 1] == obj;
}

/*
 * Pop and push outside the fast paths: counted by the caller, not here,
 * so the mark moves with the rounds.
 */
static inline void *kslab_mag_pop(struct kslab_magazine *mag)
{
	mag->state += (1UL << KSLAB_MAG_ROOM_SHIFT) - 1;
	mag->mark--;
	return mag->objs[kslab_mag_rounds(mag)];
}

static inline void kslab_mag_push(struct kslab_magazine *mag, void *obj)
{
	mag->objs[kslab_mag_rounds(mag)] = obj;
	mag->state -= (1UL << KSLAB_MAG_ROOM_SHIFT) - 1;
	mag->mark++;
}

/*
 * Move a magazine's fast-path counts into its CPU's counters. Inside the
 * CPU's section, or on a magazine no fast path can reach.
 */
static inline void kslab_mag_harvest(struct kslab_cpu_cache *cc,
				     struct kslab_magazine *mag)
{
	unsigned long ops = (mag->state >> KSLAB_MAG_OPS_SHIFT) &
			    KSLAB_MAG_OPS_MASK;
	long net = (long)kslab_mag_rounds(mag) - (long)mag->mark;

	if (!ops)
		return;		/* nothing counted: the empty sentinel stays unwritten */
	cc->counts.alloc_hit += (ops - net) / 2;
	cc->counts.free_hit += (ops + net) / 2;
	mag->state &= ~(KSLAB_MAG_OPS_MASK << KSLAB_MAG_OPS_SHIFT);
	mag->mark = kslab_mag_rounds(mag);
}

/*
 * The fast paths' pop and push: a round from, or onto, this CPU's loaded
 * magazine, counted as a hit; NULL (false) when the state word's sum has
 * a bit of @refuse: KSLAB_MAG_REFUSE (the magazine empty or full, a
 * harvest due, the profile's detour), or KSLAB_MAG_REFUSE_DIVERTED for
 * the profile's own pops and pushes (mm/magazine.c), and when the CPU is
 * in a section; the slow path then does the work inside the section. A
 * pop with @tagged leaves a round without kmalloc's free tag
 * (mm/kmalloc.h) to the slow path too, which reports it, so the fast
 * path never calls out. Both work on the loaded state word the CPU cache
 * keeps (mm/magazine_layout.h). Where the port has a restartable commit
 * (KSLAB_ENV_MAG_COMMIT: userspace rseq) it is that; elsewhere an
 * exclusive per-CPU section (the kernel: interrupts off).
 */
#if KSLAB_ENV_MAG_COMMIT
static inline void *kslab_cpu_mag_pop(struct kslab_cpu_cache *pcpu,
				      bool tagged, long refuse)
{
	return kslab_env_mag_pop(pcpu, tagged, refuse);
}

static inline bool kslab_cpu_mag_push(struct kslab_cpu_cache *pcpu, void *obj,
				      long refuse)
{
	return kslab_env_mag_push(pcpu, obj, refuse);
}
#else
/* The same sums as the sequences, inside the section instead. */
static inline void *kslab_cpu_mag_pop(struct kslab_cpu_cache *pcpu,
				      bool tagged, long refuse)
{
	unsigned int cpu = kslab_cpu_enter();
	struct kslab_cpu_cache *cc = kslab_percpu_ptr(pcpu, cpu);
	unsigned long state = cc->loaded_state + KSLAB_MAG_POP;
	void *obj = NULL;

	if (kslab_likely(!(state & (unsigned long)refuse))) {
		obj = cc->loaded->objs[state & KSLAB_MAG_ROUNDS_MASK];
		if (tagged && *(unsigned long *)obj != (unsigned long)pcpu)
			obj = NULL;
		else
			cc->loaded_state = state;
	}
	kslab_cpu_exit(cpu);
	return obj;
}

static inline bool kslab_cpu_mag_push(struct kslab_cpu_cache *pcpu,
				      void *obj, long refuse)
{
	unsigned int cpu = kslab_cpu_enter();
	struct kslab_cpu_cache *cc = kslab_percpu_ptr(pcpu, cpu);
	unsigned long state = cc->loaded_state + KSLAB_MAG_PUSH;
	unsigned int rounds = state & KSLAB_MAG_ROUNDS_MASK;
	bool done = false;

	if (kslab_likely(!(state & (unsigned long)refuse) &&
			 !(KSLAB_HARDENING && rounds > 1 &&
			   cc->loaded->objs[rounds - 2] == obj))) {
		cc->loaded->objs[rounds - 1] = obj;
		cc->loaded_state = state;
		done = true;
	}
	kslab_cpu_exit(cpu);
	return done;
}
#endif

/*
 * The depot: magazines no CPU holds. min_full and min_empty are the
 * lowest counts seen since the last reap; that many magazines were not
 * needed during the interval, so reap may free them. A full magazine
 * holds one NUMA node's objects (its CPU's) and waits on that node's
 * list for a CPU of the node; an empty one is anyone's.
 */
struct kslab_depot {
	struct kslab_spinlock lock;
	struct kslab_magazine *full[KSLAB_MAX_NODES];
	struct kslab_magazine *empty;
	unsigned long nr_full;		/* of every node */
	unsigned long nr_empty;
	unsigned long min_full;
	unsigned long min_empty;
	unsigned int magazine_size;
	unsigned int grow_limit;	/* the size traffic grows it to */
	unsigned long swaps;		/* the CPUs', since the last reap */
	unsigned long contended;	/* since the last reap */
	unsigned long contended_total;
	unsigned long full_gets;
	unsigned long full_puts;
	unsigned long empty_gets;
	unsigned long empty_puts;
	unsigned long resizes;
	unsigned int refills;		/* magazines filled from the slabs */
};


struct kslab_cache;

/* Magazine layer (mm/magazine.c) */
int kslab_magazine_init(struct kslab_cache *cache, unsigned int size);
void kslab_magazine_flush_all(struct kslab_cache *cache);
unsigned long kslab_depot_drain(struct kslab_cache *cache);
unsigned long kslab_magazine_cpu_dead(struct kslab_cache *cache,
				      unsigned int cpu);
void kslab_magazine_exit(struct kslab_cache *cache);
unsigned long kslab_depot_reap(struct kslab_cache *cache);
void kslab_magazine_stats(struct kslab_cache *cache,
			  struct kslab_cache_stats *stats);
void kslab_cpu_cache_stats(struct kslab_cache *cache, unsigned int cpu,
			   struct kslab_cache_stats *stats);

/* Magazines a caller holds (mm/sheaf.c). */
struct kslab_magazine *kslab_sheaf_magazine(struct kslab_cache *cache,
					    unsigned int rounds, gfp_t gfp);
void kslab_sheaf_magazine_put(struct kslab_cache *cache,
			      struct kslab_magazine *mag);

/* The slow halves of the fast paths (mm/fast_path.h). */
void *kslab_cache_alloc_slow(struct kslab_cache *cache, gfp_t gfp,
			     unsigned long caller) kslab_hidden;
void *kslab_cache_alloc_zeroed(struct kslab_cache *cache, gfp_t gfp,
			       unsigned long caller) kslab_hidden;
void kslab_cache_free_slow(struct kslab_cache *cache, void *obj,
			   unsigned long caller) kslab_hidden;
void kslab_cache_free_invalid(struct kslab_cache *cache, void *obj)
	kslab_hidden;
/* kslab_cache_alloc_node() for a site of the caller's (kmalloc's). */
void *kslab_cache_alloc_node_at(struct kslab_cache *cache, gfp_t gfp,
				int node, unsigned long caller) kslab_hidden;
void kslab_cache_free_numa(struct kslab_cache *cache,
			   struct kslab_cpu_cache *pcpu, void *obj,
			   unsigned long caller) kslab_hidden;

/* Every fast path refused, for the allocation profile (mm/magazine.c). */
extern bool kslab_mag_diverted kslab_hidden;
void kslab_magazine_divert_all(bool on) kslab_hidden;
#endif /* KSLAB_MM_MAGAZINE_H */
