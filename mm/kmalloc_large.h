/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmalloc's largest blocks, their kept memory and its whole buddy blocks
 * (mm/kmalloc_large.c): what mm/kmalloc.c and the reap ask of them.
 * Internal to mm/.
 */
#ifndef KSLAB_MM_KMALLOC_LARGE_H
#define KSLAB_MM_KMALLOC_LARGE_H

#include "port.h"

struct kslab_memory_stats;

void *kslab_kmalloc_large_alloc(size_t size, size_t align, gfp_t gfp);
void kslab_kmalloc_large_free(void *p);
size_t kslab_kmalloc_large_reap(bool all);
void kslab_kmalloc_large_usage(struct kslab_memory_stats *stats);
void *kslab_kmalloc_block_alloc(unsigned int order, gfp_t gfp, int node);
void kslab_kmalloc_block_free(void *p, unsigned int order);

#endif /* KSLAB_MM_KMALLOC_LARGE_H */
