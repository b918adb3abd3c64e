/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The magazine's layout: the one place where the magazine layer (mm/)
 * and a port's restartable sequences meet (Documentation/port.rst). A
 * sequence addresses a magazine by these offsets and commits a pop or a
 * push by adding these constants to its state word; nothing else of the
 * allocator is known to it. The static assertions keep the two in step.
 * mm/magazine.h builds the magazine layer on it.
 */
#ifndef KSLAB_MM_MAGAZINE_LAYOUT_H
#define KSLAB_MM_MAGAZINE_LAYOUT_H

#include <kslab/slab.h>		/* struct kslab_magazine_counters */

#include "compiler.h"

/*
 * An array of object pointers. Everything that changes on a fast path is
 * in one word (kept in the CPU cache while the magazine is loaded, see
 * below), so a restartable sequence commits a pop or a push, and counts
 * it, with a single store:
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
/*
 * A bit of the refused ones no sum reaches, which a CPU's loaded state
 * carries while every fast path must give up (mm/magazine.c, diverting).
 */
#define KSLAB_MAG_DIVERT	(1UL << 48)
/* What the profile's own pops and pushes refuse: all but the detour. */
#define KSLAB_MAG_REFUSE_DIVERTED \
	((long)((unsigned long)KSLAB_MAG_REFUSE & ~KSLAB_MAG_DIVERT))

/*
 * Per CPU. While a magazine is loaded, its state word lives here, beside
 * the pointer to it (the magazine's own @state is stale until it is
 * unloaded): a fast path reads both from one line at once and then needs
 * only the round it takes or the slot it fills, so a free or an
 * allocation waits for one load fewer. The fast paths change only
 * @loaded_state and the loaded magazine's objs; everything else changes
 * inside the CPU's exclusive section.
 */
struct kslab_cpu_cache {
	struct kslab_magazine *loaded;
	unsigned long loaded_state;
	struct kslab_magazine *previous;
	struct kslab_magazine_counters counts;
	unsigned long swaps;	/* since its last trade with the depot */
};

#define KSLAB_CPU_STATE_OFF	8
#define KSLAB_MAG_OBJS_OFF	16

_Static_assert(KSLAB_MAG_POP < (1UL << 31) && KSLAB_MAG_PUSH < (1UL << 31),
	       "fast-path constants must fit a signed 32-bit immediate");
_Static_assert(KSLAB_MAGAZINE_MAX <= KSLAB_MAG_ROUNDS_MASK,
	       "rounds and room must leave their guard bits clear");
_Static_assert((unsigned long)KSLAB_MAG_REFUSE ==
	       (~0UL << 31 | 1UL << (KSLAB_MAG_OPS_SHIFT - 1) |
		1UL << (KSLAB_MAG_ROOM_SHIFT - 1)), "guard bits");
_Static_assert(__builtin_offsetof(struct kslab_magazine, objs) ==
	       KSLAB_MAG_OBJS_OFF, "magazine layout");
_Static_assert(__builtin_offsetof(struct kslab_cpu_cache, loaded) == 0,
	       "per-CPU cache layout");
_Static_assert(__builtin_offsetof(struct kslab_cpu_cache, loaded_state) ==
	       KSLAB_CPU_STATE_OFF, "per-CPU cache layout");

#endif /* KSLAB_MM_MAGAZINE_LAYOUT_H */
