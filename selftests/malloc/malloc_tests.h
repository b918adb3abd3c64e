/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The malloc tests: the API suite (malloc_api.c) and the process-level
 * one (malloc_user.c: memory given back, threads with fork, settings),
 * which also holds main().
 */
#ifndef KSLAB_SELFTESTS_MALLOC_TESTS_H
#define KSLAB_SELFTESTS_MALLOC_TESTS_H

#include "../capture.h"
#include "../ktap.h"

extern const struct ktap_suite malloc_suite;	/* malloc_api.c */

#endif /* KSLAB_SELFTESTS_MALLOC_TESTS_H */
