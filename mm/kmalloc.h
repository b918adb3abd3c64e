/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmalloc's fast path, inline, for kslab_kmalloc() and the userspace
 * malloc front end (mm/kmalloc.c owns the table and the classes): the
 * per-CPU handle of the class of a size up to KSLAB_KMALLOC_FAST_MAX is
 * one load from a table indexed by 8-byte steps, and its allocation is
 * the magazine hit (mm/fast_path.h). Whatever the table cannot serve goes
 * through kmalloc's full path, kslab_kmalloc_caller().
 *
 * A slot is empty before its class exists and while the kmalloc fault
 * point is armed, so the full path, which decides the failures, sees
 * every call then.
 */
#ifndef KSLAB_MM_KMALLOC_H
#define KSLAB_MM_KMALLOC_H

#include <kslab/kmalloc.h>

#include "fast_path.h"

/* The largest size the table serves; entry k serves 8k - 7 to 8k bytes. */
#define KSLAB_KMALLOC_FAST_MAX		4096UL
#define KSLAB_KMALLOC_FAST_SLOTS	(KSLAB_KMALLOC_FAST_MAX / 8 + 1)

/* Each slot's class: its per-CPU handle, and its size for checkers' marks. */
extern struct kslab_cpu_cache *kslab_kmalloc_fast[KSLAB_KMALLOC_FAST_SLOTS]
	kslab_hidden;
extern unsigned int kslab_kmalloc_fast_size[KSLAB_KMALLOC_FAST_SLOTS]
	kslab_hidden;

/**
 * kslab_kmalloc_rounded_hit() - kmalloc's hit for a size rounded up
 * @rounded: the size rounded up to a multiple of 8 (or of 16, as the
 *           malloc rounds), 0 to KSLAB_KMALLOC_FAST_MAX; 0 never hits
 *
 * The table has one 8-byte entry per 8 bytes of size, so the entry for
 * @rounded sits @rounded bytes into it: the index costs no shift.
 * Return: an object of the class from this CPU's magazine, or NULL (no
 * class there yet, the fault point armed, the magazine empty).
 */
static inline void *kslab_kmalloc_rounded_hit(size_t rounded)
{
	struct kslab_cpu_cache *pcpu =
		KSLAB_DATA_RACE(kslab_kmalloc_fast[rounded / 8]);

	if (kslab_unlikely(!pcpu))
		return NULL;
	return kslab_magazine_hit(pcpu, kslab_kmalloc_fast_size[rounded / 8],
				  false);
}

/**
 * kslab_kmalloc_hit() - kmalloc's hit for @size bytes
 * @size: any size; 0 and sizes over KSLAB_KMALLOC_FAST_MAX never hit
 *
 * Return: the memory, or NULL: then kslab_kmalloc_caller() does it all.
 */
static inline void *kslab_kmalloc_hit(size_t size)
{
	if (kslab_unlikely(size > KSLAB_KMALLOC_FAST_MAX))
		return NULL;
	return kslab_kmalloc_rounded_hit(KSLAB_ALIGN_UP(size, 8));
}

void *kslab_kmalloc_caller(size_t size, size_t align, gfp_t gfp,
			   unsigned long caller);
void kslab_kfree_slow(const void *p, unsigned long caller);
void kslab_kmalloc_fast_sync(void);
struct kslab_cache *kslab_kmalloc_cache(size_t size);
void kslab_kmalloc_lock(void);
void kslab_kmalloc_unlock(void);
unsigned int kslab_kmalloc_exit(void);

#endif /* KSLAB_MM_KMALLOC_H */
