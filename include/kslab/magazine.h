/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Magazines and per-CPU caches: the two structures the port's per-CPU
 * magazine primitives (kslab_cpu_mag_pop/push, see <kslab/port.h>) work
 * on, so they are defined apart from the rest of the cache internals.
 * Their layout is fixed: the userspace port's restartable sequences
 * address the fields by these offsets.
 */
#ifndef KSLAB_MAGAZINE_H
#define KSLAB_MAGAZINE_H

#include <kslab/compiler.h>

/*
 * An array of object pointers. Everything that changes on a fast path is
 * in one word, so a restartable sequence commits a pop or a push, and
 * counts it, with a single store:
 *
 *   bits  0..7   rounds loaded
 *   bits  8..15  capacity (fixed)
 *   bits 16..39  pops by the fast path since the last harvest
 *   bits 40..63  pushes by the fast path since the last harvest
 *
 * A pop adds KSLAB_MAG_POP (one pop, one round less), a push KSLAB_MAG_PUSH.
 * The counts are harvested into the CPU's counters inside its section;
 * the fast paths give up once either count reaches KSLAB_MAG_HARVEST's bit,
 * so the slow path harvests long before a count could wrap.
 */
struct kslab_magazine {
	struct kslab_magazine *next;	/* depot list */
	unsigned long state;
	void *objs[];
};

#define KSLAB_MAG_ROUNDS_MASK	0xffUL
#define KSLAB_MAG_CAPACITY_SHIFT 8
#define KSLAB_MAG_POPS_SHIFT	16
#define KSLAB_MAG_PUSHES_SHIFT	40
#define KSLAB_MAG_COUNT_MASK	((1UL << 24) - 1)
#define KSLAB_MAG_POP		((1UL << KSLAB_MAG_POPS_SHIFT) - 1)
#define KSLAB_MAG_PUSH		((1UL << KSLAB_MAG_PUSHES_SHIFT) + 1)
#define KSLAB_MAG_HARVEST	((1UL << 39) | (1UL << 63))
#define KSLAB_MAGAZINE_MAX	254

static inline unsigned int kslab_mag_rounds(const struct kslab_magazine *mag)
{
	return (unsigned int)(mag->state & KSLAB_MAG_ROUNDS_MASK);
}

static inline unsigned int kslab_mag_capacity(const struct kslab_magazine *mag)
{
	return (unsigned int)((mag->state >> KSLAB_MAG_CAPACITY_SHIFT) &
			      KSLAB_MAG_ROUNDS_MASK);
}

static inline bool kslab_mag_full(const struct kslab_magazine *mag)
{
	return kslab_mag_rounds(mag) >= kslab_mag_capacity(mag);
}

/* Set the rounds of a magazine no fast path can reach; counts cleared. */
static inline void kslab_mag_set_rounds(struct kslab_magazine *mag,
					unsigned int rounds)
{
	mag->state = (mag->state & (KSLAB_MAG_ROUNDS_MASK <<
				    KSLAB_MAG_CAPACITY_SHIFT)) | rounds;
}

/* Pop and push outside the fast paths: counted by the caller, not here. */
static inline void *kslab_mag_pop(struct kslab_magazine *mag)
{
	mag->state--;
	return mag->objs[kslab_mag_rounds(mag)];
}

static inline void kslab_mag_push(struct kslab_magazine *mag, void *obj)
{
	mag->objs[kslab_mag_rounds(mag)] = obj;
	mag->state++;
}

/**
 * struct kslab_magazine_counters - how allocations and frees were served
 * @alloc_hit:  allocations served by a CPU's loaded magazine
 * @alloc_swap: ... by swapping in the CPU's previous magazine
 * @alloc_miss: ... that went to the depot or the slab layer
 * @free_hit:   frees into a CPU's loaded magazine
 * @free_swap:  ... after swapping in the previous magazine
 * @free_miss:  ... that went to the depot or the slab layer
 */
struct kslab_magazine_counters {
	unsigned long alloc_hit;
	unsigned long alloc_swap;
	unsigned long alloc_miss;
	unsigned long free_hit;
	unsigned long free_swap;
	unsigned long free_miss;
};

/*
 * Per CPU. The fast paths change only the loaded magazine's state and
 * objs; everything else changes inside the CPU's exclusive section.
 */
struct kslab_cpu_cache {
	struct kslab_magazine *loaded;
	struct kslab_magazine *previous;
	struct kslab_magazine_counters counts;
};

/*
 * Move a magazine's fast-path counts into its CPU's counters. Inside the
 * CPU's section, or on a magazine no fast path can reach.
 */
static inline void kslab_mag_harvest(struct kslab_cpu_cache *cc,
				     struct kslab_magazine *mag)
{
	if (!(mag->state >> KSLAB_MAG_POPS_SHIFT))
		return;		/* nothing counted: the empty sentinel stays unwritten */
	cc->counts.alloc_hit += (mag->state >> KSLAB_MAG_POPS_SHIFT) &
				KSLAB_MAG_COUNT_MASK;
	cc->counts.free_hit += mag->state >> KSLAB_MAG_PUSHES_SHIFT;
	mag->state &= (KSLAB_MAG_ROUNDS_MASK << KSLAB_MAG_CAPACITY_SHIFT) |
		      KSLAB_MAG_ROUNDS_MASK;
}

#define KSLAB_MAG_STATE_OFF	8
#define KSLAB_MAG_OBJS_OFF	16

_Static_assert(__builtin_offsetof(struct kslab_magazine, state) ==
	       KSLAB_MAG_STATE_OFF, "magazine layout");
_Static_assert(__builtin_offsetof(struct kslab_magazine, objs) ==
	       KSLAB_MAG_OBJS_OFF, "magazine layout");
_Static_assert(__builtin_offsetof(struct kslab_cpu_cache, loaded) == 0,
	       "per-CPU cache layout");

#endif /* KSLAB_MAGAZINE_H */
