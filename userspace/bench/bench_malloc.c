// SPDX-License-Identifier: GPL-2.0
/*
 * bench_malloc: malloc and free of mixed sizes, one thread and several,
 * with the time per operation and the peak RSS of the process.
 *
 * A process has one malloc, so this one source is built once per
 * allocator by scripts/bench.sh: linked with build/libkslab-malloc.a for
 * kslab, and with nothing, -ljemalloc, -lmimalloc or -ltcmalloc_minimal
 * for the peers. Each workload runs in a process of its own, so that the
 * peak RSS (getrusage's ru_maxrss) is that workload's alone.
 *
 * Workloads, one op being one block freed and another allocated:
 *   mixed     100k blocks live, sizes uniform in 16..2048 bytes; each op
 *             frees a random block and allocates a random size in its
 *             place (fixed-seed xorshift: every allocator sees the same
 *             sequence), and writes the new block's first byte
 *   threads   THREADS threads doing the same on 25k blocks each; time is
 *             wall time over all threads' ops
 *
 *   bench_malloc mixed|threads   prints "<ns/op>\t<peak RSS KiB>"
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "bench.h"

#define LIVE		100000
#define OPS		8000000UL
#define THREADS		4
#define MIN_SIZE	16
#define MAX_SIZE	2048

struct mixed_run {
	void **live;
	unsigned long nr_live;
	unsigned long ops;
	unsigned long long rng;
	unsigned long failed;
	pthread_barrier_t *start;
};

static inline unsigned long long xorshift(unsigned long long *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static inline size_t random_size(unsigned long long *rng)
{
	return MIN_SIZE + xorshift(rng) % (MAX_SIZE - MIN_SIZE + 1);
}

static inline void *alloc_touched(struct mixed_run *run)
{
	unsigned char *p = malloc(random_size(&run->rng));

	if (p)
		*(volatile unsigned char *)p = (unsigned char)run->rng;
	else
		run->failed++;
	return p;
}

static void fill(struct mixed_run *run)
{
	unsigned long i;

	for (i = 0; i < run->nr_live; i++)
		run->live[i] = alloc_touched(run);
}

bench_loop static void mixed_ops(struct mixed_run *run)
{
	unsigned long i;

	for (i = 0; i < run->ops; i++) {
		unsigned long slot = xorshift(&run->rng) % run->nr_live;

		free(run->live[slot]);
		run->live[slot] = alloc_touched(run);
	}
}

static void drain(struct mixed_run *run)
{
	unsigned long i;

	for (i = 0; i < run->nr_live; i++)
		free(run->live[i]);
}

static void *mixed_thread(void *arg)
{
	struct mixed_run *run = arg;

	fill(run);
	pthread_barrier_wait(run->start);
	mixed_ops(run);
	pthread_barrier_wait(run->start);
	drain(run);
	return NULL;
}

/* @nr threads of @live blocks each, @ops ops in all. Return: ns/op. */
static double run_mixed(unsigned int nr, unsigned long live, unsigned long ops)
{
	struct mixed_run runs[THREADS];
	pthread_t threads[THREADS];
	pthread_barrier_t start;
	unsigned long failed = 0;
	double t0, ns;
	unsigned int i;

	pthread_barrier_init(&start, NULL, nr + 1);
	for (i = 0; i < nr; i++) {
		runs[i] = (struct mixed_run) {
			.live = calloc(live, sizeof(void *)),
			.nr_live = live,
			.ops = ops / nr,
			.rng = 0x9e3779b97f4a7c15ULL * (i + 1),
			.start = &start,
		};
		if (!runs[i].live ||
		    pthread_create(&threads[i], NULL, mixed_thread, &runs[i])) {
			fprintf(stderr, "bench_malloc: cannot start thread %u\n", i);
			exit(EXIT_FAILURE);
		}
	}
	pthread_barrier_wait(&start);	/* all filled */
	t0 = bench_now_ns();
	pthread_barrier_wait(&start);	/* all done */
	ns = bench_now_ns() - t0;
	for (i = 0; i < nr; i++) {
		pthread_join(threads[i], NULL);
		failed += runs[i].failed;
		free(runs[i].live);
	}
	pthread_barrier_destroy(&start);
	if (failed) {
		fprintf(stderr, "bench_malloc: %lu allocations failed\n", failed);
		exit(EXIT_FAILURE);
	}
	return ns / (double)ops;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	double ns;

	if (argc == 2 && !strcmp(argv[1], "mixed"))
		ns = run_mixed(1, LIVE, OPS);
	else if (argc == 2 && !strcmp(argv[1], "threads"))
		ns = run_mixed(THREADS, LIVE / THREADS, OPS);
	else {
		fputs("usage: bench_malloc mixed|threads\n", stderr);
		return EXIT_FAILURE;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("%.1f\t%ld\n", ns, ru.ru_maxrss);
	return EXIT_SUCCESS;
}
