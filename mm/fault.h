/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection's hooks, for the allocation paths of mm/ (mm/fault.c
 * owns them and the points' state). Internal to mm/.
 */
#ifndef KSLAB_MM_FAULT_H
#define KSLAB_MM_FAULT_H

#include <kslab/fault.h>

#include "port.h"

struct kslab_cache;

/*
 * Bit n set: point n is armed, or the environment's options are not read
 * yet (every bit is set until then, so that the first call of each point
 * reads them).
 */
extern unsigned long kslab_fault_armed kslab_hidden;

bool kslab_fault_should_fail(enum kslab_fault_point point, gfp_t gfp);

/**
 * kslab_fault_hit() - should this call of @point fail?
 * @point: the point
 * @gfp:   the call's flags: a point armed with "nonblocking" passes over
 *         calls that may sleep
 *
 * One test of a global that is zero when nothing is armed.
 * Return: true if the caller must fail the call.
 */
static inline bool kslab_fault_hit(enum kslab_fault_point point, gfp_t gfp)
{
	return kslab_unlikely(KSLAB_READ_ONCE(kslab_fault_armed) &
			      (1UL << point)) &&
	       kslab_fault_should_fail(point, gfp);
}

/* kslab_env_meta_alloc() and kslab_percpu_alloc(), for the meta point. */
static inline void *kslab_meta_alloc(size_t size, gfp_t gfp)
{
	if (kslab_fault_hit(KSLAB_FAULT_META, gfp))
		return NULL;
	return kslab_env_meta_alloc(size, gfp);
}

static inline void *kslab_meta_percpu_alloc(size_t size)
{
	if (kslab_fault_hit(KSLAB_FAULT_META, GFP_KERNEL))
		return NULL;
	return kslab_percpu_alloc(size);
}

unsigned int kslab_fault_cache_bits(const struct kslab_cache *cache);
void kslab_fault_lock(void);
void kslab_fault_unlock(void);

#endif /* KSLAB_MM_FAULT_H */
