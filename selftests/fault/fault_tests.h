/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fault injection tests: the portable suites (fault_api.c, the points
 * and their configuration; fault_scenarios.c, each allocation of kslab's
 * key paths failed in turn), which use kslab headers only and also run in
 * the kernel test module, and the userspace one (fault_user.c: the
 * KSLAB_FAIL variable, the malloc), which holds main().
 */
#ifndef KSLAB_SELFTESTS_FAULT_TESTS_H
#define KSLAB_SELFTESTS_FAULT_TESTS_H

#include <kslab/fault.h>

#include "../ktap.h"

extern const struct ktap_suite fault_api_suite;		/* fault_api.c */
extern const struct ktap_suite fault_scenarios_suite;	/* fault_scenarios.c */

/*
 * What one run of a scenario saw: the failures it was handed (NULL, or
 * the documented error), and the contracts it found broken.
 */
struct fault_outcome {
	unsigned long failed;
	unsigned long problems;
	const char *first_problem;	/* the first, for the report */
	int first_line;
};

void fault_outcome_check(struct fault_outcome *o, bool ok, const char *what,
			 int line);

#define FAULT_CHECK(o, cond) fault_outcome_check((o), !!(cond), #cond, __LINE__)

#define FAULT_MAX_SIZES	8

/**
 * struct fault_scenario - something to run with each allocation failed
 * @name:       for the report
 * @run:        run it once, whatever fails, and undo it all
 * @must_reach: the injections (FAULT_INJECT_* bits) it must see fail
 * @sizes:      the kmalloc sizes it asks for that size classes serve,
 *              whose caches are shrunk before pages are counted
 */
struct fault_scenario {
	const char *name;
	void (*run)(struct fault_outcome *o);
	unsigned int must_reach;
	size_t sizes[FAULT_MAX_SIZES];
};

/* The ways fault_drive() injects, in order. */
enum {
	FAULT_INJECT_PAGES,	/* the pages point */
	FAULT_INJECT_META,	/* the meta point */
	FAULT_INJECT_CACHES,	/* the cache point, every cache */
	FAULT_INJECT_INTERNAL,	/* the cache point, kslab's own caches */
	FAULT_INJECT_KMALLOC,	/* the kmalloc point */
	FAULT_INJECTIONS,
};

/*
 * Run @s with the 1st call of each injection failed, then the 2nd, and so
 * on until a run sees no failure; after each run prove that nothing
 * leaked and that every cache and the zone are consistent.
 */
void fault_drive(struct ktap_test *t, const struct fault_scenario *s);

#endif /* KSLAB_SELFTESTS_FAULT_TESTS_H */
