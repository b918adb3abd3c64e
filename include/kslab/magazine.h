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
 *   bits  8..19  pops by the fast path since the last harvest
 *   bits 20..30  pushes by the fast path since the last harvest
 *   bits 32..39  capacity (fixed)
 *
 * A pop adds KSLAB_MAG_POP (one pop, one round less), a push KSLAB_MAG_PUSH.
 * The counts are harvested into the CPU's counters inside its section;
 * the fast paths give up once either count reaches its top bit
 * (KSLAB_MAG_HARVEST), so a count never wraps and the slow path runs about
 * once per thousand operations. Everything the fast paths add or test
 * fits a 32-bit immediate, which keeps their register count low.
 */
struct kslab_magazine {
	struct kslab_magazine *next;	/* depot list */
	unsigned long state;
	void *objs[];
};

#define KSLAB_MAG_ROUNDS_MASK	0xffUL
#define KSLAB_MAG_POPS_SHIFT	8
#define KSLAB_MAG_POPS_MASK	((1UL << 12) - 1)
#define KSLAB_MAG_PUSHES_SHIFT	20
#define KSLAB_MAG_PUSHES_MASK	((1UL << 11) - 1)
#define KSLAB_MAG_CAPACITY_SHIFT 32
#define KSLAB_MAG_POP		((1UL << KSLAB_MAG_POPS_SHIFT) - 1)
#define KSLAB_MAG_PUSH		((1UL << KSLAB_MAG_PUSHES_SHIFT) + 1)
#define KSLAB_MAG_HARVEST	((1UL << 19) | (1UL << 30))
#define KSLAB_MAG_COUNTS	((KSLAB_MAG_POPS_MASK << KSLAB_MAG_POPS_SHIFT) | \
				 (KSLAB_MAG_PUSHES_MASK << KSLAB_MAG_PUSHES_SHIFT))
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
	if (!(mag->state & KSLAB_MAG_COUNTS))
		return;		/* nothing counted: the empty sentinel stays unwritten */
	cc->counts.alloc_hit += (mag->state >> KSLAB_MAG_POPS_SHIFT) &
				KSLAB_MAG_POPS_MASK;
	cc->counts.free_hit += (mag->state >> KSLAB_MAG_PUSHES_SHIFT) &
			       KSLAB_MAG_PUSHES_MASK;
	mag->state &= ~KSLAB_MAG_COUNTS;
}

#define KSLAB_MAG_STATE_OFF	8
#define KSLAB_MAG_OBJS_OFF	16

_Static_assert(KSLAB_MAG_HARVEST < (1UL << 31) && KSLAB_MAG_PUSH < (1UL << 31),
	       "fast-path constants must fit a signed 32-bit immediate");
_Static_assert(__builtin_offsetof(struct kslab_magazine, state) ==
	       KSLAB_MAG_STATE_OFF, "magazine layout");
_Static_assert(__builtin_offsetof(struct kslab_magazine, objs) ==
	       KSLAB_MAG_OBJS_OFF, "magazine layout");
_Static_assert(__builtin_offsetof(struct kslab_cpu_cache, loaded) == 0,
	       "per-CPU cache layout");

#endif /* KSLAB_MAGAZINE_H */
