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
 *   pass N     N producer and N consumer threads, as xmalloc-test runs
 *              them: producers allocate batches of PASS_BATCH 64-byte
 *              blocks, write them and queue them (at most PASS_QUEUE
 *              batches queued); consumers free them. PASS_OPS blocks in
 *              all; every free is of another thread's block
 *
 *   larson N   N slots of LARSON_BLOCKS blocks of 8..1000 bytes, each
 *              served by a thread that replaces random blocks and after
 *              LARSON_LIFE of them hands the slot to a new thread and
 *              exits (Larson and Krishnan's server simulation, as
 *              mimalloc-bench runs it); LARSON_OPS replacements in all
 *
 *   bench_threads oversub N  prints "<ns/op>\t<peak RSS KiB>\t<p99 ns>\t
 *                            <p99.99 ns>\t<max ns>", ns/op being wall
 *                            time over all ops
 *   bench_threads pass N     prints "<ns/op>\t<peak RSS KiB>"
 *   bench_threads larson N   the same
 */
#include <pthread.h>
#include <stdlib.h>

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
	printf("%.1f\t%ld\t%lu\t%lu\t%.0f\n", ns / (double)(OVERSUB_OPS / nr * nr),
	       bench_peak_rss_kib(), latency_quantile(latency, OVERSUB_OPS / nr * nr, 0.99),
	       latency_quantile(latency, OVERSUB_OPS / nr * nr, 0.9999), max_ns);
	return EXIT_SUCCESS;
}


#define PASS_MAX	32
#define PASS_BATCH	4096
#define PASS_QUEUE	100
#define PASS_OPS	16000000UL
#define PASS_SIZE	64

/* A batch of blocks on its way from a producer to a consumer. */
struct pass_batch {
	struct pass_batch *next;
	void *blocks[PASS_BATCH];
};

/*
 * The queue between producers and consumers, bounded as xmalloc-test's
 * is: a producer waits while PASS_QUEUE batches are queued, so the live
 * blocks stay bounded whichever side runs faster.
 */
struct pass_queue {
	pthread_mutex_t lock;
	pthread_cond_t not_full;
	pthread_cond_t not_empty;
	struct pass_batch *head;
	unsigned int queued;
	unsigned long to_produce;	/* batches not yet made */
	unsigned long to_consume;	/* batches not yet freed */
	unsigned long failed;
};

static void pass_put(struct pass_queue *q, struct pass_batch *batch)
{
	pthread_mutex_lock(&q->lock);
	while (q->queued >= PASS_QUEUE)
		pthread_cond_wait(&q->not_full, &q->lock);
	batch->next = q->head;
	q->head = batch;
	q->queued++;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
}

/* The next batch to free, or NULL once every batch has been taken. */
static struct pass_batch *pass_get(struct pass_queue *q)
{
	struct pass_batch *batch = NULL;

	pthread_mutex_lock(&q->lock);
	while (!q->head && q->to_consume)
		pthread_cond_wait(&q->not_empty, &q->lock);
	if (q->head) {
		batch = q->head;
		q->head = batch->next;
		q->queued--;
		q->to_consume--;
		pthread_cond_signal(&q->not_full);
		if (!q->to_consume)
			pthread_cond_broadcast(&q->not_empty);
	}
	pthread_mutex_unlock(&q->lock);
	return batch;
}

/* Claim one batch to make. Return: false when all are claimed. */
static bool pass_claim(struct pass_queue *q)
{
	bool claimed;

	pthread_mutex_lock(&q->lock);
	claimed = q->to_produce != 0;
	if (claimed)
		q->to_produce--;
	pthread_mutex_unlock(&q->lock);
	return claimed;
}

static void *pass_producer(void *arg)
{
	struct pass_queue *q = arg;
	unsigned long failed = 0;
	unsigned int i;

	while (pass_claim(q)) {
		struct pass_batch *batch = malloc(sizeof(*batch));

		if (!batch)
			abort();
		for (i = 0; i < PASS_BATCH; i++) {
			unsigned char *p = malloc(PASS_SIZE);

			if (p)
				memset(p, (int)i, PASS_SIZE);
			else
				failed++;
			batch->blocks[i] = p;
		}
		pass_put(q, batch);
	}
	__atomic_fetch_add(&q->failed, failed, __ATOMIC_RELAXED);
	return NULL;
}

static void *pass_consumer(void *arg)
{
	struct pass_queue *q = arg;
	struct pass_batch *batch;
	unsigned int i;

	while ((batch = pass_get(q))) {
		for (i = 0; i < PASS_BATCH; i++)
			free(batch->blocks[i]);
		free(batch);
	}
	return NULL;
}

/* @nr producers and @nr consumers; prints its line. */
static int run_pass(unsigned int nr)
{
	static struct pass_queue q = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.not_full = PTHREAD_COND_INITIALIZER,
		.not_empty = PTHREAD_COND_INITIALIZER,
	};
	pthread_t ids[2 * PASS_MAX];
	unsigned long batches = PASS_OPS / PASS_BATCH;
	double t0, ns;
	unsigned int i;

	q.to_produce = batches;
	q.to_consume = batches;
	t0 = bench_now_ns();
	for (i = 0; i < 2 * nr; i++) {
		if (pthread_create(&ids[i], NULL, i & 1 ? pass_consumer : pass_producer,
				   &q)) {
			fprintf(stderr, "bench_threads: cannot start thread %u\n", i);
			return EXIT_FAILURE;
		}
	}
	for (i = 0; i < 2 * nr; i++)
		pthread_join(ids[i], NULL);
	ns = bench_now_ns() - t0;
	if (q.failed) {
		fprintf(stderr, "bench_threads: %lu allocations failed\n", q.failed);
		return EXIT_FAILURE;
	}
	printf("%.1f\t%ld\n", ns / (double)(batches * PASS_BATCH),
	       bench_peak_rss_kib());
	return EXIT_SUCCESS;
}

#define LARSON_MAX	32
#define LARSON_BLOCKS	5000
#define LARSON_LIFE	(100UL * LARSON_BLOCKS)
#define LARSON_OPS	16000000UL
#define LARSON_MIN	8
#define LARSON_SIZES	992

/*
 * One slot of the server: its blocks, and the thread now serving it.
 * Each thread replaces LARSON_LIFE random blocks of its slot, then starts
 * its successor on the same slot and exits, so every block a thread
 * frees was allocated by a thread before it, and threads keep coming
 * and going.
 */
struct larson_slot {
	void *blocks[LARSON_BLOCKS];
	unsigned long long rng;
	unsigned long lives;		/* thread lives left */
	pthread_mutex_t lock;
	pthread_cond_t done_cv;
	bool done;
};

static void *larson_thread(void *arg)
{
	struct larson_slot *slot = arg;
	pthread_attr_t attr;
	pthread_t next;
	unsigned long i;

	for (i = 0; i < LARSON_LIFE; i++) {
		unsigned int victim = bench_xorshift(&slot->rng) % LARSON_BLOCKS;
		size_t size = LARSON_MIN + bench_xorshift(&slot->rng) % LARSON_SIZES;
		volatile char *p;

		free(slot->blocks[victim]);
		p = malloc(size);
		if (!p)
			abort();
		p[0] = 'a';
		p[1] = 'b';
		slot->blocks[victim] = (void *)p;
	}
	if (--slot->lives) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&next, &attr, larson_thread, slot))
			abort();
		pthread_attr_destroy(&attr);
		return NULL;
	}
	pthread_mutex_lock(&slot->lock);
	slot->done = true;
	pthread_cond_signal(&slot->done_cv);
	pthread_mutex_unlock(&slot->lock);
	return NULL;
}

/*
 * @nr slots served by successive threads, as Larson and Krishnan's
 * server simulation runs them; the blocks are made by the main thread
 * and dealt out at random, so the first threads free foreign blocks too.
 */
static int run_larson(unsigned int nr)
{
	static struct larson_slot slots[LARSON_MAX];
	unsigned long long rng = 0x2545f4914f6cdd1dULL;
	pthread_attr_t attr;
	long rss;
	unsigned int i, j;
	pthread_t id;
	double t0, ns;

	for (i = 0; i < nr; i++) {
		pthread_mutex_init(&slots[i].lock, NULL);
		pthread_cond_init(&slots[i].done_cv, NULL);
		slots[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1);
		slots[i].lives = LARSON_OPS / LARSON_LIFE / nr;
		for (j = 0; j < LARSON_BLOCKS; j++)
			slots[i].blocks[j] = malloc(LARSON_MIN +
					bench_xorshift(&rng) % LARSON_SIZES);
	}
	for (i = 0; i < nr * LARSON_BLOCKS; i++) {	/* deal them out */
		unsigned int k = bench_xorshift(&rng) % (nr * LARSON_BLOCKS);
		void *t = slots[i / LARSON_BLOCKS].blocks[i % LARSON_BLOCKS];

		slots[i / LARSON_BLOCKS].blocks[i % LARSON_BLOCKS] =
			slots[k / LARSON_BLOCKS].blocks[k % LARSON_BLOCKS];
		slots[k / LARSON_BLOCKS].blocks[k % LARSON_BLOCKS] = t;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	t0 = bench_now_ns();
	for (i = 0; i < nr; i++)
		if (pthread_create(&id, &attr, larson_thread, &slots[i])) {
			fprintf(stderr, "bench_threads: cannot start thread %u\n", i);
			return EXIT_FAILURE;
		}
	for (i = 0; i < nr; i++) {
		pthread_mutex_lock(&slots[i].lock);
		while (!slots[i].done)
			pthread_cond_wait(&slots[i].done_cv, &slots[i].lock);
		pthread_mutex_unlock(&slots[i].lock);
	}
	ns = bench_now_ns() - t0;
	rss = bench_peak_rss_kib();
	for (i = 0; i < nr; i++)
		for (j = 0; j < LARSON_BLOCKS; j++)
			free(slots[i].blocks[j]);
	printf("%.1f\t%ld\n", ns / (double)(LARSON_OPS / LARSON_LIFE / nr * nr *
					    LARSON_LIFE), rss);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	int n = argc == 3 ? atoi(argv[2]) : 0;

	if (argc == 3 && !strcmp(argv[1], "oversub") && n >= 1 && n <= OVERSUB_MAX)
		return run_oversub((unsigned int)n);
	if (argc == 3 && !strcmp(argv[1], "pass") && n >= 1 && n <= PASS_MAX)
		return run_pass((unsigned int)n);
	if (argc == 3 && !strcmp(argv[1], "larson") && n >= 1 && n <= LARSON_MAX)
		return run_larson((unsigned int)n);
	fputs("usage: bench_threads oversub N | pass N | larson N\n", stderr);
	return EXIT_FAILURE;
}
