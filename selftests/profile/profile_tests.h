/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The allocation profile's tests: the portable suite (profile_api.c,
 * kslab headers only, also run in the kernel test module) and the
 * userspace one (profile_user.c: the KSLAB_PROFILE setting, the exit
 * report, the signal, threads, the slabinfo tool; it holds main()).
 */
#ifndef KSLAB_SELFTESTS_PROFILE_TESTS_H
#define KSLAB_SELFTESTS_PROFILE_TESTS_H

#include <kslab/profile.h>

#include "../ktap.h"

extern const struct ktap_suite profile_api_suite;	/* profile_api.c */

/*
 * The live figures of the site inside the function at @fn (a call in its
 * first SITE_SPAN bytes), zero if it has none; false if the profile could
 * not be listed.
 */
#define SITE_SPAN	1024UL
bool site_in(unsigned long fn, struct kslab_site_stats *st);

#endif /* KSLAB_SELFTESTS_PROFILE_TESTS_H */
