/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The region tests: the portable suite (region_api.c, kslab headers only,
 * so it also runs in the kernel test module) and the userspace one
 * (region_user.c, which holds main()).
 */
#ifndef KSLAB_SELFTESTS_REGION_TESTS_H
#define KSLAB_SELFTESTS_REGION_TESTS_H

#include "../ktap.h"

extern const struct ktap_suite region_suite;	/* region_api.c */

#endif /* KSLAB_SELFTESTS_REGION_TESTS_H */
