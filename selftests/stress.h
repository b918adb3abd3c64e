/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A multi-thread stress driver for the userspace test programs, shared by
 * the buddy and the object-cache tests so that both hammer their
 * allocator the same way: threads started together, each with its own
 * seeded generator and a handful of live items, allocating, freeing its
 * own items and handing others to whichever thread comes next through a
 * locked exchange, so that many frees happen on another thread (and CPU)
 * than the allocation.
 *
 * What an item is, how it is allocated, marked and checked is the
 * allocator's business: the two callbacks of struct stress_ops. The
 * driver counts allocations, failures, cross-thread frees and damage
 * found, and checks what holds for any allocator.
 *
 * Userspace only: it uses pthreads. The portable test sources must not
 * include this header.
 */
#ifndef KSLAB_SELFTESTS_STRESS_H
#define KSLAB_SELFTESTS_STRESS_H

#include "ktap.h"

/* Tags are unique across threads because their low bits name the thread. */
#define STRESS_MAX_THREADS	8
/* Items one thread holds at most. */
#define STRESS_LOCAL		32
/* Exchange slots: few, so that handed items are soon taken again. */
#define STRESS_SLOTS		8

/*
 * One allocated thing. @addr and @order are the callbacks' to fill; the
 * driver sets @tag and @owner before the allocation.
 */
struct stress_item {
	void *addr;		/* NULL: nothing (an empty exchange slot) */
	unsigned long tag;	/* unique while the item lives: mark it */
	unsigned int order;	/* free for the callbacks: a block's order */
	unsigned int owner;	/* the thread that allocated it */
};

struct stress_counts {
	unsigned long allocs;
	unsigned long failures;		/* the allocator had nothing */
	unsigned long cross_frees;	/* freed by another thread */
	unsigned long corrupt;		/* damage the callbacks found */
};

struct stress_shared;

/*
 * One thread of a run. The callbacks may use @id, @rng (drawing from it
 * keeps a run reproducible) and @ctx; the rest is the driver's.
 */
struct stress_thread {
	unsigned int id;
	struct ktap_rng rng;
	void *ctx;			/* stress_config.ctx */
	struct stress_shared *sh;
	struct stress_item live[STRESS_LOCAL];
	unsigned int nr_live;
	unsigned long seq;		/* allocations so far, for tags */
	struct stress_counts counts;
};

struct stress_ops {
	/*
	 * Allocate into @item->addr, leaving it NULL if the allocator has
	 * nothing, and mark the item with @item->tag. Return: false if what
	 * came back is damaged (it is kept, and released later, all the same).
	 */
	bool (*alloc)(struct stress_thread *th, struct stress_item *item);
	/* Check @item's mark and free it. Return: false if it was damaged. */
	bool (*release)(struct stress_thread *th,
			const struct stress_item *item);
};

struct stress_config {
	const struct stress_ops *ops;
	void *ctx;			/* handed to the callbacks */
	unsigned int nr_threads;	/* 1 to STRESS_MAX_THREADS */
	unsigned long nr_ops;		/* per thread */
	unsigned int yield_every;	/* ops between two sched_yield()s */
	unsigned long long seed;	/* distinct runs want distinct seeds */
};

/**
 * stress_run() - run @cfg's threads to the end and free what they left
 * @t:   the test the checks count in
 * @cfg: the allocator's callbacks and the size of the run
 *
 * Checks that every thread started, that no damage was found, that at
 * least a quarter of the operations were allocations and that some items
 * were freed by another thread than their allocator's.
 *
 * Return: the counts summed over the run, for the caller's own checks
 * (failures, say, where the allocator must not run dry).
 */
struct stress_counts stress_run(struct ktap_test *t,
				const struct stress_config *cfg);

#endif /* KSLAB_SELFTESTS_STRESS_H */
