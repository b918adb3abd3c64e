// SPDX-License-Identifier: GPL-2.0
/*
 * The allocation profile in userspace (suite profile_user), and main():
 * KSLAB_PROFILE=leaks reports a known leak first at exit, by name (this
 * program is linked -rdynamic, so the dynamic loader knows its
 * functions); signal=N writes the allocinfo text when the signal comes;
 * threads that free each other's blocks leave exact figures; the
 * slabinfo tool's --sites and --sites-diff read the texts back; the fast
 * paths are diverted while objects are counted, and work again once the
 * profile stops with none left; google-pprof reads the heap profile.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kslab/fault.h>
#include <kslab/kmalloc.h>

#include "../../mm/slab.h"
#include "../process.h"
#include "profile_tests.h"

#define LEAK_ARG	"leak-child"
#define SIGNAL_ARG	"signal-child"
#define SAMPLE_ARG	"sample-child"
#define TABLES_ARG	"tables-child"
/* The sampled child: 32 MiB live, 4 MiB live, 16 MiB come and gone. */
#define SAMPLE_BLOCK	4000	/* 4096 usable */
#define BIG_BLOCKS	8192
#define SMALL_BLOCKS	1024
#define CHURN_BLOCKS	4096
#define SAMPLE_RATE	"16384"
#define BIG_LEAKS	10	/* of 1000 bytes: 1024 each */
#define SMALL_LEAKS	3	/* of 64 bytes */
#define THREADS		4
#define THREAD_OBJS	4000

/*
 * Sites: never inlined, folded or cloned, each alone in its 1 KiB, and
 * global, so that -rdynamic puts their names where dladdr() finds them.
 */
#define site_fn		__attribute__((__noipa__, __aligned__(1024)))
void leak_big(void **v);
void leak_small(void **v);
void churn(void);
void thread_site(void **v, unsigned int n);
void sample_big(void **v, unsigned int n);
void sample_small(void **v, unsigned int n);
void sample_churn(unsigned int n);

site_fn void leak_big(void **v)
{
	int i;

	for (i = 0; i < BIG_LEAKS; i++)
		v[i] = kslab_kmalloc(1000, GFP_KERNEL);
}

site_fn void leak_small(void **v)
{
	int i;

	for (i = 0; i < SMALL_LEAKS; i++)
		v[i] = kslab_kmalloc(64, GFP_KERNEL);
}

site_fn void churn(void)
{
	int i;

	for (i = 0; i < 100; i++)
		kslab_kfree(kslab_kmalloc(300, GFP_KERNEL));
}

/* The child: leaks from two sites, frees everything from a third. */
static int leak_child(void)
{
	static void *held[BIG_LEAKS + SMALL_LEAKS];

	leak_small(held);
	leak_big(held + SMALL_LEAKS);
	churn();
	return 0;
}

static void test_exit_report_leak_first(struct ktap_test *t)
{
	char *var, **env = env_with("KSLAB_PROFILE", "leaks", &var);
	const char *report, *first, *second;
	struct capture c;

	if (!KTAP_EXPECT(t, env && capture_self(&c, LEAK_ARG, env)))
		goto out;
	KTAP_EXPECT_EQ(t, c.status, 0);
	report = strstr(c.err, "kslab: ");
	if (!KTAP_EXPECT(t, report != NULL)) {
		ktap_diag("stderr: %s", c.err);
		goto out;
	}
	KTAP_EXPECT(t, strstr(report, " 10432 bytes in 13 allocations from 2 sites still allocated\n") != NULL);
	first = strchr(report, '\n') + 1;
	second = strchr(first, '\n') + 1;
	KTAP_EXPECT(t, !strncmp(first, "       10240       10 leak_big+", 31));
	KTAP_EXPECT(t, !strncmp(second, "         192        3 leak_small+", 33));
	KTAP_EXPECT(t, !strstr(c.err, "churn+"));
out:
	free(var);
	free(env);
}

static int signal_child(void)
{
	static void *held[BIG_LEAKS];

	leak_big(held);
	raise(SIGUSR2);
	fprintf(stderr, "after the signal\n");
	return 0;
}

static void test_signal_dump(struct ktap_test *t)
{
	char value[32], *var, **env;
	const char *dump, *line;
	struct capture c;

	snprintf(value, sizeof(value), "signal=%d", SIGUSR2);
	env = env_with("KSLAB_PROFILE", value, &var);
	if (!KTAP_EXPECT(t, env && capture_self(&c, SIGNAL_ARG, env)))
		goto out;
	KTAP_EXPECT_EQ(t, c.status, 0);
	dump = strstr(c.err, "allocinfo - version: 1.0\n");
	line = strstr(c.err, "       10240       10 leak_big+");
	KTAP_EXPECT(t, dump && line && line > dump);
	KTAP_EXPECT(t, line && strstr(line, "after the signal\n"));
out:
	free(var);
	free(env);
}

/*
 * allocinfo and leaks at exit, to the file file= names ("%p": the pid)
 * rather than stderr: every site, the one that freed all at 0, then the
 * leak report.
 */
static void test_texts_at_exit_to_file(struct ktap_test *t)
{
	char dir[] = "/tmp/kslab-texts-XXXXXX", value[96], path[96];
	char *var = NULL, **env = NULL;
	static char text[8192];
	struct capture c;
	const char *head, *zero, *leaks;
	FILE *f = NULL;
	size_t len = 0;

	if (!KTAP_EXPECT(t, work_dir_make(dir)))
		return;
	snprintf(value, sizeof(value), "allocinfo,leaks,file=%s/texts-%%p", dir);
	env = env_with("KSLAB_PROFILE", value, &var);
	if (!KTAP_EXPECT(t, env && capture_self(&c, LEAK_ARG, env)) ||
	    !KTAP_EXPECT_EQ(t, c.status, 0))
		goto out;
	KTAP_EXPECT(t, !strstr(c.err, "allocinfo") && !strstr(c.err, "kslab: "));
	snprintf(path, sizeof(path), "%s/texts-%d", dir, c.pid);
	f = fopen(path, "r");
	if (!KTAP_EXPECT(t, f != NULL))
		goto out;
	len = fread(text, 1, sizeof(text) - 1, f);
	text[len] = '\0';
	head = strstr(text, "allocinfo - version: 1.0\n");
	zero = strstr(text, "           0        0 churn+");
	leaks = strstr(text, "kslab: 10432 bytes in 13 allocations from 2 sites still allocated\n");
	KTAP_EXPECT(t, head == text);
	KTAP_EXPECT(t, strstr(text, "       10240       10 leak_big+") != NULL);
	KTAP_EXPECT(t, zero && leaks && zero < leaks);
	KTAP_EXPECT(t, leaks && !strncmp(strchr(leaks, '\n') + 1,
					 "       10240       10 leak_big+", 31));
out:
	if (f)
		fclose(f);
	free(var);
	free(env);
	work_dir_remove(dir);
}

/*
 * Threads allocate from one site and free the blocks the next thread
 * allocated, each on whatever CPU it runs: the sums over the CPUs come
 * out exact.
 */
static void *thread_objs[THREADS][THREAD_OBJS];
static pthread_barrier_t barrier;

site_fn void thread_site(void **v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		v[i] = kslab_kmalloc(48, GFP_KERNEL);
}

static void *thread_run(void *arg)
{
	unsigned long me = (unsigned long)arg;
	void **next = thread_objs[(me + 1) % THREADS];
	unsigned int i;

	thread_site(thread_objs[me], THREAD_OBJS);
	pthread_barrier_wait(&barrier);
	/* Every other block of the next thread's, while others still run. */
	for (i = 0; i < THREAD_OBJS; i += 2)
		kslab_kfree(next[i]);
	return NULL;
}

static void test_threads_exact(struct ktap_test *t)
{
	pthread_t threads[THREADS];
	struct kslab_site_stats st;
	unsigned long i, j, usable;

	if (!KTAP_EXPECT_EQ(t, kslab_profile_start(), 0))
		return;
	pthread_barrier_init(&barrier, NULL, THREADS);
	for (i = 0; i < THREADS; i++)
		pthread_create(&threads[i], NULL, thread_run, (void *)i);
	for (i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	pthread_barrier_destroy(&barrier);
	usable = kslab_ksize(thread_objs[0][1]);
	KTAP_EXPECT(t, site_in((unsigned long)&thread_site, &st));
	KTAP_EXPECT_EQ(t, st.calls, THREADS * THREAD_OBJS / 2);
	KTAP_EXPECT_EQ(t, st.bytes, THREADS * THREAD_OBJS / 2 * usable);
	for (i = 0; i < THREADS; i++)
		for (j = 1; j < THREAD_OBJS; j += 2)
			kslab_kfree(thread_objs[i][j]);
	KTAP_EXPECT(t, site_in((unsigned long)&thread_site, &st));
	KTAP_EXPECT_EQ(t, st.calls, 0);
	kslab_profile_stop();
}

/* Write kslab_allocinfo_format()'s text to @path. */
static bool dump_to(const char *path)
{
	size_t len = kslab_allocinfo_format(NULL, 0);
	char *text = malloc(len + 1);
	FILE *f = fopen(path, "w");
	bool ok = text && f;

	if (ok) {
		kslab_allocinfo_format(text, len + 1);
		ok = fputs(text, f) >= 0;
	}
	if (f)
		ok = !fclose(f) && ok;
	free(text);
	return ok;
}

static void test_tool_sites(struct ktap_test *t)
{
	char dir[] = "/tmp/kslab-profile-XXXXXX", build[4096], tool[4200];
	char before[64], after[64];
	static void *held[BIG_LEAKS + SMALL_LEAKS];
	const char *top[] = { tool, "--sites", "--top=1", after, NULL };
	const char *diff[] = { tool, "--sites-diff", before, after, NULL };
	struct capture c;
	int i;

	if (!KTAP_EXPECT(t, build_dir_of_self(build, sizeof(build)) &&
			    work_dir_make(dir)))
		return;
	snprintf(tool, sizeof(tool), "%s/tools/slabinfo", build);
	snprintf(before, sizeof(before), "%s/before", dir);
	snprintf(after, sizeof(after), "%s/after", dir);
	if (!KTAP_EXPECT_EQ(t, kslab_profile_start(), 0))
		goto out;
	leak_small(held);
	KTAP_EXPECT(t, dump_to(before));
	leak_big(held + SMALL_LEAKS);
	KTAP_EXPECT(t, dump_to(after));

	KTAP_EXPECT(t, capture_exec(&c, top, NULL) && c.status == 0);
	KTAP_EXPECT(t, strstr(c.out, "\n         10240         10       1024  leak_big+") != NULL);
	KTAP_EXPECT(t, !strstr(c.out, "leak_small+"));
	KTAP_EXPECT(t, capture_exec(&c, diff, NULL) && c.status == 0);
	KTAP_EXPECT(t, strstr(c.out, "\n        +10240        +10          10240  leak_big+") != NULL);
	KTAP_EXPECT(t, strstr(c.out, "total of 1 sites changed") != NULL);
	for (i = 0; i < BIG_LEAKS + SMALL_LEAKS; i++)
		kslab_kfree(held[i]);
out:
	kslab_profile_stop();
	work_dir_remove(dir);
}

site_fn void sample_big(void **v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		v[i] = kslab_kmalloc(SAMPLE_BLOCK, GFP_KERNEL);
}

site_fn void sample_small(void **v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		v[i] = kslab_kmalloc(SAMPLE_BLOCK, GFP_KERNEL);
}

site_fn void sample_churn(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		kslab_kfree(kslab_kmalloc(SAMPLE_BLOCK, GFP_KERNEL));
}

static int sample_child(void)
{
	static void *held[BIG_BLOCKS + SMALL_BLOCKS];

	sample_big(held, BIG_BLOCKS);
	sample_small(held + BIG_BLOCKS, SMALL_BLOCKS);
	sample_churn(CHURN_BLOCKS);
	return 0;
}

/* The MB pprof's --text gives @fn in its own column (flat), or -1. */
static double pprof_mb(const char *text, const char *fn)
{
	char pattern[64];
	const char *line;
	double mb;

	snprintf(pattern, sizeof(pattern), "%% %s\n", fn);
	line = strstr(text, pattern);
	if (!line)
		return -1;
	while (line > text && line[-1] != '\n')
		line--;
	return sscanf(line, "%lf", &mb) == 1 ? mb : -1;
}

/*
 * google-pprof reads the heap profile a sampled child writes at exit and,
 * scaled back up, finds each site's memory within a few samples' worth:
 * the live profile, then what was allocated since sampling started.
 */
static void test_pprof_reads_heap_profile(struct ktap_test *t)
{
	char dir[] = "/tmp/kslab-heap-XXXXXX", self[4096], heap[64];
	char value[128], *var = NULL, **env = NULL;
	const char *inuse[] = { "/usr/bin/google-pprof", "--text", self, heap, NULL };
	const char *alloc[] = { "/usr/bin/google-pprof", "--text", "--alloc_space",
				self, heap, NULL };
	static struct capture c;
	double big, small, churn;
	ssize_t n;

	if (!KTAP_EXPECT(t, work_dir_make(dir)))
		return;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(heap, sizeof(heap), "%s/heap", dir);
	snprintf(value, sizeof(value), "sample=" SAMPLE_RATE ",heap=%s", heap);
	env = env_with("KSLAB_PROFILE", value, &var);
	if (!KTAP_EXPECT(t, env && capture_self(&c, SAMPLE_ARG, env)) ||
	    !KTAP_EXPECT_EQ(t, c.status, 0))
		goto out;
	if (!KTAP_EXPECT(t, !access(inuse[0], X_OK))) {
		ktap_diag("google-pprof is missing: apt-get install google-perftools");
		goto out;
	}
	KTAP_EXPECT(t, capture_exec(&c, inuse, NULL) && c.status == 0);
	KTAP_EXPECT(t, strstr(c.err, "Adjusting heap profiles for 1-in-" SAMPLE_RATE " sampling rate"));
	big = pprof_mb(c.out, "sample_big");
	small = pprof_mb(c.out, "sample_small");
	ktap_diag("live: sample_big %.1f MB (32 exact), sample_small %.1f MB (4)",
		  big, small);
	/*
	 * A block is sampled with chance 1 - e^-(4096/16384) = 0.22: the big
	 * site's 1,800 samples spread 2.1% (one standard deviation), the small
	 * site's 230 5.9%, the churn's 900 2.9%. Each bound is about 7 of them.
	 */
	KTAP_EXPECT(t, big > 32 * 0.85 && big < 32 * 1.15);
	KTAP_EXPECT(t, small > 4 * 0.6 && small < 4 * 1.4);
	KTAP_EXPECT(t, pprof_mb(c.out, "sample_churn") < 0);
	KTAP_EXPECT(t, strstr(c.out, "sample_big") < strstr(c.out, "sample_small"));

	KTAP_EXPECT(t, capture_exec(&c, alloc, NULL) && c.status == 0);
	churn = pprof_mb(c.out, "sample_churn");
	ktap_diag("allocated: sample_churn %.1f MB (16)", churn);
	KTAP_EXPECT(t, churn > 16 * 0.8 && churn < 16 * 1.2);
out:
	free(var);
	free(env);
	work_dir_remove(dir);
}

/* How many of @cache's CPUs have their fast paths diverted. */
static unsigned int diverted_cpus(struct kslab_cache *cache)
{
	unsigned int cpu, n = 0;

	for (cpu = 0; cpu < kslab_nr_cpus(); cpu++)
		n += !!(kslab_percpu_ptr(cache->cpu, cpu)->loaded_state &
			KSLAB_MAG_DIVERT);
	return n;
}

/*
 * How many of @cache's CPUs refuse both a fast pop and a fast push: the
 * diverted ones, and those no slow path has run on yet, whose zero state
 * is an empty magazine's (mm/magazine.c).
 */
static unsigned int refusing_cpus(struct kslab_cache *cache)
{
	unsigned int cpu, n = 0;

	for (cpu = 0; cpu < kslab_nr_cpus(); cpu++) {
		unsigned long state =
			kslab_percpu_ptr(cache->cpu, cpu)->loaded_state;

		n += ((state + KSLAB_MAG_POP) & KSLAB_MAG_REFUSE) &&
		     ((state + KSLAB_MAG_PUSH) & KSLAB_MAG_REFUSE);
	}
	return n;
}

/*
 * Started, the profile diverts every CPU of every cache, those made later
 * too (a CPU a later cache never ran on is empty there, which refuses
 * the fast paths as well); a stop with counted objects alive leaves them
 * diverted (a fast free would miss their sites), one with none lets the
 * fast paths work.
 */
static void test_divert_lifted_when_nothing_counted(struct ktap_test *t)
{
	struct kslab_cache *early = kslab_cache_create("t-prof-early", 48, NULL, 0);
	struct kslab_cache *late = NULL;
	void *objs[5];
	int i;

	if (!KTAP_EXPECT(t, early != NULL) ||
	    !KTAP_EXPECT_EQ(t, kslab_profile_start(), 0))
		goto out;
	late = kslab_cache_create("t-prof-late", 48, NULL, 0);
	if (!KTAP_EXPECT(t, late != NULL))
		goto out;
	KTAP_EXPECT_EQ(t, diverted_cpus(early), kslab_nr_cpus());
	KTAP_EXPECT_EQ(t, refusing_cpus(late), kslab_nr_cpus());
	for (i = 0; i < 5; i++)
		objs[i] = kslab_cache_alloc(late, GFP_KERNEL);
	KTAP_EXPECT(t, diverted_cpus(late) >= 1);
	kslab_profile_stop();
	KTAP_EXPECT_EQ(t, refusing_cpus(late), kslab_nr_cpus());
	for (i = 0; i < 5; i++)
		kslab_cache_free(late, objs[i]);
	kslab_profile_stop();
	KTAP_EXPECT_EQ(t, diverted_cpus(early), 0);
	KTAP_EXPECT_EQ(t, diverted_cpus(late), 0);
	/* The fast paths serve again, and uncounted. */
	objs[0] = kslab_cache_alloc(late, GFP_KERNEL);
	KTAP_EXPECT(t, objs[0] != NULL);
	kslab_cache_free(late, objs[0]);
out:
	kslab_profile_stop();
	kslab_cache_destroy(late);
	kslab_cache_destroy(early);
}

/*
 * The child: each of the tables' allocations failed in turn by the meta
 * fault point, at the first start and at the first sampling; each call
 * fails and unwinds what it made, and then, nothing failed, succeeds.
 * In a fresh process, since the tables are made once. Prints what went
 * wrong; exits 0 if nothing did.
 */
static int tables_child(void)
{
	static const char *const nth[] = { "meta:nth=1", "meta:nth=2", "meta:nth=3" };
	int bad = 0;
	size_t i;

	for (i = 0; i < KSLAB_ARRAY_SIZE(nth); i++) {
		kslab_fault_configure(nth[i]);
		if (kslab_profile_start() != -1)
			bad += fprintf(stderr, "start with %s: not refused\n", nth[i]) > 0;
	}
	kslab_fault_configure("");
	if (kslab_profile_start() != 0)
		bad += fprintf(stderr, "start: refused\n") > 0;
	for (i = 0; i < KSLAB_ARRAY_SIZE(nth); i++) {
		kslab_fault_configure(nth[i]);
		if (kslab_profile_sample(16384) != -1)
			bad += fprintf(stderr, "sample with %s: not refused\n", nth[i]) > 0;
	}
	kslab_fault_configure("");
	if (kslab_profile_sample(16384) != 0)
		bad += fprintf(stderr, "sample: refused\n") > 0;
	kslab_profile_sample(0);
	kslab_profile_stop();
	return bad;
}

/* The profile's tables fail cleanly, one allocation at a time. */
static void test_tables_fail_cleanly(struct ktap_test *t)
{
	struct capture c;

	if (!KTAP_EXPECT(t, capture_self(&c, TABLES_ARG, environ)))
		return;
	if (!KTAP_EXPECT_EQ(t, c.status, 0))
		ktap_diag("stderr: %s", c.err);
}

static const struct ktap_case profile_user_cases[] = {
	{ "tables_fail_cleanly", test_tables_fail_cleanly },
	{ "exit_report_leak_first", test_exit_report_leak_first },
	{ "signal_dump", test_signal_dump },
	{ "texts_at_exit_to_file", test_texts_at_exit_to_file },
	{ "threads_exact", test_threads_exact },
	{ "tool_sites", test_tool_sites },
	{ "divert_lifted_when_nothing_counted",
	  test_divert_lifted_when_nothing_counted },
	{ "pprof_reads_heap_profile", test_pprof_reads_heap_profile },
};

int main(int argc, char **argv)
{
	const struct ktap_suite suites[] = {
		profile_api_suite,
		KTAP_SUITE("profile_user", profile_user_cases),
	};

	if (argc > 1 && !strcmp(argv[1], LEAK_ARG))
		return leak_child();
	if (argc > 1 && !strcmp(argv[1], SIGNAL_ARG))
		return signal_child();
	if (argc > 1 && !strcmp(argv[1], SAMPLE_ARG))
		return sample_child();
	if (argc > 1 && !strcmp(argv[1], TABLES_ARG))
		return tables_child();
	return ktap_run(suites, KSLAB_ARRAY_SIZE(suites));
}
