// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of CPU ids and per-CPU data (suite port-cpu): kslab_nr_cpus(),
 * kslab_cpu_id() pinned to each CPU and in its sched_getcpu() fallback
 * (this program run again with rseq disabled), exclusive per-CPU sections,
 * and the layout, reuse and limits of per-CPU storage.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include "port_tests.h"

/* ------------------------------------------------------------------ */
/* CPU ids                                                             */
/* ------------------------------------------------------------------ */

struct cpu_scan {
	unsigned int tried;
	unsigned int mismatches;
	unsigned int last_bad_cpu;
	unsigned int last_bad_id;
};

/*
 * Pin this thread to each CPU it may run on in turn and ask kslab_cpu_id()
 * there, several times with a yield between: a stale or wrong answer shows.
 * The thread's original affinity is restored.
 */
static bool scan_cpu_ids(struct cpu_scan *scan)
{
	cpu_set_t saved, one;
	unsigned int cpu, k;

	memset(scan, 0, sizeof(*scan));
	if (sched_getaffinity(0, sizeof(saved), &saved))
		return false;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &saved))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			continue;
		scan->tried++;
		for (k = 0; k < 16; k++) {
			unsigned int id = kslab_cpu_id();

			if (id != cpu) {
				scan->mismatches++;
				scan->last_bad_cpu = cpu;
				scan->last_bad_id = id;
			}
			sched_yield();
		}
	}
	sched_setaffinity(0, sizeof(saved), &saved);
	return true;
}

static unsigned int highest_allowed_cpu(void)
{
	cpu_set_t set;
	unsigned int cpu, highest = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			highest = cpu;
	return highest;
}

static void test_nr_cpus(struct ktap_test *t)
{
	unsigned int nr = kslab_nr_cpus();
	unsigned int i, out_of_range = 0;

	KTAP_EXPECT(t, nr >= 1);
	KTAP_EXPECT(t, nr >= (unsigned int)get_nprocs_conf());
	KTAP_EXPECT(t, highest_allowed_cpu() < nr);
	KTAP_EXPECT_EQ(t, kslab_nr_cpus(), nr);
	for (i = 0; i < 10000; i++)
		if (kslab_cpu_id() >= nr)
			out_of_range++;
	KTAP_EXPECT_EQ(t, out_of_range, 0);
}

static void test_cpu_id_pinned(struct ktap_test *t)
{
	struct cpu_scan scan;

	KTAP_ASSERT(t, scan_cpu_ids(&scan));
	KTAP_EXPECT(t, scan.tried >= 1);
	if (!KTAP_EXPECT_EQ(t, scan.mismatches, 0))
		ktap_diag("pinned to CPU %u, kslab_cpu_id() said %u",
			  scan.last_bad_cpu, scan.last_bad_id);
	ktap_diag("cpu id source: %s, %u CPUs pinned", kslab_env_cpu_id_source(),
		  scan.tried);
}

/* The re-executed program: pin to each CPU, print what was seen. */
int cpu_probe_main(void)
{
	struct cpu_scan scan;
	bool ok = scan_cpu_ids(&scan);

	printf("source=%s rseq_size=%u tried=%u mismatches=%u\n",
	       kslab_env_cpu_id_source(), __rseq_size, scan.tried,
	       scan.mismatches);
	return ok && scan.tried && !scan.mismatches ? 0 : 1;
}

/* Our environment plus glibc.pthread.rseq=0, other tunables kept. */
static char **env_without_rseq(char **var)
{
	const char *old = getenv("GLIBC_TUNABLES");
	char tunables[512];

	snprintf(tunables, sizeof(tunables), "%s%sglibc.pthread.rseq=0",
		 old ? old : "", old ? ":" : "");
	return env_with("GLIBC_TUNABLES", tunables, var);
}

static void test_cpu_id_fallback(struct ktap_test *t)
{
	struct capture c;
	char **env, *var;
	bool ran;

	if (__rseq_size == 0) {
		ktap_skip(t, "no rseq in this process: nothing to fall back from");
		return;
	}
	KTAP_EXPECT(t, !strcmp(kslab_env_cpu_id_source(), "rseq"));
	env = env_without_rseq(&var);
	KTAP_ASSERT(t, env != NULL);
	ran = capture_self(&c, CPU_PROBE_ARG, env);
	free(var);
	free(env);
	KTAP_ASSERT(t, ran);
	ktap_diag("probe said: %.*s", (int)strcspn(c.out, "\n"), c.out);
	if (!KTAP_EXPECT(t, WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0))
		ktap_diag("probe status %#x, stderr: %s", c.status, c.err);
	KTAP_EXPECT(t, strstr(c.out, "source=getcpu ") != NULL);
	KTAP_EXPECT(t, strstr(c.out, " rseq_size=0 ") != NULL);
}

static void *enter_section(void *arg)
{
	kslab_cpu_exit(kslab_cpu_enter());
	return arg;
}

/*
 * The re-executed program: make per-CPU data, which fixes the mode, and
 * enter a section, from a second thread too if @threads.
 */
int mode_probe_main(bool threads)
{
	void *p = kslab_percpu_alloc(64);
	pthread_t thread;

	printf("mode=%s\n", kslab_env_percpu_mode());
	fflush(stdout);
	enter_section(NULL);
	if (threads && !pthread_create(&thread, NULL, enter_section, NULL))
		pthread_join(thread, NULL);
	kslab_percpu_free(p);
	return p ? 0 : 1;
}

/* Run the mode probe with KSLAB_PERCPU=@value; false if it did not run. */
static bool run_mode_probe(struct ktap_test *t, const char *value,
			   bool threads, struct capture *c)
{
	char **env, *var;
	bool ran;

	env = env_with("KSLAB_PERCPU", value, &var);
	if (!KTAP_EXPECT(t, env != NULL))
		return false;
	ran = capture_self(c, threads ? MODE_THREADS_PROBE_ARG : MODE_PROBE_ARG,
			   env);
	free(var);
	free(env);
	return KTAP_EXPECT(t, ran);
}

/* ... and it exited with status 0. */
static bool probe_mode(struct ktap_test *t, const char *value,
		       struct capture *c)
{
	return run_mode_probe(t, value, false, c) &&
	       KTAP_EXPECT(t, WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0);
}

/*
 * KSLAB_PERCPU picks the per-CPU mode: "lock" always gets it, "rseq" gets
 * it where the machine allows and otherwise says why, anything else is
 * refused with a warning and the default kept.
 */
static void test_percpu_mode_choice(struct ktap_test *t)
{
	struct capture c;

	if (probe_mode(t, "lock", &c))
		KTAP_EXPECT(t, !strcmp(c.out, "mode=lock\n"));
	if (probe_mode(t, "rseq", &c)) {
		ktap_diag("KSLAB_PERCPU=rseq: %.*s", (int)strcspn(c.out, "\n"),
			  c.out);
		KTAP_EXPECT(t, !strcmp(c.out, "mode=rseq\n") ||
			       (!strcmp(c.out, "mode=lock\n") &&
				strstr(c.err, "unavailable") != NULL));
	}
	if (probe_mode(t, "fast", &c)) {
		KTAP_EXPECT(t, strstr(c.err, "KSLAB_PERCPU must be") != NULL);
		KTAP_EXPECT(t, !strncmp(c.out, "mode=", 5));
	}
}

/*
 * KSLAB_PERCPU=single serves one thread, and sections work in it; a
 * second thread entering a section stops the process with a reason.
 */
static void test_percpu_mode_single(struct ktap_test *t)
{
	struct capture c;

	if (probe_mode(t, "single", &c))
		KTAP_EXPECT(t, !strcmp(c.out, "mode=single\n"));
	if (run_mode_probe(t, "single", true, &c)) {
		KTAP_EXPECT(t, !strcmp(c.out, "mode=single\n"));
		KTAP_EXPECT(t, !WIFEXITED(c.status) || WEXITSTATUS(c.status));
		KTAP_EXPECT(t, strstr(c.err, "a second thread uses kslab") != NULL);
	}
	if (probe_mode(t, "rseq", &c) && !strcmp(c.out, "mode=rseq\n"))
		KTAP_EXPECT(t, run_mode_probe(t, "rseq", true, &c) &&
			       WIFEXITED(c.status) && !WEXITSTATUS(c.status));
}

/* ------------------------------------------------------------------ */
/* Exclusive per-CPU sections                                          */
/* ------------------------------------------------------------------ */

struct section_state {
	unsigned long count;
	int busy;
};

struct section_ctx {
	struct section_state *states;	/* per-CPU */
	unsigned long overlaps;
	unsigned long bad_cpus;
};

static void *section_worker(void *arg)
{
	struct stress *s = arg;
	struct section_ctx *ctx = s->ctx;
	unsigned int nr = kslab_nr_cpus();
	unsigned long i, overlaps = 0, bad_cpus = 0;

	stress_wait_start(s);
	for (i = 0; i < s->iterations; i++) {
		unsigned int cpu = kslab_cpu_enter();
		struct section_state *st;

		if (cpu >= nr) {
			bad_cpus++;
			kslab_cpu_exit(cpu);
			continue;
		}
		st = kslab_percpu_ptr(ctx->states, cpu);
		if (KSLAB_READ_ONCE(st->busy))
			overlaps++;
		KSLAB_WRITE_ONCE(st->busy, 1);
		racy_increment(&st->count, i);
		KSLAB_WRITE_ONCE(st->busy, 0);
		kslab_cpu_exit(cpu);
	}
	__atomic_add_fetch(&ctx->overlaps, overlaps, __ATOMIC_RELAXED);
	__atomic_add_fetch(&ctx->bad_cpus, bad_cpus, __ATOMIC_RELAXED);
	return NULL;
}

static void test_cpu_section_exclusive(struct ktap_test *t)
{
	struct section_ctx ctx = { 0 };
	struct stress s = { .iterations = 40000, .ctx = &ctx };
	unsigned long total = 0, used = 0;
	unsigned int cpu;

	ctx.states = kslab_percpu_alloc(sizeof(*ctx.states));
	KTAP_ASSERT(t, ctx.states != NULL);
	KTAP_ASSERT(t, run_threads(STRESS_THREADS, section_worker, &s));
	for (cpu = 0; cpu < kslab_nr_cpus(); cpu++) {
		unsigned long n = kslab_percpu_ptr(ctx.states, cpu)->count;

		total += n;
		used += n != 0;
	}
	KTAP_EXPECT_EQ(t, ctx.bad_cpus, 0);
	KTAP_EXPECT_EQ(t, ctx.overlaps, 0);
	KTAP_EXPECT_EQ(t, total, STRESS_THREADS * s.iterations);
	KTAP_EXPECT(t, used >= 1);
	kslab_percpu_free(ctx.states);
}

/*
 * kslab_cpu_add(), the port's per-CPU add or the atomic one: threads
 * beyond the CPUs, preempted and moved between reading their CPU and
 * adding, lose no update; each CPU's copy lies a cache line from the
 * next. Adds of +3 and -1 by turns, so a
 * lost or doubled add of either shows in the sum.
 */
#define CPU_ADD_STRIDE	KSLAB_CACHE_LINE

static void *cpu_add_worker(void *arg)
{
	struct stress *s = arg;
	unsigned long i;

	stress_wait_start(s);
	for (i = 0; i < s->iterations; i++)
		kslab_cpu_add(s->ctx, CPU_ADD_STRIDE, i & 1 ? -1 : 3);
	return NULL;
}

static void test_cpu_add_exact(struct ktap_test *t)
{
	unsigned int cpu, nr = kslab_nr_cpus(), used = 0;
	char *counters = aligned_alloc(KSLAB_CACHE_LINE, nr * CPU_ADD_STRIDE);
	struct stress s = { .iterations = 2000000, .ctx = counters };
	long total = 0;

	KTAP_ASSERT(t, counters != NULL);
	memset(counters, 0, nr * CPU_ADD_STRIDE);
	KTAP_ASSERT(t, run_threads(STRESS_THREADS, cpu_add_worker, &s));
	for (cpu = 0; cpu < nr; cpu++) {
		long v = kslab_atomic_read((struct kslab_atomic *)
					   (counters + cpu * CPU_ADD_STRIDE));

		total += v;
		used += v != 0;
	}
	KTAP_EXPECT_EQ(t, total, (long)STRESS_THREADS * (long)s.iterations);
	KTAP_EXPECT(t, used >= 1);
	ktap_diag("%s mode: %u of %u CPUs' copies counted",
		  kslab_env_percpu_mode(), used, nr);
	free(counters);
}

/* ------------------------------------------------------------------ */
/* Per-CPU storage                                                     */
/* ------------------------------------------------------------------ */

static bool percpu_aligned(const void *p)
{
	return ((uintptr_t)p & (KSLAB_CACHE_LINE - 1)) == 0;
}

static unsigned char percpu_pattern(unsigned int obj, unsigned int cpu)
{
	return (unsigned char)(obj * 31 + cpu * 7 + 1) | 1;
}

/* Fill every CPU's copy with its own pattern; with @check, verify instead. */
static unsigned long percpu_fill(void *p, size_t size, unsigned int obj,
				 bool check)
{
	unsigned long bad = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < kslab_nr_cpus(); cpu++) {
		void *copy = kslab_percpu_ptr(p, cpu);
		unsigned char v = percpu_pattern(obj, cpu);

		if (!check)
			memset(copy, v, size);
		else if (!bytes_are(copy, v, size))
			bad++;
	}
	return bad;
}

static unsigned long percpu_nonzero_copies(void *p, size_t size)
{
	unsigned long bad = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < kslab_nr_cpus(); cpu++)
		if (!bytes_are(kslab_percpu_ptr(p, cpu), 0, size))
			bad++;
	return bad;
}

static void test_percpu_layout(struct ktap_test *t)
{
	static const size_t sizes[] = { 1, 8, 8, 64, 100, 4096 };
	void *objs[KSLAB_ARRAY_SIZE(sizes)];
	unsigned int i, nr = kslab_nr_cpus();

	for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++) {
		objs[i] = kslab_percpu_alloc(sizes[i]);
		KTAP_ASSERT(t, objs[i] != NULL);
		KTAP_EXPECT(t, percpu_aligned(objs[i]));
		KTAP_EXPECT_EQ(t, percpu_nonzero_copies(objs[i], sizes[i]), 0);
		KTAP_EXPECT_EQ(t, (char *)kslab_percpu_ptr(objs[i], nr - 1) -
			       (char *)objs[i], (nr - 1) * KSLAB_PERCPU_UNIT);
		percpu_fill(objs[i], sizes[i], i, false);
	}
	/* Every copy of every object kept its own bytes: nothing overlaps. */
	for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++)
		KTAP_EXPECT_EQ(t, percpu_fill(objs[i], sizes[i], i, true), 0);
	for (i = 0; i < KSLAB_ARRAY_SIZE(sizes); i++)
		kslab_percpu_free(objs[i]);
}

static void test_percpu_reuse(struct ktap_test *t)
{
	void *p, *q;

	p = kslab_percpu_alloc(200);
	KTAP_ASSERT(t, p != NULL);
	percpu_fill(p, 200, 0, false);
	kslab_percpu_free(p);
	q = kslab_percpu_alloc(200);
	KTAP_ASSERT(t, q != NULL);
	KTAP_EXPECT_PTR_EQ(t, q, p);
	/* Reused space must come back zeroed on every CPU, not as we left it. */
	KTAP_EXPECT_EQ(t, percpu_nonzero_copies(q, 200), 0);
	kslab_percpu_free(q);
}

#define PERCPU_PROBE_SIZE	4096
#define PERCPU_PROBE_MAX	(KSLAB_PERCPU_UNIT / PERCPU_PROBE_SIZE + 1)

/* Allocate probes until the region is full. Return: how many fitted. */
static unsigned int percpu_exhaust(void **objs)
{
	unsigned int n;

	for (n = 0; n < PERCPU_PROBE_MAX; n++) {
		objs[n] = kslab_percpu_alloc(PERCPU_PROBE_SIZE);
		if (!objs[n])
			break;
		percpu_fill(objs[n], PERCPU_PROBE_SIZE, n, false);
	}
	return n;
}

static void percpu_free_all(void **objs, unsigned int n)
{
	while (n)
		kslab_percpu_free(objs[--n]);
}

static void test_percpu_limits(struct ktap_test *t)
{
	static void *objs[PERCPU_PROBE_MAX];
	unsigned int first, second, i;
	unsigned long bad = 0;

	void *largest;

	/* Nothing above the kernel's limit, even while there is room. */
	KTAP_EXPECT(t, kslab_percpu_alloc(KSLAB_PERCPU_MAX + 1) == NULL);
	KTAP_EXPECT(t, kslab_percpu_alloc(KSLAB_PERCPU_UNIT + 1) == NULL);
	largest = kslab_percpu_alloc(KSLAB_PERCPU_MAX);
	KTAP_EXPECT(t, largest != NULL);
	kslab_percpu_free(largest);

	first = percpu_exhaust(objs);
	KTAP_EXPECT(t, first >= 1);
	KTAP_EXPECT(t, first < PERCPU_PROBE_MAX);
	for (i = 0; i < first; i++)
		bad += !percpu_aligned(objs[i]) ||
		       percpu_fill(objs[i], PERCPU_PROBE_SIZE, i, true);
	KTAP_EXPECT_EQ(t, bad, 0);
	percpu_free_all(objs, first);

	/* Freeing gave all of it back: the same number fits again. */
	second = percpu_exhaust(objs);
	KTAP_EXPECT_EQ(t, second, first);
	percpu_free_all(objs, second);
	ktap_diag("%u per-CPU objects of %u bytes fitted", first,
		  PERCPU_PROBE_SIZE);
}

#define CACHE_PROBE_OBJS	300	/* past a first fill: swaps and a refill */

/* Pin to the first CPU this process may use. Return: it, or -1. */
static int pin_home(void)
{
	cpu_set_t set;
	int home;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (home = 0; home < CPU_SETSIZE && !CPU_ISSET(home, &set); home++)
		;
	CPU_ZERO(&set);
	CPU_SET(home, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -1 : home;
}

/*
 * A cache made, used and destroyed on CPU @home, where the caller runs.
 * Return: how many pages of the other CPUs' per-CPU units are resident
 * before the destroy (which visits every CPU); ~0UL if none was made.
 */
static unsigned long cache_used_at(unsigned int home)
{
	struct kslab_cache *cache = kslab_cache_create("t-percpu-home", 64,
						       NULL, 0);
	static void *objs[CACHE_PROBE_OBJS];
	unsigned long others = 0;
	unsigned int i;

	if (!cache)
		return ~0UL;
	for (i = 0; i < CACHE_PROBE_OBJS; i++)
		objs[i] = kslab_cache_alloc(cache, GFP_KERNEL);
	for (i = 0; i < CACHE_PROBE_OBJS; i++)
		kslab_cache_free(cache, objs[i]);
	for (i = 0; i < kslab_nr_cpus(); i++)
		if (i != home)
			others += resident_pages(kslab_percpu_ptr(kslab_cpu_locks,
								  i),
						 KSLAB_PERCPU_UNIT);
	kslab_cache_destroy(cache);
	return others;
}

/*
 * The re-executed program, pinned to one CPU before anything of kslab
 * runs: a first per-CPU allocation, then one that reaches a page no
 * allocation reached before; print the page faults the second took in
 * the per-CPU region (or why they could not be counted), how many CPUs'
 * copies of that page are resident, and how many pages of the other
 * CPUs' units are once a cache was made and used on this CPU.
 */
int percpu_fault_probe_main(void)
{
	unsigned long base, faults, resident = 0, others;
	int home = pin_home();
	struct fault_sampler s;
	void *first, *next;
	unsigned int cpu;

	first = home < 0 ? NULL : kslab_percpu_alloc(64);
	if (!first)
		return 1;
	if (!fault_sampler_open(&s)) {
		printf("refused: %s\n", strerror(errno));
		return 0;
	}
	next = kslab_percpu_alloc(KSLAB_PAGE_SIZE);
	base = (unsigned long)kslab_cpu_locks;
	faults = fault_sampler_close(&s, base,
				     base + kslab_nr_cpus() * KSLAB_PERCPU_UNIT);
	for (cpu = 0; next && cpu < kslab_nr_cpus(); cpu++)
		resident += resident_pages(kslab_percpu_ptr(next, cpu),
					   KSLAB_PAGE_SIZE) != 0;
	others = cache_used_at((unsigned int)home);
	printf("cpus=%u next=%d faults=%lu resident=%lu others=%lu lock=%d\n",
	       kslab_nr_cpus(), next != NULL, faults, resident, others,
	       !strcmp(kslab_env_percpu_mode(), "lock"));
	kslab_percpu_free(next);
	kslab_percpu_free(first);
	return 0;
}

/*
 * Granules no allocation had before are the mapping's zeroes on every
 * CPU: an allocation reaching a fresh page writes no CPU's copy of it,
 * so it takes no page fault and makes nothing resident (userspace/cpu.c,
 * percpu_fresh_from). And a cache's per-CPU caches start zero, empty
 * until each CPU's first slow path (mm/magazine.c): a program that runs
 * on one CPU makes and uses a cache without writing a page of any other
 * CPU's unit. In lock mode each CPU's gate is closed as the region is
 * reserved, a word on each CPU's first page: those pages and no more.
 * perf counts the faults; where it is refused (kernel.perf_event_paranoid,
 * a seccomp filter) the test fails, saying so: a skip would hide that
 * nothing was shown.
 */
static void test_percpu_fresh_untouched(struct ktap_test *t)
{
	unsigned long faults, resident, others;
	unsigned int cpus;
	struct capture c;
	int next, lock;

	KTAP_ASSERT(t, capture_self(&c, PERCPU_FAULT_PROBE_ARG, environ));
	if (!ktap_check(t, strncmp(c.out, "refused: ", 9), __FILE__, __LINE__,
			"perf cannot count page faults here: %s", c.out))
		return;
	if (!PROBE_ANSWER(t, &c, 6,
			  "cpus=%u next=%d faults=%lu resident=%lu others=%lu lock=%d",
			  &cpus, &next, &faults, &resident, &others, &lock))
		return;
	KTAP_EXPECT_EQ(t, cpus, kslab_nr_cpus());
	KTAP_EXPECT_EQ(t, next, 1);
	KTAP_EXPECT_EQ(t, faults, 0);
	KTAP_EXPECT_EQ(t, resident, 0);
	KTAP_EXPECT_EQ(t, others, lock ? cpus - 1 : 0);
}

static const struct ktap_case cpu_cases[] = {
	{ "nr_cpus", test_nr_cpus },
	{ "cpu_id_pinned", test_cpu_id_pinned },
	{ "cpu_id_fallback", test_cpu_id_fallback },
	{ "percpu_mode_choice", test_percpu_mode_choice },
	{ "percpu_mode_single", test_percpu_mode_single },
	{ "cpu_section_exclusive", test_cpu_section_exclusive },
	{ "cpu_add_exact", test_cpu_add_exact },
	{ "percpu_layout", test_percpu_layout },
	{ "percpu_reuse", test_percpu_reuse },
	{ "percpu_limits", test_percpu_limits },
	{ "percpu_fresh_untouched", test_percpu_fresh_untouched },
};

const struct ktap_suite port_cpu_suite = KTAP_SUITE("port-cpu", cpu_cases);
