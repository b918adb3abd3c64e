/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The RCU tests: the portable suite (rcu_api.c, kslab headers only, also
 * run in the kernel test module) and the userspace one with reader and
 * writer threads (rcu_user.c, which holds main()).
 */
#ifndef KSLAB_SELFTESTS_RCU_TESTS_H
#define KSLAB_SELFTESTS_RCU_TESTS_H

#include "../ktap.h"

extern const struct ktap_suite rcu_api_suite;	/* rcu_api.c */

#endif /* KSLAB_SELFTESTS_RCU_TESTS_H */
