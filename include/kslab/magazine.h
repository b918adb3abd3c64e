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

/* An array of object pointers; rounds of capacity are loaded. */
struct kslab_magazine {
	struct kslab_magazine *next;	/* depot list */
	unsigned int rounds;
	unsigned int capacity;
	void *objs[];
};

/*
 * Per CPU. The fast paths change only loaded->rounds, loaded->objs and the
 * hit counters; everything else changes inside the CPU's exclusive section.
 */
struct kslab_cpu_cache {
	struct kslab_magazine *loaded;
	struct kslab_magazine *previous;
	unsigned long alloc_hit;
	unsigned long alloc_swap;
	unsigned long alloc_miss;
	unsigned long free_hit;
	unsigned long free_swap;
	unsigned long free_miss;
};

#define KSLAB_MAG_ROUNDS_OFF	8
#define KSLAB_MAG_CAPACITY_OFF	12
#define KSLAB_MAG_OBJS_OFF	16

_Static_assert(__builtin_offsetof(struct kslab_magazine, rounds) ==
	       KSLAB_MAG_ROUNDS_OFF, "magazine layout");
_Static_assert(__builtin_offsetof(struct kslab_magazine, capacity) ==
	       KSLAB_MAG_CAPACITY_OFF, "magazine layout");
_Static_assert(__builtin_offsetof(struct kslab_magazine, objs) ==
	       KSLAB_MAG_OBJS_OFF, "magazine layout");
_Static_assert(__builtin_offsetof(struct kslab_cpu_cache, loaded) == 0,
	       "per-CPU cache layout");

#endif /* KSLAB_MAGAZINE_H */
