/* SPDX-License-Identifier: GPL-2.0 */
/* The compat program's suites, one per file (compat_tests.c has main()). */
#ifndef KSLAB_SELFTESTS_COMPAT_TESTS_H
#define KSLAB_SELFTESTS_COMPAT_TESTS_H

#include <kslab/slab.h>

#include "../capture.h"
#include "../ktap.h"

extern const struct ktap_suite compat_new_suite;
extern const struct ktap_suite compat_types_suite;
extern const struct ktap_suite compat_urcu_suite;

/* kslab queued @n deferred frees since @before, and all of them end. */
void expect_rcu_frees(struct ktap_test *t, const struct kslab_rcu_stats *before,
		      unsigned long n);

/* compat_urcu.c's part, run in a fresh process given this argument. */
#define COMPAT_URCU_ARG	"--urcu-threads"
int compat_urcu_child(void);

#endif /* KSLAB_SELFTESTS_COMPAT_TESTS_H */
