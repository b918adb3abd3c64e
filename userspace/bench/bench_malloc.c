// SPDX-License-Identifier: GPL-2.0
/*
 * bench_malloc: malloc and free of mixed sizes, one thread and several,
 * with the time per operation and the peak RSS of the process (VmHWM:
 * bench_peak_rss_kib()).
 *
 * A process has one malloc, so this one source is built once per
 * allocator by scripts/bench.sh: linked with build/libkslab-malloc.a for
 * kslab, and with nothing, -ljemalloc, -lmimalloc or -ltcmalloc_minimal
 * for the peers. Each workload runs in a process of its own, so that the
 * peak RSS is that workload's alone.
 *
 * Workloads, one op being one block freed and another allocated:
 *   mixed     100k blocks live, sizes uniform in 16..2048 bytes; each op
 *             frees a random block and allocates a random size in its
 *             place (fixed-seed xorshift: every allocator sees the same
 *             sequence), and writes the new block's first byte
 *   threads   THREADS threads doing the same on 25k blocks each; time is
 *             wall time over all threads' ops
 *   large     large-block churn: LARGE_OPS zeroed blocks (calloc) of
 *             5..25 MiB, LARGE_LIVE live at most, each written once per
 *             page as a program filling it would, a random live one freed
 *             when the limit is reached; one op is one calloc and its
 *             free, the time includes the kernel's page faults
 *   short     a short program's footprint: SHORT_BLOCKS blocks of
 *             16..215 bytes allocated, written and freed, nothing else;
 *             its peak RSS is mostly the allocator's fixed cost
 *   start     the short program from exec to exit: this program run as
 *             "short" in START_RUNS fresh processes, each with this
 *             environment (a preloaded malloc is preloaded in each); the
 *             median microseconds of a process, so the allocator's
 *             loading and set-up count, wherever they happen (before
 *             main or at the first malloc), and the median of the peak
 *             RSS each reports
 *   kvfill    a key-value store as a cache server fills it: KV_KEYS keys,
 *             each a record, its key string and a value of 16..1024
 *             bytes; every value overwritten with one of a new size, half
 *             the keys deleted, as many new ones set; its peak RSS over
 *             the bytes held is the fragmentation such a server sees
 *   phases    RSS over time: grow to PHASE_BLOCKS blocks of random size,
 *             free them all, then go on with small pairs for PHASE_TAIL_MS
 *             as a program does after a peak, so an allocator that gives
 *             memory back late is seen doing it; the resident set is
 *             sampled every PHASE_SAMPLE_MS
 *
 *   bench_malloc mixed|threads|large|short|kvfill   prints
 *                                "<ns/op>\t<peak RSS KiB>"
 *   bench_malloc start           prints "<us a process>\t<peak RSS KiB>"
 *   bench_malloc phases          prints "<ms>\t<RSS KiB>" lines
 *
 * Built with -DBENCH_FRAG (kslab's malloc only, scripts/bench-frag.sh),
 * phases also writes kslab's fragmentation beside each sample, on
 * stderr after a header line: the default zone's unusable-free and
 * fragmentation index per order (kslab_buddy_frag(), in thousandths)
 * and the caches' internal fragmentation (kslab_memory_stats(), KiB).
 */
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef BENCH_FRAG
#include <kslab/buddy.h>
#include <kslab/slab.h>
#endif

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

static inline size_t random_size(unsigned long long *rng)
{
	return MIN_SIZE + bench_xorshift(rng) % (MAX_SIZE - MIN_SIZE + 1);
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
		unsigned long slot = bench_xorshift(&run->rng) % run->nr_live;

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

#define LARGE_OPS	100
#define LARGE_LIVE	20
#define LARGE_MIN	(5UL << 20)
#define LARGE_MAX	(25UL << 20)

/* Large-block churn; ns per calloc and free. */
static double run_large(void)
{
	unsigned long long rng = 0x2545f4914f6cdd1dULL;
	void *live[LARGE_LIVE] = { NULL };
	unsigned long i, failed = 0;
	double start = bench_now_ns();
	size_t size, off;

	for (i = 0; i < LARGE_OPS; i++) {
		unsigned long slot = i < LARGE_LIVE ? i : bench_xorshift(&rng) % LARGE_LIVE;
		char *p;

		free(live[slot]);
		size = LARGE_MIN + bench_xorshift(&rng) % (LARGE_MAX - LARGE_MIN + 1);
		p = calloc(1, size);
		if (!p) {
			failed++;
			continue;
		}
		for (off = 0; off < size; off += 4096)
			p[off] = (char)i;
		live[slot] = p;
	}
	for (i = 0; i < LARGE_LIVE; i++)
		free(live[i]);
	if (failed) {
		fprintf(stderr, "bench_malloc: %lu allocations failed\n", failed);
		exit(EXIT_FAILURE);
	}
	return (bench_now_ns() - start) / LARGE_OPS;
}

#define SHORT_BLOCKS	1000

/* A short program's allocations; ns per block allocated and freed. */
static double run_short(void)
{
	static char *blocks[SHORT_BLOCKS];
	double start = bench_now_ns();
	unsigned int i;

	for (i = 0; i < SHORT_BLOCKS; i++) {
		blocks[i] = malloc(16 + i % 200);
		if (!blocks[i]) {
			fputs("bench_malloc: an allocation failed\n", stderr);
			exit(EXIT_FAILURE);
		}
		memset(blocks[i], 1, 16);
	}
	for (i = 0; i < SHORT_BLOCKS; i++)
		free(blocks[i]);
	return (bench_now_ns() - start) / SHORT_BLOCKS;
}

#define START_RUNS	51

extern char **environ;

/*
 * One run of this program as "short", from the spawn to the wait; its
 * answer, read from a pipe, gives its peak RSS in *@rss_kib. Return: the
 * microseconds, or -1 if it failed.
 */
static double start_once(double *rss_kib)
{
	static char *const argv[] = { "bench_malloc", "short", NULL };
	posix_spawn_file_actions_t out;
	double start, us = -1, ns;
	char answer[64];
	int fds[2], status;
	ssize_t n = 0;
	pid_t pid;

	if (pipe(fds))
		return -1;
	if (posix_spawn_file_actions_init(&out))
		goto close_pipe;
	if (posix_spawn_file_actions_adddup2(&out, fds[1], STDOUT_FILENO) ||
	    posix_spawn_file_actions_addclose(&out, fds[0]))
		goto destroy;
	start = bench_now_ns();
	if (posix_spawn(&pid, "/proc/self/exe", &out, NULL, argv, environ))
		goto destroy;
	close(fds[1]);
	fds[1] = -1;
	n = read(fds[0], answer, sizeof(answer) - 1);
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    !WEXITSTATUS(status))
		us = (bench_now_ns() - start) / 1000;
	answer[n > 0 ? n : 0] = '\0';
	if (sscanf(answer, "%lf %lf", &ns, rss_kib) != 2)
		us = -1;
destroy:
	posix_spawn_file_actions_destroy(&out);
close_pipe:
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return us;
}

/* START_RUNS runs: the median microseconds, and *@rss_kib the median RSS. */
static double run_start(long *rss_kib)
{
	double us[START_RUNS], rss[START_RUNS];
	unsigned int i;

	for (i = 0; i < START_RUNS; i++) {
		us[i] = start_once(&rss[i]);
		if (us[i] < 0)
			return -1;
	}
	*rss_kib = (long)bench_median(rss, START_RUNS);
	return bench_median(us, START_RUNS);
}

#define KV_KEYS		500000UL
#define KV_MIN_VALUE	16
#define KV_VALUES	1009		/* value sizes 16..1024 */

/* One key of the store, as a key-value server keeps it: three blocks. */
struct kv_entry {
	char *key;
	char *value;
	size_t len;
};

static char *kv_value(unsigned long long *rng, size_t *len)
{
	char *v;

	*len = KV_MIN_VALUE + bench_xorshift(rng) % KV_VALUES;
	v = malloc(*len);
	if (!v) {
		fputs("bench_malloc: an allocation failed\n", stderr);
		exit(EXIT_FAILURE);
	}
	memset(v, 'v', *len);
	return v;
}

static void kv_set(struct kv_entry **slot, unsigned long id,
		   unsigned long long *rng)
{
	struct kv_entry *e = malloc(sizeof(*e));
	char key[32];

	if (!e) {
		fputs("bench_malloc: an allocation failed\n", stderr);
		exit(EXIT_FAILURE);
	}
	snprintf(key, sizeof(key), "key:%lu", id);
	e->key = strdup(key);
	if (!e->key) {
		fputs("bench_malloc: an allocation failed\n", stderr);
		exit(EXIT_FAILURE);
	}
	e->value = kv_value(rng, &e->len);
	*slot = e;
}

static void kv_del(struct kv_entry **slot)
{
	free((*slot)->key);
	free((*slot)->value);
	free(*slot);
	*slot = NULL;
}

/*
 * A key-value store filled and churned as a cache server is: KV_KEYS
 * keys set with values of 16..1024 bytes, every value overwritten once
 * with one of a new size, half the keys deleted and as many new ones
 * set. ns per key operation; the peak RSS against the bytes the store
 * holds is the fragmentation a server sees.
 */
static double run_kvfill(void)
{
	static struct kv_entry *table[KV_KEYS];
	unsigned long long rng = 0x6b76ULL;
	unsigned long i, next = KV_KEYS, ops = 0;
	double start = bench_now_ns(), ns;

	for (i = 0; i < KV_KEYS; i++, ops++)
		kv_set(&table[i], i, &rng);
	for (i = 0; i < KV_KEYS; i++, ops++) {
		struct kv_entry *e = table[bench_xorshift(&rng) % KV_KEYS];

		free(e->value);
		e->value = kv_value(&rng, &e->len);
	}
	for (i = 0; i < KV_KEYS; i += 2, ops++)
		kv_del(&table[i]);
	for (i = 0; i < KV_KEYS; i += 2, ops++)
		kv_set(&table[i], next++, &rng);
	ns = (bench_now_ns() - start) / (double)ops;
	for (i = 0; i < KV_KEYS; i++)
		kv_del(&table[i]);
	return ns;
}

#define PHASE_BLOCKS	200000
#define PHASE_SAMPLE_MS	20
#define PHASE_TAIL_MS	4000

static long rss_kib(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

struct phase_clock {
	double start_ns;
	double next_ms;
	unsigned long ops;
};

#ifdef BENCH_FRAG
static void frag_header(void)
{
	unsigned int order;

	fputs("ms", stderr);
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		fprintf(stderr, "\tunusable%u", order);
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		fprintf(stderr, "\tfragindex%u", order);
	fputs("\tslab\trequested\tpadding\tfree\ttail\n", stderr);
}

static void frag_sample(double ms)
{
	struct kslab_buddy_stats zone;
	struct kslab_memory_stats mem;
	struct kslab_buddy_frag frag;
	unsigned int order;

	kslab_buddy_stats(&zone);
	kslab_buddy_frag(&zone, &frag);
	kslab_memory_stats(&mem);
	fprintf(stderr, "%.0f", ms);
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		fprintf(stderr, "\t%ld", frag.unusable[order]);
	for (order = 0; order <= KSLAB_MAX_ORDER; order++)
		fprintf(stderr, "\t%ld", frag.fragmentation[order]);
	fprintf(stderr, "\t%zu\t%zu\t%zu\t%zu\t%zu\n", mem.slab_bytes >> 10,
		mem.requested_bytes >> 10, mem.padding_waste >> 10,
		mem.cached_bytes >> 10, mem.tail_waste >> 10);
}
#else
static void frag_header(void)
{
}

static void frag_sample(double ms)
{
	(void)ms;
}
#endif

/* Print (ms, RSS) once PHASE_SAMPLE_MS passed; look every 256 ops. */
static double sample(struct phase_clock *clock)
{
	double ms;

	if (++clock->ops % 256)
		return clock->next_ms - PHASE_SAMPLE_MS;
	ms = (bench_now_ns() - clock->start_ns) / 1e6;
	if (ms >= clock->next_ms) {
		printf("%.0f\t%ld\n", ms, rss_kib());
		frag_sample(ms);
		clock->next_ms = ms + PHASE_SAMPLE_MS;
	}
	return ms;
}

/* Grow, free everything, then small pairs for a while; RSS over time. */
static int run_phases(void)
{
	static void *blocks[PHASE_BLOCKS];
	struct phase_clock clock = { .start_ns = bench_now_ns() };
	unsigned long long rng = 0x9e3779b97f4a7c15ULL;
	double freed_ms;
	unsigned long i;

	frag_header();
	for (i = 0; i < PHASE_BLOCKS; i++) {
		unsigned char *p = malloc(random_size(&rng));

		if (!p)
			return EXIT_FAILURE;
		*(volatile unsigned char *)p = 1;
		blocks[i] = p;
		sample(&clock);
	}
	for (i = 0; i < PHASE_BLOCKS; i++) {
		free(blocks[i]);
		sample(&clock);
	}
	freed_ms = (bench_now_ns() - clock.start_ns) / 1e6;
	while (sample(&clock) < freed_ms + PHASE_TAIL_MS) {
		/* Written, so the compiler cannot drop the pair. */
		unsigned char *p = malloc(64);

		if (p)
			*(volatile unsigned char *)p = 1;
		free(p);
	}
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	long rss = -1;
	double ns;

	if (argc == 2 && !strcmp(argv[1], "phases"))
		return run_phases();
	if (argc == 2 && !strcmp(argv[1], "mixed"))
		ns = run_mixed(1, LIVE, OPS);
	else if (argc == 2 && !strcmp(argv[1], "threads"))
		ns = run_mixed(THREADS, LIVE / THREADS, OPS);
	else if (argc == 2 && !strcmp(argv[1], "large"))
		ns = run_large();
	else if (argc == 2 && !strcmp(argv[1], "short"))
		ns = run_short();
	else if (argc == 2 && !strcmp(argv[1], "kvfill"))
		ns = run_kvfill();
	else if (argc == 2 && !strcmp(argv[1], "start"))
		ns = run_start(&rss);
	else {
		fputs("usage: bench_malloc mixed|threads|large|short|kvfill|start|phases\n",
		      stderr);
		return EXIT_FAILURE;
	}
	if (ns < 0) {
		fputs("bench_malloc: a run of the short program failed\n", stderr);
		return EXIT_FAILURE;
	}
	if (rss < 0)
		rss = bench_peak_rss_kib();
	printf("%.1f\t%ld\n", ns, rss);
	return EXIT_SUCCESS;
}
