/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection: make chosen allocations fail on purpose, to test the
 * code that handles their failure. Four points can fail: allocations of
 * object caches (one, a family by name prefix, or all), kmalloc calls,
 * buddy page allocations, and kslab's own descriptors. Each point fails
 * every Nth call, the Nth call only, or calls at random with a seeded
 * sequence, optionally a limited number of times. Configured by the
 * KSLAB_FAIL environment variable in userspace, the fail= parameter of the
 * kernel module, kslab_fault_configure() with the same syntax, or
 * kslab_fault_set(). Documentation/fault-injection.rst has the syntax and
 * says what exactly each point fails.
 */
#ifndef KSLAB_FAULT_H
#define KSLAB_FAULT_H

#include <kslab/types.h>

KSLAB_BEGIN_DECLS

/**
 * enum kslab_fault_point - where an allocation can be made to fail
 * @KSLAB_FAULT_CACHE:   kslab_cache_alloc() calls of the caches named by
 *                       the configuration's @cache, internal caches (slab
 *                       headers, magazines) included
 * @KSLAB_FAULT_KMALLOC: kslab_kmalloc() and kslab_kmalloc_aligned() calls
 *                       of every size (and so kzalloc, kcalloc, krealloc
 *                       when it moves, and the userspace malloc)
 * @KSLAB_FAULT_PAGES:   buddy page allocations of every zone and order
 * @KSLAB_FAULT_META:    kslab's own descriptors: caches, per-CPU caches,
 *                       zones, chunk descriptors, page-map leaves
 * @KSLAB_FAULT_POINTS:  how many points there are
 */
enum kslab_fault_point {
	KSLAB_FAULT_CACHE,
	KSLAB_FAULT_KMALLOC,
	KSLAB_FAULT_PAGES,
	KSLAB_FAULT_META,
	KSLAB_FAULT_POINTS,
};

#define KSLAB_FAULT_NAME_LEN		32
/* One in a million, the unit of a probability. */
#define KSLAB_FAULT_CERTAIN		1000000UL

/**
 * struct kslab_fault_config - which calls of a point fail
 * @every:       fail calls @every, 2 * @every, 3 * @every...; 1 fails all
 * @nth:         fail call @nth only
 * @probability: fail each call with this chance, in millionths
 *               (KSLAB_FAULT_CERTAIN fails every call)
 * @times:       fail at most this many calls; 0 for no limit
 * @seed:        where the point's random sequence starts, for
 *               @probability; 0 for a fixed default. The same seed gives
 *               the same failures to the same calls in one thread.
 * @nonblocking: only calls that may not sleep (flags without
 *               __GFP_DIRECT_RECLAIM: GFP_ATOMIC, GFP_NOWAIT) are counted
 *               and failed, as the kernel's failslab does with
 *               ignore-gfp-wait; not for the meta point
 * @cache:       KSLAB_FAULT_CACHE only: a cache name, a name prefix ending
 *               in '*', or "" or "*" for every cache
 *
 * Exactly one of @every, @nth and @probability is non-zero. Calls are
 * counted from 1 when the point is armed.
 */
struct kslab_fault_config {
	unsigned long every;
	unsigned long nth;
	unsigned long probability;
	unsigned long times;
	unsigned long seed;
	bool nonblocking;
	char cache[KSLAB_FAULT_NAME_LEN];
};

/**
 * struct kslab_fault_counts - what a point has done since it was armed
 * @armed:    whether it is armed now
 * @calls:    the calls it decided on
 * @failures: of those, the calls it failed
 */
struct kslab_fault_counts {
	bool armed;
	unsigned long calls;
	unsigned long failures;
};

/**
 * kslab_fault_set() - arm a point
 * @point:  the point
 * @config: when it fails
 *
 * Replaces the point's configuration and zeroes its counters. Arming the
 * cache point for a cache, or the kmalloc point, flushes the per-CPU
 * magazines of the caches concerned: see the documentation. Process
 * context. Return: 0, or -1 with a report saying why @config is invalid.
 */
KSLAB_API
int kslab_fault_set(enum kslab_fault_point point,
		    const struct kslab_fault_config *config);

/**
 * kslab_fault_clear() - disarm a point
 * @point: the point
 *
 * Its counters keep their values until it is armed again. Process context.
 */
KSLAB_API
void kslab_fault_clear(enum kslab_fault_point point);

/**
 * kslab_fault_read() - read a point's state and counters
 * @point:  the point
 * @counts: filled in
 */
KSLAB_API
void kslab_fault_read(enum kslab_fault_point point,
		      struct kslab_fault_counts *counts);

/**
 * kslab_fault_configure() - set every point from a text
 * @options: the KSLAB_FAIL syntax, for example "kmalloc:every=7;pages:nth=3";
 *           "" disarms every point
 *
 * Points the text names are armed as it says, the others disarmed. A text
 * with an error changes nothing and is reported, with the place it is in.
 * Process context. Return: 0, or -1.
 */
KSLAB_API
int kslab_fault_configure(const char *options);

KSLAB_END_DECLS

#endif /* KSLAB_FAULT_H */
