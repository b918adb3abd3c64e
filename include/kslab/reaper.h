/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace only: a background thread that reaps every cache periodically,
 * as the kernel's periodic cache reaping does. Programs that prefer to
 * decide when to trim call kslab_reap_all() themselves instead.
 */
#ifndef KSLAB_REAPER_H
#define KSLAB_REAPER_H

#include <kslab/types.h>

KSLAB_BEGIN_DECLS

/**
 * kslab_reaper_start() - start reaping all caches every @interval_ms
 * @interval_ms: milliseconds between reaps, at least 1
 *
 * Calling it again while running changes the interval.
 * Return: 0, or an errno value if the thread could not be started.
 */
KSLAB_USER_API
int kslab_reaper_start(unsigned int interval_ms);

/**
 * kslab_reaper_stop() - stop the reaper and wait for its thread to end
 */
KSLAB_USER_API
void kslab_reaper_stop(void);

/**
 * kslab_reaper_passes() - how many times the reaper has reaped
 *
 * Return: the count since the program started.
 */
KSLAB_USER_API
unsigned long kslab_reaper_passes(void);

KSLAB_END_DECLS

#endif /* KSLAB_REAPER_H */
