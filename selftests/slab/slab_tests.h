/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between the portable object-cache tests (one file a topic, each
 * one suite; they use only kslab headers so they may one day run inside
 * the kernel module) and the userspace-only ones in slab_user.c, which
 * also holds main() and the environment hooks declared at the end.
 *
 * Caches are global, so every test makes its own, uniquely named cache
 * and destroys it before it ends; test_cache_destroy() also proves the
 * cache was left consistent and that destroying it reported nothing.
 */
#ifndef KSLAB_SELFTESTS_SLAB_TESTS_H
#define KSLAB_SELFTESTS_SLAB_TESTS_H

#include <kslab/buddy.h>
#include <kslab/report.h>
#include <kslab/slab.h>

#include "../capture.h"
#include "../ktap.h"

/* The portable suites, in the order main() runs them. */
extern const struct ktap_suite slab_create_suite;	/* slab_create.c */
extern const struct ktap_suite slab_layout_suite;	/* slab_layout.c */
extern const struct ktap_suite slab_ctor_suite;		/* slab_ctor.c */
extern const struct ktap_suite slab_bad_free_suite;	/* slab_bad_free.c */
extern const struct ktap_suite slab_magazine_suite;	/* slab_magazine.c */
extern const struct ktap_suite slab_reclaim_suite;	/* slab_reclaim.c */
extern const struct ktap_suite slab_stats_suite;	/* slab_stats.c */
extern const struct ktap_suite slab_words_suite;	/* slab_words.c */
extern const struct ktap_suite slab_sheaf_suite;	/* slab_sheaf.c */
extern const struct ktap_suite slab_migrate_suite;	/* slab_migrate.c, userspace */

/* ---- caches and their objects (slab_fixtures.c) ---- */
struct kslab_cache *test_cache(struct ktap_test *t, const char *name,
			       unsigned int size,
			       const struct kslab_cache_args *args,
			       unsigned long flags);
void test_cache_destroy(struct ktap_test *t, struct kslab_cache *cache);
struct kslab_cache_stats cache_stats(struct kslab_cache *cache);
unsigned long held_objs(struct kslab_cache *cache);
bool alloc_objs(struct ktap_test *t, struct kslab_cache *cache, void **objs,
		unsigned long n);
void free_objs(struct kslab_cache *cache, void **objs, unsigned long n);
unsigned long slab_bytes(const struct kslab_cache_stats *st);
unsigned long offset_in_slab(const void *obj,
			     const struct kslab_cache_stats *st);
bool objs_disjoint(void *const *objs, unsigned long n, unsigned long size);
void *meta_alloc(struct ktap_test *t, unsigned long bytes);
void meta_free(void *p, unsigned long bytes);

/*
 * ---- the magazine rig (slab_fixtures.c) ----
 *
 * A fresh cache with magazines of RIG_MAGAZINE rounds, used by a test
 * pinned to one CPU, and the objects the test holds, freed last-in
 * first-out. Every magazine transition is then predictable.
 */
#define RIG_MAGAZINE	14
#define RIG_MAX_HELD	64

struct rig {
	struct kslab_cache *cache;
	unsigned int cpu;
	unsigned long nr_held;
	void *held[RIG_MAX_HELD];
};

bool rig_start(struct ktap_test *t, struct rig *rig, const char *name,
	       unsigned int size);
void rig_alloc(struct ktap_test *t, struct rig *rig, unsigned long n);
void rig_free(struct rig *rig, unsigned long n);
void rig_end(struct ktap_test *t, struct rig *rig);

/* ---- constructed objects (slab_fixtures.c) ---- */
#define CTOR_MAGIC	0xc0257c7eUL
#define CTOR_FILL	0xa5
#define CTOR_FILL_LEN	40

/* What the test constructor makes: 64 bytes, every one of them set. */
struct ctor_obj {
	unsigned long magic;
	struct ctor_obj *self;
	unsigned long state;		/* the user's: 0 when constructed */
	unsigned char fill[CTOR_FILL_LEN];
};

/* Calls of test_ctor() and test_dtor(), shared by every test using them. */
struct ctor_counts {
	struct kslab_atomic ctors;
	struct kslab_atomic dtors;
	struct kslab_atomic bad_dtors;	/* objects not constructed at dtor */
};

extern struct ctor_counts ctor_counts;
extern const struct kslab_cache_args ctor_args;

void ctor_counts_reset(void);
void test_ctor(void *obj);
void test_dtor(void *obj);
bool ctor_obj_constructed(const struct ctor_obj *obj);

/* ---- memory exhaustion (slab_fixtures.c) ---- */
bool default_zone_cap(struct ktap_test *t);
void default_zone_uncap(void);

/*
 * ---- environment hooks, defined next to main() (slab_user.c) ----
 *
 * Magazine counters are per CPU: a test that predicts them exactly keeps
 * itself on one CPU meanwhile. test_cpu_pin() returns false, after
 * marking the test skipped, where that cannot be done.
 */
bool test_cpu_pin(struct ktap_test *t, unsigned int *cpu);
void test_cpu_unpin(void);

#endif /* KSLAB_SELFTESTS_SLAB_TESTS_H */
