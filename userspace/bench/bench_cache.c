// SPDX-License-Identifier: GPL-2.0
/*
 * bench_cache: what a 64-byte object costs from a kslab object cache beside
 * the same object from malloc.
 *
 * A process has one malloc, so this one source is built once per allocator:
 * with -DBENCH_KSLAB it allocates from a kslab cache of 64-byte objects made
 * at start (link libkslab.a or libkslab.so); without, it calls malloc(64)
 * and free(), and the library linked decides whose malloc that is:
 * glibc's (nothing), -ljemalloc, -lmimalloc or -ltcmalloc_minimal.
 * scripts/bench.sh builds every variant and prints their results as one
 * table.
 *
 * Two more builds are yardsticks, not allocators, and have no
 * producer/consumer row (they share nothing between threads):
 *   -DBENCH_FLOOR  the harness alone: alloc returns one static object and
 *                  free does nothing. What a row costs before any
 *                  allocator does any work: no allocator can beat it.
 *   -DBENCH_STACK  the least a real allocator can be: a thread's own LIFO
 *                  stack of 64-byte slots, no lock, no check, no sharing;
 *                  it hands out the same memory in the same order as a
 *                  magazine does.
 *
 * Workloads, one op being one object allocated and freed:
 *   pair      an alloc+free pair, one object live at a time
 *   batch     1000 allocations, then their 1000 frees
 *   replace   100k objects live; each op frees a random one of them and
 *             allocates its replacement (fixed-seed xorshift, so every
 *             allocator sees the same sequence)
 *   prodcons  one thread allocates and hands the objects through a
 *             lock-free single-producer ring to a second, which frees them:
 *             every free is of another thread's object; timed per object
 *   scaleN    N threads each running the pair loop at once; reported as
 *             total Mops/s, for N from 1 to the CPU count (at least 2)
 * Every object gets one byte written, as a real user would.
 *
 * All loops reach the allocator through bench_alloc() and bench_free(),
 * which are noipa: each allocator is called in the same way from the same
 * loop code, and the instructions callgrind counts in a loop are those of
 * the allocator plus a wrapper overhead that is identical for all.
 *
 *   bench_cache              the results, readable
 *   bench_cache --tsv        key, unit, title, value: for scripts/bench.sh;
 *                            each figure the median of 5 runs of about
 *                            0.25 s, after a probe run that sizes them
 *   bench_cache --info       which allocator the binary really uses
 *   bench_cache --list       the loops to count under callgrind, with ops
 *   bench_cache --loop FN N  set up, run loop function FN for N ops, exit:
 *                            run it under callgrind --toggle-collect=FN
 *   bench_cache --rss        the random replacement's setup and RSS_OPS
 *                            ops, then the process's peak RSS in KiB: run
 *                            in a fresh process, it is that workload's
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dlfcn.h>

#ifdef BENCH_KSLAB
#include <kslab/slab.h>
#else
#include <malloc.h>
#endif

#include "bench.h"

#if !defined(BENCH_FLOOR) && !defined(BENCH_STACK)
/*
 * The file that defines @name for this process, as the linker bound it;
 * "?" for a symbol linked in without -rdynamic (a static library's).
 */
static const char *symbol_file(const char *name)
{
	void *sym = dlsym(RTLD_DEFAULT, name);
	Dl_info info;

	if (!sym || !dladdr(sym, &info) || !info.dli_fname)
		return "?";
	return info.dli_fname;
}
#endif

#define OBJECT_SIZE	64
#define BENCH_RUNS	5
/*
 * Allocators differ fivefold in speed, so ops per timed run are not fixed:
 * a probe run of PROBE_OPS (which warms the workload up, too) sets them so
 * that a run takes about RUN_NS.
 */
#define RUN_NS		250e6
#define PROBE_OPS	100000UL
#define BATCH_OBJECTS	1000
#define WORKING_SET	100000
/* A power of two, so a ring index is a mask; deep enough to ride out jitter. */
#define RING_SLOTS	1024
/* Polls of an empty or full ring before yielding, for one-CPU machines. */
#define SPINS_BEFORE_YIELD	256
#define MIN_SCALE_THREADS	2
#define MAX_SCALE_THREADS	64
#define CACHE_LINE	64
#define RSS_OPS		4000000UL

/* ---- the allocator under test ---- */

#ifdef BENCH_KSLAB
#define ALLOCATOR_NAME	"kslab"

static struct kslab_cache *cache;

static bool allocator_init(void)
{
	cache = kslab_cache_create("bench_cache64", OBJECT_SIZE, NULL, 0);
	return cache;
}

/* What is allocated, where it comes from, and the bytes an object takes. */
static void allocator_info(void)
{
	struct kslab_cache_stats stats;
	const char *file = symbol_file("kslab_cache_alloc");

	kslab_cache_stats(cache, &stats);
	printf("objects\tkslab cache %s (%s, per-CPU mode %s)\t%lu\n",
	       kslab_cache_name(cache), strcmp(file, "?") ? file : "libkslab.a",
	       kslab_env_percpu_mode(), stats.size);
}

bench_loop void *bench_alloc(void)
{
	return kslab_cache_alloc(cache, GFP_KERNEL);
}

bench_loop void bench_free(void *obj)
{
	kslab_cache_free(cache, obj);
}
#elif defined(BENCH_FLOOR)
#define ALLOCATOR_NAME	"floor"

/*
 * The one object the floor hands out, again and again; read through a
 * volatile pointer so each call loads it, as any allocator loads its state.
 */
static _Alignas(CACHE_LINE) unsigned char floor_object[OBJECT_SIZE];
static void *volatile floor_slot = floor_object;

static bool allocator_init(void)
{
	return true;
}

static void allocator_info(void)
{
	printf("floor\tno allocator: one static object, free does nothing\t%d\n",
	       OBJECT_SIZE);
}

bench_loop void *bench_alloc(void)
{
	return floor_slot;
}

bench_loop void bench_free(void *obj)
{
	(void)obj;
}
#elif defined(BENCH_STACK)
#define ALLOCATOR_NAME	"stack"

/* Room for the working set and a batch: frees never find the stack full. */
#define STACK_SLOTS	(WORKING_SET + 2 * BATCH_OBJECTS)
#define STACK_CARVE	(1UL << 20)

static __thread void *stack_slots[STACK_SLOTS];
static __thread unsigned long stack_top;
static __thread char *carve_next, *carve_end;

static bool allocator_init(void)
{
	return true;
}

static void allocator_info(void)
{
	printf("stack\tno allocator: a thread's LIFO stack of slots\t%d\n",
	       OBJECT_SIZE);
}

/* Out of line: a slot never handed out before, cut from a 1 MiB block. */
static __attribute__((noinline)) void *stack_carve(void)
{
	void *obj;

	if (carve_next == carve_end) {
		carve_next = aligned_alloc(CACHE_LINE, STACK_CARVE);
		if (!carve_next)
			return NULL;
		carve_end = carve_next + STACK_CARVE;
	}
	obj = carve_next;
	carve_next += OBJECT_SIZE;
	return obj;
}

bench_loop void *bench_alloc(void)
{
	if (__builtin_expect(stack_top != 0, 1))
		return stack_slots[--stack_top];
	return stack_carve();
}

bench_loop void bench_free(void *obj)
{
	if (stack_top < STACK_SLOTS)
		stack_slots[stack_top++] = obj;
}
#else
#define ALLOCATOR_NAME	"malloc"

static bool allocator_init(void)
{
	return true;
}

/*
 * Which library's malloc and free this binary calls: scripts/bench.sh
 * checks it, so a link that silently kept glibc's malloc is caught. The
 * usable size of a 64-byte block is a second fingerprint (glibc says 72).
 */
static void allocator_info(void)
{
	const char *malloc_file = symbol_file("malloc");
	const char *free_file = symbol_file("free");
	void *obj = malloc(OBJECT_SIZE);

	printf("%s\t%s%s\t%zu\n", ALLOCATOR_NAME, malloc_file,
	       strcmp(malloc_file, free_file) ? " (free elsewhere!)" : "",
	       obj ? malloc_usable_size(obj) : 0);
	free(obj);
}

bench_loop void *bench_alloc(void)
{
	return malloc(OBJECT_SIZE);
}

bench_loop void bench_free(void *obj)
{
	free(obj);
}
#endif

/* ---- the workloads; each loop returns how many allocations failed ---- */

static void *held[WORKING_SET];

/*
 * The one write every object gets. Volatile, as a store to memory that is
 * freed next could otherwise be dropped.
 */
static inline void touch(void *obj, unsigned long i)
{
	*(volatile unsigned char *)obj = (unsigned char)i;
}

static inline void *alloc_touched(unsigned long i, unsigned long *failed)
{
	void *obj = bench_alloc();

	if (obj)
		touch(obj, i);
	else
		(*failed)++;
	return obj;
}

bench_loop unsigned long bench_pair(unsigned long ops)
{
	unsigned long i, failed = 0;

	for (i = 0; i < ops; i++)
		bench_free(alloc_touched(i, &failed));
	return failed;
}

bench_loop unsigned long bench_batch(unsigned long ops)
{
	unsigned long done, j, failed = 0;

	for (done = 0; done < ops; done += BATCH_OBJECTS) {
		for (j = 0; j < BATCH_OBJECTS; j++)
			held[j] = alloc_touched(j, &failed);
		for (j = 0; j < BATCH_OBJECTS; j++)
			bench_free(held[j]);
	}
	return failed;
}

static unsigned long long rng_state;

/* xorshift64: cheap, and the same sequence for every allocator. */
static inline unsigned int random_index(void)
{
	unsigned long long x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	/* The top 32 bits scaled to the set: no division in the loop. */
	return (unsigned int)(((x >> 32) * WORKING_SET) >> 32);
}

/* Not measured: the working set the replacements churn. */
static unsigned long replace_setup(void)
{
	unsigned long i, failed = 0;

	rng_state = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < WORKING_SET; i++)
		held[i] = alloc_touched(i, &failed);
	return failed;
}

static void replace_teardown(void)
{
	unsigned long i;

	for (i = 0; i < WORKING_SET; i++)
		bench_free(held[i]);
}

bench_loop unsigned long bench_replace(unsigned long ops)
{
	unsigned long i, failed = 0;

	for (i = 0; i < ops; i++) {
		unsigned int slot = random_index();

		bench_free(held[slot]);
		held[slot] = alloc_touched(i, &failed);
	}
	return failed;
}

/*
 * The producer/consumer ring. Each side owns one index and reads the
 * other's only when its cached copy says the ring is full (or empty), so
 * the two cache lines move between CPUs once per burst, not per object.
 */
struct spsc_ring {
	_Alignas(CACHE_LINE) unsigned long head;
	_Alignas(CACHE_LINE) unsigned long tail;
	_Alignas(CACHE_LINE) void *slots[RING_SLOTS];
};

static struct spsc_ring ring;

static inline void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Wait politely: spin briefly, then let the other side have the CPU. */
static inline void wait_a_little(unsigned int *spins)
{
	if (++*spins < SPINS_BEFORE_YIELD) {
		cpu_pause();
	} else {
		*spins = 0;
		sched_yield();
	}
}

static void *consumer(void *arg)
{
	unsigned long ops = *(unsigned long *)arg;
	unsigned long tail = ring.tail, head = tail, i;
	unsigned int spins = 0;

	for (i = 0; i < ops; i++) {
		while (head == tail) {
			head = __atomic_load_n(&ring.head, __ATOMIC_ACQUIRE);
			if (head == tail)
				wait_a_little(&spins);
		}
		bench_free(ring.slots[tail % RING_SLOTS]);
		__atomic_store_n(&ring.tail, ++tail, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* A failed allocation still goes through the ring as NULL, to keep count. */
static unsigned long produce(unsigned long ops)
{
	unsigned long head = ring.head, tail = ring.tail, i, failed = 0;
	unsigned int spins = 0;

	for (i = 0; i < ops; i++) {
		void *obj = alloc_touched(i, &failed);

		/* Full: the producer is a whole ring ahead. */
		while (tail + RING_SLOTS == head) {
			tail = __atomic_load_n(&ring.tail, __ATOMIC_ACQUIRE);
			if (tail + RING_SLOTS == head)
				wait_a_little(&spins);
		}
		ring.slots[head % RING_SLOTS] = obj;
		__atomic_store_n(&ring.head, ++head, __ATOMIC_RELEASE);
	}
	return failed;
}

/* The calling thread produces; the time includes the consumer's last frees. */
bench_loop unsigned long bench_prodcons(unsigned long ops)
{
	pthread_t thread;
	unsigned long failed;

	if (pthread_create(&thread, NULL, consumer, &ops))
		return ops;
	failed = produce(ops);
	pthread_join(thread, NULL);
	return failed;
}

/* ---- running them ---- */

typedef unsigned long (*bench_fn)(unsigned long ops);

/**
 * struct workload - one measured loop
 * @key:         row key in the TSV output
 * @title:       what the row means
 * @fn:          the loop
 * @fn_name:     its symbol, for callgrind's --toggle-collect
 * @setup:       run before each timed run and before a counted one; may be
 *               NULL; returns the allocations that failed
 * @teardown:    run after each; may be NULL
 * @counted_ops: ops under callgrind; 0 for a loop not counted
 */
struct workload {
	const char *key;
	const char *title;
	bench_fn fn;
	const char *fn_name;
	unsigned long (*setup)(void);
	void (*teardown)(void);
	unsigned long counted_ops;
};

#define WORKLOAD(key, title, fn, setup, teardown, counted) \
	{ key, title, fn, #fn, setup, teardown, counted }

/*
 * Callgrind counts the pair loop, the fast path. The other loops are ruled by cache misses and by other threads, which
 * instruction counts cannot show; counting them would only cost time.
 */
static const struct workload workloads[] = {
	WORKLOAD("pair", "alloc+free pair", bench_pair, NULL, NULL, 100000),
	WORKLOAD("batch", "1000 allocs, then 1000 frees", bench_batch, NULL,
		 NULL, 0),
	WORKLOAD("replace", "random replacement in 100k live", bench_replace,
		 replace_setup, replace_teardown, 0),
#if !defined(BENCH_FLOOR) && !defined(BENCH_STACK)
	WORKLOAD("prodcons", "2 threads: one allocs, one frees",
		 bench_prodcons, NULL, NULL, 0),
#endif
};

/* Outside any measured loop: bind the symbols, fault in the first slabs. */
static unsigned long warm_up(void)
{
	return bench_pair(1000) + bench_batch(BATCH_OBJECTS);
}

/* Nanoseconds per op of one run of @w, setup and teardown not counted. */
static double time_run(const struct workload *w, unsigned long ops,
		       unsigned long *failed)
{
	double start, ns;

	if (w->setup)
		*failed += w->setup();
	start = bench_now_ns();
	*failed += w->fn(ops);
	ns = bench_now_ns() - start;
	if (w->teardown)
		w->teardown();
	return ns / (double)ops;
}

/* Ops that take about RUN_NS at @ns_per_op, in whole batches. */
static unsigned long ops_for_run(double ns_per_op)
{
	double ops = RUN_NS / (ns_per_op > 0.1 ? ns_per_op : 0.1);

	return ((unsigned long)ops / BATCH_OBJECTS + 1) * BATCH_OBJECTS;
}

static double time_workload(const struct workload *w, unsigned long *failed)
{
	unsigned long ops = ops_for_run(time_run(w, PROBE_OPS, failed));
	double ns[BENCH_RUNS];
	unsigned int run;

	for (run = 0; run < BENCH_RUNS; run++)
		ns[run] = time_run(w, ops, failed);
	return bench_median(ns, BENCH_RUNS);
}

struct scale_run {
	pthread_barrier_t start;
	unsigned long ops;		/* per thread */
	unsigned long failed;
};

static void *scale_thread(void *arg)
{
	struct scale_run *run = arg;
	unsigned long failed;

	pthread_barrier_wait(&run->start);
	failed = bench_pair(run->ops);
	__atomic_fetch_add(&run->failed, failed, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * Total Mops/s of @nr threads, each running @ops pairs, timed from the
 * moment all are released together until the last has finished.
 */
static double scale_once(unsigned int nr, unsigned long ops,
			 unsigned long *failed)
{
	pthread_t threads[MAX_SCALE_THREADS];
	struct scale_run run = { .ops = ops, .failed = 0 };
	unsigned int i, started = 0;
	double start, ns;

	pthread_barrier_init(&run.start, NULL, nr + 1);
	for (i = 0; i < nr; i++)
		if (!pthread_create(&threads[i], NULL, scale_thread, &run))
			started++;
	if (started < nr) {
		/* A thread short, the barrier would never open. */
		fprintf(stderr, "bench_cache: cannot start %u threads\n", nr);
		exit(EXIT_FAILURE);
	}
	pthread_barrier_wait(&run.start);
	start = bench_now_ns();
	for (i = 0; i < nr; i++)
		pthread_join(threads[i], NULL);
	ns = bench_now_ns() - start;
	pthread_barrier_destroy(&run.start);
	*failed += run.failed;
	return (double)nr * ops / ns * 1e3;
}

/* @ops pairs per thread: as many as one thread does in RUN_NS. */
static double time_scaling(unsigned int nr, unsigned long ops,
			   unsigned long *failed)
{
	double mops[BENCH_RUNS];
	unsigned int run;

	for (run = 0; run < BENCH_RUNS; run++)
		mops[run] = scale_once(nr, ops, failed);
	return bench_median(mops, BENCH_RUNS);
}

static unsigned int scale_threads(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < MIN_SCALE_THREADS)
		return MIN_SCALE_THREADS;
	return cpus > MAX_SCALE_THREADS ? MAX_SCALE_THREADS : (unsigned int)cpus;
}

static void print_row(bool tsv, const char *key, const char *unit,
		      const char *title, double value)
{
	if (tsv)
		printf("%s\t%s\t%s\t%.1f\n", key, unit, title, value);
	else
		printf("%-40s %10.1f %s\n", title, value, unit);
}

static int time_all(bool tsv)
{
	unsigned int i, nr, max = scale_threads();
	unsigned long scale_ops = 0, failed = 0;

	if (!tsv)
		printf("bench_cache (%s): 64-byte objects; median of %d runs; "
		       "one op = one object allocated and freed\n\n",
		       ALLOCATOR_NAME, BENCH_RUNS);
	for (i = 0; i < BENCH_ARRAY_SIZE(workloads); i++) {
		const struct workload *w = &workloads[i];
		double ns = time_workload(w, &failed);

		if (w->fn == bench_pair)
			scale_ops = ops_for_run(ns);
		print_row(tsv, w->key, "ns/op", w->title, ns);
	}
	for (nr = 1; nr <= max; nr++) {
		char key[16], title[64];

		snprintf(key, sizeof(key), "scale%u", nr);
		snprintf(title, sizeof(title), "%u thread%s running pairs", nr,
			 nr == 1 ? "" : "s");
		print_row(tsv, key, "Mops/s", title,
			  time_scaling(nr, scale_ops, &failed));
	}
	if (failed)
		fprintf(stderr, "bench_cache: %lu allocations failed\n", failed);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static void list_counted(void)
{
	unsigned int i;

	for (i = 0; i < BENCH_ARRAY_SIZE(workloads); i++)
		if (workloads[i].counted_ops)
			printf("%s\t%s\t%lu\n", workloads[i].key,
			       workloads[i].fn_name, workloads[i].counted_ops);
}

static int run_loop(const char *fn_name, const char *ops_arg)
{
	const struct workload *w = NULL;
	unsigned long ops, failed = 0;
	unsigned int i;
	char *end;

	for (i = 0; i < BENCH_ARRAY_SIZE(workloads); i++)
		if (!strcmp(workloads[i].fn_name, fn_name))
			w = &workloads[i];
	ops = strtoul(ops_arg, &end, 0);
	if (!w || *end || !ops || ops % BATCH_OBJECTS) {
		fprintf(stderr, "bench_cache: no loop %s, or %s is not a multiple of %d\n",
			fn_name, ops_arg, BATCH_OBJECTS);
		return EXIT_FAILURE;
	}
	if (w->setup)
		failed += w->setup();
	failed += w->fn(ops);
	if (w->teardown)
		w->teardown();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* The random replacement alone, then the peak RSS of the process in KiB. */
static int peak_rss(void)
{
	unsigned long failed = replace_setup() + bench_replace(RSS_OPS);

	if (failed)
		return EXIT_FAILURE;
	printf("%ld\n", bench_peak_rss_kib());
	return EXIT_SUCCESS;
}

static const struct bench_cli cli = {
	.usage = "usage: bench_cache [--tsv | --info | --list | --loop FN OPS | --rss]\n",
	.time_all = time_all,
	.list = list_counted,
	.info = allocator_info,
	.run_loop = run_loop,
};

int main(int argc, char **argv)
{
	if (!allocator_init() || warm_up()) {
		fprintf(stderr, "bench_cache: allocation failed while warming up\n");
		return EXIT_FAILURE;
	}
	if (argc == 2 && !strcmp(argv[1], "--rss"))
		return peak_rss();
	return bench_cli_run(&cli, argc, argv);
}
