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
 *   bits  0..7   rounds loaded         bit  8  set by a pop from an empty one
 *   bits  9..16  room left             bit 17  set by a push onto a full one
 *   bits 18..30  fast-path operations  bit 31  set once they are due for harvest
 *   bits 32..63  zero
 *
 * A pop adds KSLAB_MAG_POP: the rounds lose one and their carry gives the
 * room one more, and the operation count grows. A push adds
 * KSLAB_MAG_PUSH: a round more, and the room loses one, its carry counting
 * the operation. Adding first and testing the sum against
 * KSLAB_MAG_REFUSE then answers every question at once: a pop from an
 * empty magazine leaves bit 8 set, a push onto a full one bit 17, and the
 * count's carry reaches bit 31 after 8191 operations. A refused sum is
 * never stored. The test's 32-bit immediate sign-extends over bits
 * 31..63, which is why they stay zero. On success bit 8 is clear, so the
 * low byte is the round count.
 *
 * One count serves both paths: pops and pushes since the last harvest are
 * (ops - net) / 2 and (ops + net) / 2, where net is how far the rounds
 * moved since then: rounds less @mark. Code that moves rounds outside the
 * fast paths moves @mark with them, and a magazine leaving the depot for a
 * CPU starts with its mark at its rounds.
 */
struct kslab_magazine {
	union {
		struct kslab_magazine *next;	/* on a depot list */
		unsigned long mark;		/* held by a CPU */
	};
	unsigned long state;
	void *objs[];
};

#define KSLAB_MAG_ROUNDS_MASK	0xffUL
#define KSLAB_MAG_ROOM_SHIFT	9
#define KSLAB_MAG_OPS_SHIFT	18
#define KSLAB_MAG_OPS_MASK	0x1fffUL
#define KSLAB_MAG_POP		((1UL << KSLAB_MAG_OPS_SHIFT) + \
				 (1UL << KSLAB_MAG_ROOM_SHIFT) - 1)
#define KSLAB_MAG_PUSH		((1UL << KSLAB_MAG_OPS_SHIFT) - \
				 (1UL << KSLAB_MAG_ROOM_SHIFT) + 1)
/* Bits 8, 17 and 31..63: 0xffffffff80020100, a sign-extended imm32. */
#define KSLAB_MAG_REFUSE	(-0x7ffdff00L)
#define KSLAB_MAGAZINE_MAX	254

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

#define KSLAB_MAG_STATE_OFF	8
#define KSLAB_MAG_OBJS_OFF	16

_Static_assert(KSLAB_MAG_POP < (1UL << 31) && KSLAB_MAG_PUSH < (1UL << 31),
	       "fast-path constants must fit a signed 32-bit immediate");
_Static_assert(KSLAB_MAGAZINE_MAX <= KSLAB_MAG_ROUNDS_MASK,
	       "rounds and room must leave their guard bits clear");
_Static_assert((unsigned long)KSLAB_MAG_REFUSE ==
	       (~0UL << 31 | 1UL << (KSLAB_MAG_OPS_SHIFT - 1) |
		1UL << (KSLAB_MAG_ROOM_SHIFT - 1)), "guard bits");
_Static_assert(__builtin_offsetof(struct kslab_magazine, state) ==
	       KSLAB_MAG_STATE_OFF, "magazine layout");
_Static_assert(__builtin_offsetof(struct kslab_magazine, objs) ==
	       KSLAB_MAG_OBJS_OFF, "magazine layout");
_Static_assert(__builtin_offsetof(struct kslab_cpu_cache, loaded) == 0,
	       "per-CPU cache layout");

#endif /* KSLAB_MAGAZINE_H */
