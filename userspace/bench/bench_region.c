// SPDX-License-Identifier: GPL-2.0
/*
 * bench_region: memory that lives for a frame or a request and dies all
 * at once, from a kslab region reset at the end of each, beside the same
 * objects allocated and freed one by one.
 *
 * A process has one malloc, so this source is built once per allocator:
 * with -DBENCH_KSLAB (the Makefile: build/bench/bench_region, linked with
 * libkslab.a) it has the columns region, kmalloc and cache; without, by
 * scripts/bench-region.sh, only malloc, and the library linked decides
 * whose: glibc's (nothing), libkslab-malloc.a, -ljemalloc, -lmimalloc or
 * -ltcmalloc_minimal.
 *
 * Columns:
 *   region   one region of 64 KiB first blocks, reset at the end of each
 *            frame or request; nothing freed on its own
 *   kmalloc  kslab_kmalloc() and, at the end, kslab_kfree() of each
 *   cache    kslab caches, one per power of two from 16 bytes to 8 KiB,
 *            made at start; each object from the smallest that fits,
 *            freed to it at the end
 *   malloc   malloc() and, at the end, free() of each
 *
 * Workloads (fixed-seed xorshift: every column sees the same sizes):
 *   frame    FRAMES frames of FRAME_OBJS objects, 16..256 bytes but one in
 *            64 of 1..8 KiB, all live until the frame ends
 *   request  REQUESTS requests of 4..400 objects (uniform), 16..1024
 *            bytes, all live until the request ends
 * Every object gets its first byte written, and its address kept in an
 * array, as a program uses what it allocates; at the end the
 * per-object columns free in the order of allocation. One warm-up frame
 * or request goes first, untimed.
 *
 *   bench_region COLUMN WORKLOAD   prints "<ns per allocation>\t<peak RSS
 *                                  KiB>"; ns per allocation is the time
 *                                  of the allocations and of the frees or
 *                                  resets, over the allocations
 *   bench_region --columns         the columns this build has
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef BENCH_KSLAB
#include <kslab/kmalloc.h>
#include <kslab/region.h>
#include <kslab/slab.h>
#endif

#include "bench.h"

#define FRAMES		2000
#define FRAME_OBJS	2000
#define REQUESTS	20000
#define REQUEST_MAX	400
#define MAX_OBJS	FRAME_OBJS
#define CACHES		10	/* 16 B to 8 KiB */

enum column { COL_REGION, COL_KMALLOC, COL_CACHE, COL_MALLOC };

struct state {
	void *obj[MAX_OBJS];
	unsigned char bucket[MAX_OBJS];
	unsigned long long rng;
	unsigned long allocs;
	unsigned long failed;
#ifdef BENCH_KSLAB
	struct kslab_region *region;
	struct kslab_cache *cache[CACHES];
#endif
};

/* The smallest power of two from 16 that holds @size, as a cache index. */
static inline unsigned int bucket_of(size_t size)
{
	return size <= 16 ? 0 : 60 - (unsigned int)__builtin_clzl(size - 1);
}

static inline __attribute__((always_inline)) void *
col_alloc(enum column col, struct state *s, size_t size, unsigned int i)
{
	switch (col) {
#ifdef BENCH_KSLAB
	case COL_REGION:
		return kslab_region_alloc(s->region, size, 0, GFP_KERNEL);
	case COL_KMALLOC:
		return kslab_kmalloc(size, GFP_KERNEL);
	case COL_CACHE:
		s->bucket[i] = (unsigned char)bucket_of(size);
		return kslab_cache_alloc(s->cache[s->bucket[i]], GFP_KERNEL);
#endif
	default:
		(void)s;
		(void)i;
		return malloc(size);
	}
}

/* The end of a frame or a request: everything of it goes. */
static inline __attribute__((always_inline)) void
col_drop(enum column col, struct state *s, unsigned int n)
{
	unsigned int i;

#ifdef BENCH_KSLAB
	if (col == COL_REGION) {
		kslab_region_reset(s->region);
		return;
	}
#endif
	for (i = 0; i < n; i++) {
		switch (col) {
#ifdef BENCH_KSLAB
		case COL_KMALLOC:
			kslab_kfree(s->obj[i]);
			break;
		case COL_CACHE:
			kslab_cache_free(s->cache[s->bucket[i]], s->obj[i]);
			break;
#endif
		default:
			free(s->obj[i]);
			break;
		}
	}
}

static inline __attribute__((always_inline)) void
col_round(enum column col, struct state *s, unsigned int n, size_t min,
	  size_t span, unsigned int big_every)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned long long r = bench_xorshift(&s->rng);
		size_t size = min + r % span;
		unsigned char *p;

		if (big_every && (r >> 32) % big_every == 0)
			size = 1 + (r >> 8) % 8192;
		p = col_alloc(col, s, size, i);
		if (!p) {
			s->failed++;
			s->obj[i] = NULL;
			continue;
		}
		*(volatile unsigned char *)p = (unsigned char)r;
		s->obj[i] = p;
	}
	s->allocs += n;
	col_drop(col, s, n);
}

static inline __attribute__((always_inline)) void
col_frames(enum column col, struct state *s, unsigned int frames)
{
	while (frames--)
		col_round(col, s, FRAME_OBJS, 16, 241, 64);
}

static inline __attribute__((always_inline)) void
col_requests(enum column col, struct state *s, unsigned int requests)
{
	while (requests--) {
		unsigned int n = 4 + bench_xorshift(&s->rng) % (REQUEST_MAX - 3);

		col_round(col, s, n, 16, 1009, 0);
	}
}

/* The loops, one per column and workload, each a function of its own. */
#define BENCH_COLUMN(name, col)						\
	static bench_loop void frame_##name(struct state *s, unsigned int n) \
	{								\
		col_frames(col, s, n);					\
	}								\
	static bench_loop void request_##name(struct state *s, unsigned int n) \
	{								\
		col_requests(col, s, n);				\
	}

#ifdef BENCH_KSLAB
BENCH_COLUMN(region, COL_REGION)
BENCH_COLUMN(kmalloc, COL_KMALLOC)
BENCH_COLUMN(cache, COL_CACHE)
#endif
BENCH_COLUMN(malloc, COL_MALLOC)

static const struct {
	const char *name;
	void (*frame)(struct state *s, unsigned int n);
	void (*request)(struct state *s, unsigned int n);
} columns[] = {
#ifdef BENCH_KSLAB
	{ "region", frame_region, request_region },
	{ "kmalloc", frame_kmalloc, request_kmalloc },
	{ "cache", frame_cache, request_cache },
#endif
	{ "malloc", frame_malloc, request_malloc },
};

static bool setup(struct state *s)
{
#ifdef BENCH_KSLAB
	unsigned int i;

	s->region = kslab_region_create("bench-region", 64 << 10, 0);
	for (i = 0; i < CACHES; i++) {
		char name[32];

		snprintf(name, sizeof(name), "bench-%u", 16U << i);
		s->cache[i] = kslab_cache_create(name, 16U << i, NULL, 0);
		if (!s->cache[i])
			return false;
	}
	return s->region != NULL;
#else
	(void)s;
	return true;
#endif
}

static int run(unsigned int c, bool request)
{
	struct state *s = calloc(1, sizeof(*s));
	unsigned long allocs;
	double t0, ns;

	if (!s || !setup(s)) {
		fprintf(stderr, "bench_region: setup failed\n");
		return EXIT_FAILURE;
	}
	s->rng = 0x5eed5eed5eedULL;
	if (request)
		columns[c].request(s, 1);
	else
		columns[c].frame(s, 1);
	allocs = s->allocs;
	t0 = bench_now_ns();
	if (request)
		columns[c].request(s, REQUESTS);
	else
		columns[c].frame(s, FRAMES);
	ns = (bench_now_ns() - t0) / (double)(s->allocs - allocs);
	if (s->failed) {
		fprintf(stderr, "bench_region: %lu allocations failed\n", s->failed);
		return EXIT_FAILURE;
	}
	printf("%.2f\t%ld\n", ns, bench_peak_rss_kib());
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	unsigned int c;

	if (argc == 2 && !strcmp(argv[1], "--columns")) {
		for (c = 0; c < BENCH_ARRAY_SIZE(columns); c++)
			printf("%s\n", columns[c].name);
		return EXIT_SUCCESS;
	}
	for (c = 0; argc == 3 && c < BENCH_ARRAY_SIZE(columns); c++) {
		if (strcmp(argv[1], columns[c].name))
			continue;
		if (!strcmp(argv[2], "frame") || !strcmp(argv[2], "request"))
			return run(c, !strcmp(argv[2], "request"));
	}
	fputs("usage: bench_region COLUMN frame|request | --columns\n", stderr);
	return EXIT_FAILURE;
}
