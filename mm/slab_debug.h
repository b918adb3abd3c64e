/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Debugged caches (Documentation/debugging.rst): what the slab layer
 * calls on each object of a cache created with KSLAB_CONSISTENCY_CHECKS,
 * KSLAB_RED_ZONE, KSLAB_POISON or KSLAB_STORE_USER, by flag or through
 * KSLAB_DEBUG. Internal to mm/.
 *
 * A debugged cache has no magazines, so every allocation and free reaches
 * its slab, under the cache lock, where these checks run. Each object's
 * slot is
 *
 *   | left red zone | object      | right red zone | state | alloc | free |
 *    obj_offset      object_size   to meta_offset    (tracks with U)
 *
 * and objects still lie at s_mem + index * size, s_mem being the first
 * object, so the free fast path's arithmetic holds unchanged.
 */
#ifndef KSLAB_SLAB_DEBUG_H
#define KSLAB_SLAB_DEBUG_H

#include "slab.h"

#define KSLAB_DEBUG_FLAGS	(KSLAB_CONSISTENCY_CHECKS | KSLAB_RED_ZONE | \
				 KSLAB_POISON | KSLAB_STORE_USER)

/* Where an object was last allocated or freed. */
struct kslab_track {
	unsigned long caller;
	int cpu;
	int pid;
};

/* After each object's right red zone; the tracks only with U. */
struct kslab_debug_meta {
	unsigned long state;
	struct kslab_track alloc;
	struct kslab_track free;
};

/* What a check says of an object the slab layer hands out or takes back. */
enum kslab_debug_verdict {
	KSLAB_DEBUG_OK,
	KSLAB_DEBUG_REFUSE,	/* reported; nothing to change (a double free) */
	KSLAB_DEBUG_QUARANTINE,	/* reported; keep the object out of use */
};

unsigned long kslab_debug_flags_for(const char *name);
void kslab_debug_layout(struct kslab_cache *cache);
void kslab_debug_slab_init(struct kslab_cache *cache, struct kslab_slab *slab);
enum kslab_debug_verdict kslab_debug_alloc(struct kslab_cache *cache,
					   void *obj, unsigned long caller);
enum kslab_debug_verdict kslab_debug_free(struct kslab_cache *cache,
					  void *obj, unsigned long caller);
unsigned long kslab_debug_slab_check(struct kslab_cache *cache,
				     const struct kslab_slab *slab);
void kslab_debug_report_leaks(struct kslab_cache *cache);
unsigned int kslab_debug_quarantine_size(void);
void kslab_debug_track(struct kslab_track *t, unsigned long caller);
void kslab_debug_report_track(const char *what, const struct kslab_track *t);
bool kslab_debug_is_free(struct kslab_cache *cache, void *obj);
void *kslab_debug_delay(struct kslab_cache *cache, void *obj,
			enum kslab_debug_verdict *verdict);
void *kslab_debug_undelay_oldest(struct kslab_cache *cache,
				 enum kslab_debug_verdict *verdict);

#endif /* KSLAB_SLAB_DEBUG_H */
