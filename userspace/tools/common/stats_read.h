/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading kslab_stats_json()'s document back (Documentation/stats.rst):
 * the slabinfo tool shows its caches as it shows slabinfo text. A small
 * JSON reader of its own: any JSON is accepted, whitespace and key order
 * as they come, and only the keys a cache row needs are kept.
 */
#ifndef KSLAB_TOOLS_STATS_READ_H
#define KSLAB_TOOLS_STATS_READ_H

#include <stddef.h>

/* The figures of one cache the tool shows, as the document names them. */
enum stats_key {
	SK_ACTIVE_OBJS, SK_NUM_OBJS, SK_SIZE, SK_OBJS_PER_SLAB,
	SK_PAGES_PER_SLAB, SK_MAGAZINE_SIZE, SK_ACTIVE_SLABS, SK_NUM_SLABS,
	SK_COLOURS, SK_SLAB_GROWS, SK_SLAB_FREES,
	SK_ALLOC_HIT, SK_ALLOC_SWAP, SK_ALLOC_MISS,
	SK_FREE_HIT, SK_FREE_SWAP, SK_FREE_MISS,
	SK_DEPOT_OBJS, SK_DEPOT_FULL_GETS, SK_DEPOT_FULL_PUTS,
	SK_DEPOT_CONTENDED,
	NR_STATS_KEYS
};

struct stats_cache {
	char name[64];
	unsigned long value[NR_STATS_KEYS];
	unsigned long long seen;	/* bit k: value[k] was in the document */
};

/**
 * stats_read() - walk a document's caches
 * @text:  the document, NUL-terminated
 * @fn:    called for each cache, in the document's order
 * @arg:   passed to @fn
 * @where: set to the offset of a problem
 *
 * Return: NULL, or what is wrong at *@where (not JSON, no "caches" array,
 * a version this reader does not know).
 */
const char *stats_read(const char *text,
		       void (*fn)(const struct stats_cache *cache, void *arg),
		       void *arg, size_t *where);

#endif /* KSLAB_TOOLS_STATS_READ_H */
