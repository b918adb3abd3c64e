// SPDX-License-Identifier: GPL-2.0
/*
 * bench_thp: what transparent huge pages under kslab's chunks buy and
 * cost (KSLAB_THP, Documentation/port.rst). Run once per setting, each
 * in a process of its own, by scripts/bench-thp.sh.
 *
 * A TLB-sensitive workload: WALK_OBJS objects of 64 bytes from one cache
 * (512 MiB live), linked into one cycle in a random order, then
 * WALK_STEPS steps along it. Each step loads the next object's pointer
 * from a line that is almost never cached and a page whose translation
 * the TLB almost never holds with 4 KiB pages (1536 entries map 6 MiB),
 * while with 2 MiB pages the same entries map 3 GiB. Then the give-back:
 * every object freed, then the cache destroyed and kslab_shrink_all(),
 * timed (its slabs to the buddy allocator, its chunks to the system), and
 * the resident set after.
 *
 *   bench_thp   prints "<ns per step>\t<RSS KiB>\t<AnonHugePages KiB>\t
 *               <give-back ms>\t<RSS KiB after>\t<mode>", the huge pages
 *               counted over the mappings that hold the objects
 */
#include <stdio.h>
#include <stdlib.h>

#include <kslab/slab.h>

#include "bench.h"

#define WALK_OBJS	(8UL << 20)
#define WALK_STEPS	(10UL << 20)
#define OBJ_SIZE	64

struct node {
	struct node *next;
	unsigned long pad[OBJ_SIZE / sizeof(unsigned long) - 1];
};

/* Rss and AnonHugePages (KiB) over the mappings within [lo, hi). */
static void smaps_kib(unsigned long lo, unsigned long hi, long *rss,
		      long *huge)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long start, end;
	bool in = false;
	char line[256];
	long kib;

	*rss = *huge = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			in = end > lo && start < hi;
		else if (in && sscanf(line, "Rss: %ld kB", &kib) == 1)
			*rss += kib;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kib) == 1)
			*huge += kib;
	}
	fclose(f);
}

static bench_loop struct node *walk(struct node *p, unsigned long steps)
{
	while (steps--)
		p = p->next;
	return p;
}

int main(void)
{
	struct node **objs = malloc(WALK_OBJS * sizeof(*objs));
	unsigned long long rng = 0x9e3779b97f4a7c15ULL;
	unsigned long i, j, lo = ~0UL, hi = 0;
	struct kslab_cache *cache;
	long rss, huge, rss_after, unused;
	double t0, ns, give_ms;
	struct node *tmp;

	cache = kslab_cache_create("bench-thp", sizeof(struct node), NULL, 0);
	if (!objs || !cache)
		return EXIT_FAILURE;
	for (i = 0; i < WALK_OBJS; i++) {
		objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
		if (!objs[i])
			return EXIT_FAILURE;
		if ((unsigned long)objs[i] < lo)
			lo = (unsigned long)objs[i];
		if ((unsigned long)objs[i] + OBJ_SIZE > hi)
			hi = (unsigned long)objs[i] + OBJ_SIZE;
	}
	/* Fisher-Yates, then each object points at the next: one cycle. */
	for (i = WALK_OBJS - 1; i > 0; i--) {
		j = bench_xorshift(&rng) % (i + 1);
		tmp = objs[i];
		objs[i] = objs[j];
		objs[j] = tmp;
	}
	for (i = 0; i < WALK_OBJS; i++)
		objs[i]->next = objs[(i + 1) % WALK_OBJS];
	walk(objs[0], WALK_STEPS / 8);	/* warm-up, untimed */
	t0 = bench_now_ns();
	tmp = walk(objs[0], WALK_STEPS);
	ns = (bench_now_ns() - t0) / WALK_STEPS;
	smaps_kib(lo, hi, &rss, &huge);

	for (i = 0; i < WALK_OBJS; i++)
		kslab_cache_free(cache, objs[i]);
	t0 = bench_now_ns();
	kslab_cache_destroy(cache);
	kslab_shrink_all();
	give_ms = (bench_now_ns() - t0) / 1e6;
	smaps_kib(lo, hi, &rss_after, &unused);
	printf("%.1f\t%ld\t%ld\t%.1f\t%ld\t%s\n", ns, rss, huge, give_ms,
	       rss_after, kslab_env_thp_mode());
	free(objs);
	return tmp ? EXIT_SUCCESS : EXIT_FAILURE;
}
