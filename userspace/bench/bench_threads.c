// SPDX-License-Identifier: GPL-2.0
/*
 * bench_threads: malloc and free across threads, the patterns where one
 * thread frees what another allocated, with more threads than CPUs too.
 *
 * Built once per allocator by scripts/bench.sh, as bench_malloc is:
 * linked with build/libkslab-malloc.a for kslab, with nothing,
 * -ljemalloc, -lmimalloc or -ltcmalloc_minimal for the peers, and run
 * with libkslab-malloc.so preloaded for kslab-preload.
 *
 * Workloads:
 *   oversub N  N threads (up to OVERSUB_MAX; more than the CPUs for
 *              oversubscription) share OVERSUB_SLOTS slots: each op
 *              allocates 16..16000 bytes, swaps the block into a random
 *              slot and frees what was there, most often another
 *              thread's block; OVERSUB_OPS ops in all. Each op is timed
 *              on its own, for the latency distribution
 *   pass N     N threads in a ring (as xmalloc-test does): each allocates
 *              a batch of PASS_BATCH 64-byte blocks, writes them, hands
 *              the batch to the next thread and frees every batch handed
 *              to it; PASS_OPS blocks in all. Every free is of another
 *              thread's block
 *
 *   bench_threads oversub N  prints "<ns/op>\t<peak RSS KiB>\t<p99 ns>\t
 *                            <p99.99 ns>\t<max ns>", ns/op being wall
 *                            time over all ops
 *   bench_threads pass N     prints "<ns/op>\t<peak RSS KiB>"
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "bench.h"

#define OVERSUB_MAX	64
#define OVERSUB_SLOTS	4096
#define OVERSUB_OPS	2000000UL
#define OVERSUB_MIN	16
#define OVERSUB_SIZES	16000
/* Latency buckets: powers of two of nanoseconds. */
#define LATENCY_BUCKETS	40

struct oversub_run {
	void **slots;
	unsigned long ops;
	unsigned long long rng;
	unsigned long failed;
	unsigned long latency[LATENCY_BUCKETS];
	double max_ns;
	pthread_barrier_t *start;
};

static void *oversub_thread(void *arg)
{
	struct oversub_run *run = arg;
	unsigned long i;

	pthread_barrier_wait(run->start);
	for (i = 0; i < run->ops; i++) {
		size_t size = OVERSUB_MIN + bench_xorshift(&run->rng) % OVERSUB_SIZES;
		double t0 = bench_now_ns(), ns;
		unsigned char *p = malloc(size);
		void *old;
		unsigned int bucket = 0;

		if (p)
			*(volatile unsigned char *)p = 1;
		else
			run->failed++;
		old = __atomic_exchange_n(&run->slots[bench_xorshift(&run->rng) % OVERSUB_SLOTS],
					  p, __ATOMIC_ACQ_REL);
		free(old);
		ns = bench_now_ns() - t0;
		while (bucket < LATENCY_BUCKETS - 1 && (double)(2UL << bucket) <= ns)
			bucket++;
		run->latency[bucket]++;
		if (ns > run->max_ns)
			run->max_ns = ns;
	}
	return NULL;
}

/* The upper bound (ns) of the bucket holding the @share quantile. */
static unsigned long latency_quantile(const unsigned long *latency,
				      unsigned long total, double share)
{
	unsigned long seen = 0;
	unsigned int b;

	for (b = 0; b < LATENCY_BUCKETS; b++) {
		seen += latency[b];
		if ((double)seen >= share * (double)total)
			break;
	}
	return 2UL << b;
}

/* @nr threads swapping blocks through shared slots; prints its line. */
static int run_oversub(unsigned int nr)
{
	static struct oversub_run runs[OVERSUB_MAX];
	static void *slots[OVERSUB_SLOTS];
	unsigned long latency[LATENCY_BUCKETS] = { 0 }, failed = 0;
	pthread_t threads[OVERSUB_MAX];
	pthread_barrier_t start;
	double t0, ns, max_ns = 0;
	struct rusage ru;
	unsigned int i, b;

	pthread_barrier_init(&start, NULL, nr + 1);
	for (i = 0; i < nr; i++) {
		runs[i] = (struct oversub_run){
			.slots = slots, .ops = OVERSUB_OPS / nr,
			.rng = 0x9e3779b97f4a7c15ULL * (i + 1), .start = &start,
		};
		if (pthread_create(&threads[i], NULL, oversub_thread, &runs[i])) {
			fprintf(stderr, "bench_threads: cannot start thread %u\n", i);
			return EXIT_FAILURE;
		}
	}
	pthread_barrier_wait(&start);
	t0 = bench_now_ns();
	for (i = 0; i < nr; i++) {
		pthread_join(threads[i], NULL);
		failed += runs[i].failed;
		for (b = 0; b < LATENCY_BUCKETS; b++)
			latency[b] += runs[i].latency[b];
		if (runs[i].max_ns > max_ns)
			max_ns = runs[i].max_ns;
	}
	ns = bench_now_ns() - t0;
	for (i = 0; i < OVERSUB_SLOTS; i++)
		free(slots[i]);
	if (failed) {
		fprintf(stderr, "bench_threads: %lu allocations failed\n", failed);
		return EXIT_FAILURE;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("%.1f\t%ld\t%lu\t%lu\t%.0f\n", ns / (double)(OVERSUB_OPS / nr * nr),
	       ru.ru_maxrss, latency_quantile(latency, OVERSUB_OPS / nr * nr, 0.99),
	       latency_quantile(latency, OVERSUB_OPS / nr * nr, 0.9999), max_ns);
	return EXIT_SUCCESS;
}


#define PASS_MAX	64
#define PASS_BATCH	64
#define PASS_OPS	4000000UL
#define PASS_SIZE	64

/* A batch of blocks on its way to the thread that frees them. */
struct pass_batch {
	struct pass_batch *next;
	void *blocks[PASS_BATCH];
};

struct pass_thread {
	pthread_mutex_t lock;
	struct pass_batch *inbox;	/* batches handed to this thread */
	struct pass_thread *next;	/* the thread it hands its own to */
	unsigned long batches;
	unsigned long failed;
	pthread_barrier_t *start;
};

/* Free every block of every batch waiting for @th. */
static void pass_drain(struct pass_thread *th)
{
	struct pass_batch *batch, *next;
	unsigned int i;

	pthread_mutex_lock(&th->lock);
	batch = th->inbox;
	th->inbox = NULL;
	pthread_mutex_unlock(&th->lock);
	for (; batch; batch = next) {
		next = batch->next;
		for (i = 0; i < PASS_BATCH; i++)
			free(batch->blocks[i]);
		free(batch);
	}
}

static void *pass_thread_fn(void *arg)
{
	struct pass_thread *th = arg;
	unsigned long n;
	unsigned int i;

	pthread_barrier_wait(th->start);
	for (n = 0; n < th->batches; n++) {
		struct pass_batch *batch = malloc(sizeof(*batch));

		if (!batch) {
			th->failed++;
			continue;
		}
		for (i = 0; i < PASS_BATCH; i++) {
			unsigned char *p = malloc(PASS_SIZE);

			if (p)
				*(volatile unsigned char *)p = (unsigned char)i;
			else
				th->failed++;
			batch->blocks[i] = p;
		}
		pthread_mutex_lock(&th->next->lock);
		batch->next = th->next->inbox;
		th->next->inbox = batch;
		pthread_mutex_unlock(&th->next->lock);
		pass_drain(th);
	}
	pthread_barrier_wait(th->start);	/* all handed over */
	pass_drain(th);
	return NULL;
}

/* @nr threads passing batches round a ring; prints its line. */
static int run_pass(unsigned int nr)
{
	static struct pass_thread threads[PASS_MAX];
	pthread_t ids[PASS_MAX];
	pthread_barrier_t start;
	unsigned long failed = 0;
	struct rusage ru;
	double t0, ns;
	unsigned int i;

	pthread_barrier_init(&start, NULL, nr + 1);
	for (i = 0; i < nr; i++) {
		pthread_mutex_init(&threads[i].lock, NULL);
		threads[i].next = &threads[(i + 1) % nr];
		threads[i].batches = PASS_OPS / PASS_BATCH / nr;
		threads[i].start = &start;
	}
	for (i = 0; i < nr; i++) {
		if (pthread_create(&ids[i], NULL, pass_thread_fn, &threads[i])) {
			fprintf(stderr, "bench_threads: cannot start thread %u\n", i);
			return EXIT_FAILURE;
		}
	}
	pthread_barrier_wait(&start);
	t0 = bench_now_ns();
	pthread_barrier_wait(&start);
	ns = bench_now_ns() - t0;
	for (i = 0; i < nr; i++) {
		pthread_join(ids[i], NULL);
		failed += threads[i].failed;
	}
	if (failed) {
		fprintf(stderr, "bench_threads: %lu allocations failed\n", failed);
		return EXIT_FAILURE;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("%.1f\t%ld\n", ns / (double)(threads[0].batches * PASS_BATCH * nr),
	       ru.ru_maxrss);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	int n = argc == 3 ? atoi(argv[2]) : 0;

	if (argc == 3 && !strcmp(argv[1], "oversub") && n >= 1 && n <= OVERSUB_MAX)
		return run_oversub((unsigned int)n);
	if (argc == 3 && !strcmp(argv[1], "pass") && n >= 1 && n <= PASS_MAX)
		return run_pass((unsigned int)n);
	fputs("usage: bench_threads oversub N | pass N\n", stderr);
	return EXIT_FAILURE;
}
