/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kmalloc tests: the portable API suite (kmalloc_api.c, kslab headers
 * only, so it may run in the kernel test module too) and the userspace
 * one with threads (kmalloc_user.c, which holds main()).
 */
#ifndef KSLAB_SELFTESTS_KMALLOC_TESTS_H
#define KSLAB_SELFTESTS_KMALLOC_TESTS_H

#include "../ktap.h"

extern const struct ktap_suite kmalloc_suite;	/* kmalloc_api.c */

#endif /* KSLAB_SELFTESTS_KMALLOC_TESTS_H */
