// SPDX-License-Identifier: GPL-2.0
/*
 * bench_buddy: what a block of pages costs from kslab's buddy allocator
 * (default zone, warm) beside getting the same memory from the kernel
 * directly, one mmap() and munmap() per block.
 *
 * Workloads: an alloc+free pair of order 0 (4 KiB) and order 3 (32 KiB),
 * and a batch of 1000 order-0 allocations followed by their 1000 frees.
 * Every block gets one byte written in both columns, so mmap pays the page
 * fault a real user of the memory would, and kslab shows that its pages
 * stay mapped. Neither side zeroes more than that.
 *
 *   bench_buddy              ns/op, median of 5 runs, both columns run
 *                            alternately in the same process
 *   bench_buddy --tsv        the same numbers for scripts/bench.sh
 *   bench_buddy --list       each workload's loop functions and op counts
 *   bench_buddy --loop FN N  run loop function FN for N ops and exit: run
 *                            under callgrind --toggle-collect=FN, the
 *                            instructions it collects divided by N are the
 *                            instructions per op
 *
 * The loop functions are noipa, so they keep their names and are never
 * merged into a caller: callgrind finds them and counts exactly them.
 */
#include <kslab/buddy.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

#define BENCH_RUNS	5
#define BATCH_BLOCKS	1000

static void *batch[BATCH_BLOCKS];

/* The one write every block gets, where the block starts. */
static inline void touch(void *block, unsigned long i)
{
	*(volatile unsigned char *)block = (unsigned char)i;
}

static inline void *map_block(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The loop bodies. Each returns how many allocations failed. */
static inline unsigned long kslab_pairs(unsigned int order, unsigned long ops)
{
	unsigned long i, failed = 0;

	for (i = 0; i < ops; i++) {
		void *p = kslab_alloc_pages(GFP_KERNEL, order);

		if (!p) {
			failed++;
			continue;
		}
		touch(p, i);
		kslab_free_pages(p, order);
	}
	return failed;
}

static inline unsigned long mmap_pairs(unsigned int order, unsigned long ops)
{
	size_t size = KSLAB_PAGE_SIZE << order;
	unsigned long i, failed = 0;

	for (i = 0; i < ops; i++) {
		void *p = map_block(size);

		if (!p) {
			failed++;
			continue;
		}
		touch(p, i);
		munmap(p, size);
	}
	return failed;
}

/* @ops order-0 blocks, BATCH_BLOCKS held at once. */
static inline unsigned long kslab_batches(unsigned long ops)
{
	unsigned long done, j, failed = 0;

	for (done = 0; done < ops; done += BATCH_BLOCKS) {
		for (j = 0; j < BATCH_BLOCKS; j++) {
			batch[j] = kslab_alloc_pages(GFP_KERNEL, 0);
			if (batch[j])
				touch(batch[j], j);
			else
				failed++;
		}
		for (j = 0; j < BATCH_BLOCKS; j++)
			kslab_free_pages(batch[j], 0);
	}
	return failed;
}

static inline unsigned long mmap_batches(unsigned long ops)
{
	unsigned long done, j, failed = 0;

	for (done = 0; done < ops; done += BATCH_BLOCKS) {
		for (j = 0; j < BATCH_BLOCKS; j++) {
			batch[j] = map_block(KSLAB_PAGE_SIZE);
			if (batch[j])
				touch(batch[j], j);
			else
				failed++;
		}
		for (j = 0; j < BATCH_BLOCKS; j++)
			if (batch[j])
				munmap(batch[j], KSLAB_PAGE_SIZE);
	}
	return failed;
}

/* The measured loops: one named function per workload and column. */
bench_loop unsigned long bench_kslab_order0(unsigned long ops)
{
	return kslab_pairs(0, ops);
}

bench_loop unsigned long bench_mmap_order0(unsigned long ops)
{
	return mmap_pairs(0, ops);
}

bench_loop unsigned long bench_kslab_order3(unsigned long ops)
{
	return kslab_pairs(3, ops);
}

bench_loop unsigned long bench_mmap_order3(unsigned long ops)
{
	return mmap_pairs(3, ops);
}

bench_loop unsigned long bench_kslab_batch(unsigned long ops)
{
	return kslab_batches(ops);
}

bench_loop unsigned long bench_mmap_batch(unsigned long ops)
{
	return mmap_batches(ops);
}

typedef unsigned long (*bench_fn)(unsigned long ops);

struct bench_side {
	bench_fn fn;
	const char *fn_name;
	unsigned long timed_ops;	/* per timed run */
	unsigned long counted_ops;	/* under callgrind */
};

#define BENCH_SIDE(f, timed, counted)	{ f, #f, timed, counted }

struct workload {
	const char *key;
	const char *title;
	struct bench_side kslab;
	struct bench_side mmap;
};

/* Op counts keep each timed run near 10-100 ms and callgrind runs short. */
static const struct workload workloads[] = {
	{ "order0", "order-0 alloc+free (4 KiB)",
	  BENCH_SIDE(bench_kslab_order0, 200000, 100000),
	  BENCH_SIDE(bench_mmap_order0, 20000, 10000) },
	{ "order3", "order-3 alloc+free (32 KiB)",
	  BENCH_SIDE(bench_kslab_order3, 200000, 100000),
	  BENCH_SIDE(bench_mmap_order3, 20000, 10000) },
	{ "batch0", "batch of 1000 order-0, per block",
	  BENCH_SIDE(bench_kslab_batch, 200000, 100000),
	  BENCH_SIDE(bench_mmap_batch, 20000, 10000) },
};

/*
 * Outside any measured function: let the default zone take its chunk and
 * split it, and let the dynamic linker bind mmap and munmap, so that no
 * measurement pays for a first time.
 */
static unsigned long warm_up(void)
{
	return kslab_pairs(0, 1000) + kslab_pairs(3, 1000) +
	       kslab_batches(BATCH_BLOCKS) + mmap_pairs(0, 10) +
	       mmap_pairs(3, 10) + mmap_batches(BATCH_BLOCKS);
}

static double time_run(const struct bench_side *side, unsigned long *failed)
{
	double start = bench_now_ns();

	*failed += side->fn(side->timed_ops);
	return (bench_now_ns() - start) / (double)side->timed_ops;
}

/* Alternate the two columns run by run, so drift hits both alike. */
static void time_workload(const struct workload *w, double *kslab_ns,
			  double *mmap_ns, unsigned long *failed)
{
	double k[BENCH_RUNS], m[BENCH_RUNS];
	unsigned int run;

	for (run = 0; run < BENCH_RUNS; run++) {
		k[run] = time_run(&w->kslab, failed);
		m[run] = time_run(&w->mmap, failed);
	}
	*kslab_ns = bench_median(k, BENCH_RUNS);
	*mmap_ns = bench_median(m, BENCH_RUNS);
}

static void print_header(void)
{
	printf("bench_buddy: page blocks from kslab (default zone, warm) vs "
	       "mmap+munmap per block\n");
	printf("  every block gets one byte written in both columns: mmap pays "
	       "one page fault per block\n");
	printf("  ns/op: median of %d runs, columns alternating; one op = one "
	       "alloc+free pair\n\n", BENCH_RUNS);
	printf("%-34s %12s %12s %11s\n", "workload", "kslab ns/op", "mmap ns/op",
	       "mmap/kslab");
}

static int time_all(bool tsv)
{
	unsigned long failed = 0;
	unsigned int i;

	if (!tsv)
		print_header();
	for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++) {
		const struct workload *w = &workloads[i];
		double k, m;

		time_workload(w, &k, &m, &failed);
		if (tsv)
			printf("%s\t%s\t%.1f\t%.1f\n", w->key, w->title, k, m);
		else
			printf("%-34s %12.1f %12.1f %10.1fx\n", w->title, k, m,
			       m / k);
	}
	if (failed)
		fprintf(stderr, "bench_buddy: %lu allocations failed\n", failed);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static void list_all(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++) {
		const struct workload *w = &workloads[i];

		printf("%s\t%s\t%lu\t%s\t%lu\n", w->key, w->kslab.fn_name,
		       w->kslab.counted_ops, w->mmap.fn_name, w->mmap.counted_ops);
	}
}

static const struct bench_side *find_side(const char *fn_name)
{
	unsigned int i;

	for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++) {
		if (!strcmp(workloads[i].kslab.fn_name, fn_name))
			return &workloads[i].kslab;
		if (!strcmp(workloads[i].mmap.fn_name, fn_name))
			return &workloads[i].mmap;
	}
	return NULL;
}

static int run_loop(const char *fn_name, const char *ops_arg)
{
	const struct bench_side *side = find_side(fn_name);
	char *end;
	unsigned long ops = strtoul(ops_arg, &end, 0);

	if (!side || *end || !ops || ops % BATCH_BLOCKS) {
		fprintf(stderr, "bench_buddy: no loop %s, or %s is not a "
			"multiple of %d\n", fn_name, ops_arg, BATCH_BLOCKS);
		return EXIT_FAILURE;
	}
	return side->fn(ops) ? EXIT_FAILURE : EXIT_SUCCESS;
}

static const struct bench_cli cli = {
	.usage = "usage: bench_buddy [--tsv | --list | --loop FN OPS]\n",
	.time_all = time_all,
	.list = list_all,
	.run_loop = run_loop,
};

int main(int argc, char **argv)
{
	if (warm_up()) {
		fprintf(stderr, "bench_buddy: allocation failed while warming up\n");
		return EXIT_FAILURE;
	}
	return bench_cli_run(&cli, argc, argv);
}
