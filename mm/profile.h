/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Allocation profiling's hooks (mm/profile.c owns the profile), for the
 * slow halves of the fast paths, the bulk calls, sheaves and kmalloc's
 * large blocks: inline checks, a load and a branch while profiling is
 * off, that leave the work to mm/profile.c when it is on. The fast paths
 * themselves have none: the profile diverts them to the slow halves
 * (mm/magazine.c). Internal to mm/.
 */
#ifndef KSLAB_MM_PROFILE_H
#define KSLAB_MM_PROFILE_H

#include "port.h"

struct kslab_cache;
struct kslab_slab;

/* Set while allocations are being attributed; read on every one. */
extern bool kslab_profiling kslab_hidden;
/* Set once the tables exist: frees then look for their sites. */
extern bool kslab_profile_tables kslab_hidden;

void *kslab_profile_note_alloc(struct kslab_cache *cache, void *obj,
			       unsigned long caller) kslab_hidden;
void kslab_profile_note_free(struct kslab_cache *cache, const void *obj)
	kslab_hidden;
void kslab_profile_note_large(const void *p, unsigned long caller)
	kslab_hidden;
void kslab_profile_note_large_free(const void *p) kslab_hidden;
void kslab_profile_slab_release(struct kslab_cache *cache,
				struct kslab_slab *slab) kslab_hidden;
void kslab_profile_init(void) kslab_hidden;
int kslab_profile_start_locked(void) kslab_hidden;
void kslab_profile_exit(void) kslab_hidden;
void kslab_profile_lock(void) kslab_hidden;
void kslab_profile_unlock(void) kslab_hidden;

/*
 * Sampled heap profiles (mm/heap_profile.c). A slab vector's entry with
 * KSLAB_SAMPLED set is a sample record's number, not a site's.
 */
#define KSLAB_SAMPLED		0x8000U
#define KSLAB_STACK_DEPTH	32	/* frames kept of a sampled stack */
#define KSLAB_STACK_SKIP_MAX	16	/* kslab's own frames above the caller */
#define KSLAB_SAMPLE_RATE_MAX	(1UL << 26)
extern unsigned long kslab_sample_rate kslab_hidden;
int kslab_sample_tables(unsigned long rate) kslab_hidden;
void kslab_sample_exit(void) kslab_hidden;
void kslab_sample_lock(void) kslab_hidden;
void kslab_sample_unlock(void) kslab_hidden;
bool kslab_sample_due(size_t bytes) kslab_hidden;
unsigned int kslab_sample_take(unsigned int site, size_t bytes,
			       unsigned long caller) kslab_hidden;
unsigned int kslab_sample_free(unsigned int entry) kslab_hidden;

/*
 * An object @obj of @cache, not NULL, was handed out to @caller.
 * Return: @obj.
 */
static inline void *kslab_profile_alloc(struct kslab_cache *cache, void *obj,
					unsigned long caller)
{
	if (kslab_unlikely(KSLAB_READ_ONCE(kslab_profiling)))
		return kslab_profile_note_alloc(cache, obj, caller);
	return obj;
}

/* An object @obj of @cache is being freed: before anything can reuse it. */
static inline void kslab_profile_free(struct kslab_cache *cache,
				      const void *obj)
{
	if (kslab_unlikely(KSLAB_READ_ONCE(kslab_profile_tables)))
		kslab_profile_note_free(cache, obj);
}

/* The same for kmalloc's memory beyond the classes, by its usable size. */
static inline void kslab_profile_alloc_large(const void *p,
					     unsigned long caller)
{
	if (kslab_unlikely(KSLAB_READ_ONCE(kslab_profiling)) && p)
		kslab_profile_note_large(p, caller);
}

static inline void kslab_profile_free_large(const void *p)
{
	if (kslab_unlikely(KSLAB_READ_ONCE(kslab_profile_tables)))
		kslab_profile_note_large_free(p);
}

#endif /* KSLAB_MM_PROFILE_H */
